/**
 * A rejection (payments, op=rejected) Alma accepted and the run never saw take effect
 * (NOT_CONFIRMED: Alma works on it asynchronously, and the answer shows nothing), applied by Alma
 * later; the invoice then corrected, approved again and handed over again by `export
 * --mark-in-erp` at the same place. The same rejection file, given again, must not fail
 * NOT_CONFIRMED on every run from then on: the mark seen done after the rejection was sent says
 * the invoice was handed over again since (Alma marks only an invoice waiting to be sent), so the
 * rejection's round is over, as for a rejection the journal records done (README, payments): the
 * old file is `already_done` with the `rejected_again` warning; a file written after that
 * rejection was sent rejects the new hand-over, once.
 *
 * A proxy in front of the sandbox plays Alma's asynchronous work: it answers the rejection `{}`
 * (accepted, nothing shown), or loses its answer, and holds it; the test hands it to the sandbox
 * later. Its answer lost, the rejection must not go to the new hand-over either.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { closeServer, world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PAYMENTS = 'fixtures/round-trip/payments.csv'; // pays two, rejects BLACKWELL BW/77305
let w: World | undefined;
let proxy: http.Server | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  await closeServer(proxy);
  proxy = undefined;
});

interface Held {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A reverse proxy to the sandbox: while `holding.on`, it answers each op=rejected `{}` (accepted)
 * and holds it, unapplied. Every run goes through it: the journals are per Alma address.
 */
async function holdingRejections(to: string, answer: 'accepted' | 'lost'): Promise<{ url: string; held: Held[]; holding: { on: boolean } }> {
  const target = new URL(to);
  const held: Held[] = [];
  const holding = { on: true };
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (holding.on && req.method === 'POST' && new URL(req.url ?? '/', 'http://x').searchParams.get('op') === 'rejected') {
        held.push({ url: req.url ?? '/', headers: req.headers, body });
        // Its answer lost: the connection ends with no answer.
        if (answer === 'lost') return void req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
        return;
      }
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, held, holding };
}

/** The Alma address every run is given: the proxy's. */
let alma = '';

async function cli(args: string[]): Promise<CliResult & { doc?: LifecycleReport }> {
  const res = await runCli([...args, '--json', '--rate', '200'], {
    env: { ALMA_API_URL: alma, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w!.stateDir },
  });
  return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
}

const byNumber = (n: string) => w!.sandbox.state().invoices.find((i) => i.number === n)!;
const rejectsOf = (id: string): number => w!.sandbox.state().counters.erpOps[id]?.['rejected'] ?? 0;

/**
 * Loaded and handed over; the payments file `file` run with BW/77305's rejection accepted and not
 * shown (NOT_CONFIRMED); Alma applies it later; approved again and handed over again by export.
 */
async function rejectedUnseenThenHandedOverAgain(file: string, answer: 'accepted' | 'lost' = 'accepted'): Promise<string> {
  const p = await holdingRejections(w!.sandbox.url, answer);
  alma = p.url;
  const out = join(w!.dir, 'to-finance.csv');
  expect((await w!.load([BATCH], { env: { ALMA_API_URL: alma } })).code).toBe(0);
  const first = await cli(['export', '--mark-in-erp', '-o', out]);
  expect(first.code, first.stderr).toBe(0);
  const pay = await cli(['payments', '--poll-timeout', '1', file]);
  expect(pay.code, pay.stderr).toBe(4);
  const bw = pay.doc!.invoices.find((i) => i.number === 'BW/77305')!;
  expect(bw).toMatchObject({ status: 'failed', error: { code: answer === 'accepted' ? 'NOT_CONFIRMED' : 'OUTCOME_UNKNOWN' } });
  const id = bw.id!;
  // Sent once when accepted; each of the three sends' answers lost, else.
  expect(p.held).toHaveLength(answer === 'accepted' ? 1 : 3);
  p.holding.on = false;
  // Alma carries the rejection out later: back In Review with the alert.
  const h = p.held[0]!;
  const applied = await fetch(`${w!.sandbox.url}${h.url}`, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: h.body });
  expect(applied.ok).toBe(true);
  expect(byNumber('BW/77305').status).toBe('InReview');
  // Corrected and approved again in Alma, then handed over again by the export at this place.
  const res = await fetch(`${w!.sandbox.url}/almaws/v1/acq/invoices/${id}?op=process_invoice`, {
    method: 'POST',
    headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.ok).toBe(true);
  while (byNumber('BW/77305').status !== 'Waiting to be Sent') await new Promise((r) => setImmediate(r));
  renameSync(out, `${out}.taken`);
  const again = await cli(['export', '--mark-in-erp', '-o', out]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.doc!.invoices.map((i) => [i.number, i.status])).toEqual([['BW/77305', 'marked']]);
  expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
  expect(rejectsOf(id)).toBe(1);
  return id;
}

describe('payments: a rejection accepted and never seen, applied later, the invoice handed over again', () => {
  it.each(['accepted', 'lost'] as const)('its answer %s — the old file given again: already_done with the rejected_again warning (nothing sent), on this run and the next — not NOT_CONFIRMED forever, nor sent to the new hand-over', async (answer) => {
    w = await world();
    const file = join(w.dir, 'payments.csv');
    copyFileSync(PAYMENTS, file);
    utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const id = await rejectedUnseenThenHandedOverAgain(file, answer);
    for (const run of [1, 2]) {
      const plan = await cli(['payments', '--dry-run', '--online', file]);
      expect(plan.doc!.invoices.map((i) => [i.number, i.status]), `dry run ${run}`).toEqual([
        ['HA-2025-00520', 'already_done'],
        ['EBS-9107-25', 'already_done'],
        ['BW/77305', 'already_done'],
      ]);
      const again = await cli(['payments', file]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.doc!.invoices.map((i) => [i.number, i.status]), `run ${run}`).toEqual([
        ['HA-2025-00520', 'already_done'],
        ['EBS-9107-25', 'already_done'],
        ['BW/77305', 'already_done'],
      ]);
      const warning = again.doc!.invoices[2]!.issues.find((p) => p.code === 'rejected_again');
      expect(warning?.message).toMatch(/^not rejected again: Alma shows the invoice Ready to be Paid again \(handed over again\)/);
      expect(rejectsOf(id)).toBe(1);
      expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
    }
  }, 60_000);

  it('a file written after that rejection was sent (finance rejects the new hand-over): rejected again, once, with the warning', async () => {
    w = await world();
    const file = join(w.dir, 'payments.csv');
    copyFileSync(PAYMENTS, file);
    utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const id = await rejectedUnseenThenHandedOverAgain(file);
    // Finance's answer to the new hand-over: the same rows, written now.
    const now = new Date();
    utimesSync(file, now, now);
    const again = await cli(['payments', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'rejected'],
    ]);
    expect(again.doc!.invoices[2]!.issues.find((p) => p.code === 'rejected_again')?.message).toMatch(/^rejected again: /);
    expect(rejectsOf(id)).toBe(2);
    expect(byNumber('BW/77305').status).toBe('InReview');
    const after = await cli(['payments', file]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc!.summary).toMatchObject({ already_done: 3 });
    expect(rejectsOf(id)).toBe(2);
  }, 60_000);
});
