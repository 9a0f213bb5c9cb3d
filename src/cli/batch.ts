/**
 * Reads every input file (streamed), feeds each record to the grouper as it arrives, and
 * builds the plan. Files are read one after another; memory grows with the invoices, not with
 * the bytes of the files.
 */
import type { Readable } from 'node:stream';
import { openInputFile, readRecords, type Encoding, type InputSource } from '../input/read.js';
import { InvoiceGrouper } from '../domain/group.js';
import type { Problem } from '../domain/problem.js';
import { buildPlan, type Plan } from '../plan/plan.js';

export async function readBatch(files: readonly string[], opts: { encoding: Encoding; stdin: Readable }): Promise<Plan> {
  // Open every file first, so a missing path fails at once (exit 2) before anything is read.
  const sources: InputSource[] = [];
  for (const f of files) sources.push(f === '-' ? { name: '-', bytes: opts.stdin } : await openInputFile(f));
  const grouper = new InvoiceGrouper();
  const issues: Problem[] = [];
  for (const source of sources) {
    for await (const ev of readRecords(source, { encoding: opts.encoding })) {
      if (ev.kind === 'record') grouper.add(ev.record);
      else issues.push(ev.problem);
    }
  }
  const grouped = grouper.finish();
  return buildPlan(grouped.invoices, [...issues, ...grouped.issues]);
}
