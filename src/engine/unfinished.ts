/**
 * Runs cut short and never finished: what another journal of the same target says a run began
 * and no run finished (README "Exactly once": "A run killed and never run again").
 *
 * A run killed (cron's `timeout`, an OOM kill) leaves invoices created in the target without
 * their lines, or unprocessed; the same command run again finishes them. But when the next night
 * brings a new file — a new batch, a new journal — nothing reads the killed run's journal, and
 * those invoices stay half made, unnoticed. So a load reads the other journals of its place for
 * invoices started and not finished (`startedUnfinished`, the engine's own reading of "done"),
 * less those a later journal finished (a re-run of an edited file) and those of this run's
 * batch (this run finishes them), and says which run and file left them. Pure: the reading of
 * the files is cli/journals.ts `unfinishedElsewhere`.
 */
import { keyString, type InvoiceKey } from '../domain/model.js';
import { foldJournal, startedUnfinished, type JournalEntry, type RunFile } from './journal.js';

/** A journal's invoices that a run began and none finished, with when it ran and on which files. */
export interface UnfinishedRun {
  /** When the journal's first run began (ISO). */
  began: string;
  /** When its last run began (ISO): the run that left them. */
  ran: string;
  /** The input files its last run recorded (absent: a journal written before they were). */
  files?: RunFile[] | undefined;
  /** The invoices, in the order the journal first names them. */
  keys: InvoiceKey[];
}

/**
 * Whether a journal's text ends with the `end` entry of a run that left nothing unfinished: the
 * last line whole (ending in a newline) and `{"t":"end",…,"unfinished":0}`. `tail`: the file's
 * last bytes (at least its last line). A torn last line, a later run's entries after the end, an
 * end that left invoices unfinished, or no end at all (a run killed, a journal written before
 * the entry): false, and the journal is read whole.
 */
export function endsFinished(tail: string): boolean {
  if (!tail.endsWith('\n')) return false;
  const body = tail.slice(0, -1);
  const last = body.slice(body.lastIndexOf('\n') + 1);
  if (!last.startsWith('{"t":"end"')) return false;
  try {
    const e = JSON.parse(last) as JournalEntry;
    return e.t === 'end' && e.unfinished === 0;
  } catch {
    return false;
  }
}

/**
 * A whole journal's invoices started and not finished, but those `skip` says (this run's own),
 * with its header's time and its last recorded files; undefined when there are none or the
 * entries do not begin with a header.
 */
export function unfinishedIn(entries: readonly JournalEntry[], skip: (key: InvoiceKey) => boolean = () => false): UnfinishedRun | undefined {
  const header = entries[0];
  if (header === undefined || header.t !== 'begin') return undefined;
  let ran = header.at;
  let files = header.files;
  const named = new Map<string, InvoiceKey>();
  for (const e of entries) {
    if (e.t === 'run') {
      ran = e.at;
      if (e.files !== undefined) files = e.files;
    } else if ('vendor' in e && 'number' in e) {
      const key = { vendor: e.vendor, number: e.number };
      if (!named.has(keyString(key))) named.set(keyString(key), key);
    }
  }
  const keys: InvoiceKey[] = [];
  for (const [k, st] of foldJournal(entries)) {
    const key = named.get(k);
    if (key !== undefined && startedUnfinished(st) && !skip(key)) keys.push(key);
  }
  if (keys.length === 0) return undefined;
  return { began: header.at, ran, ...(files !== undefined ? { files } : {}), keys };
}

/** The invoices (by keyString) a journal's entries record as finished (`settled`). */
export function settledIn(entries: readonly JournalEntry[]): Set<string> {
  const out = new Set<string>();
  for (const [k, st] of foldJournal(entries)) if (st.settled !== undefined) out.add(k);
  return out;
}

/** Another journal as a possible finisher: its path, when it was last written (ms) and what it finished. */
export interface Finisher {
  path: string;
  mtimeMs: number;
  settled: ReadonlySet<string>;
}

/**
 * Of each run's unfinished invoices, those no other journal finished after the run's journal
 * began (last written at or after its `began`): an invoice an edited file's run finished later
 * is done. Runs left with none are dropped. Pure.
 */
export function leftUnfinished<R extends { path: string; run: UnfinishedRun }>(runs: readonly R[], finishers: readonly Finisher[]): R[] {
  const out: R[] = [];
  for (const r of runs) {
    const began = Date.parse(r.run.began);
    const later = finishers.filter((f) => f.path !== r.path && !(f.mtimeMs < began));
    const keys = r.run.keys.filter((k) => !later.some((f) => f.settled.has(keyString(k))));
    if (keys.length > 0) out.push({ ...r, run: { ...r.run, keys } });
  }
  return out;
}
