/**
 * `export --mark-in-erp` and an invoice finance rejected (payments, op=rejected: back In Review)
 * that a librarian corrected and approved again (Waiting to be Sent): handed over again, into the
 * next file, and marked again — not left out for good because an earlier run marked it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDoc, runCli, type CliResult } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PAYMENTS = 'fixtures/round-trip/payments.csv'; // pays two, rejects BLACKWELL BW/77305
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function cli(args: string[]): Promise<CliResult & { doc?: LifecycleReport }> {
  const res = await runCli([...args, '--json', '--rate', '200'], {
    env: { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w!.stateDir },
  });
  return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
}

const byNumber = (n: string) => w!.sandbox.state().invoices.find((i) => i.number === n)!;
const marksOf = (id: string): number => w!.sandbox.state().counters.erpOps[id]?.['mark_in_erp'] ?? 0;
/** The invoice ids a CSV export file holds. */
const idsIn = (file: string): string[] => [...new Set(readFileSync(file, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0]!))].sort();

/** Loaded, handed over (every invoice marked), then BW/77305 rejected by finance and approved again in Alma. */
async function rejectedAndApprovedAgain(): Promise<{ id: string; file: string }> {
  w = await world();
  const out = join(w.dir, 'to-finance.csv');
  expect((await w.load([BATCH])).code).toBe(0);
  const first = await cli(['export', '--mark-in-erp', '-o', out]);
  expect(first.code, first.stderr).toBe(0);
  expect(first.doc!.summary).toMatchObject({ invoices: 5, marked: 5 });
  const pay = await cli(['payments', PAYMENTS]);
  expect(pay.code, pay.stderr).toBe(0);
  const bw = byNumber('BW/77305');
  expect(bw.status).toBe('InReview');
  const res = await fetch(`${w.sandbox.url}/almaws/v1/acq/invoices/${bw.id}?op=process_invoice`, {
    method: 'POST',
    headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.ok).toBe(true);
  // The sandbox processes asynchronously: wait for the state, not for a time.
  while (byNumber('BW/77305').status !== 'Waiting to be Sent') await new Promise((r) => setImmediate(r));
  return { id: bw.id, file: out };
}

describe('export --mark-in-erp: an invoice handed over, rejected by finance and approved again', () => {
  it('its file taken: the next run writes it into its file and marks it again, with a warning naming it', async () => {
    const { id, file } = await rejectedAndApprovedAgain();
    renameSync(file, `${file}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => [i.number, i.status])).toEqual([['BW/77305', 'marked']]);
    expect(idsIn(file)).toEqual([id]);
    expect(marksOf(id)).toBe(2);
    expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
    const warning = again.doc!.issues.find((i) => i.code === 'handed_over_before');
    expect(warning?.message).toContain(`handed over before, and rejected or reset in Alma since (Waiting to be Sent again): handed over again in this file: BLACKWELL BW/77305 (id ${id})`);
    // And only once: the run after hands over nothing.
    renameSync(file, `${file}.taken2`);
    const after = await cli(['export', '--mark-in-erp', '-o', file]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc!.summary.invoices).toBe(0);
    expect(marksOf(id)).toBe(2);
  });

  it('with --replace (finance reads the file in place): the next run writes it and marks it, not already done', async () => {
    const { id, file } = await rejectedAndApprovedAgain();
    expect(existsSync(file)).toBe(true);
    const again = await cli(['export', '--mark-in-erp', '--replace', '-o', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.map((i) => [i.number, i.status, i.workflow_status])).toEqual([['BW/77305', 'marked', 'Ready to be Paid']]);
    expect(idsIn(file)).toEqual([id]);
    expect(marksOf(id)).toBe(2);
    const after = await cli(['export', '--mark-in-erp', '--replace', '-o', file]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc!.summary.invoices).toBe(0);
    expect(marksOf(id)).toBe(2);
  });

  it('the same rejection file again once it was handed over again (finance rejects it again, same note): rejected again, once; given again before that, already done', async () => {
    const { id, file } = await rejectedAndApprovedAgain();
    // Given again while it waits to be sent (not handed over again): the rejection it records stands.
    const early = await cli(['payments', PAYMENTS]);
    expect(early.code, early.stderr).toBe(0);
    expect(early.doc!.summary).toMatchObject({ already_done: 3 });
    renameSync(file, `${file}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
    const rejectsOf = (): number => w!.sandbox.state().counters.erpOps[id]?.['rejected'] ?? 0;
    expect(rejectsOf()).toBe(1);
    // The next day finance sends the same file, byte for byte (written after the first rejection
    // was sent): BW/77305 is rejected again.
    const day2File = join(w!.dir, 'payments-day2.csv');
    copyFileSync(PAYMENTS, day2File);
    const plan = await cli(['payments', '--dry-run', '--online', day2File]);
    expect(plan.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'planned'],
    ]);
    const day2 = await cli(['payments', day2File]);
    expect(day2.code, day2.stderr).toBe(0);
    expect(day2.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'rejected'],
    ]);
    // Never silent: the row says its rejection had been applied before.
    const warning = day2.doc!.invoices[2]!.issues.find((p) => p.code === 'rejected_again');
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toMatch(/^rejected again: this file's rejection was already applied on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; the invoice had been handed over again since$/);
    expect(byNumber('BW/77305').status).toBe('InReview');
    expect(rejectsOf()).toBe(2);
    // And only once: given again, nothing is sent.
    const day3 = await cli(['payments', day2File]);
    expect(day3.code, day3.stderr).toBe(0);
    expect(day3.doc!.summary).toMatchObject({ already_done: 3 });
    expect(rejectsOf()).toBe(2);
  });

  it('an old rejection file given again (there before its rejection was sent: a nightly job re-reading its folder) does not reject the invoice handed over again since', async () => {
    const { id, file } = await rejectedAndApprovedAgain();
    // The same file (the same journal), dated before its rejection was sent (by rejectedAndApprovedAgain).
    const day1 = join(w!.dir, 'reject-day1.csv');
    copyFileSync(PAYMENTS, day1);
    utimesSync(day1, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    renameSync(file, `${file}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
    const rejectsOf = (): number => w!.sandbox.state().counters.erpOps[id]?.['rejected'] ?? 0;
    const plan = await cli(['payments', '--dry-run', '--online', day1]);
    expect(plan.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'already_done'],
    ]);
    // Not silent: the invoice waits for an answer already given, if finance's new file came with an old date.
    const warned = (doc: typeof plan.doc) => doc!.invoices.map((i) => [i.number, i.issues.filter((p) => p.code === 'rejected_again').map((p) => p.message.slice(0, 60))]);
    expect(warned(plan.doc)).toEqual([
      ['HA-2025-00520', []],
      ['EBS-9107-25', []],
      ['BW/77305', ['not rejected again: Alma shows the invoice Ready to be Paid ']],
    ]);
    const old = await cli(['payments', day1]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.doc!.summary).toMatchObject({ already_done: 3 });
    expect(warned(old.doc)).toEqual(warned(plan.doc));
    expect(rejectsOf()).toBe(1);
    // Still waiting for finance's answer: its payment goes through.
    expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
  });

  it('killed after the new round was journaled and before its send, then paid by finance: the file given again is already done, not WRONG_STATUS forever', async () => {
    const { id, file } = await rejectedAndApprovedAgain();
    renameSync(file, `${file}.taken`);
    expect((await cli(['export', '--mark-in-erp', '-o', file])).code).toBe(0);
    expect(byNumber('BW/77305').status).toBe('Ready to be Paid');
    // What a run of finance's new file killed between journaling the round (rejected_again) and
    // its send leaves: the payments journal of that content (the only one) with the round begun.
    const journals = readdirSync(join(w!.stateDir, 'journals')).filter((n) => n.startsWith('payments-') && n.endsWith('.jsonl'));
    expect(journals).toHaveLength(1);
    appendFileSync(
      join(w!.stateDir, 'journals', journals[0]!),
      JSON.stringify({ t: 'op', vendor: 'BLACKWELL', number: 'BW/77305', op: 'rejected_again', id, outcome: 'done', batch: '2026-12-07T10:00:00.000Z' }) + '\n',
    );
    // Finance then pays it (another file): Closed.
    const paid = join(w!.dir, 'paid.csv');
    writeFileSync(paid, 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency,note\nBLACKWELL,BW/77305,paid,V-9,2026-12-07,100.00,,\n');
    const pay = await cli(['payments', paid]);
    expect(pay.code, pay.stderr).toBe(0);
    expect(byNumber('BW/77305').status).toBe('CLOSED');
    const rejectsOf = (): number => w!.sandbox.state().counters.erpOps[id]?.['rejected'] ?? 0;
    // The rejection file given again (written after the first rejection): its rejection stands.
    const again = join(w!.dir, 'payments-again.csv');
    copyFileSync(PAYMENTS, again);
    const plan = await cli(['payments', '--dry-run', '--online', again]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'already_done'],
    ]);
    const res = await cli(['payments', again]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.doc!.invoices.map((i) => [i.number, i.status, i.error?.code])).toEqual([
      ['HA-2025-00520', 'already_done', undefined],
      ['EBS-9107-25', 'already_done', undefined],
      ['BW/77305', 'already_done', undefined],
    ]);
    expect(rejectsOf()).toBe(1);
    expect(byNumber('BW/77305').status).toBe('CLOSED');
  });
});
