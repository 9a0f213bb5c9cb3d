import { describe, expect, it } from 'vitest';
import { BASE, found, run, withBase, type Row } from './helpers.js';
import { validateRecords } from '../../src/domain/validate.js';

type Case = [name: string, rows: Row[], expected: string[]];

/** Each row is BASE (a valid one-line USD invoice of 100.00) with the given cells replaced. */
const check = (rows: Row[]) => found(run(withBase(...rows)));
/** Rows of one invoice split into lines 1, 2, … with the given prices; the total on every row. */
const lines = (total: string, ...rows: Row[]): Row[] =>
  rows.map((r, i) => ({ total_amount: total, line_number: String(i + 1), ...r }));

describe('mandatory values', () => {
  it.each<Case>([
    ['all given', [{}], []],
    ['invoice_date missing', [{ invoice_date: undefined }], ['2:invoice_date:missing_value']],
    ['total_amount missing', [{ total_amount: '' }], ['2:total_amount:missing_value']],
    ['vendor missing (row cannot be grouped)', [{ vendor: undefined }], ['2:vendor:missing_value']],
    ['invoice_number missing (row cannot be grouped)', [{ invoice_number: ' ' }], ['2:invoice_number:missing_value']],
    ['invoice_date given on a later row only', [{ invoice_date: undefined, line_number: '1' }, { line_number: '1', price: undefined, fund_code: undefined }], []],
    ['header row only: no lines', [{ price: undefined, fund_code: undefined }], ['2:-:no_lines']],
  ])('%s', (_, rows, expected) => expect(check(rows)).toEqual(expected));
});

describe('amounts and quantities', () => {
  it.each<Case>([
    ['JPY with decimals', [{ currency: 'JPY', total_amount: '1000.5', price: '1000.5' }], ['2:total_amount:too_many_decimals', '2:price:too_many_decimals']],
    ['JPY whole (trailing zeros do not count)', [{ currency: 'JPY', total_amount: '1000', price: '1000.00' }], []],
    ['BHD with 3 decimals', [{ currency: 'BHD', total_amount: '10.125', price: '10.125' }], []],
    ['BHD with 4 decimals', [{ currency: 'bhd', total_amount: '10.1255', price: '10.1255' }], ['2:total_amount:too_many_decimals', '2:price:too_many_decimals']],
    // 100.0000: trailing zeros do not count (100.000 is another matter: 'amounts written like 1.200' below).
    ['USD charge and fund amount with 3 decimals', [{ total_amount: '100.005', shipment: '0.005', fund_amount: '100.0000' }], ['2:total_amount:too_many_decimals', '2:shipment:too_many_decimals']],
    ['CLF with 4 decimals', [{ currency: 'CLF', total_amount: '1.2345', price: '1.2345' }], []],
    ['no currency: decimals not checked', [{ currency: undefined, total_amount: '10.12345', price: '10.12345' }], []],
    ['quantity 0', [{ quantity: '0' }], ['2:quantity:invalid_quantity']],
    ['quantity 1.5', [{ quantity: '1.5' }], ['2:quantity:invalid_quantity']],
    ['quantity 4 × price 25', [{ quantity: '4', price: '25' }], []],
  ])('%s', (_, rows, expected) => expect(check(rows)).toEqual(expected));

  // Every amount column is held to the currency's places, whatever else is wrong with the row.
  it.each<[string, Row]>([
    ['total_amount', { total_amount: '100.005' }],
    ['vat_amount', { vat_amount: '1.005' }],
    ['shipment', { shipment: '1.005' }],
    ['overhead', { overhead: '1.005' }],
    ['insurance', { insurance: '1.005' }],
    ['discount', { discount: '1.005' }],
    ['price', { price: '100.005' }],
    ['line_vat_amount', { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', line_vat_amount: '1.005' }],
    ['fund_amount', { fund_amount: '100.005' }],
  ])('USD %s with 3 decimals is too_many_decimals', (column, row) => {
    expect(check([row]).filter((c) => c.endsWith(':too_many_decimals'))).toEqual([`2:${column}:too_many_decimals`]);
  });

  it('names the value, the places and the currency', () => {
    const r = run(withBase({ currency: 'JPY', total_amount: '1000.5', price: '1000.5' }));
    expect(r.invoices[0]?.problems[0]?.message).toBe('total_amount "1000.5" has 1 decimal places; JPY has 0');
  });
});

describe('amounts written like 1.200 (a dot between thousands, or three decimals?)', () => {
  const amb = (...columns: string[]) => columns.map((c) => `2:${c}:ambiguous_number`);
  it.each<Case>([
    // The fuzz repro: 1,200 EUR written German-style was loaded as 1.20.
    ['EUR 1.200', [{ currency: 'EUR', total_amount: '1.200', price: '1.200' }], amb('total_amount', 'price')],
    ['USD 10.000', [{ total_amount: '10.000', price: '10.000' }], amb('total_amount', 'price')],
    ['JPY 1.000 (no decimals at all)', [{ currency: 'JPY', total_amount: '1.000', price: '1.000' }], amb('total_amount', 'price')],
    ['EUR 1.230 (1,230 or 1.23)', [{ currency: 'EUR', total_amount: '1.230', price: '1.230' }], amb('total_amount', 'price')],
    ['EUR 1.234 (three decimals that count: refused either way)', [{ currency: 'EUR', total_amount: '1.234', price: '1.234' }], ['2:total_amount:too_many_decimals', '2:price:too_many_decimals']],
    ['EUR -1.200 (a credit note)', [{ currency: 'EUR', total_amount: '-1.200', price: '-1.200' }], amb('total_amount', 'price')],
    ['USD 100.000 as a fund amount', [{ fund_amount: '100.000' }], amb('fund_amount')],
  ])('%s', (_, rows, expected) => expect(check(rows).filter((c) => !c.endsWith(':mapping_needed'))).toEqual(expected));

  it('only that form is refused, and only in a currency of fewer than three decimals: the other invoices of the file load', () => {
    const r = run(
      withBase(
        { invoice_number: 'EUR', currency: 'EUR', total_amount: '1.200', price: '1.200' },
        { invoice_number: 'KWD', currency: 'KWD', total_amount: '1.200', price: '1.200' }, // three decimals: 1.2 dinars
        { invoice_number: 'BHD', currency: 'BHD', total_amount: '12.500', price: '12.500' },
        { invoice_number: 'ZERO', total_amount: '0.500', price: '0.500' }, // no thousands start with 0
        { invoice_number: 'ERP4', total_amount: '12.5000', price: '12.5000' }, // four decimals, as an ERP writes them
        { invoice_number: 'ERP3', total_amount: '1200.000', price: '1200.000' }, // 1200 is no group before a thousands dot
        { invoice_number: 'PLAIN', total_amount: '12.50', price: '12.50' },
        { invoice_number: 'NOCUR', currency: undefined, total_amount: '1.200', price: '1.200' }, // decimals not checked without a currency
      ),
    );
    expect(r.invoices.map((i) => [i.key.number, i.problems.map((p) => `${p.row}:${p.column}:${p.code}`)])).toEqual([
      ['EUR', ['2:total_amount:ambiguous_number', '2:price:ambiguous_number']],
      ['KWD', []],
      ['BHD', []],
      ['ZERO', []],
      ['ERP4', []],
      ['ERP3', []],
      ['PLAIN', []],
      ['NOCUR', []],
    ]);
  });

  it.each<[string, Row]>([
    ['total_amount', { total_amount: '1.200' }],
    ['vat_amount', { vat_amount: '1.200' }],
    ['shipment', { shipment: '1.200' }],
    ['overhead', { overhead: '1.200' }],
    ['insurance', { insurance: '1.200' }],
    ['discount', { discount: '1.200' }],
    ['price', { price: '1.200' }],
    ['line_vat_amount', { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', line_vat_amount: '1.200' }],
    ['fund_amount', { fund_amount: '1.200' }],
  ])('EUR %s 1.200 is ambiguous_number', (column, row) => {
    expect(check([{ currency: 'EUR', ...row }]).filter((c) => c.endsWith(':ambiguous_number'))).toEqual([`2:${column}:ambiguous_number`]);
  });

  it('says both readings, the currency\'s places and what to write', () => {
    const r = run(withBase({ currency: 'EUR', total_amount: '1.200', price: '1.200' }));
    expect(r.invoices[0]?.problems[0]?.message).toBe(
      'total_amount "1.200" could be 1,200 (a dot between thousands) or 1.2 (a decimal point and three decimals); EUR has 2: write 1200 or 1.20, ' +
        'or, for a file that writes amounts with a decimal comma, read it with a --mapping profile ("numbers": {"decimal": ",", "thousands": "."})',
    );
    const jpy = run(withBase({ currency: 'JPY', total_amount: '1.200', price: '1.200' }));
    expect(jpy.invoices[0]?.problems[0]?.message).toMatch(/^total_amount "1.200" could be 1,200 \(a dot between thousands\) or 1.2 \(a decimal point and three decimals\); JPY has 0: write 1200, or/);
  });

  it('counts toward the file\'s mapping_needed hint, as thousands separators', () => {
    const r = run(withBase({ currency: 'EUR', total_amount: '1.200', price: '1.200' }, { currency: 'EUR', invoice_number: 'INV-2', total_amount: '2.500', price: '2.500' }));
    const hint = r.issues.find((p) => p.code === 'mapping_needed');
    expect(hint?.message).toMatch(/^4 amounts are written with thousands separators \("1.200" on row 2\)/);
  });

  it('1.200.000 (an invalid number) counts toward mapping_needed too', () => {
    const r = run(withBase({ total_amount: '1.200.000', price: '1.200.000' }));
    expect(r.issues.find((p) => p.code === 'mapping_needed')?.message).toMatch(/^2 amounts are written with thousands separators/);
  });

  // A number cell reaches the rules as the shortest text of its number (1.2, never 1.200: input/xlsx.ts numberText).
  it('in a workbook, 1.234 stays too_many_decimals and a text cell 1.200 is ambiguous', () => {
    const sheet = 'book.xlsx:Invoices';
    expect(found(run(withBase({ currency: 'EUR', total_amount: '1.234', price: '1.234' }), sheet))).toEqual(['2:total_amount:too_many_decimals', '2:price:too_many_decimals']);
    expect(found(run(withBase({ currency: 'EUR', total_amount: '1.200', price: '1.200' }), sheet)).filter((c) => !c.endsWith(':mapping_needed'))).toEqual(amb('total_amount', 'price'));
  });

  it('a cell a --mapping number format read (SourceRecord.written) is as the profile declared it; the same cell without is refused', () => {
    const fields = { ...BASE, currency: 'EUR', total_amount: '1.200', price: '1.200' };
    const read = { source: { file: 'b.csv', row: 2 }, fields, written: { total_amount: '1.200', price: '1.200' } };
    const plain = { source: { file: 'b.csv', row: 3 }, fields: { ...fields, invoice_number: 'INV-2' } };
    expect(found(validateRecords([read, plain])).filter((c) => !c.endsWith(':mapping_needed'))).toEqual(['3:total_amount:ambiguous_number', '3:price:ambiguous_number']);
  });
});

describe('an amount that was a JSON number (SourceRecord.native): no thousands separator, so 1.200 is 1.2', () => {
  /** One record: BASE in `currency` with `cells`; the `native` ones were JSON numbers in the file. Its decimals problems. */
  const one = (currency: string, cells: Row, native: readonly string[]) =>
    found(validateRecords([{ source: { file: 'b.json', row: 2 }, fields: { ...BASE, currency, ...cells }, native: new Set(native) }])).filter((c) =>
      /:(ambiguous_number|too_many_decimals)$/.test(c),
    );
  const LINE_VAT = { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true' };
  it.each<[name: string, currency: string, cells: Row, native: string[], expected: string[]]>([
    ['EUR total and price 1.200', 'EUR', { total_amount: '1.200', price: '1.200' }, ['total_amount', 'price'], []],
    ['USD 10.000', 'USD', { total_amount: '10.000', price: '10.000' }, ['total_amount', 'price'], []],
    ['JPY 1.000 (1 yen)', 'JPY', { total_amount: '1.000', price: '1.000' }, ['total_amount', 'price'], []],
    ['EUR -1.200 (a credit note)', 'EUR', { total_amount: '-1.200', price: '-1.200' }, ['total_amount', 'price'], []],
    ['EUR vat_amount', 'EUR', { vat_amount: '1.200' }, ['vat_amount'], []],
    ['EUR shipment, overhead, insurance, discount', 'EUR', { shipment: '1.200', overhead: '1.200', insurance: '1.200', discount: '1.200' }, ['shipment', 'overhead', 'insurance', 'discount'], []],
    ['EUR line_vat_amount', 'EUR', { ...LINE_VAT, line_vat_amount: '1.200' }, ['line_vat_amount'], []],
    ['EUR fund_amount 100.000', 'EUR', { fund_amount: '100.000' }, ['fund_amount'], []],
    // Decimals that count are still too many, said with the number's text as the file has it.
    ['EUR 1.234: too_many_decimals, as a text (a shipment 1.200 beside it is 1.2)', 'EUR', { total_amount: '1.234', price: '1.234', shipment: '1.200' }, ['total_amount', 'price', 'shipment'], ['2:total_amount:too_many_decimals', '2:price:too_many_decimals']],
    // Only the cells that were numbers: the text "1.200" beside them is still refused.
    ['EUR total a number, price a text', 'EUR', { total_amount: '1.200', price: '1.200' }, ['total_amount'], ['2:price:ambiguous_number']],
  ])('%s', (_, currency, cells, native, expected) => expect(one(currency, cells, native)).toEqual(expected));

  it('is read as its value, its text unchanged in messages', () => {
    const r = validateRecords([{ source: { file: 'b.json', row: 2 }, fields: { ...BASE, currency: 'EUR', total_amount: '1.200', price: '1.205' }, native: new Set(['total_amount', 'price']) }]);
    const inv = r.invoices[0]!;
    expect(inv.problems.filter((p) => p.column === 'price').map((p) => p.message)).toEqual(['price "1.205" has 3 decimal places; EUR has 2']);
    expect(inv.problems.filter((p) => p.column === 'total_amount').map((p) => p.code)).toEqual(['total_mismatch']); // 1.2, not 1,200 nor ambiguous
  });
});

describe('fund distributions', () => {
  it.each<Case>([
    ['one fund, percent 100', [{ fund_percent: '100' }], []],
    ['one fund, amount = line total', [{ fund_amount: '100.00' }], []],
    ['one fund, no share (takes 100 percent)', [{}], []],
    ['percent and amount both', [{ fund_percent: '100', fund_amount: '100' }], ['2:fund_amount:fund_percent_and_amount']],
    ['share without fund_code', [{ fund_code: undefined, fund_percent: '100' }], ['2:fund_code:fund_code_missing']],
    ['split with a share missing', [{ line_number: '1' }, { line_number: '1', fund_code: 'F2', fund_percent: '50' }], ['2:fund_percent:fund_share_missing']],
    ['split with percent and amount mixed', [{ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_amount: '50' }], ['3:fund_amount:fund_mixed_shares']],
    ['percents 50 + 40', [{ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '40' }], ['2:fund_percent:fund_percent_sum']],
    [
      'percents 33.33 + 33.33 + 33.34',
      [
        { line_number: '1', fund_percent: '33.33' },
        { line_number: '1', fund_code: 'F2', fund_percent: '33.33' },
        { line_number: '1', fund_code: 'F3', fund_percent: '33.34' },
      ],
      [],
    ],
    ['amounts 60 + 30 of 100', [{ line_number: '1', fund_amount: '60' }, { line_number: '1', fund_code: 'F2', fund_amount: '30' }], ['2:fund_amount:fund_amount_sum']],
    ['amounts 60 + 40 of 100', [{ line_number: '1', fund_amount: '60' }, { line_number: '1', fund_code: 'F2', fund_amount: '40.00' }], []],
    ['amounts 70 + 30 of 25 × 4', [{ line_number: '1', price: '25', quantity: '4', fund_amount: '70' }, { line_number: '1', price: '25', fund_code: 'F2', fund_amount: '30' }], []],
    ['amounts 50 + 50 of 25 × 2 (each fund given the line total)', [{ line_number: '1', price: '25', quantity: '2', total_amount: '50', fund_amount: '50' }, { line_number: '1', price: '25', fund_code: 'F2', fund_amount: '50', total_amount: '50' }], ['2:fund_amount:fund_amount_sum']],
    ['no po_line, no fund', [{ fund_code: undefined }], ['2:fund_code:fund_missing']],
    ['po_line, no fund (the PO line has them)', [{ fund_code: undefined, po_line: 'POL-1', quantity: '1' }], []],
    // quantity: "Default is the PO line quantity" (rest_invoice_line): the totals here count 1.
    ['po_line, no quantity: Alma takes the PO line\'s', [{ po_line: 'POL-1' }], ['2:quantity:quantity_from_po_line']],
    ['po_line, quantity given', [{ po_line: 'POL-1', quantity: '1' }], []],
    ['po_line, no quantity, no price: the total is not checked at all', [{ price: undefined, po_line: 'POL-1' }], ['2:total_amount:total_not_checked']],
    ['no po_line, no price', [{ price: undefined }], ['2:price:price_missing']],
    ['po_line, no price', [{ price: undefined, po_line: 'POL-1' }], ['2:total_amount:total_not_checked']],
    // A refused cell is INVALID, not missing: its refusal alone is said.
    ['no po_line, price refused', [{ price: '1O.00' }], ['2:price:invalid_number']],
    ['po_line, price refused', [{ price: '1O.00', po_line: 'POL-1' }], ['2:price:invalid_number']],
    ['quantity refused (the line is not counted as one copy)', [{ total_amount: '200.00', quantity: '2x' }], ['2:quantity:invalid_quantity']],
  ])('%s', (_, rows, expected) => expect(check(rows)).toEqual(expected));

  it('gives a single fund without a share 100 percent', () => {
    const fund = run(withBase({})).invoices[0]?.invoice?.lines[0]?.funds[0];
    expect([fund?.fundCode, fund?.percent?.toFixed(), fund?.amount]).toEqual(['F1', '100', undefined]);
  });

  it('says what the percentages add up to', () => {
    const r = run(withBase({ line_number: '1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '40' }));
    expect(r.invoices[0]?.problems[0]?.message).toBe('fund percentages of line "1" add up to 90, not 100 (rows 2, 3)');
  });
});

describe('VAT, payment and subscription', () => {
  it.each<Case>([
    ['VAT percentage only', [{ vat_percentage: '10' }], []],
    ['VAT percentage and amount', [{ vat_percentage: '10', vat_amount: '9.09' }], ['2:vat_amount:vat_percentage_and_amount']],
    ['VAT code only', [{ vat_code: 'S' }], []],
    ['VAT code with amount', [{ vat_code: 'S', vat_amount: '9.09' }], ['2:vat_code:vat_code_with_value']],
    ['line VAT percentage only', [{ vat_per_invoice_line: 'true', line_vat_percentage: '10' }], []],
    ['line VAT percentage and amount', [{ vat_per_invoice_line: 'true', line_vat_percentage: '10', line_vat_amount: '10' }], ['2:line_vat_amount:line_vat_percentage_and_amount']],
    ['line VAT code only', [{ vat_per_invoice_line: 'yes', line_vat_code: 'S' }], []],
    ['line VAT code with percentage', [{ vat_per_invoice_line: 'yes', line_vat_code: 'S', line_vat_percentage: '10' }], ['2:line_vat_code:line_vat_code_with_value']],
    ['line VAT without vat_per_invoice_line', [{ line_vat_amount: '10' }], ['2:line_vat_amount:line_vat_not_per_line']],
    ['prepaid by credit card', [{ prepaid: 'true', payment_method: 'CREDITCARD' }], []],
    ['prepaid without payment method (default Accounting Department)', [{ prepaid: 'true' }], ['2:prepaid:prepaid_payment_method']],
    ['prepaid through Accounting Department', [{ prepaid: 'Y', payment_method: 'accountingdepartment' }], ['2:prepaid:prepaid_payment_method']],
    ['prepaid internal copy', [{ prepaid: 'yes', payment_method: 'CASH', internal_copy: 'yes' }], ['2:internal_copy:prepaid_internal_copy']],
    ['internal copy, not exported', [{ internal_copy: 'y', export_to_erp: 'n' }], []],
    ['internal copy exported to the ERP', [{ internal_copy: 'y', export_to_erp: '1' }], ['2:export_to_erp:internal_copy_export']],
    ['subscription of one day', [{ subscription_from_date: '2026-01-01', subscription_to_date: '2026-01-01' }], []],
    ['subscription ending before it starts', [{ subscription_from_date: '2026-02-01', subscription_to_date: '2026-01-31' }], ['2:subscription_to_date:subscription_dates_order']],
  ])('%s', (_, rows, expected) => expect(check(rows)).toEqual(expected));
});

describe('invoice total', () => {
  it.each<Case>([
    ['total = price', [{}], []],
    ['total ≠ price', [{ total_amount: '110' }], ['2:total_amount:total_mismatch']],
    ['three lines 33.33 + 33.33 + 33.34', lines('100', { price: '33.33' }, { price: '33.33', fund_code: 'F2' }, { price: '33.34' }), []],
    ['price × quantity', [{ total_amount: '300', quantity: '3' }], []],
    ['price × quantity: a total of one unit is a mismatch', [{ total_amount: '100.00', quantity: '3' }], ['2:total_amount:total_mismatch']],
    ['charges added, discount subtracted', [{ total_amount: '115', shipment: '10', overhead: '5', insurance: '2.5', discount: '2.5' }], []],
    ['discount', [{ total_amount: '90', discount: '10' }], []],
    ['discount forgotten in the total', [{ discount: '10' }], ['2:total_amount:total_mismatch']],
    // Both the quick integer sum and the Decimal check must subtract it: added, it is a mismatch.
    ['discount added to the total instead of subtracted', [{ total_amount: '110', discount: '10' }], ['2:total_amount:total_mismatch']],
    ['INCLUSIVE (default): VAT not added', [{ vat_amount: '20' }], []],
    ['INCLUSIVE: VAT added by mistake', [{ vat_type: 'INCLUSIVE', total_amount: '120', vat_amount: '20' }], ['2:total_amount:total_mismatch']],
    ['EXCLUSIVE: VAT not added', [{ vat_type: 'exclusive', vat_percentage: '20' }], []],
    ['LINEEXCLUSIVE: VAT amount added', [{ vat_type: 'LINEEXCLUSIVE', vat_amount: '20', total_amount: '120' }], []],
    ['LINEEXCLUSIVE: VAT left out of the total', [{ vat_type: 'LINEEXCLUSIVE', vat_amount: '20' }], ['2:total_amount:total_mismatch']],
    ['LINEEXCLUSIVE: percentage of lines + charges', [{ vat_type: 'LINEEXCLUSIVE', vat_percentage: '10', shipment: '10', total_amount: '121' }], []],
    ['LINEEXCLUSIVE: VAT 0.125 rounds half-even to 0.12', [{ vat_type: 'LINEEXCLUSIVE', vat_percentage: '10', price: '1.25', total_amount: '1.37' }], []],
    ['LINEEXCLUSIVE: VAT 0.125 is not 0.13', [{ vat_type: 'LINEEXCLUSIVE', vat_percentage: '10', price: '1.25', total_amount: '1.38' }], ['2:total_amount:total_mismatch']],
    ['LINEEXCLUSIVE: JPY VAT rounds to whole yen', [{ currency: 'JPY', vat_type: 'LINEEXCLUSIVE', vat_percentage: '10', price: '105', total_amount: '115' }], []],
    [
      'LINEEXCLUSIVE per line: percentages',
      lines(
        '73.32',
        { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', price: '33.33', line_vat_percentage: '10' },
        { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', price: '33.33', line_vat_percentage: '10' },
      ),
      [],
    ],
    [
      'LINEEXCLUSIVE per line: amounts',
      lines('110', { vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', price: '50', line_vat_amount: '5' }, { price: '50', line_vat_amount: '5' }),
      [],
    ],
    ['LINEEXCLUSIVE: VAT code without amount', [{ vat_type: 'LINEEXCLUSIVE', vat_code: 'S' }], ['2:total_amount:total_not_checked']],
    ['LINEEXCLUSIVE per line: VAT code without amount', [{ vat_type: 'LINEEXCLUSIVE', vat_per_invoice_line: 'true', line_vat_code: 'S' }], ['2:total_amount:total_not_checked']],
    // The file's one row has a decimal comma: the file-level hint towards a profile (domain/style.ts), no second problem on the invoice.
    ['a price that is not a number: no second problem', [{ price: '1,00' }], ['-:-:mapping_needed', '2:price:invalid_number']],
  ])('%s', (_, rows, expected) => expect(check(rows)).toEqual(expected));

  it('shows both amounts and the difference on the row and column of total_amount', () => {
    const r = run(withBase({ line_number: '1', total_amount: '110', shipment: '5' }, { line_number: '1', fund_code: 'F2', total_amount: undefined }));
    const p = r.invoices[0]?.problems.find((x) => x.code === 'total_mismatch');
    expect(p).toMatchObject({ file: 'b.csv', row: 2, column: 'total_amount', severity: 'error' });
    expect(p?.message).toBe(
      'total_amount 110.00 does not match the lines and charges: 105.00 (lines 100.00 + shipment 5.00); difference 5.00. Alma would send the invoice to review',
    );
  });

  it('keeps an invoice with warnings only, and drops one with an error', () => {
    const warned = run(withBase({ price: undefined, po_line: 'POL-1' })).invoices[0];
    expect(warned?.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(warned?.invoice?.lines[0]?.poLine).toBe('POL-1');
    const failed = run(withBase({ total_amount: '1' })).invoices[0];
    expect(failed?.invoice).toBeUndefined();
    expect(failed?.rows).toEqual([{ file: 'b.csv', row: 2 }]);
  });

  it('explains why a total was not checked', () => {
    const p = run(withBase({ price: undefined, po_line: 'POL-1' })).invoices[0]?.problems[0];
    expect(p?.message).toBe('total_amount not checked: line 1 (numbered automatically) (row 2) has a po_line and no price, so Alma takes the price from the PO line');
  });
});

it('BASE is a valid invoice (the tables above depend on it)', () => {
  expect(found(run([BASE]))).toEqual([]);
});

describe('suggestions in cell messages', () => {
  const message = (cells: Row): string | undefined => run(withBase(cells)).invoices[0]?.problems[0]?.message;
  it.each<[string, Row, string]>([
    ['a currency with two letters swapped: the code meant', { currency: 'GPB' }, 'currency "GPB" is not an ISO 4217 currency code: did you mean GBP?'],
    [
      'a date written day or month first: the profile that reads it',
      { invoice_date: '05/03/2025' },
      'invoice_date "05/03/2025" is not a date (expected YYYY-MM-DD); a --mapping profile reads dates written day or month first ("dates": {"format": "DD/MM/YYYY"} or "MM/DD/YYYY"; `invoice-load mapping init` writes one)',
    ],
    ['the same with dots and a two-digit year', { invoice_date: '5.3.25' }, 'invoice_date "5.3.25" is not a date (expected YYYY-MM-DD); a --mapping profile reads dates written day or month first ("dates": {"format": "DD.MM.YY"} or "MM.DD.YY"; `invoice-load mapping init` writes one)'],
  ])('%s', (_, cells, expected) => expect(message(cells)).toBe(expected));
});
