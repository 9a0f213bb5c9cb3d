import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Problem } from '../../src/domain/problem.js';
import type { SourceRecord } from '../../src/input/record.js';
import { readRecords, type Encoding, type InputEvent } from '../../src/input/read.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/input/', import.meta.url));
export const fixture = (name: string): string => FIXTURES + name;
export const fixtureBytes = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(fixture(name)));

const enc = new TextEncoder();
export const utf8 = (s: string): Uint8Array => enc.encode(s);

/** Streams `bytes` in pieces cut at `cuts` (sorted byte offsets). */
export async function* pieces(bytes: Uint8Array, cuts: readonly number[] = []): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from || cut >= bytes.length) continue;
    yield bytes.slice(from, cut);
    from = cut;
  }
  if (from < bytes.length || bytes.length === 0) yield bytes.slice(from);
}

export interface Result {
  records: SourceRecord[];
  problems: Problem[];
  events: InputEvent[];
}

export async function read(
  name: string,
  content: string | Uint8Array,
  opts: { encoding?: Encoding; cuts?: readonly number[] } = {},
): Promise<Result> {
  const bytes = typeof content === 'string' ? utf8(content) : content;
  const events: InputEvent[] = [];
  for await (const e of readRecords({ name, bytes: pieces(bytes, opts.cuts) }, { encoding: opts.encoding ?? 'utf-8' })) events.push(e);
  return {
    events,
    records: events.flatMap((e) => (e.kind === 'record' ? [e.record] : [])),
    // A record's own problems (a JSON value that is not a single value) come just before it.
    problems: events.flatMap((e) => (e.kind === 'problem' ? [e.problem] : (e.record.problems ?? []))),
  };
}

/** Start rows of the records. */
export const rows = (r: Result): number[] => r.records.map((x) => x.source.row);
/** Problem codes with rows, e.g. "csv_syntax@4". */
export const codes = (r: Result): string[] => r.problems.map((p) => `${p.code}@${p.row ?? '-'}`);
