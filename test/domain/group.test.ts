import { describe, expect, it } from 'vitest';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { validateBatch, validateRecords } from '../../src/domain/validate.js';
import { BASE, found, foundWithFile, records, run, withBase, type Row } from './helpers.js';

const INV2: Row = { ...BASE, invoice_number: 'INV-2' };

describe('grouping rows into invoices', () => {
  it('groups rows of one invoice wherever they stand, keeping input order of invoices and rows', () => {
    const r = run([
      { ...BASE, total_amount: '150', line_number: '1' },
      { ...INV2 },
      { vendor: 'ACME', invoice_number: 'INV-1', line_number: '2', price: '50', fund_code: 'F1' },
    ]);
    expect(found(r)).toEqual([]);
    expect(r.invoices.map((i) => i.key.number)).toEqual(['INV-1', 'INV-2']);
    const inv1 = r.invoices[0];
    expect(inv1?.rows).toEqual([{ file: 'b.csv', row: 2 }, { file: 'b.csv', row: 4 }]);
    expect(inv1?.invoice?.lines.map((l) => [l.number, l.price?.toFixed(), l.rows.map((p) => p.row)])).toEqual([
      ['1', '100', [2]],
      ['2', '50', [4]],
    ]);
  });

  it('lets empty invoice-level cells inherit the invoice’s value', () => {
    const r = run([
      { ...BASE, total_amount: '150', line_number: '1', payment_method: 'CREDITCARD', invoice_note: 'first' },
      { vendor: 'ACME', invoice_number: 'INV-1', line_number: '2', price: '50', fund_code: 'F2', currency: '  ' },
    ]);
    expect(found(r)).toEqual([]);
    const h = r.invoices[0]?.invoice?.header;
    expect([h?.currency, h?.date, h?.paymentMethod, h?.note, h?.totalAmount.toFixed()]).toEqual(['USD', '2026-01-15', 'CREDITCARD', 'first', '150']);
  });

  it('keeps every distinct attachment of an invoice, in row order, once each; the first is also `attachment`', () => {
    const r = run([
      { ...BASE, total_amount: '150', line_number: '1', attachment: 'a.pdf' },
      { vendor: 'ACME', invoice_number: 'INV-1', line_number: '2', price: '50', fund_code: 'F2', attachment: 'b.pdf' },
      { vendor: 'ACME', invoice_number: 'INV-1', attachment: 'a.pdf' },
      { vendor: 'ACME', invoice_number: 'INV-1', attachment: 'scans/c.pdf' },
    ]);
    expect(found(r)).toEqual([]);
    const h = r.invoices[0]?.invoice?.header;
    expect(h?.attachment).toBe('a.pdf');
    expect(h?.attachments?.map((a) => [a.path, a.source.row])).toEqual([
      ['a.pdf', 2],
      ['b.pdf', 3],
      ['scans/c.pdf', 5],
    ]);
    // a row naming only a file adds no line
    expect(r.invoices[0]?.invoice?.lines.map((l) => l.number)).toEqual(['1', '2']);
  });

  it('compares invoice-level values after normalisation', () => {
    const r = run([
      { ...BASE, total_amount: '100.0', currency: 'usd', prepaid: 'yes', payment_method: 'CASH', vat_type: 'inclusive', line_number: '1', price: '50' },
      { ...BASE, total_amount: '100.00', currency: 'USD', prepaid: 'TRUE', payment_method: 'CASH', vat_type: 'INCLUSIVE', line_number: '2', price: '50', fund_code: 'F2' },
    ]);
    expect(found(r)).toEqual([]);
  });

  it('reports two different values for an invoice-level column on the later row, naming both rows and values', () => {
    const r = run([{ ...BASE }, { ...INV2 }, { ...BASE, line_number: '2', currency: 'EUR', price: '0' }]);
    expect(found(r)).toEqual(['4:currency:invoice_field_conflict']);
    const p = r.invoices[0]?.problems[0];
    expect(p?.message).toContain('"EUR" on row 4');
    expect(p?.message).toContain('"USD" on row 2');
    expect(r.invoices[0]?.invoice).toBeUndefined();
    expect(r.invoices[1]?.invoice).toBeDefined();
  });

  it('merges rows with the same line_number into one line split across funds', () => {
    const r = run(
      withBase(
        { line_number: '1', fund_code: 'F1', fund_percent: '60', po_line: 'POL-1', quantity: '2', price: '50' },
        { line_number: '1', fund_code: 'F2', fund_percent: '40', price: undefined },
      ),
    );
    expect(found(r)).toEqual([]);
    const line = r.invoices[0]?.invoice?.lines[0];
    expect(r.invoices[0]?.invoice?.lines).toHaveLength(1);
    expect(line?.funds.map((f) => [f.fundCode, f.percent?.toFixed(), f.source.row])).toEqual([
      ['F1', '60', 2],
      ['F2', '40', 3],
    ]);
    expect([line?.poLine, line?.quantity, line?.price?.toFixed()]).toEqual(['POL-1', 2, '50']);
    expect(line?.rows.map((p) => p.row)).toEqual([2, 3]);
  });

  it('reports differing line-level values of one line on the later row', () => {
    const r = run(withBase({ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '50', price: '90' }));
    expect(found(r)).toEqual(['3:price:line_field_conflict']);
    expect(r.invoices[0]?.problems[0]?.message).toMatch(/price "90" on row 3 differs from "100.00" on row 2/);
  });

  it('compares line-level values of one line as values: the same amount written two ways is no conflict', () => {
    const r = run(withBase({ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '50', price: '100' }));
    expect(found(r)).toEqual([]);
    expect(r.invoices[0]?.invoice?.lines.map((l) => l.price?.toFixed(2))).toEqual(['100.00']);
  });

  it('an invalid line-level cell on a later row is its own problem, not a conflict besides', () => {
    const r = run(withBase({ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '50', price: '9O' }));
    expect(found(r).filter((f) => f.endsWith('line_field_conflict'))).toEqual([]);
    expect(found(r)).toHaveLength(1);
    expect(found(r)[0]).toMatch(/^3:price:/);
  });

  it('keeps rows of the same invoice number at two vendors apart, even one right after the other', () => {
    const ebsco = { ...BASE, vendor: 'EBSCO', total_amount: '105' };
    const r = run([{ ...BASE }, { ...ebsco, line_number: '1' }, { ...ebsco, line_number: '2', price: '5' }]);
    expect(found(r)).toEqual([]);
    expect(r.invoices.map((i) => [i.key.vendor, i.key.number, i.rows.map((p) => p.row)])).toEqual([
      ['ACME', 'INV-1', [2]],
      ['EBSCO', 'INV-1', [3, 4]],
    ]);
  });

  it('does not compare line-level values across different lines', () => {
    const r = run(withBase({ line_number: '1', price: '40', total_amount: '100' }, { line_number: '2', price: '60' }));
    expect(found(r)).toEqual([]);
  });

  it('numbers rows without line_number with the smallest unused positive integers, in row order', () => {
    const r = run([
      { ...BASE, total_amount: '400', price: '100' }, // → 2 (1 is used explicitly below)
      { ...BASE, total_amount: undefined, line_number: '1', price: '100' },
      { ...BASE, total_amount: undefined, price: '100' }, // → 4 (3 is used)
      { ...BASE, total_amount: undefined, line_number: '3', price: '100' },
    ]);
    expect(found(r)).toEqual([]);
    expect(r.invoices[0]?.invoice?.lines.map((l) => [l.number, l.rows[0]?.row])).toEqual([
      ['2', 2],
      ['1', 3],
      ['4', 4],
      ['3', 5],
    ]);
  });

  it('makes each row without line_number a line of its own, even with the same content', () => {
    const r = run(withBase({ total_amount: '200' }, { total_amount: undefined }));
    expect(r.invoices[0]?.invoice?.lines.map((l) => l.number)).toEqual(['1', '2']);
  });

  it('finds the lines of a long invoice by number (more lines than are scanned linearly)', () => {
    const n = 40;
    const first = Array.from({ length: n }, (_, i): Row => ({ ...BASE, total_amount: String(n), line_number: String(i + 1), price: '1', fund_percent: '50' }));
    const second = Array.from({ length: n }, (_, i): Row => ({ vendor: 'ACME', invoice_number: 'INV-1', line_number: String(n - i), fund_code: 'F2', fund_percent: '50' }));
    const r = run([...first, { ...INV2 }, ...second]);
    expect(found(r)).toEqual([]);
    const lines = r.invoices[0]?.invoice?.lines ?? [];
    expect(lines).toHaveLength(n);
    expect(lines.every((l, i) => l.number === String(i + 1) && l.funds.map((f) => f.fundCode).join() === 'F1,F2')).toBe(true);
    expect(lines[0]?.rows.map((p) => p.row)).toEqual([2, 2 + 2 * n]);
  });

  it('reports line numbers that are the same number written differently', () => {
    const r = run(withBase({ line_number: '1', total_amount: '200' }, { line_number: '01', total_amount: undefined }));
    expect(found(r).sort()).toEqual(['3:line_number:duplicate_line_number', '3:line_number:invalid_line_number']);
    expect(r.invoices[0]?.problems.map((p) => p.message).join('\n')).toContain('"01" is the same number as "1" on row 2');
  });

  it('reports the same fund twice on one line as a likely duplicated row', () => {
    const r = run(withBase({ line_number: '1', fund_percent: '100' }, { line_number: '1', fund_percent: '100' }));
    expect(found(r)).toEqual(['3:fund_code:duplicate_fund_row']);
    expect(r.invoices[0]?.problems[0]?.message).toContain('"F1" appears twice on line "1" (rows 2 and 3)');
  });

  it('a later row of a line with no fund share and no cell of its own is refused, not merged silently (its split was in a column not read)', () => {
    // The vendor's fund column was renamed: two fund rows of line 1 read as the same row without a fund.
    const r = run([
      { ...BASE, fund_code: undefined, po_line: 'POL-1', quantity: '1', line_number: '1', kostenstelle: 'HIST', anteil: '50' },
      { ...BASE, fund_code: undefined, po_line: 'POL-1', quantity: '1', line_number: '1', kostenstelle: 'GENMON', anteil: '50' },
    ]);
    expect(found(r).filter((x) => !x.includes('unknown_columns'))).toEqual(['3:fund_code:duplicate_fund_row']);
    expect(r.invoices[0]?.problems[0]?.message).toContain('row 3 repeats line "1" (row 2) with no fund share');
    // A fund row after one with the fund, or a later row that gives a cell the line or invoice lacked, is not.
    expect(found(run(withBase({ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '50' })))).toEqual([]);
    expect(found(run([{ ...BASE, fund_code: undefined, po_line: 'POL-1', quantity: '1', line_number: '1' }, { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', line_note: 'n' }]))).toEqual([]);
    expect(found(run([{ ...BASE, fund_code: undefined, po_line: 'POL-1', quantity: '1', line_number: '1' }, { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', payment_method: 'CREDITCARD' }]))).toEqual([]);
  });

  it('two fund codes refused for a control character on one line are each refused, not a duplicated row', () => {
    const r = run(withBase({ line_number: '1', fund_code: 'F\u00071', fund_percent: '50' }, { line_number: '1', fund_code: 'F\u00072', fund_percent: '50' }));
    expect(found(r).sort()).toEqual(['2:fund_code:invalid_character', '3:fund_code:invalid_character']);
    expect(r.invoices[0]?.problems.map((p) => p.message).join('\n')).not.toContain('undefined');
  });

  it('keeps a header-only row in the invoice without making a line of it', () => {
    const header = { vendor: 'ACME', invoice_number: 'INV-1', invoice_date: '2026-01-15', total_amount: '100', currency: 'USD' };
    const r = run([header, { vendor: 'ACME', invoice_number: 'INV-1', price: '100', fund_code: 'F1' }]);
    expect(found(r)).toEqual([]);
    expect(r.invoices[0]?.rows.map((p) => p.row)).toEqual([2, 3]);
    expect(r.invoices[0]?.invoice?.lines.map((l) => [l.number, l.rows[0]?.row])).toEqual([['1', 3]]);
  });

  it('reports a row without vendor or invoice_number in the file-level issues, and skips blank rows', () => {
    const r = run([{ ...BASE }, { ...BASE, vendor: undefined }, { ...BASE, invoice_number: ' ', vendor: '' }, { vendor: '', price: ' ' }, {}]);
    expect(r.issues.map((p) => `${p.row}:${p.column}:${p.code}:${p.severity}`)).toEqual([
      '3:vendor:missing_value:error',
      '4:vendor:missing_value:error',
    ]);
    // Both empty (a totals line at the bottom of a spreadsheet): one problem saying what it likely is.
    expect(r.issues[1]?.message).toBe('vendor and invoice_number are both empty, so the row belongs to no invoice (a totals or notes line?); delete it, or fill them in');
    // Row 2 has its invoice number: its vendor is named (test/domain/left-out.test.ts).
    expect(r.issues[0]?.message).toBe('vendor is empty, so the row cannot be grouped into an invoice; row 2 with invoice number "INV-1" is vendor "ACME" — fill in ACME?');
    expect(r.invoices).toHaveLength(1);
    // Row 3 may be a line of INV-1: the invoice is not loaded without it (test/domain/held-back.test.ts).
    expect(r.invoices[0]?.invoice).toBeUndefined();
    expect(r.invoices[0]?.problems.map((p) => `${p.row}:${p.column}:${p.code}`)).toEqual(['3:vendor:row_without_vendor']);
  });

  it('treats the same invoice in a second file as a duplicate: not merged, named in both, not loaded', () => {
    const r = validateRecords([
      ...records([{ ...BASE }, { ...INV2 }], 'a.csv'),
      ...records([{ ...INV2, invoice_number: 'INV-3' }, { ...BASE, price: '1' }, { ...BASE, line_number: '9' }], 'b.csv'),
    ]);
    expect(foundWithFile(r)).toEqual(['b.csv:3:invoice_number:duplicate_invoice']);
    const inv1 = r.invoices.find((i) => i.key.number === 'INV-1');
    expect(inv1?.invoice).toBeUndefined();
    // Both copies' rows are the invoice's (the report's rows, --rejects), the first file's first.
    expect(inv1?.rows).toEqual([{ file: 'a.csv', row: 2 }, { file: 'b.csv', row: 3 }, { file: 'b.csv', row: 4 }]);
    expect(inv1?.problems[0]?.message).toContain('also in a.csv (row 2)');
    expect(inv1?.problems[0]?.message).toContain('rows in b.csv are not merged');
    expect(r.invoices.filter((i) => i.invoice !== undefined).map((i) => i.key.number)).toEqual(['INV-2', 'INV-3']);
  });

  it('gives one unknown_columns warning per file, listing the columns, with no row', () => {
    const r = validateRecords([
      ...records([{ ...BASE, colour: 'red', 'Unit Price': '1' }, { ...INV2, colour: 'blue', isbn: 'x' }], 'a.csv'),
      ...records([{ ...BASE, invoice_number: 'INV-3', colour: 'x', constructor: 'y' }], 'b.csv'),
    ]);
    expect(r.issues.map((p) => [p.file, p.row, p.code, p.severity, p.message])).toEqual([
      ['a.csv', undefined, 'unknown_columns', 'warning', expect.stringContaining('colour, Unit Price, isbn')],
      ['b.csv', undefined, 'unknown_columns', 'warning', expect.stringContaining('colour, constructor')],
    ]);
    expect(r.invoices.every((i) => i.invoice !== undefined)).toBe(true);
    // A name that looks canonical and is not says what is in it.
    const hidden = validateRecords(records([{ ...BASE, 'line_note\u200b': 'x', 'prіce': '1', colour: 'x' }], 'c.csv'));
    expect(hidden.issues.map((p) => p.message)).toEqual([
      'columns not in the canonical layout are ignored: line_note<U+200B ZERO WIDTH SPACE> (looks like line_note, but has the invisible U+200B ZERO WIDTH SPACE), ' +
        'prіce (looks like price, but has "і" (U+0456)), colour (a --mapping profile can map them)',
    ]);
  });

  it('a payments file given to the load is one error naming the command that reads it, not only a missing date and total a row', () => {
    const pay = { vendor: 'ACME', invoice_number: 'INV-1', payment_status: 'paid', voucher_number: 'V-1', voucher_date: '2025-04-20', voucher_amount: '10.00', note: '' };
    const r = validateRecords(records([pay, { ...pay, invoice_number: 'INV-2' }], 'pay ments.csv'));
    expect(r.issues.map((p) => [p.file, p.code, p.severity, p.message])).toEqual([
      [
        'pay ments.csv',
        'payments_file',
        'error',
        "this is a file of payment confirmations, not an invoice batch: it has payment_status, voucher_number, voucher_date, voucher_amount and no invoice lines; load it with `invoice-load payments 'pay ments.csv'`",
      ],
    ]);
    // An invoice batch that also carries a payment status is loaded as one: it has lines.
    const withLines = validateRecords(records([{ ...BASE, payment_status: 'paid', voucher_number: 'V-1' }], 'b.csv'));
    expect(withLines.issues.map((p) => [p.code, p.severity])).toEqual([['unknown_columns', 'warning']]);
    expect(withLines.invoices[0]?.invoice).toBeDefined();
    // Without payment_status, a file of invoice headers is not taken for payments.
    const headers = validateRecords(records([{ vendor: 'ACME', invoice_number: 'INV-1', voucher_number: 'V-1', voucher_date: '2025-04-20' }], 'h.csv'));
    expect(headers.issues.map((p) => p.code)).toEqual(['unknown_columns']);
  });

  it("an input warning on an invoice cell (an Excel amount rounded) keeps the cell; an input error leaves it out", () => {
    const at = { file: 'b.xlsx', row: 2 };
    const warned = { code: 'amount_rounded', message: 'total_amount 100.004 has more decimals than USD (2); taken as 100.00: check the cell', severity: 'warning' as const, column: 'total_amount', ...at };
    const r = validateRecords([{ source: at, fields: { ...BASE }, problems: [warned] }]);
    expect(r.invoices[0]?.problems.map((p) => [p.code, p.severity])).toEqual([['amount_rounded', 'warning']]);
    expect(r.invoices[0]?.invoice?.header.totalAmount.toFixed(2)).toBe('100.00');
    const refused = { ...warned, code: 'invalid_date', severity: 'error' as const, column: 'invoice_date' };
    const bad = validateRecords([{ source: at, fields: { ...BASE, invoice_date: undefined }, problems: [refused] }]);
    expect(bad.invoices[0]?.problems.map((p) => p.code)).toEqual(['invalid_date']);
    expect(bad.invoices[0]?.invoice).toBeUndefined();
  });

  it('a line or fund cell the input refused (a workbook error cell, a cell too long) is not also missing or left out of the sums', () => {
    const at = (row: number) => ({ file: 'b.xlsx:B', row });
    const refused = (row: number, column: string) => ({ ...at(row), column, code: 'cell_error', message: 'the cell shows the error #N/A; fix the formula or type the value', severity: 'error' as const });
    const codes = (rows: { row: number; fields: Row; refused?: string }[]) =>
      found(validateRecords(rows.map((r) => ({ source: at(r.row), fields: r.fields, ...(r.refused !== undefined ? { problems: [refused(r.row, r.refused)] } : {}) }))));
    expect(codes([{ row: 2, fields: { ...BASE, price: undefined }, refused: 'price' }])).toEqual(['2:price:cell_error']);
    expect(codes([{ row: 2, fields: { ...BASE, price: undefined, po_line: 'POL-1' }, refused: 'price' }])).toEqual(['2:price:cell_error']);
    expect(codes([{ row: 2, fields: { ...BASE, total_amount: '200.00' }, refused: 'quantity' }])).toEqual(['2:quantity:cell_error']);
    // A split line: the second fund's share was given, and refused.
    const split = { ...BASE, line_number: '1', fund_percent: '50' };
    expect(codes([{ row: 2, fields: split }, { row: 3, fields: { ...split, fund_code: 'F2', fund_percent: undefined }, refused: 'fund_percent' }])).toEqual(['3:fund_percent:cell_error']);
    // A cell really empty is still missing.
    expect(codes([{ row: 2, fields: { ...BASE, price: undefined } }])).toEqual(['2:price:price_missing']);
  });

  it("a nested invoice's line key (misplaced_key) makes the invoice INVALID without refusing the first line's own cell: its rules still speak", () => {
    const at = { file: 'n.json', row: 3 };
    const misplaced = { file: 'n.json', row: 1, column: 'quantity', code: 'misplaced_key', message: 'the key "quantity" of invoice "INV-1" is a column of an invoice line…', severity: 'error' as const };
    const r = validateRecords([{ source: at, fields: { ...BASE, line_number: '1', fund_code: undefined, po_line: 'POL-1' }, problems: [misplaced] }]);
    expect(found(r)).toEqual(['1:quantity:misplaced_key', '3:quantity:quantity_from_po_line']);
    expect(r.invoices[0]?.invoice).toBeUndefined();
  });

  it('a declared header with no row under it: without vendor and invoice_number an error for the file; a canonical one is a no_rows warning', () => {
    const g = new InvoiceGrouper();
    g.declareColumns('cover.csv', ['Vendor summary']);
    g.declareColumns('empty.csv', ['vendor', 'invoice_number', 'price']);
    const issues = g.finish().issues;
    expect(issues.map((p) => [p.file, p.code, p.severity])).toEqual([
      ['cover.csv', 'missing_column', 'error'],
      ['cover.csv', 'unknown_columns', 'warning'],
      ['empty.csv', 'no_rows', 'warning'],
    ]);
    expect(issues[2]?.message).toBe('empty.csv has a header and no rows, so it holds no invoice (an export that found nothing, or the wrong file?)');
  });

  it('a key cell the input refused is said once by its problem, not also as a missing column or an empty cell', () => {
    const at = { file: 'b.xlsx:B', row: 2 };
    const refused = { ...at, column: 'invoice_number', code: 'number_precision', message: 'invoice_number 12345678901234500 is a number…', severity: 'error' as const };
    const { invoice_number: _n, ...rest } = BASE;
    const r = validateRecords([{ source: at, fields: { ...rest }, problems: [refused] }]);
    expect(r.issues.map((p) => p.code)).toEqual(['number_precision']);
    expect(r.invoices).toEqual([]);
  });

  it('names at most 20 unknown columns and counts the rest', () => {
    const extra = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`c${i}`, 'x']));
    const r = validateRecords(records([{ ...BASE, ...extra }], 'w.csv'));
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`).join(', ');
    expect(r.issues.map((p) => p.message)).toEqual([`columns not in the canonical layout are ignored: ${names} and 2,480 more (a --mapping profile can map them)`]);
  });

  describe('a file written in another style (decimal comma, year-last dates): its cells refused one by one, and one warning with the way out', () => {
    const styles = (r: ReturnType<typeof run>) => r.issues.filter((p) => p.code === 'mapping_needed').map((p) => `${p.file}:${p.row ?? '-'}:${p.severity}:${p.message.split(', which')[0]}`);

    it('counts what each file has of each style, from the cells the canonical codecs refused', () => {
      const euro = records([
        { ...BASE, invoice_date: '15.01.2026', total_amount: '1.100,00', price: '1.100,00' },
        { ...INV2, total_amount: '12,5', price: 'n/a' },
      ], 'eu.csv');
      const plain = records([{ ...BASE, invoice_number: 'INV-9' }], 'ok.csv');
      const r = validateRecords([...euro, ...plain]);
      // Each refused cell is still its own error, at its row.
      expect(found(r).filter((f) => /invalid_(number|date)/.test(f))).toEqual([
        '2:invoice_date:invalid_date',
        '2:total_amount:invalid_number',
        '2:price:invalid_number',
        '3:total_amount:invalid_number',
        '3:price:invalid_number',
      ]);
      // "n/a" is refused but no style: not counted. The valid file has no warning.
      expect(styles(r)).toEqual(['eu.csv:-:warning:3 amounts are written with a decimal comma ("1.100,00" on row 2) and 1 date is written with the year last ("15.01.2026" on row 2)']);
    });

    it('cells refused for another reason only: no warning', () => {
      expect(styles(run([{ ...BASE, total_amount: 'about 100', invoice_date: 'tomorrow' }]))).toEqual([]);
    });
  });

  describe('a file whose header has no total_amount (or invoice_date) column: one error for the file, not one an invoice', () => {
    const COLUMNS = ['vendor', 'invoice_number', 'invoice_date', 'currency', 'price', 'fund_code'];
    const rows: Row[] = ['A', 'B', 'C'].map((n) => ({ ...BASE, invoice_number: n, total_amount: undefined }));
    const grouped = (columns: string[], input: Row[], file = 'n.csv', declare = true) => {
      const g = new InvoiceGrouper();
      if (declare) g.declareColumns(file, columns);
      else g.headerColumns(file, columns);
      for (const r of records(input, file)) g.add(declare ? { ...r, cells: columns.map((c) => r.fields[c] ?? '') } : r);
      return g.finish();
    };
    const at = (p: { file: string; row?: number | undefined; column?: string | undefined; code: string; severity: string }) => `${p.file}:${p.row ?? '-'}:${p.column ?? '-'}:${p.code}:${p.severity}`;

    it('the file says it once; its invoices are invalid without an error each', () => {
      const r = grouped(COLUMNS, rows);
      expect(r.issues.map(at)).toEqual(['n.csv:-:total_amount:missing_column:error']);
      expect(r.issues[0]!.message).toBe(
        "the file has no total_amount column, so none of its 3 invoices is loaded; Alma requires it. Add a total_amount column with each invoice's value, or map the vendor's own column with a profile (`invoice-load mapping init n.csv` writes one to start from)",
      );
      expect(r.invoices.map((i) => [i.key.number, i.invoice === undefined, i.problems.map(at)])).toEqual([
        ['A', true, []],
        ['B', true, []],
        ['C', true, []],
      ]);
    });

    it('two columns missing: one error each, in its own words (one invoice: "its one invoice")', () => {
      const r = grouped(['vendor', 'invoice_number', 'currency', 'price', 'fund_code'], rows.slice(0, 1));
      expect(r.issues.map((p) => p.message.slice(0, p.message.indexOf(';')))).toEqual([
        'the file has no invoice_date column, so its one invoice is not loaded',
        'the file has no total_amount column, so its one invoice is not loaded',
      ]);
      expect(r.invoices[0]!.problems).toEqual([]);
    });

    it('a file whose every invoice is a copy of another file\'s says its missing column beside the duplicates', () => {
      const g = new InvoiceGrouper();
      const full = [...COLUMNS, 'total_amount'];
      const whole = ['A', 'B'].map((n) => ({ ...BASE, invoice_number: n }));
      g.declareColumns('a.csv', full);
      for (const r of records(whole, 'a.csv')) g.add({ ...r, cells: full.map((c) => r.fields[c] ?? '') });
      g.declareColumns('b.csv', COLUMNS);
      for (const r of records(rows.slice(0, 2), 'b.csv')) g.add({ ...r, cells: COLUMNS.map((c) => r.fields[c] ?? '') });
      const r = g.finish();
      expect(r.issues.map(at)).toEqual(['b.csv:-:total_amount:missing_column:error']);
      expect(r.issues[0]!.message).toMatch(/^the file has no total_amount column, so none of its 2 invoices is loaded; Alma requires it\. /);
      // The duplicates are said as before, on each copy's invoice.
      expect(r.invoices.map((i) => [i.key.number, i.invoice === undefined, i.problems.map(at)])).toEqual([
        ['A', true, ['b.csv:2:invoice_number:duplicate_invoice:error']],
        ['B', true, ['b.csv:3:invoice_number:duplicate_invoice:error']],
      ]);
    });

    it("a workbook's header (records by name) is read the same way", () => {
      const r = grouped(COLUMNS, rows, 'w.xlsx:Invoices', false);
      expect(r.issues.map(at)).toEqual(['w.xlsx:Invoices:-:total_amount:missing_column:error']);
      expect(r.invoices.every((i) => i.invoice === undefined && i.problems.length === 0)).toBe(true);
    });

    it('the column there and empty on an invoice: that invoice\'s own error, as before', () => {
      const r = grouped([...COLUMNS, 'total_amount'], [{ ...BASE, invoice_number: 'A' }, { ...BASE, invoice_number: 'B', total_amount: '' }]);
      expect(r.issues.map(at)).toEqual([]);
      expect(r.invoices.map((i) => i.problems.map(at))).toEqual([[], ['n.csv:3:total_amount:missing_value:error']]);
    });

    it('a payments file given to the load: its payments_file error alone, not the invoice columns it lacks', () => {
      const columns = ['vendor', 'invoice_number', 'payment_status', 'voucher_number', 'voucher_date', 'voucher_amount'];
      const pay = { vendor: 'ACME', invoice_number: 'INV-1', payment_status: 'paid', voucher_number: 'V-1', voucher_date: '2025-04-20', voucher_amount: '10.00' };
      const r = grouped(columns, [pay, { ...pay, invoice_number: 'INV-2' }], 'pay.csv');
      expect(r.issues.map(at)).toEqual(['pay.csv:-:-:payments_file:error']);
      expect(r.invoices.every((i) => i.invoice === undefined)).toBe(true);
    });

    it('no header (JSON): each invoice its own error, as before', () => {
      const r = run(rows, 'j.json');
      expect(r.issues.map(at)).toEqual([]);
      expect(r.invoices.map((i) => i.problems.filter((p) => p.column === 'total_amount').map(at))).toEqual([
        ['j.json:2:total_amount:missing_value:error'],
        ['j.json:3:total_amount:missing_value:error'],
        ['j.json:4:total_amount:missing_value:error'],
      ]);
    });
  });

  describe('a file with no vendor or invoice_number column at all: one problem for the file, not two a row', () => {
    /** Rows grouped with a declared header (the CSV reader's path): cells by position. */
    const byHeader = (columns: string[], rows: Row[], file = 'v.csv') => {
      const g = new InvoiceGrouper();
      g.declareColumns(file, columns);
      for (const r of records(rows, file)) g.add({ ...r, cells: columns.map((c) => r.fields[c] ?? '') });
      return g.finish();
    };
    const messages = (r: ReturnType<typeof run>) => r.issues.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.row ?? '-'}:${p.column ?? '-'}:${p.code}:${p.message}`);

    it.each([
      // [case, header, rows, errors]
      [
        'a vendor layout: neither column',
        ['invoice', 'supplier', 'amount'],
        [{ invoice: 'X1', supplier: 'GOBI', amount: '10' }, { invoice: 'X2', supplier: 'GOBI', amount: '12' }, {}],
        [
          "v.csv:-:-:missing_column:the header has neither a vendor nor an invoice_number column, so none of the file's 2 rows can be grouped into an invoice; " +
            "name them vendor and invoice_number as the canonical layout does, or map the vendor's own names with a profile (`invoice-load mapping init v.csv` writes one to start from)",
        ],
      ],
      [
        'no vendor column; a row without invoice_number is still its own problem',
        ['invoice_number', 'price'],
        [{ invoice_number: 'X1', price: '1' }, { invoice_number: '', price: '2' }],
        [
          "v.csv:-:vendor:missing_column:the header has no vendor column, so none of the file's 2 rows can be grouped into an invoice; " +
            "name it vendor as the canonical layout does, or map the vendor's own names with a profile (`invoice-load mapping init v.csv` writes one to start from)",
          'v.csv:3:invoice_number:missing_value:invoice_number is empty, so the row cannot be grouped into an invoice',
        ],
      ],
      [
        'both columns there, one cell empty: the row\'s own problem, as before',
        ['vendor', 'invoice_number', 'invoice_date', 'total_amount'],
        [{ vendor: 'ACME', invoice_number: 'X1' }, { vendor: '', invoice_number: 'X2' }],
        ['v.csv:3:vendor:missing_value:vendor is empty, so the row cannot be grouped into an invoice; no other row of the file has its invoice number "X2" — fill in the vendor'],
      ],
    ] as [string, string[], Row[], string[]][])('%s', (_name, columns, rows, errors) => {
      expect(messages(byHeader(columns, rows))).toEqual(errors);
    });

    it('a header cell that only looks like the column says so, instead of asking for a profile', () => {
      expect(messages(byHeader(['invoice_number', 'vendor\u200b'], [{ invoice_number: 'X1', 'vendor\u200b': 'GOBI' }]))).toEqual([
        "v.csv:-:vendor:missing_column:the header has no vendor column, so the file's one row cannot be grouped into an invoice; " +
          'the header\'s "vendor<U+200B ZERO WIDTH SPACE>" looks like vendor but has the invisible U+200B ZERO WIDTH SPACE: type that header cell again',
      ]);
      expect(messages(byHeader(['іnvoice_number', 'ｖｅｎｄｏｒ'], [{ 'іnvoice_number': 'X1', 'ｖｅｎｄｏｒ': 'GOBI' }]))[0]).toMatch(
        /; the header's "іnvoice_number" looks like invoice_number but has "і" \(U\+0456\): type that header cell again; the header's "ｖｅｎｄｏｒ" looks like vendor but has "ｖ" \(U\+FF56\), "ｅ" \(U\+FF45\), "ｎ" \(U\+FF4E\) and 3 more: /,
      );
    });

    it('one row, and a file name a shell would split: said so', () => {
      expect(messages(byHeader(['invoice_number'], [{ invoice_number: 'X1' }], "ven dor's.csv"))).toEqual([
        "ven dor's.csv:-:vendor:missing_column:the header has no vendor column, so the file's one row cannot be grouped into an invoice; " +
          "name it vendor as the canonical layout does, or map the vendor's own names with a profile (`invoice-load mapping init 'ven dor'\\''s.csv'` writes one to start from)",
      ]);
    });

    it('records without a header (JSON): one problem when no record has the field, each row its own when some do', () => {
      expect(messages(run([{ invoice_number: 'A' }, { invoice_number: 'B' }], 'j.json'))).toEqual([
        "j.json:-:vendor:missing_column:no record has a vendor field, so none of the file's 2 rows can be grouped into an invoice; " +
          "name it vendor as the canonical layout does, or map the vendor's own names with a profile (`invoice-load mapping init j.json` writes one to start from)",
      ]);
      expect(messages(run([{ vendor: 'V' }], 'k.json'))[0]).toMatch(/^k\.json:-:invoice_number:missing_column:no record has an invoice_number field, so /);
      const some = run([{ ...BASE, invoice_number: 'A' }, { invoice_number: 'B' }, { vendor: '', invoice_number: 'C' }], 'j.json');
      expect(found(some).filter((f) => f.includes('vendor'))).toEqual(['3:vendor:missing_value', '4:vendor:missing_value']);
      // Per file: the other file of the batch has its vendors.
      const two = validateRecords([...records([{ invoice_number: 'A' }], 'a.json'), ...records([{ ...BASE }], 'b.json')]);
      expect(foundWithFile(two).filter((f) => f.includes('vendor'))).toEqual(['a.json:-:vendor:missing_column']);
    });
  });

  it('200,000 records without the vendor field, one with it: each its own problem, no stack overflow', () => {
    // Each absent row is said on its own once a record of the file has the field; they were
    // spread into one push() call, which overflows the stack past ~125,000 arguments.
    const g = new InvoiceGrouper();
    const absent = 200_000;
    g.add({ source: { file: 'big.jsonl', row: 1 }, fields: { ...BASE } });
    for (let i = 0; i < absent; i++) g.add({ source: { file: 'big.jsonl', row: i + 2 }, fields: { invoice_number: `Y-${i}` } });
    const issues = g.issues().filter((p) => p.column === 'vendor');
    expect(issues).toHaveLength(absent);
    expect(issues.every((p) => p.code === 'missing_value')).toBe(true);
    expect([issues[0]!.row, issues[absent - 1]!.row]).toEqual([2, absent + 1]);
  });

  it('reports unknown columns from declared columns without scanning records', () => {
    const g = new InvoiceGrouper();
    g.declareColumns('a.csv', [...Object.keys(BASE), 'colour']);
    for (const r of records([{ ...BASE, colour: 'red' }], 'a.csv')) g.add(r);
    expect(g.finish().issues.map((p) => `${p.file}:${p.code}:${p.message}`)).toEqual([
      'a.csv:unknown_columns:columns not in the canonical layout are ignored: colour (a --mapping profile can map them)',
    ]);
  });

  it('reads cells by position when the records carry them: the same result as by name', () => {
    // A header in its own order, with a column that is not read ('') and one unknown column.
    const columns = ['fund_code', '', 'price', 'invoice_number', 'vendor', 'colour', 'line_number', 'total_amount', 'currency', 'invoice_date', 'fund_percent'];
    const rows: Row[] = [
      { ...BASE, total_amount: '150', line_number: '1', price: '100', fund_code: 'F1', fund_percent: '60' },
      { vendor: 'ACME', invoice_number: 'INV-1', line_number: '1', price: '100', fund_code: 'F2', fund_percent: '40' },
      { vendor: 'ACME', invoice_number: 'INV-1', line_number: '2', price: '50.5', fund_code: 'F1', total_amount: '151' },
      { ...INV2, line_number: '1', price: 'x', fund_code: 'F1' },
    ];
    const byName = new InvoiceGrouper();
    const byPosition = new InvoiceGrouper();
    byPosition.declareColumns('b.csv', columns);
    for (const r of records(rows)) {
      byName.add(r);
      // Cells the record's fields do not have are '' (as the CSV reader gives them); the unread
      // column holds text that must not be read.
      const cells = columns.map((c) => (c === '' ? 'IGNORED' : c === 'colour' ? 'red' : (r.fields[c] ?? '')));
      byPosition.add({ ...r, cells });
    }
    const a = byName.finish();
    const b = byPosition.finish();
    const shape = (res: typeof a) =>
      res.invoices.map((i) => [i.key.number, i.problems.map((p) => `${p.row}:${p.column}:${p.code}`), i.invoice?.lines.map((l) => [l.number, l.price?.toFixed(), l.funds.map((f) => `${f.fundCode}=${f.percent?.toFixed()}`)])]);
    expect(shape(b)).toEqual(shape(a));
    expect(found(b).filter((f) => f.includes('invalid_number') || f.includes('total_mismatch'))).toEqual(['2:total_amount:total_mismatch', '5:price:invalid_number']);
  });

  it('groups rows that carry cells without reading their fields (built lazily by the CSV reader)', () => {
    // No line_number column here: a row's line is found by position or not at all (-1).
    const rows: Row[] = [
      { ...BASE, line_number: undefined, total_amount: '150', price: '100' },
      { vendor: 'ACME', invoice_number: 'INV-1', price: '50' },
      { ...INV2, line_number: undefined, price: 'x' },
      { vendor: '', invoice_number: 'INV-9', price: '1' }, // ungroupable: its fields are read
    ];
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'line_number').reverse();
    const byName = new InvoiceGrouper();
    const byPosition = new InvoiceGrouper();
    byPosition.declareColumns('b.csv', columns);
    let fieldReads = 0;
    for (const r of records(rows)) {
      byName.add(r);
      const cells = columns.map((c) => r.fields[c] ?? '');
      const fields = r.fields;
      byPosition.add({
        source: r.source,
        cells,
        get fields() {
          fieldReads++;
          return fields;
        },
      });
    }
    const a = byName.finish();
    const b = byPosition.finish();
    const shape = (res: typeof a) => [
      res.invoices.map((i) => [i.key.number, i.problems.map((p) => `${p.row}:${p.column}:${p.code}`), i.invoice?.lines.map((l) => [l.number, l.price?.toFixed()])]),
      res.issues.map((p) => `${p.row}:${p.column}:${p.code}`),
    ];
    expect(shape(b)).toEqual(shape(a));
    expect(shape(b)[1]).toEqual(['5:vendor:missing_value']);
    expect(fieldReads).toBe(1);
  });

  it('sorts an invoice’s problems by file, then row', () => {
    const r = validateRecords([
      ...records(
        [
          { ...BASE, invoice_due_date: 'soon' },
          { ...BASE, currency: 'EUR', price: '50' },
          { ...BASE, invoice_date: 'x', price: '0' },
        ],
        'a.csv',
      ),
      ...records([{ ...BASE }], 'b.csv'),
    ]);
    // Grouping found the cell problems and the conflict; the rules found the total on row 2.
    expect(foundWithFile(r)).toEqual([
      'a.csv:2:invoice_due_date:invalid_date',
      'a.csv:2:total_amount:total_mismatch',
      'a.csv:3:currency:invoice_field_conflict',
      'a.csv:4:invoice_date:invalid_date',
      'b.csv:2:invoice_number:duplicate_invoice',
    ]);
  });

  it('reports every failing cell, on every row it fails', () => {
    const r = run(withBase({ invoice_date: '2026-02-30', line_number: '1' }, { invoice_date: '2026-02-30', line_number: '2', price: '0' }));
    expect(found(r)).toEqual(['2:invoice_date:invalid_date', '3:invoice_date:invalid_date']);
  });

  it('streams the same invoices through invoices() as finish() returns', async () => {
    const rows = withBase({}, { invoice_number: 'INV-2' }, { invoice_number: 'INV-3', currency: 'XYZ' });
    const g = new InvoiceGrouper();
    for (const r of records(rows)) g.add(r);
    const streamed = [...g.invoices()];
    expect(streamed).toEqual(run(rows).invoices);
    expect(await validateBatch((async function* () { yield* records(rows); })())).toEqual(run(rows));
  });
});

describe('duplicate_invoice names the files on one line', () => {
  it('a file name with a line break or an escape code is shown escaped in the message', () => {
    const evil = 'x\u001b[31m\nrow 9 fake.csv';
    const r = validateRecords([...records([{ ...BASE }], evil), ...records([{ ...BASE }], 'b.csv')]);
    const dup = r.invoices.flatMap((i) => i.problems).find((p) => p.code === 'duplicate_invoice');
    expect(dup?.message).toContain('is also in x\\u001b[31m\\nrow 9 fake.csv (row 2)');
    expect(dup?.message).not.toMatch(/[\n\u001b]/);
  });

  it('standard input is named in words, not as its "-"', () => {
    const r = validateRecords([...records([{ ...BASE }], '-'), ...records([{ ...BASE }], 'b.csv')]);
    const dup = r.invoices.flatMap((i) => i.problems).find((p) => p.code === 'duplicate_invoice');
    expect(dup?.message).toContain('is also in standard input (row 2); the rows in b.csv are not merged');
  });
});
