import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { CellError, COLUMN_KIND, parseCell } from '../../src/domain/cells.js';
import { CANONICAL_COLUMNS, type CanonicalColumn } from '../../src/domain/columns.js';
import { InvoiceSchema, parseRow, RowSchema } from '../../src/domain/schema.js';
import { BASE, run, withBase } from './helpers.js';

const fails = (column: CanonicalColumn, raw: string) => {
  const v = parseCell(column, raw);
  expect(v).toBeInstanceOf(CellError);
  return v as CellError;
};

describe('cells', () => {
  it('covers every canonical column with a kind', () => {
    expect(Object.keys(COLUMN_KIND).sort()).toEqual([...CANONICAL_COLUMNS].sort());
  });

  it.each([
    ['invoice_date', '2024-02-29', '2024-02-29'],
    ['invoice_date', '2000-02-29', '2000-02-29'],
    ['invoice_date', '2026-12-31', '2026-12-31'],
    ['invoice_date', ' 2026-01-15 ', '2026-01-15'],
    ['total_amount', '100.50', '100.5'],
    ['total_amount', '-5', '-5'],
    ['fund_percent', '100', '100'],
    ['fund_percent', '0', '0'],
    ['fund_percent', '33.33', '33.33'],
    ['currency', 'usd', 'USD'],
    ['currency', ' Eur ', 'EUR'],
    ['vat_type', 'lineexclusive', 'LINEEXCLUSIVE'],
    ['quantity', '3', 3],
    ['quantity', '007', 7],
    ['quantity', '2147483647', 2147483647],
    ['vendor', '  ACME ', 'ACME'],
    ['po_line', 'POL-0001', 'POL-0001'],
  ] as const)('%s %j → %j', (column, raw, expected) => expect(parseCell(column, raw)).toBe(expected));

  it.each(['true', 'TRUE', 'True', 'yes', 'Yes', 'y', 'Y', '1'])('boolean %j is true', (raw) => expect(parseCell('prepaid', raw)).toBe(true));
  it.each(['false', 'FALSE', 'no', 'NO', 'n', 'N', '0'])('boolean %j is false', (raw) => expect(parseCell('prepaid', raw)).toBe(false));

  it.each([undefined, '', '   '])('blank %j is no value', (raw) => expect(parseCell('total_amount', raw)).toBeUndefined());

  it.each([
    ['invoice_date', '2026-02-29', 'invalid_date', 'invoice_date "2026-02-29" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '2026-02-30', 'invalid_date', 'invoice_date "2026-02-30" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '1900-02-29', 'invalid_date', 'invoice_date "1900-02-29" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '2026-04-31', 'invalid_date', 'invoice_date "2026-04-31" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '2026-13-01', 'invalid_date', 'invoice_date "2026-13-01" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '2026-00-10', 'invalid_date', 'invoice_date "2026-00-10" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_date', '0000-01-01', 'invalid_date', 'invoice_date "0000-01-01" is not a real date (expected YYYY-MM-DD)'],
    ['invoice_due_date', '15/01/2026', 'invalid_date', 'invoice_due_date "15/01/2026" is not a date (expected YYYY-MM-DD)'],
    ['subscription_from_date', '2026-1-5', 'invalid_date', 'subscription_from_date "2026-1-5" is not a date (expected YYYY-MM-DD)'],
    ['invoice_date', '2026-01-15Z', 'invalid_date', 'invoice_date "2026-01-15Z" is not a date (expected YYYY-MM-DD)'],
    ['total_amount', '1,000.00', 'invalid_number', 'total_amount "1,000.00" is not a number'],
    ['price', '.5', 'invalid_number', 'price ".5" is not a number'],
    ['price', '€12', 'invalid_number', 'price "€12" is not a number'],
    ['shipment', '1e3', 'invalid_number', 'shipment "1e3" is not a number'],
    ['fund_percent', '50%', 'invalid_number', 'fund_percent "50%" is not a percentage'],
    ['fund_percent', '100.01', 'percent_out_of_range', 'fund_percent "100.01" is not between 0 and 100'],
    ['vat_percentage', '-1', 'percent_out_of_range', 'vat_percentage "-1" is not between 0 and 100'],
    ['line_vat_percentage', '1000', 'percent_out_of_range', 'line_vat_percentage "1000" is not between 0 and 100'],
    ['prepaid', 'maybe', 'invalid_boolean', 'prepaid "maybe" is not true or false'],
    ['prepaid', 'ja', 'invalid_boolean', 'prepaid "ja" is not true or false'],
    ['quantity', '0', 'invalid_quantity', 'quantity "0" is not a positive whole number'],
    ['quantity', '1.5', 'invalid_quantity', 'quantity "1.5" is not a positive whole number'],
    ['quantity', '-2', 'invalid_quantity', 'quantity "-2" is not a positive whole number'],
    ['quantity', '99999999999999999999', 'invalid_quantity', 'quantity "99999999999999999999" is larger than 2,147,483,647, the largest quantity Alma can store'],
    ['quantity', '2147483648', 'invalid_quantity', 'quantity "2147483648" is larger than 2,147,483,647'],
    ['currency', 'US$', 'invalid_currency', 'currency "US$" is not an ISO 4217 currency code'],
    ['currency', 'XAU', 'invalid_currency', 'currency "XAU" is not an ISO 4217 currency code'],
    ['vat_type', 'NONE', 'invalid_vat_type', 'vat_type "NONE" is not a VAT type (expected INCLUSIVE, EXCLUSIVE or LINEEXCLUSIVE)'],
  ] as const)('%s %j fails with %s', (column, raw, code, message) => {
    const e = fails(column, raw);
    expect(e.code).toBe(code);
    expect(e.message.startsWith(message)).toBe(true);
  });
});

describe('RowSchema (zod)', () => {
  it('types a record: decimals become Decimal, booleans and quantities typed, codes trimmed', () => {
    const { row, problems } = parseRow({
      source: { file: 'b.csv', row: 2 },
      fields: { ...BASE, total_amount: '100.50', quantity: '2', prepaid: 'Yes', currency: 'eur', vendor: ' ACME ', unknown: 'x' },
    });
    expect(problems).toEqual([]);
    expect(row.total_amount).toBeInstanceOf(Decimal);
    expect(row.total_amount?.toFixed()).toBe('100.5');
    expect(row.quantity).toBe(2);
    expect(row.prepaid).toBe(true);
    expect(row.currency).toBe('EUR');
    expect(row.vendor).toBe('ACME');
    expect(row.price_note).toBeUndefined();
    expect('unknown' in row).toBe(false);
  });

  it('maps every failing cell to a problem with file, row, column, our code and the bad value', () => {
    const { problems } = parseRow({
      source: { file: 'b.csv', row: 7 },
      fields: { ...BASE, invoice_date: '2026-02-30', total_amount: '1.000,00', quantity: '0' },
    });
    expect(problems.map((p) => `${p.file}:${p.row}:${p.column}:${p.code}:${p.severity}`)).toEqual([
      'b.csv:7:invoice_date:invalid_date:error',
      'b.csv:7:total_amount:invalid_number:error',
      'b.csv:7:quantity:invalid_quantity:error',
    ]);
    expect(problems[0]?.message).toBe('invoice_date "2026-02-30" is not a real date (expected YYYY-MM-DD)');
  });

  it('maps zod’s own issues (a non-string cell) through the same place', () => {
    const r = RowSchema.safeParse({ ...BASE, total_amount: 100 });
    expect(r.success).toBe(false);
    const { problems } = parseRow({ source: { file: 'j.json', row: 3 }, fields: { ...BASE, total_amount: 100 as unknown as string } });
    expect(problems.map((p) => `${p.column}:${p.code}`)).toEqual(['total_amount:invalid_type']);
  });

  it.each([
    ['invoice_date', '2024-02-29'],
    ['invoice_date', '2026-02-29'],
    ['price', '12.30'],
    ['price', '12,30'],
    ['fund_percent', '101'],
    ['prepaid', 'N'],
    ['currency', 'jpy'],
    ['quantity', '01'],
  ] as const)('agrees with the grouper’s codecs on %s %j', (column, raw) => {
    const zodOk = RowSchema.safeParse({ [column]: raw }).success;
    const codecOk = !(parseCell(column, raw) instanceof CellError);
    expect(zodOk).toBe(codecOk);
  });
});

describe('InvoiceSchema', () => {
  it('accepts what the grouper builds', () => {
    const r = run(withBase({ line_number: '1', fund_code: 'F1', fund_percent: '50' }, { line_number: '1', fund_code: 'F2', fund_percent: '50' }));
    const invoice = r.invoices[0]?.invoice;
    expect(invoice).toBeDefined();
    expect(InvoiceSchema.safeParse(invoice).success).toBe(true);
  });

  it('rejects a JS number as money and an unreal date', () => {
    const invoice = run(withBase({})).invoices[0]?.invoice;
    const bad = { ...invoice, header: { ...invoice?.header, totalAmount: 100, date: '2026-02-30' } };
    const r = InvoiceSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['header.date', 'header.totalAmount']);
  });
});
