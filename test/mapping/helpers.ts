/** Helpers for mapping tests: a profile from an object, and a file read through it. */
import { InvoiceGrouper } from '../../src/domain/group.js';
import type { Problem } from '../../src/domain/problem.js';
import { loadMappingProfile, type MappingProfile } from '../../src/input/mapping/profile.js';
import { readRecords, type Encoding } from '../../src/input/read.js';
import type { SourceRecord } from '../../src/input/record.js';
import { pieces } from '../input/helpers.js';

/** A valid profile from a plain object (`version` added); throws with the problems otherwise. */
export function profileOf(o: Record<string, unknown>, name = 'vendor.json'): MappingProfile {
  const r = loadMappingProfile(JSON.stringify({ version: 1, ...o }), name);
  if ('problems' in r) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.profile;
}

export interface Mapped {
  records: SourceRecord[];
  /** File-level problems from the input layer. */
  problems: Problem[];
}

export async function readMapped(
  name: string,
  content: string | Uint8Array,
  profile: MappingProfile,
  opts: { cuts?: readonly number[]; encoding?: Encoding } = {},
): Promise<Mapped> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const out: Mapped = { records: [], problems: [] };
  for await (const e of readRecords({ name, bytes: pieces(bytes, opts.cuts) }, { encoding: opts.encoding ?? 'utf-8', mapping: profile })) {
    if (e.kind === 'record') out.records.push(e.record);
    else out.problems.push(e.problem);
  }
  return out;
}

/** Reads through the profile and groups: every problem (input, grouping, rules) in one list. */
export async function groupMapped(name: string, content: string | Uint8Array, profile: MappingProfile) {
  const r = await readMapped(name, content, profile);
  const g = new InvoiceGrouper();
  for (const rec of r.records) g.add(rec);
  const { invoices, issues } = g.finish();
  const problems = [...r.problems, ...issues, ...invoices.flatMap((i) => i.problems)];
  return { ...r, invoices, problems, codes: problems.map((p) => `${p.code}@${p.row ?? '-'}:${p.column ?? ''}`) };
}
