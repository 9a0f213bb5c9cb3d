/**
 * Invoice numbers of one vendor that differ only in letter case (`CASE-1`, `case-1`) are two
 * invoices, as the grouper compares keys exactly, with an `invoice_number_case` warning on the
 * later one naming both rows (src/domain/group.ts).
 */
import { describe, expect, it } from 'vitest';
import { InvoiceGrouper } from '../../src/domain/group.js';
import { validateRecords } from '../../src/domain/validate.js';
import type { SourceRecord } from '../../src/input/record.js';
import { foundWithFile, records, withBase, type Row } from './helpers.js';

const row = (vendor: string, number: string): Row => withBase({ vendor, invoice_number: number })[0]!;
const caseWarnings = (input: SourceRecord[]): string[] =>
  foundWithFile(validateRecords(input)).filter((p) => p.endsWith(':invoice_number_case'));

describe('invoice numbers that differ only in case', () => {
  it.each<[string, SourceRecord[], string[]]>([
    ['CASE-1 then case-1 of one vendor: a warning on the later', records([row('ACME', 'CASE-1'), row('ACME', 'case-1')]), ['b.csv:3:invoice_number:invoice_number_case']],
    ['three spellings: each later one is warned', records([row('ACME', 'Case-1'), row('ACME', 'CASE-1'), row('ACME', 'case-1')]), ['b.csv:3:invoice_number:invoice_number_case', 'b.csv:4:invoice_number:invoice_number_case']],
    ['the same spelling on two rows is one invoice: none', records([row('ACME', 'CASE-1'), { ...row('ACME', 'CASE-1'), line_number: '2' }]), []],
    ['two vendors: none', records([row('ACME', 'CASE-1'), row('GOBI', 'case-1')]), []],
    ['numbers without letters: none', records([row('ACME', '2025-17'), row('ACME', '2025-18')]), []],
    ['other numbers: none', records([row('ACME', 'CASE-1'), row('ACME', 'CASE-2')]), []],
    ['in two files: on the later file\'s row', [...records([row('ACME', 'CASE-1')], 'a.csv'), ...records([row('ACME', 'case-1')], 'b.csv')], ['b.csv:2:invoice_number:invoice_number_case']],
  ])('%s', (_, input, expected) => {
    expect(caseWarnings(input)).toEqual(expected);
  });

  it('names the other row (its own is the problem\'s row), and the other file when it is another, in words true of every target', () => {
    const same = validateRecords(records([row('ACME', 'CASE-1'), row('ACME', 'case-1')]));
    expect(same.invoices.map((g) => [g.key.number, g.invoice !== undefined])).toEqual([
      ['CASE-1', true],
      ['case-1', true],
    ]);
    expect(same.invoices[1]!.problems).toEqual([
      {
        file: 'b.csv',
        row: 3,
        column: 'invoice_number',
        code: 'invoice_number_case',
        severity: 'warning',
        message:
          'invoice number "case-1" differs from "CASE-1" of the same vendor "ACME" (row 2) only in upper and lower case, so they are loaded as two invoices — ' +
          'the same invoice typed two ways? Write the number the same way on every row (the system they are loaded into may take them for one number or for two)',
      },
    ]);
    const two = validateRecords([...records([row('ACME', 'CASE-1')], 'a.csv'), ...records([row('ACME', 'case-1')], 'b.csv')]);
    expect(two.invoices[1]!.problems[0]!.message).toContain('"CASE-1" of the same vendor "ACME" (a.csv row 2)');
  });

  it('streaming: the warning is on the later invoice as it is handed on', () => {
    const handed: string[] = [];
    const grouper = new InvoiceGrouper({ onInvoice: (g) => handed.push(`${g.key.number}: ${g.problems.map((p) => p.code).join(' ')}`) });
    for (const r of records([row('ACME', 'CASE-1'), row('ACME', 'case-1')])) grouper.add(r);
    for (const g of grouper.invoices()) handed.push(`${g.key.number}: ${g.problems.map((p) => p.code).join(' ')}`);
    expect(handed).toEqual(['CASE-1: ', 'case-1: invoice_number_case']);
  });
});
