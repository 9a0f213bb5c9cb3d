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
 * - the invoice: the load's own `InvoiceLookup` (vendor listing or word search, post-filtered for
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
import { ApiError, AuthError, DailyLimitError } from '../../shared/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../shared/json.js';
import type { HttpClient } from '../../transport/http.js';
import type { RemoteInvoice } from '../target.js';
import { InvoiceLookup, PAGE_SIZE, readAllPages } from './lookup.js';
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
  readonly #http: HttpClient;
  readonly #vendors = new Map<string, Promise<Fetched<VendorFacts>>>();
  readonly #funds = new Map<string, Promise<Fetched<FundFacts>>>();
  readonly #poLines = new Map<string, Promise<Fetched<PoLineFacts>>>();
  readonly #tables = new Map<string, Promise<Fetched<CodeTableFacts>>>();

  constructor(http: HttpClient) {
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

  poLine(number: string): Promise<Fetched<PoLineFacts>> {
    return once(this.#poLines, number, async () => {
      const v = await this.#http.json({ method: 'GET', path: `/acq/po-lines/${encodeURIComponent(number)}` });
      if (!isJsonObject(v)) throw badAnswer(`PO line ${number}`);
      return found({
        number: jsonText(v['number']) ?? number,
        vendor: codeOf(v['vendor']),
        // A plain string on the PO line, like on the invoice (rest_po_line / rest_invoice).
        vendorAccount: codeOf(v['vendor_account']),
        status: codeOf(v['status']),
        type: codeOf(v['type']),
        // `price: {sum, currency}` on the PO line (rest_po_line).
        price: isJsonObject(v['price']) ? jsonText(v['price']['sum']) : undefined,
        currency: isJsonObject(v['price']) ? codeOf(v['price']['currency']) : undefined,
      });
    });
  }

  /**
   * A code table; any refusal (the institution may not have it,
   * docs/alma.md#what-the-preflight-predicts) leaves it unknown, never "not found".
   */
  table(name: string): Promise<Fetched<CodeTableFacts>> {
    return once(
      this.#tables,
      name,
      async () => {
        const v = await this.#http.json({ method: 'GET', path: `/conf/code-tables/${encodeURIComponent(name)}` });
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
  if (err instanceof AuthError || err instanceof DailyLimitError || !(err instanceof ApiError)) throw err;
  if (err.httpStatus === 400 && notFound.has(err.code)) return NOT_FOUND;
  const where = err.httpStatus > 0 ? `HTTP ${err.httpStatus} ` : '';
  return { kind: 'unknown', reason: `${where}${err.code}: ${err.message}` };
}

function badAnswer(what: string): ApiError {
  return new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: `the answer for ${what} is not a JSON object` });
}

/** Vendor object as sample 05 shows it (`material_supplier`, `currency[]`, `account[]` with `payment_method[]`). */
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

function toFund(code: string, f: { [key: string]: JsonValue }): Omit<FundFacts, 'usable'> {
  return { code, status: codeOf(f['status']), type: codeOf(f['type']), fiscalPeriod: codeOf(f['fiscal_period']) };
}

// ------------------------------------------------------------------------------------- the run

export interface PreflightOptions {
  http: HttpClient;
  /** The report's `target` name. */
  target?: string | undefined;
  /** `--rate`, for the time estimate. */
  rate: number;
  /** `--poll-timeout` in ms, for the slow-processing bound. */
  pollTimeoutMs: number;
  poll?: PollSchedule | undefined;
  /** The smallest `X-Exl-Api-Remaining` seen so far (the caller collects it from the client's events). */
  remaining?: (() => number | undefined) | undefined;
}

export interface PreflightOutcome {
  /** Online problems per invoice, keyed by `keyString(invoice.key)`. */
  problems: Map<string, Problem[]>;
  report: PreflightReport;
}

export async function runPreflight(invoices: readonly Invoice[], opts: PreflightOptions): Promise<PreflightOutcome> {
  const { http } = opts;
  const startRequests = http.requests;
  const facts = new AlmaFacts(http);

  // 1. Vendors, funds, PO lines and code tables, all at once: the shared limiter paces them.
  const vendorCodes = unique(invoices.map((inv) => inv.key.vendor));
  const fundCodes = unique(invoices.flatMap((inv) => inv.lines.flatMap((l) => l.funds.map((f) => f.fundCode))));
  const poLines = unique(invoices.flatMap((inv) => inv.lines.flatMap((l) => (l.poLine !== undefined && l.poLine !== '' ? [l.poLine] : []))));
  const tableNames = unique(invoices.flatMap((inv) => codeValues(inv).map((c) => TABLES[c.column])));
  const [vendors, funds, pols, tables] = await Promise.all([
    fetchAll(vendorCodes, (c) => facts.vendor(c)),
    fetchAll(fundCodes, (c) => facts.fund(c)),
    fetchAll(poLines, (n) => facts.poLine(n)),
    fetchAll(tableNames, (n) => facts.table(n)),
  ]);

  // 2. The invoices themselves, alone, so the requests they take are exactly the load's look-up
  // cost. An invoice of a vendor Alma does not have cannot exist there and is not looked up.
  const keys = invoices.map((inv) => inv.key).filter((k) => vendors.get(k.vendor)?.kind !== 'not_found');
  const beforeLookups = http.requests;
  const lookup = new InvoiceLookup(http);
  await lookup.prepare(keys);
  const existing = new Map<string, Fetched<RemoteInvoice[]>>();
  await Promise.all(
    keys.map(async (k) => {
      let fact: Fetched<RemoteInvoice[]>;
      try {
        fact = { kind: 'found', value: await lookup.find(k, { fresh: false }) };
      } catch (err) {
        fact = classify(err, new Set<string>());
      }
      existing.set(keyString(k), fact);
    }),
  );
  const lookups = http.requests - beforeLookups;

  // 3. Facts → problems; the invoices without an error are what a load would send.
  const all: PreflightFacts = { vendors, funds, poLines: pols, tables, existing };
  const problems = new Map<string, Problem[]>();
  const passing: Invoice[] = [];
  for (const inv of invoices) {
    const found = preflightProblems(inv, all);
    problems.set(keyString(inv.key), found);
    if (!found.some((p) => p.severity === 'error')) passing.push(inv);
  }

  const unchecked: PreflightReport['unchecked'] = [];
  for (const [name, t] of tables) {
    if (t.kind === 'unknown') unchecked.push({ what: `code table ${name}`, reason: `it could not be read (${t.reason}), so its values were not checked` });
    else if (t.kind === 'found' && t.value.rows.length === 0) unchecked.push({ what: `code table ${name}`, reason: 'it has no rows, so its values were not checked' });
  }

  const estimate = estimateLoad({
    invoices: passing,
    lookups,
    rate: opts.rate,
    poll: opts.poll ?? DEFAULT_POLL,
    pollTimeoutMs: opts.pollTimeoutMs,
    remaining: opts.remaining?.(),
  });
  return {
    problems,
    report: {
      target: opts.target ?? 'alma',
      requests: http.requests - startRequests,
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
