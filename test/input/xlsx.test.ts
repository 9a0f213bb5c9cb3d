/**
 * The .xlsx reader: cells by their type (dates whatever their display format, integers plainly,
 * money floats at the currency's minor units, formulas by their cached value), the sheet chosen,
 * provenance `file:sheet!row`, mapping profiles, and damaged or unusual workbooks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
// exceljs's own zip library: a workbook whose entries are stored in another order.
import JSZip from 'jszip';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { openInputFile, readRecords, type InputEvent } from '../../src/input/read.js';
import { hiddenMessage, isDateFormat, isFloatNoise, mergedMessage, numberText, unreadable } from '../../src/input/xlsx.js';
import { Decimal } from 'decimal.js';
import { hiddenRows } from '../../src/input/xlsx-strings.js';
import { placeOf } from '../../src/input/record.js';
import { formatLimit, MAX_CELL_CHARS } from '../../src/input/limits.js';
import type { MappingProfile } from '../../src/input/mapping/profile.js';
import { profileOf } from '../mapping/helpers.js';
import { writeWorkbook, type SheetInput } from '../helpers/workbook.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-xlsx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readBook(sheets: SheetInput[], opts: { sheet?: string; mapping?: MappingProfile; name?: string; date1904?: boolean } = {}) {
  const path = join(dir, opts.name ?? `b${Math.random().toString(36).slice(2)}.xlsx`);
  await writeWorkbook(path, sheets, { date1904: opts.date1904 });
  return readPath(path, opts);
}

/** Reads a workbook file already written (one a test has patched): its records and problems. */
async function readPath(path: string, opts: { sheet?: string; mapping?: MappingProfile } = {}) {
  const events: InputEvent[] = [];
  for await (const e of readRecords(await openInputFile(path), { encoding: 'utf-8', sheet: opts.sheet, mapping: opts.mapping })) events.push(e);
  return {
    path,
    records: events.flatMap((e) => (e.kind === 'record' ? [e.record] : [])),
    problems: events.flatMap((e) => (e.kind === 'problem' ? [e.problem] : [])),
  };
}

const HEADER = ['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'price', 'quantity'];

describe('xlsx cells by type', () => {
  it('a date cell is a date in any display format; an integer is plain; text stays text', async () => {
    const r = await readBook([
      {
        name: 'Batch',
        rows: [HEADER, [77812, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 19.99, 19.99, 2], ['00123', new Date(Date.UTC(2025, 11, 31)), 'GOBI', 'USD', 5, 5, 1]],
        formats: { 2: 'd mmm yyyy' },
      },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([
      { invoice_number: '77812', invoice_date: '2025-03-04', vendor: 'GOBI', currency: 'USD', total_amount: '19.99', price: '19.99', quantity: '2' },
      { invoice_number: '00123', invoice_date: '2025-12-31', vendor: 'GOBI', currency: 'USD', total_amount: '5', price: '5', quantity: '1' },
    ]);
  });

  it('an identifier typed as a number with more than the 15 digits Excel keeps is refused on its row; 15 digits are read', async () => {
    const r = await readBook([
      {
        name: 'Batch',
        rows: [HEADER, [12345678901234500, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 5, 5, 1], [1.5e21, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 5, 5, 1], [123456789012345, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 5, 5, 1]],
      },
    ]);
    const problems = r.records.flatMap((x) => x.problems ?? []);
    expect(problems.map((p) => [p.row, p.column, p.code, p.severity ?? 'error'])).toEqual([
      [2, 'invoice_number', 'number_precision', 'error'],
      [3, 'invoice_number', 'number_precision', 'error'],
    ]);
    expect(problems[0]!.message).toBe('invoice_number 12345678901234500 is a number in the workbook, with more digits than the 15 Excel keeps: its last digits may be lost already; format the column as Text and type the value again');
    expect(r.records.map((x) => x.fields.invoice_number)).toEqual([undefined, undefined, '123456789012345']);
  });

  it('a percent column formatted as a percentage reads as shown (100% is 100, not 1); a literal "%" in a format is no percentage', async () => {
    const r = await readBook([
      { name: 'P', rows: [['invoice_number', 'fund_percent'], ['A', 1], ['B', 0.125], ['C', 50]], formats: { 2: '0%' } },
      { name: 'Q', rows: [['invoice_number', 'fund_percent', 'price'], ['D', 50, 0.5]], formats: { 2: '0"%"', 3: '0%' } },
    ]);
    expect(r.records.map((x) => x.fields.fund_percent)).toEqual(['100', '12.5', '5000']);
    const q = await readBook([{ name: 'Q', rows: [['invoice_number', 'fund_percent', 'price'], ['D', 50, 0.5]], formats: { 2: '0"%"', 3: '0%' } }]);
    // A literal percent sign; and a % format on a column that is no percentage leaves its number.
    expect(q.records.map((x) => [x.fields.fund_percent, x.fields.price])).toEqual([['50', '0.5']]);
  });

  it('provenance is file:sheet with the sheet row numbers; a place reads file:sheet!row', async () => {
    const r = await readBook([{ name: 'Invoices', rows: [HEADER, [], ['A-1', '2025-01-01', 'GOBI', 'USD', 1, 1, 1]] }]);
    expect(r.records[0]!.source).toEqual({ file: `${r.path}:Invoices`, row: 3 });
    expect(placeOf(r.records[0]!.source.file, 3)).toBe(`${r.path}:Invoices!3`);
    expect(placeOf('b.csv', 3)).toBe('b.csv:3');
  });

  it("money floats are taken at the currency's minor units where the extra decimals are binary noise; others are too_many_decimals, as in CSV", async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          HEADER,
          ['A', '2025-01-01', 'V', 'USD', { formula: 'F2*3', result: 0.1 + 0.2 }, 0.1 + 0.2, 3],
          ['B', '2025-01-01', 'V', 'JPY', 1000, 999.9999999999999, 1],
          ['C', '2025-01-01', 'V', 'USD', 19.995, 33.333333, 1],
          ['C', '', 'V', '', '', 1.005, 1],
          ['D', '2025-01-01', 'V', 'BHD', 1.2345, 1.2345, 1],
          ['E', '2025-01-01', 'V', 'JPY', 1000.4, 1000.4, 1],
          ['F', '2025-01-01', 'V', 'USD', 19.99000001, { formula: 'F9*3', result: 59.970000000000006 }, 1],
        ],
      },
    ]);
    expect(r.records.map((x) => [x.fields.total_amount, x.fields.price])).toEqual([
      ['0.30', '0.30'],
      ['1000', '1000'],
      ['19.995', '33.333333'],
      [undefined, '1.005'],
      ['1.2345', '1.2345'],
      ['1000.4', '1000.4'],
      ['19.99000001', '59.97'],
    ]);
    expect(r.records.flatMap((x) => x.problems ?? [])).toEqual([]);
    // Refused where CSV refuses them: every invoice but A and B (noise only) is too_many_decimals.
    const g = new InvoiceGrouper();
    for (const record of r.records) g.add(record);
    const found = g.finish().invoices.flatMap((i) => i.problems.filter((p) => p.code === 'too_many_decimals').map((p) => `${p.code}@${p.row}:${p.column}`));
    expect(found).toEqual([
      'too_many_decimals@4:total_amount',
      'too_many_decimals@4:price',
      'too_many_decimals@5:price',
      'too_many_decimals@6:total_amount',
      'too_many_decimals@6:price',
      'too_many_decimals@7:total_amount',
      'too_many_decimals@7:price',
      'too_many_decimals@8:total_amount',
    ]);
  });

  it('a typed constant within a thousandth of a minor unit is kept as typed and refused as in CSV, not rounded', async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          HEADER,
          ['A', '2025-01-01', 'V', 'USD', 19.990001, 19.990001, 1],
          ['B', '2025-01-01', 'V', 'USD', 0.00001, 0.00001, 1],
          ['C', '2025-01-01', 'V', 'JPY', 1000.001, 1000.001, 1],
        ],
      },
    ]);
    expect(r.records.map((x) => [x.fields.total_amount, x.fields.price])).toEqual([
      ['19.990001', '19.990001'],
      ['0.00001', '0.00001'],
      ['1000.001', '1000.001'],
    ]);
    const g = new InvoiceGrouper();
    for (const record of r.records) g.add(record);
    const found = g.finish().invoices.flatMap((i) => i.problems.filter((p) => p.code === 'too_many_decimals').map((p) => `${p.row}:${p.column}`));
    expect(found).toEqual(['2:total_amount', '2:price', '3:total_amount', '3:price', '4:total_amount', '4:price']);
  });

  it("a formula's near-zero difference and a large SUM are read at the currency's minor units, not refused", async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          ['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'shipment', 'price', 'quantity'],
          ['A-1', '2025-03-03', 'GOBI', 'USD', 1234.56, { formula: 'E2-G2', result: 1234.56 - 1234.55 }, 1234.55, 1],
          ['A-2', '2025-03-03', 'GOBI', 'USD', 100.3, { formula: 'E3-(40.1+60.2)', result: 100.3 - (40.1 + 60.2) }, 100.3, 1],
          ['A-3', '2025-03-03', 'GOBI', 'INR', { formula: 'SUM(G4:G1003)', result: 10289958.739999983 }, '', 10289958.74, 1],
        ],
      },
    ]);
    expect(r.records.map((x) => [x.fields.total_amount, x.fields.shipment])).toEqual([
      ['1234.56', '0.01'],
      ['100.3', '0.00'],
      ['10289958.74', undefined],
    ]);
    expect(r.records.flatMap((x) => x.problems ?? [])).toEqual([]);
  });

  it("a formula's result with more decimals than shown (=189.95/3) is too_many_decimals, in words for a sheet, not amount_out_of_range", async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          HEADER,
          ['A-1', '2025-03-03', 'GOBI', 'USD', { formula: '189.95/3', result: 189.95 / 3 }, { formula: '1/3', result: 1 / 3 }, 1],
        ],
        formats: { 5: '0.00', 6: '0.00' },
      },
    ]);
    expect(r.records[0]!.fields).not.toHaveProperty('total_amount');
    expect(r.records[0]!.fields).not.toHaveProperty('price');
    const g = new InvoiceGrouper();
    for (const record of r.records) g.add(record);
    const problems = g.finish().invoices.flatMap((i) => i.problems.filter((p) => p.code !== 'fund_missing'));
    expect(problems.map((p) => `${p.code}@${p.row}:${p.column}`)).toEqual(['too_many_decimals@2:total_amount', 'too_many_decimals@2:price']);
    expect(problems[0]!.message).toBe(
      'total_amount holds 63.31666666666666 in the workbook, though Excel may show it as 63.32: more decimals than USD has (2); round it in the sheet (=ROUND(…, 2)) or type the amount',
    );
  });

  it('float noise is 16 significant digits or more (never a typed constant) and a thousandth of a minor unit of the currency at most, whatever the size of the amount', () => {
    // The shortest decimal form of a double, as the reader has it, rounded to the currency.
    const read = (x: number, places: number): string => {
      const exact = new Decimal(numberText(x));
      if (exact.decimalPlaces() <= places) return exact.toFixed();
      const rounded = exact.toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
      return isFloatNoise(exact, rounded, places) ? rounded.abs().toFixed(places) : 'refused';
    };
    // A sum of 1,000 seeded amounts up to `max` (2 decimals), as =SUM leaves it.
    const sum = (max: number, seed: number): number => {
      let s = 0;
      for (let i = 0; i < 1000; i++) {
        seed = (seed * 16807) % 2147483647;
        s += Math.round((seed / 2147483647) * max * 100) / 100;
      }
      return s;
    };
    const table: [string, number, number, string][] = [
      ['0.1 + 0.2', 0.1 + 0.2, 2, '0.30'],
      ['a formula over a price', 59.970000000000006, 2, '59.97'],
      ['=E2-J2, 1234.56 − 1234.55', 1234.56 - 1234.55, 2, '0.01'],
      ['100.3 − (40.1 + 60.2), a zero', 100.3 - (40.1 + 60.2), 2, '0.00'],
      ['0.1 + 0.2 − 0.3, a zero off the other way', 0.1 + 0.2 - 0.3, 2, '0.00'],
      ['999.9999999999999 in JPY', 999.9999999999999, 0, '1000'],
      ['=SUM of 1,000 INR lines', 10289958.739999983, 2, '10289958.74'],
      ['=SUM near 10^7', sum(20_000, 3), 2, '9637682.76'],
      ['=SUM near 10^8', sum(200_000, 3), 2, '96376827.55'],
      ['=SUM near 10^9', sum(2_000_000, 3), 2, '963768275.99'],
      ['KWD, 3 places', 0.001 * 3, 3, '0.003'],
      ['KWD 12.345 × 3', 12.345 * 3, 3, '37.035'],
      ['a typed third decimal in USD', 19.995, 2, 'refused'],
      ['a typed fraction of a yen', 1000.4, 0, 'refused'],
      ['a typed fourth decimal in KWD', 1.2345, 3, 'refused'],
      ['=1/3 in USD', 1 / 3, 2, 'refused'],
      ['a ten-thousandth of a cent typed', 19.9901, 2, 'refused'],
      // Typed constants within the tolerance: 15 significant digits or fewer, as typed, never noise.
      ['a millionth of a dollar typed', 19.990001, 2, 'refused'],
      ['a hundred-millionth of a dollar typed', 19.99000001, 2, 'refused'],
      ['a typed 0.00001 in USD', 0.00001, 2, 'refused'],
      ['a typed 1e-13 in USD', 1e-13, 2, 'refused'],
      ['a thousandth of a yen typed', 1000.001, 0, 'refused'],
      ['a typed sixth decimal in KWD', 12.345001, 3, 'refused'],
      ['15 significant digits typed', 1234567.89000001, 2, 'refused'],
    ];
    expect(table.map(([what, x, places]) => [what, read(x, places)])).toEqual(table.map(([what, , , want]) => [what, want]));
  });

  it('formulas by their cached value, a formula date by its format; error cells and formulas without a value are problems', async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          ['invoice_number', 'invoice_date', 'vendor', 'line_note', 'price', 'quantity'],
          [
            { formula: '"G-"&"1"', result: 'G-1' },
            { formula: 'DATE(2025,3,4)', result: 45720 },
            'V',
            { error: '#N/A' },
            { formula: 'X1', result: undefined as unknown as number },
            // A failed look-up whose error Excel saved: the error, not an empty cell.
            { formula: 'VLOOKUP(1,X!A:B,2,0)', result: { error: '#N/A' } as unknown as number },
          ],
        ],
        formats: { 2: 'yyyy/mm/dd' },
      },
    ]);
    expect(r.records[0]!.fields).toMatchObject({ invoice_number: 'G-1', invoice_date: '2025-03-04', vendor: 'V' });
    expect(r.records[0]!.fields.line_note).toBeUndefined();
    expect(r.records[0]!.problems!.map((p) => [p.column, p.code])).toEqual([
      ['line_note', 'cell_error'],
      ['price', 'formula_no_value'],
      ['quantity', 'cell_error'],
    ]);
  });

  it('a cell longer than the input limit (src/input/limits.ts, as for CSV and JSON) is a problem on its row', async () => {
    const r = await readBook([{ name: 'B', rows: [['invoice_number', 'vendor', 'line_note'], ['G-1', 'V', 'x'.repeat(MAX_CELL_CHARS + 1)], ['G-2', 'V', 'x'.repeat(MAX_CELL_CHARS)]] }]);
    expect(r.records[0]!.fields.line_note).toBeUndefined();
    expect(r.records[0]!.problems!.map((p) => [p.column, p.code, p.message])).toEqual([
      ['line_note', 'cell_too_long', `the cell holds more than the ${formatLimit(MAX_CELL_CHARS)} characters a cell may hold; it is not read`],
    ]);
    expect(r.records[1]!.fields.line_note).toHaveLength(MAX_CELL_CHARS);
  });

  it('a title above the header is one title_rows warning and is not read; without a header after it, it is the header as before', async () => {
    const row = ['A-1', '2025-01-01', 'GOBI', 'USD', 1, 1, 1];
    const titled = await readBook([{ name: 'Invoices', rows: [['GOBI invoices', 'March 2025'], [], HEADER, row] }]);
    expect(titled.problems.map((p) => [p.code, p.row, p.severity, p.message])).toEqual([
      ['title_rows', 1, 'warning', 'row 1 is above the header (row 3), a title rather than rows; not read'],
    ]);
    expect(titled.records.map((x) => [x.source.row, x.fields['invoice_number'], x.fields['vendor']])).toEqual([[4, 'A-1', 'GOBI']]);
    const untitled = await readBook([{ name: 'Invoices', rows: [['Notes'], row] }]);
    expect(untitled.problems.map((p) => p.code)).not.toContain('title_rows');
    expect(untitled.records.map((x) => x.source.row)).toEqual([2]);
    expect(Object.keys(untitled.records[0]!.fields)).toEqual(['notes']);
  });

  it('header cells are read as in CSV: "Invoice Number" is invoice_number, and a second one is a duplicate', async () => {
    const r = await readBook([{ name: 'S', rows: [['Invoice Number', 'Vendor', 'Total Amount', 'invoice_number'], ['INV-1', 'ACME', '1.00', 'INV-2']] }]);
    expect(r.problems.map((p) => [p.code, p.message])).toEqual([
      ['duplicate_column', `column 'invoice_number' appears twice in the header (columns 1 and 4, written "Invoice Number" and "invoice_number")`],
    ]);
    expect(r.records[0]?.fields).toMatchObject({ invoice_number: 'INV-1', vendor: 'ACME', total_amount: '1.00' });
  });

  it("a formula's cached date in a workbook that counts days from 1904 is read in that system, as its plain dates are", async () => {
    // DATE(2025,3,4) is day 45720 from 1900 and day 44258 from 1904 (1462 days apart).
    const r = await readBook(
      [
        {
          name: 'B',
          rows: [
            ['invoice_number', 'invoice_date', 'invoice_due_date', 'vendor'],
            ['G-1', { formula: 'DATE(2025,3,4)', result: 44258 }, new Date('2025-04-01T00:00:00Z'), 'V'],
          ],
          formats: { 2: 'yyyy-mm-dd', 3: 'yyyy-mm-dd' },
        },
      ],
      { date1904: true },
    );
    expect(r.records[0]!.fields).toMatchObject({ invoice_date: '2025-03-04', invoice_due_date: '2025-04-01' });
  });

  it('a date cell in an identifier column is refused on its row (Excel made a date of 03-04 as it was typed); in a note it is a date', async () => {
    const r = await readBook([
      {
        name: 'B',
        rows: [
          ['invoice_number', 'vendor', 'po_line', 'line_note'],
          [new Date('2025-03-04T00:00:00Z'), 'V', new Date('2025-01-02T00:00:00Z'), new Date('2025-05-06T00:00:00Z')],
        ],
        formats: { 1: 'dd-mm', 3: 'dd-mm', 4: 'yyyy-mm-dd' },
      },
    ]);
    expect(r.records[0]!.fields.line_note).toBe('2025-05-06');
    expect(r.records[0]!.problems!.map((p) => [p.column, p.code])).toEqual([
      ['invoice_number', 'date_cell'],
      ['po_line', 'date_cell'],
    ]);
    expect(r.records[0]!.problems![0]!.message).toMatch(/^invoice_number is a date in the workbook \(2025-03-04\).*format the column as Text/);
  });

  it('a whole number in a date column is named as an Excel date number, with its day; a small one is left to the date check', async () => {
    const r = await readBook([{ name: 'B', rows: [['invoice_number', 'vendor', 'invoice_date', 'invoice_due_date'], ['G-1', 'V', 45719, 12]] }]);
    expect(r.records[0]!.fields.invoice_due_date).toBe('12');
    expect(r.records[0]!.problems!.map((p) => [p.column, p.code, p.message])).toEqual([
      ['invoice_date', 'invalid_date', 'invoice_date 45719 is a number in the workbook, not a date: it looks like an Excel date number (2025-03-03); format the column as a date in Excel, or as text YYYY-MM-DD'],
    ]);
  });

  it('a TRUE or FALSE cell in an identifier column is refused on its row; in a note it is its text', async () => {
    const r = await readBook([{ name: 'B', rows: [['invoice_number', 'vendor', 'line_note'], [true, false, true]] }]);
    expect(r.records[0]!.fields.line_note).toBe('true');
    expect(r.records[0]!.problems!.map((p) => [p.column, p.code])).toEqual([
      ['invoice_number', 'boolean_cell'],
      ['vendor', 'boolean_cell'],
    ]);
    expect(r.records[0]!.problems![0]!.message).toBe('invoice_number is the logical value TRUE in the workbook, not a text: type the invoice number in the cell (format the column as Text first)');
  });

  it('by default the first sheet a person sees: hidden and very hidden sheets before it are passed over', async () => {
    const lists: SheetInput = { name: 'Lists', state: 'hidden', rows: [HEADER, ['HIDDEN-1', '2025-01-01', 'V', 'USD', 1, 1, 1]] };
    const old: SheetInput = { name: 'Old', state: 'veryHidden', rows: [HEADER, ['OLD-1', '2025-01-01', 'V', 'USD', 1, 1, 1]] };
    const invoices: SheetInput = { name: 'Invoices', rows: [HEADER, ['A', '2025-01-01', 'V', 'USD', 1, 1, 1]] };
    const r = await readBook([lists, old, invoices]);
    expect(r.records.map((x) => [x.source, x.fields.invoice_number])).toEqual([[expect.objectContaining({ file: expect.stringMatching(/:Invoices$/) }), 'A']]);
    expect(r.problems).toEqual([]);
    // The workbook's tab order, not the order the file stores its sheets in: the first tab stored last.
    const path = join(dir, 'stored-backwards.xlsx');
    await writeWorkbook(path, [invoices, { name: 'Notes', rows: [['note'], ['not a batch']] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const names = Object.keys(zip.files);
    const backwards = new JSZip();
    const sheetsLast = [...names.filter((n) => !/worksheets\/sheet/.test(n)), ...names.filter((n) => /worksheets\/sheet/.test(n)).reverse()];
    for (const n of sheetsLast) if (!zip.files[n]!.dir) backwards.file(n, await zip.files[n]!.async('uint8array'));
    writeFileSync(path, await backwards.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    expect(Object.keys((await JSZip.loadAsync(readFileSync(path))).files).filter((n) => /worksheets\/sheet/.test(n))).toEqual(['xl/worksheets/sheet2.xml', 'xl/worksheets/sheet1.xml']);
    expect((await readPath(path)).records.map((x) => x.fields.invoice_number)).toEqual(['A']);
    // Named, a hidden sheet is read.
    expect((await readBook([lists, invoices], { sheet: 'Lists' })).records.map((x) => x.fields.invoice_number)).toEqual(['HIDDEN-1']);
  });

  it("a shared string is its text: a Japanese cell's phonetic reading (rPh) is not, and Excel's _xHHHH_ escapes are decoded", async () => {
    const path = join(dir, 'furigana.xlsx');
    await writeWorkbook(path, [{ name: 'B', rows: [['invoice_number', 'vendor', 'invoice_note', 'line_note'], ['G-1', 'GOBI', '東京大学 図書館', 'one_x000D_two A_x005F_x000D_B']] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/sharedStrings.xml')!.async('string');
    const phonetic = (text: string, reading: string): string => `<si><t>${text}</t><rPh sb="0" eb="2"><t>${reading}</t></rPh><phoneticPr fontId="1" type="noConversion"/></si>`;
    const patched = xml.replace('<si><t>GOBI</t></si>', phonetic('GOBI', 'ゴビ')).replace('<si><t>東京大学 図書館</t></si>', phonetic('東京大学 図書館', 'トウキョウダイガク'));
    expect(patched).not.toBe(xml);
    zip.file('xl/sharedStrings.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const { records: [record], problems } = await readPath(path);
    expect(problems).toEqual([]);
    expect(record!.fields).toMatchObject({ vendor: 'GOBI', invoice_note: '東京大学 図書館', line_note: 'one\rtwo A_x000D_B' });
  });

  it('no character of a long shared-strings part is lost where the inflated part is cut into chunks', async () => {
    // exceljs decoded each chunk apart: on this file three notes of 3000 came out as "東京大学 図���館".
    const rows = Array.from({ length: 3000 }, (_, i) => [`G-${i}`, 'GOBI', `Müller Straße Ärger éèê ${i} 東京大学 図書館`]);
    const r = await readBook([{ name: 'B', rows: [['invoice_number', 'vendor', 'line_note'], ...rows] }]);
    expect(r.records).toHaveLength(3000);
    expect(r.records.filter((x) => x.fields.line_note !== `Müller Straße Ärger éèê ${x.fields.invoice_number!.slice(2)} 東京大学 図書館`)).toEqual([]);
  });

  it("...nor of a sheet's own text (a formula's saved text)", async () => {
    // exceljs decoded each chunk of the sheet apart too: one note of these 3000 came out with U+FFFD.
    const note = (i: number): string => `Müller Straße Ärger éèê ${i} 東京大学 図書館`;
    const header = ['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'line_number', 'price', 'quantity', 'fund_code', 'fund_percent', 'line_note'];
    const rows = Array.from({ length: 3000 }, (_, i) => [`G-${i}`, new Date('2025-03-04T00:00:00Z'), 'GOBI', 'USD', 10, 1, 10, 1, 'BIO', 100, { formula: `"x"&"${i}"`, result: note(i) }]);
    const r = await readBook([{ name: 'Invoices', rows: [header, ...rows] }]);
    expect(r.records).toHaveLength(3000);
    expect(r.records.filter((x) => x.fields.line_note !== note(Number(x.fields.invoice_number!.slice(2))))).toEqual([]);
  });

  it('an inline string of several runs is all its runs, and an ISO 8601 date cell (t="d") is its day', async () => {
    const path = join(dir, 'inline.xlsx');
    await writeWorkbook(path, [{ name: 'B', rows: [['invoice_number', 'vendor', 'invoice_date', 'invoice_due_date'], ['PLACEHOLDER', 'GOBI', 1, 2]], formats: { 3: 'yyyy-mm-dd' } }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    // As openpyxl writes rich text, and Excel an ISO date (with a date format) and one without.
    const patched = xml
      .replace(/<c r="A2"[^>]*>[\s\S]*?<\/c>/, '<c r="A2" t="inlineStr"><is><r><t>G-</t></r><r><rPr><b/></rPr><t>1</t></r></is></c>')
      .replace(/<c r="C2"([^>]*)>[\s\S]*?<\/c>/, '<c r="C2"$1 t="d"><v>2025-03-04T00:00:00Z</v></c>')
      .replace(/<c r="D2"[^>]*>[\s\S]*?<\/c>/, '<c r="D2" t="d"><v>2025-04-01</v></c>');
    expect(patched.match(/t="d"/g)).toHaveLength(2);
    zip.file('xl/worksheets/sheet1.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const { records: [record], problems } = await readPath(path);
    expect(problems).toEqual([]);
    expect(record!.fields).toMatchObject({ invoice_number: 'G-1', vendor: 'GOBI', invoice_date: '2025-03-04', invoice_due_date: '2025-04-01' });
  });

  it("an ISO 8601 date cell written with single quotes (t='d', as XML allows) is its day too, not a number cell's refusal", async () => {
    const path = join(dir, 'iso-single-quotes.xlsx');
    await writeWorkbook(path, [{ name: 'B', rows: [['invoice_number', 'vendor', 'invoice_date', 'invoice_due_date'], ['G-1', 'GOBI', 1, 2]], formats: { 3: 'yyyy-mm-dd' } }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    const patched = xml
      .replace(/<c r="C2"[^>]*>[\s\S]*?<\/c>/, "<c r='C2' t='d'><v>2025-03-04T00:00:00Z</v></c>")
      .replace(/<c r="D2"[^>]*>[\s\S]*?<\/c>/, '<c r="D2" t = "d"><v>2025-04-01</v></c>');
    expect(patched).toContain("t='d'");
    zip.file('xl/worksheets/sheet1.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const { records: [record], problems } = await readPath(path);
    expect(problems).toEqual([]);
    expect(record!.fields).toMatchObject({ invoice_number: 'G-1', vendor: 'GOBI', invoice_date: '2025-03-04', invoice_due_date: '2025-04-01' });
  });

  it('a number format with escaped letters is no date: an amount in `#,##0.00\\ \\D\\M` is the amount', async () => {
    // The library's own test took the escaped M for a month: 12.5 was read as 1900-01-12.
    const r = await readBook([{ name: 'B', rows: [HEADER, ['G-1', new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'EUR', 12.5, 12.5, 3]], formats: { 5: '#,##0.00\\ \\D\\M', 6: '0.00\\ \\M\\M', 7: '0\\ \\S\\t\\k' } }]);
    expect(r.problems).toEqual([]);
    expect(r.records[0]!.fields).toMatchObject({ invoice_date: '2025-03-04', total_amount: '12.5', price: '12.5', quantity: '3' });
  });

  it.each([31, 57, 58, 81])('a date in East Asian or Thai Excel\'s built-in format %i (an id without its code) is a date', async (id) => {
    const path = join(dir, `builtin-${id}.xlsx`);
    await writeWorkbook(path, [{ name: 'B', rows: [['invoice_number', 'vendor', 'invoice_date'], ['G-1', 'GOBI', new Date(Date.UTC(2025, 2, 4))]], formats: { 3: 'yyyy"年"m"月"d"日"' } }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/styles.xml')!.async('string');
    // As Excel writes a built-in format: the cell's style names the id, and no <numFmt> gives its code.
    const custom = /<numFmt numFmtId="(\d+)"[^>]*\/>/.exec(xml)!;
    const patched = xml.replace(custom[0], '').replaceAll(`numFmtId="${custom[1]}"`, `numFmtId="${id}"`);
    expect(patched).toContain(`numFmtId="${id}"`);
    zip.file('xl/styles.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const { records: [record], problems } = await readPath(path);
    expect(problems).toEqual([]);
    expect(record!.fields).toMatchObject({ invoice_date: '2025-03-04' });
  });

  it('the first sheet by default; --sheet picks another; a missing sheet names the ones there are', async () => {
    const sheets: SheetInput[] = [
      { name: 'Invoices', rows: [HEADER, ['A', '2025-01-01', 'V', 'USD', 1, 1, 1]] },
      { name: 'Notes', rows: [['note'], ['not a batch']] },
    ];
    expect((await readBook(sheets)).records.map((x) => x.fields.invoice_number)).toEqual(['A']);
    expect((await readBook(sheets, { sheet: 'Notes' })).records.map((x) => x.fields.note)).toEqual(['not a batch']);
    // Excel's sheet names are the same whatever their case.
    expect((await readBook(sheets, { sheet: 'notes' })).records.map((x) => [x.source.file.replace(/.*:/, ''), x.fields.note])).toEqual([['Notes', 'not a batch']]);
    const missing = await readBook(sheets, { sheet: 'March' });
    expect(missing.records).toEqual([]);
    expect(missing.problems.map((p) => [p.code, p.message])).toEqual([['sheet_not_found', 'the workbook has no sheet named "March"; its sheets are "Invoices", "Notes"']]);
  });

  it('under a mapping profile, number and date cells skip the number and date dialect', async () => {
    const profile = profileOf({
      xlsx: { sheet: 'Rechnungen', skip_rows: 1 },
      numbers: { decimal: ',', thousands: '.' },
      dates: { format: 'DD.MM.YYYY' },
      columns: { 'Rechnung Nr': 'invoice_number', Datum: 'invoice_date', Lieferant: 'vendor', Betrag: 'total_amount', Preis: 'price' },
    });
    const r = await readBook(
      [
        { name: 'Info', rows: [['x']] },
        {
          name: 'Rechnungen',
          rows: [['Export März'], ['Rechnung Nr', 'Datum', 'Lieferant', 'Betrag', 'Preis'], [4711, new Date(Date.UTC(2025, 2, 4)), 'HARRAS', 1234.5, '1.234,50'], ['R-2', '04.03.2025', 'HARRAS', 7, '7,00']],
        },
      ],
      { mapping: profile },
    );
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([
      { invoice_number: '4711', invoice_date: '2025-03-04', vendor: 'HARRAS', total_amount: '1234.5', price: '1234.50' },
      { invoice_number: 'R-2', invoice_date: '2025-03-04', vendor: 'HARRAS', total_amount: '7', price: '7.00' },
    ]);
    expect(r.records[0]!.source.row).toBe(3);
  });

  it('under a DD/MM/YYYY profile a date cell is its date, an ISO 8601 date cell (t="d") too; text is read in the profile\'s format, as in CSV', async () => {
    const profile = profileOf({ dates: { format: 'DD/MM/YYYY' }, columns: { Nr: 'invoice_number', Datum: 'invoice_date', Lieferant: 'vendor' } });
    const path = join(dir, 'dates-dmy.xlsx');
    const day = new Date(Date.UTC(2026, 10, 30));
    await writeWorkbook(path, [{ name: 'R', rows: [['Nr', 'Lieferant', 'Datum'], ['R-1', 'V', day], ['R-2', 'V', day], ['R-3', 'V', '30/11/2026'], ['R-4', 'V', '2026-11-30']], formats: { 3: 'dd/mm/yyyy' } }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    // R-2's date as Excel's "save dates as ISO 8601" and openpyxl's iso_dates write it.
    const patched = xml.replace(/<c r="C3"([^>]*)>[\s\S]*?<\/c>/, '<c r="C3"$1 t="d"><v>2026-11-30T00:00:00</v></c>');
    expect(patched).toContain('t="d"');
    zip.file('xl/worksheets/sheet1.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    const r = await readPath(path, { mapping: profile });
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.fields.invoice_number, x.fields.invoice_date, x.problems?.map((p) => `${p.code}: ${p.message}`)])).toEqual([
      ['R-1', '2026-11-30', undefined],
      ['R-2', '2026-11-30', undefined],
      ['R-3', '2026-11-30', undefined],
      // A text cell is the vendor's writing: the declared format applies, as to the same text in a CSV file.
      ['R-4', undefined, ['invalid_date: invoice_date "2026-11-30" (vendor column "Datum") is not a date in the format DD/MM/YYYY']],
    ]);
  });

  it('under a profile, an error cell in a mapped column is a problem of the canonical column: a refused price, not a missing one', async () => {
    const profile = profileOf({ columns: { Nr: 'invoice_number', Lieferant: 'vendor', Datum: 'invoice_date', Betrag: 'total_amount', Preis: 'price', Etat: 'fund_code' } });
    const r = await readBook([{ name: 'R', rows: [['Nr', 'Lieferant', 'Datum', 'Betrag', 'Preis', 'Etat'], ['R-1', 'V', new Date(Date.UTC(2026, 10, 30)), 10, { error: '#N/A' }, 'F']] }], { mapping: profile });
    expect(r.records[0]!.problems!.map((p) => [p.code, p.column])).toEqual([['cell_error', 'price']]);
    const g = new InvoiceGrouper();
    for (const record of r.records) g.add(record);
    expect(g.finish().invoices[0]!.problems.map((p) => `${p.code}@${p.row}:${p.column}`)).toEqual(['cell_error@2:price']);
  });

  it('a nested-JSON profile (json.rows) is refused for a workbook, as for CSV, not silently left unapplied', async () => {
    const profile = profileOf({ json: { rows: 'invoices[*]', columns: { invoice_number: 'invoices[*].no', vendor: 'vendor' } } });
    const r = await readBook([{ name: 'R', rows: [['Nr', 'Lieferant'], ['R-1', 'HARRAS']] }], { mapping: profile, name: 'nested.xlsx' });
    expect(r.records).toEqual([]);
    expect(r.problems).toEqual([
      expect.objectContaining({ code: 'mapping_mismatch', severity: 'error', message: expect.stringContaining('reads nested JSON (json.rows), but this file reads as an Excel workbook') }),
    ]);
  });

  it('under a profile, a mapped column empty on the first row is in the header, not missing; one the header lacks is', async () => {
    const profile = profileOf({ columns: { 'Rechnung Nr': 'invoice_number', Lieferant: 'vendor', Gebühr: 'overhead', Versand: 'shipment' } });
    const r = await readBook([{ name: 'R', rows: [['Rechnung Nr', 'Lieferant', 'Gebühr'], ['R-1', 'HARRAS', null], ['R-2', 'HARRAS', 8]] }], { mapping: profile });
    // A charge: a warning, the total rule says an invoice whose shipment went missing (transform.ts missingIsError).
    expect(r.problems.map((p) => [p.code, p.column, p.severity])).toEqual([['mapped_column_missing', 'shipment', 'warning']]);
    expect(r.records.map((x) => x.fields.overhead)).toEqual([undefined, '8']);
  });

  it('a workbook that changed while it was read is one file_changed error after its rows', async () => {
    const path = join(dir, 'changing.xlsx');
    await writeWorkbook(path, [{ name: 'Invoices', rows: [HEADER, ['A-1', '2026-01-05', 'GOBI', 'USD', '5', '5', '1']] }]);
    const source = await openInputFile(path);
    const events: InputEvent[] = [];
    for await (const e of readRecords(source, { encoding: 'utf-8' })) {
      events.push(e);
      if (e.kind === 'record') utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    }
    expect(events.map((e) => (e.kind === 'problem' ? e.problem.code : 'record'))).toEqual(['record', 'file_changed']);
  });

  it('a file that is not a workbook, an old .xls and an empty sheet each give one problem', async () => {
    const bad = join(dir, 'not.xlsx');
    writeFileSync(bad, 'invoice_number,vendor\nA,B\n');
    const events: InputEvent[] = [];
    for await (const e of readRecords(await openInputFile(bad), { encoding: 'utf-8' })) events.push(e);
    expect(events.map((e) => (e.kind === 'problem' ? e.problem.code : 'record'))).toEqual(['invalid_workbook']);
    const xls = join(dir, 'old.xls');
    writeFileSync(xls, 'x');
    const old: InputEvent[] = [];
    for await (const e of readRecords(await openInputFile(xls), { encoding: 'utf-8' })) old.push(e);
    expect(old.map((e) => (e.kind === 'problem' ? e.problem.code : 'record'))).toEqual(['unsupported_format']);
    expect((await readBook([{ name: 'Empty', rows: [] }])).problems.map((p) => p.code)).toEqual(['empty_file']);
  });

  it.each([
    // What Excel writes for a workbook with a password to open it (an OLE2 compound file holding the encrypted package).
    ['an encrypted workbook', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0], /^this workbook is encrypted \(a password to open it, or a sensitivity label that protects it\) or is an old \.xls workbook named \.xlsx; open it in Excel, remove the password/],
    ['a PDF', [...Buffer.from('%PDF-1.7\n')], /^this is a PDF document, not a batch of invoices/],
    ['text', [...Buffer.from('invoice_number,vendor\nA,B\n')], /^this is a text file, not a workbook: if it holds the batch as CSV, JSON or JSON Lines, name it \.csv, \.json or \.jsonl$/],
    ['an HTML page', [...Buffer.from('<!DOCTYPE html>\n<html><body>502 Bad Gateway')], /^this is a text file, not a workbook/],
    ['something else', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05], /^cannot read the workbook: .*; is it an \.xlsx file saved by a spreadsheet program\?$/],
  ])('%s named .xlsx: one problem that says what it is', async (_what, bytes, message) => {
    const path = join(dir, `what-${bytes[0]}.xlsx`);
    writeFileSync(path, Buffer.from([...bytes, ...Buffer.alloc(600)]));
    const { problems } = await readPath(path);
    expect(problems.map((p) => p.code)).toEqual(['invalid_workbook']);
    expect(problems[0]!.message).toMatch(message);
  });
});

describe('xlsx: a sheet where only some rows and cells carry r, and a workbook the reader fails on', () => {
  /** A one-sheet workbook whose sheet1.xml is `sheetData` (inside <sheetData>). */
  async function rawSheet(name: string, sheetData: string): Promise<string> {
    const path = join(dir, name);
    await writeWorkbook(path, [{ name: 'Invoices', rows: [['x']] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.replace(/<sheetData[\s\S]*<\/sheetData>|<sheetData\/>/, `<sheetData>${sheetData}</sheetData>`));
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    return path;
  }
  const str = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
  const head = `<row r="1">${str('A1', 'invoice_number')}${str('B1', 'vendor')}${str('C1', 'total_amount')}</row><row r="2">${str('A2', 'G-1')}${str('B2', 'GOBI')}<c r="C2"><v>10</v></c></row>`;

  it.each([
    // x_emptyc.xlsx and x_c_nor.xlsx of the hostile-input review: "cannot read the workbook: Cannot read properties of undefined (reading 'length')", no rows.
    ['an empty cell without r', '<row><c/></row>', []],
    ['a cell without r holding a value', '<row><c t="inlineStr"><is><t>G-2</t></is></c><c t="inlineStr"><is><t>GOBI</t></is></c><c><v>5</v></c></row>', [['G-2', 'GOBI', '5', 3]]],
  ])('rows with r, then a row without (%s): every row read, each in its place', async (_what, last, more) => {
    const { records, problems } = await readPath(await rawSheet(`mixed-r-${more.length}.xlsx`, head + last));
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.fields.invoice_number, r.fields.vendor, r.fields.total_amount, r.source.row])).toEqual([['G-1', 'GOBI', '10', 2], ...more]);
  });

  it('a workbook the reader fails on is one invalid_workbook problem without "the sheet is empty" after it', async () => {
    const { records, problems } = await readPath(await rawSheet('broken-xml.xlsx', '<row></c>'));
    expect(records).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(['invalid_workbook']);
  });

  it('a sheet that fails after some rows were read says the last row read (the rows before it are the file\'s only up to there)', async () => {
    // Enough rows that the damage is in a later chunk of the sheet's XML than its first rows.
    let data = `<row r="1">${str('A1', 'invoice_number')}${str('B1', 'vendor')}${str('C1', 'total_amount')}</row>`;
    for (let r = 2; r <= 3001; r++) data += `<row r="${r}">${str(`A${r}`, `G-${r}`)}${str(`B${r}`, 'GOBI')}<c r="C${r}"><v>10</v></c></row>`;
    const { records, problems } = await readPath(await rawSheet('broken-after-rows.xlsx', `${data}<row r="3002"></c>`));
    expect(records.length).toBeGreaterThan(0);
    const last = records.at(-1)!.source.row!;
    expect(last).toBeLessThan(3001);
    expect(problems.map((p) => [p.code, p.row, p.message])).toEqual([
      ['invalid_workbook', undefined, expect.stringMatching(new RegExp(`^the sheet "Invoices" could not be read past row ${last}, and the rows after it are not read: cannot read the workbook: `))],
    ]);
  });

  it('a failure of the program itself is said plainly, without JavaScript\'s words; the library\'s words about the file are kept', () => {
    const plain = unreadable(new TypeError("Cannot read properties of undefined (reading 'length')"));
    expect(plain).toMatch(/^this workbook could not be read \(.*\); open it in Excel and save it again/);
    expect(plain).not.toMatch(/undefined|properties|TypeError/);
    expect(unreadable(new Error('invalid signature: 0x4034b50'))).toBe('cannot read the workbook: invalid signature: 0x4034b50; is it an .xlsx file saved by a spreadsheet program?');
  });
});

/**
 * A workbook whose sheet part stops inside its rows (a valid zip holding cut XML: a program that
 * wrote it died part-way) read as a whole sheet, its last rows silently absent, exit 0. Its
 * `<sheetData>` is never closed: `invalid_workbook`, the file not read whole (`partial`), the
 * sheet's invoices held back (`refuses`: the rows are the sheet's, `book.xlsx:S`).
 */
describe('xlsx: a sheet whose XML stops inside its rows', () => {
  async function cutSheet(name: string, rows: number, cut: (xml: string) => string): Promise<string> {
    const path = join(dir, name);
    const sheetRows: (string | number)[][] = [['invoice_number', 'vendor', 'total_amount']];
    for (let r = 2; r <= rows; r++) sheetRows.push([`G-${r}`, 'GOBI', 10]);
    await writeWorkbook(path, [{ name: 'S', rows: sheetRows }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', cut(xml));
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    return path;
  }
  async function events(path: string) {
    const out: InputEvent[] = [];
    for await (const e of readRecords(await openInputFile(path), { encoding: 'utf-8' })) out.push(e);
    return out;
  }
  const MESSAGE =
    "the sheet's XML ends inside its rows (its <sheetData> is never closed): the workbook looks cut short or damaged (was it written by a program that stopped part-way?); open it in Excel and save it again, or give the whole file";

  it.each([
    ['before a row (the reviewer\'s: up to `<row r="15"`)', 20, (x: string) => x.slice(0, x.indexOf('<row r="15"')), 14],
    ['inside a row\'s cell', 20, (x: string) => x.slice(0, x.indexOf('<row r="15"') + 30), 14],
    ['in its closing tag (`</sheetDa`)', 20, (x: string) => x.slice(0, x.indexOf('</sheetData>') + 9), 20],
    ['far into a long sheet (the XML in many chunks)', 3000, (x: string) => x.slice(0, x.indexOf('<row r="2900"')), 2899],
  ])('cut %s: invalid_workbook, partial, the rows before it read', async (_what, rows, cut, readTo) => {
    const path = await cutSheet(`cut-${rows}-${readTo}-${_what.length}.xlsx`, rows, cut);
    const got = await events(path);
    const records = got.flatMap((e) => (e.kind === 'record' ? [e.record] : []));
    expect(records.at(-1)?.source.row).toBe(readTo);
    expect(got.flatMap((e) => (e.kind === 'problem' ? [[e.problem.file, e.problem.code, e.problem.message, e.partial, e.refuses]] : []))).toEqual([
      [path, 'invalid_workbook', `the sheet "S" could not be read past row ${readTo}, and the rows after it are not read: ${MESSAGE}`, true, `${path}:S`],
    ]);
  });

  it('a whole sheet, and one without rows (`<sheetData/>`), are whole; the same sheet ending before `</sheetData>` is not', async () => {
    const whole = await cutSheet('whole.xlsx', 20, (x) => x);
    expect((await readPath(whole)).problems).toEqual([]);
    const unclosed = await cutSheet('unclosed.xlsx', 20, (x) => x.slice(0, x.indexOf('</sheetData>')));
    expect((await readPath(unclosed)).problems.map((p) => p.code)).toEqual(['invalid_workbook']);
    const empty = await cutSheet('no-rows.xlsx', 20, (x) => x.replace(/<sheetData>[\s\S]*<\/sheetData>/, '<sheetData/>'));
    expect((await readPath(empty)).problems.map((p) => p.code)).toEqual(['empty_file']);
  });
});

describe('a workbook that is empty or cut short (still being copied)', () => {
  it('says so, not the library\'s FILE_ENDED', async () => {
    const whole = join(dir, 'whole.xlsx');
    await writeWorkbook(whole, [{ name: 'B', rows: [HEADER, ['A', '2025-01-01', 'V', 'USD', 1, 1, 1]] }]);
    const bytes = readFileSync(whole);
    const cases: [string, Buffer, RegExp][] = [
      ['empty.xlsx', Buffer.alloc(0), /^the file is empty: it is not a workbook \(was it still being copied or downloaded\?\)$/],
      ['cut.xlsx', bytes.subarray(0, Math.floor(bytes.length / 3)), /^the workbook is cut short: the file ends before its last part \(was it still being copied or downloaded\?\); give the whole file$/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const { problems } = await readPath(path);
      expect(problems.map((p) => [p.code, p.message]), name).toEqual([['invalid_workbook', expect.stringMatching(message)]]);
    }
  });
});

describe('xlsx: rows Excel does not show', () => {
  const row = (n: string) => [n, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 5, 5, 1];
  it('are read like the others, and named in one warning (the hidden header and the other sheets\' rows are not)', async () => {
    const r = await readBook([
      { name: 'Old', rows: [HEADER, row('X-1'), row('X-2')], hiddenRows: [2] },
      { name: 'Batch', rows: [HEADER, row('A-1'), row('A-2'), row('A-3'), row('A-4'), row('A-5')], hiddenRows: [1, 3, 4, 6] },
    ], { sheet: 'Batch' });
    expect(r.records.map((x) => x.fields['invoice_number'])).toEqual(['A-1', 'A-2', 'A-3', 'A-4', 'A-5']);
    expect(r.problems.map((p) => [placeOf(p.file, p.row!), p.code, p.severity, p.message])).toEqual([
      [expect.stringMatching(/!3$/), 'hidden_rows', 'warning', 'rows 3–4 and 6 are hidden in the sheet (with Hide, or by a filter); they are read and loaded like the others: delete them from the file if they are not to be loaded'],
    ]);
  });
  it("are the chosen sheet's own where the sheets' ids are not their files' numbers (sheets moved or deleted in Excel)", async () => {
    const path = join(dir, 'swapped.xlsx');
    await writeWorkbook(path, [
      { name: 'Old', rows: [HEADER, row('X-1'), row('X-2'), row('X-3')], hiddenRows: [3, 4], merges: ['C2:C4'] },
      { name: 'Batch', rows: [HEADER, row('A-1')] },
    ]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/workbook.xml')!.async('string');
    // Old (in sheet1.xml) gets sheetId 2, Batch (sheet2.xml) sheetId 1.
    const patched = xml.replace('<sheet sheetId="1" name="Old"', '<sheet sheetId="2" name="Old"').replace('<sheet sheetId="2" name="Batch"', '<sheet sheetId="1" name="Batch"');
    expect(patched).toContain('<sheet sheetId="2" name="Old"');
    expect(patched).toContain('<sheet sheetId="1" name="Batch"');
    zip.file('xl/workbook.xml', patched);
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    expect((await readPath(path, { sheet: 'Batch' })).problems).toEqual([]);
    expect((await readPath(path, { sheet: 'Old' })).problems.map((p) => p.code)).toEqual(['hidden_rows', 'merged_cells']);
  });

  it('a sheet with none hidden has no warning', async () => {
    expect((await readBook([{ name: 'Batch', rows: [HEADER, row('A-1')] }])).problems).toEqual([]);
  });
  it('one row, and many rows as ranges', () => {
    expect(hiddenMessage([7])).toBe('row 7 is hidden in the sheet (with Hide, or by a filter); it is read and loaded like the others: delete it from the file if it is not to be loaded');
    expect(hiddenMessage(Array.from({ length: 30 }, (_, i) => 2 * i + 2))).toMatch(/^rows 2, 4, 6, .*, 40 and 10 more are hidden/);
  });
  it('hidden="1" as Excel writes it and hidden="true" as LibreOffice does; not hidden="0"', () => {
    const found: number[] = [];
    hiddenRows('<row r="2" hidden="1" spans="1:3"><c r="A2"/></row><row r="3" hidden="0"></row><row r="4" ht="15" hidden="true"/><row r="5">', (n) => found.push(n));
    expect(found).toEqual([2, 4]);
  });
  it("hidden='1' and r='3' in single quotes, or with spaces around =, as XML allows: hidden too", () => {
    const found: number[] = [];
    hiddenRows(`<row r='3' hidden='1'/><row r = "4" hidden = "true"/><row r='5' hidden='0'/>`, (n) => found.push(n));
    expect(found).toEqual([3, 4]);
  });
});

describe('xlsx: cells merged over rows', () => {
  const H = ['invoice_number', 'vendor', 'line_number', 'price', 'fund_code', 'colour'];
  it('are read as the file holds them (the value in the first row only), and named in one warning', async () => {
    const rows = [H, ['A-1', 'GOBI', 1, 5, 'BIO', 'red'], ['A-1', 'GOBI', 2, 6, null, null], ['A-1', 'GOBI', 3, 7, null, null], ['A-2', 'GOBI', 1, 8, 'HIST', null]];
    const r = await readBook([{ name: 'Batch', rows, merges: ['E2:E4', 'F2:F3', 'A5:B5'] }]);
    expect(r.records.map((x) => x.fields['fund_code'])).toEqual(['BIO', undefined, undefined, 'HIST']);
    expect(r.problems.map((p) => [placeOf(p.file, p.row!), p.code, p.severity, p.message])).toEqual([
      [
        expect.stringMatching(/!3$/),
        'merged_cells',
        'warning',
        'cells E2:E4, F2:F3 are merged, each over several rows: a merged cell keeps its value in its first row only, so the rows below it read the columns fund_code, colour as empty; unmerge the cells and fill the value into each row',
      ],
    ]);
  });
  it('one range; merges in the header or over one row only are not said', () => {
    const names = ['', 'invoice_number', 'vendor', 'fund_code'];
    expect(mergedMessage(['C3:C5'], 1, names)?.message).toMatch(/^cells C3:C5 are merged over several rows: .* read the column fund_code as empty;/);
    expect(mergedMessage(['A1:A2', 'B3:C3', 'E2:E9'], 2, names)).toBeUndefined();
    expect(mergedMessage(['C1:C4'], 1, names)?.row).toBe(2);
  });
});

describe('xlsx helpers', () => {
  it.each([
    ['dd.mm.yyyy', true],
    ['m/d/yy h:mm', true],
    ['[$-407]d. mmmm yyyy', true],
    ['#,##0.00 "EUR"', false],
    ['0.00%', false],
    ['General', false],
    ['@', false],
    ['"day "0', false],
  ])('isDateFormat(%s) = %s', (fmt, expected) => expect(isDateFormat(fmt)).toBe(expected));

  it.each([
    [77812, '77812'],
    [12345678901234567890, '12345678901234567168'],
    [1e-7, '0.0000001'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-12.5, '-12.5'],
  ])('numberText(%s) = %s', (n, t) => expect(numberText(n)).toBe(t));
});

describe('xlsx: a second header under the first (two sheets pasted one under the other)', () => {
  const day = new Date(Date.UTC(2025, 2, 4));
  it('in another column order is a sheet error naming its row, and is not read as a row', async () => {
    const r = await readBook([
      {
        name: 'Batch',
        rows: [HEADER, ['A-1', day, 'GOBI', 'USD', 10, 10, 1], ['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'quantity', 'price'], ['A-2', day, 'GOBI', 'USD', 20, 1, 20]],
      },
    ]);
    expect(r.problems.map((p) => [placeOf(p.file, p.row!), p.code, p.severity, p.message])).toEqual([
      [
        expect.stringMatching(/:Batch!3$/),
        'second_header',
        'error',
        "this row is a second header (its cells are column names, in another order or with other columns than the header on row 1), as when two files are joined into one; the rows under it would be read in the first header's columns: load the files one by one, or put their rows in one header's column order",
      ],
    ]);
    expect(r.records.map((x) => x.source.row)).toEqual([2, 4]);
  });
  it('repeated as it is (or in another case) is a warning and is not read; one name alone is a row', async () => {
    const r = await readBook([{ name: 'Batch', rows: [HEADER, ['A-1', day, 'GOBI', 'USD', 10, 10, 1], HEADER.map((h) => h.toUpperCase()), ['A-2', day, 'GOBI', 'USD', 20, 20, 1], [null, null, 'price']] }]);
    expect(r.problems.map((p) => [p.row, p.code, p.severity])).toEqual([[3, 'repeated_header', 'warning']]);
    expect(r.records.map((x) => x.source.row)).toEqual([2, 4, 5]);
  });
});

describe('xlsx: a number with a fraction in an id column', () => {
  it('is number_cell on its row, not the id "2025.1" (typed 2025.10) or "0.1"; whole numbers are ids', async () => {
    const day = new Date(Date.UTC(2025, 2, 4));
    const r = await readBook([
      {
        name: 'Batch',
        rows: [
          [...HEADER, 'po_line'],
          [2025.1, day, 'GOBI', 'USD', 5, 5, 1, 'POL-1'],
          ['A-2', day, 'GOBI', 'USD', 5, 5, 1, 0.1],
          ['A-3', day, 'GOBI', 'USD', 5, 5, 1, { formula: 'A1/3', result: 1 / 3 }],
          [2025, day, 'GOBI', 'USD', 5, 5, 1, 77],
        ],
      },
    ]);
    const problems = r.records.flatMap((x) => x.problems ?? []);
    expect(problems.map((p) => [p.row, p.column, p.code])).toEqual([
      [2, 'invoice_number', 'number_cell'],
      [3, 'po_line', 'number_cell'],
      [4, 'po_line', 'number_cell'],
    ]);
    expect(problems[0]!.message).toBe(
      'invoice_number 2025.1 is a number with a fraction in the workbook, not a text: Excel drops an id\'s trailing zeros (2025.10 is kept as 2025.1), so this may not be the invoice number on the invoice; format the column as Text and type the value again',
    );
    expect(r.records.map((x) => [x.fields.invoice_number, x.fields.po_line])).toEqual([
      [undefined, 'POL-1'],
      ['A-2', undefined],
      ['A-3', undefined],
      ['2025', '77'],
    ]);
  });
});

describe('xlsx: sheets not read', () => {
  const row = (n: string) => [n, new Date(Date.UTC(2025, 2, 4)), 'GOBI', 'USD', 5, 5, 1];
  it('without --sheet, the other visible sheets laid out as a batch are named in one warning pointing to --sheet', async () => {
    const r = await readBook([
      { name: 'March', rows: [HEADER, row('M-1')] },
      { name: 'Notes', rows: [['checked by'], ['A. Librarian']] },
      { name: 'April', rows: [HEADER, row('A-1'), row('A-2')] },
      { name: 'May', rows: [HEADER] },
      { name: 'June', rows: [['Invoice Number', 'Vendor'], ['J-1', 'GOBI']] },
    ]);
    expect(r.records.map((x) => x.fields.invoice_number)).toEqual(['M-1']);
    expect(r.problems.map((p) => [p.file, p.row, p.code, p.severity, p.message])).toEqual([
      [
        r.path,
        undefined,
        'unread_sheets',
        'warning',
        'only the first sheet, "March", is read; the sheets "April" (2 rows), "June" (1 row) hold invoice rows too, and are not read: load each with --sheet "April" (one sheet a run)',
      ],
    ]);
  });
  it('a summary or look-up sheet (column names, but no invoice_number among them) is no batch: nothing is said of it', async () => {
    const r = await readBook([
      { name: 'Invoices', rows: [HEADER, row('A-1')] },
      { name: 'Summary', rows: [['Vendor', 'Currency', 'Total Amount'], ['GOBI', 'USD', 25]] },
      { name: 'Funds', rows: [['Fund Code', 'Fund Percent'], ['BIO', 100]] },
    ]);
    expect(r.records.map((x) => x.fields.invoice_number)).toEqual(['A-1']);
    expect(r.problems).toEqual([]);
  });
  it('with --sheet, nothing is said of the others', async () => {
    const r = await readBook([{ name: 'March', rows: [HEADER, row('M-1')] }, { name: 'April', rows: [HEADER, row('A-1')] }], { sheet: 'April' });
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.fields.invoice_number)).toEqual(['A-1']);
  });
});

describe('xlsx: a number cell whose saved value is not a number', () => {
  /** A one-sheet workbook whose sheet1.xml holds `sheetData` (inside <sheetData>). */
  async function rawSheet(name: string, sheetData: string): Promise<string> {
    const path = join(dir, name);
    await writeWorkbook(path, [{ name: 'Invoices', rows: [['x']] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    zip.file('xl/worksheets/sheet1.xml', xml.replace(/<sheetData[\s\S]*<\/sheetData>|<sheetData\/>/, `<sheetData>${sheetData}</sheetData>`));
    writeFileSync(path, await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    return path;
  }
  const str = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
  const header = `<row r="1">${str('A1', 'invoice_number')}${str('B1', 'vendor')}${str('C1', 'total_amount')}</row>`;
  const line = (r: number, id: string, amount: string) => `<row r="${r}">${id}${str(`B${r}`, 'GOBI')}${amount}</row>`;

  // Found by a fuzz review: exceljs read `<v>` with parseFloat, so 1234,56 loaded as 1234 (exit 0).
  it.each([
    ['a decimal comma', '<c r="C2"><v>1234,56</v></c>', '1234,56'],
    ['a thousands separator', '<c r="C2" t="n"><v>1,234.50</v></c>', '1,234.50'],
    ['a short decimal comma', '<c r="C2"><v>12,50</v></c>', '12,50'],
    ['hexadecimal', '<c r="C2"><v>0x0A</v></c>', '0x0A'],
    ['a formula\'s saved value', '<c r="C2"><f>D2*2</f><v>12,50</v></c>', '12,50'],
    ['NaN', '<c r="C2"><v>NaN</v></c>', 'NaN'],
    ['INF', '<c r="C2"><v>-INF</v></c>', '-INF'],
    ['Infinity', '<c r="C2"><v>Infinity</v></c>', 'Infinity'],
    ['a number past a double', '<c r="C2"><v>1E+309</v></c>', '1E+309'],
    ['an entity in it', '<c r="C2"><v>12&#44;50</v></c>', '12,50'],
  ])('%s is invalid_number at its cell, quoting the text as saved', async (_what, cell, raw) => {
    const { records, problems } = await readPath(await rawSheet(`bad-number-${raw.replace(/\W/g, '_')}-${_what.length}.xlsx`, header + line(2, str('A2', 'G-1'), cell)));
    expect(problems).toEqual([]);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.fields.total_amount).toBeUndefined();
    expect((r.problems ?? []).map((p) => [p.row, p.column, p.code])).toEqual([[2, 'total_amount', 'invalid_number']]);
    expect(r.problems![0]!.message).toBe(
      `total_amount ${JSON.stringify(raw)} is a number cell in the workbook whose saved value is not a number (a workbook saves a number as digits with an optional "." and exponent, e.g. 1234.56; ` +
        'no thousands separators or decimal comma): the program that wrote the file saved it in another format; have it written again, or format the column as Text and type the value',
    );
    // The rejects file gets the cell as saved.
    expect(r.refused).toEqual({ total_amount: raw });
  });

  it.each([
    ['single quotes', "<c r='C2' t='e'><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>"],
    ['spaces around =', '<c r="C2" t = "e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>'],
  ])("a formula whose saved value is an error, its type written with %s (t='e', as XML allows), is the error cell, not an empty one", async (what, cell) => {
    const { records } = await readPath(await rawSheet(`error-${what.length}.xlsx`, header + line(2, str('A2', 'G-1'), cell)));
    expect(records.map((r) => [r.fields.total_amount, (r.problems ?? []).map((p) => [p.code, p.column, p.message])])).toEqual([
      [undefined, [['cell_error', 'total_amount', 'the cell in column 3 shows the error #N/A; fix the formula or type the value']]],
    ]);
  });

  it('an id number cell 123abc is refused, not the id "123"', async () => {
    const { records } = await readPath(await rawSheet('bad-number-id.xlsx', header + line(2, '<c r="A2"><v>123abc</v></c>', '<c r="C2"><v>10</v></c>')));
    expect(records.map((r) => [r.fields.invoice_number, (r.problems ?? []).map((p) => `${p.code}:${p.column}`)])).toEqual([[undefined, ['invalid_number:invoice_number']]]);
  });

  it('numbers in xsd:double form read as before; text, shared strings, logical and error cells are left alone', async () => {
    const cells = [
      '<c r="C2"><v>1.5E+2</v></c>',
      '<c r="C3"><v> 10 </v></c>',
      '<c r="C4"><v>.5</v></c>',
      '<c r="C5"><v>-3</v></c>',
      '<c r="C6"><f>D6</f><v>7.25</v></c>',
      '<c r="C7" t="str"><f>"4"&amp;"2"</f><v>42</v></c>',
      '<c r="C8" t="e"><v>#N/A</v></c>',
    ];
    const body = cells.map((c, i) => line(i + 2, str(`A${i + 2}`, `G-${i + 2}`), c)).join('');
    const { records } = await readPath(await rawSheet('good-numbers.xlsx', header + body));
    expect(records.map((r) => [r.fields.total_amount, (r.problems ?? []).map((p) => p.code)])).toEqual([
      ['150', []],
      ['10', []],
      ['0.5', []],
      ['-3', []],
      ['7.25', []],
      ['42', []],
      [undefined, ['cell_error']],
    ]);
  });
});

describe('xlsx: a part whose bytes do not match its CRC-32', () => {
  // A fuzz review's stored workbook with 100 changed to 900 loaded a total of 900, exit 0.
  /** A workbook stored uncompressed, its sheets where the writer put them (before the shared strings: parked) or last (read straight from the zip). */
  async function stored(name: string, sheetsLast = false): Promise<{ path: string; bytes: Buffer }> {
    const path = join(dir, name);
    await writeWorkbook(path, [{ name: 'B', rows: [HEADER, ['A', new Date(Date.UTC(2025, 0, 1)), 'V', 'USD', 100, 100, 1]] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    const names = Object.keys(zip.files).filter((n) => !zip.files[n]!.dir);
    const sheet = (n: string) => n.startsWith('xl/worksheets/');
    const order = sheetsLast ? [...names.filter((n) => !sheet(n)), ...names.filter(sheet)] : names;
    const out = new JSZip();
    for (const n of order) out.file(n, await zip.files[n]!.async('uint8array'));
    return { path, bytes: await out.generateAsync({ type: 'nodebuffer', compression: 'STORE' }) };
  }
  const changed = (bytes: Buffer): Buffer => {
    const at = bytes.indexOf('<v>100</v>');
    expect(at).toBeGreaterThan(0);
    const copy = Buffer.from(bytes);
    copy[at + 3] = 0x39; // 100 → 900, the CRC left as it was
    return copy;
  };

  it.each([
    ['a sheet parked in a temporary file', false],
    ['a sheet read straight from the zip', true],
  ])('is invalid_workbook naming the part, not its changed value loaded (%s)', async (_what, sheetsLast) => {
    const { path, bytes } = await stored(`crc-${sheetsLast}.xlsx`, sheetsLast);
    writeFileSync(path, bytes);
    expect((await readPath(path)).records.map((r) => r.fields.total_amount)).toEqual(['100']);
    writeFileSync(path, changed(bytes));
    // Read straight from the zip, its rows would be handed on before its end showed it damaged (and loaded with --skip-invalid): none is.
    const { records, problems } = await readPath(path);
    expect(records).toEqual([]);
    expect(problems.map((p) => [p.code, p.message])).toEqual([
      [
        'invalid_workbook',
        'the workbook is damaged: its part xl/worksheets/sheet1.xml does not match the checksum (CRC-32) stored with it, so its cells may not be what was saved; give the file again as it was sent (a copy or download may have changed it), or save it again from the spreadsheet program',
      ],
    ]);
  });

  it('a zip whose CRCs follow the bytes (data descriptors, as streaming writers store them) reads as before', async () => {
    const path = join(dir, 'crc-descriptors.xlsx');
    await writeWorkbook(path, [{ name: 'B', rows: [HEADER, ['A', new Date(Date.UTC(2025, 0, 1)), 'V', 'USD', 100, 100, 1]] }]);
    const zip = await JSZip.loadAsync(readFileSync(path));
    writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', streamFiles: true }));
    const { records, problems } = await readPath(path);
    expect([records.map((r) => r.fields.total_amount), problems]).toEqual([['100'], []]);
  });
});
