/**
 * The input layer's entry point: a named byte stream → records with provenance and problems,
 * streamed in file order, in memory that does not grow with the file.
 */
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { problem, type Problem } from '../domain/problem.js';
import { UsageError } from '../common/errors.js';
import { oneLine } from '../common/shown.js';
import { pathReason } from '../common/path-reasons.js';
import { CsvReader } from './csv.js';
import { decodeText, InvalidEncodingError, NotTextError, notUtf16leHint, nulHint, STDIN_ZIP_MESSAGE, type Encoding, type EncodingOrigin } from './decode.js';
import type { FormatReader, InputEvent } from './event.js';
import { JsonLinesReader, JsonReader } from './json.js';
import { createMappedReader, nestedProfileRefusal } from './mapping/reader.js';
import type { MappingProfile } from './mapping/profile.js';

export type { Encoding } from './decode.js';
export type { InputEvent } from './event.js';

export interface InputSource {
  /** As given on the command line; '-' for stdin. */
  name: string;
  bytes: AsyncIterable<Uint8Array>;
  /**
   * Asked once the bytes are read, and again just before the first write (`changedAfterRead`):
   * how the file changed since it was opened (its size, modification time or inode), or
   * undefined. `since` words the answer ('opened' by default). Files only (`openInputFile`).
   */
  changed?: ((since?: ChangedSince) => Promise<string | undefined>) | undefined;
}

export type Format = 'csv' | 'json' | 'jsonl';

/** Excel workbooks are zip files, read by their own reader before any text decoding. */
/** An Excel workbook by its name (.xlsx, .xlsm). */
export const isWorkbook = (name: string): boolean => /\.xls[xm]$/i.test(name);

const BY_EXTENSION: Record<string, Format> = {
  '.csv': 'csv',
  '.txt': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/**
 * The format by extension; for stdin and unknown extensions, by the first non-blank character
 * of the text (`[` or `{` is JSON, anything else CSV).
 */
export function detectFormat(name: string, firstText?: string): Format {
  if (name !== '-') {
    const byExt = BY_EXTENSION[extname(name).toLowerCase()];
    if (byExt !== undefined) return byExt;
  }
  const c = firstText?.trimStart()[0];
  return c === '[' || c === '{' ? 'json' : 'csv';
}

const isBlank = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
};

export interface ReadOptions {
  encoding: Encoding;
  mapping?: MappingProfile | undefined;
  /**
   * Told a CSV file's record keys once its header is read (not under a mapping: those are vendor
   * columns), in cell order, '' for a column that is not read; its records then carry `cells`.
   */
  onColumns?: ((file: string, columns: readonly string[]) => void) | undefined;
  /** The sheet of an .xlsx input (`--sheet`); the profile's, else the first, when absent. */
  sheet?: string | undefined;
}

/** Reads one input: records and problems in file order. Never throws for bad content. */
export async function* readRecords(source: InputSource, opts: ReadOptions): AsyncGenerator<InputEvent, void, undefined> {
  for await (const batch of readEventBatches(source, opts)) for (const event of batch) yield event;
}

/**
 * `readRecords` a chunk of text at a time: each batch holds the events of one chunk (hundreds
 * of records), which saves the promise per record that a generator costs — about 0.3 s on a
 * million rows. A batch is valid until the next one is asked for: its array is reused.
 */
/**
 * A reader that stopped: its stopping error says the rest of the file is not read (InputEvent
 * `partial`), whether it stopped inside the text or at its end (JSON that ends inside a value).
 */
function markStop(reader: FormatReader): void {
  if (!reader.stopped) return;
  const stop = reader.out.findLast((e) => e.kind === 'problem' && e.problem.severity === 'error');
  if (stop !== undefined && stop.kind === 'problem') stop.partial = true;
}

export async function* readEventBatches(source: InputSource, opts: ReadOptions): AsyncGenerator<readonly InputEvent[], void, undefined> {
  const file = source.name;
  if (isWorkbook(file)) {
    if (opts.mapping?.json !== undefined) {
      yield [{ kind: 'problem', problem: problem({ file }, 'mapping_mismatch', nestedProfileRefusal(opts.mapping, 'an Excel workbook')) }];
      return;
    }
    // Loaded for a workbook only: a CSV or JSON file's run does not wait for the workbook
    // reader's modules before its first request (README, Performance).
    const { WorkbookReader } = await import('./xlsx.js');
    yield* new WorkbookReader(file, { sheet: opts.sheet, mapping: opts.mapping, onColumns: opts.onColumns }).read(source.bytes);
    const changed = await changedProblem(source);
    if (changed.length > 0) yield changed;
    return;
  }
  if (/\.xls$/i.test(file)) {
    yield [{ kind: 'problem', problem: problem({ file }, 'unsupported_format', 'the old Excel format (.xls) is not read; save the workbook as .xlsx (Excel Workbook) and give that file') }];
    return;
  }
  // A profile that names its encoding knows the vendor's files better than the flag's default.
  // Bytes not valid in the encoding are reported for the file (an error that blocks the load)
  // and the rest is still read, so the counts are the file's and no invoice is judged on the
  // rows before the bad byte alone.
  let invalid: InvalidEncodingError | undefined;
  // Its advice names what set the encoding: asking for --encoding when the profile's wins changes nothing.
  const origin: EncodingOrigin = { profile: opts.mapping?.source, fromProfile: opts.mapping?.encoding !== undefined };
  const text = decodeText(
    source.bytes,
    opts.mapping?.encoding ?? opts.encoding,
    (err) => {
      invalid ??= err;
    },
    origin,
  );
  const invalidProblem = (): InputEvent[] => (invalid === undefined ? [] : [{ kind: 'problem', problem: problem({ file, row: invalid.line }, 'invalid_encoding', invalid.message) }]);
  try {
    // Read up to the first non-blank text: it decides the format and tells an empty file.
    let head = '';
    for (;;) {
      const r = await text.next();
      if (r.done) {
        yield [{ kind: 'problem', problem: problem({ file }, 'empty_file', 'the file is empty') }];
        return;
      }
      head += r.value;
      if (!isBlank(r.value)) break;
    }
    const binary = nulHint(head, origin) ?? ((opts.mapping?.encoding ?? opts.encoding) === 'utf-16le' ? notUtf16leHint(head, origin) : undefined);
    if (binary !== undefined) {
      // Said of the whole file, without a row (domain/problem.ts `Problem.row`): no row of it was read.
      yield [{ kind: 'problem', problem: problem({ file }, binary.includes('UTF-16') ? 'invalid_encoding' : 'binary_file', binary) }];
      return;
    }
    const format = detectFormat(file, head);
    const reader: FormatReader =
      opts.mapping !== undefined
        ? createMappedReader(opts.mapping, file, format)
        : format === 'json'
          ? new JsonReader(file)
          : format === 'jsonl'
            ? new JsonLinesReader(file)
            : new CsvReader(file, extname(file).toLowerCase() === '.tsv' ? '\t' : undefined, undefined, opts.onColumns, true);
    const out = reader.out;
    for (let chunk: string | undefined = head; chunk !== undefined; ) {
      await reader.write(chunk);
      markStop(reader);
      if (out.length > 0) yield out;
      out.length = 0;
      if (reader.stopped) {
        if (invalid !== undefined) yield invalidProblem();
        return;
      }
      const r = await text.next();
      chunk = r.done ? undefined : r.value;
    }
    await reader.end();
    markStop(reader);
    out.push(...invalidProblem(), ...(await changedProblem(source)));
    if (out.length > 0) yield out;
  } catch (err) {
    if (err instanceof NotTextError) {
      yield [{ kind: 'problem', problem: problem({ file }, 'binary_file', file === '-' && err.kind === 'zip' ? STDIN_ZIP_MESSAGE : err.message) }];
      return;
    }
    if (!(err instanceof InvalidEncodingError)) throw err;
    yield [{ kind: 'problem', problem: problem({ file, row: err.line }, 'invalid_encoding', err.message), partial: true }];
  } finally {
    // Closes the file when reading stops early (a fatal problem, or the consumer breaks off).
    await text.return();
  }
}

/**
 * A file that changed while it was read — still being copied or uploaded into a folder a cron
 * job reads, or rewritten by its program — may have been read in part: its last invoice without
 * its last lines, its last row cut mid-value. One error for the file, so nothing is sent.
 */
async function changedProblem(source: InputSource): Promise<InputEvent[]> {
  const how = await source.changed?.();
  if (how === undefined) return [];
  const message = `the file changed while it was read (${how}): it may still be being written or copied. Run again once it is complete`;
  return [{ kind: 'problem', problem: problem({ file: source.name }, 'file_changed', message) }];
}

/**
 * The same look again, later: just before a load's first write, seconds after the read (the
 * checks and look-ups come between). A file still being uploaded whose transfer stalled inside
 * its last value (`POL-101` of `POL-1013`) reads whole — every cell there, no change during the
 * read — and only a later look sees it grow. One `file_changed` error for each such file; the
 * CLI then sends nothing (README "What is checked before anything is sent").
 */
export async function changedAfterRead(sources: readonly InputSource[]): Promise<Problem[]> {
  const found: Problem[] = [];
  for (const source of sources) {
    const how = await source.changed?.('read');
    if (how === undefined) continue;
    const message = `the file changed after it was read (${how}): it is most likely still being copied or uploaded, and what was read may end inside a value. Run again once the transfer is complete`;
    found.push(problem({ file: source.name }, 'file_changed', message));
  }
  return found;
}

/**
 * The line a run refused by `changedAfterRead` ends with, after what it says was not done: `FILE
 * changed after it was read [file_changed] — still being copied or uploaded? Run again once the
 * transfer is complete.` (`shown`: how the caller names a file). One wording for a load and payments.
 */
export function changedAfterReadLine(changed: readonly Problem[], shown: (file: string) => string): string {
  return `${changed.map((p) => shown(p.file)).join(', ')} changed after ${changed.length === 1 ? 'it was' : 'they were'} read [file_changed] — still being copied or uploaded? Run again once the transfer is complete.`;
}

export interface OpenOptions {
  /**
   * Told before opening a named pipe (FIFO): opening one blocks until a writer opens its other
   * end, which may be never. This layer does not print; the CLI says what it waits for.
   */
  onWait?: ((path: string) => void) | undefined;
}

/**
 * A file named twice (a glob and its own name, `a.csv ./a.csv`, standard input twice) would be
 * read twice, each of its rows then a duplicate of itself: a usage error (exit 2) naming both.
 * Files are told apart by device and inode, so a link or another spelling is the same file.
 */
export async function refuseRepeatedFiles(files: readonly string[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const f of files) {
    let id = '-';
    if (f !== '-') {
      try {
        const st = await stat(f, { bigint: true });
        if (st.ino === 0n) continue; // a file system without inodes: not told apart
        id = `${st.dev}:${st.ino}`;
      } catch {
        continue; // opening it says why it cannot be read
      }
    }
    const first = seen.get(id);
    if (first !== undefined) {
      throw new UsageError(first === f ? `${f === '-' ? 'standard input (-)' : oneLine(f)} is named twice: name each file once` : `${oneLine(first)} and ${oneLine(f)} are the same file: name each file once`);
    }
    seen.set(id, f);
  }
}

/** Why `path` cannot be opened, as a usage error (exit 2); an error that is not about the path is thrown as it is. */
function openFailure(path: string, err: unknown): never {
  const reason = pathReason(err);
  if (reason === undefined) throw err;
  // A glob that matched nothing: sh and bash pass the pattern on as it is (README, cron recipe).
  if ((err as NodeJS.ErrnoException).code === 'ENOENT' && /[*?[]/.test(path)) {
    throw new UsageError(`no file matches ${oneLine(path)} (the shell passed the pattern on unexpanded)`, { cause: err });
  }
  throw new UsageError(`cannot read '${oneLine(path)}': ${reason}`, { cause: err });
}

/**
 * Opens the file and closes it again: a file that cannot be read fails here as `openInputFile`
 * would (the same usage error, exit 2), without a handle kept for it. A batch checks every
 * regular file this way before it reads any, then opens each when its turn comes, so a folder
 * of thousands of files never holds more than one open at a time. Not for a named pipe: opening
 * one waits for its writer, and closing it would end the writer's stream.
 */
export async function checkInputFile(path: string): Promise<void> {
  const handle = await open(path, 'r').catch((err: unknown) => openFailure(path, err));
  try {
    // Opening a directory succeeds on Linux; reading it is what fails.
    if ((await handle.stat()).isDirectory()) openFailure(path, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
  } finally {
    await handle.close();
  }
}

/**
 * One input as a command holds it before its turn: standard input or a named pipe, opened at the
 * start (`InputSource`: a pipe's open waits for its writer), or a regular file's path, opened only
 * when it is read (`openInTurn`) and closed once read (`closeSources`).
 */
export type HeldInput = InputSource | string;

/**
 * Every input looked at before any is read, so a missing or unreadable path fails at once (exit 2):
 * a regular file is opened and closed again (`checkInputFile`) and held as its path — a drop folder
 * of thousands of files then holds one open at a time, under any open-file limit (`ulimit -n`,
 * 1,024 under cron and systemd) — standard input and a pipe are opened and held. The load
 * (cli/batch.ts) and payments read their inputs so.
 */
export async function holdInputs(files: readonly string[], stdin: AsyncIterable<Uint8Array>, opts: { onWait?: ((path: string) => void) | undefined } = {}): Promise<HeldInput[]> {
  const inputs: HeldInput[] = [];
  try {
    for (const f of files) {
      if (f === '-') inputs.push({ name: '-', bytes: stdin });
      else if ((await stat(f).catch(() => undefined))?.isFile() === true) {
        await checkInputFile(f);
        inputs.push(f);
      } else inputs.push(await openInputFile(f, opts));
    }
  } catch (err) {
    closeSources(inputs.filter(isHeldOpen));
    throw tooManyOpenFiles(err, files.length);
  }
  return inputs;
}

export const isHeldOpen = (input: HeldInput): input is InputSource => typeof input !== 'string';

/**
 * A file checked when the run began (`holdInputs`) that cannot be opened when its turn comes:
 * moved, deleted or replaced meanwhile (a drop folder tidied by another job, something renamed
 * onto its name that cannot be read). Not a usage error (exit 2) once other files were read, but
 * the file's `file_changed` error, in the words of a file that changed while or after it was read
 * (`changedProblem`, `changedAfterRead`): the batch then sends nothing (exit 3, README "What is
 * checked before anything is sent"). The caller reports `problem` and reads the other files.
 */
export class InputGone extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'InputGone';
  }
}

/**
 * A held input for its turn: a regular file opened now (out of handles: `tooManyOpenFiles`, of
 * `count` inputs; gone since it was checked: `InputGone`).
 */
export async function openInTurn(input: HeldInput, count: number, opts: { onWait?: ((path: string) => void) | undefined } = {}): Promise<InputSource> {
  if (isHeldOpen(input)) return input;
  try {
    return await openInputFile(input, opts);
  } catch (err) {
    const many = tooManyOpenFiles(err, count);
    if (many !== err) throw many;
    const reason = err instanceof UsageError ? pathReason(err.cause) : undefined;
    if (reason === undefined) throw err;
    const message = `the file changed before it was read (${reason}): it could be read when the run began, and was moved, deleted or replaced since; nothing of it was read. Run again once it is in place`;
    throw new InputGone(problem({ file: input }, 'file_changed', message));
  }
}

/** Ends the inputs' streams (with `err`, for a reader waiting on one). */
export function closeSources(sources: readonly InputSource[], err?: Error): void {
  for (const s of sources) (s.bytes as { destroy?: (e?: Error) => void }).destroy?.(err);
}

/**
 * Out of file handles (EMFILE for the process, ENFILE for the system): not the fault of the one
 * file that could not be opened, whichever it was. Said as such, with how many inputs were given;
 * any other error is returned as it is.
 */
export function tooManyOpenFiles(err: unknown, inputs: number): unknown {
  const code = ((err instanceof UsageError ? err.cause : err) as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'EMFILE' && code !== 'ENFILE') return err;
  const limit = code === 'EMFILE' ? "this process's open-file limit (ulimit -n)" : "the system's limit on open files";
  return new UsageError(`too many files are open at once: ${limit} is reached (${inputs} ${inputs === 1 ? 'input was' : 'inputs were'} given; they are read one at a time). Raise the limit, or close other programs' files, and run again`, { cause: err });
}

/** Opens a file for `readRecords`; a file that cannot be read is a usage error (exit 2). */
export async function openInputFile(path: string, opts: OpenOptions = {}): Promise<InputSource> {
  const fail = (err: unknown): never => openFailure(path, err);
  // A stat that fails is left to open(), whose error is the one reported.
  if (opts.onWait !== undefined && (await stat(path).catch(() => undefined))?.isFIFO()) opts.onWait(path);
  const handle = await open(path, 'r').catch(fail);
  let opened: Stats;
  try {
    opened = await handle.stat();
    // Opening a directory succeeds on Linux; reading it is what fails.
    if (opened.isDirectory()) fail(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
  } catch (err) {
    await handle.close();
    throw err;
  }
  // Only a regular file has a size to compare: a pipe or a device has none.
  const changed = opened.isFile() ? (since: ChangedSince = 'opened') => stat(path).then((now) => howChanged(opened, now, since), () => 'it cannot be found any more') : undefined;
  return { name: path, bytes: handle.createReadStream({ highWaterMark: 1 << 16 }), ...(changed !== undefined ? { changed } : {}) };
}

/** When the earlier look at a file was taken: when it was opened (read time), or once it had been read (before the first write). */
export type ChangedSince = 'opened' | 'read';

/** What `howChanged` compares of two looks at a file (`fs.Stats` has them). */
export type FileLook = Pick<Stats, 'size' | 'mtimeMs' | 'ino' | 'dev'>;

/**
 * How a file moved between two looks at it — its size, its inode (another file renamed onto its
 * name, as an upload to a temporary name does when it ends) or its modification time; undefined
 * when none did. Inode 0 is a file system without inodes: not compared. Pure; exported for its test.
 */
export function howChanged(before: FileLook, after: FileLook, since: ChangedSince = 'opened'): string | undefined {
  if (after.size !== before.size) {
    return since === 'opened' ? `${before.size} bytes when it was opened, ${after.size} when it had been read` : `${before.size} bytes when it was read, ${after.size} now`;
  }
  if (before.ino !== 0 && after.ino !== 0 && (after.ino !== before.ino || after.dev !== before.dev)) return `another file took its name after it was ${since}`;
  if (after.mtimeMs !== before.mtimeMs) return `it was modified after it was ${since}`;
  return undefined;
}
