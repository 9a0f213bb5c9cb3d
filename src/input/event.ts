import type { Problem } from '../domain/problem.js';
import type { SourceRecord } from './record.js';

/** What the input layer streams out: records and problems, in file order. */
export type InputEvent = { kind: 'record'; record: SourceRecord } | { kind: 'problem'; problem: Problem };

/**
 * One format's reader, fed text chunk by chunk. Events collect in `out` and the caller
 * empties it after each call: one async generator (`readRecords`) yields them all, since
 * every generator layer costs a promise per record on a million-row file.
 */
export interface FormatReader {
  readonly out: InputEvent[];
  /** Set when nothing more of the file is to be read. */
  readonly stopped: boolean;
  write(chunk: string): void | Promise<void>;
  /** Call once at the end of the text (not after `stopped`). */
  end(): void | Promise<void>;
}
