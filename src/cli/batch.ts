/**
 * Reads every input file (streamed), feeds each record to the grouper as it arrives, and
 * builds the plan (or, for a dry run, one report line per invoice: `scanBatch`). Files are
 * read one after another; memory grows with the invoices, not with the bytes of the files.
 */
import type { Readable } from 'node:stream';
import { closeSources, holdInputs, InputGone, isHeldOpen, openInTurn, readEventBatches, refuseRepeatedFiles, type Encoding, type HeldInput, type InputSource } from '../input/read.js';
import { refusedSource } from '../input/event.js';
import { InvoiceGrouper, InvoiceResumed, type InvoiceBuilder, type InvoiceRules } from '../domain/group.js';
import { localDate } from '../domain/dates.js';
import type { GroupedInvoice, Invoice } from '../domain/model.js';
import type { Problem } from '../domain/problem.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import type { MappingProfile } from '../input/mapping/profile.js';
import { setAsideOwnerFiles } from '../input/owner-file.js';

export interface BatchOptions {
  encoding: Encoding;
  stdin: Readable;
  /** The target's invoice rules (default Alma's). */
  rules?: InvoiceRules | undefined;
  mapping?: MappingProfile | undefined;
  /** `--sheet`: the sheet of an .xlsx input. */
  sheet?: string | undefined;
  /** Told when an input is a named pipe that is opened (and may wait for a writer). */
  onWait?: ((path: string) => void) | undefined;
  /**
   * Called once every input is looked at — a regular file checked, standard input and a FIFO
   * opened (a FIFO's open waits for a writer, and cannot be called off):
   * the signal it returns, once aborted (a Ctrl-C, a SIGTERM), ends the reading with
   * `ReadInterrupted` — the inputs' streams are destroyed, so a stalled one ends too.
   */
  listen?: (() => AbortSignal) | undefined;
  /**
   * Told the inputs once they have been read in full (the last reading of each, when the files
   * were read twice): a load looks at them again just before its first write (`changedAfterRead`).
   */
  onRead?: ((sources: readonly InputSource[]) => void) | undefined;
  /** Today's date (`YYYY-MM-DD`) for the invoice date check (src/domain/dates.ts); default the local date. */
  today?: string | undefined;
}

/** What `scanBatch` kept of each invoice, the file-level issues, and which of them `--skip-invalid` may leave behind (`InvoiceGrouper.skippable`). */
export interface ScannedBatch<T> {
  entries: T[];
  issues: Problem[];
  skippable: Problem[];
}

/** Streaming, an error of a file came after some of its invoices were handed on: the files are read again, held to the end. */
class FileRefused extends Error {
  constructor(file: string) {
    super(`${file} has an error of its own after invoices of it were checked`);
    this.name = 'FileRefused';
  }
}

/** The batch was not read to its end: a signal came while it was read. */
export class ReadInterrupted extends Error {
  constructor() {
    super('interrupted while the batch was read');
    this.name = 'ReadInterrupted';
  }
}

export async function readBatch(files: readonly string[], opts: BatchOptions): Promise<Plan> {
  const { entries, issues, skippable } = await scanBatch(files, opts, (g) => g);
  return buildPlan(entries, issues, skippable);
}

/**
 * Reads the batch and hands each invoice to `each` as soon as it is grouped and checked,
 * keeping only what `each` returns: a dry run keeps a report line, not the built invoice, so a
 * million-row file never holds 100k invoices at once. Invoices come in order of first row.
 *
 * Files whose invoices' rows stand together (as exports write them) are read once, each
 * invoice finished when the next one starts. When rows return to an invoice already finished,
 * the files are read again with every invoice held to the end of the input (stdin and other
 * streams that cannot be read twice are always read that way): `each` must not mind being
 * called again for the same invoices (it is pure in both callers).
 */
export async function scanBatch<T, I = Invoice>(
  files: readonly string[],
  opts: BatchOptions & { build?: InvoiceBuilder<I> | undefined },
  each: (invoice: GroupedInvoice<I>) => T,
): Promise<ScannedBatch<T>> {
  await refuseRepeatedFiles(files);
  // A spreadsheet's lock file a glob took in (`~$march.xlsx`) is not read: its problem says what it is.
  const { files: inputs, problems: lockFiles } = await setAsideOwnerFiles(files);
  const scanned = await scanInputs(inputs, opts, each);
  return lockFiles.length === 0 ? scanned : { ...scanned, issues: [...lockFiles, ...scanned.issues] };
}

async function scanInputs<T, I>(
  files: readonly string[],
  opts: BatchOptions & { build?: InvoiceBuilder<I> | undefined },
  each: (invoice: GroupedInvoice<I>) => T,
): Promise<ScannedBatch<T>> {
  // Every input looked at first (a missing path: exit 2 before anything is read); regular files
  // held as paths, opened in their turn and closed once read (input/read.ts holdInputs).
  const inputs = await holdInputs(files, opts.stdin, { onWait: opts.onWait });
  // The inputs open now, ended by a signal: the held ones, and the file being read.
  const live = new Set<InputSource>(inputs.filter(isHeldOpen));
  const signal = opts.listen?.();
  const stopReading = (): void => closeSources([...live], new ReadInterrupted());
  signal?.addEventListener('abort', stopReading, { once: true });
  const open = async (f: string): Promise<InputSource> => {
    if (signal?.aborted === true) throw new ReadInterrupted();
    return openInTurn(f, files.length, { onWait: opts.onWait });
  };
  try {
    // Only files can be read twice: stdin and a pipe are read once, every invoice held to the end.
    if (!inputs.some(isHeldOpen)) {
      try {
        const { scanned, read } = await scanSources(inputs, open, live, opts, each, true, signal);
        opts.onRead?.(read);
        return scanned;
      } catch (err) {
        if (!(err instanceof InvoiceResumed) && !(err instanceof FileRefused)) throw err;
        // Read again from the start: every input is a file's path, opened again in its turn.
      }
    }
    const { scanned, read } = await scanSources(inputs, open, live, opts, each, false, signal);
    opts.onRead?.(read);
    return scanned;
  } catch (err) {
    // A destroyed stream fails its reader in its own words: the signal is the cause.
    if (signal?.aborted === true) throw new ReadInterrupted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', stopReading);
  }
}


/**
 * Reads the inputs in order; a file's path is opened (`open`) when its turn comes and closed
 * once it is read, and is in `live` while it is open (a signal ends it). Returns what was
 * scanned and the inputs as read (`BatchOptions.onRead`: their `changed` looks at the path, not
 * at a handle).
 */
async function scanSources<T, I>(
  inputs: readonly HeldInput[],
  open: (path: string) => Promise<InputSource>,
  live: Set<InputSource>,
  opts: BatchOptions & { build?: InvoiceBuilder<I> | undefined },
  each: (invoice: GroupedInvoice<I>) => T,
  streaming: boolean,
  signal?: AbortSignal,
): Promise<{ scanned: ScannedBatch<T>; read: InputSource[] }> {
  const entries: T[] = [];
  // Today, read here once: the grouper's date check is pure (src/domain/dates.ts).
  const today = opts.today ?? localDate(new Date());
  // The files whose invoices were handed on already (streaming): an error of such a file found
  // later is told to the grouper too late for them, so the files are read again, held to the end.
  const handedOn = new Set<string>();
  const onInvoice = (g: GroupedInvoice<I>): void => {
    handedOn.add(g.rows[0]?.file ?? '');
    entries.push(each(g));
  };
  const grouper = new InvoiceGrouper<I>({ rules: opts.rules, build: opts.build, onInvoice: streaming ? onInvoice : undefined, today });
  const issues: Problem[] = [];
  // A CSV header's columns, declared to the grouper at the file's first record with cells by
  // position (its records then need no scan for unknown keys), or at the file's end when no
  // record came (then only its layout is checked).
  let header: { file: string; columns: readonly string[] } | undefined;
  const onColumns = (file: string, columns: readonly string[]): void => {
    header = { file, columns };
  };
  const read: InputSource[] = [];
  for (const input of inputs) {
    let source: InputSource;
    try {
      source = isHeldOpen(input) ? input : await open(input);
    } catch (err) {
      // Gone since it was checked: the file's error, the other files read (input/read.ts InputGone).
      if (!(err instanceof InputGone)) throw err;
      issues.push(err.problem);
      continue;
    }
    live.add(source);
    read.push(source);
    try {
      for await (const batch of readEventBatches(source, { encoding: opts.encoding, mapping: opts.mapping, onColumns, sheet: opts.sheet })) {
        if (signal?.aborted === true) throw new ReadInterrupted();
        for (const ev of batch) {
          if (ev.kind === 'record') {
            if (header !== undefined) {
              // Only a record with cells by position is read through the declaration (CSV's).
              if (ev.record.cells !== undefined) grouper.declareColumns(header.file, header.columns);
              // A workbook's header, in the canonical layout only (a profile's columns may be its constants).
              else if (opts.mapping === undefined) grouper.headerColumns(header.file, header.columns);
              header = undefined;
            }
            grouper.add(ev.record);
          } else {
            issues.push(ev.problem);
            // The file was not read whole (cut short, a part it could not read, JSON that stops):
            // its invoices are invalid beside the file's error, not planned (`InvoiceGrouper.refuseFile`).
            const refused = refusedSource(ev);
            if (refused !== undefined) {
              if (handedOn.has(refused)) throw new FileRefused(refused);
              grouper.refuseFile(ev.problem, refused);
            }
          }
        }
      }
    } finally {
      // A file opened for its turn is closed once read (or when reading stops early).
      if (!isHeldOpen(input)) {
        closeSources([source]);
        live.delete(source);
      }
    }
    // A header with no row under it is still the file's layout: a header without vendor and
    // invoice_number (a cover sheet, another kind of file) is then said, not "nothing to do".
    if (header !== undefined) grouper.declareColumns(header.file, header.columns);
    header = undefined;
  }
  for (const invoice of grouper.invoices()) entries.push(each(invoice));
  const own = grouper.issues();
  // Only the grouper's own: a reader's problem at a row (its syntax) is not the row's vendor.
  return { scanned: { entries, issues: [...issues, ...own], skippable: grouper.skippable(own) }, read };
}
