import type { Problem } from '../domain/problem.js';
import type { SourceRecord } from './record.js';

/** What the input layer streams out: records and problems, in file order. */
export type InputEvent =
  | { kind: 'record'; record: SourceRecord }
  | {
      kind: 'problem';
      problem: Problem;
      /**
       * The problem says the file was not read whole (it ends inside a row, its reading stopped
       * part-way): what was read of an invoice may lack its end, so none of the file's invoices is
       * built (domain/group.ts `refuseFile`) — invalid in a dry run's report as in a load's.
       */
      partial?: true;
      /**
       * The source whose records a `partial` problem holds back, where it is not the problem's
       * file: a workbook's error is the file's (`book.xlsx`), its rows the chosen sheet's
       * (`book.xlsx:S`, input/xlsx.ts `sheetSource`).
       */
      refuses?: string;
    };

/**
 * The source whose records a problem holds back, the file not read whole (`partial`): what was
 * read of it may lack its end, so none of its records is acted on — a load's invoices of it
 * (domain/group.ts `refuseFile`), payments' rows of it. Undefined for any other event.
 */
export function refusedSource(ev: InputEvent): string | undefined {
  if (ev.kind !== 'problem' || ev.partial !== true) return undefined;
  // A workbook's error is the file's, its rows the sheet's (`refuses`).
  return ev.refuses ?? ev.problem.file;
}

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
