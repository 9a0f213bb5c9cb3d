/**
 * After the load, against the sandbox over loopback: `export` (with `--mark-in-erp`) and
 * `payments`, checked from the sandbox's own counters — every invoice marked at most once, paid
 * or rejected at most once, under every fault kind on the new writes and under kills.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shortHash } from '../../src/cli/journals.js';
import { closedPort, jsonDoc, runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';
import { EXPORT_COLUMNS } from '../../src/report/export-file.js';

const BATCH = 'fixtures/round-trip/batch.csv';
const PAYMENTS = 'fixtures/round-trip/payments.csv';
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function cli(args: string[], stateDir?: string): Promise<CliResult & { doc?: LifecycleReport }> {
  const res = await runCli([...args, '--json', '--rate', '200'], {
    env: { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir ?? w!.stateDir },
  });
  return { ...res, doc: jsonDoc<LifecycleReport>(res.stdout) };
}

/** Loads the round-trip batch: four invoices waiting to be sent (plus the seed's one). */
async function loaded(opts: Parameters<typeof world>[0] = {}): Promise<World> {
  w = await world(opts);
  const res = await w.load([BATCH]);
  expect(res.code, res.stderr).toBe(0);
  return w;
}

const ops = (w: World): Record<string, Record<string, number>> => w.sandbox.state().counters.erpOps;
const maxPerOp = (w: World): number => Math.max(0, ...Object.values(ops(w)).flatMap((o) => Object.values(o)));
const byNumber = (w: World, n: string) => w.sandbox.state().invoices.find((i) => i.number === n)!;

/**
 * A folder `finance` in the world's folder and a symlink `share` to it: the export file by the
 * folder's path (`out`) and through the link (`via`), and the file's identity (cli/output-identity.ts).
 */
function symlinkedFolder(w: World): { out: string; via: string; identity: string } {
  mkdirSync(join(w.dir, 'finance'));
  symlinkSync(join(w.dir, 'finance'), join(w.dir, 'share'));
  return { out: join(w.dir, 'finance', 'to-finance.csv'), via: join(w.dir, 'share', 'to-finance.csv'), identity: join(realpathSync(join(w.dir, 'finance')), 'to-finance.csv') };
}

/**
 * The export journals of `identity` renamed as a loader before it named them — by the path as
 * resolved (`spelled`) — and their headers with it: what an upgrade finds in the state folder.
 */
function asBeforeIdentity(w: World, spelled: string, identity: string): void {
  const dir = join(w.stateDir, 'journals');
  const names: [string, string][] = [[shortHash(identity), shortHash(resolve(spelled))]];
  for (const status of ['Waiting to be Sent']) names.push([shortHash(`${status}\u0000${identity}`), shortHash(`${status}\u0000${resolve(spelled)}`)]);
  let renamed = 0;
  for (const file of readdirSync(dir)) {
    for (const [now, before] of names) {
      if (!file.endsWith(`-${now}.jsonl`)) continue;
      const text = readFileSync(join(dir, file), 'utf8').replace(`"batch":"${now}"`, `"batch":"${before}"`);
      writeFileSync(join(dir, file.replace(now, before)), text);
      rmSync(join(dir, file));
      renamed++;
    }
  }
  expect(renamed).toBe(2);
}


/**
 * `export --mark-in-erp` to `out`, killed once two invoices are marked; reads the invoice
 * numbers its file holds.
 */
async function exportKilledAfterTwoMarks(world: World, out: string): Promise<() => string[]> {
  // The key the other commands of these tests use (`cli`): another key is another place (README "Exactly once").
  const env = { ALMA_API_URL: world.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: world.stateDir };
  const run = spawnCli(['export', '--mark-in-erp', '--concurrency', '1', '--rate', '200', '-o', out], { env });
  let err = '';
  await new Promise<void>((resolve) =>
    run.child.stderr.on('data', (d: Buffer) => {
      err += String(d);
      if ((err.match(/: marked/g) ?? []).length >= 2) resolve();
    }),
  );
  run.child.kill('SIGKILL');
  await run.done;
  return () => [...new Set(readFileSync(out, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[1]!))].sort();
}

describe('export', () => {
  it('writes one CSV row per line and fund distribution with invoice_id and line_id, then marks each invoice once', async () => {
    await loaded();
    const out = join(w!.dir, 'to-finance.csv');
    const res = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(res.code, res.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    // The first layout's columns first; the charges, VAT and line fields after them (README, export).
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(lines[0]).toMatch(
      /^invoice_id,invoice_number,invoice_date,invoice_due_date,vendor,vendor_account,total_amount,currency,payment_method,reference_number,owner,line_id,line_number,line_type,po_line,price,quantity,line_note,fund_code,fund_percent,fund_amount,vat_type,/,
    );
    const ha = lines.filter((l) => l.includes(',HA-2025-00520,'));
    expect(ha).toHaveLength(2);
    expect(ha[0]).toMatch(/^\d+,HA-2025-00520,2025-04-03,,HARRAS,HARRAS-EUR,876.4,EUR,BANKTRANSFER,,\w+,\d+,1,REGULAR,POL-1006,780,1,,CHEM,100,780,INCLUSIVE,/);
    expect(res.doc!.summary).toMatchObject({ invoices: 5, marked: 5, failed: 0 });
    expect(res.doc).toMatchObject({ command: 'export', output: out, inputs: [], version: expect.any(String) });
    expect(maxPerOp(w!)).toBe(1);
    expect(byNumber(w!, 'HA-2025-00520').status).toBe('Ready to be Paid');
    // The file is the hand-over: while it is there as written, a re-run does not replace it (its
    // invoices are marked, so no later export lists them again) — exit 2, no report.
    const handed = readFileSync(out, 'utf8');
    const refused = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^invoice-load: .*to-finance\.csv still holds, unchanged, the 5 invoices that the export of \d{4}-\d\d-\d\d \d\d:\d\d UTC marked in Alma .*--replace/);
    expect(readFileSync(out, 'utf8')).toBe(handed);
    expect(refused.stdout).toBe('');
    // a plain export (no marks) must not replace it either, nor one of another status
    expect((await cli(['export', '-o', out])).code).toBe(2);
    expect((await cli(['export', '--status', 'In Review', '-o', out])).code).toBe(2);
    // --replace (the finance system reads it in place): nothing waiting, an empty file, no mark
    const again = await cli(['export', '--mark-in-erp', '--replace', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.summary.invoices).toBe(0);
    expect(maxPerOp(w!)).toBe(1);
    // that file holds no marked invoice: the next run replaces it without being asked
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
  });

  it.each([
    ['by the folder, then through a symlink to it', 'out', 'via'],
    ['through the symlink, then by the folder', 'via', 'out'],
  ] as const)('the hand-over is one file however its folder is reached: written %s, refused as well, unchanged', async (_name, first, then) => {
    await loaded();
    const paths = symlinkedFolder(w!);
    expect((await cli(['export', '--mark-in-erp', '-o', paths[first]])).code).toBe(0);
    const handed = readFileSync(paths.out, 'utf8');
    const refused = await cli(['export', '--mark-in-erp', '-o', paths[then]]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^invoice-load: .*\/to-finance\.csv still holds, unchanged, the 5 invoices that the export of .* marked in Alma .*--replace/);
    expect(refused.stderr).toContain(`${paths[then]} still holds`);
    expect((await cli(['export', '-o', paths[then]])).code).toBe(2);
    expect(readFileSync(paths.out, 'utf8')).toBe(handed);
    expect(maxPerOp(w!)).toBe(1);
  });

  it('a hand-over journaled by a loader that named it by the path as given (before an upgrade) is still guarded', async () => {
    await loaded();
    const { via, identity } = symlinkedFolder(w!);
    expect((await cli(['export', '--mark-in-erp', '-o', via])).code).toBe(0);
    asBeforeIdentity(w!, via, identity);
    const refused = await cli(['export', '--mark-in-erp', '-o', via]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/share\/to-finance\.csv still holds, unchanged, the 5 invoices that the export of .* marked in Alma/);
  });

  it('a hand-over file the finance system changed (a status column it added) or took (moved away) is no reason to stop', async () => {
    await loaded();
    const out = join(w!.dir, 'to-finance.csv');
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8') + 'taken\r\n');
    const changed = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.doc!.summary.invoices).toBe(0);
    // that run's file holds no marked invoice: moved away or not, the next goes ahead
    renameSync(out, `${out}.taken`);
    expect((await cli(['export', '--mark-in-erp', '-o', out])).code).toBe(0);
  });

  it('--status takes a code in any case or a UI label; one Alma does not have is exit 2, nothing asked or written', async () => {
    await loaded();
    const before = w!.sandbox.state().counters.requestsTotal;
    const out = join(w!.dir, 'bogus.csv');
    const bad = await cli(['export', '--status', 'Waiting to be paid', '-o', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status "Waiting to be paid" is not one of Alma\'s invoice workflow status codes: ');
    expect(existsSync(out)).toBe(false);
    expect(w!.sandbox.state().counters.requestsTotal).toBe(before);
    const lower = await cli(['export', '--status', 'waiting to be sent', '-o', out]);
    expect(lower.code, lower.stderr).toBe(0);
    expect(lower.doc!.summary.exported).toBe(5);
  });

  it('JSON by extension; --dry-run lists and writes nothing; without --mark-in-erp nothing is marked', async () => {
    await loaded();
    const out = join(w!.dir, 'x.json');
    const dry = await cli(['export', '--dry-run', '-o', out]);
    expect(dry.code).toBe(0);
    expect(dry.doc!.summary.planned).toBe(5);
    expect(existsSync(out)).toBe(false);
    const res = await cli(['export', '-o', out]);
    expect(res.code).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as { invoice_number: string; line_id: string }[];
    expect(rows.filter((r) => r.invoice_number === 'G-25301')).toHaveLength(2);
    expect(res.doc!.summary.exported).toBe(5);
    expect(ops(w!)).toEqual({});
  });

  it('with handle_invoice_payment off, a marked invoice is closed', async () => {
    await loaded({ handleInvoicePayment: false });
    const res = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')]);
    expect(res.code).toBe(0);
    expect(byNumber(w!, 'EBS-9107-25').status).toBe('CLOSED');
  });

  it('a run killed after some marks: the next run\'s file holds every invoice of the cut-short one, marked or not, each marked once', async () => {
    await loaded({ latencyMs: 100 });
    const out = join(w!.dir, 'cut.csv');
    const inFile = await exportKilledAfterTwoMarks(w!, out);
    const first = inFile();
    expect(first).toHaveLength(5);
    const marked = Object.values(ops(w!)).filter((o) => o['mark_in_erp'] === 1).length;
    expect(marked).toBeGreaterThanOrEqual(2);
    expect(marked).toBeLessThan(5);
    // Its file holds invoices already marked: another export to that path (here a plain one) may
    // not replace it; the same command may, as it carries them into its own file.
    const other = await cli(['export', '-o', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/cut\.csv still holds, unchanged, the 5 invoices that the export of .* \(status Waiting to be Sent\) was marking in Alma when it was cut short/);
    expect(inFile()).toEqual(first);
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    // the file in place still holds the two marked before the kill (finance has them, whichever file it took)
    expect(inFile()).toEqual(first);
    expect(again.doc!.summary).toMatchObject({ invoices: 5, failed: 0 });
    expect(again.doc!.summary.already_done).toBeGreaterThanOrEqual(2);
    expect(maxPerOp(w!)).toBe(1);
    // that run ended whole: once the finance system took its file, the next carries nothing over
    renameSync(out, `${out}.taken`);
    const third = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(third.code).toBe(0);
    expect(third.doc!.summary.invoices).toBe(0);
  });

  it('a run cut short before an upgrade: the next run, under the new journal names, still carries every invoice of its file', async () => {
    await loaded({ latencyMs: 100 });
    const { via, identity } = symlinkedFolder(w!);
    const inFile = await exportKilledAfterTwoMarks(w!, via);
    const first = inFile();
    expect(first).toHaveLength(5);
    asBeforeIdentity(w!, via, identity);
    // another export to that file is refused (the old hand-over journal is read) ...
    expect((await cli(['export', '-o', via])).code).toBe(2);
    // ... and the same command, which may replace it, carries every invoice of it (the old export journal is read)
    const again = await cli(['export', '--mark-in-erp', '-o', via]);
    expect(again.code, again.stderr).toBe(0);
    expect(inFile()).toEqual(first);
    expect(again.doc!.summary).toMatchObject({ invoices: 5, failed: 0 });
    expect(maxPerOp(w!)).toBe(1);
    // read once: that run ended whole, so once its file is taken the next carries nothing over
    renameSync(via, `${via}.taken`);
    const third = await cli(['export', '--mark-in-erp', '-o', via]);
    expect(third.code).toBe(0);
    expect(third.doc!.summary.invoices).toBe(0);
  });

  it('invoice_not_unique=true: two invoices of one vendor and number are each exported and marked, and not exported again', async () => {
    await loaded({ allowDuplicates: true });
    // a second GOBI G-25301, as an institution that allows repeated numbers can hold
    const api = `${w!.sandbox.url}/almaws/v1/acq/invoices`;
    const post = async (url: string, body: unknown): Promise<{ id?: string }> =>
      (await (await fetch(url, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id?: string };
    const { id } = await post(api, { number: 'G-25301', invoice_date: '2025-04-02Z', vendor: { value: 'GOBI' }, total_amount: 189.95, currency: { value: 'USD' } });
    await post(`${api}/${id}/lines`, { number: '1', po_line: 'POL-1002', price: 189.95, fund_distribution: [{ fund_code: { value: 'BIO' }, percent: 100 }] });
    await post(`${api}/${id}?op=process_invoice`, {});
    await new Promise((r) => setTimeout(r, 200));
    const twins = w!.sandbox.state().invoices.filter((i) => i.number === 'G-25301');
    expect(twins.map((i) => i.status)).toEqual(['Waiting to be Sent', 'Waiting to be Sent']);
    const out = join(w!.dir, 'twins.csv');
    const res = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.doc!.summary).toMatchObject({ invoices: 6, marked: 6 });
    for (const t of twins) expect(ops(w!)[t.id]?.['mark_in_erp']).toBe(1);
    renameSync(out, `${out}.taken`);
    const again = await cli(['export', '--mark-in-erp', '-o', out]);
    expect(again.doc!.summary.invoices).toBe(0);
    expect(maxPerOp(w!)).toBe(1);
  });

  for (const kind of ['lost_after', 'error_after', 'timeout', 'error_before', 'drop_before', 'throttle'] as const) {
    it(`a mark whose answer is lost (${kind}) is read back, never sent twice`, async () => {
      await loaded({ timeoutHoldMs: 2_000 });
      w!.sandbox.setFaults({ faults: [{ step: 'erp', kind, match: 'EBS-9107-25', times: 1 }] });
      // --poll-timeout bounds the reads after a lost answer too (10 s at most): short here, so a
      // mark that never reached Alma (error_before, drop_before) is sent again at once.
      const res = await cli(['export', '--mark-in-erp', '--timeout', '1', '--poll-timeout', '0.5', '-o', join(w!.dir, 'e.csv')]);
      expect(res.code, res.stderr).toBe(0);
      expect(w!.sandbox.state().counters.faults[kind]).toBe(1);
      expect(maxPerOp(w!)).toBe(1);
      expect(res.doc!.summary.marked + res.doc!.summary.already_done).toBe(5);
    });
  }
});

describe('payments', () => {
  it('every problem of the file before anything is sent: dates, amounts, currency, status, a rejection without a note', async () => {
    w = await world();
    const path = join(w.dir, 'p.csv');
    writeFileSync(
      path,
      [
        'vendor,invoice_number,invoice_id,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency,note',
        'HARRAS,HA-1,,paid,V1,2025-02-30,10.00,EUR,',
        'HARRAS,HA-2,,paid,V2,2025-02-03,10.005,EUR,',
        'HARRAS,HA-3,,paid,V3,2025-02-03,10.00,EURO,',
        'HARRAS,HA-4,,refunded,,,,,',
        'HARRAS,HA-5,,rejected,,,,,',
        ',,12ab,paid,V6,2025-02-03,1,USD,',
        'HARRAS,HA-7,,paid,,,,,',
        'HARRAS,HA-1,,rejected,,,,,again',
      ].join('\n') + '\n',
    );
    const res = await cli(['payments', path]);
    expect(res.code).toBe(3);
    const found = res.doc!.invoices.flatMap((i) => i.issues.map((p) => `${p.row}:${p.column}:${p.code}`));
    expect(found).toEqual(
      expect.arrayContaining([
        '2:voucher_date:invalid_date',
        '3:voucher_amount:too_many_decimals',
        '4:voucher_currency:invalid_currency',
        '5:payment_status:invalid_payment_status',
        '6:note:missing_note',
        '7:invoice_id:invalid_invoice_id',
        '8:voucher_number:missing_value',
        '8:voucher_date:missing_value',
        '8:voucher_amount:missing_value',
        '9:invoice_number:duplicate_payment',
      ]),
    );
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('every row against Alma before anything is sent: an unknown invoice, one invoice named twice (by id and by number), sub-cent amounts in the invoice\'s currency; a total that differs is a warning', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const ha = byNumber(w!, 'HA-2025-00520');
    const path = join(w!.dir, 'against.csv');
    const rows = (extra: string[]): void =>
      writeFileSync(
        path,
        [
          'vendor,invoice_number,invoice_id,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency,note',
          'EBSCO,EBS-9107-25,,paid,V1,2025-05-01,340.00,USD,',
          ...extra,
        ].join('\n') + '\n',
      );
    rows([
      'GOBI,G-NOPE,,paid,V2,2025-05-01,10.00,USD,',
      `,,${ha.id},rejected,,,,,wrong bank`,
      'HARRAS,HA-2025-00520,,paid,V3,2025-05-01,876.40,EUR,',
      'BLACKWELL,BW/77305,,paid,V4,2025-05-01,68.245,,',
    ]);
    const res = await cli(['payments', path]);
    expect(res.code, res.stderr).toBe(3);
    const found = res.doc!.invoices.flatMap((i) => i.issues.map((p) => `${p.row}:${p.column}:${p.code}:${p.severity}`));
    expect(found).toEqual(['3:invoice_number:invoice_not_found:error', '5:invoice_number:duplicate_payment:error', '6:voucher_amount:too_many_decimals:error']);
    expect(res.doc!.invoices.find((i) => i.rows[0]!.row === 5)!.issues[0]!.message).toBe(
      `this is invoice HARRAS HA-2025-00520 (id ${ha.id}), already confirmed on row 4 (named by id ${ha.id}); each invoice is paid or rejected once`,
    );
    // the row by id is shown by the vendor and number Alma holds
    expect(res.doc!.invoices.find((i) => i.rows[0]!.row === 4)).toMatchObject({ vendor: 'HARRAS', number: 'HA-2025-00520' });
    expect(res.stderr).toContain('Nothing was written to Alma (only look-ups were sent)');
    expect(Object.values(ops(w!)).some((o) => 'paid' in o || 'rejected' in o)).toBe(false);
    // an amount that is not the invoice's total: said, and sent as given
    rows([]);
    writeFileSync(path, readFileSync(path, 'utf8').replace('340.00', '339.50'));
    const differs = await cli(['payments', path]);
    expect(differs.code, differs.stderr).toBe(0);
    expect(differs.doc!.invoices[0]!.issues.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['amount_differs', 'warning', "voucher_amount 339.50 USD is not the invoice's total, 340.00 USD; sent as given"],
    ]);
    expect(differs.doc!.summary.paid).toBe(1);
  });

  it('pays and rejects once: paid invoices closed with the voucher, the rejected one back in review with its alert and note; a re-run is already_done', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const dry = await cli(['payments', '--dry-run', '--online', PAYMENTS]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.doc!.summary.planned).toBe(3);
    expect(Object.values(ops(w!)).some((o) => 'paid' in o || 'rejected' in o)).toBe(false);
    const res = await cli(['payments', PAYMENTS]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.doc!.summary).toMatchObject({ invoices: 3, paid: 2, rejected: 1, failed: 0 });
    // the run's fields a load's report has
    expect(res.doc).toMatchObject({ target: 'alma', version: expect.stringMatching(/^\d+\.\d+\.\d+/), inputs: [{ file: PAYMENTS, format: 'csv', bytes: expect.any(Number) }] });
    expect(Date.parse(res.doc!.finished!) - Date.parse(res.doc!.started!)).toBeGreaterThanOrEqual(0);
    expect(typeof res.doc!.duration_s).toBe('number');
    const ha = byNumber(w!, 'HA-2025-00520');
    expect([ha.status, ha.base_status, ha.payment.status, ha.payment.voucher_number, ha.payment.voucher_amount]).toEqual(['CLOSED', 'CLOSED', 'PAID', 'V-2025-0412', '876.4']);
    const bw = byNumber(w!, 'BW/77305');
    expect([bw.status, bw.alerts]).toEqual(['InReview', ['INVOICE_WAS_REJECTED_BY_ERP']]);
    expect(bw.notes.join(' ')).toMatch(/bank details missing/);
    // A lost journal: each invoice is read first and found done.
    const again = await cli(['payments', PAYMENTS], join(w!.dir, 'fresh'));
    expect(again.code).toBe(0);
    expect(again.doc!.summary.already_done).toBe(3);
    expect(maxPerOp(w!)).toBe(1);
  });

  it('a voucher given no currency is sent in the invoice\'s', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const path = join(w!.dir, 'no-currency.csv');
    writeFileSync(path, 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\nHARRAS,HA-2025-00520,paid,V-1,2025-05-01,876.40,\n');
    const res = await cli(['payments', path]);
    expect(res.code, res.stderr).toBe(0);
    const ha = byNumber(w!, 'HA-2025-00520');
    expect([ha.currency, ha.payment.voucher_currency]).toEqual(['EUR', 'EUR']);
  });

  it('a payment in another currency than the invoice\'s (JPY on a USD invoice) is an error on its row, nothing sent, exit 3', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const path = join(w!.dir, 'jpy.csv');
    writeFileSync(path, 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\nEBSCO,EBS-9107-25,paid,V-1,2025-05-01,340.00,JPY\n');
    const res = await cli(['payments', path]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.doc!.invoices[0]!.issues.map((p) => [p.file, p.row, p.column, p.code, p.severity])).toEqual([[path, 2, 'voucher_currency', 'currency_differs', 'error']]);
    expect(byNumber(w!, 'EBS-9107-25').payment.status).toBe('NOT_PAID');
    expect(Object.values(ops(w!)).some((o) => 'paid' in o)).toBe(false);
  });

  it('a payment whose answer is lost and whose read back then fails (402459) is OUTCOME_UNKNOWN with the read\'s error, not a plain read failure; the same command reads first and sends nothing again', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    // Reads before the fault: the look-up, and the first read after the claim (cli/payments.ts).
    w!.sandbox.setFaults({ faults: [{ step: 'erp', kind: 'lost_after', match: 'HA-2025-00520', times: 1 }, { step: 'poll', kind: 'business', match: 'HA-2025-00520', after: 2 }] });
    const res = await cli(['payments', '--timeout', '1', '--poll-timeout', '0.5', PAYMENTS]);
    expect(res.code, res.stderr).toBe(4);
    const ha = res.doc!.invoices.find((i) => i.number === 'HA-2025-00520')!;
    expect(ha).toMatchObject({ status: 'failed', error: { code: 'OUTCOME_UNKNOWN', http_status: 0, tracking_id: expect.any(String), message: expect.stringContaining('reading the invoice back then failed (HTTP 400, 402459: Error while trying to retrieve invoice.)') } });
    expect(ha.error!.message).toMatch(/^op=paid was sent and its answer lost/);
    w!.sandbox.setFaults({ faults: [] });
    const again = await cli(['payments', PAYMENTS]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc!.invoices.find((i) => i.number === 'HA-2025-00520')!.status).toBe('paid');
    expect(maxPerOp(w!)).toBe(1);
  });

  it('--dry-run --online reads the journal as the real run does: a rejection this file gave, of an invoice handed over again since, is planned — the real run rejects it again, once', async () => {
    await loaded({ processDelayMs: 0 });
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    expect((await cli(['payments', PAYMENTS])).doc!.summary).toMatchObject({ paid: 2, rejected: 1 });
    // The rejected invoice corrected in Alma, processed again and handed over again: waiting for
    // payment, no alert — the rejection's effect gone from the invoice, not from the journal.
    const bw = byNumber(w!, 'BW/77305');
    const res = await fetch(`${w!.sandbox.url}/almaws/v1/acq/invoices/${bw.id}?op=process_invoice`, { method: 'POST', headers: { authorization: 'apikey k', accept: 'application/json', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'again.csv')])).doc!.summary).toMatchObject({ invoices: 1, marked: 1 });
    expect([byNumber(w!, 'BW/77305').status, byNumber(w!, 'BW/77305').alerts]).toEqual(['Ready to be Paid', []]);
    // Finance's answer to the new hand-over: the same rows, byte for byte, in a file written after
    // the first rejection was sent (the same journal: an older file's rejection stands).
    const again = join(w!.dir, 'payments-again.csv');
    copyFileSync(PAYMENTS, again);
    const dry = await cli(['payments', '--dry-run', '--online', again]);
    expect(dry.code, dry.stderr).toBe(0);
    const real = await cli(['payments', again]);
    expect(real.code, real.stderr).toBe(0);
    for (const [doc, bw] of [[dry.doc!, 'planned'], [real.doc!, 'rejected']] as const) expect(doc.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'already_done'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', bw],
    ]);
    // Marked twice (handed over again), paid once each, BW/77305 rejected once for each hand-over.
    expect(Object.values(ops(w!)).map((o) => [o['paid'] ?? 0, o['rejected'] ?? 0] as const).filter(([p, r]) => p + r > 0).sort()).toEqual([[0, 2], [1, 0], [1, 0]]);
    // Given again, nothing more is sent.
    expect((await cli(['payments', again])).doc!.summary).toMatchObject({ already_done: 3 });
    expect(Object.values(ops(w!)).reduce((n, o) => n + (o['rejected'] ?? 0), 0)).toBe(2);
  });

  it('--dry-run --online reads the journal as the real run does: a payment sent by an earlier run, its answer lost and Alma showing it, is planned — the real run reports it paid, not already_done', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    // Sent and its answer lost, the read back failing: the journal holds the send pending (OUTCOME_UNKNOWN).
    w!.sandbox.setFaults({ faults: [{ step: 'erp', kind: 'lost_after', match: 'HA-2025-00520', times: 1 }, { step: 'poll', kind: 'business', match: 'HA-2025-00520', after: 2 }] });
    const first = await cli(['payments', '--timeout', '1', '--poll-timeout', '0.5', PAYMENTS]);
    expect(first.doc!.invoices.find((i) => i.number === 'HA-2025-00520')!.error!.code).toBe('OUTCOME_UNKNOWN');
    w!.sandbox.setFaults({ faults: [] });
    expect(byNumber(w!, 'HA-2025-00520').payment.status).toBe('PAID');
    const dry = await cli(['payments', '--dry-run', '--online', PAYMENTS]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'planned'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'already_done'],
    ]);
    const real = await cli(['payments', PAYMENTS]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.doc!.invoices.map((i) => [i.number, i.status])).toEqual([
      ['HA-2025-00520', 'paid'],
      ['EBS-9107-25', 'already_done'],
      ['BW/77305', 'already_done'],
    ]);
    expect(maxPerOp(w!)).toBe(1);
  });

  it('a corrected file for an invoice paid already with its voucher (another amount and date) fails PAYMENT_DIFFERS naming both, not already_done; nothing sent', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const head = 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\n';
    const first = join(w!.dir, 'first.csv');
    writeFileSync(first, `${head}HARRAS,HA-2025-00520,paid,V-2,2025-05-01,1.00,EUR\n`);
    expect((await cli(['payments', first])).code).toBe(0);
    const corrected = join(w!.dir, 'corrected.csv');
    writeFileSync(corrected, `${head}HARRAS,HA-2025-00520,paid,V-2,2025-05-03,876.40,EUR\n`);
    const want =
      'invoice HA-2025-00520 is already closed and paid with voucher V-2, but Alma shows voucher_amount 1.00 EUR where the row has 876.40 EUR, ' +
      'voucher_date 2025-05-01 where the row has 2025-05-03; left unchanged: correct the payment in Alma, or the row';
    const dry = await cli(['payments', '--dry-run', '--online', corrected]);
    expect(dry.code, dry.stderr).toBe(3);
    const res = await cli(['payments', corrected]);
    expect(res.code, res.stderr).toBe(4);
    for (const doc of [dry.doc!, res.doc!]) expect(doc.invoices[0]).toMatchObject({ status: 'failed', error: { code: 'PAYMENT_DIFFERS', message: want } });
    expect(byNumber(w!, 'HA-2025-00520').payment.voucher_amount).toBe('1');
    expect(maxPerOp(w!)).toBe(1);
  });

  it('a --report that cannot be written, or names another kind of file, stops payments and export before anything is sent (exit 2)', async () => {
    await loaded();
    const before = w!.sandbox.state().counters.requestsTotal;
    const notAFolder = join(w!.dir, 'e.csv');
    writeFileSync(notAFolder, '');
    const pay = await cli(['payments', PAYMENTS, '--report', join(notAFolder, 'paid.json')]);
    expect(pay.code, pay.stderr).toBe(2);
    expect(pay.stderr).toMatch(/cannot write --report .*paid\.json: a part of the path is a file, not a folder; nothing was sent/);
    const exp = await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'erp.csv'), '--report', join(w!.dir, 'erp.csv')]);
    expect(exp.code, exp.stderr).toBe(2);
    expect(exp.stderr).toMatch(/--output .*erp\.csv: --report writes that file too/);
    const named = await cli(['payments', PAYMENTS, '--report', join(w!.dir, 'paid.csv')]);
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toMatch(/not CSV; name it \.json/);
    // Not one request: nothing read, marked or paid.
    expect(w!.sandbox.state().counters.requestsTotal).toBe(before);
    expect(Object.keys(ops(w!))).toEqual([]);
  });

  it('a --report that cannot be written once payments were sent is not exit 2 (which says nothing was sent): the run\'s own code, a success becoming 1', async () => {
    // Slow answers, so the report's folder can be made a file after the paths were checked and
    // the first payment went, while the others are still on their way.
    await loaded({ latencyMs: 150 });
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    const late = join(w!.dir, 'late');
    mkdirSync(late);
    const run = spawnCli(['payments', PAYMENTS, '--json', '--rate', '200', '--report', join(late, 'paid.json')], {
      env: { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w!.stateDir },
    });
    const paidOps = (): number => Object.values(ops(w!)).reduce((n, o) => n + (o['paid'] ?? 0) + (o['rejected'] ?? 0), 0);
    while (paidOps() === 0) await new Promise((r) => setTimeout(r, 5));
    rmSync(late, { recursive: true });
    writeFileSync(late, 'not a folder');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`cannot write the report to ${join(late, 'paid.json')}: ${late} is not a folder`);
    expect(res.stderr).toContain('what it sent is in the journal, and the JSON document on standard output is its record');
    expect((JSON.parse(res.stdout) as LifecycleReport).summary).toMatchObject({ paid: 2, rejected: 1, failed: 0 });
    // The same command, the folder put back: nothing sent again, the report written.
    rmSync(late);
    mkdirSync(late);
    const again = await cli(['payments', PAYMENTS, '--report', join(late, 'paid.json')]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(late, 'paid.json'))).toBe(true);
    expect(maxPerOp(w!)).toBe(1);
  });

  it('an invoice not waiting for payment fails with the reason, and nothing is sent for it; the dry run says so too', async () => {
    await loaded();
    // Not handed over yet (Waiting to be Sent): each row fails, saying how to hand it over.
    const hint = /not yet handed over to finance; hand it over first: invoice-load export --mark-in-erp$/;
    const dry = await cli(['payments', '--dry-run', '--online', PAYMENTS]);
    expect(dry.code, dry.stderr).toBe(3);
    const early = await cli(['payments', PAYMENTS]);
    expect(early.code, early.stderr).toBe(4);
    for (const doc of [dry.doc!, early.doc!]) {
      expect(doc.invoices.map((i) => [i.status, i.error?.code])).toEqual([
        ['failed', 'WRONG_STATUS'],
        ['failed', 'WRONG_STATUS'],
        ['failed', 'WRONG_STATUS'],
      ]);
      for (const i of doc.invoices) expect(i.error!.message).toMatch(hint);
    }
    expect(Object.keys(ops(w!))).toEqual([]);
    // Handed over and paid; the same invoice paid again with another voucher is refused.
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    expect((await cli(['payments', PAYMENTS])).code).toBe(0);
    const path = join(w!.dir, 'other.csv');
    writeFileSync(path, 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount\nHARRAS,HA-2025-00520,paid,V-OTHER,2025-05-01,876.40\n');
    const other = await cli(['payments', path]);
    expect(other.code).toBe(4);
    expect(other.doc!.invoices[0]!.error).toMatchObject({ code: 'CLOSED_OTHER_VOUCHER' });
    expect(maxPerOp(w!)).toBe(1);
  });

  for (const kind of ['lost_after', 'error_after', 'timeout', 'error_before', 'drop_before', 'throttle'] as const) {
    it(`a payment whose answer is lost (${kind}) is read back, never sent twice`, async () => {
      await loaded({ timeoutHoldMs: 2_000 });
      expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
      w!.sandbox.setFaults({ faults: [{ step: 'erp', kind, match: 'HA-2025-00520', times: 1 }, { step: 'erp', kind, match: 'BW/77305', times: 1 }] });
      const res = await cli(['payments', '--timeout', '1', '--poll-timeout', '0.5', PAYMENTS]);
      expect(res.code, res.stderr).toBe(0);
      expect(w!.sandbox.state().counters.faults[kind]).toBe(2);
      expect(maxPerOp(w!)).toBe(1);
      expect(byNumber(w!, 'HA-2025-00520').status).toBe('CLOSED');
      expect(byNumber(w!, 'BW/77305').alerts).toEqual(['INVOICE_WAS_REJECTED_BY_ERP']);
    });
  }

  it('a business refusal keeps Alma\'s code and tracking id; exit 4', async () => {
    await loaded();
    expect((await cli(['export', '--mark-in-erp', '-o', join(w!.dir, 'e.csv')])).code).toBe(0);
    w!.sandbox.setFaults({ faults: [{ step: 'erp', kind: 'business', match: 'EBS-9107-25', times: 1000 }] });
    const res = await cli(['payments', PAYMENTS]);
    expect(res.code).toBe(4);
    const ebs = res.doc!.invoices.find((i) => i.number === 'EBS-9107-25')!;
    expect(ebs.error).toMatchObject({ code: '60267' });
    expect(ebs.error!.tracking_id).toBeTruthy();
  });
});

describe('an Alma that cannot be reached', () => {
  it('payments: one line naming the cause, the run stops, the rows not reached are not started', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-pay-unreachable-'));
    try {
      const file = join(dir, 'pay.csv');
      const rows = Array.from({ length: 40 }, (_, i) => `GOBI,P-${i + 1},paid,V-${i + 1},2025-05-01,10.00`);
      writeFileSync(file, ['vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount', ...rows].join('\n') + '\n');
      const res = await runCli(['payments', '--json', '--max-retries', '1', '--concurrency', '4', file], {
        env: { ALMA_API_URL: `http://127.0.0.1:${port}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
      });
      expect(res.code, res.stderr).toBe(4);
      expect(res.stderr.match(/cannot reach Alma: ECONNREFUSED .*nothing more will be sent/g), res.stderr).toHaveLength(1);
      const doc = JSON.parse(res.stdout) as LifecycleReport;
      expect(doc.stopped).toBe('unreachable');
      // The invoices in flight (4) with their own error; the other 36 never asked about: 2 attempts each at most, not 80.
      expect(doc.invoices.filter((i) => i.error?.code === 'NOT_STARTED')).toHaveLength(36);
      expect(doc.summary.requests).toBeLessThanOrEqual(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kills', () => {
  it('export --mark-in-erp and payments killed at random moments, then re-run: every invoice marked once, paid or rejected once', async () => {
    await loaded({ latencyMs: 40 });
    const out = join(w!.dir, 'k.csv');
    const env = { ALMA_API_URL: w!.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w!.stateDir };
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // The hand-over files the finance system took: a run that ended before its kill left one.
    // (A run killed as it exits may have ended too: the next one is refused, and it is taken then.)
    const taken: string[] = [];
    const take = (r: CliResult): boolean => {
      if (r.code !== 0 && !(r.code === 2 && /still holds, unchanged/.test(r.stderr))) return false;
      taken.push(`${out}.taken.${taken.length}`);
      renameSync(out, taken.at(-1)!);
      return true;
    };
    for (const args of [['export', '--mark-in-erp', '-o', out], ['payments', PAYMENTS]]) {
      for (let i = 0; i < 6; i++) {
        const run = spawnCli([...args, '--rate', '200'], { env });
        await new Promise((r) => setTimeout(r, 150 + Math.floor(rnd() * 500)));
        run.child.kill('SIGKILL');
        const r = await run.done;
        if (args[0] === 'export') take(r);
      }
      let fin = await runCli([...args, '--rate', '200', '--json'], { env });
      if (args[0] === 'export' && fin.code === 2 && take(fin)) fin = await runCli([...args, '--rate', '200', '--json'], { env });
      expect(fin.code, fin.stderr).toBe(0);
    }
    expect(maxPerOp(w!)).toBe(1);
    const st = w!.sandbox.state();
    // Every marked invoice is in a file handed over: one the finance system took, or the one in
    // place (the last run's file holds any a cut-short run marked).
    const ids = new Set([out, ...taken].filter((f) => existsSync(f)).flatMap((f) => readFileSync(f, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0])));
    const marked = st.invoices.filter((i) => st.counters.erpOps[i.id]?.['mark_in_erp'] === 1);
    expect(marked.length).toBeGreaterThan(0);
    for (const inv of marked) expect(ids.has(inv.id), `${inv.number} marked but in no file`).toBe(true);
    expect(byNumber(w!, 'HA-2025-00520').status).toBe('CLOSED');
    expect(byNumber(w!, 'EBS-9107-25').status).toBe('CLOSED');
    expect(byNumber(w!, 'BW/77305').alerts).toEqual(['INVOICE_WAS_REJECTED_BY_ERP']);
    for (const inv of st.invoices.filter((i) => st.counters.erpOps[i.id]?.['mark_in_erp'] === 1)) expect(inv.status).not.toBe('Waiting to be Sent');
  }, 60_000);
});
