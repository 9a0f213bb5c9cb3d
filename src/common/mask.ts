/**
 * Masking secrets (an API key, a password) in text the program shows or keeps. Pure.
 *
 * A secret is masked where it stands as a token: not inside a longer run of letters and digits.
 * So `apikey=KEY`, `KEY.`, `key KEY`, `E01-KEY` and `KEY_2` are masked, and a short key
 * (`ALMA_API_KEY=k`, a sandbox's) never turns `workflow` into `wor***flow`. `-` and `_` count as
 * separators, not as part of a word: a gateway that writes `X-KEY` must not show the key, and a
 * short key standing between dashes is masked there too. At an end of the secret that is not a
 * letter or digit (a password ending in `!`) any neighbour will do.
 */
import { JsonNumber, type JsonValue } from './json.js';

/** What a secret is replaced with. */
export const MASK = '***';

const KEY_CHAR = /[A-Za-z0-9]/;

/** The secrets worth looking for: non-empty, each once, longest first (so a longer one is masked whole). */
export function maskList(secrets: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const s of secrets) if (s !== undefined && s !== '') out.add(s);
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every secret that stands as a token replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === '' || !out.includes(s)) continue;
    const startsKey = KEY_CHAR.test(s[0]!);
    const endsKey = KEY_CHAR.test(s[s.length - 1]!);
    let built = '';
    let from = 0;
    for (let at = out.indexOf(s); at !== -1; at = out.indexOf(s, at + 1)) {
      if (at < from) continue;
      const before = at > 0 ? out[at - 1]! : '';
      const after = out[at + s.length] ?? '';
      if (startsKey && before !== '' && KEY_CHAR.test(before)) continue;
      if (endsKey && after !== '' && KEY_CHAR.test(after)) continue;
      built += out.slice(from, at) + MASK;
      from = at + s.length;
    }
    out = from === 0 ? out : built + out.slice(from);
  }
  return out;
}

/**
 * A JSON value with every string in it masked (`maskSecrets`); numbers, booleans, nulls and the
 * names of fields are kept as they are, so ids and amounts come through whatever the secrets are
 * (a key of digits is never looked for in a number). The same value when nothing was masked.
 */
export function maskJson<V extends JsonValue | undefined>(value: V, secrets: readonly string[]): V {
  if (secrets.length === 0) return value;
  return walk(value, secrets) as V;
}

function walk(v: JsonValue | undefined, secrets: readonly string[]): JsonValue | undefined {
  if (typeof v === 'string') return maskSecrets(v, secrets);
  if (v === null || v === undefined || typeof v === 'boolean' || v instanceof JsonNumber) return v;
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const m = walk(x, secrets)!;
      if (m !== x) changed = true;
      return m;
    });
    return changed ? out : v;
  }
  let changed = false;
  const out: { [key: string]: JsonValue } = {};
  for (const [k, x] of Object.entries(v)) {
    const m = walk(x, secrets)!;
    if (m !== x) changed = true;
    // As parseJson keeps it: a "__proto__" field stays data, never the prototype.
    Object.defineProperty(out, k, { value: m, enumerable: true, writable: true, configurable: true });
  }
  return changed ? out : v;
}
