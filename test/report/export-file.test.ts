import { describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, exportRows, lineCounts, toCsv, withLines } from '../../src/report/export-file.js';
import { JsonNumber, type JsonValue } from '../../src/common/json.js';

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

  it('writes RFC 4180 CSV with a header', () => {
    const csv = toCsv(exportRows([{ id: '1', number: 'A,"B"' }]));
    expect(csv.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(csv.split('\r\n')[1]).toMatch(/^1,"A,""B""",/);
  });
});

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
