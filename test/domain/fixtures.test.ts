import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateRecords } from '../../src/domain/validate.js';
import { allProblems, readFixture } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

describe('fixtures/valid-small.csv', () => {
  const result = validateRecords(readFixture(fixture('valid-small.csv')));

  it('has no problem at all', () => expect(allProblems(result)).toEqual([]));

  it('gives three invoices, with rows not adjacent in the file grouped together', () => {
    expect(
      result.invoices.map((g) => [
        g.key.vendor,
        g.key.number,
        g.invoice?.header.totalAmount.toFixed(2),
        g.invoice?.header.currency,
        g.rows.map((r) => r.row),
        g.invoice?.lines.map((l) => [l.number, l.funds.map((f) => `${f.fundCode}:${f.percent?.toFixed() ?? ''}:${f.amount?.toFixed() ?? ''}`)]),
      ]),
    ).toEqual([
      ['ACME', 'A-1001', '130.00', 'USD', [2, 3, 5], [['1', ['BOOKS:60:', 'SERIALS:40:']], ['2', ['BOOKS::30']]]],
      ['EUROBOOKS', 'EB-5', '160.50', 'EUR', [4, 8, 9], [['1', ['EUFUND:100:']], ['2', ['EUFUND::25', 'EUSPEC::25']]]],
      ['NIPPON', 'NB-77', '31000.00', 'JPY', [6, 7], [['1', ['JAPAN:100:']], ['2', ['JAPAN:100:']]]],
    ]);
  });

  it('keeps the line details', () => {
    const acme = result.invoices[0]?.invoice;
    expect([acme?.lines[0]?.poLine, acme?.lines[0]?.quantity, acme?.lines[0]?.price?.toFixed(2)]).toEqual(['POL-1', 2, '45.00']);
    expect([acme?.header.charges.shipment?.toFixed(2), acme?.header.charges.discount?.toFixed(2)]).toEqual(['12.50', '2.50']);
    expect(result.invoices[1]?.invoice?.lines[0]?.note).toBe('Atlas, 2nd edition');
    expect(result.invoices[2]?.invoice?.header.date).toBe('2024-02-29');
  });
});

describe('fixtures/defects.csv', () => {
  const result = validateRecords(readFixture(fixture('defects.csv')));

  it('reports exactly these (row, column, code)', () => {
    const got = allProblems(result).map((p) => `${p.row ?? '-'}:${p.column ?? '-'}:${p.code}:${p.severity}`);
    expect(got.sort()).toEqual(
      [
        '-:-:unknown_columns:warning', // isbn
        '2:invoice_date:invalid_date:error', // 2026-02-30
        '3:currency:invoice_field_conflict:error', // EUR after USD
        '4:total_amount:total_mismatch:error', // 250 vs 100 + 100 + 20
        '6:fund_percent:fund_percent_sum:error', // 50 + 40
        '8:fund_amount:fund_percent_and_amount:error',
        '9:total_amount:too_many_decimals:error', // JPY 1000.5
        '9:price:too_many_decimals:error',
        '10:prepaid:prepaid_payment_method:error',
        '10:internal_copy:prepaid_internal_copy:error',
        '10:export_to_erp:internal_copy_export:error',
        '11:vat_amount:vat_percentage_and_amount:error',
        '11:vat_code:vat_code_with_value:error',
        '11:quantity:invalid_quantity:error',
        '12:subscription_to_date:subscription_dates_order:error',
        '12:total_amount:total_not_checked:warning', // PO line without price
        '13:fund_code:fund_missing:error',
        '13:price:price_missing:error',
        '14:vendor:missing_value:error',
        '15:invoice_number:missing_value:error',
        // 16 is blank: skipped
        '18:fund_code:duplicate_fund_row:error',
        '20:line_number:duplicate_line_number:error', // 01 after 1
        '20:line_number:invalid_line_number:error', // 01: a leading zero
        '21:total_amount:invalid_number:error', // 1.000,00
        '21:currency:invalid_currency:error', // XYZ
        '21:vat_type:invalid_vat_type:error', // GROSS
        '21:prepaid:invalid_boolean:error', // maybe
        '23:price:line_field_conflict:error',
        '25:fund_amount:fund_mixed_shares:error',
        '26:invoice_date:missing_value:error',
        '26:total_amount:missing_value:error',
        '27:fund_percent:fund_share_missing:error',
        '29:fund_code:fund_code_missing:error',
        '30:-:no_lines:error',
      ].sort(),
    );
  });

  it('names the file on every problem and keeps no invoice with an error', () => {
    expect(allProblems(result).every((p) => p.file === 'defects.csv')).toBe(true);
    const valid = result.invoices.filter((g) => g.invoice !== undefined).map((g) => g.key.number);
    expect(valid).toEqual([]);
    expect(result.issues.find((p) => p.code === 'unknown_columns')?.message).toContain('isbn');
  });

  it('shows the bad value in the message', () => {
    const messages = allProblems(result).map((p) => p.message);
    expect(messages).toContain('invoice_date "2026-02-30" is not a real date (expected YYYY-MM-DD)');
    expect(messages).toContain('currency "XYZ" is not an ISO 4217 currency code (e.g. USD, EUR)');
    expect(messages.find((m) => m.startsWith('total_amount 250.00'))).toContain('difference 30.00');
  });
});
