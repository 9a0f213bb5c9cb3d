/**
 * The journal: an append-only JSON Lines file, one per (target endpoint, batch content) — the
 * endpoint being the address and the account's credential fingerprint (common/fingerprint.ts;
 * README "Exactly once") — that records the intent before each write and the outcome after it.
 * Alma has no idempotency keys, so this journal and the look-ups before create are what make a
 * re-run safe:
 * - a step with an outcome is never sent again;
 * - a step with an intent and no outcome is "unknown": the engine asks Alma before re-sending.
 * Each line is written whole and fdatasync'd before the request goes out, so a kill at any byte
 * leaves at most a torn last line, which is tolerated (and cut) on resume; a write that fails
 * partway (a full disk) is cut back, and nothing more is sent (JournalWriteError).
 * Nothing secret is ever written here: no key, no headers, only ids, numbers and statuses.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync, existsSync } from 'node:fs';
import { makeFolder } from '../common/fs.js';
import { dirname } from 'node:path';
import { JournalError, JournalWriteError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';
import type { InvoiceKey } from '../domain/model.js';
import type { Alert } from '../targets/target.js';
import { OUTCOME_UNKNOWN } from './result.js';
import { maskMessage } from '../common/shown-secrets.js';
import { END_LISTS_AT_MOST, UnfinishedFold, type SettledKey, type UnfinishedInvoice } from './unfinished.js';

export const JOURNAL_KIND = 'invoice-load-journal';
export const JOURNAL_VERSION = 1;

export type Step = 'lookup' | 'create' | 'lines' | 'attachments' | 'process' | 'poll' | 'erp';

export interface JournalHeader {
  t: 'begin';
  kind: typeof JOURNAL_KIND;
  v: number;
  target: string;
  endpoint: string;
  batch: string;
  at: string;
  /**
   * Whose account the run wrote with: a short fingerprint of its key (common/fingerprint.ts),
   * never the key. Absent in journals written before it, and for targets that give none.
   */
  account?: string | undefined;
  /** The run's input files (absolute paths; `-` standard input), for the warning a later run gives (engine/unfinished.ts). */
  files?: string[] | undefined;
}

/**
 * An entry as the journal keeps it: an error's message and alerts' descriptions — the target's
 * free text — with the run's secrets masked (common/shown-secrets.ts); every other field as is.
 */
export function keptEntry(entry: JournalEntry): JournalEntry {
  let out = entry;
  if ('error' in entry && entry.error !== undefined) out = { ...entry, error: { ...entry.error, message: maskMessage(entry.error.message) } } as JournalEntry;
  if ('alerts' in out && Array.isArray(out.alerts)) out = { ...out, alerts: out.alerts.map((a) => ({ ...a, description: maskMessage(a.description) })) } as JournalEntry;
  return out;
}

export interface ErrorRecord {
  step: Step;
  http_status: number;
  code: string;
  message: string;
  tracking_id?: string | undefined;
  /**
   * The target's error document came under a 2xx (`ApiError.inSuccess`, Alma's `errorsExist`):
   * a refusal as its 4xx twin is (docs/alma.md#errors-error-codes-and-alerts).
   */
  in_success?: true | undefined;
  /** A line the target refused: its number, PO line, fund codes and the rows it came from. */
  line?: RefusedLine | undefined;
}

export interface RefusedLine {
  number: string;
  po_line?: string | undefined;
  funds: string[];
  rows: { file: string; row: number }[];
}

export type JournalEntry =
  | JournalHeader
  /** A run resumes the journal: when it began, and as the header, its account and files. */
  | { t: 'run'; at: string; account?: string | undefined; files?: string[] | undefined }
  /**
   * A run ended (it was not killed): what the journal leaves half-built (engine/unfinished.ts),
   * so a later run of another file reads only this last line. `open` lists them, or counts them
   * when they are more than END_LISTS_AT_MOST (the reader then folds the journal whole).
   * `ran_at`, `account`, `files`: the run's, as its `begin` or `run` entry says. `settles`: the
   * invoices other journals left half-built that this journal's runs finished, so far.
   * Older loaders ignore the entry.
   */
  | {
      t: 'end';
      at: string;
      ran_at: string;
      account?: string | undefined;
      files?: string[] | undefined;
      open: UnfinishedInvoice[] | number;
      settles?: SettledKey[] | undefined;
    }
  /**
   * About to send a write; `line` for a line step; `at` the wall clock (ms) when it was sent, so a
   * later run knows how long the target's look-ups have had to show it (absent in older journals).
   */
  | { t: 'intent'; vendor: string; number: string; step: 'create' | 'line' | 'attachment' | 'process' | 'op'; id?: string; line?: string; file?: string; op?: string; at?: number }
  /**
   * The write of the intent before it was refused with a definite answer (a 4xx: a business error,
   * a refused key, the daily threshold; `UnknownOutcomeError` never): nothing was done, so the
   * intent is settled and a later run sends it again without first looking for what it made.
   * Absent in journals written before it: their refused intents stay pending, as then. `op`: an
   * operation's (engine/operations.ts), so a re-run does not wait for its outcome first.
   */
  | { t: 'refused'; vendor: string; number: string; step: 'create' | 'line' | 'attachment' | 'process' | 'op'; line?: string; file?: string; op?: string }
  /**
   * The write of the intent before it never left: a Ctrl-C ended it while it waited for its turn
   * (common/errors.ts `NotSentError`), a status 0 before any byte (a connection refused), or it
   * ended on another write's `IdNotKeptError` (a create the target made under its own id: nothing
   * more is sent). Settled as a refusal is. Older loaders ignore the entry and reconcile the intent
   * as before. `op`: an operation's (engine/operations.ts), as for `refused`.
   */
  | { t: 'unsent'; vendor: string; number: string; step: 'create' | 'line' | 'attachment' | 'process' | 'op'; line?: string; file?: string; op?: string }
  /** The settle window measured in a run (engine/settle.ts), kept for the runs that resume it. */
  | { t: 'settle'; window_ms: number; lag_ms?: number | undefined; probes: number }
  /**
   * An operation on an existing invoice took effect (`mark_in_erp`, `paid`, `rejected`), or was
   * found done. `batch`: the run that wrote the invoice into its export file (cli/export.ts).
   */
  | {
      t: 'op';
      vendor: string;
      number: string;
      op: string;
      id: string;
      outcome: 'done' | 'already_done';
      workflow_status?: string | undefined;
      alerts?: Alert[] | undefined;
      batch?: string | undefined;
    }
  /**
   * The write of an `op` intent was answered 2xx without showing its effect: Alma processes these
   * actions asynchronously (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments),
   * so it was accepted and is never sent again; the invoice is read for the outcome
   * (engine/operations.ts). Older loaders ignore the entry and reconcile the intent as before.
   */
  | { t: 'accepted'; vendor: string; number: string; op: string; id: string }
  /** The run named `batch` ended with every operation it began settled (cli/export.ts). */
  | { t: 'batch_done'; batch: string }
  /**
   * An export file handed over (cli/export.ts, the `handover` journal of an output path): its
   * SHA-256, how many invoices in it are marked or to be marked, the status exported, and
   * whether the run that wrote it ended (`ended` false: written, its marks under way).
   * `replaces`: the run whose file was in place when this one was written, which this file
   * replaces once renamed (absent: none, or a loader before it).
   */
  | {
      t: 'file';
      batch: string;
      sha256: string;
      invoices: number;
      status: string;
      ended: boolean;
      replaces?: string | undefined;
      /**
       * Export's record written before its rename (cli/export.ts): the temporary file it renames
       * (still there: the run died before the rename), and the `export` and `carry` entries it
       * journals after it, for the next run to journal when the rename happened and they did not.
       */
      tmp?: string | undefined;
      in_file?: { vendor: string; number: string; id: string; workflow_status?: string | undefined }[] | undefined;
      carries?: { vendor: string; number: string; id: string }[] | undefined;
    }
  /**
   * The invoice exists in the target with this id (created by us, or found by a look-up).
   * `reconciled`: our create's answer said nothing sure and a look-up settled it, so the invoice
   * may be someone else's made meanwhile, with lines: they are listed before any is added, in
   * this run and every later one (engine.ts addLines). Absent (journals written before it): false.
   */
  | { t: 'invoice'; vendor: string; number: string; id: string; found: boolean; reconciled?: boolean | undefined }
  /**
   * A create of the invoice made it in the target under this id of the target's own, not the
   * loader's (common/errors.ts IdNotKeptError): the record is the loader's doing, but is never
   * continued (docs/folio.md "Exactly once"). Said so when a later run finds it. Older loaders
   * ignore the entry.
   */
  | { t: 'id_not_kept'; vendor: string; number: string; id: string }
  /** A child item exists (Alma: a line, `line` its number; Exsited: the note, `line` its note key). */
  | { t: 'line'; vendor: string; number: string; line: string; id: string }
  /** A file is attached to the invoice (`file` its name, the key within the invoice). */
  | { t: 'attachment'; vendor: string; number: string; file: string; id: string }
  /** The process request was answered: processing has started and must never be requested again. */
  | { t: 'processed'; vendor: string; number: string; id: string }
  /**
   * This run holds processed an invoice another journal left half-built (engine/unfinished.ts,
   * said at the run's start): written with the `processed` or `settled` entry that finished it,
   * so a run killed afterwards, before its `end` entry, still says it finished it. Folded into
   * the journal's `settles`. Older loaders ignore the entry.
   */
  | { t: 'settles'; vendor: string; number: string }
  | {
      t: 'settled';
      vendor: string;
      number: string;
      id: string;
      status: 'loaded' | 'in_review' | 'already_loaded';
      workflow_status?: string | undefined;
      approval_status?: string | undefined;
      alerts: Alert[];
      /** The target's own amounts (Alguna, Exsited); absent for Alma and in journals written before targets. */
      amounts?: Record<string, string> | undefined;
    }
  /**
   * `rewatch`: a process failure (OUTCOME_UNKNOWN) whose pending request was not watched to an
   * end — this run's answer was lost and its send again refused, which may be the target refusing
   * a second start while the first is at work (engine.ts `InvoiceSaga.process`): a re-run reads and
   * watches the invoice again before sending, as after a kill. Older loaders ignore it.
   */
  | { t: 'failed'; vendor: string; number: string; error: ErrorRecord; rewatch?: true | undefined };

/** What the journal knows about one invoice, folded from its entries. */
export interface InvoiceJournalState {
  id?: string | undefined;
  found: boolean;
  /**
   * Our create was settled by a look-up (`invoice` entry's `reconciled`): the journal does not
   * know the invoice's lines, so they are listed before any is added.
   */
  reconciled: boolean;
  /** A create was sent and no outcome was recorded: it may exist in the target. */
  createPending: boolean;
  /** When the last create was sent (wall ms), if the journal says. */
  createSentAt?: number | undefined;
  /** When each line was last sent (wall ms), if the journal says. */
  lineSentAt: Map<string, number>;
  lines: Map<string, string>;
  /** Line numbers sent without a recorded outcome. */
  linesPending: Set<string>;
  /** Attached files by name → the target's attachment id. */
  attachments: Map<string, string>;
  /** File names sent without a recorded outcome. */
  attachmentsPending: Set<string>;
  /**
   * The writes a run sent the invoice that may have taken effect ('line N', 'file F', 'process'):
   * an intent written and not settled `refused` or `unsent` since — or sent again while an earlier
   * send of it was still unanswered (true), which the later send's refusal does not undo. A refused
   * write added nothing, so an invoice finished by hand after it holds nothing of ours (engine.ts
   * `sentByLoader`; README "The report": already_loaded is "found complete, nothing sent").
   */
  mayHaveSent: Map<string, boolean>;
  /** Operations on the invoice that took effect (or were found done), by name. */
  ops: Map<string, Extract<JournalEntry, { t: 'op' }>>;
  /** Operations sent without a recorded outcome. */
  opsPending: Set<string>;
  /**
   * Operations sent again while an earlier send of theirs was still pending (its answer lost):
   * that send may have taken effect late, whatever came of the later one (refused, never sent,
   * which settles `opsPending`), so the invoice found showing the operation is this loader's
   * doing, not someone else's (engine/operations.ts).
   */
  opsLost: Set<string>;
  /**
   * For each pending operation an earlier run sent: the start of the first run after it (as
   * `processSentBefore`), so the wait for its outcome adds up across killed runs.
   */
  opsSentBefore: Map<string, string>;
  /**
   * For each operation sent, the wall clock (ms) of the first send of its last series (its intent's
   * `at`; a send again while one is pending keeps the first's): every request of that series left
   * after this moment. Absent for intents without `at` (written before it). Export reads it of its
   * marks and of the rejections in payments journals (cli/export.ts `rejectedSince`).
   */
  opsSentAt: Map<string, number>;
  /** Operations Alma accepted (a 2xx answer) whose effect was not shown yet: not to be sent again. */
  opsAccepted: Set<string>;
  processPending: boolean;
  /**
   * For a pending process intent written by an earlier run: the start of the first run after it.
   * Whatever that request did, it was sent before this moment (its run had ended), so processing
   * has had at least since then to show.
   */
  processSentBefore?: string | undefined;
  processed: boolean;
  /**
   * The pending process request went without an answer and was watched for the whole of the
   * target's watch (`Target.finalizeOnce`) without showing done: the run ended the invoice with
   * OUTCOME_UNKNOWN instead of sending it again. A re-run reads the invoice and decides at once.
   * A newer process intent clears it.
   */
  processWatched?: boolean | undefined;
  settled?: Extract<JournalEntry, { t: 'settled' }> | undefined;
  lastError?: ErrorRecord | undefined;
  /** Ids the target made the invoice under instead of the loader's (`id_not_kept`): an earlier run's, never continued. */
  notKept: Set<string>;
}

const emptyState = (): InvoiceJournalState => ({
  found: false,
  reconciled: false,
  createPending: false,
  lineSentAt: new Map(),
  lines: new Map(),
  linesPending: new Set(),
  attachments: new Map(),
  attachmentsPending: new Set(),
  mayHaveSent: new Map(),
  ops: new Map(),
  opsPending: new Set(),
  opsLost: new Set(),
  opsSentBefore: new Map(),
  opsSentAt: new Map(),
  opsAccepted: new Set(),
  processPending: false,
  processed: false,
  notKept: new Set(),
});

const stateKey = (vendor: string, number: string): string => `${vendor}\u0000${number}`;

type SentEntry = Extract<JournalEntry, { t: 'intent' | 'refused' | 'unsent' }>;

/** The `mayHaveSent` key of a line, file or process write; undefined for a create or an operation. */
function sentKey(e: SentEntry): string | undefined {
  if (e.step === 'line' && e.line !== undefined) return `line ${e.line}`;
  if (e.step === 'attachment' && e.file !== undefined) return `file ${e.file}`;
  return e.step === 'process' ? 'process' : undefined;
}

/** Whether an earlier send of this write is still unanswered as it is sent again. */
function stillPending(s: InvoiceJournalState, e: SentEntry): boolean {
  if (e.step === 'line' && e.line !== undefined) return s.linesPending.has(e.line);
  if (e.step === 'attachment' && e.file !== undefined) return s.attachmentsPending.has(e.file);
  return e.step === 'process' && s.processPending;
}

/** Applies one entry to per-invoice state: the single definition of what an entry means. */
export function applyEntry(states: Map<string, InvoiceJournalState>, e: JournalEntry): void {
  if (e.t === 'run') {
    for (const s of states.values()) {
      if (s.processPending && s.processSentBefore === undefined) s.processSentBefore = e.at;
      for (const op of s.opsPending) if (!s.opsSentBefore.has(op)) s.opsSentBefore.set(op, e.at);
    }
    return;
  }
  if (e.t === 'begin' || e.t === 'settle' || e.t === 'batch_done' || e.t === 'file' || e.t === 'end' || e.t === 'settles') return;
  const k = stateKey(e.vendor, e.number);
  let s = states.get(k);
  if (!s) {
    s = emptyState();
    states.set(k, s);
  }
  switch (e.t) {
    case 'intent': {
      const sent = sentKey(e);
      if (sent !== undefined) s.mayHaveSent.set(sent, s.mayHaveSent.get(sent) === true || stillPending(s, e));
      if (e.step === 'create') {
        s.createPending = true;
        s.createSentAt = e.at;
      } else if (e.step === 'line' && e.line !== undefined) {
        s.linesPending.add(e.line);
        if (e.at !== undefined) s.lineSentAt.set(e.line, e.at);
      } else if (e.step === 'attachment' && e.file !== undefined) {
        s.attachmentsPending.add(e.file);
      } else if (e.step === 'op' && e.op !== undefined) {
        if (!s.opsPending.has(e.op)) {
          if (e.at !== undefined) s.opsSentAt.set(e.op, e.at);
          else s.opsSentAt.delete(e.op);
        }
        if (s.opsPending.has(e.op)) s.opsLost.add(e.op);
        s.opsPending.add(e.op);
        s.opsSentBefore.delete(e.op);
      }
      else if (e.step === 'process') {
        s.processPending = true;
        s.processSentBefore = undefined;
        s.processWatched = false;
      }
      break;
    }
    case 'refused':
    case 'unsent': {
      const sent = sentKey(e);
      if (sent !== undefined && s.mayHaveSent.get(sent) === false) s.mayHaveSent.delete(sent);
      if (e.step === 'create') s.createPending = false;
      else if (e.step === 'line' && e.line !== undefined) s.linesPending.delete(e.line);
      else if (e.step === 'attachment' && e.file !== undefined) s.attachmentsPending.delete(e.file);
      else if (e.step === 'op' && e.op !== undefined) {
        s.opsPending.delete(e.op);
        s.opsSentBefore.delete(e.op);
      } else if (e.step === 'process') {
        s.processPending = false;
        s.processSentBefore = undefined;
      }
      break;
    }
    case 'invoice':
      s.id = e.id;
      s.found = s.found || e.found;
      s.reconciled = s.reconciled || e.reconciled === true;
      s.createPending = false;
      break;
    case 'id_not_kept':
      s.notKept.add(e.id.toLowerCase());
      break;
    case 'line':
      s.lines.set(e.line, e.id);
      s.linesPending.delete(e.line);
      break;
    case 'accepted':
      s.opsAccepted.add(e.op);
      s.opsPending.delete(e.op);
      s.opsSentBefore.delete(e.op);
      s.id ??= e.id;
      break;
    case 'op':
      s.ops.set(e.op, e);
      s.opsPending.delete(e.op);
      s.opsSentBefore.delete(e.op);
      if (e.id !== undefined) s.id ??= e.id;
      break;
    case 'attachment':
      s.attachments.set(e.file, e.id);
      s.attachmentsPending.delete(e.file);
      break;
    case 'processed':
      s.processed = true;
      s.processPending = false;
      s.processSentBefore = undefined;
      break;
    case 'settled':
      s.settled = e;
      s.processed = true;
      s.processPending = false;
      s.processSentBefore = undefined;
      break;
    case 'failed':
      s.lastError = e.error;
      if (e.error.step === 'process' && e.error.code === OUTCOME_UNKNOWN && s.processPending) s.processWatched = e.rewatch !== true;
      break;
  }
}

/** Folds entries into per-invoice state. Pure: the same entries always give the same state. */
export function foldJournal(entries: Iterable<JournalEntry>): Map<string, InvoiceJournalState> {
  const states = new Map<string, InvoiceJournalState>();
  for (const e of entries) applyEntry(states, e);
  return states;
}

/**
 * Parses journal text. A torn last line (a kill in the middle of a write) is dropped and its
 * byte offset returned so the file can be cut back; anything else unreadable is refused: a
 * journal silently discarded would turn "resume" into "start over".
 */
export function parseJournal(
  text: string,
  expect: { endpoint: string; batch: string },
  path: string,
): { header: JournalHeader; entries: JournalEntry[]; validBytes: number } {
  const entries: JournalEntry[] = [];
  let offset = 0;
  let validBytes = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    // A last line without its newline is torn, even if it happens to parse: every entry is
    // written as JSON + "\n" in one write, so a missing newline means the write was cut off.
    // Dropping it is safe: an intent that never reached the disk was never sent, and a lost
    // outcome leaves its intent pending, which the engine reconciles with a look-up.
    if (nl === -1) break;
    const raw = text.slice(offset, nl);
    lineNo++;
    let entry: JournalEntry | undefined;
    try {
      entry = JSON.parse(raw) as JournalEntry;
    } catch {
      entry = undefined;
    }
    if (entry === undefined || typeof entry !== 'object' || entry === null || typeof entry.t !== 'string') {
      if (lineNo === 1) throw new JournalError(`${path} is not an invoice-load journal; refusing to use or overwrite it.`);
      throw new JournalError(
        `journal ${path} is corrupted at line ${lineNo}, which is not a torn last line left by a kill. ` +
          `Move it aside to start this batch's journal afresh (look-ups in the target still prevent duplicates).`,
      );
    }
    entries.push(entry);
    validBytes += Buffer.byteLength(raw) + 1;
    offset = nl + 1;
  }
  const header = entries[0];
  if (!header || header.t !== 'begin' || header.kind !== JOURNAL_KIND) {
    throw new JournalError(`${path} is not an invoice-load journal; refusing to use or overwrite it.`);
  }
  if (header.v !== JOURNAL_VERSION) {
    throw new JournalError(`journal ${path} has version ${String(header.v)}; this invoice-load writes version ${JOURNAL_VERSION}.`);
  }
  if (header.endpoint !== expect.endpoint || header.batch !== expect.batch) {
    throw new JournalError(`journal ${path} belongs to another batch or target (${header.endpoint}); refusing to mix them.`);
  }
  return { header, entries, validBytes };
}

export interface JournalOptions {
  path: string;
  target: string;
  endpoint: string;
  batch: string;
  /** fdatasync after each entry (default true). Off only for benchmarks that measure the API side. */
  sync?: boolean;
  now?: () => Date;
  /** Recorded in the header and each `run` entry (JournalHeader). */
  account?: string | undefined;
  files?: string[] | undefined;
  /** The thread-pool fdatasync `appendBeforeSend` waits for (tests count and hold its calls). Default node:fs. */
  fdatasync?: ((fd: number, done: (err: Error | null) => void) => void) | undefined;
  /** write(2) as node:fs `writeSync` does it: bytes written, possibly fewer (tests fill the disk). Default node:fs. */
  write?: ((fd: number, buffer: Uint8Array, offset: number, length: number) => number) | undefined;
}

/** The account and files a `begin` or `run` entry records, when given. */
const runFields = (o: Pick<JournalOptions, 'account' | 'files'>): { account?: string; files?: string[] } => ({
  ...(o.account !== undefined ? { account: o.account } : {}),
  ...(o.files !== undefined ? { files: o.files } : {}),
});

/** An open journal: read at start, then appended to. Not safe for two processes: see lock.ts. */
/** What an id in the journal was given for: an invoice, or a line of one (`line`). */
export interface IdHolder {
  vendor: string;
  number: string;
  line?: string | undefined;
}

export class Journal {
  private fd: number;
  private readonly sync: boolean;
  private readonly states: Map<string, InvoiceJournalState>;
  private readonly now: () => Date;
  readonly resumed: boolean;
  /** The last settle window a run of this batch measured (ms), if any. */
  settleWindowMs: number | undefined;
  /** The runs recorded as ended with every operation they began settled (`batch_done`). */
  readonly doneBatches = new Set<string>();
  /** The last export file handed over (`file`). */
  lastFile: Extract<JournalEntry, { t: 'file' }> | undefined;
  /** Every export file recorded (`file`), in journal order: the one in place may not be the last (cli/export.ts). */
  readonly files: Extract<JournalEntry, { t: 'file' }>[] = [];

  readonly #writeSync: NonNullable<JournalOptions['write']>;
  /** The file's size after the last whole entry: a failed write is cut back to it. */
  #size: number;
  /** Set by the first write that failed: every later write throws it. */
  #broken: JournalWriteError | undefined;
  /** The fdatasync running on the thread pool, and the one queued behind it (group commit). */
  #syncing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  readonly #fdatasync: NonNullable<JournalOptions['fdatasync']>;

  private constructor(
    fd: number,
    private readonly path: string,
    states: Map<string, InvoiceJournalState>,
    resumed: boolean,
    sync: boolean,
    now: () => Date,
    fdatasyncAsync?: JournalOptions['fdatasync'],
    write?: JournalOptions['write'],
  ) {
    this.fd = fd;
    this.#writeSync = write ?? writeSync;
    this.#size = fstatSync(fd).size;
    this.states = states;
    this.resumed = resumed;
    this.sync = sync;
    this.now = now;
    this.#fdatasync = fdatasyncAsync ?? fdatasync;
  }

  static open(opts: JournalOptions): Journal {
    const now = opts.now ?? (() => new Date());
    // Invoice data: the folder and the file for their owner alone, when made here.
    makeFolder(dirname(opts.path), 0o700);
    const sync = opts.sync ?? true;
    if (existsSync(opts.path)) {
      const text = readFileSync(opts.path, 'utf8');
      // A kill while the very first line was being written leaves a torn header and nothing else.
      const tornHeaderOnly = !text.includes('\n') && text.startsWith('{"t":"begin"');
      if (text.length > 0 && !tornHeaderOnly) {
        const { entries, validBytes } = parseJournal(text, opts, opts.path);
        const fd = openSync(opts.path, 'r+');
        ftruncateSync(fd, validBytes); // cut a torn tail so the next entry starts on a fresh line
        closeSync(fd);
        const journal = new Journal(openSync(opts.path, 'a'), opts.path, foldJournal(entries), true, sync, now, opts.fdatasync, opts.write);
        for (const e of entries) {
          journal.#unfinished.apply(e);
          journal.#foldRunLevel(e);
          journal.#noteHolder(e);
        }
        journal.append({ t: 'run', at: now().toISOString(), ...runFields(opts) });
        return journal;
      }
    }
    const journal = new Journal(openSync(opts.path, 'w', 0o600), opts.path, new Map(), false, sync, now, opts.fdatasync, opts.write);
    journal.append({
      t: 'begin',
      kind: JOURNAL_KIND,
      v: JOURNAL_VERSION,
      target: opts.target,
      endpoint: opts.endpoint,
      batch: opts.batch,
      at: now().toISOString(),
      ...runFields(opts),
    });
    return journal;
  }

  state(key: InvoiceKey): InvoiceJournalState {
    return this.states.get(stateKey(key.vendor, key.number)) ?? emptyState();
  }

  /**
   * How long ago, at least, the invoice's pending process request was sent: 0 when this run
   * wrote the intent (it may still be queued), else the time since the run after it began.
   * Lets waits for an unknown outcome add up across killed runs instead of starting over.
   */
  pendingProcessAgeMs(key: InvoiceKey): number {
    return this.#ageMs(this.state(key).processSentBefore);
  }

  /** `pendingProcessAgeMs` for the invoice's pending operation `op` (engine/operations.ts). */
  pendingOpAgeMs(key: InvoiceKey, op: string): number {
    return this.#ageMs(this.state(key).opsSentBefore.get(op));
  }

  /** How long ago `since` (an ISO time) was, 0 when unknown; a clock set back counts as no time passed. */
  #ageMs(since: string | undefined): number {
    return since === undefined ? 0 : Math.max(0, this.now().getTime() - Date.parse(since)) || 0;
  }

  /** Every invoice with operation `op` recorded: its entry, in journal order. */
  opRecords(op: string): Extract<JournalEntry, { t: 'op' }>[] {
    const out: Extract<JournalEntry, { t: 'op' }>[] = [];
    for (const s of this.states.values()) {
      const e = s.ops.get(op);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /**
   * Writes one entry durably, then folds it into the in-memory state. The `processed` or
   * `settled` entry of an invoice another journal left half-built (`finishing`) is written with a
   * `settles` entry, in one write.
   */
  append(entry: JournalEntry): void {
    const settles = this.#settlesWith(entry);
    this.#write(JSON.stringify(keptEntry(entry)) + '\n' + (settles !== undefined ? JSON.stringify(settles) + '\n' : ''));
    if (this.sync) {
      try {
        fdatasyncSync(this.fd);
      } catch (err) {
        throw this.#fail(err);
      }
    }
    this.#fold(entry);
    if (settles !== undefined) this.#fold(settles);
  }

  /** Keys (`vendor\u0000number`) of the invoices other journals left half-built, said at this run's start. */
  readonly #openElsewhere = new Set<string>();

  /**
   * The invoices other journals left half-built (engine/unfinished.ts openKeys, said at this run's
   * start): each this journal holds processed, now or once it records it, is journaled at once as
   * one this journal settles (a `settles` entry), not only in the `end` entry of a run that ends.
   */
  finishing(openElsewhere: readonly SettledKey[]): void {
    for (const k of openElsewhere) {
      this.#openElsewhere.add(`${k.vendor}\u0000${k.number}`);
      if (this.state(k).processed && !this.#unfinished.settles(k.vendor, k.number)) this.append({ t: 'settles', vendor: k.vendor, number: k.number });
    }
  }

  /** The `settles` entry to write with `entry`, when it finishes an invoice another journal left half-built. */
  #settlesWith(entry: JournalEntry): Extract<JournalEntry, { t: 'settles' }> | undefined {
    if (entry.t !== 'processed' && entry.t !== 'settled') return undefined;
    if (!this.#openElsewhere.has(`${entry.vendor}\u0000${entry.number}`) || this.#unfinished.settles(entry.vendor, entry.number)) return undefined;
    return { t: 'settles', vendor: entry.vendor, number: entry.number };
  }

  /**
   * An intent, before its request is sent: written and folded now, durable once the promise
   * resolves; the caller sends only then. The fdatasync runs on the thread pool, and one covers
   * every entry written before it began (group commit): when many invoices write their intents
   * at once (the canary's gate opening), the event loop is not held for one sync after another
   * (30 × ~3 ms measured there), which delayed the limiter's slots and bunched the sends.
   */
  appendBeforeSend(entry: JournalEntry): Promise<void> {
    try {
      this.#write(JSON.stringify(keptEntry(entry)) + '\n');
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.#fold(entry);
    return this.sync ? this.#durable().catch((err: unknown) => Promise.reject(this.#fail(err))) : Promise.resolve();
  }

  /**
   * One entry, whole, or a JournalWriteError and nothing: write(2) may write part of it and
   * then fail (a disk that fills mid-line). That part is cut off again — left, the next run
   * would take it for a kill's torn last line and drop it, and with it the intent of a request
   * that was never sent, or worse, an entry written after it would sit behind a torn line. Once
   * a write has failed, every later one fails the same way: nothing more is sent.
   */
  #write(line: string): void {
    if (this.#broken !== undefined) throw this.#broken;
    const bytes = Buffer.from(line, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += this.#writeSync(this.fd, bytes, written, bytes.length - written);
    } catch (err) {
      const failure = this.#fail(err);
      if (written > 0) {
        try {
          ftruncateSync(this.fd, this.#size);
        } catch {
          // The next run reads the fragment as a torn last line; its request was not sent.
        }
      }
      throw failure;
    }
    this.#size += bytes.length;
  }

  /** The journal is broken from now on; the error every write gives. */
  #fail(err: unknown): JournalWriteError {
    if (this.#broken !== undefined) return this.#broken;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    this.#broken = new JournalWriteError(this.path, code, pathReason(err) ?? `${code} (${(err as Error).message})`, { cause: err });
    return this.#broken;
  }

  /** Resolves once an fdatasync that began after every write so far has finished. */
  #durable(): Promise<void> {
    // Not begun yet: it covers this write too.
    if (this.#queued !== undefined) return this.#queued;
    if (this.#syncing === undefined) return this.#startSync();
    // The running one may have begun before this write: one more, after it, covers every write made meanwhile.
    const queued = this.#syncing
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#startSync();
      });
    this.#queued = queued;
    return queued;
  }

  #startSync(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.#fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
    this.#syncing = p;
    const clear = (): void => {
      if (this.#syncing === p) this.#syncing = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  #fold(entry: JournalEntry): void {
    this.#unfinished.apply(entry);
    this.#foldRunLevel(entry);
    this.#noteHolder(entry);
    applyEntry(this.states, entry);
  }

  /** What the journal leaves half-built so far (engine/unfinished.ts), folded as it is written. */
  readonly #unfinished = new UnfinishedFold();

  /**
   * The `end` entry a run that ends writes: what the journal leaves half-built, and of
   * `openElsewhere` (what other journals left so, said at this run's start) those it holds
   * processed now, with the earlier runs' `settles`.
   */
  endEntry(openElsewhere: readonly SettledKey[]): Extract<JournalEntry, { t: 'end' }> {
    const sum = this.#unfinished.summary(true);
    const settles = new Map(sum.settles.map((s) => [`${s.vendor}\u0000${s.number}`, s]));
    for (const k of openElsewhere) if (this.state(k).processed) settles.set(`${k.vendor}\u0000${k.number}`, { vendor: k.vendor, number: k.number });
    return {
      t: 'end',
      at: this.now().toISOString(),
      ran_at: sum.ranAt,
      ...(sum.account !== undefined ? { account: sum.account } : {}),
      ...(sum.files !== undefined ? { files: sum.files } : {}),
      open: sum.open.length > END_LISTS_AT_MOST ? sum.open.length : sum.open,
      ...(settles.size > 0 ? { settles: [...settles.values()] } : {}),
    };
  }

  /** Which invoice (and line) each id the journal records was given for, by id. */
  readonly #holders = new Map<string, IdHolder>();

  #noteHolder(entry: JournalEntry): void {
    if (entry.t === 'invoice' && entry.id !== '') this.#holders.set(entry.id, { vendor: entry.vendor, number: entry.number });
    else if (entry.t === 'line' && entry.id !== '') this.#holders.set(entry.id, { vendor: entry.vendor, number: entry.number, line: entry.line });
  }

  /**
   * The invoice, or the line of one, that the journal holds this id for (its `invoice` or `line`
   * entry, still the one its state has), else undefined. A write answered with an id the batch
   * already holds for something else got another request's answer (engine.ts `#notAnotherAnswer`).
   */
  holderOf(id: string): IdHolder | undefined {
    const h = this.#holders.get(id);
    if (h === undefined) return undefined;
    const st = this.state(h);
    return (h.line === undefined ? st.id === id : st.lines.get(h.line) === id) ? h : undefined;
  }

  /** What an entry about the run rather than an invoice says. */
  #foldRunLevel(entry: JournalEntry): void {
    if (entry.t === 'settle') this.settleWindowMs = entry.window_ms;
    else if (entry.t === 'batch_done') this.doneBatches.add(entry.batch);
    else if (entry.t === 'file') {
      this.lastFile = entry;
      this.files.push(entry);
    }
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
