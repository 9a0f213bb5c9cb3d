/**
 * Paths into a vendor's nested JSON, a small subset of JSONPath: keys joined with `.`,
 * `[*]` for every element of an array, `[n]` for one element, `["a key.with dots"]` for an
 * awkward key, and an optional leading `$`. E.g. `invoices[*].items[*].allocations[*]`.
 */
import { JsonNumber, type JsonValue } from '../../common/json.js';

export type PathToken = { key: string } | { index: number } | { each: true };

/** Parses a path; returns a message when it is not valid. */
export function parsePath(text: string): PathToken[] | string {
  const tokens: PathToken[] = [];
  let i = 0;
  if (text.startsWith('$')) {
    i = 1;
    if (text[i] === '.') i++;
  }
  if (i >= text.length) return tokens;
  let expectKey = text[i] !== '[';
  while (i < text.length) {
    const c = text[i]!;
    if (c === '[') {
      const close = text.indexOf(']', i);
      if (text[i + 1] === '"') {
        const end = text.indexOf('"]', i + 2);
        if (end === -1) return `${JSON.stringify(text)}: a ["…"] key is not closed`;
        tokens.push({ key: text.slice(i + 2, end) });
        i = end + 2;
      } else {
        if (close === -1) return `${JSON.stringify(text)}: "[" is not closed`;
        const inner = text.slice(i + 1, close);
        if (inner === '*') tokens.push({ each: true });
        else if (/^\d+$/.test(inner)) tokens.push({ index: Number(inner) });
        else return `${JSON.stringify(text)}: [${inner}] is not [*], an index like [0], or a quoted key like ["name"]`;
        i = close + 1;
      }
      expectKey = false;
      continue;
    }
    if (c === '.') {
      if (expectKey || i === text.length - 1) return `${JSON.stringify(text)}: an empty key (two dots, or a dot at an end)`;
      expectKey = true;
      i++;
      continue;
    }
    if (!expectKey) return `${JSON.stringify(text)}: expected "." or "[" before "${text.slice(i)}"`;
    let end = i;
    while (end < text.length && text[end] !== '.' && text[end] !== '[') end++;
    tokens.push({ key: text.slice(i, end) });
    i = end;
    expectKey = false;
  }
  if (expectKey) return `${JSON.stringify(text)}: ends with a dot`;
  return tokens;
}

export const formatPath = (tokens: readonly PathToken[]): string =>
  tokens
    .map((t, i) =>
      'each' in t ? '[*]' : 'index' in t ? `[${t.index}]` : /^[^.[\]"]+$/.test(t.key) ? (i === 0 ? t.key : `.${t.key}`) : `[${JSON.stringify(t.key)}]`,
    )
    .join('');

export const sameToken = (a: PathToken, b: PathToken): boolean =>
  'each' in a ? 'each' in b : 'index' in a ? 'index' in b && a.index === b.index : 'key' in b && a.key === b.key;

export type JsonObject = { [key: string]: JsonValue };
export const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);

/** Follows keys and indexes (no `[*]`) from `v`; undefined when any step is missing. */
export function follow(v: JsonValue | undefined, tokens: readonly PathToken[]): JsonValue | undefined {
  let cur = v;
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined;
    if ('key' in t) cur = isObject(cur) && Object.hasOwn(cur, t.key) ? cur[t.key] : undefined;
    else if ('index' in t) cur = Array.isArray(cur) ? cur[t.index] : undefined;
    else return undefined;
  }
  return cur;
}

/** Splits a path at its `[*]`s: `a.b[*].c[*].d` → [[a,b], [c], [d]]. */
export function levels(tokens: readonly PathToken[]): PathToken[][] {
  const out: PathToken[][] = [[]];
  for (const t of tokens) {
    if ('each' in t) out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out;
}
