import { describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, exportRows, lineCounts, toCsv, toJsonRows, withLines } from '../../src/report/export-file.js';
import { JsonNumber, parseJson, type JsonValue } from '../../src/common/json.js';
import { CODECS, COLUMN_KIND } from '../../src/domain/cells.js';
import { isCanonicalColumn, type CanonicalColumn } from '../../src/domain/columns.js';
import { Money, sum } from '../../src/domain/money.js';
import { read } from '../input/helpers.js';

// Alma's numbers arrive as exact text (lossless parse).
const n = (text: string) => new JsonNumber(text);

const invoice: JsonValue = {
  id: '35917564380004146',
  number: 'INV-1',
  invoice_date: '2025-04-02Z',
  vendor: { value: 'EBSCO', desc: 'EBSCO' },
  total_amount: n('150.50'),
  currency: { value: 'USD' },
  invoice_lines: {
    invoice_line: [
      { id: 'L1', number: '1', type: { value: 'REGULAR' }, price: n('100'), quantity: n('1'), fund_distribution: [{ fund_code: { value: 'F1' }, percent: n('60') }, { fund_code: { value: 'F2' }, percent: n('40') }] },
      { id: 'L2', number: '2', type: { value: 'SHIPMENT' }, price: n('50.5') },
    ],
  },
};

describe('exportRows', () => {
  it('one row per line and fund, every column in the layout order, values as Alma gives them', () => {
    const rows = exportRows([invoice, { id: '2', number: 'EMPTY' }]);
    expect(rows.map((r) => Object.keys(r))).toEqual(rows.map(() => [...EXPORT_COLUMNS]));
    expect(rows.map((r) => [r.invoice_number, r.line_number, r.line_type, r.fund_code, r.fund_percent, r.price])).toEqual([
      ['INV-1', '1', 'REGULAR', 'F1', '60', '100'],
      ['INV-1', '1', 'REGULAR', 'F2', '40', '100'],
      ['INV-1', '2', 'SHIPMENT', '', '', '50.5'],
      ['EMPTY', '', '', '', '', ''],
    ]);
    expect(rows[0]).toMatchObject({ invoice_id: '35917564380004146', invoice_date: '2025-04-02', vendor: 'EBSCO', currency: 'USD', total_amount: '150.50' });
  });

  it('writes an amount Alma answers in exponent form (a Java double from 10^7 up: 1.2345678E7) in plain digits, exactly', () => {
    const big: JsonValue = {
      id: '1',
      number: 'JPY-1',
      total_amount: n('1.2345678E7'),
      additional_charges: { shipment: n('1.0E7'), discount: n('0.0') },
      invoice_vat: { vat_amount: n('1.5E-4') },
      invoice_lines: { invoice_line: [{ id: 'L1', number: '1', price: n('2.345678E6'), total_price: n('1.0000001E7'), fund_distribution: [{ fund_code: { value: 'F' }, amount: n('-1.25E7') }] }] },
    };
    const [row] = exportRows([big]);
    expect(row).toMatchObject({
      total_amount: '12345678',
      shipment: '10000000',
      discount: '0.0',
      vat_amount: '0.00015',
      price: '2345678',
      line_total_price: '10000001',
      fund_amount: '-12500000',
    });
  });

  it('writes RFC 4180 CSV with a header', () => {
    const csv = toCsv(exportRows([{ id: '1', number: 'A,"B"' }]));
    expect(csv.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(csv.split('\r\n')[1]).toMatch(/^1,"A,""B""",/);
  });
});

/**
 * Alma's answer for an invoice with charges and VAT, as Alma writes it (the fields of the real
 * sample in docs/alma.md; numbers with their own digits: `10.00`, `0.0`). Line Exclusive: the
 * total includes the invoice's VAT, kept out of the lines (rest_invoice, src/domain/rules.ts
 * checkTotal). 100 + 40 + 10.00 shipment − 5.00 discount + 14.50 VAT = 159.50.
 */
const CHARGED = `{
  "id": "35917564380004146", "number": "INV-VAT", "invoice_date": "2025-04-02Z", "vendor": {"value": "EBSCO", "desc": "EBSCO"},
  "total_amount": 159.50, "currency": {"value": "EUR", "desc": "Euro"},
  "additional_charges": {"use_pro_rata": true, "shipment": 10.00, "overhead": 0.0, "insurance": 0.0, "discount": 5.00},
  "invoice_vat": {"report_tax": "TRUE", "vat_per_invoice_line": false, "vat_code": {"value": "", "desc": null}, "percentage": 0.0, "vat_amount": 14.50,
                  "type": {"value": "LINEEXCLUSIVE", "desc": "Line Exclusive"}, "expended_from_fund": true},
  "payment": {"prepaid": false, "internal_copy": false, "export_to_erp": "false", "payment_status": {"value": "NOT_PAID"}},
  "notes": [{"content": "shipped in two boxes, 1 of 2"}, {"content": "second note"}],
  "invoice_lines": {"total_record_count": 2, "invoice_line": [
    {"id": "L1", "number": "1", "type": {"value": "REGULAR"}, "price": 100.00, "price_note": "list price", "total_price": 100.00, "quantity": 1,
     "vat_note": "reduced rate", "fully_invoiced": true, "check_subscription_date_overlap": false, "additional_info": "vol. 3", "release_remaining_encumbrance": false,
     "reporting_code": {"value": "BOOKS", "desc": "Books"}, "secondary_reporting_code": {"value": "", "desc": null}, "tertiary_reporting_code": {"value": "T3"},
     "subscription_from_date": "2025-01-01Z", "subscription_to_date": "2025-12-31Z",
     "invoice_line_vat": {"vat_code": {"value": "R7", "desc": "Reduced 7%"}, "percentage": 7.0, "vat_amount": 0},
     "fund_distribution": [{"fund_code": {"value": "F1"}, "percent": 60, "amount": 60.00}, {"fund_code": {"value": "F2"}, "percent": 40, "amount": 40.00}]},
    {"id": "L2", "number": "2", "type": {"value": "REGULAR"}, "price": 20.00, "total_price": 40.00, "quantity": 2,
     "invoice_line_vat": {"vat_code": {"value": "", "desc": null}, "percentage": 0.0, "vat_amount": 2.80},
     "fund_distribution": [{"fund_code": {"value": "F1"}, "percent": 100, "amount": 40.00}]}
  ]}
}`;

describe('exportRows: charges and VAT', () => {
  const rows = exportRows([parseJson(CHARGED)]);

  it("carries the invoice's charges, VAT and flags on every row, each line's VAT and fields on its rows, as Alma gives them", () => {
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({
        total_amount: '159.50',
        vat_type: 'LINEEXCLUSIVE',
        vat_percentage: '0.0',
        vat_amount: '14.50',
        vat_code: '',
        vat_per_invoice_line: 'false',
        expended_from_fund: 'true',
        report_tax: 'true',
        use_pro_rata: 'true',
        shipment: '10.00',
        overhead: '0.0',
        insurance: '0.0',
        discount: '5.00',
        prepaid: 'false',
        internal_copy: 'false',
        export_to_erp: 'false',
        invoice_note: 'shipped in two boxes, 1 of 2\nsecond note',
      });
    }
    const lineCells = (r: Record<string, string>) => [
      r['line_id'], r['price_note'], r['subscription_from_date'], r['subscription_to_date'], r['additional_info'], r['fully_invoiced'],
      r['release_remaining_encumbrance'], r['reporting_code'], r['secondary_reporting_code'], r['tertiary_reporting_code'],
      r['line_vat_code'], r['line_vat_percentage'], r['line_vat_amount'], r['line_vat_note'], r['line_total_price'], r['fund_code'], r['fund_amount'],
    ];
    expect(rows.map(lineCells)).toEqual([
      ['L1', 'list price', '2025-01-01', '2025-12-31', 'vol. 3', 'true', 'false', 'BOOKS', '', 'T3', 'R7', '7.0', '0', 'reduced rate', '100.00', 'F1', '60.00'],
      ['L1', 'list price', '2025-01-01', '2025-12-31', 'vol. 3', 'true', 'false', 'BOOKS', '', 'T3', 'R7', '7.0', '0', 'reduced rate', '100.00', 'F2', '40.00'],
      ['L2', '', '', '', '', '', '', '', '', '', '', '0.0', '2.80', '', '40.00', 'F1', '40.00'],
    ]);
  });

  it('adds its columns after those of the first layout, in CSV and in JSON alike', () => {
    const first = ['invoice_id', 'invoice_number', 'invoice_date', 'invoice_due_date', 'vendor', 'vendor_account', 'total_amount', 'currency', 'payment_method', 'reference_number', 'owner', 'line_id', 'line_number', 'line_type', 'po_line', 'price', 'quantity', 'line_note', 'fund_code', 'fund_percent', 'fund_amount'];
    expect(EXPORT_COLUMNS.slice(0, first.length)).toEqual(first);
    expect(EXPORT_COLUMNS.slice(first.length)).toEqual([
      'vat_type', 'vat_percentage', 'vat_amount', 'vat_code', 'vat_per_invoice_line', 'expended_from_fund', 'report_tax', 'use_pro_rata',
      'shipment', 'overhead', 'insurance', 'discount', 'prepaid', 'internal_copy', 'export_to_erp', 'invoice_note',
      'price_note', 'subscription_from_date', 'subscription_to_date', 'additional_info', 'fully_invoiced', 'release_remaining_encumbrance',
      'reporting_code', 'secondary_reporting_code', 'tertiary_reporting_code', 'line_vat_code', 'line_vat_percentage', 'line_vat_amount', 'line_vat_note',
      'line_total_price',
    ]);
    expect(toCsv(rows).split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    const json = JSON.parse(toJsonRows(rows)) as Record<string, string>[];
    expect(json.map((r) => Object.keys(r))).toEqual(rows.map(() => [...EXPORT_COLUMNS]));
    expect(json).toEqual(rows);
  });

  it('the rows reconcile with total_amount: Σ fund_amount + shipment + overhead + insurance − discount + the Line Exclusive VAT', () => {
    const total = reconciled(rows);
    expect(total.eq(new Money(rows[0]!.total_amount))).toBe(true);
  });

  it('an exported row reads back, through the CSV and JSON inputs, as the canonical values the loader reads from the same Alma invoice', async () => {
    const fromAlma = await read('alma.json', CHARGED);
    // Each canonical cell as the loader's codec reads it (a flag `TRUE` is `true`, an amount `10.00` is 10).
    const canonical = (fields: Record<string, string | undefined>) =>
      Object.fromEntries(
        Object.entries(fields)
          .filter(([k, v]) => isCanonicalColumn(k) && v !== undefined && v !== '')
          .map(([k, v]) => [k, CODECS[COLUMN_KIND[k as CanonicalColumn]](v!, k)]),
      );
    const want = fromAlma.records.map((r) => {
      const { check_subscription_date_overlap: _, ...rest } = canonical(r.fields);
      return rest;
    });
    expect(want).toHaveLength(3);
    expect(want[0]).toMatchObject({ vat_amount: '14.5', shipment: '10', report_tax: true, line_vat_code: 'R7', invoice_note: 'shipped in two boxes, 1 of 2\nsecond note' });
    for (const [name, text] of [['export.csv', toCsv(rows)], ['export.json', toJsonRows(rows)]] as const) {
      const back = await read(name, text);
      expect(back.records.map((r) => canonical(r.fields)), name).toEqual(want);
    }
    // Every canonical Alma column the loader reads from an Alma invoice is exported, but one: the
    // load-time instruction check_subscription_date_overlap (README, export).
    const exported = new Set<string>(EXPORT_COLUMNS);
    const read_ = new Set(fromAlma.records.flatMap((r) => Object.keys(r.fields)));
    expect([...read_].filter((k) => !exported.has(k))).toEqual(['check_subscription_date_overlap']);
  });
});

/**
 * Σ fund_amount of the rows + each invoice's shipment + overhead + insurance − discount, + its VAT
 * when Line Exclusive (the total includes it, the lines do not: rest_invoice's VAT types, as
 * src/domain/rules.ts checkTotal reads them) — vat_amount, or Σ line_vat_amount per line.
 * Inclusive and Exclusive add nothing: the lines include the VAT, or the total does not.
 */
function reconciled(rows: readonly Record<string, string>[]): InstanceType<typeof Money> {
  const m = (t: string | undefined) => new Money(t === undefined || t === '' ? '0' : t);
  const first = rows[0]!;
  const lines = new Map(rows.map((r) => [r['line_id'], r]));
  let vat = m('0');
  if (first['vat_type'] === 'LINEEXCLUSIVE') {
    vat = first['vat_per_invoice_line'] === 'true' ? sum([...lines.values()].map((l) => m(l['line_vat_amount']))) : m(first['vat_amount']);
  }
  return sum(rows.map((r) => m(r['fund_amount'])))
    .plus(m(first['shipment']))
    .plus(m(first['overhead']))
    .plus(m(first['insurance']))
    .minus(m(first['discount']))
    .plus(vat);
}

describe('lineCounts', () => {
  const one = [{ id: 'L1' }];
  it.each<[string, JsonValue, { stated?: number; inline?: number }]>([
    ['number_of_lines first (sample 01)', { number_of_lines: { value: n('14') }, invoice_lines: { total_record_count: n('999'), invoice_line: one } }, { stated: 14, inline: 1 }],
    ["else the inline list's total (sample 02: 999, one line)", { invoice_lines: { total_record_count: n('999'), invoice_line: one } }, { stated: 999, inline: 1 }],
    ['a count as text', { number_of_lines: { value: '3' }, invoice_lines: { invoice_line: { id: 'L1' } } }, { stated: 3, inline: 1 }],
    ['a blank total says nothing (sample 03)', { invoice_lines: { total_record_count: '', invoice_line: one } }, { stated: undefined, inline: 1 }],
    ['no lines at all (a brief view)', { number_of_lines: { value: n('2') } }, { stated: 2, inline: undefined }],
    ['an empty list', { invoice_lines: { total_record_count: n('0') } }, { stated: 0, inline: 0 }],
  ])('%s', (_what, raw, want) => {
    expect(lineCounts(raw)).toEqual({ stated: want.stated, inline: want.inline });
  });

  it('withLines puts the lines read apart in place of those carried', () => {
    const whole = withLines({ id: '1', invoice_lines: { total_record_count: n('2'), invoice_line: one } }, [{ id: 'L1' }, { id: 'L2' }]);
    expect(lineCounts(whole)).toEqual({ stated: 2, inline: 2 });
    expect(exportRows([whole]).map((r) => r.line_id)).toEqual(['L1', 'L2']);
  });
});
