/**
 * A payment (op=paid) whose answer was lost while Alma was at work on it, sent again after the
 * watch and refused (60267, the first still at work), over loopback: the row fails
 * OUTCOME_UNKNOWN and the journal keeps the first request pending, so the same command run at
 * once reads and watches the invoice before it sends anything — Alma finishing the first
 * meanwhile, the row is `paid` and no third request leaves. Before, the refusal was journaled as
 * the payment's (`refused`), and the re-run, one read showing it not paid yet, sent op=paid a
 * third time to an invoice Alma was paying.
 *
 * A proxy in front of the sandbox plays Alma at work: it holds the first op=paid and ends its
 * connection with no answer, answers the next 400 60267, and hands the held one to the sandbox
 * when the test says (on the re-run's second read of the invoice).
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDoc, ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { closeServer, world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const BATCH = 'fixtures/round-trip/batch.csv';
let w: World | undefined;
let proxy: http.Server | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  await closeServer(proxy);
  proxy = undefined;
});

/** The proxy (see above). `applyOnRead`: the held payment is handed to the sandbox before the answer to that many more reads of an invoice by id. */
async function almaAtWork(to: string) {
  const target = new URL(to);
  const paidSeen: string[] = [];
  let held: { url: string; body: Buffer } | undefined;
  const ctl = { applyOnRead: Infinity };
  const forward = (method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): void => {
    const out = http.request({ host: target.hostname, port: target.port, method, path: url, headers: { ...headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    out.end(body);
  };
  const apply = async (): Promise<void> => {
    const h = held!;
    held = undefined;
    const r = await fetch(`${to}${h.url}`, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: h.body });
    expect(r.ok).toBe(true);
  };
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'POST' && url.searchParams.get('op') === 'paid') {
          paidSeen.push(url.pathname);
          if (paidSeen.length === 1) {
            held = { url: req.url ?? '/', body };
            return void req.socket.destroy();
          }
          if (held !== undefined) {
            const text = JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: '60267', errorMessage: 'Failed to process invoice in ERP.', trackingId: 'E01-PROXY' }] }, result: null });
            res.writeHead(400, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
            return void res.end(text);
          }
        }
        if (req.method === 'GET' && /^\/almaws\/v1\/acq\/invoices\/\d+$/.test(url.pathname) && held !== undefined && --ctl.applyOnRead <= 0) await apply();
        forward(req.method ?? 'GET', req.url ?? '/', req.headers, body, res);
      })();
    });
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, paidSeen, ctl, held: () => held };
}

describe('payments: a lost answer, the payment sent again refused while Alma is at work on the first', () => {
  it('fails OUTCOME_UNKNOWN; the re-run at once watches before sending: paid, no third request', async () => {
    w = await world();
    const p = await almaAtWork(w.sandbox.url);
    const cli = async (args: string[]): Promise<CliResult & { doc?: LifecycleReport }> => {
      const res = await runCli([...args, '--json', '--rate', '200'], { env: { ALMA_API_URL: p.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w!.stateDir } });
      return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
    };
    expect((await w.load([BATCH], { env: { ALMA_API_URL: p.url } })).code).toBe(0);
    const out = join(w.dir, 'to-finance.csv');
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
    // One row: HARRAS HA-2025-00520 paid.
    const [header, ...rows] = readFileSync(join(ROOT, 'fixtures/round-trip/payments.csv'), 'utf8').trimEnd().split('\n');
    const file = join(w.dir, 'pay.csv');
    writeFileSync(file, [header, rows.find((r) => r.startsWith('HARRAS,'))].join('\n') + '\n');

    const first = await cli(['payments', '--poll-timeout', '1', file]);
    expect(first.code, first.stderr).toBe(4);
    expect(first.doc!.invoices[0]).toMatchObject({ number: 'HA-2025-00520', status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(first.doc!.invoices[0]!.error!.message).toContain('60267');
    expect(p.paidSeen).toHaveLength(2);
    expect(p.held()).toBeDefined();

    // At once again: Alma finishes the first payment at the re-run's third read by id (the look-up's, the read before sending, then the first of the watch).
    p.ctl.applyOnRead = 3;
    const again = await cli(['payments', '--poll-timeout', '1', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => [i.number, i.status])).toEqual([['HA-2025-00520', 'paid']]);
    expect(p.paidSeen, 'op=paid requests sent').toHaveLength(2);
    const id = again.doc!.invoices[0]!.id!;
    expect(w.sandbox.state().counters.erpOps[id]?.['paid']).toBe(1);
  }, 60_000);
});
