/**
 * A row with an invoice_number and no vendor is in no invoice: every invoice with that number
 * (any vendor, any file of the batch) is held back — invalid, with a `row_without_vendor` error
 * on the row — so that `--skip-invalid` does not load it without what may be one of its lines
 * (README "What is checked before anything is sent").
 */
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper, InvoiceResumed, type GroupResult } from '../../src/domain/group.js';
import { validateRecords } from '../../src/domain/validate.js';
import type { SourceRecord } from '../../src/input/record.js';
import { records, withBase, type Row } from './helpers.js';

/** G-1 of GOBI (total 50.00 = its one line), then its second line of price 0 — the total still matches without it. */
const G1: Row[] = withBase(
  { vendor: 'GOBI', invoice_number: 'G-1', total_amount: '50.00', line_number: '1', price: '50.00' },
  { vendor: undefined, invoice_number: 'G-1', invoice_date: undefined, total_amount: undefined, currency: undefined, line_number: '2', price: '0.00' },
);
const OTHER: Row = withBase({ vendor: 'GOBI', invoice_number: 'G-2', total_amount: '20.00', price: '20.00' })[0]!;

/** Each invoice: `number/vendor: valid`, or its errors as `file:row:column:code`. */
const verdicts = (r: GroupResult): string[] =>
  r.invoices.map((g) => {
    const errors = g.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.row}:${p.column}:${p.code}`);
    return `${g.key.number}/${g.key.vendor}: ${g.invoice !== undefined ? 'valid' : errors.join(' ')}`;
  });
const issueCodes = (r: GroupResult): string[] => r.issues.map((p) => `${p.file}:${p.row}:${p.column}:${p.code}`);

const recordsOfFiles = (...files: [string, Row[]][]): SourceRecord[] => files.flatMap(([name, rows]) => records(rows, name));

describe('an invoice a row without a vendor may belong to is held back', () => {
  it.each<[string, SourceRecord[], string[], string[]]>([
    [
      'its line of price 0 without a vendor: the total still matches, yet the invoice is not loaded without it',
      records([...G1, OTHER]),
      ['G-1/GOBI: b.csv:3:vendor:row_without_vendor', 'G-2/GOBI: valid'],
      ['b.csv:3:vendor:missing_value'],
    ],
    [
      'the row before the invoice',
      records([G1[1]!, G1[0]!, OTHER]),
      ['G-1/GOBI: b.csv:2:vendor:row_without_vendor', 'G-2/GOBI: valid'],
      ['b.csv:2:vendor:missing_value'],
    ],
    [
      'the number under two vendors: both held back',
      records([...G1, { ...OTHER, vendor: 'EBSCO', invoice_number: 'G-1', total_amount: '20.00' }]),
      ['G-1/GOBI: b.csv:3:vendor:row_without_vendor', 'G-1/EBSCO: b.csv:3:vendor:row_without_vendor'],
      ['b.csv:3:vendor:missing_value'],
    ],
    [
      'the row in another file: the invoice is held back all the same (with its vendor filled in, it would be an invoice in two files)',
      recordsOfFiles(['a.csv', [G1[0]!, OTHER]], ['b.csv', [G1[1]!]]),
      ['G-1/GOBI: b.csv:2:vendor:row_without_vendor', 'G-2/GOBI: valid'],
      ['b.csv:2:vendor:missing_value'],
    ],
    [
      'a row whose record has no vendor field at all (JSON that leaves empty keys out), where other records have one',
      records([G1[0]!, Object.fromEntries(Object.entries(G1[1]!).filter(([k]) => k !== 'vendor')), OTHER]),
      ['G-1/GOBI: b.csv:3:vendor:row_without_vendor', 'G-2/GOBI: valid'],
      ['b.csv:3:vendor:missing_value'],
    ],
    [
      'a number no invoice has: nothing held back',
      records([G1[0]!, { ...G1[1]!, invoice_number: 'G-9' }, OTHER]),
      ['G-1/GOBI: valid', 'G-2/GOBI: valid'],
      ['b.csv:3:vendor:missing_value'],
    ],
    [
      'a number that differs only in case is another number (Alma compares them exactly): nothing held back',
      records([G1[0]!, { ...G1[1]!, invoice_number: 'g-1' }]),
      ['G-1/GOBI: valid'],
      ['b.csv:3:vendor:missing_value'],
    ],
    [
      'a row with neither vendor nor invoice number holds back nothing',
      records([G1[0]!, { ...G1[1]!, invoice_number: undefined }]),
      ['G-1/GOBI: valid'],
      ['b.csv:3:vendor:missing_value'],
    ],
  ])('%s', (_, input, invoices, issues) => {
    const r = validateRecords(input);
    expect(verdicts(r)).toEqual(invoices);
    expect(issueCodes(r)).toEqual(issues);
  });

  it('says so in plain words, naming the invoice and its rows', () => {
    const [g1] = validateRecords(records([...G1, OTHER])).invoices;
    expect(g1!.problems.find((p) => p.code === 'row_without_vendor')).toEqual({
      file: 'b.csv',
      row: 3,
      column: 'vendor',
      code: 'row_without_vendor',
      severity: 'error',
      message:
        'invoice number "G-1" with no vendor: the row is in no invoice, and may be a line of invoice "G-1" of vendor "GOBI" (row 2), which is therefore not loaded without it — ' +
        "fill in the row's vendor, or delete the row if it belongs to no invoice of that number, and load again",
    });
  });

  it("names the invoice's rows with their file when the row is in another file", () => {
    const r = validateRecords(recordsOfFiles(['a.csv', [G1[0]!, OTHER]], ['b.csv', [G1[1]!]]));
    const held = r.invoices[0]!.problems.find((p) => p.code === 'row_without_vendor');
    expect([held!.file, held!.row]).toEqual(['b.csv', 2]);
    expect(held!.message).toMatch(/^invoice number "G-1" with no vendor: the row is in no invoice, and may be a line of invoice "G-1" of vendor "GOBI" \(a\.csv row 2\), which/);
  });

  it('names ten rows one by one and counts the rest', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ ...G1[1]!, line_number: String(i + 2) }));
    const [g1] = validateRecords(records([G1[0]!, ...many])).invoices;
    const held = g1!.problems.filter((p) => p.code === 'row_without_vendor');
    expect(held.map((p) => p.row)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(held.at(-1)!.message).toMatch(/ \(so too 2 more rows of b\.csv with that number and no vendor\)$/);
    expect(held[0]!.message).not.toMatch(/so too/);
  });
});

describe('streaming', () => {
  const stream = (input: SourceRecord[]): { handed: string[]; grouper: InvoiceGrouper } => {
    const handed: string[] = [];
    const grouper = new InvoiceGrouper({ onInvoice: (g) => handed.push(`${g.key.number}: ${g.invoice !== undefined ? 'valid' : g.problems.map((p) => p.code).join(' ')}`) });
    for (const r of input) grouper.add(r);
    for (const g of grouper.invoices()) handed.push(`${g.key.number}: ${g.invoice !== undefined ? 'valid' : g.problems.map((p) => p.code).join(' ')}`);
    return { handed, grouper };
  };

  it('the row among its invoice\'s rows, before the next invoice: held back as it is handed on', () => {
    expect(stream(records([...G1, OTHER])).handed).toEqual(['G-1: row_without_vendor', 'G-2: valid']);
  });

  it('the row after its invoice was handed on: the batch is read again, holding every invoice (InvoiceResumed)', () => {
    expect(() => stream(records([G1[0]!, OTHER, G1[1]!]))).toThrow(InvoiceResumed);
    // Read the holding way, the invoice is held back.
    expect(verdicts(validateRecords(records([G1[0]!, OTHER, G1[1]!])))).toEqual(['G-1/GOBI: b.csv:4:vendor:row_without_vendor', 'G-2/GOBI: valid']);
  });
});
