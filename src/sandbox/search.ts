/**
 * Alma "brief search" (`q=field~value`) and paging, as the sandbox implements them. `~` searches
 * for WORDS (OAS on `GET /acq/po-lines` `q`: "Searching for words from…";
 * docs/alma.md#look-ups-and-how-fresh-they-are), so `invoice_number~INV-1` also finds `INV-1-B` and
 * `1 INV`. A loader must post-filter for an exact match; the sandbox's looseness is what lets tests
 * check that it does.
 */
import { AlmaError } from './alma-shapes.js';

export interface Clause {
  field: string;
  value: string;
}

/** Words of a value: split on anything that is not a letter or digit, case-insensitive. */
export function words(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** True when every word of the query is among the field's words. */
export function wordMatch(query: string, field: string): boolean {
  const have = new Set(words(field));
  return words(query).every((w) => have.has(w));
}

/** Parses `field~value[ AND field~value…]`; unknown fields are refused like Alma (401873). */
export function parseQuery(q: string | null, allowed: readonly string[]): Clause[] {
  if (q === null || q.trim() === '') return [];
  return q.split(/\s+AND\s+/i).map((part) => {
    const m = /^\s*([A-Za-z_]+)~(.*)$/s.exec(part);
    if (!m) throw new AlmaError(400, '401873', `Request failed: the search query parameter is not valid: ${part}`);
    const field = (m[1] ?? '').toLowerCase();
    if (!allowed.includes(field)) {
      throw new AlmaError(400, '401873', `Request failed: search field ${field} is not supported (use ${allowed.join(', ')})`);
    }
    return { field, value: m[2] ?? '' };
  });
}

/** `limit` 0-100, default 10; `offset` default 0 (OAS, every list operation). */
export function pageParams(query: URLSearchParams): { limit: number; offset: number } {
  const limit = intParam(query.get('limit'), 'limit', 10);
  const offset = intParam(query.get('offset'), 'offset', 0);
  if (limit > 100) throw new AlmaError(400, '402119', `General error: limit must be between 0 and 100 (got ${limit}).`);
  return { limit, offset };
}

function intParam(raw: string | null, name: string, dflt: number): number {
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw new AlmaError(400, '402119', `General error: ${name} must be a non-negative integer (got ${raw}).`);
  return Number(raw);
}

/**
 * A list answer. A page without items has NO item key, just `total_record_count` (sample 10:
 * `{"total_record_count": 0}`; MIT-SAP `AlmaClient` docstring).
 */
export function listBody<T>(key: string, all: T[], limit: number, offset: number, render: (t: T) => unknown): Record<string, unknown> {
  const page = all.slice(offset, offset + limit);
  return page.length === 0
    ? { total_record_count: all.length }
    : { total_record_count: all.length, [key]: page.map(render) };
}
