/**
 * Lists read page by page, guarded against an API that pages by neither of the names the loader
 * sends (Alguna's legacy `page` and v2 `offset`, Exsited's v3 `offset` and v4 `cursor`): such an
 * API answers the same page again, and read on, the loop would never end nor show the rest. A
 * listing that proves an invoice absent must be whole, so the caller fails the look-up instead.
 */
import { isJsonObject, jsonText, type JsonValue } from '../common/json.js';

/** A check to call with each page's items in turn: true when a page holds the same ids as the one before. */
export function repeatedPageCheck(): (items: readonly JsonValue[]) => boolean {
  let previous: string | undefined;
  return (items) => {
    const ids = items.map((i) => (isJsonObject(i) ? (jsonText(i['id']) ?? '') : '')).join('\u0000');
    const again = items.length > 0 && ids === previous;
    previous = ids;
    return again;
  };
}
