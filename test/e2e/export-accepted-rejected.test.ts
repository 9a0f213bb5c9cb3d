/**
 * `export --mark-in-erp` and a mark Alma only accepted (an answer without the invoice) that no
 * read showed before --poll-timeout (NOT_CONFIRMED), which took effect later; finance then
 * rejected the invoice (`payments`) and a librarian approved it again. The next export must hand
 * it over again, once — not fail NOT_CONFIRMED on every run for a mark that did take effect. A
 * proxy in front of the sandbox (every run goes through it) answers the mark `{}` without passing it on; the test applies it
 * itself afterwards (Alma at work on it after the run gave up).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { loopbackPerTest, type AlmaSandbox } from '../helpers/loopback.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PAYMENTS = 'fixtures/round-trip/payments.csv'; // pays two, rejects BLACKWELL BW/77305
const loop = loopbackPerTest();

interface Place {
  alma: AlmaSandbox;
  /** The proxy's address: marks of `holdMarkOf` are answered `{}` and kept, not passed on. */
  proxy: string;
  held: { path: string }[];
}

async function place(holdMarkOf: () => string | undefined): Promise<Place> {
  const alma = await loop.almaSandbox({ latencyMs: 0, processDelayMs: 40, perSecond: 1000 }, 'invoice-load-export-accepted-', 'k');
  const held: { path: string }[] = [];
  const proxy = await loop.listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const id = holdMarkOf();
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp' && id !== undefined && url.pathname.endsWith(`/acq/invoices/${id}`)) {
        held.push({ path: `${url.pathname}${url.search}` });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'accept', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      void fetch(`${alma.sb.url}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body !== undefined && req.method !== 'GET' ? { body } : {}) }).then(async (r) => {
        const text = await r.text();
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      });
    });
  });
  return { alma, proxy, held };
}

/** Every run through the proxy: one place (its journals are named by the address). */
async function cli(p: Place, args: string[]): Promise<CliResult & { doc?: LifecycleReport }> {
  const res = await runCli([...args, '--json', '--rate', '200', '--poll-timeout', '1'], { env: { ...p.alma.env, ALMA_API_URL: p.proxy } });
  return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
}

const post = (p: Place, path: string): Promise<Response> =>
  fetch(`${p.alma.sb.url}${path}`, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: '{}' });
const byNumber = (p: Place, n: string) => p.alma.sb.state().invoices.find((i) => i.number === n)!;
const marksOf = (p: Place, id: string): number => p.alma.sb.state().counters.erpOps[id]?.['mark_in_erp'] ?? 0;
const idsIn = (file: string): string[] => [...new Set(readFileSync(file, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0]!))].sort();
const until = async (ok: () => boolean): Promise<void> => {
  // The sandbox processes asynchronously: wait for the state, not for a time.
  while (!ok()) await new Promise((r) => setImmediate(r));
};

/** Loaded; handed over with BW/77305's mark accepted and not shown (NOT_CONFIRMED); the file taken by finance. */
async function acceptedNotShown(): Promise<{ p: Place; id: string; file: string }> {
  let hold: string | undefined;
  const p = await place(() => hold);
  const file = join(p.alma.dir, 'to-finance.csv');
  expect((await cli(p, [BATCH])).code).toBe(0);
  const id = byNumber(p, 'BW/77305').id;
  hold = id;
  const first = await cli(p, ['export', '--mark-in-erp', '-o', file]);
  expect(first.code, first.stderr).toBe(4);
  expect(first.doc!.invoices.find((i) => i.number === 'BW/77305')).toMatchObject({ status: 'failed', error: { code: 'NOT_CONFIRMED' } });
  expect(p.held).toHaveLength(1);
  expect(marksOf(p, id)).toBe(0);
  expect(idsIn(file)).toContain(id);
  hold = undefined; // from here on the proxy passes every request on
  renameSync(file, `${file}.taken`);
  return { p, id, file };
}

describe('export --mark-in-erp: a mark accepted and not shown, then rejected by finance and approved again', () => {
  it('the next run hands it over again once, into its file, and marks it; the run after hands over nothing', async () => {
    const { p, id, file } = await acceptedNotShown();
    // Alma carries the accepted mark out after the run gave up; finance rejects it; it is approved again.
    expect((await post(p, p.held[0]!.path)).ok).toBe(true);
    await until(() => byNumber(p, 'BW/77305').status === 'Ready to be Paid');
    const pay = await cli(p, ['payments', PAYMENTS]);
    expect(pay.code, pay.stderr).toBe(0);
    expect(byNumber(p, 'BW/77305').status).toBe('InReview');
    expect((await post(p, `/almaws/v1/acq/invoices/${id}?op=process_invoice`)).ok).toBe(true);
    await until(() => byNumber(p, 'BW/77305').status === 'Waiting to be Sent');

    const again = await cli(p, ['export', '--mark-in-erp', '-o', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => [i.number, i.status])).toEqual([['BW/77305', 'marked']]);
    expect(idsIn(file)).toEqual([id]);
    expect(marksOf(p, id)).toBe(2);
    expect(byNumber(p, 'BW/77305').status).toBe('Ready to be Paid');
    expect(again.doc!.issues.find((i) => i.code === 'handed_over_before')?.message).toContain(`handed over again in this file: BLACKWELL BW/77305 (id ${id})`);

    renameSync(file, `${file}.taken2`);
    const after = await cli(p, ['export', '--mark-in-erp', '-o', file]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc!.summary.invoices).toBe(0);
    expect(marksOf(p, id)).toBe(2);
  });

  it('never taken effect (no rejection since): still only confirmed, written into no other file, never marked again', async () => {
    const { p, id, file } = await acceptedNotShown();
    const next = await cli(p, ['export', '--mark-in-erp', '-o', file]);
    expect(next.code, next.stderr).toBe(4);
    expect(next.doc!.invoices.map((i) => [i.number, i.status, i.error?.code])).toEqual([['BW/77305', 'failed', 'NOT_CONFIRMED']]);
    expect(idsIn(file)).toEqual([]);
    expect(marksOf(p, id)).toBe(0);
  });

  it('its file taken, the next run to ANOTHER file (dated files): the invoice is held by the first file, written into no second file and not marked, with a warning', async () => {
    const { p, id, file } = await acceptedNotShown();
    const day2 = join(p.alma.dir, 'to-finance-day2.csv');
    const next = await cli(p, ['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.invoices.map((i) => i.number)).not.toContain('BW/77305');
    expect(idsIn(day2)).not.toContain(id);
    expect(marksOf(p, id)).toBe(0);
    const warning = next.doc!.issues.find((i) => i.code === 'held_by_other_run');
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toContain(`1 invoice is in ${file}, handed over by an export --mark-in-erp of `);
    expect(warning?.message).toContain(`whose mark (mark_in_erp) was sent and never seen done; not exported nor marked here, so that no invoice is in two files: BLACKWELL BW/77305 (id ${id})`);
    // Its own file's command confirms it, as before.
    const own = await cli(p, ['export', '--mark-in-erp', '-o', file]);
    expect(own.doc!.invoices.map((i) => [i.number, i.status, i.error?.code])).toEqual([['BW/77305', 'failed', 'NOT_CONFIRMED']]);
    expect(marksOf(p, id)).toBe(0);
  });

  it('rejected by payments after that mark and approved again: the next run to another file hands it over (not held)', async () => {
    const { p, id } = await acceptedNotShown();
    expect((await post(p, p.held[0]!.path)).ok).toBe(true);
    await until(() => byNumber(p, 'BW/77305').status === 'Ready to be Paid');
    expect((await cli(p, ['payments', PAYMENTS])).code).toBe(0);
    expect((await post(p, `/almaws/v1/acq/invoices/${id}?op=process_invoice`)).ok).toBe(true);
    await until(() => byNumber(p, 'BW/77305').status === 'Waiting to be Sent');
    const day2 = join(p.alma.dir, 'to-finance-day2.csv');
    const next = await cli(p, ['export', '--mark-in-erp', '-o', day2]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.doc!.invoices.map((i) => [i.number, i.status])).toEqual([['BW/77305', 'marked']]);
    expect(idsIn(day2)).toEqual([id]);
    expect(marksOf(p, id)).toBe(2);
    expect(next.doc!.issues.filter((i) => i.code === 'held_by_other_run')).toEqual([]);
  });
});
