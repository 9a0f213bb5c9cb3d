/** The online preflight's pure part: fetched facts → problems (each finding passing and failing), and the cost estimate. */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { keyString, type Invoice } from '../../../src/domain/model.js';
import {
  estimateLoad,
  maxPolls,
  preflightProblems,
  type CodeTableFacts,
  type Fetched,
  type FundFacts,
  type PoLineFacts,
  type PreflightFacts,
  type VendorFacts,
} from '../../../src/targets/alma/preflight-rules.js';
import type { RemoteInvoice } from '../../../src/targets/target.js';

const d = (s: string): Decimal => new Decimal(s);
const at = (row: number) => ({ file: 'b.csv', row });

/**
 * GOBI invoice G-1 on rows 2-4: line 1 (row 2) linked to POL-1, charged to BOOKS; line 2
 * (rows 3 and 4) not linked, split across BOOKS (row 3) and HIST (row 4).
 */
function baseInvoice(over: Partial<Invoice['header']> = {}, lineOver: { type?: string; reportingCode?: string } = {}): Invoice {
  return {
    key: { vendor: 'GOBI', number: 'G-1' },
    header: {
      number: 'G-1',
      date: '2025-03-03',
      vendor: 'GOBI',
      vendorAccount: 'GOBI-MAIN',
      currency: 'USD',
      paymentMethod: 'ACCOUNTINGDEPARTMENT',
      totalAmount: d('60.00'),
      vat: {},
      charges: {},
      payment: {},
      ...over,
    },
    lines: [
      { number: '1', type: lineOver.type ?? 'REGULAR', poLine: 'POL-1', price: d('50.00'), quantity: 1, funds: [{ fundCode: 'BOOKS', percent: d('100'), source: at(2) }], vat: {}, rows: [at(2)] },
      {
        number: '2',
        type: 'OTHER',
        reportingCode: lineOver.reportingCode ?? 'MONO',
        price: d('10.00'),
        quantity: 1,
        funds: [
          { fundCode: 'BOOKS', percent: d('50'), source: at(3) },
          { fundCode: 'HIST', percent: d('50'), source: at(4) },
        ],
        vat: {},
        rows: [at(3), at(4)],
      },
    ],
    rows: [at(2), at(3), at(4)],
  };
}

const ok = <T>(value: T): Fetched<T> => ({ kind: 'found', value });
const missing = { kind: 'not_found' } as const;
const failed = { kind: 'unknown', reason: 'HTTP 400 402119: General error.' } as const;

const vendor = (over: Partial<VendorFacts> = {}): VendorFacts => ({
  code: 'GOBI',
  status: 'ACTIVE',
  materialSupplier: true,
  currencies: ['USD', 'EUR'],
  accounts: [
    { code: 'GOBI-MAIN', status: 'ACTIVE', paymentMethods: ['ACCOUNTINGDEPARTMENT', 'CREDITCARD'] },
    { code: 'GOBI-OLD', status: 'INACTIVE', paymentMethods: ['ACCOUNTINGDEPARTMENT'] },
  ],
  ...over,
});
const fund = (code: string, over: Partial<FundFacts> = {}): FundFacts => ({ code, usable: true, status: 'ACTIVE', type: 'ALLOCATED', ...over });
const pol = (over: Partial<PoLineFacts> = {}): PoLineFacts => ({ number: 'POL-1', vendor: 'GOBI', vendorAccount: 'GOBI-MAIN', status: 'ACTIVE', ...over });
const table = (name: string, codes: string[], disabled: string[] = []): CodeTableFacts => ({
  name,
  rows: [...codes.map((code) => ({ code, enabled: true })), ...disabled.map((code) => ({ code, enabled: false }))],
});
const remote = (total: string): RemoteInvoice => ({ id: '9911', number: 'G-1', vendor: 'GOBI', alerts: [], totalAmount: total, workflowStatus: 'Waiting to be Sent', processed: true, inReview: false });

function facts(over: Partial<{ [K in keyof PreflightFacts]: Map<string, unknown> }> = {}): PreflightFacts {
  const base: PreflightFacts = {
    vendors: new Map([['GOBI', ok(vendor())]]),
    funds: new Map([
      ['BOOKS', ok(fund('BOOKS'))],
      ['HIST', ok(fund('HIST'))],
    ]),
    poLines: new Map([['POL-1', ok(pol())]]),
    tables: new Map<string, Fetched<CodeTableFacts>>([
      ['Currency_CT', ok(table('Currency_CT', ['USD', 'EUR', 'GBP'], ['JPY']))],
      ['PaymentMethod', ok(table('PaymentMethod', ['ACCOUNTINGDEPARTMENT', 'CREDITCARD', 'CASH']))],
      ['InvoiceLinesTypes', ok(table('InvoiceLinesTypes', ['REGULAR', 'OTHER', 'SHIPMENT'], ['ADJUSTMENT']))],
      ['HFundsTransactionItem.reportingCode', ok(table('HFundsTransactionItem.reportingCode', ['MONO', 'SUB']))],
    ]),
    existing: new Map([[keyString({ vendor: 'GOBI', number: 'G-1' }), ok<RemoteInvoice[]>([])]]),
  };
  const merged = { ...base };
  for (const [k, m] of Object.entries(over) as [keyof PreflightFacts, Map<string, unknown>][]) {
    merged[k] = new Map([...(base[k] as Map<string, unknown>), ...m]) as never;
  }
  return merged;
}

/** `code@row:column:severity` of every problem, plus the messages for the value checks. */
const found = (inv: Invoice, f: PreflightFacts): string[] =>
  preflightProblems(inv, f).map((p) => `${p.code}@${p.row}:${p.column}${p.severity === 'warning' ? ':warning' : ''}`);
const messages = (inv: Invoice, f: PreflightFacts): string => preflightProblems(inv, f).map((p) => p.message).join('\n');

const EXISTING = keyString({ vendor: 'GOBI', number: 'G-1' });

describe('preflightProblems: a clean invoice passes', () => {
  it('finds nothing when every fact agrees', () => {
    expect(found(baseInvoice(), facts())).toEqual([]);
  });
  it('skips what was not looked up (no facts at all)', () => {
    const none: PreflightFacts = { vendors: new Map(), funds: new Map(), poLines: new Map(), tables: new Map(), existing: new Map() };
    expect(found(baseInvoice(), none)).toEqual([]);
  });
});

describe('preflightProblems: vendor', () => {
  const cases: [string, Invoice, PreflightFacts, string[], RegExp?][] = [
    ['unknown vendor', baseInvoice(), facts({ vendors: new Map([['GOBI', missing]]) }), ['vendor_not_found@2:vendor'], /vendor "GOBI" does not exist/],
    ['inactive vendor', baseInvoice(), facts({ vendors: new Map([['GOBI', ok(vendor({ status: 'INACTIVE' }))]]) }), ['vendor_inactive@2:vendor'], /"GOBI" is inactive/],
    ['active vendor', baseInvoice(), facts({ vendors: new Map([['GOBI', ok(vendor({ status: 'ACTIVE' }))]]) }), []],
    ['not a material supplier', baseInvoice(), facts({ vendors: new Map([['GOBI', ok(vendor({ materialSupplier: false }))]]) }), ['vendor_not_material_supplier@2:vendor'], /not a material supplier/],
    ['material supplier flag absent', baseInvoice(), facts({ vendors: new Map([['GOBI', ok(vendor({ materialSupplier: undefined }))]]) }), []],
    ['currency the vendor does not take', baseInvoice({ currency: 'GBP' }), facts(), ['vendor_currency@2:currency'], /currency "GBP" .*takes USD, EUR/],
    ['no currency given: not checked', baseInvoice({ currency: undefined }), facts(), []],
    ['vendor lists no currency: not checked', baseInvoice({ currency: 'GBP' }), facts({ vendors: new Map([['GOBI', ok(vendor({ currencies: [] }))]]) }), []],
    ['unknown account', baseInvoice({ vendorAccount: 'GOBI-X' }), facts(), ['vendor_account_unknown@2:vendor_account'], /no account "GOBI-X" .*GOBI-MAIN, GOBI-OLD/],
    ['vendor shows no account: not checked', baseInvoice({ vendorAccount: 'GOBI-X' }), facts({ vendors: new Map([['GOBI', ok(vendor({ accounts: [] }))]]) }), ['po_line_other_account@2:po_line:warning']],
    ['inactive account', baseInvoice({ vendorAccount: 'GOBI-OLD' }), facts(), ['vendor_account_inactive@2:vendor_account', 'po_line_other_account@2:po_line:warning'], /"GOBI-OLD" .* inactive/],
    ['no account given: Alma uses the default', baseInvoice({ vendorAccount: undefined }), facts(), []],
    ['payment method the account does not list', baseInvoice({ paymentMethod: 'CASH' }), facts(), ['vendor_payment_method@2:payment_method:warning'], /payment method "CASH"/],
    ['payment method the account lists', baseInvoice({ paymentMethod: 'CREDITCARD' }), facts(), []],
    ['vendor look-up failed', baseInvoice(), facts({ vendors: new Map([['GOBI', failed]]) }), ['preflight_lookup_failed@2:vendor:warning'], /could not check vendor "GOBI".*402119/],
  ];
  it.each(cases)('%s', (_name, inv, f, expected, message) => {
    expect(found(inv, f)).toEqual(expected);
    if (message) expect(messages(inv, f)).toMatch(message);
  });
});

describe('preflightProblems: funds, PO lines and the invoice', () => {
  const cases: [string, Invoice, PreflightFacts, string[], RegExp?][] = [
    ['unknown fund, on the row that names it', baseInvoice(), facts({ funds: new Map([['HIST', missing]]) }), ['fund_not_found@4:fund_code'], /fund "HIST" does not exist/],
    ['unknown fund on two rows: each row', baseInvoice(), facts({ funds: new Map([['BOOKS', missing]]) }), ['fund_not_found@2:fund_code', 'fund_not_found@3:fund_code']],
    ['inactive fund', baseInvoice(), facts({ funds: new Map([['HIST', ok(fund('HIST', { usable: false, status: 'INACTIVE' }))]]) }), ['fund_inactive@4:fund_code'], /fund "HIST" is inactive/],
    [
      'fund not usable for a PO line (summary fund)',
      baseInvoice(),
      facts({ funds: new Map([['HIST', ok(fund('HIST', { usable: false, type: 'SUMMARY' }))]]) }),
      ['fund_not_usable@4:fund_code'],
      /fund "HIST" exists \(type SUMMARY\)/,
    ],
    ['fund look-up failed: one warning per fund', baseInvoice(), facts({ funds: new Map([['BOOKS', failed]]) }), ['preflight_lookup_failed@2:fund_code:warning']],
    ['unknown PO line', baseInvoice(), facts({ poLines: new Map([['POL-1', missing]]) }), ['po_line_not_found@2:po_line'], /line "1": PO line "POL-1" does not exist/],
    ['PO line of another vendor', baseInvoice(), facts({ poLines: new Map([['POL-1', ok(pol({ vendor: 'HARRAS' }))]]) }), ['po_line_other_vendor@2:po_line'], /belongs to vendor "HARRAS", not "GOBI"/],
    ['closed PO line', baseInvoice(), facts({ poLines: new Map([['POL-1', ok(pol({ status: 'CLOSED' }))]]) }), ['po_line_closed@2:po_line'], /is closed/],
    [
      // The line is named once: the message said 'line "1" costs 50.00, line "1": PO line "POL-1" 45.00'.
      'PO line of another price: the line named once',
      baseInvoice(),
      facts({ poLines: new Map([['POL-1', ok(pol({ price: '45.00' }))]]) }),
      ['po_line_price@2:po_line:warning'],
      /^line "1" costs 50\.00; its PO line "POL-1" costs 45\.00: will go to review: DIFF_PRICE_THAN_POLINE$/,
    ],
    [
      'PO line on another account of the vendor',
      baseInvoice(),
      facts({ poLines: new Map([['POL-1', ok(pol({ vendorAccount: 'GOBI-OLD' }))]]) }),
      ['po_line_other_account@2:po_line:warning'],
      /DIFFERENT_VENDOR_ACCOUNT/,
    ],
    ['invoice already in Alma, same total', baseInvoice(), facts({ existing: new Map([[EXISTING, ok([remote('60')])]]) }), ['invoice_exists@2:invoice_number'], /already exists in Alma \(id 9911.*same total 60\.00; .*skip it/],
    [
      'invoice already in Alma, another total',
      baseInvoice(),
      facts({ existing: new Map([[EXISTING, ok([remote('75.5')])]]) }),
      ['invoice_exists@2:invoice_number'],
      // The load's own words (engine/existing.ts): the dry run says what the load will do.
      /^Alma already holds invoice G-1 of vendor GOBI \(id 9911, Waiting to be Sent\) with total 75\.50, this file says 60\.00; a load leaves Alma's invoice unchanged and does not send this one \(EXISTS_DIFFERENT\)/,
    ],
    [
      // Alma answers a double's digits: the load recognises its invoice at 15 significant digits, so the dry run does.
      'invoice already in Alma, the same total in a double\'s digits',
      baseInvoice(),
      facts({ existing: new Map([[EXISTING, ok([remote('60.000000000000007')])]]) }),
      ['invoice_exists@2:invoice_number'],
      /same total .*; .*skip it/,
    ],
    [
      // invoice_not_unique: two invoices under the number; the load adopts the older (shorter id), so the dry run compares with it.
      'two invoices in Alma under the number: compared with the one a load adopts',
      baseInvoice(),
      facts({ existing: new Map([[EXISTING, ok([{ ...remote('75.5'), id: '99120' }, remote('60')])]]) }),
      ['invoice_exists@2:invoice_number'],
      /already exists in Alma \(id 9911, 99120, .*same total 60\.00/,
    ],
    ['invoice look-up failed', baseInvoice(), facts({ existing: new Map([[EXISTING, failed]]) }), ['preflight_lookup_failed@2:invoice_number:warning']],
  ];
  it.each(cases)('%s', (_name, inv, f, expected, message) => {
    expect(found(inv, f)).toEqual(expected);
    if (message) expect(messages(inv, f)).toMatch(message);
  });
});

describe('preflightProblems: a PO-linked line without quantity takes the PO line\'s (quantity_from_po_line, checked again)', () => {
  /** Line 1 (POL-1, price 50.00) without quantity; the invoice total and line 1's funds as given. */
  const noQuantity = (total: string, funds?: Invoice['lines'][number]['funds'], over: Partial<Invoice['header']> = {}): Invoice => {
    const inv = baseInvoice({ totalAmount: d(total), ...over });
    const line = { ...inv.lines[0]!, quantity: undefined, ...(funds !== undefined ? { funds } : {}) };
    return { ...inv, lines: [line, inv.lines[1]!] };
  };
  const withQuantity = (quantity: number | undefined, price?: string) => facts({ poLines: new Map([['POL-1', ok(pol({ quantity, price }))]]) });
  const cases: [string, Invoice, PreflightFacts, string[], RegExp?][] = [
    ['PO line quantity 1: the total as checked', noQuantity('60.00'), withQuantity(1), []],
    ['PO line quantity unknown: left to the offline warning', noQuantity('60.00'), withQuantity(undefined), []],
    ['PO line not read: nothing said', noQuantity('60.00'), facts({ poLines: new Map([['POL-1', failed]]) }), ['preflight_lookup_failed@2:po_line:warning']],
    [
      'PO line quantity 2: the total no longer adds up',
      noQuantity('60.00'),
      withQuantity(2),
      ['po_line_quantity@2:quantity'],
      /line "1" has no quantity, so Alma takes PO line "POL-1"'s, 2: the lines come to 110\.00 and the invoice to 110\.00, not total_amount 60\.00\. Alma would send the invoice to review/,
    ],
    ['PO line quantity 2, the total counts it', noQuantity('110.00'), withQuantity(2), []],
    ['the shipment is counted', noQuantity('115.00', undefined, { charges: { shipment: d('5.00') } }), withQuantity(2), []],
    [
      'fund amounts of the line against price × the PO line quantity',
      noQuantity('110.00', [{ fundCode: 'BOOKS', amount: d('50.00'), source: at(2) }]),
      withQuantity(2),
      ['po_line_quantity@2:quantity'],
      /its total is 100\.00, and its fund amounts add up to 50\.00/,
    ],
    ['fund amounts that cover price × the PO line quantity', noQuantity('110.00', [{ fundCode: 'BOOKS', amount: d('100.00'), source: at(2) }]), withQuantity(2), []],
    [
      'no price either: the PO line gives both',
      (() => {
        const inv = noQuantity('60.00');
        return { ...inv, lines: [{ ...inv.lines[0]!, price: undefined }, inv.lines[1]!] };
      })(),
      withQuantity(2, '22.50'),
      ['po_line_quantity@2:quantity'],
      /the lines come to 55\.00/,
    ],
    ['a quantity given is the file\'s, whatever the PO line has', baseInvoice(), withQuantity(2), []],
  ];
  it.each(cases)('%s', (_name, inv, f, expected, message) => {
    expect(found(inv, f)).toEqual(expected);
    if (message) expect(messages(inv, f)).toMatch(message);
  });
});

describe('preflightProblems: code-table values', () => {
  const cases: [string, Invoice, PreflightFacts, string[], RegExp?][] = [
    ['unknown line type', baseInvoice({}, { type: 'FREIGHT' }), facts(), ['code_not_in_table@2:line_type'], /line_type "FREIGHT" is not in Alma's InvoiceLinesTypes code table; Alma has REGULAR, OTHER, SHIPMENT/],
    ['disabled line type', baseInvoice({}, { type: 'ADJUSTMENT' }), facts(), ['code_not_in_table@2:line_type'], /"ADJUSTMENT" is disabled/],
    ['line type in the wrong case', baseInvoice({}, { type: 'regular' }), facts(), ['code_not_in_table@2:line_type'], /did you mean "REGULAR"/],
    ['unknown payment method', baseInvoice({ paymentMethod: 'CHEQUE' }), facts(), ['code_not_in_table@2:payment_method'], /payment_method "CHEQUE"/],
    ['disabled currency', baseInvoice({ currency: 'JPY' }), facts({ vendors: new Map([['GOBI', ok(vendor({ currencies: [] }))]]) }), ['code_not_in_table@2:currency'], /"JPY" is disabled in Alma's Currency_CT/],
    ['unknown reporting code, on its line', baseInvoice({}, { reportingCode: 'XX' }), facts(), ['code_not_in_table@3:reporting_code'], /reporting_code "XX"/],
    ['table could not be read: not checked', baseInvoice({}, { type: 'FREIGHT' }), facts({ tables: new Map([['InvoiceLinesTypes', failed]]) }), []],
    ['table has no rows: not checked', baseInvoice({}, { type: 'FREIGHT' }), facts({ tables: new Map([['InvoiceLinesTypes', ok(table('InvoiceLinesTypes', []))]]) }), []],
  ];
  it.each(cases)('%s', (_name, inv, f, expected, message) => {
    expect(found(inv, f)).toEqual(expected);
    if (message) expect(messages(inv, f)).toMatch(message);
  });
});

describe('the cost estimate', () => {
  const poll = { initialMs: 300, maxIntervalMs: 5_000 };

  it('reads as often as the engine polls before its timeout', () => {
    // 300, 600, 1200, 2400 (4.5 s), then eleven waits of 5 s (59.5 s), then the last 0.5 s
    expect(maxPolls(poll, 60_000)).toBe(16);
    expect(maxPolls(poll, 300)).toBe(1);
    expect(maxPolls(poll, 1_000)).toBe(3); // 300, 600, then the 100 left
  });

  it('adds look-ups, create, lines, process and one read per invoice: the README sample run is 39', () => {
    const one = (lines: number): Invoice => ({ ...baseInvoice(), lines: Array.from({ length: lines }, (_, i) => ({ ...baseInvoice().lines[0]!, number: String(i + 1) })) });
    const invoices = [one(3), one(1), one(2), one(2), one(2), one(2), one(2)];
    const e = estimateLoad({ invoices, lookups: 4, rate: 10, poll, pollTimeoutMs: 60_000, remaining: 3_900 });
    expect(e.requests).toEqual({ lookups: 4, create: 7, lines: 14, process: 7, polls: 7, total: 39 });
    expect(e.requests_if_slow).toBe(4 + 7 + 14 + 7 + 7 * 16);
    expect(e.seconds).toBeCloseTo(3.9);
    expect(e.api_remaining).toBe(3_900);
    expect(e.share_of_remaining).toBeCloseTo(0.01);
  });

  it('says nothing about the daily budget when no answer carried it, and stays finite when it is spent', () => {
    const e = estimateLoad({ invoices: [baseInvoice()], lookups: 1, rate: 5, poll, pollTimeoutMs: 1_000 });
    expect(e).not.toHaveProperty('api_remaining');
    expect(e).not.toHaveProperty('share_of_remaining');
    expect(e.requests.total).toBe(1 + 1 + 2 + 1 + 1);
    expect(e.seconds).toBeCloseTo(1.2);
    const spent = estimateLoad({ invoices: [baseInvoice()], lookups: 1, rate: 5, poll, pollTimeoutMs: 1_000, remaining: 0 });
    expect(spent.share_of_remaining).toBe(6);
  });
});
