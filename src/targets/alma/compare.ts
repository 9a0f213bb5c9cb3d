/**
 * What was sent against what Alma stored — pure. The canary (the first invoice a run creates,
 * read back before any other is created) and `invoice-load verify` both use it.
 *
 * Every field of the bodies the loader sent (payload.ts) is looked for in the invoice as Alma
 * answers a full `GET /acq/invoices/{id}`, lines included, and compared the way Alma writes it
 * back (docs/alma.md#the-json-shape-list-naming-amounts-dates):
 * - amounts as decimals (a JSON number or a string; at the 15 significant digits a double keeps,
 *   docs/alma.md#values-alma-can-store), never as JavaScript numbers;
 * - dates by their `YYYY-MM-DD` (Alma adds a `Z`);
 * - codes by their `value` (answers wrap them `{value, desc}`);
 * - the invoice note under `notes` or `note` (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts), by its text;
 * - text with line breaks as LF and Unicode in NFC on both sides (`sameText`);
 * - lines matched by their number; fund distributions by fund code, on the share that was sent
 *   (answers carry both percent and amount, or the other one as null: sample 04).
 * A field Alma does not show at all counts as a difference: Alma ignores keys it does not know,
 * and a silently dropped field is exactly what this is for — unless it is one real answers leave
 * out (NOT_ALWAYS_SHOWN), or what was sent is its default (DEFAULTS).
 */
import { Decimal } from 'decimal.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { AlmaBody, AlmaBodyValue } from './payload.js';
import { codeOf, items, listOf } from './remote.js';
import type { FieldDifference } from '../target.js';

/**
 * Field names: `note`, `total_amount`, `invoice_vat.percentage`, `line 2 price`,
 * `line 2 fund_distribution CHEM percent`; values as text (strings quoted), `nothing` when absent.
 */
export type { FieldDifference };

export const NOTHING = 'nothing';

type JsonObject = { [key: string]: JsonValue };

/**
 * The differences between what was sent (`invoice` and `lines`, payload.ts's bodies) and what the
 * target stored (`stored`: the full invoice answer; `storedLines`: its lines, when read apart).
 * Empty when everything sent was stored as sent.
 */
export function compareStored(sent: { invoice: AlmaBody; lines: readonly AlmaBody[] }, stored: JsonValue, storedLines?: readonly JsonValue[]): FieldDifference[] {
  const out: FieldDifference[] = [];
  const inv = isJsonObject(stored) ? stored : {};
  for (const [key, value] of Object.entries(sent.invoice)) {
    if (key === 'notes') compareNotes(value, inv, out);
    else compareValue(key, key, value, inv[key], out);
  }
  const lines = storedLines ?? linesOf(inv);
  const byNumber = new Map<string, JsonObject>();
  for (const l of lines) if (isJsonObject(l)) byNumber.set(jsonText(l['number']) ?? '', l);
  for (const line of sent.lines) {
    const number = typeof line['number'] === 'string' ? line['number'] : '';
    const held = byNumber.get(number);
    if (held === undefined) {
      out.push({ field: `line ${number}`, sent: `line ${number}`, stored: NOTHING });
      continue;
    }
    for (const [key, value] of Object.entries(line)) {
      if (key === 'fund_distribution') compareFunds(`line ${number} fund_distribution`, value, held[key], out);
      else compareValue(`line ${number} ${key}`, `invoice_line.${key}`, value, held[key], out);
    }
  }
  return out;
}

/**
 * The fields a found invoice is compared on (Target.heldDifferences): the ones a person edits in
 * a vendor's file and Alma does not rewrite on its own. Not the total (a found invoice with
 * another total is another invoice: EXISTS_DIFFERENT), not the VAT, charges or payment flags
 * (Alma may compute or change them as the invoice moves on), not the lines (not in the answer).
 */
const HELD_FIELDS = ['invoice_date', 'invoice_due_date', 'vendor_account', 'currency', 'payment_method', 'reference_number', 'owner', 'notes'] as const;

/**
 * How an invoice Alma already holds (`held`: a search's, listing's or brief read's answer)
 * differs from the invoice body the batch would send, in HELD_FIELDS. A field the answer does
 * not carry at all is not compared: a brief answer may leave it out, and the canary, not this,
 * is what finds a field Alma drops.
 */
export function heldDifferences(sent: AlmaBody, held: JsonValue): FieldDifference[] {
  const inv = isJsonObject(held) ? held : {};
  const carried = (k: string): boolean => (k === 'notes' ? 'notes' in inv || 'note' in inv : k in inv);
  const picked: AlmaBody = {};
  for (const k of HELD_FIELDS) if (sent[k] !== undefined && carried(k)) picked[k] = sent[k];
  return compareStored({ invoice: picked, lines: [] }, inv);
}

/**
 * Line fields not compared on a found invoice: flags Alma may set as the invoice moves on, and the
 * VAT it may compute. The others are what the vendor's file says of the line.
 */
const LINE_FIELDS_NOT_HELD = new Set(['fully_invoiced', 'release_remaining_encumbrance', 'check_subscription_date_overlap', 'invoice_line_vat']);

/**
 * How the lines Alma already holds under a found invoice (`held`: its line list's entries) differ
 * from the batch's lines of the same numbers, field by field as the canary compares them. Lines
 * it does not hold are not differences (the load adds them); fields a held line does not carry
 * are not compared.
 */
export function heldLineDifferences(sent: readonly AlmaBody[], held: readonly JsonValue[]): FieldDifference[] {
  const byNumber = new Map<string, JsonObject>();
  for (const l of held) if (isJsonObject(l)) byNumber.set(jsonText(l['number']) ?? '', l);
  const out: FieldDifference[] = [];
  for (const line of sent) {
    const stored = byNumber.get(typeof line['number'] === 'string' ? line['number'] : '');
    if (stored === undefined) continue;
    const picked: AlmaBody = {};
    for (const [k, v] of Object.entries(line)) if (k === 'number' || (k in stored && !LINE_FIELDS_NOT_HELD.has(k))) picked[k] = v;
    out.push(...compareStored({ invoice: {}, lines: [picked] }, {}, [stored]));
  }
  return out;
}

/** The lines inside a full invoice answer (`invoice_lines.invoice_line`, or another naming of the list: `listOf`), when it carries them. */
export function linesOf(inv: JsonValue): JsonValue[] {
  return isJsonObject(inv) ? listOf(inv, 'invoice_lines', 'invoice_line') : [];
}

/** Whether a full answer shows every one of these lines (else they are read from the line list). */
export function hasLines(inv: JsonValue, numbers: readonly string[]): boolean {
  const shown = new Set(linesOf(inv).flatMap((l) => (isJsonObject(l) ? [jsonText(l['number']) ?? ''] : [])));
  return numbers.every((n) => shown.has(n));
}

/**
 * The lines the canary reads back: the fewest leading ones whose bodies between them carry every
 * field path any line of the invoice carries (`price`, `fund_distribution[].percent`,
 * `invoice_line_vat.vat_code` …). A key Alma ignores is ignored on every line that carries it
 * (docs/alma.md#reading-the-first-invoice-back-the-canary-verify), so reading those back proves
 * what reading all of them would — with a uniform file, the first line alone.
 */
export function coveringLines(lines: readonly AlmaBody[]): string[] {
  const shapes = lines.map((l) => fieldPaths(l));
  const all = new Set(shapes.flat());
  const covered = new Set<string>();
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (covered.size === all.size) break;
    out.push(typeof line['number'] === 'string' ? line['number'] : '');
    for (const p of shapes[i]!) covered.add(p);
  }
  return out;
}

/** Every path to a leaf in a body: object keys joined by `.`, array items as `[]`. */
export function fieldPaths(body: AlmaBody): string[] {
  const out: string[] = [];
  const walk = (value: AlmaBodyValue, path: string): void => {
    if (Array.isArray(value)) for (const item of value) walk(item, `${path}[]`);
    else if (typeof value === 'object' && !Decimal.isDecimal(value)) for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
    else out.push(path);
  };
  walk(body, '');
  return [...new Set(out)];
}

/**
 * Fields a real answer leaves out although the invoice holds them: sample 01, a GET of a real
 * invoice, has no `vendor_account` key while it carries the DIFFERENT_VENDOR_ACCOUNT alert ("the
 * invoice holds a vendor account different …"), and a `payment` without `export_to_erp`, a flag
 * every invoice has (docs/alma.md#reading-the-first-invoice-back-the-canary-verify). Both are
 * fields of Alma's schema, not keys it could ignore unknown; their absence proves nothing, so it
 * is no difference — a value other than the one sent still is.
 */
const NOT_ALWAYS_SHOWN: ReadonlySet<string> = new Set(['vendor_account', 'payment.export_to_erp']);

/**
 * Alma's defaults for the flags and figures the loader may send, by path (a line's fields under
 * `invoice_line.`). An answer that leaves such a field out (no key, `null` or blank) while what was
 * sent is its default shows nothing other than what was sent: a server may leave out a flag that
 * is off or a charge of 0, and a field Alma dropped holds its default, which is what was sent. A
 * value other than the default is still a difference, shown or not. Documented: fully_invoiced
 * "Default false", check_subscription_date_overlap "Default true" (XSD-LINE,
 * docs/alma.md#reading-the-first-invoice-back-the-canary-verify); the other flags are taken as off
 * and the charges and VAT figures as 0 when not given (inferred, the same section). Not
 * `use_pro_rata` nor `expended_from_fund`: both are on in every real invoice of the samples and no
 * source gives their default, so one left out stays a difference.
 */
const DEFAULTS: ReadonlyMap<string, boolean | number> = new Map<string, boolean | number>([
  ['additional_charges.shipment', 0],
  ['additional_charges.overhead', 0],
  ['additional_charges.insurance', 0],
  ['additional_charges.discount', 0],
  ['invoice_vat.report_tax', false],
  ['invoice_vat.vat_per_invoice_line', false],
  ['invoice_vat.percentage', 0],
  ['invoice_vat.vat_amount', 0],
  ['payment.prepaid', false],
  ['payment.internal_copy', false],
  ['payment.export_to_erp', false],
  ['invoice_line.fully_invoiced', false],
  ['invoice_line.release_remaining_encumbrance', false],
  ['invoice_line.check_subscription_date_overlap', true],
  ['invoice_line.invoice_line_vat.percentage', 0],
  ['invoice_line.invoice_line_vat.vat_amount', 0],
]);

/**
 * Fields Alma may store with its own text: every line of sample 01 (a real answer) carries the
 * vat_note "Approximately 0.00 included in line Total Price.", Alma's wording, and no source shows
 * a sent vat_note kept verbatim. A difference there is `tolerated` (a warning): were it a canary
 * stop, a good run would stop on Alma's own note (docs/alma.md#reading-the-first-invoice-back-the-canary-verify).
 */
const REWRITTEN: ReadonlySet<string> = new Set(['invoice_line.vat_note']);

/** Whether `sent` is the default of the field at `path` (DEFAULTS). */
function isDefault(path: string, sent: AlmaBodyValue): boolean {
  const d = DEFAULTS.get(path);
  if (typeof d === 'boolean') return sent === d;
  if (typeof d === 'number') return (Decimal.isDecimal(sent) || typeof sent === 'number') && new Decimal(sent).equals(d);
  return false;
}

/** A field an answer leaves out: no key, `null`, or blank text (sample 01's `"voucher_amount": ""`). */
const notShown = (v: JsonValue | undefined): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * `field` names the field in a difference (`line 2 price`); `path` is its place in the schema
 * (`invoice_line.price`), which the rules above are keyed by.
 */
function compareValue(field: string, path: string, sent: AlmaBodyValue, stored: JsonValue | undefined, out: FieldDifference[]): void {
  if (REWRITTEN.has(path)) {
    const found: FieldDifference[] = [];
    compareExactly(field, path, sent, stored, found);
    for (const d of found) out.push({ ...d, tolerated: true });
    return;
  }
  compareExactly(field, path, sent, stored, out);
}

function compareExactly(field: string, path: string, sent: AlmaBodyValue, stored: JsonValue | undefined, out: FieldDifference[]): void {
  if (stored === undefined && NOT_ALWAYS_SHOWN.has(path)) return;
  if (notShown(stored) && isDefault(path, sent)) return;
  if (Decimal.isDecimal(sent) || typeof sent === 'number') {
    const theirs = numberOf(stored);
    const ours = new Decimal(sent);
    if (theirs === undefined || !theirs.toSignificantDigits(15).equals(ours.toSignificantDigits(15))) out.push({ field, sent: ours.toFixed(), stored: shown(stored) });
    return;
  }
  if (typeof sent === 'boolean') {
    const t = jsonText(stored);
    const theirs = typeof stored === 'boolean' ? stored : t === 'true' ? true : t === 'false' ? false : undefined;
    if (theirs !== sent) out.push({ field, sent: String(sent), stored: shown(stored) });
    return;
  }
  if (typeof sent === 'string') {
    const theirs = isJsonObject(stored) ? codeOf(stored) : jsonText(stored);
    const same = /_date$/.test(field) ? dayOf(theirs) !== undefined && dayOf(theirs) === dayOf(sent) : sameText(theirs, sent);
    if (!same) out.push({ field, sent: JSON.stringify(sent), stored: shown(stored) });
    return;
  }
  if (Array.isArray(sent)) {
    const theirs = items(stored);
    sent.forEach((item, i) => compareValue(`${field}[${i}]`, `${path}[]`, item, theirs[i], out));
    return;
  }
  const keys = Object.keys(sent);
  // A code-table field is sent as `{value}` and answered as `{value, desc}`.
  if (keys.length === 1 && keys[0] === 'value' && typeof sent['value'] === 'string') {
    const theirs = codeOf(stored);
    if (theirs !== sent['value']) out.push({ field, sent: JSON.stringify(sent['value']), stored: shown(stored) });
    return;
  }
  if (!isJsonObject(stored)) {
    if (keys.length === 0) return;
    // An object left out is no difference when every field sent in it is one an answer may leave out.
    const inside: FieldDifference[] = [];
    if (notShown(stored)) for (const k of keys) compareValue(`${field}.${k}`, `${path}.${k}`, sent[k]!, undefined, inside);
    if (!notShown(stored) || inside.length > 0) out.push({ field, sent: 'set', stored: shown(stored) });
    return;
  }
  for (const k of keys) compareValue(`${field}.${k}`, `${path}.${k}`, sent[k]!, stored[k], out);
}

/** Each note sent must be among the notes stored, under `notes` or `note` (`listOf`), as `content` (or `note_text`). */
function compareNotes(sent: AlmaBodyValue, inv: JsonObject, out: FieldDifference[]): void {
  const held = listOf(inv, 'notes', 'note').map(noteText).filter((t): t is string => t !== undefined && t !== '');
  for (const n of Array.isArray(sent) ? sent : [sent]) {
    const text = isObject(n) && typeof n['content'] === 'string' ? n['content'] : undefined;
    if (text === undefined || held.some((h) => sameText(h, text))) continue;
    out.push({ field: 'note', sent: JSON.stringify(text), stored: held.length === 0 ? NOTHING : held.map((h) => JSON.stringify(h)).join(', ') });
  }
}

function noteText(v: JsonValue): string | undefined {
  if (typeof v === 'string') return v;
  if (!isJsonObject(v)) return undefined;
  return jsonText(v['content']) ?? jsonText(v['note_text']);
}

/** Fund distributions by fund code, on the share sent (percent or amount); a fund more or less is a difference too. */
function compareFunds(field: string, sent: AlmaBodyValue, stored: JsonValue | undefined, out: FieldDifference[]): void {
  const ours = Array.isArray(sent) ? sent : [];
  const theirs = items(stored).filter(isJsonObject);
  const codeOfFund = (f: JsonObject | AlmaBody): string | undefined => codeOf(f['fund_code'] as JsonValue);
  for (const f of ours) {
    const code = codeOfFund(f) ?? '';
    const held = theirs.find((t) => codeOfFund(t) === code);
    if (held === undefined) {
      out.push({ field: `${field} ${code}`, sent: fundShown(f), stored: theirs.length === 0 ? NOTHING : theirs.map(fundShown).join(', ') });
      continue;
    }
    for (const share of ['percent', 'amount'] as const) {
      const v = f[share];
      if (v !== undefined) compareValue(`${field} ${code} ${share}`, `invoice_line.fund_distribution[].${share}`, v, held[share], out);
    }
  }
  const extra = theirs.filter((t) => !ours.some((f) => codeOfFund(f) === codeOfFund(t)));
  for (const t of extra) out.push({ field: `${field} ${codeOfFund(t) ?? ''}`, sent: NOTHING, stored: fundShown(t) });
}

/** A fund as `CODE 40%` or `CODE 0.2`: its percent, else its amount (an answer may give either as null, sample 04). */
function fundShown(f: JsonObject | AlmaBody): string {
  const code = codeOf(f['fund_code'] as JsonValue) ?? '?';
  const pct = f['percent'];
  const amt = f['amount'];
  const part = pct !== undefined && pct !== null ? `${String(pct)}%` : amt !== undefined && amt !== null ? String(amt) : '';
  return `${code} ${part}`.trim();
}

function numberOf(v: JsonValue | undefined): Decimal | undefined {
  const t = jsonText(v);
  if (t === undefined || t.trim() === '') return undefined;
  try {
    return new Decimal(t.trim());
  } catch {
    return undefined;
  }
}

/**
 * Text as stored: line breaks as LF (an XML parser turns CRLF and a lone CR into LF,
 * https://www.w3.org/TR/xml/#sec-line-ends) and Unicode in NFC (the composed form a server may
 * store), on both sides; any other change to the text is a difference.
 */
const sameText = (theirs: string | undefined, ours: string): boolean => theirs !== undefined && storedText(theirs) === storedText(ours);
const storedText = (t: string): string => t.replace(/\r\n?/g, '\n').normalize('NFC');

const dayOf = (v: string | undefined): string | undefined => (v === undefined ? undefined : /^\d{4}-\d{2}-\d{2}/.exec(v)?.[0]);

const isObject = (v: unknown): v is AlmaBody => typeof v === 'object' && v !== null && !Array.isArray(v) && !Decimal.isDecimal(v);

/** A stored value as text for a message: `nothing` when absent or empty. */
function shown(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return NOTHING;
  if (isJsonObject(v)) {
    const code = codeOf(v);
    if (code !== undefined) return JSON.stringify(code);
    return Object.keys(v).length === 0 ? NOTHING : JSON.stringify(v);
  }
  if (typeof v === 'string') return v === '' ? NOTHING : JSON.stringify(v);
  if (Array.isArray(v)) return v.length === 0 ? NOTHING : JSON.stringify(v);
  return String(v);
}
