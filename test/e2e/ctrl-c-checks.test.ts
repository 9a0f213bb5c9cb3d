/**
 * The first Ctrl-C while the checks before sending wait on an Alma that took the connection and
 * never answers: nothing is written yet, so the reads in flight are ended at once and the run
 * exits 130 with its report — it used to wait out --timeout (30 s by default) after saying
 * "stopping". Only before the first write: later, writes in flight are waited for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

let server: Server | undefined;
let folder: string | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server !== undefined ? server.close(r) : r(undefined)));
  server = undefined;
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

describe('Ctrl-C during the checks before sending', () => {
  it('ends the reads in flight at once: exit 130, interrupted, nothing sent — not after --timeout', async () => {
    let seen = 0;
    server = createServer((req) => {
      req.resume();
      req.on('end', () => seen++);
      // Never answered.
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    folder = mkdtempSync(join(tmpdir(), 'ctrl-c-checks-'));
    // --timeout 600: were the reads waited for, the run would outlast the test's own limit.
    const run = spawnCli(['--json', '--timeout', '600', 'fixtures/sample-batch.csv'], {
      env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(folder, 'state') },
      timeoutMs: 60_000,
    });
    while (seen === 0) await delay(10);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toContain('interrupted before sending; nothing was sent');
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('interrupted');
    expect(report.summary.loaded + report.summary.in_review + report.summary.already_loaded).toBe(0);
  }, 60_000);
});
