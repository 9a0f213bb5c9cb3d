/**
 * The first Ctrl-C while the engine runs and an invoice's own look-up — the read before anything
 * is sent for it — waits on an Alma that took the connection and never answers. Nothing was sent
 * to that invoice, so its look-up is ended at once: it ends not started, the run exits 130 with
 * its report — it used to wait out --timeout (30 s by default). The invoice before it, already
 * sent, is finished as before (its status read is answered). Sibling of ctrl-c-checks.test.ts,
 * which stops before the engine.
 */
import { describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loopbackPerTest } from '../helpers/loopback.js';
import { spawnCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

const lb = loopbackPerTest();

describe('Ctrl-C while the engine waits on an invoice’s look-up', () => {
  it('ends that look-up at once: the invoice is not started, exit 130 with the report — not after --timeout', async () => {
    const { sb, dir, stateDir } = await lb.almaSandbox({ latencyMs: 0, processDelayMs: 0 }, 'ctrl-c-lookup-', 'k');
    const file = join(dir, 'batch.csv');
    // Two vendors, one invoice each: each is searched on its own (targets/alma/lookup.ts).
    writeFileSync(
      file,
      [
        'invoice_number,invoice_date,vendor,currency,total_amount,line_number,line_type,price,quantity,fund_code,fund_percent',
        'HANG-1,2025-03-03,GOBI,USD,10.00,1,REGULAR,10.00,1,GENMON,100',
        'HANG-2,2025-03-03,HARRAS,USD,10.00,1,REGULAR,10.00,1,GENMON,100',
      ].join('\n') + '\n',
    );
    // In front of the sandbox: HANG-2's first search (before sending) is refused, so the engine
    // looks it up itself at its turn; that second search is never answered.
    let searches = 0;
    let hung = false;
    const target = new URL(sb.url);
    const url = await lb.listen((req, res) => {
      const mine = decodeURIComponent(req.url ?? '').includes('invoice_number~HANG-2');
      if (mine && searches++ > 0) {
        req.resume();
        hung = true;
        return;
      }
      if (mine) {
        req.resume();
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: '401873', errorMessage: 'Request failed: search could not be performed.', trackingId: 'E01' }] }, result: null }));
        return;
      }
      const out = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(out);
    });
    // --timeout 600: were the look-up waited for, the run would outlast the test's own limit.
    const run = spawnCli(['--json', '--timeout', '600', '--concurrency', '1', '--check', 'none', file], {
      env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: stateDir },
      timeoutMs: 60_000,
    });
    while (!hung) await delay(10);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('interrupted');
    const [first, second] = report.invoices;
    // Sent before the stop: finished as before, its status read answered (In Review: its line has no PO line).
    expect(first).toMatchObject({ number: 'HANG-1', status: 'in_review' });
    // Its look-up ended: not started, as an invoice the stop came before is (the report's NOT_STARTED).
    expect(second).toMatchObject({ number: 'HANG-2', status: 'failed', error: { code: 'NOT_STARTED', step: 'create' } });
    expect(res.stderr).not.toMatch(/still trying|internal error/);
    // Only the invoice sent before the stop reached the sandbox.
    expect(sb.state().invoices.filter((i) => i.number.startsWith('HANG-')).map((i) => i.number)).toEqual(['HANG-1']);
  }, 60_000);
});
