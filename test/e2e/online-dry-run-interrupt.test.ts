/**
 * Ctrl-C, SIGTERM or SIGHUP during `--dry-run --online` ends it as the other commands end:
 * exit 130, one line saying it was interrupted and nothing was sent, the report with `"stopped":
 * "interrupted"` — it had no listener, during its read nor its look-ups, and ended by the signal
 * with no report (or waited out --timeout). The server never answers, so the signal always lands
 * while a look-up is in flight, however fast the machine.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { ReportDocument } from '../../src/report/report.js';

const loop = loopbackPerTest();
const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const PRELOAD = fileURLToPath(new URL('../helpers/interrupt-preload.cjs', import.meta.url));

/** Until `read()` shows `what`, or the run has ended (its result then says why). */
const until = async (read: () => string, what: string, child: { exitCode: number | null; signalCode: string | null }): Promise<void> => {
  while (!read().includes(what) && child.exitCode === null && child.signalCode === null) await new Promise((r) => setTimeout(r, 20));
};

describe('--dry-run --online interrupted', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s while a look-up waits for its answer: exit 130, said, stopped "interrupted" in the report', async (signal) => {
    let seen = 0;
    const url = await loop.listen((req) => {
      req.resume();
      seen++; // never answered
    });
    const dir = loop.tempDir('invoice-load-online-int-');
    // --timeout 600: were the look-ups waited for, the run would outlast the test's own limit.
    const run = spawnCli(['--dry-run', '--online', '--json', '--timeout', '600', SAMPLE], { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, timeoutMs: 60_000 });
    while (seen === 0) await new Promise((r) => setTimeout(r, 20));
    run.child.kill(signal);
    const res = await run.done;
    expect(res.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    expect(res.code, `${res.signal} ${res.stderr}`).toBe(130);
    expect(res.stderr).toContain('invoice-load: interrupted while checking against Alma (read-only); nothing was sent');
    const doc = JSON.parse(res.stdout) as ReportDocument;
    expect(doc.stopped).toBe('interrupted');
    expect(doc.dry_run).toBe(true);
  }, 60_000);

  it('a SIGTERM while the batch is read (its writer stalls): exit 130, the line of a load interrupted in its read', async () => {
    const url = await loop.listen((req, res) => {
      req.resume();
      res.writeHead(500).end();
    });
    const dir = loop.tempDir('invoice-load-online-read-');
    const path = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [path]);
    let stderr = '';
    const run = spawnCli(['--dry-run', '--online', '--json', '--verbose', path], { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, timeoutMs: 60_000 });
    run.child.stderr.on('data', (d: string) => (stderr += d));
    const writer = await open(path, 'w');
    const text = readFileSync(SAMPLE, 'utf8');
    await writer.write(text.split('\n')[0]! + '\n');
    await until(() => stderr, `reading ${path}`, run.child);
    run.child.kill('SIGTERM');
    await until(() => stderr, 'SIGTERM: stopping', run.child);
    // A read blocked on the pipe ends with the writer's next chunk.
    await writer.write(text.split('\n').slice(1).join('\n'));
    await writer.close();
    const res = await run.done;
    expect(res.code, `${res.signal} ${res.stderr}`).toBe(130);
    expect(res.stderr).toContain('invoice-load: interrupted while the batch was read; nothing was sent');
    expect((JSON.parse(res.stdout) as ReportDocument).stopped).toBe('interrupted');
  }, 60_000);

  it('a Ctrl-C as the report is written, after the look-ups ended: exit 130, said, the report written whole', async () => {
    const dir = loop.tempDir('invoice-load-online-late-');
    const reportPath = join(dir, 'late-report.json');
    // The preload sends SIGINT inside the rename that puts the report in place (INT_NOW): the
    // look-ups are over and the run is writing its outputs.
    const res = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', '--json', '--report', reportPath, SAMPLE], {
      env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state'), NODE_OPTIONS: `--require ${PRELOAD}`, INT_AT: 'late-report.json', INT_NOW: '1' },
      timeoutMs: 60_000,
    });
    expect(res.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    expect(res.code, `${res.signal} ${res.stderr}`).toBe(130);
    expect(res.stderr).toContain('invoice-load: interrupted as the report was written, after the checks against Alma (read-only); nothing was sent');
    expect(existsSync(reportPath)).toBe(true);
    const doc = JSON.parse(readFileSync(reportPath, 'utf8')) as ReportDocument;
    expect(doc.dry_run).toBe(true);
    expect((JSON.parse(res.stdout) as ReportDocument).summary).toEqual(doc.summary);
  }, 60_000);
});
