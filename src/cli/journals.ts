/**
 * Where a command's journal lives and how it is opened: one file per place and batch under
 * `<state>/journals/`, opened under its lock (engine/lock.ts), so two runs never write one
 * journal. The load, `export` and `payments` all name and open their journals here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { makeFolder, wholeLineChunks } from '../common/fs.js';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { namedList } from '../domain/cells.js';
import { keyString, type InvoiceKey } from '../domain/model.js';
import { foldJournal, Journal, JOURNAL_KIND, parseJournal, type JournalEntry } from '../engine/journal.js';
import { acquireLock, lockHolder, type HeldLock, type LockInfo } from '../engine/lock.js';
import { JournalError } from '../common/errors.js';
import { addressOnly } from '../common/fingerprint.js';

/** The first 12 hex digits of a SHA-256: an endpoint or a batch's identity in a file name. */
export const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

/**
 * `<state>/journals/<name>-<endpoint hash>-<batch>.jsonl`: the name is the target's (or its
 * action's, or the command's), so the same batch at another endpoint, or under another action,
 * has a journal of its own. The endpoint names the account as well as the address (the key's
 * fingerprint, common/fingerprint.ts): one host serves Alma's sandbox and production institutions.
 */
export function journalPath(stateDir: string, name: string, endpoint: string, batch: string): string {
  return join(stateDir, 'journals', `${name}-${shortHash(endpoint)}-${batch}.jsonl`);
}

/**
 * An action's journal says "done" for every invoice it finished; once the opposite action has
 * run on the same batch, that is no longer true (a cancelled invoice was reactivated), so the
 * opposite journal is removed — under its lock, so a run using it is never pulled from under.
 * Then cancel, reactivate, cancel on one batch each do their work.
 */
export function voidJournal(path: string): void {
  const release = acquireLock(path + '.lock');
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    release();
  }
}

/** What a journal's lock names in its refusal: a load's journal is its batch's; `export` keeps one per output file (and status), `payments` one per file. */
const lockSubject = (name: string): string => (name === 'export' || name === 'handover' ? 'this export file' : name === 'payments' ? 'these payment confirmations' : 'this batch');

export interface JournalPlace {
  stateDir: string;
  /** First part of the file name (journalPath). */
  name: string;
  endpoint: string;
  batch: string;
  /** The target recorded in the journal's header. */
  target: string;
  fsync: boolean;
  /** The opposite action's name: its journal of this batch is voided first (voidJournal). */
  voids?: string | undefined;
  /** Recorded in the journal's `begin` and `run` entries (engine/journal.ts JournalHeader). */
  account?: string | undefined;
  files?: string[] | undefined;
}

/**
 * Opens the journal under its lock; releasing the lock and closing the journal join `cleanups`.
 * `held`: what the lock says of this run (claimInvoices names it).
 */
export function openLockedJournal(at: JournalPlace, cleanups: (() => Promise<void> | void)[]): { journal: Journal; path: string; held: LockInfo; tookOver?: HeldLock['tookOver'] } {
  // The state dir holds invoice data: made for its owner alone (0700), as are the files in it (0600).
  // One that exists keeps its mode.
  makeFolder(join(at.stateDir, 'journals'), 0o700);
  const path = journalPath(at.stateDir, at.name, at.endpoint, at.batch);
  if (at.voids !== undefined) voidJournal(journalPath(at.stateDir, at.voids, at.endpoint, at.batch));
  const lock = acquireLock(path + '.lock', undefined, lockSubject(at.name));
  cleanups.push(lock);
  const journal = Journal.open({ path, target: at.target, endpoint: at.endpoint, batch: at.batch, sync: at.fsync, account: at.account, files: at.files });
  cleanups.push(() => journal.close());
  return { journal, path, held: lock.held, ...(lock.tookOver !== undefined ? { tookOver: lock.tookOver } : {}) };
}

/**
 * The entries of a journal that is read, not written to: read whole under its lock (a run using
 * it finishes first), its torn last line, if any, left out. Undefined when there is none.
 * `export` reads the journals that an earlier version named by another key (cli/export.ts).
 */
export function readLockedJournal(at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>): JournalEntry[] | undefined {
  const path = journalPath(at.stateDir, at.name, at.endpoint, at.batch);
  if (!existsSync(path)) return undefined;
  const release = acquireLock(path + '.lock', undefined, lockSubject(at.name));
  try {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // As Journal.open: empty, or a header torn by a kill, is a journal with nothing in it.
    if (text.length === 0 || (!text.includes('\n') && text.startsWith('{"t":"begin"'))) return undefined;
    return parseJournal(text, at, path).entries;
  } finally {
    release();
  }
}

/**
 * The files of this place (target name and address) in `<state>/journals/` whose names end in
 * `suffix` — its journals (`.jsonl`), their claims (`.jsonl.claims`) — as paths, all but `except`
 * (this run's own); none when the folder is missing.
 */
function placeFiles(at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint'>, suffix: string, except: string): string[] {
  const dir = join(at.stateDir, 'journals');
  const prefix = `${at.name}-${shortHash(at.endpoint)}-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix) && n.endsWith(suffix)).map((n) => join(dir, n)).filter((p) => p !== except);
}

/**
 * The journals of this place (`name` and endpoint) in `<state>/journals/`, as paths with their
 * batch (the last part of the name), all but `except`: export reads the other files' hand-over
 * journals to find a run cut short (cli/export.ts).
 */
export function placeJournals(at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint'>, except: string): { path: string; batch: string }[] {
  const prefix = `${at.name}-${shortHash(at.endpoint)}-`;
  return placeFiles(at, '.jsonl', except).map((path) => ({ path, batch: basename(path).slice(prefix.length, -'.jsonl'.length) }));
}

/**
 * The operations `op` this loader's `name` journals (`export`: mark_in_erp; `payments`: rejected)
 * at this place saw done, by invoice id: for each, when its first request left (journal.ts
 * `opsSentAt`; read without their locks). Entries written before sends were timed have no time,
 * and count for nothing. How export reads payments' rejections and payments export's marks.
 */
export function doneOpTimes(at: { stateDir: string; endpoint: string }, name: string, op: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { path, batch } of placeJournals({ stateDir: at.stateDir, name, endpoint: at.endpoint }, '')) {
    for (const st of foldJournal(peekJournal(path, at.endpoint, batch) ?? []).values()) {
      const done = st.ops.get(op);
      const sentAt = st.opsSentAt.get(op);
      if (done === undefined || done.outcome !== 'done' || sentAt === undefined) continue;
      out.set(done.id, [...(out.get(done.id) ?? []), sentAt]);
    }
  }
  return out;
}

/**
 * The entries of a journal read without its lock (a reader never holds up, nor is held up by, a
 * run using it), its torn last line left out. Undefined when there is none or it cannot be read
 * or parsed.
 */
export function peekJournal(path: string, endpoint: string, batch: string): JournalEntry[] | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length === 0 || !text.includes('\n')) return undefined;
    return parseJournal(text, { endpoint, batch }, path).entries;
  } catch {
    return undefined;
  }
}

/**
 * The entries of the journals of `name` and `batch` kept at this address under another key, or
 * by an earlier version under none (the address alone): read without their lock, each one's
 * header saying which. `export` guards the hand-over file they recorded (cli/export.ts
 * refuseToReplace): a key replaced, or a journal from before the key's fingerprint, must not let
 * a file the finance system has not taken be replaced without `--replace`. Nothing else of
 * theirs is taken — they may be another institution's.
 */
export function atAddressUnderOtherKeys(at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>): JournalEntry[][] {
  const address = addressOnly(at.endpoint);
  if (address === undefined) return [];
  const dir = join(at.stateDir, 'journals');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const own = basename(journalPath(at.stateDir, at.name, at.endpoint, at.batch));
  const out: JournalEntry[][] = [];
  for (const n of names) {
    if (n === own || !n.startsWith(`${at.name}-`) || !n.endsWith(`-${at.batch}.jsonl`)) continue;
    let header: { endpoint?: unknown };
    try {
      const text = readFileSync(join(dir, n), 'utf8');
      header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { endpoint?: unknown };
    } catch {
      continue;
    }
    const endpoint = typeof header.endpoint === 'string' ? header.endpoint : undefined;
    if (endpoint === undefined || (endpoint !== address && addressOnly(endpoint) !== address)) continue;
    if (n !== basename(journalPath(at.stateDir, at.name, endpoint, at.batch))) continue;
    const entries = peekJournal(join(dir, n), endpoint, at.batch);
    if (entries !== undefined) out.push(entries);
  }
  return out;
}

/** What a run's claims file holds: its lock's identity, and the invoices it may write (`shortHash` of each keyString). */
interface Claims {
  pid: number;
  started: string;
  keys: string[];
}

/** The most invoices one refusal names; the rest are counted. */
const CLAIMS_NAMED = 3;

/**
 * Claims this run's invoices against the other runs loading into the same place at this moment.
 *
 * The journal's lock keeps two runs of one batch apart; two *different* files that share an
 * invoice (a vendor's corrected re-send, say), run at the same time, would each look the invoice
 * up before the other had made it, and each create it — where Alma lets invoice numbers repeat
 * (docs/alma.md) nothing else stops that. So each run writes the invoices it may write beside its
 * journal (`<journal>.claims`, written whole by a rename, removed when the run ends), then reads
 * the claims of the other runs of this place whose journal lock is held: any invoice in both, and
 * the run stops before its first request (exit 2), naming the invoices and the other run. Each
 * run writes before it reads, so of two starting together at least one sees the other (both may,
 * and both stop: nothing is sent twice). `keys`: the invoices this run may write; `held` says
 * who holds this run's own lock (the claims name it, so a claims file a killed run left behind
 * is not taken for a live one).
 */
export function claimInvoices(
  at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>,
  held: Pick<LockInfo, 'pid' | 'started'>,
  keys: readonly InvoiceKey[],
  cleanups: (() => Promise<void> | void)[],
): void {
  const [first] = claimedElsewhere(at, held, keys, cleanups);
  if (first === undefined) return;
  const { holder, shared } = first;
  const named = namedList(shared.map((k) => `${k.vendor} ${k.number}`), CLAIMS_NAMED);
  const where = holder.host !== hostname() ? ` on host ${holder.host}` : '';
  throw new JournalError(
    `another invoice-load run${where} (pid ${holder.pid}, started ${holder.started}) is loading ${shared.length === 1 ? 'an invoice' : `${shared.length.toLocaleString('en-US')} invoices`} of this batch into the same place now (${named}); ` +
      `two runs sending one invoice at once could both create it: wait for it to finish, then run again.`,
  );
}

/** Invoices another live run has claimed (claimedElsewhere), and that run's lock. */
export interface ClaimedElsewhere {
  holder: LockInfo;
  shared: InvoiceKey[];
}

/**
 * claimInvoices' claim, without its refusal: writes this run's claims (`keys`), then gives the
 * invoices of them that a live run of another journal of this place claims, by that run. `export`
 * and `payments` leave those out and say so (one file's invoices are another's too), where a
 * load stops.
 */
export function claimedElsewhere(
  at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>,
  held: Pick<LockInfo, 'pid' | 'started'>,
  keys: readonly InvoiceKey[],
  cleanups: (() => Promise<void> | void)[],
): ClaimedElsewhere[] {
  const found: ClaimedElsewhere[] = [];
  const own = journalPath(at.stateDir, at.name, at.endpoint, at.batch) + '.claims';
  const mine = new Map(keys.map((k) => [shortHash(keyString(k)), k]));
  const tmp = `${own}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: held.pid, started: held.started, keys: [...mine.keys()] } satisfies Claims) + '\n', { mode: 0o600 });
  renameSync(tmp, own);
  cleanups.push(() => {
    try {
      unlinkSync(own);
    } catch {
      // already gone
    }
  });
  for (const path of placeFiles(at, '.jsonl.claims', own)) {
    const holder = lockHolder(path.slice(0, -'.claims'.length) + '.lock');
    if (holder === undefined) continue;
    let theirs: Claims;
    try {
      theirs = JSON.parse(readFileSync(path, 'utf8')) as Claims;
    } catch {
      continue; // gone since the listing, or not ours to read
    }
    if (theirs.pid !== holder.pid || theirs.started !== holder.started) continue; // left by an earlier run of that journal
    const shared = theirs.keys.flatMap((h) => mine.get(h) ?? []);
    if (shared.length > 0) found.push({ holder, shared });
  }
  return found;
}

/**
 * The entries about `keys` in this place's other journals (the same name and endpoint, other
 * batches; and those an earlier version kept at the address alone, this batch's too) written to
 * in the last `withinMs`: what an earlier run of an edited file sent
 * (engine/elsewhere.ts). A journal older than that is left unread — its writes show in the
 * look-ups by now — so a state folder with years of nightly journals costs a directory listing;
 * one read is streamed and only the entries about this batch's invoices kept, so a large batch
 * loaded just before costs time, not memory. One that cannot be read or parsed is passed over:
 * it would only add to what the look-ups find, and its own batch's run says what is wrong with it.
 */
export function readOtherJournals(
  at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>,
  withinMs: number,
  now: number,
  keys: readonly InvoiceKey[],
): JournalEntry[][] {
  const wanted = new Set(keys.map(keyString));
  const out: JournalEntry[][] = [];
  // The journals an earlier version kept at this address alone, before the key's fingerprint was
  // part of the place (common/fingerprint.ts), this batch's own among them: they may be this
  // account's or another's at the address, so they are never resumed — but what they sent lately
  // is read as another journal's is, each invoice read by id before it is taken (engine/elsewhere.ts),
  // so a batch killed just before an upgrade is finished without doubling (README "Exactly once").
  const before = addressOnly(at.endpoint);
  const places = [{ endpoint: at.endpoint, except: journalPath(at.stateDir, at.name, at.endpoint, at.batch) }, ...(before !== undefined ? [{ endpoint: before, except: '' }] : [])];
  for (const place of places) {
    for (const path of placeFiles({ ...at, endpoint: place.endpoint }, '.jsonl', place.except)) {
      try {
        if (now - statSync(path).mtimeMs > withinMs) continue;
        const entries = entriesAbout(path, place.endpoint, wanted);
        if (entries.length > 0) out.push(entries);
      } catch {
        continue;
      }
    }
  }
  return out;
}

/**
 * This batch's journal as an earlier version named it, by the address alone (before the key's
 * fingerprint was part of the place), when there is one: a load says it is not resumed.
 */
export function journalBeforeFingerprint(at: Pick<JournalPlace, 'stateDir' | 'name' | 'endpoint' | 'batch'>): string | undefined {
  const before = addressOnly(at.endpoint);
  if (before === undefined) return undefined;
  const path = journalPath(at.stateDir, at.name, before, at.batch);
  return existsSync(path) ? path : undefined;
}

/**
 * A journal's entries about the invoices in `wanted` (by keyString), read a chunk at a time.
 * Throws when it is not a journal of `endpoint` or a line other than a torn last one does not
 * parse (what parseJournal refuses too).
 */
function entriesAbout(path: string, endpoint: string, wanted: ReadonlySet<string>): JournalEntry[] {
  const out: JournalEntry[] = [];
  let first = true;
  for (const text of wholeLineChunks(path)) {
    const lines = text.split('\n');
    lines.pop(); // after the piece's last line break: nothing
    for (const line of lines) {
      const e = JSON.parse(line) as JournalEntry;
      if (first) {
        if (e.t !== 'begin' || e.kind !== JOURNAL_KIND || e.endpoint !== endpoint) throw new Error(`${path} is not a journal of ${endpoint}`);
        first = false;
      } else if ('vendor' in e && wanted.has(keyString(e))) out.push(e);
    }
  }
  return out;
}
