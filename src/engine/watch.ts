/**
 * Waiting for the target to finish processing many invoices at once, reading them together.
 *
 * Alma processes an invoice asynchronously (docs/alma.md#processing-and-workflow-statuses): after
 * `op=process_invoice` the engine reads the invoice until the outcome shows. Read one by one, that
 * is one request per invoice beyond the three steps: a fifth more requests than strictly needed,
 * and at the API's per-second threshold a fifth more time. A target that can read many invoices in
 * one request (Alma: the invoice search on a vendor's code, 100 a page) offers `readInvoices`; the watch then
 * gathers the invoices of a vendor that wait on it and reads them together once that is cheap per
 * invoice — or once the oldest has waited `maxBatchWaitMs`, or no more invoices are coming
 * (`drain`), or a deadline is near. A vendor whose listing costs as much as reading its invoices
 * one by one is read at once, one by one: waiting would gain nothing. Invoices not processed yet
 * are read again later, backing off as a lone poll does, until the poll timeout; one a listing
 * still shows unprocessed then is read once more on its own.
 *
 * How long processing takes after the answer is learned from what the reads saw (how long
 * after its answer each invoice was read, and whether it showed processed): a listing read
 * mid-run holds invoices answered just before it, so the run's first listings say it. At the
 * end (`drain`), a vendor's invoices are read together once the last of them is likely
 * processed — one listing, not a listing too early for the last few and then one read each.
 * After `hold`, no listing goes for being cheap: the end is near and its reads cover them.
 * Told how many invoices will come (`expect`), the watch sees from their pace when the end's
 * read will come, and sends no listing mid-run (cheap or after 30 s) for invoices that can wait
 * for it (`maxEndWaitMs`): 200 invoices at 25-50 requests/s are then confirmed by the run's
 * first cheap listing (its lesson on how soon processing shows) and one listing per vendor at
 * the end, where each vendor used to be read every 20 invoices; a long run still confirms as it
 * goes.
 *
 * The engine releases an invoice's worker while it waits here, so the next invoice's writes go
 * on meanwhile: waiting costs no throughput.
 */
import type { InvoiceKey } from '../domain/model.js';
import type { RemoteInvoice } from '../targets/target.js';
import type { PollOptions } from './engine.js';

export interface WatchedInvoice {
  id: string;
  key: InvoiceKey;
}

/** What the watch needs of a target (the optional `Target.readInvoices` and `readCost`). */
export interface InvoiceReader {
  /** The current state of these invoices, by id; one the target could not read is left out. */
  readInvoices(wanted: readonly WatchedInvoice[]): Promise<Map<string, RemoteInvoice>>;
  /** Requests `readInvoices` would send for `count` invoices of this vendor. */
  readCost(vendor: string, count: number): number;
}

export interface WatchOptions {
  poll: PollOptions;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, any origin. */
  now: () => number;
  /** Checked at every tick: the error that ends every wait when the run is stopping. */
  stopping: () => Error | undefined;
  /**
   * A vendor's waiting invoices are read together once that costs at most this many requests an
   * invoice. Default 0.05 (a listing per 20): with the checks before sending (~0.08 an invoice
   * for 200 invoices) and the look-ups, 0.1 left no room under 0.2 extra requests an invoice.
   */
  batchCost?: number | undefined;
  /**
   * ...or once the oldest of them has been due this long (or half its time limit, if less).
   * Default 30 s: at 10 requests/s an invoice takes half a second to send, so a vendor among
   * four gathers 15 due invoices in 30 s; 10 s gave a listing per ~5 invoices, 0.25 extra
   * requests an invoice in the benchmark. Waiting holds no slot, only the invoice's progress line.
   */
  maxBatchWaitMs?: number | undefined;
  /**
   * Invoices are left for the end's read (no listing mid-run, cheap or after `maxBatchWaitMs`)
   * only when, by the pace invoices come at, that read comes before each has waited this long
   * since its answer (or 3/4 of its time limit, if less). Default 45 s, because:
   * - the time limit: the end's read then leaves at least a quarter of it (15 s of the default
   *   60 s) for re-reads at the poll's backed-off intervals, so processing that shows late is
   *   still seen before the limit, as a poll would see it;
   * - the person at the terminal: an invoice sent and processed but not yet confirmed is not
   *   counted done (the spinner shows it as "waiting for Alma", and it counts toward the pace
   *   and the time left: cli/progress.ts). It stays so for at most 45 s — as long as the 30 s
   *   wait plus the end-near rule of before already allowed — and only in the run's last 45 s:
   *   in a run shorter than that (200 invoices at 25/s take ~40 s) the done count jumps at the
   *   end instead of in thirds, in exchange for ending a few listings sooner. Longer would let
   *   the done count stand still for much of a run of a minute or two;
   * - a long run (thousands of invoices, hours): the end is not near until its last 45 s, so
   *   until then vendors are read as before (a listing per 20 invoices or after 30 s, 0.05-0.07
   *   requests an invoice); memory and the progress count never wait longer than that.
   * At 10/s a 200-invoice run lasts ~100 s, more than twice 45 s: its first invoices cannot wait
   * for the end within the bound (one round mid-run would need ~52 s), so two rounds of
   * listings mid-run remain there.
   */
  maxEndWaitMs?: number | undefined;
  /** How often the watch looks at what is due. Default 25 ms. */
  tickMs?: number | undefined;
}

export interface WatchResult {
  /** The invoice as last read. */
  remote: RemoteInvoice;
  /** False when its processing had not shown by the time limit. */
  settled: boolean;
  waitedMs: number;
}

interface Entry {
  item: WatchedInvoice;
  start: number;
  dueAt: number;
  /** Read at least once (until then it is ripe at start + the learned processing time). */
  read: boolean;
  readAt: number;
  deadline: number;
  interval: number;
  reading: boolean;
  /**
   * Missing from two reads of its vendor (a listing that lags): read on its own from then on.
   * Once is common now that a listing may go right after the answers (a just-created invoice).
   */
  alone: boolean;
  missed: number;
  /** Read once after the run began to stop: its last read. */
  finalRead?: boolean;
  last: RemoteInvoice | undefined;
  resolve: (r: WatchResult) => void;
  reject: (err: unknown) => void;
}

/** Puts an entry in its read's group: its vendor's, or its own when it is read alone (keyed by id, which cannot collide with a vendor code). */
function addToGroup(groups: Map<string, Entry[]>, e: Entry): void {
  const g = e.alone ? `\u0000${e.item.id}` : e.item.key.vendor;
  let list = groups.get(g);
  if (list === undefined) groups.set(g, (list = []));
  list.push(e);
}

/** A number of invoices no batch reaches, to ask whether reading together can ever be cheaper. */
const MANY = 1_000_000;

export class ProcessingWatch {
  readonly #reader: InvoiceReader;
  readonly #opts: WatchOptions;
  readonly #entries = new Set<Entry>();
  #draining = false;
  #holding = false;
  /** The pace of arrivals when every invoice had started, and the earliest end estimated since. */
  #holdPace: number | undefined;
  #endBound = Infinity;
  #expected: number | undefined;
  #arrived = 0;
  /** When the last few invoices began to wait. */
  #recent: number[] = [];
  #running = false;
  /**
   * The run is stopping (`stopping`): every waiting invoice is read once more, its vendor's
   * together, and what shows processed ends its wait as usual; the rest end with this error.
   */
  #final: Error | undefined;
  /** Reads in flight (`#read` never rejects). */
  readonly #reads = new Set<Promise<void>>();
  /** A read has been sent (what it sees teaches `processingMs`). */
  #readOnce = false;
  /** How long after its answer an invoice was read and seen not processed yet: the longest. */
  #notYet = 0;
  /** How long after their answers invoices were read and seen processed (the last few hundred). */
  #seenDone: number[] = [];

  constructor(reader: InvoiceReader, opts: WatchOptions) {
    this.#reader = reader;
    this.#opts = opts;
  }

  /** Resolves once the invoice's processing shows, or with its last state after `limitMs`. */
  wait(item: WatchedInvoice, limitMs: number): Promise<WatchResult> {
    const now = this.#opts.now();
    // A vendor read together may be read at once: the invoice waits for a fuller batch anyway,
    // and a read right after the answer says how soon processing shows. One read alone waits
    // the first poll interval.
    const initial = Math.min(this.#opts.poll.initialMs, limitMs);
    const first = this.#batchable(item.key.vendor) ? 0 : initial;
    this.#arrived++;
    this.#recent.push(now);
    if (this.#recent.length > 50) this.#recent.shift();
    return new Promise<WatchResult>((resolve, reject) => {
      this.#entries.add({
        item,
        start: now,
        dueAt: now + first,
        read: false,
        readAt: now,
        deadline: now + limitMs,
        interval: initial,
        reading: false,
        alone: false,
        missed: 0,
        last: undefined,
        resolve,
        reject,
      });
      if (!this.#running) void this.#pump();
    });
  }

  /** No more invoices are coming: each vendor's invoices are read once the last is likely processed. */
  drain(): void {
    this.#draining = true;
  }

  /**
   * At most this many invoices will wait here in all: with the pace they come at, the watch
   * sees when the end is near, and invoices that can wait for the end's read (`maxEndWaitMs`)
   * are left for it (at 10/s the last 30 s wait used to cost a round of listings ~10 s before
   * the end's; at 25/s two rounds went for being cheap).
   */
  expect(total: number): void {
    this.#expected = total;
  }

  /**
   * When the end's read is likely: the last invoice's answer at the pace of the last few, then
   * its processing; undefined before the pace is known. Once every invoice has started (`hold`)
   * the answers pause, then come together (the engine sends the ones with most steps left
   * first): the pace is then the one held before, and the end no later than any estimate since
   * — counted from now, a pause pushed the end later by its length. Never before now, so an
   * invoice left for the end is read by `maxEndWaitMs` anyway. Invoices that never come (failed
   * before processing) make it late: the watch then errs toward reading.
   */
  #endAt(now: number): number | undefined {
    if (this.#expected === undefined) return undefined;
    const perMs = this.#holdPace ?? this.#pace();
    if (perMs === undefined) return undefined;
    let end = now + Math.max(0, this.#expected - this.#arrived) / perMs;
    if (this.#holding) end = Math.max(now, (this.#endBound = Math.min(this.#endBound, end)));
    return end + this.processingMs;
  }

  /** Invoices a millisecond, from the last few arrivals. */
  #pace(): number | undefined {
    const recent = this.#recent;
    if (recent.length < 10) return undefined;
    return (recent.length - 1) / Math.max(1, recent[recent.length - 1]! - recent[0]!);
  }

  /** Every invoice of the group can wait for the end's read (see `maxEndWaitMs`). */
  #leaveForEnd(now: number, group: readonly Entry[]): boolean {
    const end = this.#endAt(now);
    if (end === undefined) return false;
    const most = this.#opts.maxEndWaitMs ?? 45_000;
    return group.every((e) => end <= e.start + Math.min(most, 0.75 * (e.deadline - e.start)));
  }

  /** Few more invoices are coming (all have started): no listing for being cheap until `drain`. */
  hold(): void {
    this.#holding = true;
    this.#holdPace = this.#pace();
    this.#endAt(this.#opts.now());
  }

  /**
   * How long after its answer an invoice is likely processed: the shortest wait at which a read
   * saw one processed that is longer than every wait at which one was not — but no more than
   * the first poll interval (or twice the longest not-yet wait, if longer), since a batch read
   * late says only that processing took less than that.
   */
  get processingMs(): number {
    let seen = Infinity;
    for (const ms of this.#seenDone) if (ms >= this.#notYet && ms < seen) seen = ms;
    return Math.min(seen, Math.max(this.#opts.poll.initialMs, 2 * this.#notYet));
  }

  #batchable(vendor: string): boolean {
    return this.#reader.readCost(vendor, MANY) < MANY;
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      while (this.#entries.size > 0) {
        // A stop ends no wait blindly: invoices processed before it are read as processed (their
        // workflow status and alerts in the report, journaled settled) for one read per vendor.
        // A stop that allows no request (unreachable, a refused key, the hard stop) fails those
        // reads at once, ending every wait with its error.
        if (this.#final === undefined) this.#final = this.#opts.stopping();
        if (this.#final !== undefined) {
          await this.#lastLook(this.#final);
          continue;
        }
        this.#dispatch(this.#opts.now());
        await this.#opts.sleep(this.#opts.tickMs ?? 25);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Starts a read for every group of due invoices that is worth reading now. */
  #dispatch(now: number): void {
    const groups = new Map<string, Entry[]>();
    // At the end, a vendor waits for its last invoice to be likely processed: all are read then.
    const together = (e: Entry): boolean => this.#draining && !e.alone && this.#batchable(e.item.key.vendor);
    const unripe = new Set<string>();
    if (this.#draining) {
      const processingMs = this.processingMs;
      for (const e of this.#entries) {
        if (e.reading || !together(e)) continue;
        // Likely processed by now; one read too early (mid-run, to learn) is read again then,
        // not a whole backed-off interval later — but not sooner than a poll interval.
        const likely = Math.min(e.start + processingMs, e.deadline);
        const ripeAt = e.read ? Math.min(e.dueAt, Math.max(e.readAt + this.#opts.poll.initialMs, likely)) : Math.max(e.dueAt, likely);
        if (now < ripeAt) unripe.add(e.item.key.vendor);
      }
    }
    for (const e of this.#entries) {
      if (e.reading) continue;
      if (together(e) ? unripe.has(e.item.key.vendor) : e.dueAt > now) continue;
      addToGroup(groups, e);
    }
    const batchCost = this.#opts.batchCost ?? 0.05;
    const maxWait = this.#opts.maxBatchWaitMs ?? 30_000;
    for (const group of groups.values()) {
      const vendor = group[0]!.item.key.vendor;
      const n = group.length;
      // A vendor that no number of invoices makes cheaper to read together is read now.
      const batchable = !group[0]!.alone && this.#batchable(vendor);
      const cheap = !this.#holding && this.#reader.readCost(vendor, n) <= n * batchCost;
      const waitedLong = group.some((e) => now - e.dueAt >= Math.min(maxWait, (e.deadline - e.start) / 2));
      // Before any read, a cheap listing goes as before even near the end: what it sees says how
      // soon processing shows, which times the end's reads (without it the end waits the first
      // poll interval: 0.3 s after the last answer instead of ~0 at 300-600 ms in the sandbox).
      const lesson = cheap && !this.#readOnce;
      const ready =
        !batchable ||
        this.#draining ||
        group.some((e) => e.deadline <= now) ||
        lesson ||
        ((cheap || waitedLong) && !this.#leaveForEnd(now, group));
      if (!ready) continue;
      for (const e of group) e.reading = true;
      this.#readOnce = true;
      this.#track(this.#read(group, now));
    }
  }

  /**
   * One read of every waiting invoice, a vendor's together (one being read already has that read
   * as its last); resolves when every read in flight has ended.
   */
  async #lastLook(stop: Error): Promise<void> {
    const groups = new Map<string, Entry[]>();
    for (const e of this.#entries) {
      if (e.reading) {
        e.finalRead = true;
        continue;
      }
      if (e.finalRead) {
        // Read after the stop and still not processed: its wait ends with the stop.
        this.#entries.delete(e);
        e.reject(stop);
        continue;
      }
      addToGroup(groups, e);
    }
    for (const group of groups.values()) {
      for (const e of group) {
        e.reading = true;
        e.finalRead = true;
      }
      this.#track(this.#read(group, this.#opts.now()));
    }
    await Promise.all([...this.#reads]);
  }

  /** Keeps a read in `#reads` while it is in flight. */
  #track(read: Promise<void>): void {
    this.#reads.add(read);
    void read.finally(() => this.#reads.delete(read));
  }

  /** What a read saw: how long after its answer each invoice was read, processed or not. */
  #learn(e: Entry, sentAt: number, processed: boolean): void {
    const ms = sentAt - e.start;
    if (!processed) this.#notYet = Math.max(this.#notYet, ms);
    else {
      this.#seenDone.push(ms);
      if (this.#seenDone.length > 500) this.#seenDone.shift();
    }
  }

  async #read(group: Entry[], sentAt: number): Promise<void> {
    let got: Map<string, RemoteInvoice>;
    try {
      got = await this.#reader.readInvoices(group.map((e) => e.item));
    } catch (err) {
      for (const e of group) {
        this.#entries.delete(e);
        e.reject(err);
      }
      return;
    }
    const now = this.#opts.now();
    for (const e of group) {
      e.reading = false;
      e.read = true;
      e.readAt = sentAt;
      const remote = got.get(e.item.id);
      if (remote !== undefined) this.#learn(e, sentAt, remote.processed);
      if (remote === undefined && e.alone) {
        // Read on its own, so the target had to answer or throw.
        this.#entries.delete(e);
        e.reject(new Error(`the target's answer left out invoice ${e.item.id}`));
        continue;
      }
      if (remote !== undefined) e.last = remote;
      else e.alone = ++e.missed >= 2;
      if (remote?.processed !== true && now >= e.deadline && remote !== undefined && !e.alone && this.#batchable(e.item.key.vendor)) {
        // At its limit and still not processed in its vendor's listing: read once more on its
        // own (by id) before saying so. How fresh a listing's statuses are is not documented
        // (docs/alma.md#look-ups-and-how-fresh-they-are); a read by id shows the record itself.
        // Costs a request only for an invoice that reaches its limit.
        e.alone = true;
        e.dueAt = now;
        continue;
      }
      if (remote?.processed === true || (now >= e.deadline && e.last !== undefined)) {
        this.#entries.delete(e);
        e.resolve({ remote: e.last!, settled: remote?.processed === true, waitedMs: now - e.start });
        continue;
      }
      // Not yet: again later, backing off as a lone poll would, and once more at the deadline.
      e.interval = Math.min(e.interval * 2, this.#opts.poll.maxIntervalMs);
      // Missing once: in the vendor's next read, after a first poll interval.
      const missing = e.alone ? 0 : this.#opts.poll.initialMs;
      e.dueAt = remote === undefined ? now + missing : Math.min(now + e.interval, Math.max(e.deadline, now));
    }
  }
}
