/**
 * Finding invoices that already exist in Alma (docs/alma.md#look-ups-and-how-fresh-they-are), for
 * idempotent re-runs.
 *
 * Alma has no exact look-up by vendor + number. Both ways use the invoice search
 * `GET /acq/invoices/` (the path as the OAS declares it), whose `base_status`, `invoice_workflow_status`
 * and `owner` are "All by default" (OAS), so an invoice closed, paid or of another owner is found too;
 * both are post-filtered for an exact `number` AND `vendor.value`:
 * - by number: `q=invoice_number~N`. `~` matches WORDS (OAS "Searching for words from…"), so
 *   `INV-1` also finds `INV-1-B`; one request per invoice, more when the word is common enough
 *   to need paging.
 * - by vendor: `q=vendor_code~CODE`, 100 per page: every invoice of that vendor (and those of
 *   vendors whose code shares its words), once read whole and unmoved (`#listVendor`). Not
 *   `GET /acq/vendors/{code}/invoices`: the OAS says nothing of which invoices that lists (statuses?
 *   owners?), and a listing that leaves out a closed invoice would have it created a second time
 *   after a lost journal (docs/alma.md#look-ups-and-how-fresh-they-are).
 *
 * Trade-off (serves the "≤ 2 extra requests per invoice, look-ups and status polls included"
 * budget): for a vendor with k ≥ 2 invoices in the batch, the first page of its search tells how
 * many pages p it has (counting the empty one read after a full last page: the read ends on a
 * short page, `wholeListingStep`; and counting other vendors' entries the word match brings). If
 * p ≤ k, reading it costs p requests instead of k searches, so the rest is read and the snapshot
 * answers non-fresh look-ups. If p > k, searching each is cheaper and the one page read is the
 * price of finding out. A vendor with one invoice is always searched by number (a listing can
 * never beat one search). `fresh` look-ups, used after a write whose outcome is unknown, always
 * search live.
 *
 * When: `prepare` lists every vendor worth listing and searches the invoice of each vendor with
 * one, all at once, beside the checks before sending, and resolves when all are answered; the
 * load then asks for every invoice before its first write (engine.ts `startLookups`: answered
 * from a vendor's snapshot or from `prepare`'s search), so an invoice Alma holds with another
 * total is reported with the other problems, before anything is sent. The listings cost what they did when each waited for its vendor's
 * first invoice; only their time moved, into the wave before the first write.
 */
import { ApiError, isRefusal, runStopOf } from '../../common/errors.js';
import { isJsonObject, JsonNumber, jsonText, stringifyJson, type JsonValue } from '../../common/json.js';
import { keyString, type InvoiceKey } from '../../domain/model.js';
import type { JsonClient } from '../../transport/http.js';
import { repeatedPageCheck } from '../pages.js';
import type { RemoteInvoice } from '../target.js';
import { listOf, toInt, toRemoteInvoice } from './remote.js';

/** Alma's largest page (`limit` 0-100, OAS). */
export const PAGE_SIZE = 100;

/**
 * Reads every page of a list answer. Pages advance by the items received and stop at
 * `total_record_count` or at an empty page (a zero-hit page has no item key at all,
 * docs/alma.md#the-json-shape-list-naming-amounts-dates). A page's items are read as any list in
 * an answer is (`listOf`): under the item's name (`invoice`, an array or one object) or under the
 * list's own name, which Alma's XSDs make the item's plural (`invoices`, `invoice_lines`,
 * `attachments`, `funds`, `po_lines`), plain or with the items inside
 * (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts).
 *
 * A listing cut short makes a line, an attachment or an invoice that exists look absent, and it
 * is then sent again; so a listing that cannot be read whole fails instead
 * (docs/alma.md#look-ups-and-how-fresh-they-are):
 * - a page without items while `total_record_count` says more are left (items under another key,
 *   a server that stops early) is an unreadable answer (`BAD_RESPONSE`), and so is a page with
 *   neither entries nor a `total_record_count` key (`{}`), which no source shows as an empty list;
 * - without a usable total ("", absent), paging goes on to an empty page, not to the first short
 *   one: a server that gives fewer than `limit` a page (its own cap, or the OAS default of 10 for
 *   a `limit` it ignores) would otherwise end the listing after its first page. That costs one
 *   request more, only for such a listing;
 * - a page that repeats the one before (an `offset` the server ignores; the rule of every
 *   target, pages.ts `repeatsPage`) fails: without a total it would page forever, with one it
 *   would reach the total by counting the same entries twice and leave the rest unread.
 * A listing that proves an invoice absent (`provesAbsence`, a vendor's search) is read by a
 * stricter rule, `wholeListingStep`, and any disagreement between its pages and its count fails it.
 * `what` names the request in the message (`GET /acq/invoices/{id}/lines`).
 */
export async function readAllPages(
  fetchPage: (offset: number) => Promise<JsonValue>,
  itemKey: string,
  first?: JsonValue,
  what?: string,
  opts: { provesAbsence?: { limit: number } } = {},
): Promise<JsonValue[]> {
  const out: JsonValue[] = [];
  const named = what ?? `the list of ${itemKey}`;
  let page = first ?? (await fetchPage(0));
  const repeated = repeatedPageCheck();
  let firstTotal: number | undefined;
  for (;;) {
    const got = isJsonObject(page) ? listOf(page, `${itemKey}s`, itemKey) : [];
    const total = isJsonObject(page) ? toInt(page['total_record_count']) : undefined;
    if (opts.provesAbsence !== undefined) {
      if (repeated(got)) throw cutShort(`${named}: the page at offset ${out.length} repeats the one before it (offset not applied), so the list cannot be read whole`);
      firstTotal ??= total;
      const step = wholeListingStep({ read: out.length, got: got.length, total, firstTotal, limit: opts.provesAbsence.limit });
      if (typeof step === 'object') throw cutShort(`${named}: ${step.disagree}, so the list cannot be trusted whole`);
      // One by one, not push(...got): a page of ~125,000 entries spread into one call overflows the stack.
      for (const item of got) out.push(item);
      if (step === 'end') return out;
      page = await fetchPage(out.length);
      continue;
    }
    if (got.length === 0) {
      // `{}` (or no object at all) is no documented empty answer: a zero-hit page says
      // `{"total_record_count": 0}` (sample 10, docs/alma.md#the-json-shape-list-naming-amounts-dates).
      // Read as the end, it would make an invoice that exists look absent, and it would be created again.
      if (!isJsonObject(page) || !('total_record_count' in page || itemKey in page || `${itemKey}s` in page)) {
        throw cutShort(`${named}: the page at offset ${out.length} holds neither "${itemKey}" entries nor a total_record_count (it is ${shortText(page)}), so whether the list ends there cannot be told`);
      }
      if (total !== undefined && out.length < total) {
        throw cutShort(`${named}: the page at offset ${out.length} has no "${itemKey}" entries, but total_record_count is ${total} and ${out.length} were read`);
      }
      return out;
    }
    // With a total too: the same page again would reach it with entries counted twice, the rest unread.
    if (repeated(got)) throw cutShort(`${named}: the page at offset ${out.length} repeats the one before it (offset not applied), so the list cannot be read whole`);
    for (const item of got) out.push(item);
    if (total !== undefined && out.length >= total) return out;
    page = await fetchPage(out.length);
  }
}

/**
 * The end of a listing that proves absence (a vendor's search), as a careful client reads it:
 * it ends on a page shorter than `limit` (after a full page, the next one, empty), and only
 * there, with exactly `total_record_count` entries read, every page giving the first page's
 * total. Where the pages and the count disagree — more entries than the total, a short page
 * before it, a full page that reaches it followed by more, a total that changed or went
 * missing between pages (an invoice added or deleted meanwhile shifts another across a page
 * boundary unread) — the listing proves nothing (docs/alma.md#look-ups-and-how-fresh-they-are).
 * `read` counts the entries before this page, `got` this page's.
 */
export function wholeListingStep(p: { read: number; got: number; total: number | undefined; firstTotal: number | undefined; limit: number }): 'more' | 'end' | { disagree: string } {
  const at = `the page at offset ${p.read}`;
  if (p.total === undefined) return { disagree: `${at} has no usable total_record_count` };
  if (p.total !== p.firstTotal) return { disagree: `${at} gives total_record_count ${p.total}, the first page ${p.firstTotal ?? 'none'}` };
  const read = p.read + p.got;
  if (read > p.total) return { disagree: `${read} entries were read by ${at}, more than total_record_count ${p.total}` };
  if (p.got >= p.limit) return 'more';
  if (read < p.total) return { disagree: `${at} holds ${p.got} entries, fewer than the ${p.limit} asked, but total_record_count is ${p.total} and ${read} were read` };
  return 'end';
}

/** An answer as a message shows it: its JSON, cut to 80 characters. */
function shortText(v: JsonValue): string {
  const t = stringifyJson(v);
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
}

/** A list answer that cannot be read whole: unreadable, as an answer that is not JSON is (transport/http.ts). */
function cutShort(message: string): ApiError {
  return new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message });
}

/** The search's "Invoice X not found" (OAS, `GET /acq/invoices/`). */
const SEARCH_FOUND_NOTHING = '412400';

export class InvoiceLookup {
  readonly #http: JsonClient;
  /** vendor code → (key string → invoices), for vendors listed in full by `prepare`. */
  readonly #snapshots = new Map<string, Map<string, RemoteInvoice[]>>();
  /**
   * vendor code → numbers its snapshot cannot answer: an entry with the number said no vendor and
   * was not read by id (the batch does not name it), so such a look-up searches instead.
   */
  readonly #unsure = new Map<string, Set<string>>();
  /**
   * vendor code → how many entries its search holds (its first page says: other vendors' entries
   * the word match brings count too, their pages are paid as well), plus invoices created since.
   */
  readonly #totals = new Map<string, number>();
  /** vendor code → its invoices in the batch, for vendors worth listing not yet listed (a failed listing returns here). */
  readonly #deferred = new Map<string, number>();
  /** key string → the search `prepare` sent for an invoice of a vendor with one invoice in the batch. */
  readonly #searches = new Map<string, Promise<RemoteInvoice[]>>();
  /** vendor code → its listing in flight (or done): every `find` of the vendor waits for the same one. */
  readonly #listings = new Map<string, Promise<void>>();
  /** vendor code → the batch's invoice numbers: their entries in a listing keep the answer (`held`), the vendor's others do not. */
  readonly #wanted = new Map<string, Set<string>>();

  constructor(http: JsonClient) {
    this.#http = http;
  }

  /** Vendors answered from a snapshot (for tests and diagnostics). */
  get listedVendors(): string[] {
    return [...this.#snapshots.keys()];
  }

  async prepare(keys: InvoiceKey[]): Promise<void> {
    const perVendor = new Map<string, Set<string>>();
    for (const k of keys) {
      const set = perVendor.get(k.vendor) ?? new Set<string>();
      set.add(k.number);
      perVendor.set(k.vendor, set);
    }
    for (const [vendor, numbers] of perVendor) this.#wanted.set(vendor, new Set([...(this.#wanted.get(vendor) ?? []), ...numbers]));
    const searches: Promise<unknown>[] = [];
    for (const [vendor, numbers] of perVendor) {
      if (numbers.size >= 2) {
        if (!this.#snapshots.has(vendor) && !this.#listings.has(vendor)) this.#deferred.set(vendor, numbers.size);
        continue;
      }
      // A vendor with one invoice here: its search goes in the same wave as the listings (the
      // load asks for every invoice before its first write), kept for that invoice's look-up.
      for (const number of numbers) {
        const key = { vendor, number };
        const search = this.search(key);
        this.#searches.set(keyString(key), search);
        // Its failure is the look-up's to report (`find`); here it is only waited for.
        searches.push(search.catch(() => undefined));
      }
    }
    await Promise.all([...[...this.#deferred.keys()].map((vendor) => this.#listed(vendor)), ...searches]);
  }

  /**
   * `signal` (the engine's, for an invoice nothing was sent to) ends this look-up's own reads at
   * once when aborted, with its reason. Such a look-up does not start a vendor's listing, which
   * other look-ups would share and lose with it: it searches its invoice instead, and waits for
   * a listing already going only until the signal.
   */
  async find(key: InvoiceKey, opts: { fresh: boolean; signal?: AbortSignal | undefined }): Promise<RemoteInvoice[]> {
    const signal = opts.signal;
    if (opts.fresh) return this.search(key, signal);
    // Searched by `prepare`: answered once from that search (a later look-up asks again).
    const searched = this.#searches.get(keyString(key));
    if (searched !== undefined) {
      this.#searches.delete(keyString(key));
      return signal === undefined ? searched : untilAborted(searched, signal);
    }
    if (signal === undefined) await this.#listed(key.vendor);
    else if (this.#listings.has(key.vendor)) await untilAborted(this.#listings.get(key.vendor)!, signal);
    const snapshot = this.#snapshots.get(key.vendor);
    if (snapshot !== undefined && this.#unsure.get(key.vendor)?.has(key.number) !== true) return [...(snapshot.get(keyString(key)) ?? [])];
    return this.search(key, signal);
  }

  /** Lists a vendor `prepare` chose for a listing, once, however many ask at the same time. */
  #listed(vendor: string): Promise<void> {
    let listing = this.#listings.get(vendor);
    if (listing === undefined) {
      const count = this.#deferred.get(vendor);
      if (count === undefined) return Promise.resolve();
      this.#deferred.delete(vendor);
      listing = this.#listVendor(vendor, count);
      this.#listings.set(vendor, listing);
      // A failed listing (auth, daily threshold, unreachable) is not kept: the next asker lists again.
      listing.catch(() => {
        this.#listings.delete(vendor);
        this.#deferred.set(vendor, count);
      });
    }
    return listing;
  }

  /** An invoice of this vendor was created: its search grows by one. */
  noteCreated(vendor: string): void {
    const total = this.#totals.get(vendor);
    if (total !== undefined) this.#totals.set(vendor, total + 1);
  }

  /**
   * Requests to read these invoices of one vendor: the pages of its search by vendor code when
   * that is fewer than one read each (known once `prepare` read its first page; the pages hold
   * the entries of vendors whose code shares a word, too), else one each.
   */
  readCost(vendor: string, count: number): number {
    const total = this.#totals.get(vendor);
    const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE));
    return pages !== undefined && pages < count ? pages : count;
  }

  /**
   * The vendor's whole search by vendor code, by invoice id, to read many of its invoices at once
   * (their statuses and alerts, after processing); undefined when it cannot be read, so the caller
   * reads them one by one. Presence only: the caller takes the ids it asks for (ids are unique,
   * so another vendor's entry the word match brings is never taken for one), and reads by id
   * each invoice it does not show.
   */
  async listVendor(vendor: string): Promise<Map<string, RemoteInvoice> | undefined> {
    let all: JsonValue[];
    try {
      all = await readAllPages((offset) => this.#searchPage(vendorQuery(vendor), offset), 'invoice', undefined, searchWhat(vendorQuery(vendor)));
    } catch (err) {
      if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
      return undefined;
    }
    this.#totals.set(vendor, Math.max(all.length, this.#totals.get(vendor) ?? 0));
    const byId = new Map<string, RemoteInvoice>();
    for (const v of all) {
      const inv = toRemoteInvoice(v);
      if (inv !== undefined) byId.set(inv.id, inv);
    }
    return byId;
  }

  /**
   * One page of the invoice search. The OAS lists 412400 "Invoice X not found" among this search's
   * errors: a search that finds nothing may say so that way rather than with
   * `{"total_record_count": 0}` (sample 10), and it means no match.
   */
  async #searchPage(q: string, offset: number, signal?: AbortSignal): Promise<JsonValue> {
    try {
      return await this.#http.json({
        method: 'GET',
        // The search as the OAS declares it, with the trailing slash (the create is declared without).
        path: '/acq/invoices/',
        query: { q, limit: PAGE_SIZE, offset, view: 'brief' },
        signal,
      });
    } catch (err) {
      // No item: none found. Not from an error document under a 2xx (`inSuccess`): nothing shows
      // Alma answering so, and absence read from it would create an invoice that exists again
      // (docs/alma.md#errors-error-codes-and-alerts).
      if (err instanceof ApiError && isRefusal(err) && !err.inSuccess && err.code === SEARCH_FOUND_NOTHING) return { total_record_count: new JsonNumber('0') };
      throw err;
    }
  }

  /** Live word search by number (`#searchPage`), post-filtered for the exact vendor and number. */
  async search(key: InvoiceKey, signal?: AbortSignal): Promise<RemoteInvoice[]> {
    const q = `invoice_number~${key.number}`;
    const all = await readAllPages((offset) => this.#searchPage(q, offset, signal), 'invoice', undefined, searchWhat(q));
    return this.#exactMatches(all, key, signal);
  }

  /**
   * The search's entries with exactly this number and vendor. An entry with the number that says
   * no vendor (a brief answer need not carry every field, docs/alma.md#look-ups-and-how-fresh-they-are)
   * is read by its id to learn it, and one that gives no id at all (neither `id` nor a `link`
   * ending in one) fails the look-up: skipped, it would make the invoice look absent, and it would
   * be created a second time.
   */
  async #exactMatches(all: JsonValue[], key: InvoiceKey, signal: AbortSignal | undefined): Promise<RemoteInvoice[]> {
    const out: RemoteInvoice[] = [];
    for (const v of all) {
      if (!isJsonObject(v) || jsonText(v['number']) !== key.number) continue;
      const inv = toRemoteInvoice(v, { held: true });
      if (inv === undefined) {
        throw cutShort(`${searchWhat(`invoice_number~${key.number}`)}: an entry with number ${key.number} has no id, so whether it is vendor ${key.vendor}'s invoice cannot be told`);
      }
      if (inv.vendor === key.vendor) out.push(inv);
      else if (inv.vendor === '') {
        const read = await this.#readVendorOf(inv.id, key.number, key.vendor, true, signal);
        if (read.vendor === key.vendor && read.number === key.number) out.push(read);
      }
    }
    return out;
  }

  /** An entry a search shows without its vendor, read by its id to learn it; one still without fails the look-up. */
  async #readVendorOf(id: string, number: string, vendor: string, held: boolean, signal?: AbortSignal): Promise<RemoteInvoice> {
    const read = toRemoteInvoice(await this.#http.json({ method: 'GET', path: `/acq/invoices/${encodeURIComponent(id)}`, query: { view: 'brief' }, signal }), { held });
    if (read === undefined) throw cutShort(`GET /acq/invoices/${id}: the answer has no invoice id`);
    if (read.vendor === '') throw cutShort(`GET /acq/invoices/${id}: invoice ${number} is shown without its vendor, so whether it is vendor ${vendor}'s cannot be told`);
    return read;
  }

  /**
   * Reads a vendor's invoices by the search `q=vendor_code~CODE` when its pages cost no more than
   * searching each of its invoices in the batch, and keeps them as the snapshot that proves an
   * invoice absent. The search, not `GET /acq/vendors/{code}/invoices`: its statuses and owners are
   * "All by default" (OAS), while which invoices the vendor listing holds is not documented
   * (docs/alma.md#look-ups-and-how-fresh-they-are). A vendor Alma does not know is no error here:
   * its search is empty, and creating its invoice fails on its own (the checks report it before).
   */
  async #listVendor(vendor: string, invoicesInBatch: number): Promise<void> {
    const q = vendorQuery(vendor);
    const fetchPage = (offset: number): Promise<JsonValue> => this.#searchPage(q, offset);
    try {
      const first = await fetchPage(0);
      const total = isJsonObject(first) ? toInt(first['total_record_count']) : undefined;
      if (total === undefined) return; // cannot tell the cost: search instead
      this.#totals.set(vendor, total);
      // The read ends on a page shorter than the limit (`wholeListingStep`): after a full last
      // page, one request more.
      if (Math.floor(total / PAGE_SIZE) + 1 > invoicesInBatch) return; // searching is cheaper
      // A snapshot must be complete to prove absence: pages and count that disagree fail the
      // read (BAD_RESPONSE), and each invoice is searched instead.
      await this.#remember(vendor, await readAllPages(fetchPage, 'invoice', first, searchWhat(q), { provesAbsence: { limit: PAGE_SIZE } }));
    } catch (err) {
      if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
      // A refusal, a read by id that failed, or a listing that cannot be trusted whole: fall back
      // to searching each invoice.
    }
  }

  /**
   * Keeps the vendor's search as a snapshot, unless an entry cannot be read or two carry one id: a
   * snapshot is trusted to say "does not exist", so it must not silently drop anything. An
   * invoice on two pages says the search moved while it was paged (an invoice added, deleted
   * or re-sorted by someone else), and the one it pushed across a page boundary unread may be
   * one of this batch's — held as absent, it would be created a second time. `~` matches words,
   * so entries of another vendor (`GOBI-UK` for `GOBI`) are left out by their exact `vendor.value`;
   * an entry that says no vendor is read by its id when the batch names its number (as the search
   * by number does, `#exactMatches`), else its number is left to a search (`#unsure`).
   */
  async #remember(vendor: string, all: JsonValue[]): Promise<void> {
    const map = new Map<string, RemoteInvoice[]>();
    const unsure = new Set<string>();
    const ids = new Set<string>();
    const wanted = this.#wanted.get(vendor);
    for (const v of all) {
      const number = isJsonObject(v) ? jsonText(v['number']) : undefined;
      const held = number !== undefined && wanted?.has(number) === true;
      let inv = toRemoteInvoice(v, { held });
      if (inv === undefined || inv.number === '' || ids.has(inv.id)) return;
      ids.add(inv.id);
      if (inv.vendor === '') {
        if (!held) {
          unsure.add(inv.number);
          continue;
        }
        inv = await this.#readVendorOf(inv.id, inv.number, vendor, true);
      }
      if (inv.vendor !== vendor) continue;
      const k = keyString({ vendor, number: inv.number });
      map.set(k, [...(map.get(k) ?? []), inv]);
    }
    this.#snapshots.set(vendor, map);
    this.#unsure.set(vendor, unsure);
  }
}

/** The search for one vendor's invoices: a word match on its code (post-filtered, `#remember`). */
const vendorQuery = (vendor: string): string => `vendor_code~${vendor}`;

/** The search as a message names it. */
const searchWhat = (q: string): string => `GET /acq/invoices/?q=${q}`;

/**
 * `p`, or the signal's reason once it is aborted: for a read another look-up started and shares
 * (a listing, `prepare`'s search), which goes on for it — only this look-up stops waiting.
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
