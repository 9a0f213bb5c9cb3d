/**
 * Lists read page by page, guarded against an API that pages by none of the names the loader
 * sends (Alguna's legacy `page` and v2 `offset`, Exsited's v3 `offset` and v4 `cursor` for its
 * purchase orders' invoices and an invoice's notes, Alma's `offset`): such an API answers the
 * same page again, and read on, the loop would never end nor show the rest, or with a total to
 * stop at, would count the same entries twice and leave the rest unread. A listing that proves an
 * invoice or a line absent must be whole, so the caller fails the listing instead. One rule for
 * every target.
 */
import { isJsonObject, jsonText, stringifyJson, type JsonValue } from '../common/json.js';

/**
 * An entry as the repeat check tells it apart: its `id`, else its `uuid` (Exsited's notes have
 * only a uuid), else (a line listed without one, an entry in an envelope) its whole text. By ids,
 * a page answered again with a field changed in between is still the same page; by text alone,
 * entries without ids are not all alike.
 */
function entryKey(item: JsonValue): string {
  const id = isJsonObject(item) ? jsonText(item['id']) || jsonText(item['uuid']) : undefined;
  return id !== undefined && id !== '' ? `id ${id}` : `text ${stringifyJson(item)}`;
}

/**
 * Whether `items` repeats the page before it: the same entries, in any order (a server that
 * ignores the offset need not sort the same way twice). An empty page is never a repeat: the
 * list ends there anyway.
 */
export function repeatsPage(previous: readonly JsonValue[] | undefined, items: readonly JsonValue[]): boolean {
  if (previous === undefined || items.length === 0 || items.length !== previous.length) return false;
  const a = previous.map(entryKey).sort();
  const b = items.map(entryKey).sort();
  return a.every((k, i) => k === b[i]);
}

/** A check to call with each page's items in turn: true when a page repeats the one before (`repeatsPage`). */
export function repeatedPageCheck(): (items: readonly JsonValue[]) => boolean {
  let previous: readonly JsonValue[] | undefined;
  return (items) => {
    const again = repeatsPage(previous, items);
    previous = items;
    return again;
  };
}
