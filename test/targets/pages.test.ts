import { describe, expect, it } from 'vitest';
import { parseJson, type JsonValue } from '../../src/common/json.js';
import { repeatedPageCheck, repeatsPage } from '../../src/targets/pages.js';

const a = { id: '1', number: 'A' };
const b = { id: '2', number: 'B' };
const c = { id: '3', number: 'C' };

describe('repeatsPage: one rule for a server that answers the same page again (Alma, Alguna, Exsited)', () => {
  it.each<[string, JsonValue[] | undefined, JsonValue[], boolean]>([
    ['the first page', undefined, [a, b], false],
    ['the same entries again', [a, b], [a, b], true],
    ['the same entries in another order', [a, b], [b, a], true],
    ['the same ids with a field changed in between', [a, b], [{ ...a, number: 'A2' }, b], true],
    ['ids as a number (as parsed) or a string', parseJson('[{"id": 1}, {"id": 2}]') as JsonValue[], [{ id: '1' }, { id: '2' }], true],
    ['the next entries', [a, b], [c], false],
    ['a listing that moved by one entry (not a repeat; the vendor listing checks its ids itself)', [a, b], [b, c], false],
    ['the page before and one entry more', [a, b], [a, b, c], false],
    ['one entry of the page before', [a, b], [a], false],
    ['an empty page after a page: the end, not a repeat', [a, b], [], false],
    ['an empty page after an empty page', [], [], false],
    ['entries without ids (lines listed by number), other text', [{ number: '1' }, { number: '2' }], [{ number: '3' }, { number: '4' }], false],
    ['entries without ids, the same text', [{ number: '1' }, { number: '2' }], [{ number: '2' }, { number: '1' }], true],
    ['a blank id is no id: the text tells them apart', [{ id: '', number: '1' }], [{ id: '', number: '2' }], false],
    ['entries in an envelope, other text', [{ purchase_invoice: { id: 'x' } }], [{ purchase_invoice: { id: 'y' } }], false],
    ['not objects, the same', ['x', 'y'], ['y', 'x'], true],
  ])('%s', (_name, previous, items, expected) => {
    expect(repeatsPage(previous, items)).toBe(expected);
  });
});

describe('repeatedPageCheck: each page against the one before it', () => {
  it('flags the second of two equal pages, not the first, and moves on with each page', () => {
    const repeated = repeatedPageCheck();
    expect([[a, b], [c], [c], [a, b], []].map((page) => repeated(page))).toEqual([false, false, true, false, false]);
  });
});
