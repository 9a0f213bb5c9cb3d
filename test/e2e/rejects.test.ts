/**
 * `--rejects`: a load with one invoice Alma refuses and one invalid invoice, with
 * `--skip-invalid --rejects r.csv`, writes exactly their rows in the input's own layout with
 * codes; the corrected file then loads and the batch is complete, each invoice exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT, runCli } from '../helpers/cli.js';
import { openInputFile, readRecords } from '../../src/input/read.js';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';
import { workbookFromCsv } from '../helpers/workbook.js';
import { STOP_CODES } from '../../src/engine/result.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const SAMPLE = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8');
/** A rejects file's text: UTF-8 with a byte-order mark (so Excel, and a profile naming another encoding, read it as UTF-8). */
const readRejects = (path: string): string => {
  const text = readFileSync(path, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  return text.slice(1);
};
// A vendor's column order and header spelling: the rejects file must keep both.
const header = SAMPLE.split('\n')[0]!.split(',');
const order = [...header].reverse();
const reorder = (csv: string): string =>
  (parse(csv) as string[][]).map((r) => order.map((c) => r[header.indexOf(c)]!).map((v) => (/[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(';')).join('\r\n') + '\r\n';

/** G-24118 names a vendor account Alma refuses (60237); HA-2025-00412's total does not add up. */
const broken = reorder(
  SAMPLE.replace('G-24118,2025-03-03,GOBI,GOBI,', 'G-24118,2025-03-03,GOBI,NO-SUCH-ACCOUNT,').replace('HARRAS-EUR,EUR,BANKTRANSFER,884.40', 'HARRAS-EUR,EUR,BANKTRANSFER,884.41'),
).replace('invoice_number', 'Invoice_Number');

describe('--rejects', () => {
  it('writes the rows of the refused and the invalid invoice in the input layout; the corrected file finishes the batch', async () => {
    w = await world();
    const input = join(w.dir, 'vendor.csv');
    writeFileSync(input, broken);
    const rejects = join(w.dir, 'r.csv');
    // --check none: the checks before sending would catch the account themselves (see below);
    // here Alma's own refusal, with its code and tracking id, is what goes into the file.
    const first = await w.load(['--skip-invalid', '--check', 'none', '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(4);
    expect(first.report!.summary).toMatchObject({ loaded: 4, in_review: 1, failed: 1, invalid: 1 });

    const text = readRejects(rejects);
    const rows = parse(text, { delimiter: ';' }) as string[][];
    expect(rows[0]).toEqual([...order.map((c) => (c === 'invoice_number' ? 'Invoice_Number' : c)), 'error_code', 'error_message']);
    const inputRows = (parse(broken, { delimiter: ';' }) as string[][]).slice(1);
    const at = (name: string) => rows[0]!.indexOf(name);
    const body = rows.slice(1);
    // Exactly the rows of the two invoices, each as the input had it, plus the reason.
    expect(body.map((r) => r.slice(0, order.length))).toEqual(inputRows.filter((r) => ['G-24118', 'HA-2025-00412'].includes(r[order.indexOf('invoice_number')]!)));
    expect(body.map((r) => r[at('error_code')])).toEqual(['60237', '60237', '60237', 'total_mismatch', 'total_mismatch']);
    expect(body[0]![at('error_message')]).toContain('Invoice vendor account not valid');
    expect(body[0]![at('error_message')]).toMatch(/tracking id/);
    expect(body[3]![at('error_message')]).toContain('884.41');

    // The user corrects the two cells and loads the file as it is, error columns and all.
    const corrected = text.replace('NO-SUCH-ACCOUNT', 'GOBI').replace('884.41', '884.40');
    writeFileSync(rejects, corrected);
    const second = await w.load([rejects]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.report!.summary).toMatchObject({ invoices: 2, loaded: 2 });
    // The whole batch is now in the sandbox exactly once: a re-run of the original sends nothing new.
    const all = await w.load([join(ROOT, 'fixtures/sample-batch.csv')]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.report!.summary).toMatchObject({ invoices: 7, already_loaded: 7, failed: 0 });
    const numbers = all.report!.invoices.map((i) => i.number);
    expect(w.sandbox.state().invoices.filter((i) => numbers.includes(i.number)).map((i) => i.number).sort()).toEqual([...numbers].sort());
    expectExactlyOnce(w.sandbox.state(), all.report!);
  });

  it('a load the daily threshold stops: the invoices it stopped on are not in the file (nothing to correct), and the line naming the file says so', async () => {
    // 30: past the checks before sending, within the load (test/e2e/load.test.ts).
    w = await world({ daily: 30 });
    const input = join(w.dir, 'vendor.csv');
    writeFileSync(input, broken);
    const rejects = join(w.dir, 'r.csv');
    const first = await w.load(['--skip-invalid', '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(4);
    expect(first.report!.stopped).toBe('daily_limit');
    const stopped = first.report!.invoices.filter((i) => i.status === 'failed' && STOP_CODES.has(i.error?.code ?? ''));
    expect(stopped.length).toBeGreaterThan(0);
    // Only the two invoices with something to correct.
    const rows = parse(readRejects(rejects), { delimiter: ';' }) as string[][];
    const at = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => r[at('Invoice_Number')])).toEqual(['G-24118', 'G-24118', 'G-24118', 'HA-2025-00412', 'HA-2025-00412']);
    expect(rows.slice(1).map((r) => r[at('error_code')])).toEqual(['vendor_account_unknown', 'vendor_account_unknown', 'vendor_account_unknown', 'total_mismatch', 'total_mismatch']);
    const n = stopped.length;
    expect(first.stderr).toContain(`r.csv (5 rejected rows; ${n === 1 ? '1 invoice' : `${n} invoices`} the run stopped on ${n === 1 ? 'is' : 'are'} not in it: the same command finishes ${n === 1 ? 'it' : 'them'})`);
  });

  it('with the checks before sending, the refused account is caught before any write and its rows go into the file with the check\'s code', async () => {
    w = await world();
    const input = join(w.dir, 'vendor.csv');
    writeFileSync(input, broken);
    const rejects = join(w.dir, 'r.csv');
    const first = await w.load(['--skip-invalid', '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(4);
    expect(first.report!.summary).toMatchObject({ loaded: 4, in_review: 1, failed: 0, invalid: 2 });
    // Nothing of G-24118 reached the sandbox.
    expect(w.sandbox.state().invoices.filter((i) => i.number === 'G-24118' && i.origin === 'api')).toEqual([]);
    const rows = parse(readRejects(rejects), { delimiter: ';' }) as string[][];
    const at = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => r[at('error_code')])).toEqual(['vendor_account_unknown', 'vendor_account_unknown', 'vendor_account_unknown', 'total_mismatch', 'total_mismatch']);
    expect(rows[1]![at('error_message')]).toBe('vendor "GOBI" has no account "NO-SUCH-ACCOUNT" in Alma (it has GOBI, GOBI-STO)');
  });

  it('an Excel input gives the canonical columns; nothing rejected gives a header-only file', async () => {
    w = await world();
    const book = join(w.dir, 'b.xlsx');
    await workbookFromCsv(book, SAMPLE.replace('HARRAS-EUR,EUR,BANKTRANSFER,884.40', 'HARRAS-EUR,EUR,BANKTRANSFER,884.41'));
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, book]);
    expect(res.code).toBe(3);
    const rows = parse(readRejects(rejects)) as string[][];
    expect(rows[0]!.slice(0, 3)).toEqual(['invoice_number', 'invoice_date', 'vendor']);
    expect(rows[0]!.slice(-2)).toEqual(['error_code', 'error_message']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[rows[0]!.indexOf('total_amount')], r.at(-2)])).toEqual([
      ['HA-2025-00412', '2025-02-20', '884.41', 'total_mismatch'],
      ['HA-2025-00412', '', '', 'total_mismatch'],
    ]);
    // With a profile, the run says the canonical rejects are to be loaded without it.
    const profile = join(w.dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ version: 1, columns: { 'Rechnung Nr': 'invoice_number' } }));
    const mapped = await w.load(['--dry-run', '--mapping', profile, '--rejects', rejects, book]);
    expect(mapped.code).toBe(3);
    expect(mapped.stderr).toContain(`${rejects} has the canonical columns (the input was not one CSV layout): load it without --mapping`);
    const clean = await w.load(['--dry-run', '--rejects', rejects, join(ROOT, 'fixtures/sample-batch.csv')]);
    expect(clean.code).toBe(0);
    expect(readRejects(rejects)).toBe('error_code,error_message\n');
  });

  it("JSON written on one line (every object is line 1): only the rejected invoices' objects, each with its own reason, not the whole file", async () => {
    w = await world();
    const broken = SAMPLE.replace('HARRAS-EUR,EUR,BANKTRANSFER,884.40', 'HARRAS-EUR,EUR,BANKTRANSFER,884.41').replace('BW/77120,2025-03-12', 'BW/77120,2025-02-30');
    const objects = parse(broken, { columns: true }) as Record<string, string>[];
    const input = join(w.dir, 'b.json');
    writeFileSync(input, JSON.stringify(objects));
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(res.code, res.stderr).toBe(3);
    const rows = parse(readRejects(rejects), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.invoice_number, r.total_amount, r.error_code])).toEqual([
      ['HA-2025-00412', '884.41', 'total_mismatch'],
      ['HA-2025-00412', '', 'total_mismatch'],
      ['BW/77120', '178.24', 'invalid_date'],
      ['BW/77120', '', 'invalid_date'],
    ]);
    expect(res.stdout + res.stderr).toContain('shared_line');

    // An object the reader skips (a key twice) is an error of the file on line 1: which object it
    // was cannot be told, so every object of the line comes back, a rejected one with its own
    // reason after the file's.
    writeFileSync(input, JSON.stringify(objects).replace(/\]$/, ',{"vendor":"X","vendor":"Y"}]'));
    const skipped = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(skipped.code, skipped.stderr).toBe(3);
    const all = parse(readRejects(rejects), { columns: true }) as Record<string, string>[];
    expect(all).toHaveLength(objects.length);
    expect(all.find((r) => r.invoice_number === 'G-24118')!.error_code).toBe('duplicate_key');
    expect(all.find((r) => r.invoice_number === 'BW/77120')!.error_code).toBe('duplicate_key invalid_date');
    // the skipped object itself is not in the file, and the run says so
    expect(skipped.stderr).toMatch(/not in it: .*b\.json row 1, which could not be read as a row/);
  });

  it('an amount written as the JSON number 1.200 goes back as its value 1.2: the corrected rejects file loads', async () => {
    w = await world();
    const object = (line: string, price: string, total: string) =>
      `{"invoice_number": "R-2", "invoice_date": "2025-02-20", "vendor": "HARRAS", "vendor_account": "HARRAS-EUR", "currency": "EUR", "payment_method": "BANKTRANSFER", "total_amount": ${total}, "line_number": "${line}", "line_type": "OTHER", "price": ${price}, "quantity": 1, "fund_code": "CHEM", "fund_percent": 100}`;
    const input = join(w.dir, 'rej.json');
    writeFileSync(input, `[\n${object('1', '1.200', '9.99')},\n${object('2', '1.200', '9.99')}\n]\n`);
    const rejects = join(w.dir, 'r.csv');
    expect((await w.load(['--dry-run', '--rejects', rejects, input])).code).toBe(3);
    const rows = parse(readRejects(rejects), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.price, r.error_code])).toEqual([
      ['1.2', 'total_mismatch'],
      ['1.2', 'total_mismatch'],
    ]);
    // The person corrects the total, and loads the rejects file again.
    writeFileSync(rejects, readFileSync(rejects, 'utf8').replaceAll(',9.99,', ',2.40,'));
    const fixed = await w.load(['--dry-run', rejects]);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
  });

  it('a JSON row giving a column under two keys comes back with that cell empty, both values named: loaded again as it is, it is refused', async () => {
    w = await world();
    const object = (number: string, more: string) =>
      `{"invoice_number": "${number}", "invoice_date": "2025-02-20", "vendor": "HARRAS", "vendor_account": "HARRAS-EUR", "currency": "EUR", "payment_method": "BANKTRANSFER", "total_amount": "2.40", "line_number": "1", "line_type": "OTHER", "price": "2.40", "quantity": 1, "fund_code": "CHEM", "fund_percent": 100${more}}`;
    const input = join(w.dir, 'two-keys.json');
    writeFileSync(input, `[\n${object('R-2', ', "Invoice Number": "R-9"')},\n${object('R-3', '')}\n]\n`);
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(res.code).toBe(3);
    const rows = parse(readRejects(rejects), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.invoice_number, r.vendor, r.error_code])).toEqual([['', 'HARRAS', 'duplicate_column']]);
    expect(rows[0]!.error_message).toContain('keys "invoice_number" ("R-2") and "Invoice Number" ("R-9") are the same column invoice_number; keep one');
    // Not the first key's value, loading as if a person had picked it.
    const again = await w.load(['--dry-run', rejects]);
    expect(again.code, again.stdout).toBe(3);
  });

  it('rows rejected from standard input, which cannot be read again, are said to be missing from the file', async () => {
    w = await world();
    const rejects = join(w.dir, 'r.csv');
    const bad = SAMPLE.replace('HARRAS-EUR,EUR,BANKTRANSFER,884.40', 'HARRAS-EUR,EUR,BANKTRANSFER,884.41');
    const res = await w.load(['--dry-run', '--rejects', rejects, '-'], { input: bad });
    expect(res.code).toBe(3);
    expect(readRejects(rejects)).toBe('error_code,error_message\n');
    expect(res.stderr).toContain(`2 rejected rows read from standard input are not in ${rejects}: standard input cannot be read again; give the file by its name to have them there`);
    const named = join(w.dir, 'b.csv');
    writeFileSync(named, bad);
    const again = await w.load(['--dry-run', '--rejects', rejects, named]);
    expect(again.stderr).not.toContain('standard input');
    expect((parse(readRejects(rejects)) as string[][]).length).toBe(3);
  });

  it("a file that starts with Excel's sep= line is read with that delimiter, and its rejects start with the line too", async () => {
    w = await world();
    const input = join(w.dir, 'excel.csv');
    const semi = (parse(SAMPLE) as string[][]).map((r) => r.join(';')).join('\r\n');
    writeFileSync(input, `sep=;\r\n${semi.replace('HARRAS-EUR;EUR;BANKTRANSFER;884.40', 'HARRAS-EUR;EUR;BANKTRANSFER;884.41')}\r\n`);
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(res.code, res.stderr).toBe(3);
    // One problem, on the row an editor shows (the sep= line is line 1, the header line 2).
    const issues = res.report!.invoices.flatMap((i) => i.issues);
    expect(issues.map((p) => [p.code, p.row])).toEqual([['total_mismatch', 8]]);
    expect(res.report!.summary).toMatchObject({ invoices: 7, planned: 6, invalid: 1 });
    const text = readFileSync(rejects, 'utf8');
    expect(text.split('\n')[0]).toBe('sep=;');
    // The rejects file reads back the same way: the same invoice, the same problem.
    const again = await w.load(['--dry-run', rejects]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.report!.invoices.map((i) => [i.number, i.status, i.issues.map((p) => [p.code, p.row])])).toEqual([['HA-2025-00412', 'invalid', [['total_mismatch', 3]]]]);
  });

  it('a file with a title above its header: the rejects carry the header, not the title, and every cell', async () => {
    w = await world();
    const input = join(w.dir, 'titled.csv');
    writeFileSync(input, `Vendor invoices, March 2025\n\n${SAMPLE.replace('HARRAS-EUR,EUR,BANKTRANSFER,884.40', 'HARRAS-EUR,EUR,BANKTRANSFER,884.41')}`);
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.report!.issues.map((p) => [p.code, p.row])).toEqual([['title_rows', 1]]);
    const rows = parse(readRejects(rejects)) as string[][];
    expect(rows[0]!.slice(0, 3)).toEqual(['invoice_number', 'invoice_date', 'vendor']);
    expect(rows.slice(1).map((r) => [r.length, r[0], r[rows[0]!.indexOf('total_amount')]])).toEqual([
      [rows[0]!.length, 'HA-2025-00412', '884.41'],
      [rows[0]!.length, 'HA-2025-00412', ''],
    ]);
  });

  it("with a profile: the title block it skips comes back, the file is UTF-8 with a BOM (in windows-1252 without one for the profile's windows-1252 input), so the same --mapping reads the corrected rejects", async () => {
    w = await world();
    const profiles = join(ROOT, 'fixtures/mappings');
    // EBSCO's report: four lines above the header (skip_lines 4).
    const ebsco = join(w.dir, 'ebsco.csv');
    writeFileSync(ebsco, readFileSync(join(profiles, 'ebsco-us.csv'), 'utf8').replace('Serials - General,100,01/01/2026', 'Serials - Generall,100,01/01/2026'));
    const r1 = join(w.dir, 'ebsco-rejects.csv');
    const bad = await w.load(['--dry-run', '--mapping', join(profiles, 'ebsco-us.json'), '--rejects', r1, ebsco]);
    expect(bad.code).toBe(3);
    const text = readRejects(r1);
    expect(text.split(/\r?\n/)[0]).toBe('EBSCO Information Services - Invoice Detail Report');
    writeFileSync(r1, text.replace('Serials - Generall', 'Serials - General'));
    const fixed = await w.load(['--dry-run', '--mapping', join(profiles, 'ebsco-us.json'), r1]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report!.summary).toMatchObject({ invoices: 1, planned: 1, lines: 2 });
    // Harrassowitz's export: windows-1252 (the profile's encoding), semicolons.
    const harr = join(w.dir, 'harr.csv');
    writeFileSync(harr, Buffer.from(readFileSync(join(profiles, 'harrassowitz-de.csv'), 'latin1').replace(';Geschichte;', ';Geschichtee;'), 'latin1'));
    const r2 = join(w.dir, 'harr-rejects.csv');
    expect((await w.load(['--dry-run', '--mapping', join(profiles, 'harrassowitz-de.json'), '--rejects', r2, harr])).code).toBe(3);
    // Written as the input was: windows-1252, no byte-order mark (`stream`: Node 20's decoder
    // drops a 0x80 decoded without it).
    const harrBytes = readFileSync(r2);
    expect(harrBytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const harrText = new TextDecoder('windows-1252').decode(harrBytes, { stream: true });
    expect(harrText).toContain('Goethe: Sämtliche Werke');
    expect(harrText).toContain(';€;');
    const at = harrBytes.indexOf(';Geschichtee;');
    writeFileSync(r2, Buffer.concat([harrBytes.subarray(0, at), Buffer.from(';Geschichte;'), harrBytes.subarray(at + ';Geschichtee;'.length)]));
    const harrFixed = await w.load(['--dry-run', '--mapping', join(profiles, 'harrassowitz-de.json'), r2]);
    expect(harrFixed.code, harrFixed.stderr).toBe(0);
    expect(harrFixed.report!.summary).toMatchObject({ invoices: 1, planned: 1 });
  });

  it('a row without a vendor (in no invoice) goes into the file with its invoice\'s other rows, so the corrected file loads the whole invoice', async () => {
    w = await world();
    const input = join(w.dir, 'novendor.csv');
    writeFileSync(input, SAMPLE.replace('EBS-9001-25,2025-01-28,EBSCO,', 'EBS-9001-25,2025-01-28,,'));
    const rejects = join(w.dir, 'r.csv');
    expect((await w.load(['--dry-run', '--rejects', rejects, input])).code).toBe(3);
    const rows = parse(readRejects(rejects)) as string[][];
    const at = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => [r[at('invoice_number')], r[at('vendor')], r[at('line_number')], r[at('error_code')]])).toEqual([
      ['EBS-9001-25', '', '1', 'missing_value'],
      ['EBS-9001-25', 'EBSCO', '2', 'missing_value'],
    ]);
    writeFileSync(rejects, readRejects(rejects).replace('EBS-9001-25,2025-01-28,,', 'EBS-9001-25,2025-01-28,EBSCO,'));
    const fixed = await w.load(['--dry-run', rejects]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report!.summary).toMatchObject({ invoices: 1, planned: 1, lines: 2 });
  });

  it('a row without a vendor whose invoice adds up without it: with --skip-invalid that invoice is held back (invalid, in the dry run too), and its rows go into the file with the row, so the corrected file loads the whole invoice', async () => {
    w = await world();
    const input = join(w.dir, 'orphan.csv');
    // G-1's second line costs 0.00, so its total matches without it; G-2 has nothing to do with it.
    writeFileSync(
      input,
      [
        'vendor,invoice_number,invoice_date,currency,total_amount,line_number,price,quantity,fund_code',
        'GOBI,G-1,2025-03-01,USD,50.00,1,50.00,1,HIST',
        ',G-1,2025-03-01,USD,50.00,2,0.00,1,HIST',
        'GOBI,G-2,2025-03-01,USD,20.00,1,20.00,1,HIST',
      ].join('\n') + '\n',
    );
    const rejects = join(w.dir, 'r.csv');
    const dry = await w.load(['--dry-run', '--skip-invalid', input]);
    const load = await w.load(['--skip-invalid', '--rejects', rejects, input]);
    // The dry run plans G-2; the load sends it (exit 4: an invalid invoice was left out).
    for (const [run, code, g2] of [[dry, 3, ['planned']], [load, 4, ['loaded', 'in_review']]] as const) {
      expect(run.code, run.stderr).toBe(code);
      expect(run.report!.invoices.map((i) => i.number)).toEqual(['G-1', 'G-2']);
      expect(run.report!.invoices[0]!.status).toBe('invalid');
      expect(g2).toContain(run.report!.invoices[1]!.status);
      expect(run.report!.invoices[0]!.issues.map((p) => `${p.file}:${p.row}:${p.column}:${p.code}`)).toEqual([`${input}:3:vendor:row_without_vendor`]);
      expect(run.report!.invoices[0]!.issues[0]!.message).toContain('may be a line of invoice "G-1" of vendor "GOBI" (row 2), which is therefore not loaded without it');
    }
    expect(w.sandbox.state().invoices.filter((i) => i.number === 'G-1')).toEqual([]);
    const rows = parse(readRejects(rejects)) as string[][];
    const at = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => [r[at('vendor')], r[at('line_number')], r[at('error_code')]])).toEqual([
      ['GOBI', '1', 'row_without_vendor'],
      ['', '2', 'missing_value'],
    ]);
    writeFileSync(rejects, readRejects(rejects).replace(/^,G-1,/m, 'GOBI,G-1,'));
    const fixed = await w.load([rejects]);
    expect(fixed.code, fixed.stderr).toBe(0);
    // Loaded with both lines (Alma sends a line without a PO line to review: in_review is loaded too).
    expect(fixed.report!.invoices.map((i) => [i.number, i.lines.length])).toEqual([['G-1', 2]]);
    expect(w.sandbox.state().invoices.filter((i) => i.number === 'G-1').map((i) => i.lines.length)).toEqual([2]);
  });

  it('a row without a vendor, with --skip-invalid: the invoices of its number are held back, the others load, and the rejects file holds the held invoice with the row', async () => {
    w = await world();
    const input = join(w.dir, 'three.csv');
    const lines = [
      'vendor,invoice_number,invoice_date,currency,total_amount,line_number,price,quantity,fund_code',
      'GOBI,G-1,2025-03-01,USD,50.00,1,50.00,1,HIST',
      ',G-1,2025-03-01,USD,50.00,2,0.00,1,HIST',
      'GOBI,G-2,2025-03-01,USD,20.00,1,20.00,1,HIST',
      'EBSCO,E-3,2025-03-01,USD,30.00,1,30.00,1,HIST',
    ];
    writeFileSync(input, lines.join('\n') + '\n');
    const place = (p: { file: string; row?: number | undefined; column?: string | undefined; code: string; severity: string }) => `${p.file}:${p.row}:${p.column}:${p.code}:${p.severity}`;

    // Without --skip-invalid nothing is sent (exit 3), and the line says --skip-invalid loads the other two.
    const plain = await w.load([input]);
    expect(plain.code, plain.stderr).toBe(3);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
    expect(plain.stderr).toContain("Nothing was sent: fix the problems listed in the report (its issues and each invoice's issues), or pass --skip-invalid to load the 2 valid invoices only.");
    expect(plain.stderr).not.toContain('even with --skip-invalid');

    const rejects = join(w.dir, 'r.csv');
    const dry = await w.load(['--dry-run', '--skip-invalid', input]);
    const load = await w.load(['--skip-invalid', '--rejects', rejects, input]);
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.report!.invoices.map((i) => [i.number, i.status])).toEqual([['G-1', 'invalid'], ['G-2', 'planned'], ['E-3', 'planned']]);
    // Exit 4, as for any invalid invoice --skip-invalid left out (README "Exit codes").
    expect(load.code, load.stderr).toBe(4);
    expect(load.report!.invoices.map((i) => [i.number, i.status === 'in_review' ? 'loaded' : i.status])).toEqual([['G-1', 'invalid'], ['G-2', 'loaded'], ['E-3', 'loaded']]);
    expect(load.report!.summary).toMatchObject({ invoices: 3, invalid: 1, failed: 0 });
    for (const run of [dry, load]) {
      // The row's own problem is still the file's, with its code, and the held invoice names the row.
      expect(run.report!.issues.map(place)).toEqual([`${input}:3:vendor:missing_value:error`]);
      expect(run.report!.invoices[0]!.issues.map(place)).toEqual([`${input}:3:vendor:row_without_vendor:error`]);
    }
    const ours = (state: ReturnType<World['sandbox']['state']>) => state.invoices.map((i) => i.number).filter((n) => ['G-1', 'G-2', 'E-3'].includes(n));
    expect(ours(w.sandbox.state()).sort()).toEqual(['E-3', 'G-2']);
    const rows = parse(readRejects(rejects)) as string[][];
    const at = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => [r[at('vendor')], r[at('invoice_number')], r[at('line_number')], r[at('error_code')]])).toEqual([
      ['GOBI', 'G-1', '1', 'row_without_vendor'],
      ['', 'G-1', '2', 'missing_value'],
    ]);

    // A row with neither vendor nor invoice number belongs to no invoice it could hold back: it still stops the whole batch.
    const w2 = await world();
    try {
      const neither = join(w2.dir, 'neither.csv');
      writeFileSync(neither, [...lines, ',,2025-03-01,USD,5.00,1,5.00,1,HIST'].join('\n') + '\n');
      const stopped = await w2.load(['--skip-invalid', neither]);
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(w2.sandbox.state().counters.requestsTotal).toBe(0);
      expect(stopped.stderr).toContain(`one problem — ${neither} row 6 vendor [missing_value] — is the file's, not one invoice's, and stops the whole batch, even with --skip-invalid`);
    } finally {
      await w2.close();
    }
  });

  it('a row its syntax broke (no cells to write back) is named as missing from the file, not counted as if there', async () => {
    w = await world();
    const input = join(w.dir, 'badquote.csv');
    writeFileSync(input, SAMPLE.replace('REGULAR,POL-1004,22.50,2,,,HIST,100,,Two copies', 'REGULAR,POL-1004,22.50,2,,,HIST,100,,"Two copies"x'));
    const rejects = join(w.dir, 'r.csv');
    const res = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`Written: ${rejects} (2 rejected rows; not in it: ${input} row 3, which could not be read as a row (see its error above) — fix it in the input).`);
    expect((parse(readRejects(rejects)) as string[][]).slice(1).map((r) => r[r.length - 2])).toEqual(['total_mismatch', 'total_mismatch']);
  });

  it('cells a spreadsheet would run as formulas are defused in the file, and read back as they were; a credit stays a number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-rejects-'));
    try {
      const input = join(dir, 'vendor.csv');
      // The total does not add up: the invoice is invalid, both rows go into the rejects.
      const text =
        'invoice_number,invoice_date,vendor,total_amount,currency,line_number,price,fund_code,invoice_note,line_note,price_note,reference_number\n' +
        'F-1,2025-01-01,GOBI,999.00,USD,1,-12.50,MAIN,"=HYPERLINK(""http://evil"",""click"")",=1+1,+evil,-cmd\n' +
        "F-1,,,,,2,10.00,MAIN,,@SUM(A1),\"\tlead\",'=already quoted\n";
      writeFileSync(input, text);
      const rejects = join(dir, 'r.csv');
      const res = await runCli(['--dry-run', '--rejects', rejects, input], { cwd: dir, env: { HOME: dir } });
      expect(res.code, res.stderr).toBe(3);
      const written = parse(readRejects(rejects)) as string[][];
      const col = (name: string): string[] => written.slice(1).map((r) => r[written[0]!.indexOf(name)]!);
      // As a spreadsheet sees them: no cell starts a formula; the credit is still a number.
      expect(col('invoice_note')[0]).toBe('\'=HYPERLINK("http://evil","click")');
      expect(col('line_note')).toEqual(["'=1+1", "'@SUM(A1)"]);
      expect(col('price_note')).toEqual(["'+evil", "'\tlead"]);
      expect(col('reference_number')).toEqual(["'-cmd", "''=already quoted"]);
      expect(col('price')).toEqual(['-12.50', '10.00']);
      // Read back through the loader's input: every cell as the vendor's file had it.
      const original = (parse(text) as string[][]).slice(1);
      const names = (parse(text) as string[][])[0]!;
      const back: Record<string, string | undefined>[] = [];
      for await (const e of readRecords(await openInputFile(rejects), { encoding: 'utf-8' })) if (e.kind === 'record') back.push(e.record.fields);
      expect(back.map((f) => names.map((n) => f[n] ?? ''))).toEqual(original);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an invoice in two files: both copies\' rows go into the file, each with its own reason, and the table names both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-rejects-'));
    try {
      const head = 'invoice_number,invoice_date,vendor,total_amount,currency,price,fund_code\n';
      writeFileSync(join(dir, 'a.csv'), `${head}G-1,2025-01-01,GOBI,100.00,USD,100.00,MAIN\n`);
      writeFileSync(join(dir, 'b.csv'), `${head}G-0,2025-01-01,GOBI,5.00,USD,5.00,MAIN\nG-1,2025-01-01,GOBI,200.00,USD,200.00,MAIN\n`);
      const res = await runCli(['--dry-run', '--rejects', 'r.csv', 'a.csv', 'b.csv'], { cwd: dir, env: { HOME: dir } });
      expect(res.code, res.stderr).toBe(3);
      expect(res.stdout).toContain('neither copy is loaded');
      expect(res.stdout).toMatch(/^INVALID +GOBI +G-1 .* a\.csv:2; b\.csv:3$/m);
      expect(res.stdout).toContain('Written: r.csv (2 rejected rows)');
      const rows = parse(readRejects(join(dir, 'r.csv'))) as string[][];
      expect(rows.slice(1).map((r) => [r[3], r[7]])).toEqual([
        ['100.00', 'duplicate_invoice'],
        ['200.00', 'duplicate_invoice'],
      ]);
      // a.csv's row names the row of b.csv the error is on; b.csv's row carries it as its own.
      expect(rows[1]![8]).toMatch(/^row 3 of b\.csv: invoice "G-1" of vendor "GOBI" is also in a\.csv \(row 2\)/);
      expect(rows[2]![8]).toMatch(/^invoice "G-1" of vendor "GOBI" is also in a\.csv \(row 2\)/);
      const report = JSON.parse((await runCli(['--dry-run', '--json', 'a.csv', 'b.csv'], { cwd: dir, env: { HOME: dir } })).stdout) as { invoices: { number: string; rows: unknown[] }[] };
      expect(report.invoices.find((i) => i.number === 'G-1')!.rows).toEqual([{ file: 'a.csv', row: 2 }, { file: 'b.csv', row: 3 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--rejects of a rejects file', () => {
  it('round trip twice: the file keeps one error_code/error_message pair with the new reasons, and loads again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-rejects-'));
    try {
      // The total does not add up (total_mismatch); each load of the rejects is refused again.
      writeFileSync(join(dir, 'in.csv'), 'invoice_number,invoice_date,vendor,total_amount,currency,price,fund_code\nR-1,2025-01-01,GOBI,999.00,USD,10.00,MAIN\n');
      const env = { HOME: dir };
      expect((await runCli(['--dry-run', '--rejects', 'r1.csv', 'in.csv'], { cwd: dir, env })).code).toBe(3);
      // The person corrects the total, but to another wrong one; the old reason is still in the row.
      writeFileSync(join(dir, 'r1.csv'), readRejects(join(dir, 'r1.csv')).replace('999.00', '998.00'));
      const second = await runCli(['--dry-run', '--rejects', 'r2.csv', 'r1.csv'], { cwd: dir, env });
      expect(second.code, second.stderr).toBe(3);
      const r2 = parse(readRejects(join(dir, 'r2.csv'))) as string[][];
      expect(r2[0]).toEqual(['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'currency', 'price', 'fund_code', 'error_code', 'error_message']);
      expect(r2).toHaveLength(2);
      expect(r2[1]!.slice(0, 7)).toEqual(['R-1', '2025-01-01', 'GOBI', '998.00', 'USD', '10.00', 'MAIN']);
      expect(r2[1]![7]).toBe('total_mismatch');
      expect(r2[1]![8]).toContain('total_amount 998.00 does not match');
      // And once more: still one pair, no duplicate_column.
      const third = await runCli(['--dry-run', '--json', '--rejects', 'r3.csv', 'r2.csv'], { cwd: dir, env });
      expect(third.code, third.stderr).toBe(3);
      expect(third.stdout).not.toContain('duplicate_column');
      expect((parse(readRejects(join(dir, 'r3.csv'))) as string[][])[0]).toEqual(r2[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
