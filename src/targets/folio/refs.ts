/**
 * FOLIO's reference records, looked up by the codes a batch carries: organizations by `code`
 * (the canonical `vendor`), funds by `code` (`fund_code`), purchase order lines by
 * `poLineNumber` (`po_line`), and the batch group (a setting). Each is fetched once per run,
 * and many at a time: one `GET …?query=(code=="A" or code=="B" …)` per 40 codes (a CQL any-of,
 * docs/folio.md "Look-ups"), so a batch with 30 vendors costs one request, not 30.
 *
 * Endpoints and collection keys: `GET /organizations/organizations` → `organizations[]`,
 * `GET /finance/funds` → `funds[]`, `GET /orders/order-lines` → `poLines[]`,
 * `GET /batch-groups` → `batchGroups[]` (FOLIO's collection schemas; `limit` defaults to 10, so
 * it is always given).
 */
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { chunks, cqlAnyOf, cqlString, UUID_PATTERN } from './ids.js';
import type { FolioClient } from './client.js';

export interface Organization {
  id: string;
  code: string;
  name: string;
  /** `Active`, `Inactive` or `Pending` (acq-models `organization.json`). */
  status: string;
  isVendor: boolean;
  paymentMethod?: string | undefined;
}

export interface Fund {
  id: string;
  code: string;
  /** `Active`, `Frozen` or `Inactive` (acq-models `fund.json`). */
  fundStatus: string;
}

export interface PoLine {
  id: string;
  poLineNumber: string;
  /** The title, which an invoice line linked to it takes as its description when the batch gives none. */
  titleOrPackage?: string | undefined;
  paymentStatus?: string | undefined;
  /**
   * fund id (lower case) → the id of the encumbrance the order holds on that fund for this line
   * (mod-orders `po_line.json` `fundDistribution[].encumbrance`); a fund the line names twice
   * (two expense classes) is left out, as which encumbrance an invoice line pays is then not known.
   */
  encumbrances?: ReadonlyMap<string, string> | undefined;
}

/** FOLIO's default batch group, which every tenant has (acq-models `invoice.json`: the `batchGroupId` default). */
export const DEFAULT_BATCH_GROUP_ID = '2a2cb998-1437-41d1-88ad-01930aaeadd5';

/** Codes per query: 40 quoted codes keep the URL well under common 8 KB request-line limits. */
export const CODES_PER_QUERY = 40;

type Kind = 'organization' | 'fund' | 'poLine';

const SOURCES: Record<Kind, { path: string; field: string; list: string }> = {
  organization: { path: '/organizations/organizations', field: 'code', list: 'organizations' },
  fund: { path: '/finance/funds', field: 'code', list: 'funds' },
  poLine: { path: '/orders/order-lines', field: 'poLineNumber', list: 'poLines' },
};

export class FolioRefs {
  readonly #client: FolioClient;
  readonly #batchGroup: string | undefined;
  readonly #cache: Record<Kind, Map<string, Promise<JsonValue | undefined>>> = { organization: new Map(), fund: new Map(), poLine: new Map() };
  readonly #queued: Record<Kind, Set<string>> = { organization: new Set(), fund: new Set(), poLine: new Set() };
  readonly #flushing: Partial<Record<Kind, Promise<void>>> = {};
  #batchGroupId: Promise<string> | undefined;
  #protectedUnits: Promise<number | undefined> | undefined;
  #queries = 0;

  /** `batchGroup`: a batch group's name or id (a setting); unset: FOLIO's default one. */
  constructor(client: FolioClient, batchGroup?: string | undefined) {
    this.#client = client;
    this.#batchGroup = batchGroup === undefined || batchGroup.trim() === '' ? undefined : batchGroup.trim();
  }

  /** Look-up requests sent (for the preflight's count and tests). */
  get queries(): number {
    return this.#queries;
  }

  /** Fetches every code not yet known, 40 to a request. Later `organization()`… calls are answered from the cache. */
  async prefetch(codes: { organizations?: Iterable<string>; funds?: Iterable<string>; poLines?: Iterable<string> }): Promise<void> {
    await Promise.all([
      this.#fetch('organization', [...(codes.organizations ?? [])]),
      this.#fetch('fund', [...(codes.funds ?? [])]),
      this.#fetch('poLine', [...(codes.poLines ?? [])]),
    ]);
  }

  async organization(code: string): Promise<Organization | undefined> {
    return toOrganization(await this.#one('organization', code));
  }

  async fund(code: string): Promise<Fund | undefined> {
    return toFund(await this.#one('fund', code));
  }

  async poLine(number: string): Promise<PoLine | undefined> {
    return toPoLine(await this.#one('poLine', number));
  }

  /**
   * Why FOLIO shows no PO line with these numbers, in words. mod-orders answers a search with only
   * the records the user may read — none in an acquisitions unit that protects reading
   * (`protectRead`) unless the user is a member of it — so a line hidden by a unit is left out,
   * not refused: it reads as "not found" (mod-orders `AcquisitionsUnitsService`
   * `buildAcqUnitsCqlExprToSearchRecords`, https://github.com/folio-org/mod-orders; docs/folio.md
   * "Acquisitions units"). The two cannot be told apart from the search; so, once a run, the
   * units that protect reading are counted (`GET /acquisitions-units/units?query=protectRead==true`):
   * with any, the message names acquisitions units as the likely cause; with none, or when the
   * count cannot be read (the user may lack the right to list units), it says only "no line".
   */
  async poLinesMissing(numbers: readonly string[]): Promise<string> {
    const listed = numbers.map((n) => `"${n}"`).join(', ');
    const units = await this.protectedUnits();
    if (units === undefined || units === 0) return `FOLIO has no purchase order line numbered ${listed}`;
    const user = this.#client.username;
    return (
      `FOLIO shows user ${user} no purchase order line numbered ${listed}: the number is wrong, or the line's order belongs to an acquisitions unit ` +
      `that hides its records from users who are not members (FOLIO has ${units} unit${units === 1 ? '' : 's'} that protect reading, and its searches leave such lines out instead of refusing them) — ` +
      `check the number in FOLIO, or ask a FOLIO administrator to add ${user} to the order's acquisitions unit, then run the same command again`
    );
  }

  /** How many acquisitions units protect reading (`protectRead`), read once; undefined when FOLIO would not say. */
  protectedUnits(): Promise<number | undefined> {
    this.#protectedUnits ??= (async () => {
      this.#queries++;
      try {
        const answer = await this.#client.json({ method: 'GET', path: '/acquisitions-units/units', query: { query: 'protectRead==true', limit: 0 } });
        const total = isJsonObject(answer) ? jsonText(answer['totalRecords']) : undefined;
        return total !== undefined && /^\d+$/.test(total) ? Number(total) : undefined;
      } catch {
        // No right to list units (403), an older FOLIO without them (404): the cause stays open.
        return undefined;
      }
    })();
    return this.#protectedUnits;
  }

  /**
   * The batch group's id: FOLIO's default without a request; a setting that is a UUID as it is;
   * a name looked up once (`GET /batch-groups?query=name=="…"`), unknown names refused.
   */
  batchGroupId(): Promise<string> {
    const setting = this.#batchGroup;
    if (setting === undefined) return Promise.resolve(DEFAULT_BATCH_GROUP_ID);
    if (UUID_PATTERN.test(setting)) return Promise.resolve(setting.toLowerCase());
    this.#batchGroupId ??= (async () => {
      this.#queries++;
      const answer = await this.#client.json({ method: 'GET', path: '/batch-groups', query: { query: `name==${cqlString(setting)}`, limit: 2 } });
      const list = isJsonObject(answer) && Array.isArray(answer['batchGroups']) ? answer['batchGroups'] : [];
      const id = list.map((g) => (isJsonObject(g) ? jsonText(g['id']) : undefined)).find((x) => x !== undefined);
      if (id === undefined) throw new Error(`FOLIO has no batch group named "${setting}" (FOLIO_BATCH_GROUP)`);
      return id;
    })();
    this.#batchGroupId.catch(() => (this.#batchGroupId = undefined));
    return this.#batchGroupId;
  }

  /**
   * One code, from the cache or queued: codes asked for in the same turn of the event loop (six
   * workers starting their invoices together) go out in one query.
   */
  #one(kind: Kind, code: string): Promise<JsonValue | undefined> {
    if (code === '') return Promise.resolve(undefined);
    const known = this.#cache[kind].get(code);
    if (known !== undefined) return known;
    const queue = this.#queued[kind];
    queue.add(code);
    if (queue.size === 1) {
      this.#flushing[kind] = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        const codes = [...queue];
        queue.clear();
        return this.#fetch(kind, codes);
      });
    }
    return (this.#flushing[kind] as Promise<void>).then(() => this.#one(kind, code));
  }

  async #fetch(kind: Kind, codes: string[]): Promise<void> {
    const cache = this.#cache[kind];
    const wanted = [...new Set(codes)].filter((c) => c !== '' && !cache.has(c));
    const waits: Promise<unknown>[] = [];
    for (const part of chunks(wanted, CODES_PER_QUERY)) {
      const pending = this.#query(kind, part);
      for (const code of part) {
        const one = pending.then((found) => found.get(code));
        cache.set(code, one);
        // A failed request is not kept: the next ask tries again.
        one.catch(() => cache.delete(code));
      }
      waits.push(pending);
    }
    await Promise.all(waits);
  }

  async #query(kind: Kind, codes: string[]): Promise<Map<string, JsonValue>> {
    const s = SOURCES[kind];
    this.#queries++;
    const answer = await this.#client.json({
      method: 'GET',
      path: s.path,
      // Room for every code and a duplicate or two: a code FOLIO holds twice shows as ambiguous below.
      query: { query: cqlAnyOf(s.field, codes), limit: codes.length * 2 + 1 },
    });
    const list = isJsonObject(answer) && Array.isArray(answer[s.list]) ? answer[s.list] : [];
    const out = new Map<string, JsonValue>();
    for (const item of list as JsonValue[]) {
      if (!isJsonObject(item)) continue;
      const code = jsonText(item[s.field]);
      // `==` on a text field is a word match in some CQL setups: keep only exact matches.
      if (code !== undefined && codes.includes(code) && !out.has(code)) out.set(code, item);
    }
    return out;
  }
}

const str = (o: { [k: string]: JsonValue }, k: string): string | undefined => jsonText(o[k]);

export function toOrganization(v: JsonValue | undefined): Organization | undefined {
  if (!isJsonObject(v)) return undefined;
  const id = str(v, 'id');
  if (id === undefined) return undefined;
  return {
    id,
    code: str(v, 'code') ?? '',
    name: str(v, 'name') ?? '',
    status: str(v, 'status') ?? '',
    isVendor: v['isVendor'] === true,
    paymentMethod: str(v, 'paymentMethod'),
  };
}

export function toFund(v: JsonValue | undefined): Fund | undefined {
  if (!isJsonObject(v)) return undefined;
  const id = str(v, 'id');
  return id === undefined ? undefined : { id, code: str(v, 'code') ?? '', fundStatus: str(v, 'fundStatus') ?? '' };
}

export function toPoLine(v: JsonValue | undefined): PoLine | undefined {
  if (!isJsonObject(v)) return undefined;
  const id = str(v, 'id');
  if (id === undefined) return undefined;
  const encumbrances = new Map<string, string>();
  const twice = new Set<string>();
  for (const fd of Array.isArray(v['fundDistribution']) ? v['fundDistribution'] : []) {
    if (!isJsonObject(fd)) continue;
    const fundId = str(fd, 'fundId')?.toLowerCase();
    const encumbrance = str(fd, 'encumbrance');
    if (fundId === undefined) continue;
    if (encumbrances.has(fundId) || twice.has(fundId)) {
      twice.add(fundId);
      encumbrances.delete(fundId);
    } else if (encumbrance !== undefined && encumbrance !== '') encumbrances.set(fundId, encumbrance);
    else twice.add(fundId);
  }
  return {
    id,
    poLineNumber: str(v, 'poLineNumber') ?? '',
    titleOrPackage: str(v, 'titleOrPackage'),
    paymentStatus: str(v, 'paymentStatus'),
    ...(encumbrances.size > 0 ? { encumbrances } : {}),
  };
}
