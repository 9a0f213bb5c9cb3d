/**
 * Ctrl-C in the middle of a load that writes the HTML and CSV reports (the reviewer's
 * `--report-html out/r.html --report-csv out/r.csv`, pressed after the first create): the
 * built CLI's pages say "stopped", as its terminal does, not "failed"; the invoice Alma holds
 * half built is named as one to leave alone. test/report/stopped.test.ts has the words.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { ReportDocument } from '../../src/report/report.js';

const loop = loopbackPerTest();

describe('the reports of an interrupted load', () => {
  it('Ctrl-C after the first create: HTML and CSV say stopped, not failed; the half-built invoice is to be left alone', async () => {
    // Slow answers, so the first create is still on its way when the Ctrl-C comes: the run
    // lets it finish (an invoice with an Alma id and no lines) and starts nothing more.
    const { sb: sandbox, dir, env } = await loop.almaSandbox({ latencyMs: 400, processDelayMs: 20, perSecond: 1000 }, 'invoice-load-stopped-', 'k');
    const html = join(dir, 'r.html');
    const csv = join(dir, 'r.csv');
    const run = spawnCli(['--json', '--report-html', html, '--report-csv', csv, 'fixtures/sample-batch.csv'], { env, timeoutMs: 60_000 });
    while ((sandbox.state().counters.requests['POST create'] ?? 0) < 1) await delay(5);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('interrupted');
    const stopped = report.invoices.filter((i) => i.status === 'failed');
    expect(stopped).toHaveLength(7);
    const half = stopped.filter((i) => i.id !== undefined);
    expect(half.map((i) => i.number)).toEqual(['G-24118']);

    const page = readFileSync(html, 'utf8');
    expect([...page.matchAll(/<span class="status stopped">Stopped — re-run to finish<\/span>/g)]).toHaveLength(7);
    expect(page).not.toContain('<span class="status failed">');
    expect(page).not.toContain('id="errors"');
    expect(page).not.toContain('Needs attention');
    expect(page).toContain('<b>Stopped before done:</b> 7 invoices — run the same command again; nothing is doubled');
    expect(page).toContain('<div class="card stopped" data-count="stopped"><b>7</b>');
    expect(page).toContain(`(Alma id <code>${half[0]!.id}</code>)`);

    const rows = readFileSync(csv, 'utf8').split('\r\n').slice(1, -1);
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row).toMatch(/,failed,.*,(INTERRUPTED|NOT_STARTED),,"?(Exists in Alma|Not created yet|Not started)/);
    expect(rows.find((r) => r.includes(',G-24118,'))).toContain("Exists in Alma, incomplete (stopped while its lines were being added) — don't edit or delete it; the re-run completes it.");
  });
});
