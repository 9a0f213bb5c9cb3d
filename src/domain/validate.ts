/**
 * The one call the CLI needs: records in (from any number of files, in input order), grouped
 * and checked invoices out. Equivalent to feeding an `InvoiceGrouper` by hand:
 *
 *   const g = new InvoiceGrouper();
 *   for (const r of records) g.add(r);
 *   const { invoices, issues } = g.finish();
 *
 * `invoices[i].invoice` is set only for invoices without errors; `issues` are the file-level
 * problems (ungroupable rows, unknown columns).
 */
import type { SourceRecord } from '../input/record.js';
import { InvoiceGrouper, type GroupResult } from './group.js';

/** Validates a batch from a sync or async iterable of records (e.g. the CSV reader's stream). */
export async function validateBatch(records: Iterable<SourceRecord> | AsyncIterable<SourceRecord>): Promise<GroupResult> {
  const grouper = new InvoiceGrouper();
  for await (const r of records) grouper.add(r);
  return grouper.finish();
}

/** The same for records already in memory (tests, small JSON files). */
export function validateRecords(records: Iterable<SourceRecord>): GroupResult {
  const grouper = new InvoiceGrouper();
  for (const r of records) grouper.add(r);
  return grouper.finish();
}
