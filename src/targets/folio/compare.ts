/**
 * Whether a line FOLIO holds is the line the loader sent. Pure.
 *
 * A line POST answered with a 5xx may have been half done by mod-invoice: stored, and then the
 * rest of the request failed (docs/folio.md "Exactly once"). A line found after such an answer
 * (read by its id after the repeated POST is refused, or listed when the engine settles the
 * unknown outcome) is adopted only when it holds what makes the line: the invoice it is on, its
 * PO line link, its amount and quantity, its encumbrance flag and its fund distributions, as
 * `linePayload` (payload.ts) sends them. Not the fields FOLIO writes itself (`total`,
 * `adjustments`, `invoiceLineStatus`, `invoiceLineNumber`), nor the free text.
 */
import { Decimal } from 'decimal.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { FieldDifference } from '../target.js';
import { sameId } from './ids.js';

const NOTHING = 'nothing';

type Sent = Record<string, unknown>;

/** A value as a message shows it: text quoted, a number's exact digits, else `nothing`. */
function shown(v: unknown): string {
  if (v === undefined || v === null) return NOTHING;
  if (Decimal.isDecimal(v)) return v.toFixed();
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const t = jsonText(v as JsonValue);
  if (t !== undefined) return t;
  return JSON.stringify(v);
}

/** A number sent or stored (Decimal, number, JSON number or text), or undefined. */
function numberOf(v: unknown): Decimal | undefined {
  if (v === undefined || v === null || typeof v === 'boolean') return undefined;
  if (Decimal.isDecimal(v)) return v;
  const t = typeof v === 'number' ? String(v) : jsonText(v as JsonValue);
  if (t === undefined || t.trim() === '') return undefined;
  try {
    return new Decimal(t);
  } catch {
    return undefined;
  }
}

const sameNumber = (a: unknown, b: unknown): boolean => {
  const x = numberOf(a);
  const y = numberOf(b);
  return x !== undefined && y !== undefined && x.equals(y);
};

/** A fund distribution as it is compared and shown: `GENRL percentage 60`. */
function distribution(d: unknown): { key: string; text: string } {
  const o = (d ?? {}) as Record<string, unknown>;
  const fund = typeof o['fundId'] === 'string' ? o['fundId'].toLowerCase() : (jsonText(o['fundId'] as JsonValue) ?? '').toLowerCase();
  const type = typeof o['distributionType'] === 'string' ? o['distributionType'] : (jsonText(o['distributionType'] as JsonValue) ?? '');
  const value = numberOf(o['value']);
  const code = typeof o['code'] === 'string' ? o['code'] : jsonText(o['code'] as JsonValue);
  return { key: `${fund} ${type} ${value?.toFixed() ?? ''}`, text: `${code ?? fund} ${type} ${value?.toFixed() ?? NOTHING}` };
}

/**
 * The fields in which `stored` (a line as FOLIO answers it) differs from `sent` (the body the
 * loader posts for line `number`), each named `line <number> <field>`. Empty: the line is the one sent.
 */
export function lineDifferences(number: string, sent: Sent, stored: JsonValue): FieldDifference[] {
  const held: Record<string, JsonValue> = isJsonObject(stored) ? stored : {};
  const out: FieldDifference[] = [];
  const field = (name: string): string => `line ${number} ${name}`;
  for (const k of ['invoiceId', 'poLineId'] as const) {
    const ours = typeof sent[k] === 'string' ? sent[k] : undefined;
    const theirs = jsonText(held[k]);
    const same = ours === undefined || ours === '' ? theirs === undefined || theirs === '' : theirs !== undefined && sameId(ours, theirs);
    if (!same) out.push({ field: field(k), sent: shown(ours), stored: shown(theirs) });
  }
  for (const k of ['subTotal', 'quantity'] as const) {
    if (sent[k] === undefined) continue;
    if (!sameNumber(sent[k], held[k])) out.push({ field: field(k), sent: shown(sent[k]), stored: shown(held[k]) });
  }
  if (typeof sent['releaseEncumbrance'] === 'boolean') {
    const theirs = held['releaseEncumbrance'];
    if (theirs !== sent['releaseEncumbrance']) out.push({ field: field('releaseEncumbrance'), sent: String(sent['releaseEncumbrance']), stored: shown(theirs) });
  }
  const ours = (Array.isArray(sent['fundDistributions']) ? sent['fundDistributions'] : []).map(distribution);
  const theirs = (Array.isArray(held['fundDistributions']) ? held['fundDistributions'] : []).map(distribution);
  const keys = (list: { key: string }[]): string => list.map((d) => d.key).sort().join('; ');
  if (keys(ours) !== keys(theirs)) {
    const text = (list: { text: string }[]): string => (list.length === 0 ? NOTHING : list.map((d) => d.text).join('; '));
    out.push({ field: field('fundDistributions'), sent: text(ours), stored: text(theirs) });
  }
  return out;
}
