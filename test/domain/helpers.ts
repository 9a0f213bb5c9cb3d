/** Test helpers: build records, run the grouper, and reduce results to (file, row, column, code). */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { SourceRecord } from '../../src/input/record.js';
import { validateRecords } from '../../src/domain/validate.js';
import type { GroupResult } from '../../src/domain/group.js';
import type { Problem } from '../../src/domain/problem.js';

export type Row = Record<string, string | undefined>;

/** A valid one-line invoice: no po_line, one fund taking 100 percent, total = price. */
export const BASE: Row = {
  vendor: 'ACME',
  invoice_number: 'INV-1',
  invoice_date: '2026-01-15',
  total_amount: '100.00',
  currency: 'USD',
  price: '100.00',
  fund_code: 'F1',
};

/** Records of one file, rows numbered as an editor shows them under a header line (2, 3, …). */
export function records(rows: Row[], file = 'b.csv', firstRow = 2): SourceRecord[] {
  return rows.map((fields, i) => ({ source: { file, row: firstRow + i }, fields: { ...fields } }));
}

/** Each row is BASE with the given cells replaced (undefined clears one). */
export const withBase = (...rows: Row[]): Row[] => rows.map((r) => ({ ...BASE, ...r }));

export const run = (rows: Row[], file = 'b.csv'): GroupResult => validateRecords(records(rows, file));

/** `row:column:code` of every problem, in report order (issues first, then per invoice). */
export function found(result: GroupResult): string[] {
  const all: Problem[] = [...result.issues, ...result.invoices.flatMap((i) => i.problems)];
  return all.map((p) => `${p.row ?? '-'}:${p.column ?? '-'}:${p.code}`);
}

/** Same, with the file name, for multi-file batches. */
export const foundWithFile = (result: GroupResult): string[] =>
  [...result.issues, ...result.invoices.flatMap((i) => i.problems)].map((p) => `${p.file}:${p.row ?? '-'}:${p.column ?? '-'}:${p.code}`);

export const allProblems = (result: GroupResult): Problem[] => [...result.issues, ...result.invoices.flatMap((i) => i.problems)];

/**
 * A tiny CSV reader for fixtures (no multi-line fields there): csv-parse with a header, blank
 * cells as undefined, `row` the editor line of each record. The real streaming reader is src/input.
 */
export function readFixture(path: string, file = path.split('/').pop() as string): SourceRecord[] {
  const parsed = parse(readFileSync(path), { columns: true, info: true }) as { record: Row; info: { lines: number } }[];
  return parsed.map(({ record, info }) => {
    const fields: Row = {};
    for (const [k, v] of Object.entries(record)) fields[k] = v === '' ? undefined : v;
    return { source: { file, row: info.lines }, fields };
  });
}
