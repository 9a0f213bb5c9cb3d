/**
 * The load's warning of an earlier run, of another file, that was killed leaving invoices
 * half-built in the target (README "A killed batch another file's run tells of"): a nightly job
 * whose file at one path holds a new batch each night never resumes the night that was killed.
 *
 * Reads the journals of the same target name and address (journals.ts placeJournals), written
 * within MAX_AGE_MS (README's 30-day clean-up advice), of the same account (common/fingerprint.ts),
 * none whose lock a live run holds, and folds each (engine/unfinished.ts):
 * - a journal whose last run ended reads only its last line, the `end` entry that run wrote;
 * - one that was killed is streamed a chunk at a time, and what it left is kept beside it
 *   (`<journal>.unfinished`, with the journal's size and time), so the next load reads that
 *   instead, until the journal changes. Removed with its journal by the next load.
 * A journal that cannot be read, or is not a journal, is passed over: its own batch's run says
 * what is wrong with it.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { wholeLineChunks } from '../common/fs.js';
import { JOURNAL_KIND, type JournalEntry } from '../engine/journal.js';
import { lockHolder } from '../engine/lock.js';
import { UnfinishedFold, type EarlierRun, type UnfinishedSummary } from '../engine/unfinished.js';
import { placeJournals } from './journals.js';

/** README "Journals are kept": a journal older than this may be pruned; no run warns of it. */
export const MAX_AGE_MS = 30 * 24 * 3600_000;

/** Bytes read from a journal's end for its `end` entry. */
const TAIL_BYTES = 64 * 1024;
const SIDECAR = '.unfinished';

interface Sidecar {
  size: number;
  mtimeMs: number;
  summary: UnfinishedSummary;
}

/**
 * The earlier runs of this place and account that may have left invoices half-built: every
 * journal but `except` (this run's own), written within MAX_AGE_MS of `now`, whose lock no live
 * run holds. `account` undefined: journals that record none.
 */
export function earlierRuns(at: { stateDir: string; name: string; endpoint: string }, account: string | undefined, except: string, now: number): EarlierRun[] {
  removeOrphans(join(at.stateDir, 'journals'));
  const out: EarlierRun[] = [];
  for (const { path } of placeJournals(at, except)) {
    try {
      const st = statSync(path);
      if (now - st.mtimeMs > MAX_AGE_MS) continue;
      if (lockHolder(path + '.lock') !== undefined) continue; // a live run: it says what it leaves
      const summary = summaryOf(path, at.endpoint, st.size, st.mtimeMs);
      if (summary === undefined || summary.account !== account) continue;
      out.push({ path, summary, mtimeMs: st.mtimeMs });
    } catch {
      continue;
    }
  }
  return out;
}

/** A journal's summary: its `end` line, else its sidecar while it matches, else the journal streamed (and the sidecar written). */
export function summaryOf(path: string, endpoint: string, size: number, mtimeMs: number): UnfinishedSummary | undefined {
  const end = lastEnd(path, endpoint, size);
  if (end !== undefined) return end;
  const side = readSidecar(path, size, mtimeMs);
  if (side !== undefined) return side;
  const folded = foldStreaming(path, endpoint);
  if (folded === undefined) return undefined;
  writeSidecar(path, { size, mtimeMs, summary: folded });
  return folded;
}

/** The journal's last line when it is an `end` entry listing what the journal left (and the header is of `endpoint`). */
function lastEnd(path: string, endpoint: string, size: number): UnfinishedSummary | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    const first = head.toString('utf8').split('\n', 1)[0] ?? '';
    if (!first.includes(`"endpoint":${JSON.stringify(endpoint)}`)) return undefined;
    const len = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(len);
    readSync(fd, tail, 0, len, size - len);
    const text = tail.toString('utf8');
    if (!text.endsWith('\n')) return undefined;
    const start = text.lastIndexOf('\n', text.length - 2) + 1;
    if (start === 0 && len < size) return undefined; // the line is longer than the tail read
    let e: JournalEntry;
    try {
      e = JSON.parse(text.slice(start, -1)) as JournalEntry;
    } catch {
      return undefined;
    }
    if (e.t !== 'end' || !Array.isArray(e.open)) return undefined;
    return { ranAt: e.ran_at, ...(e.files !== undefined ? { files: e.files } : {}), ...(e.account !== undefined ? { account: e.account } : {}), open: e.open, settles: e.settles ?? [], ended: true };
  } finally {
    closeSync(fd);
  }
}

/**
 * The journal folded a chunk at a time (engine/unfinished.ts UnfinishedFold): memory for the
 * invoices not yet processed at each point, not for the file. Undefined when it is not a journal
 * of `endpoint` or a line other than a torn last one does not parse.
 *
 * Most of a journal's lines are line entries, intents and processed or settled invoices. The
 * lines the fold reads are found by one regular expression over each chunk, and of intents and
 * processed or settled invoices only the vendor, number and step are taken, where journal.ts
 * writes them (`JSON.stringify` of an object whose `t` comes first, then vendor, number and,
 * for an intent, step); a line of another shape is parsed whole. Parsing every line took 5.4 s
 * for a 250 MB journal, against README's figure.
 */
export function foldStreaming(path: string, endpoint: string): UnfinishedSummary | undefined {
  const fold = new UnfinishedFold();
  try {
    let first = true;
    for (const text of wholeLineChunks(path)) {
      let from = 0;
      if (first) {
        const nl = text.indexOf('\n');
        const e = JSON.parse(text.slice(0, nl)) as JournalEntry;
        if (e.t !== 'begin' || e.kind !== JOURNAL_KIND || e.endpoint !== endpoint) return undefined;
        first = false;
        fold.apply(e);
        from = nl + 1;
      }
      const body = from === 0 ? text : text.slice(from);
      LINE.lastIndex = 0;
      for (let m = LINE.exec(body); m !== null; m = LINE.exec(body)) {
        const [, t, vendor, number, step] = m;
        if (vendor !== undefined && number !== undefined && (t === 'processed' || t === 'settled')) {
          fold.apply({ t: 'processed', vendor: unescape(vendor), number: unescape(number), id: '' });
        } else if (vendor !== undefined && number !== undefined && step !== undefined && t === 'intent') {
          fold.apply({ t: 'intent', vendor: unescape(vendor), number: unescape(number), step: step as 'create' });
        } else {
          const end = body.indexOf('\n', m.index);
          fold.apply(JSON.parse(body.slice(m.index, end)) as JournalEntry);
        }
      }
    }
  } catch {
    return undefined;
  }
  return fold.summary();
}

/** The start of each line the fold reads: its kind, and for most, the vendor, number and step. */
const LINE = /^\{"t":"(intent|processed|settled|invoice|run|end|refused|unsent|settles|failed)"(?:,"vendor":"((?:[^"\\\n]|\\.)*)","number":"((?:[^"\\\n]|\\.)*)"(?:,"step":"(\w+)")?)?/gm;

/** A JSON string's content as the regular expression took it, its escapes undone. */
const unescape = (raw: string): string => (raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);

function readSidecar(path: string, size: number, mtimeMs: number): UnfinishedSummary | undefined {
  try {
    const side = JSON.parse(readFileSync(path + SIDECAR, 'utf8')) as Sidecar;
    return side.size === size && side.mtimeMs === mtimeMs ? side.summary : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole by a rename, for its owner alone, as the journals are. Not written: the next load folds it again. */
function writeSidecar(path: string, side: Sidecar): void {
  const tmp = `${path}${SIDECAR}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(side) + '\n', { mode: 0o600 });
    renameSync(tmp, path + SIDECAR);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never made
    }
  }
}

/** Sidecars whose journal is gone (pruned by the README's `find … -delete`). */
function removeOrphans(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const have = new Set(names);
  for (const n of names) {
    if (!n.endsWith('.jsonl' + SIDECAR) || have.has(n.slice(0, -SIDECAR.length))) continue;
    try {
      unlinkSync(join(dir, n));
    } catch {
      // gone already
    }
  }
}
