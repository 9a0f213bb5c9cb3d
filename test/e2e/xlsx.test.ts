/**
 * An Excel workbook typed by a person — dates as date cells in a local display format, amounts
 * as binary floats, a numeric invoice number, a second sheet that is not the batch — plans and
 * loads exactly like the same batch in CSV (the built CLI against the sandbox).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, runCli } from '../helpers/cli.js';
import { expectExactlyOnce, world, writes, type World } from '../helpers/sandbox.js';
import { excelOwnerFile, workbookFromCsv, writeWorkbook } from '../helpers/workbook.js';
import { parse } from 'csv-parse/sync';
// exceljs's own zip library: a sheet's XML damaged after its first rows.
import JSZip from 'jszip';
import type { ReportDocument } from '../../src/report/report.js';

let dir: string;
let csvPath: string;
let xlsxPath: string;
let worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds) await w.close();
  worlds = [];
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-xlsx-e2e-'));
  // The sample batch with one invoice number that a spreadsheet stores as a number.
  const csv = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8').replaceAll('G-24131', '77812');
  csvPath = join(dir, 'batch.csv');
  writeFileSync(csvPath, csv);
  xlsxPath = join(dir, 'batch.xlsx');
  await workbookFromCsv(xlsxPath, csv, { after: [{ name: 'Notes', rows: [['checked by'], ['A. Librarian']] }] });
});

/** The report without where each row came from (the file names differ). */
const comparable = (r: ReportDocument) => ({
  summary: r.summary,
  invoices: r.invoices.map(({ rows, issues, id, lines, ...rest }) => ({ ...rest, lines: lines.length, issues: issues.map((p) => p.code), rows: rows.map((x) => x.row) })),
});

describe('Excel input end to end', () => {
  it('plans exactly like the CSV: the same payloads for every invoice', async () => {
    const fromCsv = await runCli(['--dry-run', '--show-payloads', '--json', csvPath]);
    const fromXlsx = await runCli(['--dry-run', '--show-payloads', '--json', xlsxPath]);
    expect(fromXlsx.code, fromXlsx.stderr).toBe(0);
    expect(fromCsv.code, fromCsv.stderr).toBe(0);
    const a = JSON.parse(fromCsv.stdout) as ReportDocument;
    const b = JSON.parse(fromXlsx.stdout) as ReportDocument;
    const payloads = (r: ReportDocument) => (r.invoices as unknown as { payload: unknown }[]).map((i) => i.payload);
    expect(payloads(b)).toEqual(payloads(a));
    expect(payloads(a).every((p) => p !== undefined)).toBe(true);
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.invoices.find((i) => i.number === '77812')).toBeDefined();
    expect(b.invoices[0]!.rows[0]).toEqual({ file: `${xlsxPath}:Invoices`, row: 2 });
  });

  it('loads exactly like the CSV into the sandbox, each invoice once', async () => {
    const wc = await world();
    const wx = await world();
    worlds.push(wc, wx);
    const a = await wc.load([csvPath]);
    const b = await wx.load([xlsxPath]);
    // With --json the problems are in the report only: a failure shows them (a rare invalid_workbook seen once under load).
    const said = (r: typeof a): string => `${r.stderr}\n${JSON.stringify(r.report?.issues ?? [])}`;
    expect(a.code, said(a)).toBe(0);
    expect(b.code, said(b)).toBe(0);
    // The request count follows timing (batched status reads, the settle-window probe), not the
    // input format: two runs of the same CSV differ by one now and then. Everything else must match.
    const { requests: ra, ...sa } = a.report!.summary;
    const { requests: rb, ...sb } = b.report!.summary;
    expect({ ...comparable(b.report!), summary: sb }).toEqual({ ...comparable(a.report!), summary: sa });
    expect(Math.abs(rb - ra)).toBeLessThanOrEqual(2);
    expectExactlyOnce(wx.sandbox.state(), b.report!);
    // A re-run of the workbook sends nothing (the journal is keyed by content, not by format).
    const again = await wx.load([xlsxPath]);
    expect(again.report!.summary).toMatchObject({ already_loaded: 7, requests: 0 });
  });

  it("Excel's lock file beside the workbook (drop/*.xlsx while it is open) is left out with a warning; without it, the same batch", async () => {
    const w = await world();
    worlds.push(w);
    const lock = join(dir, '~$batch.xlsx');
    writeFileSync(lock, excelOwnerFile('Jane Librarian'));
    const first = await w.load(['--skip-invalid', lock, xlsxPath]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.report!.issues).toEqual([
      { file: lock, code: 'lock_file', severity: 'warning', message: "this is Excel's lock file for batch.xlsx (it is open in Excel by Jane Librarian): left out; batch.xlsx itself is read, without any change not yet saved in Excel" },
    ]);
    expect(first.report!.summary).toMatchObject({ loaded: 6, in_review: 1 });
    // Not read, so not among the inputs the report lists: the workbook alone.
    expect(first.report!.inputs).toEqual([{ file: xlsxPath, format: 'xlsx', bytes: statSync(xlsxPath).size }]);
    // Excel closed, the lock file gone: the same batch, found complete in its journal.
    const again = await w.load([xlsxPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary).toMatchObject({ already_loaded: 7, requests: 0 });
    // Alone, it says what it is (exit 3), not that the workbook cannot be read.
    const alone = await runCli(['--dry-run', lock]);
    expect(alone.code).toBe(3);
    expect(alone.stdout + alone.stderr).toContain("file: error this is Excel's lock file for batch.xlsx (it is open in Excel by Jane Librarian); leave it out [lock_file]");
  });

  it('--sheet reads another sheet; a sheet that is not there is a problem naming the sheets', async () => {
    const other = join(dir, 'notes-first.xlsx');
    const csv = readFileSync(csvPath, 'utf8');
    await workbookFromCsv(other, csv, { before: [{ name: 'Notes', rows: [['checked by'], ['A. Librarian']] }], sheet: 'March' });
    const ok = await runCli(['--dry-run', '--json', '--sheet', 'March', other]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as ReportDocument).summary.invoices).toBe(7);
    const missing = await runCli(['--dry-run', '--sheet', 'April', other]);
    expect(missing.code).toBe(3);
    expect(missing.stdout + missing.stderr).toContain('the workbook has no sheet named "April"; its sheets are "Notes", "March"');
  });

  it('a first sheet that is a cover (a title and nothing under it) is exit 3 pointing to --sheet, not "nothing to do"', async () => {
    const book = join(dir, 'cover-first.xlsx');
    await workbookFromCsv(book, readFileSync(csvPath, 'utf8'), { before: [{ name: 'Cover', rows: [['Vendor invoices, March']] }], sheet: 'March' });
    const res = await runCli(['--dry-run', '--json', book]);
    expect(res.code, res.stderr).toBe(3);
    const doc = JSON.parse(res.stdout) as ReportDocument;
    expect(doc.issues.map((p) => [p.file, p.code, p.severity])).toContainEqual([`${book}:Cover`, 'missing_column', 'error']);
    expect(doc.issues.find((p) => p.code === 'missing_column')!.message).toContain(`and no row follows it, so the file holds no invoice; `);
    expect(doc.issues.find((p) => p.code === 'missing_column')!.message).toContain('name it with --sheet');
  });

  it('mapping init writes a profile from a workbook (sheet, title rows, headers written the vendor\'s way) that loads it', async () => {
    const [header, ...rows] = parse(readFileSync(csvPath, 'utf8')) as string[][];
    // "Invoice Number" for invoice_number…, numbers and dates as the cells a person typed.
    const vendorHeader = header!.map((h) => h.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' '));
    const typed = rows.map((r) => r.map((v, i) => (v === '' ? null : /date/.test(header![i]!) ? new Date(`${v}T00:00:00Z`) : /^-?\d+(\.\d+)?$/.test(v) && header![i] !== 'po_line' ? Number(v) : v)));
    const book = join(dir, 'vendor.xlsx');
    await writeWorkbook(book, [
      { name: 'Cover', rows: [['Vendor export']] },
      { name: 'Export', rows: [['Invoices March 2025'], [], vendorHeader, ...typed], formats: { 2: 'mm/dd/yyyy' } },
    ]);
    const profilePath = join(dir, 'vendor-profile.json');
    const init = await runCli(['mapping', 'init', '--sheet', 'Export', book, '-o', profilePath]);
    expect(init.code, init.stderr).toBe(0);
    const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as { xlsx: { sheet: string; skip_rows: number }; columns: Record<string, string> };
    expect(profile.xlsx).toMatchObject({ sheet: 'Export', skip_rows: 1 });
    expect(profile.columns['Invoice Number']).toBe('invoice_number');
    const dry = await runCli(['--dry-run', '--json', '--mapping', profilePath, book]);
    expect(dry.code, dry.stderr + dry.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(dry.stdout) as ReportDocument;
    expect(report.summary).toMatchObject({ invoices: 7, planned: 7, lines: 14 });
    expect(report.invoices[0]!.rows[0]).toEqual({ file: `${book}:Export`, row: 4 });
  });
});

describe('a workbook cut short in the middle of a part (a copy still running)', () => {
  it('is the invalid_workbook "cut short" error with exit 3 at every cut, never a silent exit 13', async () => {
    // 3,000 rows with distinct notes: the shared strings come after the sheet, which is parked in
    // a temporary file; cuts land inside that sheet, inside the strings, and at the very start.
    const rows: (string | number)[][] = [['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'line_number', 'po_line', 'price', 'quantity', 'line_note']];
    for (let i = 0; i < 3000; i++) rows.push([`B-${i}`, '2025-03-03', 'GOBI', 'USD', 10, 1, 'POL-1001', 10, 1, `note ${i * 7919}`]);
    const whole = join(dir, 'big.xlsx');
    await writeWorkbook(whole, [{ name: 'S', rows }]);
    const bytes = readFileSync(whole);
    const cuts = [1000, 2000, ...[0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.floor(bytes.length * f))];
    for (const cut of cuts) {
      const path = join(dir, `cut-${cut}.xlsx`);
      writeFileSync(path, bytes.subarray(0, cut));
      const r = await runCli(['--dry-run', path]);
      expect([r.code, r.stdout + r.stderr], `cut at ${cut} of ${bytes.length}`).toEqual([
        3,
        expect.stringContaining('the workbook is cut short: the file ends before its last part (was it still being copied or downloaded?); give the whole file [invalid_workbook]'),
      ]);
    }
  });
});

describe('a workbook whose sheet fails part-way (damaged XML after some rows)', () => {
  it('says the row it was read to, and nothing is loaded, --skip-invalid or not (exit 3)', async () => {
    // 3,000 one-line invoices, then a row the XML parser fails on: the sheet's first chunks are
    // read (their rows grouped into invoices), the rest is not.
    const rows: (string | number)[][] = [['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'line_number', 'po_line', 'price', 'quantity', 'fund_code']];
    for (let i = 0; i < 3000; i++) rows.push([`P-${i}`, '2025-03-03', 'GOBI', 'USD', 10, 1, 'POL-1002', 10, 1, 'BIO']);
    const book = join(dir, 'damaged-after-rows.xlsx');
    await writeWorkbook(book, [{ name: 'S', rows }]);
    const zip = await JSZip.loadAsync(readFileSync(book));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.replace('</sheetData>', '<row r="3002"></c></row></sheetData>'));
    writeFileSync(book, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    const placed = /the sheet "S" could not be read past row (\d+), and the rows after it are not read: cannot read the workbook: .*unmatched closing tag/;

    const dry = await runCli(['--dry-run', '--json', book]);
    expect(dry.code, dry.stderr).toBe(3);
    const issues = (JSON.parse(dry.stdout) as ReportDocument).issues;
    expect(issues.map((p) => [p.file, p.code, p.row])).toEqual([[book, 'invalid_workbook', undefined]]);
    const readTo = Number(placed.exec(issues[0]!.message)?.[1]);
    // Some rows were read before it failed, not all of them.
    expect(readTo).toBeGreaterThan(1);
    expect(readTo).toBeLessThan(3001);
    // The rows read are the sheet's (`book.xlsx:S`), the error the file's: its invoices are held back all the same.
    const invoices = (JSON.parse(dry.stdout) as ReportDocument).invoices;
    expect(invoices.length).toBeGreaterThan(0);
    expect(new Set(invoices.map((i) => i.status))).toEqual(new Set(['invalid']));

    const w = await world();
    worlds.push(w);
    const load = await w.load(['--skip-invalid', book]);
    expect(load.code, load.stderr).toBe(3);
    expect(load.report!.summary).toMatchObject({ loaded: 0, in_review: 0, failed: 0, requests: 0 });
    expect(load.report!.issues.map((p) => [p.code, p.message])).toEqual([['invalid_workbook', expect.stringMatching(placed)]]);
    expect(load.stderr).toContain('[invalid_workbook] — is the file\'s, not one invoice\'s, and stops the whole batch, even with --skip-invalid');
    expect(writes(w.sandbox.state())).toBe(0);
    expect(w.sandbox.state().invoices.filter((i) => i.number.startsWith('P-'))).toEqual([]);
  });
});

/**
 * The sample batch as a workbook whose sheet's XML stops before row 15 (a valid zip holding cut
 * XML): it read as whole, exit 0, the last invoice silently absent. It is the file's
 * invalid_workbook, its invoices invalid in the dry run as in the load (the file not read whole).
 */
describe('a workbook whose sheet XML stops inside its rows', () => {
  it('is invalid_workbook, exit 3, every invoice of it invalid, nothing sent', async () => {
    const book = join(dir, 'cut-sheet.xlsx');
    await workbookFromCsv(book, readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8'));
    const zip = await JSZip.loadAsync(readFileSync(book));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.slice(0, xml.indexOf('<row r="15"')));
    writeFileSync(book, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));

    const dry = await runCli(['--dry-run', '--json', book]);
    expect(dry.code, dry.stderr).toBe(3);
    const report = JSON.parse(dry.stdout) as ReportDocument;
    expect(report.issues.map((p) => [p.file, p.code])).toEqual([[book, 'invalid_workbook']]);
    expect(report.issues[0]!.message).toMatch(/^the sheet "Invoices" could not be read past row 14, and the rows after it are not read: the sheet's XML ends inside its rows/);
    expect(report.invoices.length).toBe(6);
    expect(new Set(report.invoices.map((i) => i.status))).toEqual(new Set(['invalid']));
    // The error is the workbook's (cut-sheet.xlsx), the rows the sheet's (cut-sheet.xlsx:Invoices):
    // each rejected row, and the terminal, give that error as why — not "the invoice is invalid".
    const rejects = join(dir, 'cut-sheet-rejects.csv');
    const human = await runCli(['--dry-run', '--rejects', rejects, book]);
    expect(human.code, human.stderr).toBe(3);
    const verify = await runCli(['verify', '--sandbox', book], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'verify-state') } });
    expect(verify.code, verify.stderr).toBe(3);
    expect(verify.stdout).toMatch(/invalid .*its file's error, see below/);
    expect(verify.stdout).not.toContain("the batch's error");
    const rejected = readFileSync(rejects, 'utf8').trimEnd().split('\n').slice(1);
    expect(rejected.length).toBeGreaterThan(0);
    for (const line of rejected) expect(line).toMatch(/,invalid_workbook,"?the sheet "+Invoices"+ could not be read past row 14/);

    const w = await world();
    worlds.push(w);
    const load = await w.load(['--skip-invalid', book]);
    expect(load.code, load.stderr).toBe(3);
    expect(writes(w.sandbox.state())).toBe(0);
  });
});
