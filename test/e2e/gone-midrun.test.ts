/**
 * Alma stops answering in the middle of a load (the server goes away: every new connection is
 * refused). Gone for good, the built CLI stops — once Alma has been out of reach for as long as
 * one answer may take (--timeout) — with one line that says nothing more will be sent, and then
 * sends nothing: the retries other invoices had pending end with the stop instead of going out,
 * one after the other, for seconds after it; a re-run finishes the batch exactly once. Gone for a
 * moment, the run waits for it and finishes. Ctrl-C during the wait stops the run at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { spawnCli } from '../helpers/cli.js';
import { expectExactlyOnce } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

const LOG_HOOK = fileURLToPath(new URL('../helpers/request-log.mjs', import.meta.url));
const VENDORS = ['GOBI', 'HARRAS', 'EBSCO', 'BLACKWELL'];

let dir: string | undefined;
let sandbox: SandboxHandle | undefined;
afterEach(async () => {
  await sandbox?.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  sandbox = undefined;
  dir = undefined;
});

/** `n` invoices of one unlinked line each, spread over the seed's vendors. */
function batch(path: string, n: number): void {
  const rows = ['invoice_number,invoice_date,vendor,currency,total_amount,line_number,line_type,price,quantity,fund_code,fund_percent'];
  for (let i = 1; i <= n; i++) rows.push(`GONE-${i},2025-03-03,${VENDORS[i % VENDORS.length]},USD,10.00,1,REGULAR,10.00,1,GENMON,100`);
  writeFileSync(path, rows.join('\n') + '\n');
}

/**
 * 40 invoices in a new folder and a sandbox that keeps its invoices in a file there, so one
 * started again on the same port holds them (Alma back after an outage).
 */
async function setup(): Promise<{ folder: string; file: string; statePath: string; url: string; first: SandboxHandle }> {
  const folder = mkdtempSync(join(tmpdir(), 'invoice-load-gone-'));
  dir = folder;
  const file = join(folder, 'batch.csv');
  batch(file, 40);
  const statePath = join(folder, 'sandbox.json');
  const first = await startSandbox({ port: 0, latencyMs: 20, processDelayMs: 20, perSecond: 1000, statePath });
  sandbox = first;
  return { folder, file, statePath, url: first.url, first };
}

describe('Alma goes away in the middle of a load', () => {
  it('one stop, and not one request after it; the re-run loads the rest exactly once', async () => {
    const { folder, file, statePath, url, first } = await setup();
    const log = join(folder, 'requests.log');
    const env = { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(folder, 'state') };
    // --timeout 2: an Alma that answered before gets 2 s to come back before the stop (30 s by default).
    const run = spawnCli(['--json', '--rate', '100', '--concurrency', '8', '--timeout', '2', '--check', 'none', '--no-canary', file], {
      env: { ...env, NODE_OPTIONS: `--import=${LOG_HOOK}`, REQUEST_LOG: log },
      timeoutMs: 60_000,
    });
    // Gone once a few invoices are created and several are on their way.
    while ((first.state().counters.requests['POST create'] ?? 0) < 8) await delay(5);
    const before = first.state();
    await first.close();
    const res = await run.done;

    expect(res.code).toBe(4);
    expect(res.stderr.match(/nothing more will be sent/g)).toHaveLength(1);
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    const stop = lines.indexOf('stop');
    expect(stop).toBeGreaterThan(0);
    // Retries were pending when the stop came (the run had invoices in flight), and none went out after it.
    expect(lines.slice(0, stop).filter((l) => l.startsWith('request POST')).length).toBeGreaterThan(before.counters.requests['POST create']!);
    expect(lines.slice(stop + 1)).toEqual([]);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.summary.failed).toBeGreaterThan(0);
    expect(report.summary.failed + report.summary.loaded + report.summary.in_review).toBe(40);

    // The same address answers again: the re-run finishes the batch, nothing twice.
    sandbox = await startSandbox({ port: Number(new URL(url).port), latencyMs: 0, processDelayMs: 20, perSecond: 1000, statePath });
    const again = await spawnCli(['--json', '--rate', '100', file], { env, timeoutMs: 60_000 }).done;
    expect(again.code).toBe(0);
    const final = JSON.parse(again.stdout) as ReportDocument;
    expect(final.summary.failed).toBe(0);
    expectExactlyOnce(sandbox.state(), final, { allFromApi: false });
    expect(sandbox.state().invoices.filter((i) => i.number.startsWith('GONE-'))).toHaveLength(40);
  });

  it('Ctrl-C while Alma is out of reach: the run stops at once instead of waiting out the outage; the re-run loads the rest once', async () => {
    const { folder, file, statePath, url, first } = await setup();
    const env = { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(folder, 'state') };
    // --timeout 60: an Alma that answered before gets 60 s to come back; the person at the terminal should not have to wait for it.
    const run = spawnCli(['--json', '--rate', '100', '--concurrency', '8', '--timeout', '60', '--check', 'none', '--no-canary', file], { env, timeoutMs: 90_000 });
    while ((first.state().counters.requests['POST create'] ?? 0) < 8) await delay(5);
    await first.close();
    // Well into the wait: past the usual retries' first pauses, far from the 60 s.
    await delay(1_500);
    const at = performance.now();
    run.child.kill('SIGINT');
    const res = await run.done;
    const tookMs = performance.now() - at;
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toMatch(/Ctrl-C: stopping once the requests already sent are answered \(Ctrl-C again stops at once\)/);
    // Seconds at most (a loaded CI machine), not the minute of patience a retry would have waited.
    expect(tookMs).toBeLessThan(15_000);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('interrupted');
    expect(report.summary.failed + report.summary.loaded + report.summary.in_review).toBe(40);
    // Cut off, not refused: every unfinished invoice is one a re-run takes up.
    const cut = report.invoices.filter((i) => i.status === 'failed');
    expect(cut.length).toBeGreaterThan(0);
    expect(new Set(cut.map((i) => i.error?.code))).toEqual(new Set(['INTERRUPTED', 'NOT_STARTED']));

    sandbox = await startSandbox({ port: Number(new URL(url).port), latencyMs: 0, processDelayMs: 20, perSecond: 1000, statePath });
    const again = await spawnCli(['--json', '--rate', '100', file], { env, timeoutMs: 60_000 }).done;
    expect(again.code, again.stderr).toBe(0);
    const final = JSON.parse(again.stdout) as ReportDocument;
    expectExactlyOnce(sandbox.state(), final, { allFromApi: false });
    expect(sandbox.state().invoices.filter((i) => i.number.startsWith('GONE-'))).toHaveLength(40);
  });

  it('gone for a moment (a restart, a network blip): the run waits for it and finishes, each invoice once', async () => {
    const { folder, file, statePath, url, first } = await setup();
    // --max-retries 1: the wait goes past the usual retries well within the 3 s, and says so.
    const run = spawnCli(['--json', '--rate', '100', '--concurrency', '8', '--max-retries', '1', '--check', 'none', '--no-canary', file], {
      env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(folder, 'state') },
      timeoutMs: 60_000,
    });
    while ((first.state().counters.requests['POST create'] ?? 0) < 8) await delay(5);
    await first.close();
    // Out of reach for 3 s: longer than the 4 retries' pauses often add up to, shorter than the 30 s of patience.
    await delay(3_000);
    sandbox = await startSandbox({ port: Number(new URL(url).port), latencyMs: 20, processDelayMs: 20, perSecond: 1000, statePath });
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/nothing more will be sent/);
    // One line when the wait begins, one when Alma is back: the person at the terminal, or the cron log, knows why it paused.
    expect(res.stderr.match(/Alma is out of reach \(connection refused, ECONNREFUSED\): waiting up to 30 s for it to come back \(--timeout\)/g)).toHaveLength(1);
    expect(res.stderr).toMatch(/Alma answers again after \d+ s out of reach/);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.summary.failed).toBe(0);
    expect(report.summary.loaded + report.summary.in_review).toBe(40);
    expectExactlyOnce(sandbox.state(), report, { allFromApi: false });
    expect(sandbox.state().invoices.filter((i) => i.number.startsWith('GONE-'))).toHaveLength(40);
  });
});
