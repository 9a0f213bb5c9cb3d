import { describe, expect, it } from 'vitest';
import { checkLocated, checkPayments, type LocatedInvoice, type PaymentRecord } from '../../src/domain/payments.js';
import { read } from '../input/helpers.js';

const rec = (row: number, fields: Record<string, string>) => ({ source: { file: 'p.csv', row }, fields });
const PAID = { vendor: 'V', invoice_number: 'N1', payment_status: 'paid', voucher_number: 'X', voucher_date: '2025-01-02', voucher_amount: '10.00', voucher_currency: 'USD' };
const codes = (fields: Record<string, string>) =>
  checkPayments([rec(2, fields)]).entries[0]!.problems.map((p) => `${p.column}:${p.code}`);

describe('payment rows', () => {
  it('a complete paid row is a request with an exact amount', () => {
    const { entries } = checkPayments([rec(2, PAID)]);
    expect(entries[0]!.problems).toEqual([]);
    expect(entries[0]!.request?.voucherAmount?.toFixed(2)).toBe('10.00');
    expect(entries[0]!.key).toEqual({ vendor: 'V', number: 'N1' });
  });
  it.each([
    [{ ...PAID, voucher_amount: '1.234' }, 'voucher_amount:too_many_decimals'],
    [{ ...PAID, voucher_amount: '1,00' }, 'voucher_amount:invalid_number'],
    // 1,200 with a dot between thousands, or 1.2? Refused, not read as 1.2 (its zeros did not count).
    [{ ...PAID, voucher_amount: '1.200' }, 'voucher_amount:ambiguous_number'],
    [{ ...PAID, voucher_amount: '1.000', voucher_currency: 'JPY' }, 'voucher_amount:ambiguous_number'],
    [{ ...PAID, voucher_date: '2025-13-01' }, 'voucher_date:invalid_date'],
    [{ ...PAID, voucher_currency: 'XXQ' }, 'voucher_currency:invalid_currency'],
    [{ ...PAID, payment_status: 'void' }, 'payment_status:invalid_payment_status'],
    [{ ...PAID, payment_status: '' }, 'payment_status:missing_value'],
    [{ ...PAID, voucher_number: '' }, 'voucher_number:missing_value'],
    [{ vendor: 'V', invoice_number: 'N1', payment_status: 'rejected' }, 'note:missing_note'],
    [{ invoice_id: '12x', payment_status: 'rejected', note: 'n' }, 'invoice_id:invalid_invoice_id'],
    [{ invoice_number: 'N1', payment_status: 'rejected', note: 'n' }, 'vendor:missing_value'],
  ])('%j → %s', (fields, code) => {
    expect(codes(fields)).toContain(code);
  });
  it('a rejected row needs no voucher; PAID spelled in capitals is paid; the id is the key when given', () => {
    expect(codes({ invoice_id: '123', payment_status: 'REJECTED', note: 'wrong bank account' })).toEqual([]);
    expect(checkPayments([rec(2, { invoice_id: '123', payment_status: 'rejected', note: 'x' })]).entries[0]!.key).toEqual({ vendor: '', number: '123' });
  });
  it('the same invoice twice is an error on the later row; an unknown column is one warning per file', () => {
    const r = checkPayments([rec(2, { ...PAID, extra: 'a' }), rec(3, { ...PAID, extra: 'b' })]);
    expect(r.entries[1]!.problems.map((p) => [p.row, p.code])).toEqual([[3, 'duplicate_payment']]);
    expect(r.entries[1]!.request).toBeUndefined();
    expect(r.issues.map((p) => [p.code, p.severity])).toEqual([['unknown_columns', 'warning']]);
  });
  it('the unknown columns of a file are one warning naming them; an empty one is not named', () => {
    const r = checkPayments([rec(2, { ...PAID, colour: 'red', size: '' }), rec(3, { ...PAID, invoice_number: 'N2', isbn: '1' })]);
    expect(r.issues.map((p) => [p.file, p.code, p.message])).toEqual([['p.csv', 'unknown_columns', 'columns not in the payments layout are ignored: colour, isbn']]);
  });
  it('an invoice batch given to payments is one error naming the load command, in place of the unknown columns', () => {
    const line = { vendor: 'V', invoice_number: 'N1', invoice_date: '2025-01-02', total_amount: '10', currency: 'USD', line_number: '1', price: '10', fund_code: 'F' };
    const r = checkPayments([{ source: { file: 'batch.csv', row: 2 }, fields: line }]);
    expect(r.issues.map((p) => [p.file, p.code, p.severity, p.message])).toEqual([
      ['batch.csv', 'invoice_batch_file', 'error', 'this is an invoice batch, not payment confirmations: it has invoice_date, total_amount, currency, line_number and 2 more and no payment_status column; load it with `invoice-load batch.csv`'],
    ]);
    // With a payment_status column, even empty, it is a payments file with extra columns.
    const r2 = checkPayments([{ source: { file: 'batch.csv', row: 2 }, fields: { ...line, payment_status: '' } }]);
    expect(r2.issues.map((p) => p.code)).toEqual(['unknown_columns']);
  });
});

describe('payment rows against the invoices they name', () => {
  /** The codes checkLocated finds on one row paying an invoice with this total. */
  const against = (fields: Record<string, string>, totalAmount: string | undefined): string[] => {
    const { entries } = checkPayments([rec(2, fields)]);
    expect(entries[0]!.problems).toEqual([]);
    const inv: LocatedInvoice = { id: '7', number: 'N1', vendor: 'V', currency: 'USD', totalAmount };
    return (checkLocated(entries, new Map([[entries[0]!, inv]])).get(entries[0]!) ?? []).map((p) => `${p.column}:${p.code}:${p.severity}`);
  };
  it.each([
    ['a credit note paid with its negative total', '-10.00', '-10.00', []],
    ['a credit note paid with a smaller refund', '-9.50', '-10.00', ['voucher_amount:amount_differs:warning']],
    ['a negative voucher for an invoice', '-10.00', '10.00', ['voucher_amount:negative_amount:error']],
    ['a negative voucher for an invoice without a total', '-10.00', undefined, ['voucher_amount:negative_amount:error']],
    ['an invoice paid with its total', '10.00', '10.00', []],
  ] as const)('%s', (_name, amount, total, codes) => {
    expect(against({ ...PAID, voucher_amount: amount }, total)).toEqual(codes);
  });
  it('a voucher written 1.200 with no voucher_currency is ambiguous in the invoice\'s EUR, not in its KWD; 12.5000 is 12.5', () => {
    const codesFor = (amount: string, currency: string, totalAmount: string) => {
      const { entries } = checkPayments([rec(2, { ...PAID, voucher_amount: amount, voucher_currency: '' })]);
      expect(entries[0]!.problems).toEqual([]);
      const inv: LocatedInvoice = { id: '7', number: 'N1', vendor: 'V', currency, totalAmount };
      return (checkLocated(entries, new Map([[entries[0]!, inv]])).get(entries[0]!) ?? []).map((p) => `${p.column}:${p.code}:${p.message}`);
    };
    expect(codesFor('1.200', 'EUR', '1200')).toEqual([
      'voucher_amount:ambiguous_number:voucher_amount "1.200" could be 1,200 (a dot between thousands) or 1.2 (a decimal point and three decimals); EUR has 2: write 1200 or 1.20 (EUR is the invoice\'s currency)',
    ]);
    expect(codesFor('1.200', 'KWD', '1.2')).toEqual([]);
    expect(codesFor('12.5000', 'USD', '12.5')).toEqual([]);
  });
  // A JSON number has no thousands separator (RFC 8259 §6): 1.200 written as one is 1.2 (SourceRecord.native).
  it('a voucher that was a JSON number 1.200 is 1.2, in its voucher_currency or the invoice\'s; the text beside it is still ambiguous', () => {
    const number = (fields: Record<string, string>) => ({ source: { file: 'p.json', row: 2 }, fields, native: new Set(['voucher_amount']) });
    const { entries } = checkPayments([number({ ...PAID, voucher_amount: '1.200', voucher_currency: 'EUR' }), rec(3, { ...PAID, invoice_number: 'N2', voucher_amount: '1.200', voucher_currency: 'EUR' })]);
    expect(entries.map((e) => e.problems.map((p) => `${p.column}:${p.code}`))).toEqual([[], ['voucher_amount:ambiguous_number']]);
    expect(entries[0]!.request?.voucherAmount?.toFixed()).toBe('1.2');
    const bare = checkPayments([number({ ...PAID, voucher_amount: '1.200', voucher_currency: '' })]).entries;
    const inv: LocatedInvoice = { id: '7', number: 'N1', vendor: 'V', currency: 'EUR', totalAmount: '1.2' };
    expect(bare[0]!.problems).toEqual([]);
    expect(checkLocated(bare, new Map([[bare[0]!, inv]])).get(bare[0]!) ?? []).toEqual([]);
  });
  it('says why a negative voucher is refused', () => {
    const { entries } = checkPayments([rec(2, { ...PAID, voucher_amount: '-1' })]);
    const found = checkLocated(entries, new Map([[entries[0]!, { id: '7', number: 'N1', vendor: 'V', currency: 'USD', totalAmount: '120' }]]));
    expect(found.get(entries[0]!)!.map((p) => p.message)).toEqual(["voucher_amount -1.00 USD is below zero, and the invoice's total (120.00 USD) is not: only a credit note's payment is negative"]);
  });
  it.each([
    // -12.50 as written, not -12.5; Alma's total (a JSON number) with the currency's decimals.
    ['EUR, two decimals', '-12.50', 'EUR', 'EUR', '876.4', "voucher_amount -12.50 EUR is below zero, and the invoice's total (876.40 EUR) is not: only a credit note's payment is negative"],
    ['JPY, none', '-1250', 'JPY', 'JPY', '5000', "voucher_amount -1250 JPY is below zero, and the invoice's total (5000 JPY) is not: only a credit note's payment is negative"],
    ['KWD, three', '-1.5', 'KWD', 'KWD', '20.25', "voucher_amount -1.500 KWD is below zero, and the invoice's total (20.250 KWD) is not: only a credit note's payment is negative"],
    ['no voucher currency: the invoice\'s', '-12.50', '', 'EUR', undefined, "voucher_amount -12.50 EUR is below zero, and the invoice's total (not given) is not: only a credit note's payment is negative"],
  ] as const)('a negative voucher is said with the currency\'s decimals: %s', (_name, amount, voucherCurrency, currency, totalAmount, want) => {
    const { entries } = checkPayments([rec(2, { ...PAID, voucher_amount: amount, voucher_currency: voucherCurrency })]);
    const found = checkLocated(entries, new Map([[entries[0]!, { id: '7', number: 'N1', vendor: 'V', currency, totalAmount }]]));
    expect(found.get(entries[0]!)!.map((p) => p.message)).toEqual([want]);
  });
});

describe('a payment in another currency than the invoice\'s', () => {
  it('is an error on its voucher_currency, naming both currencies; nothing is sent for the row', () => {
    const { entries } = checkPayments([rec(2, { ...PAID, voucher_amount: '340.00', voucher_currency: 'JPY' })]);
    expect(entries[0]!.problems).toEqual([]);
    const found = checkLocated(entries, new Map([[entries[0]!, { id: '7', number: 'N1', vendor: 'V', currency: 'USD', totalAmount: '340.00' }]]));
    expect(found.get(entries[0]!)!.map((p) => [p.file, p.row, p.column, p.code, p.severity, p.message])).toEqual([
      ['p.csv', 2, 'voucher_currency', 'currency_differs', 'error', "voucher_currency JPY is not the invoice's currency, USD: a payment is in the invoice's currency; nothing is sent for this row"],
    ]);
  });
});

describe('a payment that is not the invoice\'s total', () => {
  it.each([
    ['EUR', '1.00', '876.4', "voucher_amount 1.00 EUR is not the invoice's total, 876.40 EUR; sent as given"],
    ['JPY', '300', '340', "voucher_amount 300 JPY is not the invoice's total, 340 JPY; sent as given"],
    ['BHD', '1.5', '2.125', "voucher_amount 1.500 BHD is not the invoice's total, 2.125 BHD; sent as given"],
  ])('is a warning showing both amounts with the decimals of %s', (currency, amount, total, message) => {
    const { entries } = checkPayments([rec(2, { ...PAID, voucher_amount: amount, voucher_currency: currency })]);
    const found = checkLocated(entries, new Map([[entries[0]!, { id: '7', number: 'N1', vendor: 'V', currency, totalAmount: total }]]));
    expect(found.get(entries[0]!)!.map((p) => [p.code, p.severity, p.message])).toEqual([['amount_differs', 'warning', message]]);
  });
});

describe('a JSON record with one payments column under two keys', () => {
  it.each([
    ['JSON', 'p.json', `[\n${JSON.stringify({ ...PAID, Voucher_Amount: '20.00' })}\n]`, 2],
    ['JSON Lines', 'p.jsonl', `${JSON.stringify({ ...PAID, invoice_number: 'N0' })}\n${JSON.stringify({ ...PAID, ' VOUCHER_AMOUNT ': 20 })}\n`, 2],
  ])('in %s is duplicate_column on the record (its file, row and column), not the last key kept silently', async (_name, file, text, row) => {
    const r = await read(file, text);
    const records: PaymentRecord[] = r.records.map((x) => ({ source: x.source, fields: x.fields, native: x.native }));
    const { entries } = checkPayments(records);
    const entry = entries.find((e) => e.source.row === row)!;
    expect(entry.problems.map((p) => [p.file, p.row, p.column, p.code, p.severity])).toEqual([[file, row, 'voucher_amount', 'duplicate_column', 'error']]);
    expect(entry.problems[0]!.message).toMatch(/^keys "voucher_amount" and "(Voucher_Amount| VOUCHER_AMOUNT )" are the same column voucher_amount; keep one$/);
    expect(entry.request).toBeUndefined();
    // The other record is whole.
    for (const e of entries.filter((x) => x !== entry)) expect(e.problems).toEqual([]);
  });
});
