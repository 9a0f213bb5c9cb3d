/**
 * The sandbox's way to store an invoice differently from what was sent — a field dropped or
 * altered on write — so the loader's canary (the first invoice read back and compared,
 * engine/canary.ts) is tested end to end. Real Alma ignores keys it does not know
 * (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts): dropping the note is what a wrong list key would do.
 *
 * A name is a key of the invoice body (`note` stands for both `note` and `notes`, the two names
 * Alma's list may go by) or of a line body as `line.<key>` (`line.price`, `line.fund_distribution`).
 * Pure: the body in, the body to store out.
 */
import { Decimal } from 'decimal.js';
import { JsonNumber, type JsonValue } from '../common/json.js';

export interface TamperConfig {
  /** Fields removed from a write before it is stored. */
  dropFields: readonly string[];
  /** Fields stored with another value: a number + 1, a date a day later, a text with " (altered)", a flag flipped. */
  alterFields: readonly string[];
}

export function tamper(body: JsonValue | undefined, kind: 'invoice' | 'line', cfg: TamperConfig): JsonValue | undefined {
  if (cfg.dropFields.length === 0 && cfg.alterFields.length === 0) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof JsonNumber) return body;
  const keysOf = (names: readonly string[]): Set<string> => {
    const out = new Set<string>();
    for (const n of names) {
      const key = kind === 'line' ? (n.startsWith('line.') ? n.slice(5) : undefined) : n.startsWith('line.') ? undefined : n;
      if (key === undefined) continue;
      out.add(key);
      if (kind === 'invoice' && (key === 'note' || key === 'notes')) out.add('note').add('notes');
    }
    return out;
  };
  const drop = keysOf(cfg.dropFields);
  const alter = keysOf(cfg.alterFields);
  const out: { [k: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(body)) {
    if (drop.has(k)) continue;
    out[k] = alter.has(k) ? altered(v) : v;
  }
  return out;
}

/** Another value of the same kind. */
export function altered(v: JsonValue): JsonValue {
  if (v instanceof JsonNumber) return new JsonNumber(new Decimal(v.text).plus(1).toFixed());
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') {
    const day = /^(\d{4}-\d{2}-\d{2})(.*)$/.exec(v);
    if (day !== null) {
      const next = new Date(Date.parse(`${day[1]}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      return next + day[2];
    }
    return `${v} (altered)`;
  }
  if (Array.isArray(v)) return v.map(altered);
  if (v === null) return v;
  // A wrapped code `{value}` or a note `{content}`: change what it holds; other objects, every field.
  if ('value' in v) return { ...v, value: altered(v['value']!) };
  if ('content' in v) return { ...v, content: altered(v['content']!) };
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, altered(x)]));
}
