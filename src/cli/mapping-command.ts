/**
 * Mapping profiles at the command line: reading `--mapping <file>` (a bad profile is a
 * configuration error, exit 2, one line per problem), and `invoice-load mapping init <file>`
 * / `mapping check <profile>`.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { initProfile, InitError, SAMPLE_BYTES, SAMPLE_ROWS, workbookProfile } from '../input/mapping/init.js';
import { openInputFile } from '../input/read.js';
import { sampleWorkbook } from '../input/xlsx.js';
import { loadMappingProfile, todoNotes, type MappingProfile } from '../input/mapping/profile.js';
import { UsageError } from '../common/errors.js';
import { oneLine } from '../common/shown.js';
import { pathReason } from '../common/path-reasons.js';
import { writeFileAtomic } from '../common/fs.js';
import type { Terminal } from './terminal.js';

const reason = (err: unknown): string => pathReason(err) ?? (err as Error).message;

/** Reads and validates a profile; every problem in one UsageError, one line each. */
export function readMappingProfile(path: string, shownAs = path): MappingProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the mapping profile '${shownAs}': ${reason(err)}`, { cause: err });
  }
  const r = loadMappingProfile(text, shownAs);
  if ('profile' in r) return r.profile;
  const n = r.problems.length;
  throw new UsageError(
    `the mapping profile ${shownAs} is not valid (${n} problem${n === 1 ? '' : 's'}):\n` + r.problems.map((p) => `  ${shownAs}: ${p.path}: ${p.message}`).join('\n'),
  );
}

/** The first SAMPLE_BYTES of a file, and whether that is all of it. */
function readSample(path: string): { bytes: Uint8Array; complete: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`cannot read '${oneLine(path)}': ${reason(err)}`, { cause: err });
  }
  try {
    const buf = new Uint8Array(SAMPLE_BYTES + 1);
    let n = 0;
    for (;;) {
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (err) {
        throw new UsageError(`cannot read '${oneLine(path)}': ${reason(err)}`, { cause: err });
      }
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    return { bytes: buf.subarray(0, Math.min(n, SAMPLE_BYTES)), complete: n <= SAMPLE_BYTES };
  } finally {
    closeSync(fd);
  }
}

export interface InitOptions {
  output?: string;
  force?: boolean;
  /** A workbook's sheet (default the first). */
  sheet?: string;
}

/** `mapping init <file>`: the profile on stdout (or in `-o`), the guesses on stderr. */
export async function runMappingInit(file: string, opts: InitOptions, term: Terminal): Promise<number> {
  if (opts.output !== undefined && existsSync(opts.output) && opts.force !== true) {
    throw new UsageError(`'${opts.output}' exists; pass --force to overwrite it`);
  }
  let result;
  let complete = true;
  try {
    if (/\.xls[xm]$/i.test(file)) {
      const source = await openInputFile(file);
      const sample = await sampleWorkbook(file, source.bytes as Readable, opts.sheet, SAMPLE_ROWS).catch((err: Error) => {
        throw new InitError(`${file}: ${err.message}`);
      });
      if (sample.rows.length === 0) throw new InitError(`${file} is empty: nothing to guess a profile from`);
      result = workbookProfile(file, sample.sheet, sample.rows, sample.typed);
    } else {
      const sample = readSample(file);
      complete = sample.complete;
      result = initProfile(file, sample.bytes, complete);
    }
  } catch (err) {
    if (err instanceof InitError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  const text = JSON.stringify(result.profile, null, 2) + '\n';
  // The profile must load as written: a starting point that fails would teach nothing.
  const check = loadMappingProfile(text, opts.output ?? 'the new profile');
  if ('problems' in check) throw new Error(`mapping init wrote a profile that does not validate: ${check.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const err = term.errStyle;
  if (opts.output !== undefined) writeFileAtomic(opts.output, text);
  else process.stdout.write(text);
  process.stderr.write(
    err.dim(`guessed from ${complete ? file : `the first ${SAMPLE_BYTES / 1024} KB of ${file}`}:`) +
      '\n' +
      result.summary.map((s) => `  ${s.startsWith('todo:') ? err.yellow(s) : s}`).join('\n') +
      '\n' +
      (opts.output !== undefined ? `wrote ${opts.output}; check the "_guess" notes, then: invoice-load --dry-run --mapping ${opts.output} ${file}\n` : ''),
  );
  return 0;
}

/** `mapping check <profile>`: exit 0 with a one-line summary, or 2 with every problem (a `_todo` left is one). */
export function runMappingCheck(path: string, term: Terminal): number {
  const p = readMappingProfile(path);
  // Valid, but with notes `mapping init` left for a person: not ready to load with.
  const todo = todoNotes(readFileSync(path, 'utf8'));
  if (todo.length > 0) {
    const n = todo.length;
    throw new UsageError(
      `the mapping profile ${path} is not finished (${n} "_todo" note${n === 1 ? '' : 's'} left; do each, then delete the note):\n` +
        todo.map((t) => `  ${path}: ${t.path}: ${t.note}`).join('\n'),
    );
  }
  const parts = [
    p.json !== undefined ? `JSON rows ${p.json.rows}, ${p.json.columns.length} paths` : `${p.columns.size} columns renamed, ${p.ignore.size} ignored`,
    `${p.constants.size} constants`,
    `${p.defaults.size} defaults`,
    `${p.values.size} value maps`,
  ];
  process.stdout.write(term.outStyle.green(`${path}: valid`) + ` (${parts.join(', ')})\n`);
  return 0;
}
