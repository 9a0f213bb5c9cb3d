import { describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, exportRows, toCsv } from '../../src/report/export-file.js';
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
