/**
 * Invoices an earlier load left half-built in the target, folded from its journal — for the
 * warning a later load of another file gives (cli/unfinished.ts; README "A killed batch another
 * file's run tells of").
 *
 * A journal is keyed by its batch's content, so a nightly job whose file at one path holds a new
 * batch each night never resumes the night its run was killed: nothing else would say so.
 * Counted here, per invoice, only what is truly half-built or unknown in the target:
 * - a create sent without an answer (it may exist);
 * - an invoice the run created (or settled its own create by a look-up, `reconciled`), or one it
 *   found and sent lines or processing to, that no process request was answered for: lines
 *   missing, line writes unanswered, processing never sent, sent without an answer, or refused.
 * Not counted: an invoice whose process request was answered (`processed`, `settled` — Alma still
 * processing it, `not_finished`, or in review is not half-built), a create refused or never sent
 * (nothing was built), an invoice found and left alone (another's), one never created; and, of a
 * run that ended (its `end` entry), an invoice it left failed on a definite refusal (a business
 * error, result.ts refusalKind: a line's fund refused, processing refused) — that run said so
 * itself (exit 4, its report): only what a run cut short (killed, or stopped: Ctrl-C, the daily
 * threshold, the network lost) or a write without an answer left is its `end` entry's.
 *
 * Streamed: `UnfinishedFold.apply` is given one entry at a time and keeps, per invoice not yet
 * processed, five small fields and its key; a processed invoice is dropped from it at once. So a
 * journal of 200,000 finished invoices folds to almost nothing, whatever its size.
 */
import type { JournalEntry } from './journal.js';
import { refusalKind } from './result.js';

/** An invoice an earlier run left half-built or unknown in the target. */
export interface UnfinishedInvoice {
  vendor: string;
  number: string;
  /** The target's id, when the run learned it. */
  id?: string | undefined;
}

/** An invoice a run finished that another journal left half-built (a `settles` entry, or an `end` entry's `settles`). */
export interface SettledKey {
  vendor: string;
  number: string;
}

/** What a journal's runs left: when its last run began, its files, its account, what is half-built. */
export interface UnfinishedSummary {
  /** When the journal's last run began (ISO). */
  ranAt: string;
  /** That run's input files, when recorded (absolute paths; `-` for standard input). */
  files?: string[] | undefined;
  /** The account fingerprint its runs recorded (common/fingerprint.ts); absent in older journals. */
  account?: string | undefined;
  /** Invoices left half-built or unknown, in journal order. */
  open: UnfinishedInvoice[];
  /** Invoices of other journals its runs finished (its `settles` entries, and its `end` entries' `settles`). */
  settles: SettledKey[];
  /** Its last run wrote an `end` entry (it was not killed). */
  ended: boolean;
}

interface Small {
  id?: string | undefined;
  /** A create sent without an answer. */
  createPending: boolean;
  /** The run's own invoice: created by it (or its own create settled by a look-up). */
  own: boolean;
  /** A line or the process request was sent to it. */
  wrote: boolean;
  /** The journal's last run left it failed on a definite refusal (a `failed` entry, business). */
  refused: boolean;
}

/** An invoice's key here, as domain/model.ts keyString makes it. */
export const unfinishedKey = (vendor: string, number: string): string => `${vendor}\u0000${number}`;
const key = unfinishedKey;

function isUnfinished(s: Small): boolean {
  if (s.id === undefined) return s.createPending;
  return s.own || s.wrote;
}

/** Folds a journal's entries, one at a time, into what it left half-built. */
export class UnfinishedFold {
  readonly #open = new Map<string, Small & { vendor: string; number: string }>();
  readonly #settles = new Map<string, SettledKey>();
  #ranAt = '';
  #files: string[] | undefined;
  #account: string | undefined;
  #ended = false;

  apply(e: JournalEntry): void {
    switch (e.t) {
      case 'begin':
      case 'run':
        this.#ranAt = e.at;
        this.#files = e.files;
        if (e.account !== undefined) this.#account = e.account;
        this.#ended = false;
        // A refusal an earlier run met is not this run's to have said.
        for (const s of this.#open.values()) s.refused = false;
        return;
      case 'end':
        this.#ended = true;
        for (const s of e.settles ?? []) this.#settles.set(key(s.vendor, s.number), { vendor: s.vendor, number: s.number });
        return;
      case 'settles':
        // Written as the run finished it (journal.ts `finishing`): a run killed after still settles it.
        this.#settles.set(key(e.vendor, e.number), { vendor: e.vendor, number: e.number });
        return;
      case 'intent':
      case 'refused':
      case 'unsent':
      case 'invoice':
      case 'processed':
      case 'settled':
        break;
      case 'failed': {
        const s = this.#open.get(key(e.vendor, e.number));
        if (s !== undefined) s.refused = refusalKind(e.error) === 'business';
        return;
      }
      default:
        return;
    }
    const k = key(e.vendor, e.number);
    if (e.t === 'processed' || e.t === 'settled') {
      this.#open.delete(k);
      return;
    }
    let s = this.#open.get(k);
    if (s === undefined) {
      // Never more than these five fields and the key, per invoice not yet processed.
      s = { vendor: e.vendor, number: e.number, createPending: false, own: false, wrote: false, refused: false };
      this.#open.set(k, s);
    }
    if (e.t === 'intent') s.refused = false;
    if (e.t === 'invoice') {
      s.id = e.id;
      s.createPending = false;
      s.own = s.own || !e.found || e.reconciled === true;
    } else if (e.step === 'create') {
      s.createPending = e.t === 'intent';
    } else if (e.t === 'intent' && (e.step === 'line' || e.step === 'process')) {
      s.wrote = true;
    }
  }

  /** Whether the journal records it finished this invoice of another journal's (a `settles` entry, or an `end` entry's). */
  settles(vendor: string, number: string): boolean {
    return this.#settles.has(key(vendor, number));
  }

  /**
   * `ending`: as the run that writes the `end` entry ends (journal.ts endEntry). A run that ended
   * leaves out what it left failed on a definite refusal: it said so itself.
   */
  summary(ending = false): UnfinishedSummary {
    const ended = ending || this.#ended;
    const open: UnfinishedInvoice[] = [];
    for (const s of this.#open.values()) if (isUnfinished(s) && !(ended && s.refused)) open.push({ vendor: s.vendor, number: s.number, ...(s.id !== undefined ? { id: s.id } : {}) });
    return {
      ranAt: this.#ranAt,
      ...(this.#files !== undefined ? { files: this.#files } : {}),
      ...(this.#account !== undefined ? { account: this.#account } : {}),
      open,
      settles: [...this.#settles.values()],
      ended: this.#ended,
    };
  }
}

/** The most invoices an `end` entry lists; a run that left more is folded whole by its readers. */
export const END_LISTS_AT_MOST = 200;

/** An earlier run's journal, as the load that warns of it reads it. */
export interface EarlierRun {
  path: string;
  summary: UnfinishedSummary;
  /** When its journal was last written (ms). */
  mtimeMs: number;
}

/** What one earlier run left that nothing has finished since: the warning's matter. */
export interface StillUnfinished {
  path: string;
  ranAt: string;
  files?: string[] | undefined;
  invoices: UnfinishedInvoice[];
  /** The run ended (its `end` entry), stopped or with writes unanswered; else it was killed. */
  ended: boolean;
  /** When the warning stops of itself (the journal 30 days old: README's clean-up advice). */
  until: number;
}

/**
 * The earlier runs that left invoices half-built that no run finished since, those of this
 * batch left out (this run finishes them, or says why not). Pure: `runs` are journals of the
 * same target, address and account, none held by a live run, written within `maxAgeMs`;
 * `ownSettles`, what this batch's journal's earlier runs finished of others'.
 */
export function stillUnfinished(runs: readonly EarlierRun[], batch: ReadonlySet<string>, ownSettles: readonly SettledKey[], maxAgeMs: number): StillUnfinished[] {
  const settled = new Set(ownSettles.map((s) => key(s.vendor, s.number)));
  for (const r of runs) for (const s of r.summary.settles) settled.add(key(s.vendor, s.number));
  const out: StillUnfinished[] = [];
  for (const r of [...runs].sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    const invoices = r.summary.open.filter((i) => !settled.has(key(i.vendor, i.number)) && !batch.has(key(i.vendor, i.number)));
    if (invoices.length === 0) continue;
    out.push({ path: r.path, ranAt: r.summary.ranAt, ...(r.summary.files !== undefined ? { files: r.summary.files } : {}), invoices, ended: r.summary.ended, until: r.mtimeMs + maxAgeMs });
  }
  return out;
}

/** Every invoice the earlier runs left half-built, by key: the run's `end` entry settles those it finished. */
export function openKeys(runs: readonly EarlierRun[]): SettledKey[] {
  const out = new Map<string, SettledKey>();
  for (const r of runs) for (const i of r.summary.open) out.set(key(i.vendor, i.number), { vendor: i.vendor, number: i.number });
  return [...out.values()];
}

/** The most invoices a warning names; the rest are counted. */
const NAMED = 5;
/** The most input files it names. */
const FILES_NAMED = 3;

/**
 * The warning of one earlier run (cli/send.ts prints it on stderr, under --quiet too): when it
 * ran, its files, how many invoices and the first few, and what to do. `label`: the target's
 * (`Alma`); `command`: how the load is run (`invoice-load`).
 */
export function unfinishedWarning(u: StillUnfinished, label: string, command: string): string {
  const n = u.invoices.length;
  const one = n === 1;
  const named = u.invoices.slice(0, NAMED).map((i) => `${i.vendor} ${i.number}`).join(', ') + (n > NAMED ? `, and ${(n - NAMED).toLocaleString('en-US')} more` : '');
  const files = u.files ?? [];
  // A drop folder of thousands: the first few, then how many more.
  const few = (list: readonly string[], sep: string): string => list.slice(0, FILES_NAMED).join(sep) + (list.length > FILES_NAMED ? `${sep}… (${(list.length - FILES_NAMED).toLocaleString('en-US')} more)` : '');
  const shown = files.map((f) => (f === '-' ? 'standard input' : f));
  const from = shown.length === 0 ? '' : ` from ${few(shown, ', ')}`;
  const them = one ? 'it' : 'them';
  const when = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(u.ranAt) ? `${u.ranAt.slice(0, 10)} ${u.ranAt.slice(11, 16)} UTC` : u.ranAt;
  // A run killed was stopped before it finished them. One that ended (its `end` entry) left
  // them so when it was stopped (Ctrl-C, the daily threshold, the network lost) or a write to
  // them went unanswered or failed for a time; an invoice it left on a definite refusal it said
  // so of itself, and is not told of (UnfinishedFold.summary).
  const resumes = u.ended ? 'the load takes up where that run left off' : 'the load resumes where it stopped';
  const left = u.ended
    ? `ended without finishing ${one ? 'invoice' : `${n.toLocaleString('en-US')} invoices`} ${named} (it was stopped first, or a write to ${them} went unanswered or failed for a time)`
    : `was stopped before it finished ${one ? 'invoice' : `${n.toLocaleString('en-US')} invoices`} ${named}`;
  const again =
    files.length === 0 || files.includes('-')
      ? `Load what that run read again, as it was then: ${resumes}.`
      : `Load that run's ${files.length === 1 ? 'file' : 'files'} again as ${files.length === 1 ? 'it was' : 'they were'} then (${command} … ${few(files, ' ')}): ${resumes}. ` +
        `If ${files.length === 1 ? 'that path holds' : 'those paths hold'} another batch now (a nightly file replaced), load a copy of ${u.ended ? 'that' : 'the killed'} batch instead (the vendor's file of that day): ${one ? 'its invoice is' : 'its invoices are'} found in ${label} and what is missing added.`;
  return (
    `an earlier load into ${label}, begun ${when}${from}, ${left}, which no run has finished since: in ${label} ${one ? 'it is' : 'they are'} half-built ` +
    `(created without all ${one ? 'its' : 'their'} lines, or not sent for processing) or may be (a write sent without an answer). ` +
    `${again} Without that batch, finish or delete ${them} in ${label} by hand, then delete that run's journal (${u.path}). ` +
    `Said at each load until a run finishes ${them}, or until ${new Date(u.until).toISOString().slice(0, 10)} (that journal 30 days old).`
  );
}
