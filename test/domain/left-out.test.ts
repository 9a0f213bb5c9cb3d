/**
 * A row with an invoice_number and no vendor is in no invoice: its own `missing_value` names the
 * vendor of the file's rows with that number, that invoice's total mismatch names the row, and
 * the invoice is held back (`row_without_vendor`, test/domain/held-back.test.ts) (README "What
 * is checked before anything is sent").
 */
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { validateRecords } from '../../src/domain/validate.js';
import { allProblems, records, run, withBase, type Row } from './helpers.js';

/** Three lines of G-1 (total 60.00 = 10 + 20 + 30), then another invoice. */
const G1: Row[] = [
  { vendor: 'GOBI', invoice_number: 'G-1', total_amount: '60.00', line_number: '1', price: '10.00' },
  { vendor: 'GOBI', invoice_number: 'G-1', total_amount: undefined, line_number: '2', price: '20.00' },
  { vendor: 'GOBI', invoice_number: 'G-1', total_amount: undefined, line_number: '3', price: '30.00' },
  { vendor: 'EBSCO', invoice_number: 'E-1', total_amount: '5.00', price: '5.00' },
].map((r) => ({ ...withBase({})[0], ...r }));

const without = (rows: Row[], at: number): Row[] => rows.map((r, i) => (i === at ? { ...r, vendor: undefined } : r));
const messages = (rows: Row[]): string[] => allProblems(run(rows)).map((p) => `${p.row}:${p.code}: ${p.message}`);

describe('a row without a vendor among rows of its invoice number', () => {
  it.each<[string, Row[], string[]]>([
    [
      'the third line without a vendor: both problems say why (a number no other row has: named, as nothing else names it)',
      [...without(G1, 2), { ...G1[3]!, vendor: undefined, invoice_number: 'X-9' }],
      [
        '4:missing_value: vendor is empty, so the row cannot be grouped into an invoice; rows 2–3 with invoice number "G-1" are vendor "GOBI" — fill in GOBI?',
        '6:missing_value: vendor is empty, so the row cannot be grouped into an invoice; no other row of the file has its invoice number "X-9" — fill in the vendor',
        '2:total_mismatch: total_amount 60.00 does not match the lines and charges: 30.00 (lines 30.00); difference 30.00 (row 4, invoice number "G-1" without a vendor, was left out). Alma would send the invoice to review',
        '4:row_without_vendor: invoice number "G-1" with no vendor: the row is in no invoice, and may be a line of invoice "G-1" of vendor "GOBI" (rows 2–3), which is therefore not loaded without it — fill in the row\'s vendor, or delete the row if it belongs to no invoice of that number, and load again',
      ],
    ],
    [
      'the number under two vendors: both named',
      [...without(G1, 2), { ...G1[3]!, invoice_number: 'G-1', total_amount: '30.00', price: '30.00' }],
      [
        '4:missing_value: vendor is empty, so the row cannot be grouped into an invoice; invoice number "G-1" is vendor "GOBI" on rows 2–3 and vendor "EBSCO" on row 6 — fill in the vendor of its invoice',
        '2:total_mismatch: total_amount 60.00 does not match the lines and charges: 30.00 (lines 30.00); difference 30.00 (row 4, invoice number "G-1" without a vendor, was left out). Alma would send the invoice to review',
        '4:row_without_vendor: invoice number "G-1" with no vendor: the row is in no invoice, and may be a line of invoice "G-1" of vendor "GOBI" (rows 2–3), which is therefore not loaded without it — fill in the row\'s vendor, or delete the row if it belongs to no invoice of that number, and load again',
        '4:row_without_vendor: invoice number "G-1" with no vendor: the row is in no invoice, and may be a line of invoice "G-1" of vendor "EBSCO" (row 6), which is therefore not loaded without it — fill in the row\'s vendor, or delete the row if it belongs to no invoice of that number, and load again',
      ],
    ],
  ])('%s', (_, rows, expected) => expect(messages(rows)).toEqual(expected));

  it('a JSON record without the vendor key names its invoice number, as a CSV row\'s empty vendor cell does', () => {
    const noKey = (r: Row): Row => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'vendor'));
    const rows = [G1[0]!, G1[1]!, noKey(G1[2]!), G1[3]!, noKey({ ...G1[3]!, invoice_number: 'X-9' })];
    const said = allProblems(validateRecords(records(rows, 'b.json'))).filter((p) => p.code === 'missing_value');
    expect(said.map((p) => `${p.row}:${p.column}: ${p.message}`)).toEqual([
      '4:vendor: vendor is empty, so the row cannot be grouped into an invoice; rows 2–3 with invoice number "G-1" are vendor "GOBI" — fill in GOBI?',
      '6:vendor: vendor is empty, so the row cannot be grouped into an invoice; no other row of the file has its invoice number "X-9" — fill in the vendor',
    ]);
    // A file none of whose records has the key: its missing column, said once, as before.
    const none = allProblems(validateRecords(records([noKey(G1[0]!), noKey(G1[3]!)], 'c.json')));
    expect(none.map((p) => `${p.row ?? '-'}:${p.column}:${p.code}`)).toEqual(['-:vendor:missing_column']);
  });

  it('a JSON record with neither vendor nor invoice_number, a key absent, is one problem, as a row with both empty is', () => {
    const g1 = G1[0]!;
    const rows: Row[] = [g1, { price: '3.00' }, { vendor: undefined, price: '4.00' }];
    const said = allProblems(validateRecords(records(rows, 'b.json'))).filter((p) => p.code === 'missing_value');
    const both = 'vendor and invoice_number are both empty, so the row belongs to no invoice (a totals or notes line?); delete it, or fill them in';
    expect(said.map((p) => `${p.row}:${p.column}: ${p.message}`)).toEqual([`3:vendor: ${both}`, `4:vendor: ${both}`]);
  });

  it('names the VAT type only when the invoice gives one', () => {
    const [plain, typed] = [{}, { vat_type: 'INCLUSIVE' }].map((extra) => allProblems(run(withBase({ total_amount: '110.00', ...extra })))[0]?.message);
    expect(plain).toBe('total_amount 110.00 does not match the lines and charges: 100.00 (lines 100.00); difference 10.00. Alma would send the invoice to review');
    expect(typed).toContain('(lines 100.00, VAT type INCLUSIVE); difference 10.00');
  });

  it('streaming, as the row comes before the invoice is handed on', () => {
    const handed: string[] = [];
    const s = new InvoiceGrouper({ onInvoice: (inv) => handed.push(...inv.problems.map((p) => p.message)) });
    for (const r of records(without(G1, 2))) s.add(r);
    [...s.invoices()];
    expect(handed.join('\n')).toContain('(row 4, invoice number "G-1" without a vendor, was left out)');
    expect(s.issues().map((p) => p.message)[0]).toContain('fill in GOBI?');
  });
});

describe('one invoice number on rows with different dates or totals', () => {
  const ebs: Row = { ...withBase({})[0], vendor: 'EBSCO', invoice_number: 'EBS-9001-25', invoice_date: '2025-01-28', total_amount: '1590.00', line_number: '1', price: '1250.00' };
  const second: Row = { vendor: 'EBSCO', invoice_number: 'EBS-9001-25', line_number: '2', price: '340.00', fund_code: 'F1' };
  const other: Row = { ...withBase({})[0], invoice_number: 'INV-7' };
  it.each<[string, Row, string | undefined]>([
    [
      'date and total: one warning naming the rows, before the conflicts',
      { ...ebs, invoice_date: '2025-04-01', total_amount: '310.00', line_number: '3', price: '310.00' },
      'invoice number "EBS-9001-25" of vendor "EBSCO" appears on rows 2–3 and 5 with different dates and totals — two different invoices? Give each its own invoice number, or repeat the same values',
    ],
    [
      'the total only',
      { ...ebs, invoice_date: undefined, total_amount: '310.00', line_number: '3', price: '310.00' },
      'invoice number "EBS-9001-25" of vendor "EBSCO" appears on rows 2–3 and 5 with different totals — two different invoices? Give each its own invoice number, or repeat the same values',
    ],
  ])('%s', (_, late, expected) => {
    const r = run([ebs, second, other, late]);
    const problems = r.invoices[0]!.problems;
    expect(problems[0]).toMatchObject({ row: 2, column: 'invoice_number', code: 'invoice_number_reused', severity: 'warning', message: expected });
    expect(problems.filter((p) => p.code === 'invoice_number_reused')).toHaveLength(1);
  });
});
