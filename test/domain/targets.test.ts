/** Per-target rules: Exsited and Alguna have their own required fields and checks; Alma's never block them. */
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { parseCell } from '../../src/domain/cells.js';
import { algunaRows, exsitedRow, RULES, type TargetName } from '../targets/helpers/invoices.js';

function check(target: TargetName, rows: Record<string, string>[]) {
  const g = new InvoiceGrouper({ rules: RULES[target] });
  rows.forEach((fields, i) => g.add({ source: { file: 'b.csv', row: i + 2 }, fields }));
  const [first] = g.finish().invoices;
  return { invoice: first?.invoice, codes: (first?.problems ?? []).map((p) => `${p.severity === 'error' ? 'E' : 'W'}:${p.code}:${p.column ?? ''}`) };
}

describe('Exsited rules', () => {
  it('a purchase invoice row needs no lines, funds or Alma total check; its fields reach the invoice', () => {
    const { invoice, codes } = check('exsited', [exsitedRow({ custom_attributes: 'cost_centre=LIB-ACQ; fiscal_year = 2025', purchase_order_note: 'March', invoice_note: 'n', attachment: 'a.pdf' })]);
    expect(codes).toEqual([]);
    expect(invoice?.lines).toEqual([]);
    expect(invoice?.header).toMatchObject({
      purchaseOrderId: 'PO-HARRAS01-0001',
      purchaseOrderNote: 'March',
      attachment: 'a.pdf',
      customAttributes: [
        { name: 'cost_centre', value: 'LIB-ACQ' },
        { name: 'fiscal_year', value: '2025' },
      ],
    });
  });

  it('requires the purchase order, refuses the loader\'s own attribute names, warns on an early due date', () => {
    expect(check('exsited', [exsitedRow({ purchase_order_id: '' })]).codes).toEqual(['E:missing_value:purchase_order_id']);
    expect(check('exsited', [exsitedRow({ custom_attributes: '{"vendor_invoice_number": "X"}' })]).codes).toEqual(['E:reserved_attribute:custom_attributes']);
    expect(check('exsited', [exsitedRow({ invoice_due_date: '2025-03-01' })]).codes).toEqual(['W:due_before_issue:invoice_due_date']);
  });

  it("two invoices of a batch on one purchase order: the second is an error before anything is sent, naming both rows (each purchase invoice would be the whole order)", async () => {
    const { EXSITED_PROFILE } = await import('../../src/targets/exsited/profile.js');
    const g = new InvoiceGrouper({ rules: EXSITED_PROFILE.rules(process.cwd()) });
    const rows = [exsitedRow({ invoice_number: 'HA-1' }), exsitedRow({ invoice_number: 'HA-2', total_amount: '10.00' }), exsitedRow({ invoice_number: 'HA-3', purchase_order_id: 'PO-OTHER-0001' })];
    rows.forEach((fields, i) => g.add({ source: { file: 'b.csv', row: i + 2 }, fields }));
    const [one, two, three] = g.finish().invoices;
    expect(one?.problems).toEqual([]);
    expect(three?.problems).toEqual([]);
    expect(two?.invoice).toBeUndefined();
    expect(two?.problems.map((p) => [p.severity, p.code, p.file, p.row, p.column])).toEqual([['error', 'purchase_order_reused', 'b.csv', 3, 'purchase_order_id']]);
    expect(two?.problems[0]?.message).toMatch(/^purchase order "PO-HARRAS01-0001" is also that of invoice "HA-1" from HARRAS \(rows 2 and 3\)/);
    // Each reading of a batch starts afresh: the same rules read again find the same invoice, not a second one.
    const again = new InvoiceGrouper({ rules: EXSITED_PROFILE.rules(process.cwd()) });
    again.add({ source: { file: 'b.csv', row: 3 }, fields: rows[1]! });
    expect(again.finish().invoices[0]?.problems).toEqual([]);
  });

  it('a cancel or a reactivate of two invoices on one purchase order is not refused: it creates no purchase invoice', async () => {
    const { EXSITED } = await import('../../src/targets/exsited/index.js');
    for (const kind of ['cancel', 'reactivate'] as const) {
      const g = new InvoiceGrouper({ rules: EXSITED.profile({ kind, effectiveDate: '2025-04-01' }).rules(process.cwd()) });
      [exsitedRow({ invoice_number: 'HA-1' }), exsitedRow({ invoice_number: 'HA-2', total_amount: '10.00' })].forEach((fields, i) => g.add({ source: { file: 'b.csv', row: i + 2 }, fields }));
      expect(g.finish().invoices.map((i) => i.problems.map((p) => p.code)), kind).toEqual([[], []]);
    }
  });

  it('columns Exsited does not send are a warning, once per invoice (it takes the lines from the purchase order)', () => {
    const { codes, invoice } = check('exsited', [exsitedRow({ line_number: '1', price: '10', fund_code: 'F' })]);
    expect(codes).toEqual(['W:column_not_used:']);
    expect(invoice).toBeDefined();
  });
});

describe('Alguna rules', () => {
  it('a valid one-off invoice: line items with description, quantity and unit price adding up to the total', () => {
    const { invoice, codes } = check('alguna', algunaRows());
    expect(codes).toEqual([]);
    expect(invoice?.header).toMatchObject({ accountId: 'acc_city_library', billingPeriodStart: '2025-03-01', billingPeriodEnd: '2025-03-31T23:59:59Z' });
    expect(invoice?.lines.map((l) => [l.description, l.quantity, l.unitPrice?.toFixed(2), l.productId])).toEqual([
      ['Scanning (pages)', 2000, '0.50', 'prod_scanning'],
      ['Metadata records', 50, '5.00', undefined],
    ]);
  });

  it('requires account and billing period, a description and unit price per line item; Alma\'s fund rules do not apply', () => {
    const rows = algunaRows('X', { account_id: '', billing_period_end: '' });
    rows[1] = { ...rows[1]!, line_description: '', unit_price: '', price: '5.00' };
    expect(check('alguna', rows).codes).toEqual([
      'E:missing_value:account_id',
      'E:missing_value:billing_period_end',
      'W:column_not_used:',
      'E:missing_value:line_description',
      'E:missing_value:unit_price',
    ]);
  });

  it("requires the currency (v2's create does, and the generation is known only once the run has started): an error at the invoice's first row, before anything is sent", () => {
    const g = new InvoiceGrouper({ rules: RULES.alguna });
    algunaRows('X', { currency: '' }).forEach((fields, i) => g.add({ source: { file: 'b.csv', row: i + 2 }, fields }));
    const [first] = g.finish().invoices;
    expect(first?.invoice).toBeUndefined();
    expect(first?.problems.map((p) => [p.severity, p.code, p.file, p.row, p.column])).toEqual([['error', 'missing_value', 'b.csv', 2, 'currency']]);
  });

  it('the total must equal Σ quantity × unit_price (Alguna computes the invoice from its line items)', () => {
    const { codes, invoice } = check('alguna', algunaRows('X', { total_amount: '1200.00' }));
    expect(codes).toEqual(['E:total_mismatch:total_amount']);
    expect(invoice).toBeUndefined();
  });

  it("a billing period's end given as a date is the end of that day: its last day is in the period, in the body of both generations and in the order check", async () => {
    const { invoicePayload } = await import('../../src/targets/alguna/payload.js');
    const rows = algunaRows('X', { billing_period_end: '2025-03-31' });
    const { invoice } = check('alguna', rows);
    expect(invoicePayload(invoice!, 'legacy')).toMatchObject({ billingPeriodStart: '2025-03-01T00:00:00Z', billingPeriodEnd: '2025-03-31T23:59:59Z' });
    expect(invoicePayload(invoice!, 'v2')).toMatchObject({ billing_period_start: '2025-03-01T00:00:00Z', billing_period_end: '2025-03-31T23:59:59Z' });
    // A period that starts and ends on the same day, the start at 10:00: not ended before it starts.
    expect(check('alguna', algunaRows('X', { billing_period_start: '2025-03-31T10:00:00Z', billing_period_end: '2025-03-31' })).codes).toEqual([]);
  });

  it('the billing period ends after it starts; timestamps are dates or RFC 3339', () => {
    expect(check('alguna', algunaRows('X', { billing_period_start: '2025-04-01T02:00:00+02:00' })).codes).toEqual(['E:billing_period_order:billing_period_end']);
    expect(parseCell('billing_period_start', '2025-03-01t10:00:00z')).toBe('2025-03-01T10:00:00Z');
    expect(parseCell('billing_period_start', '2025-02-30T10:00:00Z')).toMatchObject({ code: 'invalid_timestamp' });
    expect(parseCell('billing_period_start', '2025-03-01 10:00')).toMatchObject({ code: 'invalid_timestamp' });
  });
});

describe('FOLIO rules', () => {
  const row = (over: Record<string, string> = {}): Record<string, string> => ({
    invoice_number: 'E-1', invoice_date: '2026-11-10', vendor: 'EBSCO', currency: 'USD', total_amount: '490.00', discount: '10.00',
    line_number: '1', price: '500.00', quantity: '1', fund_code: 'GENRL', fund_amount: '300.00', ...over,
  });
  it('fund amounts on an invoice with charges are refused before sending: FOLIO checks them against the line\'s total with its share of the charges', () => {
    expect(check('folio', [row(), row({ fund_code: 'ENG', fund_amount: '200.00' })]).codes).toEqual(['E:fund_amount_with_charges:fund_amount']);
  });
  it("a line's price or fund amount finer than the currency is refused before sending: mod-invoice rounds each line's total to the currency, and approval compares the funds with it", () => {
    // Two lines of 10.005 add up to the total exactly, so no other check sees them.
    const fine = (over: Record<string, string>) => row({ discount: '', total_amount: '20.01', price: '10.005', fund_amount: '10.005', ...over });
    expect(check('folio', [fine({}), fine({ line_number: '2' })]).codes).toEqual([
      'E:too_many_decimals:price',
      'E:too_many_decimals:fund_amount',
      'E:too_many_decimals:price',
      'E:too_many_decimals:fund_amount',
    ]);
    // JPY has none: 100.5 yen is finer than the currency.
    expect(check('folio', [row({ currency: 'JPY', discount: '', total_amount: '100.5', price: '100.5', fund_amount: '', fund_percent: '100' })]).codes).toEqual(['E:too_many_decimals:total_amount', 'E:too_many_decimals:price']);
  });

  it('percentages with charges, and amounts without charges, pass', () => {
    expect(check('folio', [row({ fund_amount: '', fund_percent: '60' }), row({ fund_code: 'ENG', fund_amount: '', fund_percent: '40' })]).codes).toEqual([]);
    expect(check('folio', [row({ discount: '', total_amount: '500.00' }), row({ discount: '', total_amount: '500.00', fund_code: 'ENG', fund_amount: '200.00' })]).codes).toEqual([]);
  });
});

describe('Alma keeps its rules', () => {
  it('other targets\' columns on an Alma batch are a warning, not silently dropped', () => {
    const row = { invoice_number: 'A-1', invoice_date: '2026-01-15', vendor: 'ACME', total_amount: '10', line_number: '1', price: '10', fund_code: 'F', account_id: 'acc' };
    expect(check('alma', [row]).codes).toEqual(['W:column_not_used:']);
  });

  it('custom attributes cells: pairs or a JSON object, names unique', () => {
    expect(parseCell('custom_attributes', 'a=1; b = two')).toBe('[["a","1"],["b","two"]]');
    expect(parseCell('custom_attributes', '{"a": "x;y=z"}')).toBe('[["a","x;y=z"]]');
    expect(parseCell('custom_attributes', 'a=1; a=2')).toMatchObject({ code: 'invalid_attributes' });
    expect(parseCell('custom_attributes', 'just text')).toMatchObject({ code: 'invalid_attributes' });
  });
});

describe('columns a target does not send: one warning naming them, the target and why', () => {
  const warning = (target: TargetName, rows: Record<string, string>[]): string[] => {
    const g = new InvoiceGrouper({ rules: RULES[target] });
    rows.forEach((fields, i) => g.add({ source: { file: 'b.csv', row: i + 2 }, fields }));
    return (g.finish().invoices[0]?.problems ?? []).filter((p) => p.code === 'column_not_used').map((p) => `${p.severity} row ${p.row}: ${p.message}`);
  };
  const almaRow = { invoice_number: 'A-1', invoice_date: '2026-01-15', vendor: 'ACME', total_amount: '10', currency: 'EUR', line_number: '1', price: '10', fund_code: 'F' };

  it.each([
    ['alma', [{ ...almaRow, account_id: 'acc', unit_price: '10' }], 'account_id, unit_price are not sent to Alma: they belong to the Exsited or Alguna targets'],
    [
      'exsited',
      [exsitedRow({ line_number: '1', price: '10', fund_code: 'F' })],
      'line_number, price, fund_code are not sent to Exsited: an Exsited purchase invoice takes its lines from its purchase order, and the other columns belong to Alma or Alguna',
    ],
    [
      'alguna',
      algunaRows('X', { price: '0.50' }),
      'price is not sent to Alguna: they belong to the Alma or Exsited targets (Alguna line items take line_description, quantity, unit_price and product_id)',
    ],
    [
      'folio',
      [{ ...almaRow, vat_code: 'S', reporting_code: 'R1' }],
      'vat_code, reporting_code are not sent to FOLIO: FOLIO has no field for them (no VAT, reporting codes or ERP flags on its invoices), or they belong to the Exsited or Alguna targets',
    ],
  ] as const)('%s', (target, rows, message) => {
    expect(warning(target, [...rows])).toEqual([`warning row 2: ${message}`]);
  });
});
