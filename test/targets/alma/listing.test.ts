import { describe, expect, it } from 'vitest';
import { readAllPages, wholeListingStep } from '../../../src/targets/alma/lookup.js';
import { JsonNumber, type JsonValue } from '../../../src/common/json.js';

describe('wholeListingStep: a vendor listing proves absence only where its pages and its count agree', () => {
  it.each<[string, { read: number; got: number; total: number | undefined; firstTotal: number | undefined }, 'more' | 'end' | RegExp]>([
    ['a short first page holding the total', { read: 0, got: 3, total: 3, firstTotal: 3 }, 'end'],
    ['an empty first page and a total of 0 (sample 10)', { read: 0, got: 0, total: 0, firstTotal: 0 }, 'end'],
    ['a full page short of the total', { read: 0, got: 100, total: 150, firstTotal: 150 }, 'more'],
    ['a short last page reaching the total', { read: 100, got: 50, total: 150, firstTotal: 150 }, 'end'],
    ['a full page reaching the total: the next must show the end', { read: 100, got: 100, total: 200, firstTotal: 200 }, 'more'],
    ['the empty page after a full one, the total read', { read: 200, got: 0, total: 200, firstTotal: 200 }, 'end'],
    ['more entries than the total on a full page', { read: 0, got: 100, total: 3, firstTotal: 3 }, /^100 entries were read by the page at offset 0, more than total_record_count 3$/],
    ['more entries after a full page that reached the total', { read: 100, got: 50, total: 100, firstTotal: 100 }, /^150 entries were read .* more than total_record_count 100$/],
    ['a short page before the total', { read: 100, got: 20, total: 150, firstTotal: 150 }, /^the page at offset 100 holds 20 entries, fewer than the 100 asked, but total_record_count is 150 and 120 were read$/],
    ['an empty page before the total', { read: 100, got: 0, total: 150, firstTotal: 150 }, /holds 0 entries, fewer than the 100 asked, but total_record_count is 150 and 100 were read$/],
    ['a total that changed between pages', { read: 100, got: 49, total: 149, firstTotal: 150 }, /^the page at offset 100 gives total_record_count 149, the first page 150$/],
    ['a page without a usable total', { read: 100, got: 50, total: undefined, firstTotal: 150 }, /^the page at offset 100 has no usable total_record_count$/],
  ])('%s', (_name, p, expected) => {
    const step = wholeListingStep({ ...p, limit: 100 });
    if (expected instanceof RegExp) expect(step).toEqual({ disagree: expect.stringMatching(expected) });
    else expect(step).toBe(expected);
  });
});

describe('readAllPages: a page of 200,000 entries', () => {
  // A server that ignores `limit` may answer the whole list on one page: its entries were spread
  // into one push() call, which overflows the stack past ~125,000 arguments.
  it.each([
    ['a listing', {}],
    ['a listing that proves absence', { provesAbsence: { limit: 100 } }],
  ])('%s: read whole, no stack overflow', async (_name, opts) => {
    const entries = Array.from({ length: 200_000 }, (_, i) => ({ id: String(i) }));
    const total = new JsonNumber(String(entries.length));
    const pages: JsonValue[] = [{ invoice: entries, total_record_count: total }, { invoice: [], total_record_count: total }];
    const got = await readAllPages(async (offset) => pages[offset === 0 ? 0 : 1]!, 'invoice', undefined, undefined, opts);
    expect(got).toHaveLength(entries.length);
  });
});
