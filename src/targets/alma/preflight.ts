/**
 * Online preflight, the fetching part (`--dry-run --online`): read-only look-ups against Alma
 * for the invoices that passed the offline checks, through the same `HttpClient` and limiter
 * the load uses, so they are paced, retried and counted like any other request.
 *
 * - vendor: `GET /acq/vendors/{code}` (docs/alma.md#what-the-preflight-predicts);
 * - fund: `GET /acq/funds?q=fund_code~X&mode=POL` — "ready to be used for a PO-Line, allocated
 *   and active in the current fiscal period" (OAS); a miss is asked again with `mode=ALL` to
 *   tell "does not exist" from "inactive" or "not usable now";
 * - PO line: `GET /acq/po-lines/{number}` (OAS; the number, not an id);
 * - code tables: `GET /conf/code-tables/{name}` → `{name, row:[{code, enabled}]}` (BLOG-CT,
 *   docs/alma.md#the-json-shape-list-naming-amounts-dates);
 * - the invoice: the load's own `InvoiceLookup` (word search by vendor code or by number, post-filtered for
 *   the exact vendor and number, docs/alma.md#look-ups-and-how-fresh-they-are), so its request
 *   count is what the load will spend.
 *
 * Each entity is fetched once per run (the promise is cached, so concurrent askers share it). "Not
 * found" is a 400 with an errorCode, not a 404 (docs/alma.md#errors-error-codes-and-alerts): only
 * the documented codes count as proof of absence; any other refusal leaves the fact unknown. An
 * `AuthError` or `DailyLimitError` ends the preflight (the caller maps it to the exit code).
 */
import { keyString, type Invoice } from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';
import { DEFAULT_POLL } from '../target.js';
import type { PreflightReport } from '../../report/preflight.js';
import { ApiError, AuthError, isRefusal, runStopOf } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { countingView, type JsonClient } from '../../transport/http.js';
import type { RemoteInvoice } from '../target.js';
import { InvoiceLookup, PAGE_SIZE, readAllPages } from './lookup.js';
import { AnswerWatch } from './answers.js';
import {
  TABLES,
  codeValues,
  estimateLoad,
  preflightProblems,
  type CodeTableFacts,
  type Fetched,
  type FundFacts,
  type PoLineFacts,
  type PollSchedule,
  type PreflightFacts,
  type VendorFacts,
} from './preflight-rules.js';
import { codeOf, items } from './remote.js';

/**
 * Proof that a vendor or PO line does not exist: OAS lists 401871 ("Vendor X not found", "Po-Line X
 * not found"); MIT's scripts check 402880 for a missing vendor
 * (docs/alma.md#errors-error-codes-and-alerts). A 404 is NOT proof: Alma does not answer "not
 * found" that way, so a 404 means a wrong URL or a proxy, and reporting every vendor of the batch
 * as missing would be a lie.
 */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['401871', '402880']);

export class AlmaFacts {
  readonly #http: JsonClient;
  readonly #vendors = new Map<string, Promise<Fetched<VendorFacts>>>();
  readonly #funds = new Map<string, Promise<Fetched<FundFacts>>>();
  readonly #poLines = new Map<string, Promise<Fetched<PoLineFacts>>>();
  readonly #tables = new Map<string, Promise<Fetched<CodeTableFacts>>>();

  constructor(http: JsonClient) {
    this.#http = http;
  }

  vendor(code: string): Promise<Fetched<VendorFacts>> {
    return once(this.#vendors, code, async () => {
      const v = await this.#http.json({ method: 'GET', path: `/acq/vendors/${encodeURIComponent(code)}` });
      return found(toVendor(code, v));
    });
  }

  fund(code: string): Promise<Fetched<FundFacts>> {
    return once(this.#funds, code, async (): Promise<Fetched<FundFacts>> => {
      const usable = await this.#searchFund(code, 'POL');
      if (usable !== undefined) return found({ ...toFund(code, usable), usable: true });
      const any = await this.#searchFund(code, 'ALL');
      return any !== undefined ? found({ ...toFund(code, any), usable: false }) : NOT_FOUND;
    });
  }

  /**
   * Reads a vendor's PO lines from the list (`GET /acq/po-lines?q=vendor_code~V`, closed ones
   * included, 100 a page) when that takes fewer requests than one read per PO line, and keeps
   * the ones the batch names. A PO line the list does not show is read on its own later: the
   * list proves presence, never absence.
   */
  async gatherPoLines(vendor: string, numbers: readonly string[]): Promise<void> {
    const wanted = new Set(numbers.filter((n) => !this.#poLines.has(n)));
    // The first page is the price of finding out; with two PO lines it would save nothing.
    if (wanted.size < 3) return;
    const fetchPage = (offset: number): Promise<JsonValue> =>
      this.#http.json({ method: 'GET', path: '/acq/po-lines', query: { q: `vendor_code~${vendor}`, status: 'ALL_WITH_CLOSED', limit: PAGE_SIZE, offset } });
    try {
      const first = await fetchPage(0);
      const total = isJsonObject(first) ? Number(jsonText(first['total_record_count']) ?? NaN) : NaN;
      if (!Number.isFinite(total) || Math.ceil(total / PAGE_SIZE) >= wanted.size) return;
      for (const v of await readAllPages(fetchPage, 'po_line', first, `GET /acq/po-lines?q=vendor_code~${vendor}`)) {
        if (!isJsonObject(v)) continue;
        const facts = toPoLine(jsonText(v['number']) ?? '', v);
        if (wanted.has(facts.number) && (facts.vendor === undefined || facts.vendor === vendor)) this.#poLines.set(facts.number, Promise.resolve(found(facts)));
      }
    } catch (err) {
      if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
      // Any refusal: each PO line is read on its own.
    }
  }

  /**
   * Reads the funds from the list of those usable for a PO line (`mode=POL`, 100 a page) when the
   * batch names more funds than that costs, and from the list of all (`mode=ALL`) only when the
   * first misses one: a batch whose funds are all usable, the common case, costs one request, and
   * one that is not pays a round trip before a run that stops on it anyway. A fund neither list
   * shows is searched on its own later (only a search proves it does not exist).
   */
  async gatherFunds(codes: readonly string[]): Promise<void> {
    const wanted = new Set(codes.filter((c) => !this.#funds.has(c)));
    if (wanted.size <= 2) return;
    try {
      const list = async (mode: 'POL' | 'ALL'): Promise<Map<string, { [key: string]: JsonValue }>> => {
        const all = await readAllPages((offset) => this.#http.json({ method: 'GET', path: '/acq/funds', query: { mode, limit: PAGE_SIZE, offset } }), 'fund', undefined, `GET /acq/funds?mode=${mode}`);
        return new Map(all.filter(isJsonObject).flatMap((f) => (jsonText(f['code']) !== undefined ? [[jsonText(f['code'])!, f] as const] : [])));
      };
      const usable = await list('POL');
      const any = [...wanted].every((c) => usable.has(c)) ? new Map<string, { [key: string]: JsonValue }>() : await list('ALL');
      for (const code of wanted) {
        const u = usable.get(code);
        const a = any.get(code);
        if (u !== undefined) this.#funds.set(code, Promise.resolve(found({ ...toFund(code, u), usable: true })));
        else if (a !== undefined) this.#funds.set(code, Promise.resolve(found({ ...toFund(code, a), usable: false })));
      }
    } catch (err) {
      if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
    }
  }

  poLine(number: string): Promise<Fetched<PoLineFacts>> {
    return once(this.#poLines, number, async () => {
      const v = await this.#http.json({ method: 'GET', path: `/acq/po-lines/${encodeURIComponent(number)}` });
      if (!isJsonObject(v)) throw badAnswer(`PO line ${number}`);
      return found(toPoLine(number, v));
    });
  }


  /**
   * A code table; any refusal (the institution may not have it,
   * docs/alma.md#what-the-preflight-predicts) leaves it unknown, never "not found". So does a
   * refused key: code tables are Alma's Configuration area, and a key given Acquisitions rights
   * alone — all a load needs (docs/alma.md#requests-hosts-keys-and-thresholds) — is refused
   * there. A key refused everywhere stops the run at the next Acquisitions request instead.
   */
  table(name: string): Promise<Fetched<CodeTableFacts>> {
    return once(
      this.#tables,
      name,
      async () => {
        let v: JsonValue;
        try {
          v = await this.#http.json({ method: 'GET', path: `/conf/code-tables/${encodeURIComponent(name)}` });
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          return { kind: 'unknown', reason: `the API key has no rights to Alma's configuration, as a key with Acquisitions rights alone has none; ${err.code}: ${err.message}` };
        }
        if (!isJsonObject(v)) throw badAnswer(`code table ${name}`);
        const rows = items(v['row'])
          .filter(isJsonObject)
          .flatMap((r) => {
            const code = jsonText(r['code']);
            // `enabled` absent means enabled (BLOG-CT rows carry it; a missing flag should not reject every code).
            return code === undefined ? [] : [{ code, enabled: jsonText(r['enabled']) !== 'false' }];
          });
        return found({ name, rows });
      },
      new Set<string>(),
    );
  }

  /** Distinct entities asked for so far. */
  get counts(): { vendors: number; funds: number; po_lines: number; code_tables: number } {
    return { vendors: this.#vendors.size, funds: this.#funds.size, po_lines: this.#poLines.size, code_tables: this.#tables.size };
  }

  /**
   * The fund with exactly this code, or undefined. `~` matches words
   * (docs/alma.md#look-ups-and-how-fresh-they-are), so results are post-filtered.
   */
  async #searchFund(code: string, mode: 'POL' | 'ALL'): Promise<{ [key: string]: JsonValue } | undefined> {
    const all = await readAllPages(
      (offset) => this.#http.json({ method: 'GET', path: '/acq/funds', query: { q: `fund_code~${code}`, mode, limit: PAGE_SIZE, offset } }),
      'fund',
      undefined,
      `GET /acq/funds?q=fund_code~${code}`,
    );
    return all.filter(isJsonObject).find((f) => jsonText(f['code']) === code);
  }
}

const NOT_FOUND = { kind: 'not_found' } as const;
const found = <T>(value: T): Fetched<T> => ({ kind: 'found', value });

/**
 * Runs `fetch` once per key. Auth and daily-limit errors and bugs propagate; an `ApiError`
 * with a not-found code (unless `notFound` is given) is `not_found`; any other `ApiError`
 * (after the client's retries) is `unknown`.
 */
function once<T>(
  cache: Map<string, Promise<Fetched<T>>>,
  key: string,
  fetch: () => Promise<Fetched<T>>,
  notFound: ReadonlySet<string> = NOT_FOUND_CODES,
): Promise<Fetched<T>> {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const p = (async (): Promise<Fetched<T>> => {
    try {
      return await fetch();
    } catch (err) {
      return classify(err, notFound);
    }
  })();
  cache.set(key, p);
  return p;
}

function classify(err: unknown, notFound: ReadonlySet<string>): { kind: 'not_found' } | { kind: 'unknown'; reason: string } {
  if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
  if (isRefusal(err) && notFound.has(err.code)) return NOT_FOUND;
  const where = err.httpStatus > 0 ? `HTTP ${err.httpStatus} ` : '';
  return { kind: 'unknown', reason: `${where}${err.code}: ${err.message}` };
}

function badAnswer(what: string): ApiError {
  return new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer for ${what} is not a JSON object` });
}

/** The vendor object (`material_supplier`, `currency[]`, `account[]` with `payment_method[]`: docs/alma.md#what-the-samples-show, sample 05). */
function toVendor(code: string, v: JsonValue): VendorFacts {
  if (!isJsonObject(v)) throw badAnswer(`vendor ${code}`);
  const flag = jsonText(v['material_supplier']);
  return {
    code: jsonText(v['code']) ?? code,
    status: codeOf(v['status']),
    materialSupplier: flag === 'true' ? true : flag === 'false' ? false : undefined,
    currencies: items(v['currency']).flatMap((c) => codeOf(c) ?? []),
    accounts: items(v['account'])
      .filter(isJsonObject)
      .flatMap((a) => {
        const accountCode = jsonText(a['code']);
        if (accountCode === undefined) return [];
        return [{ code: accountCode, status: codeOf(a['status']), paymentMethods: items(a['payment_method']).flatMap((m) => codeOf(m) ?? []) }];
      }),
  };
}

/** A PO line as `GET /acq/po-lines/{number}` and the list answer it (rest_po_line). */
function toPoLine(number: string, v: { [key: string]: JsonValue }): PoLineFacts {
  return {
    number: jsonText(v['number']) ?? number,
    vendor: codeOf(v['vendor']),
    // A plain string on the PO line, like on the invoice (rest_po_line / rest_invoice).
    vendorAccount: codeOf(v['vendor_account']),
    status: codeOf(v['status']),
    type: codeOf(v['type']),
    // `price: {sum, currency}` on the PO line (rest_po_line).
    price: isJsonObject(v['price']) ? jsonText(v['price']['sum']) : undefined,
    currency: isJsonObject(v['price']) ? codeOf(v['price']['currency']) : undefined,
    quantity: poLineQuantity(v['location']),
  };
}

/**
 * A PO line's quantity: the sum of its locations' `quantity` (`location: [{quantity, library, …}]`,
 * docs/alma.md#what-the-preflight-predicts). Undefined unless every location gives a whole one.
 */
function poLineQuantity(locations: JsonValue | undefined): number | undefined {
  const all = items(locations);
  if (all.length === 0) return undefined;
  let sum = 0;
  for (const l of all) {
    const q = isJsonObject(l) ? Number(jsonText(l['quantity']) ?? NaN) : NaN;
    if (!Number.isSafeInteger(q) || q < 0) return undefined;
    sum += q;
  }
  return sum > 0 ? sum : undefined;
}

function toFund(code: string, f: { [key: string]: JsonValue }): Omit<FundFacts, 'usable'> {
  return { code, status: codeOf(f['status']), type: codeOf(f['type']), fiscalPeriod: codeOf(f['fiscal_period']) };
}

// ------------------------------------------------------------------------------------- the run

export interface PreflightOptions {
  http: JsonClient;
  /** The report's `target` name. */
  target?: string | undefined;
  /** `--rate`, for the time estimate. */
  rate: number;
  /** `--poll-timeout` in ms, for the slow-processing bound. */
  pollTimeoutMs: number;
  poll?: PollSchedule | undefined;
  /** The smallest `X-Exl-Api-Remaining` seen so far (the caller collects it from the client's events). */
  remaining?: (() => number | undefined) | undefined;
  /**
   * Which checks run: `all` (the dry run's default, and `--check all`), or `default` — the load's:
   * the cheapest kinds first while their look-ups stay within `DEFAULT_CHECK_BUDGET` requests per
   * invoice; the rest are listed under `unchecked`.
   */
  checks?: 'all' | 'default' | undefined;
  /** Whether to look up the invoices themselves (a load does that on its own, before each create). */
  lookupInvoices?: boolean | undefined;
}

/** The load's default check budget: look-ups per invoice (README "Online preflight"). */
export const DEFAULT_CHECK_BUDGET = 0.5;

/**
 * ...but a kind of check that needs at most this many look-ups runs whatever the batch's size:
 * 20 requests are two seconds at the default rate. A small batch — a vendor's file of a few
 * invoices, a person at the terminal — is where skipping saves least and costs most: with the
 * per-invoice budget alone, the 7-invoice sample skipped the vendor check (4 look-ups), and a
 * misspelt vendor code was refused at create, after the other invoices had been sent.
 */
export const CHECK_FLOOR = 20;

export type CheckKind = 'code_tables' | 'vendors' | 'funds' | 'po_lines';

/**
 * The check kinds to run: each whose look-ups cost at most `budget` requests per invoice, or at
 * most `CHECK_FLOOR`. Costs
 * are what the gathering below takes: one per vendor and code table, about one list page per
 * vendor for its PO lines, one list for the funds.
 */
export function chooseChecks(costs: Record<CheckKind, number>, invoices: number, budget = DEFAULT_CHECK_BUDGET): { run: Set<CheckKind>; skipped: CheckKind[] } {
  const run = new Set<CheckKind>();
  const skipped: CheckKind[] = [];
  for (const kind of Object.keys(costs) as CheckKind[]) {
    if (costs[kind] <= Math.max(budget * invoices, CHECK_FLOOR)) run.add(kind);
    else skipped.push(kind);
  }
  return { run, skipped };
}

/** PO lines per vendor of the invoices that name them. */
function poLinesByVendor(invoices: readonly Invoice[]): Map<string, string[]> {
  const by = new Map<string, Set<string>>();
  for (const inv of invoices) {
    for (const l of inv.lines) {
      if (l.poLine === undefined || l.poLine === '') continue;
      const set = by.get(inv.key.vendor) ?? new Set<string>();
      set.add(l.poLine);
      by.set(inv.key.vendor, set);
    }
  }
  return new Map([...by].map(([v, s]) => [v, [...s]]));
}

const KIND_WORDS: Record<CheckKind, string> = { code_tables: 'code tables', vendors: 'vendors', funds: 'funds', po_lines: 'PO lines' };

export interface PreflightOutcome {
  /** Online problems per invoice, keyed by `keyString(invoice.key)`. */
  problems: Map<string, Problem[]>;
  report: PreflightReport;
}

export async function runPreflight(invoices: readonly Invoice[], opts: PreflightOptions): Promise<PreflightOutcome> {
  // Its own count: a load sends its invoice look-ups on the same client at the same time.
  const answers = new AnswerWatch('checks');
  const http = countingView(answers.watch(opts.http));
  const facts = new AlmaFacts(http);

  // 1. Vendors, funds, PO lines and code tables, all at once: the shared limiter paces them.
  const vendorCodes = unique(invoices.map((inv) => inv.key.vendor));
  const fundCodes = unique(invoices.flatMap((inv) => inv.lines.flatMap((l) => l.funds.map((f) => f.fundCode))));
  const tableNames = unique(invoices.flatMap((inv) => codeValues(inv).map((c) => TABLES[c.column])));
  const polsByVendor = poLinesByVendor(invoices);
  const costs: Record<CheckKind, number> = {
    code_tables: tableNames.length,
    vendors: vendorCodes.length,
    // Up to two funds are searched one by one; more are read from the usable funds' list (gatherFunds).
    funds: fundCodes.length <= 2 ? fundCodes.length : 1,
    po_lines: [...polsByVendor.values()].reduce((n, pols) => n + (pols.length >= 3 ? 1 : pols.length), 0),
  };
  const chosen =
    opts.checks === 'default' ? chooseChecks(costs, invoices.length) : { run: new Set(Object.keys(costs) as CheckKind[]), skipped: [] as CheckKind[] };
  const when = (kind: CheckKind, keys: string[]): string[] => (chosen.run.has(kind) ? keys : []);
  // One wave: only what a list may answer waits for that list (a fund for the fund lists, a PO
  // line for its vendor's list); everything else is asked at once (at high latency each wave
  // costs a round trip before the first write).
  const vendorsAsked = fetchAll(when('vendors', vendorCodes), (c) => facts.vendor(c));
  const tablesAsked = fetchAll(when('code_tables', tableNames), (n) => facts.table(n));
  const fundsAsked = (chosen.run.has('funds') ? facts.gatherFunds(fundCodes) : Promise.resolve()).then(() => fetchAll(when('funds', fundCodes), (c) => facts.fund(c)));
  const polsAsked = Promise.all(
    (chosen.run.has('po_lines') ? [...polsByVendor] : []).map(async ([vendor, pols]) => {
      await facts.gatherPoLines(vendor, pols);
      return fetchAll(pols, (n) => facts.poLine(n));
    }),
  ).then((maps) => new Map(maps.flatMap((m) => [...m])));

  // 2. The invoices themselves, once the vendors are known (an invoice of a vendor Alma does not
  // have cannot exist there and is not looked up), beside the other checks; counted on their
  // own, so the estimate's look-up cost is exactly the load's.
  const lookups = countingView(http);
  const existingAsked = vendorsAsked.then(async (vendors) => {
    const keys = opts.lookupInvoices === false ? [] : invoices.map((inv) => inv.key).filter((k) => vendors.get(k.vendor)?.kind !== 'not_found');
    const lookup = new InvoiceLookup(lookups);
    // Not awaited first: `prepare` lists the vendors worth listing, and the invoices of the others
    // are searched in the same wave (a listed vendor's invoices wait for its listing).
    const prepared = lookup.prepare(keys);
    const existing = new Map<string, Fetched<RemoteInvoice[]>>();
    await Promise.all([
      prepared,
      ...keys.map(async (k) => {
        let fact: Fetched<RemoteInvoice[]>;
        try {
          fact = { kind: 'found', value: await lookup.find(k, { fresh: false }) };
        } catch (err) {
          fact = classify(err, new Set<string>());
        }
        existing.set(keyString(k), fact);
      }),
    ]);
    return { keys, existing };
  });
  const [vendors, funds, pols, tables, { keys, existing }] = await Promise.all([vendorsAsked, fundsAsked, polsAsked, tablesAsked, existingAsked]);
  // Not Alma at all (a wrong address, Alma's web page, a proxy): one stop before anything is sent.
  answers.verdict();

  // 3. Facts → problems; the invoices without an error are what a load would send.
  const all: PreflightFacts = { vendors, funds, poLines: pols, tables, existing };
  const problems = new Map<string, Problem[]>();
  const passing: Invoice[] = [];
  for (const inv of invoices) {
    const found = preflightProblems(inv, all);
    problems.set(keyString(inv.key), found);
    if (!found.some((p) => p.severity === 'error')) passing.push(inv);
  }

  const unchecked: PreflightReport['unchecked'] = chosen.skipped.map((kind) => ({
    what: KIND_WORDS[kind],
    reason: `${costs[kind]} look-up${costs[kind] === 1 ? '' : 's'} would pass the default budget (${DEFAULT_CHECK_BUDGET} requests per invoice, at least ${CHECK_FLOOR}); --check all runs them`,
  }));
  for (const [name, t] of tables) {
    if (t.kind === 'unknown') unchecked.push({ what: `code table ${name}`, reason: `it could not be read (${t.reason}), so its values were not checked` });
    else if (t.kind === 'found' && t.value.rows.length === 0) unchecked.push({ what: `code table ${name}`, reason: 'it has no rows, so its values were not checked' });
  }

  const estimate = estimateLoad({
    invoices: passing,
    lookups: lookups.requests,
    rate: opts.rate,
    poll: opts.poll ?? DEFAULT_POLL,
    pollTimeoutMs: opts.pollTimeoutMs,
    remaining: opts.remaining?.(),
  });
  return {
    problems,
    report: {
      target: opts.target ?? 'alma',
      requests: http.requests,
      checked: { ...facts.counts, invoices: keys.length },
      unchecked,
      estimate,
    },
  };
}

async function fetchAll<T>(keys: readonly string[], get: (key: string) => Promise<Fetched<T>>): Promise<Map<string, Fetched<T>>> {
  const values = await Promise.all(keys.map(get));
  return new Map(keys.map((k, i) => [k, values[i]!]));
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];
