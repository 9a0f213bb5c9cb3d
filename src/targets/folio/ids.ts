/**
 * Name-based ids and CQL for FOLIO.
 *
 * FOLIO takes a client-supplied `id` (a UUID) on `POST /invoice/invoices` and
 * `POST /invoice/invoice-lines` (acq-models `invoice.json`, `invoice_line.json`: `id` is a
 * writable property), and its storage refuses a second record with the same id. So the loader
 * names each invoice and line with a UUID v5 (RFC 9562 §5.5: SHA-1 over a namespace and a
 * name) derived from the batch's keys: the tenant, the vendor code and the vendor's invoice
 * number; a line adds its line number. A request sent again after a lost answer then either
 * creates the record or meets the one it made — never a second one (docs/folio.md).
 */
import { createHash } from 'node:crypto';

/** The loader's own namespace (a random v4 UUID chosen once; it must never change). */
export const FOLIO_NAMESPACE = '8a3c7e52-61f4-4b0e-9d2a-5f1c0b7e94d3';

/** UUID v5 of `name` in `namespace` (RFC 9562 §5.5), lower case. */
export function uuidV5(name: string, namespace: string = FOLIO_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`internal: namespace ${namespace} is not a UUID`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50; // version 5
  b[8] = ((b[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The invoice's id: the same in every run for the same tenant, vendor and invoice number. */
export const invoiceIdOf = (tenant: string, key: { vendor: string; number: string }): string =>
  uuidV5(JSON.stringify(['invoice', tenant, key.vendor, key.number]));

/**
 * How many times one vendor's invoice may be created again after FOLIO holds it as Cancelled:
 * past that the loader refuses instead of trying further ids (a judgement, not FOLIO's limit).
 */
export const MAX_RECREATIONS = 20;

/**
 * The ids the loader may give one invoice, in order: `invoiceIdOf`, then one derived from each
 * before it. A cancelled invoice keeps its id in FOLIO (storage refuses a second record under it),
 * and it is not the vendor's invoice loaded (docs/folio.md "Cancelled"), so the invoice is created
 * again under the next id; every run derives the same ones, so each stays name-based — a send
 * repeated after a lost answer meets the record it made — and is told from one keyed in by hand.
 */
export function ownInvoiceIds(tenant: string, key: { vendor: string; number: string }): string[] {
  const ids = [invoiceIdOf(tenant, key)];
  while (ids.length <= MAX_RECREATIONS) ids.push(uuidV5(JSON.stringify(['invoice-after-cancelled', (ids.at(-1) as string).toLowerCase()])));
  return ids;
}

/** Whether `id` is one the loader gives this invoice (`ownInvoiceIds`). */
export const isOwnInvoiceId = (tenant: string, key: { vendor: string; number: string }, id: string): boolean => ownInvoiceIds(tenant, key).some((own) => sameId(own, id));

/**
 * `ownInvoiceIds` and `isOwnInvoiceId`, each invoice's chain derived once: it is 21 UUIDs (21
 * SHA-1s), asked per search result and twice per line sent. One per target (no state shared
 * between targets), holding the `limit` invoices asked last: an invoice's questions come close
 * together (its look-up, then its lines), and a batch of a million invoices stays out of memory.
 */
export class OwnInvoiceIds {
  readonly #memo = new Map<string, { ids: readonly string[]; lower: ReadonlySet<string> }>();
  constructor(readonly limit = 1024) {}

  #chain(tenant: string, key: { vendor: string; number: string }): { ids: readonly string[]; lower: ReadonlySet<string> } {
    const k = JSON.stringify([tenant, key.vendor, key.number]);
    let got = this.#memo.get(k);
    if (got !== undefined) {
      // Asked again: the most recent now (a Map keeps insertion order; the oldest goes first).
      this.#memo.delete(k);
    } else {
      const ids = ownInvoiceIds(tenant, key);
      got = { ids, lower: new Set(ids.map((id) => id.toLowerCase())) };
      if (this.#memo.size >= this.limit) this.#memo.delete(this.#memo.keys().next().value as string);
    }
    this.#memo.set(k, got);
    return got;
  }

  /** `ownInvoiceIds(tenant, key)`. */
  of(tenant: string, key: { vendor: string; number: string }): readonly string[] {
    return this.#chain(tenant, key).ids;
  }

  /** `isOwnInvoiceId(tenant, key, id)`: UUIDs compare without regard to case (RFC 9562 §4). */
  isOwn(tenant: string, key: { vendor: string; number: string }, id: string): boolean {
    return this.#chain(tenant, key).lower.has(id.toLowerCase());
  }
}

/** A line's id: the invoice's id and the line number. */
export const lineIdOf = (invoiceId: string, lineNumber: string): string => uuidV5(JSON.stringify(['line', invoiceId, lineNumber]));

/** A document's id (an invoice's attached file): the invoice's id and the file's name, unique per invoice. */
export const documentIdOf = (invoiceId: string, fileName: string): string => uuidV5(JSON.stringify(['document', invoiceId, fileName]));

/** Whether two UUIDs are the same (their hex digits compare without regard to case: RFC 9562 §4). */
export const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The pattern acq-models puts on every UUID field (versions 1–5, RFC 4122 variant). */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/**
 * A CQL string literal: double quotes, with `\`, `"`, and the masking characters `*`, `?`, `^`
 * escaped by a backslash (CQL 1.2 §2.1 and FOLIO's CQL guide: an unescaped `*` is a wildcard),
 * so `==` compares the value exactly.
 */
export const cqlString = (value: string): string => `"${value.replace(/[\\"*?^]/g, (c) => `\\${c}`)}"`;

/**
 * `(field=="A" or field=="B")`: one request for many codes. A boolean `or` joins whole search
 * clauses, and a parenthesised query is one clause (CQL 1.2's grammar: `searchClause ::= '('
 * cqlQuery ')' | index relation searchTerm`), so the group can stand in an `and`.
 */
export function cqlAnyOf(field: string, values: readonly string[]): string {
  if (values.length === 0) throw new Error('internal: a CQL any-of needs at least one value');
  const clauses = values.map((v) => `${field}==${cqlString(v)}`);
  return clauses.length === 1 ? (clauses[0] as string) : `(${clauses.join(' or ')})`;
}

/** Splits `values` into chunks of at most `size`, so no query URL grows without bound. */
export function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
