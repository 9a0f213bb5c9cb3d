/**
 * Cell codecs: the one place that decides what text each canonical column accepts and what
 * value it becomes. They are plain functions (no zod, no exceptions) because they run once per
 * non-empty cell of every row: the grouper calls them directly, and the zod schemas in
 * `schema.ts` wrap the very same functions, so the two can never disagree.
 *
 * A codec gets the cell text already trimmed and non-empty. It returns the *normalised* value
 * (a canonical decimal text, an upper-cased code, a boolean, a whole number) or a `CellError`.
 * Normalised values compare with `===`: `100.0` and `100.00` are the same amount, `usd` and
 * `USD` the same currency. Decimal texts become `Decimal` only when an invoice is finished.
 */
import type { Decimal } from 'decimal.js';
import type { CanonicalColumn } from './columns.js';
import { closeCurrency, isCurrencyCode } from './currencies.js';
import { DATE_ORDER } from './style.js';
import { canonicalDecimalText, isDecimalText } from './money.js';
import { amountDigitsError, MAX_QUANTITY, textError } from './values.js';

export type CellKind = 'text' | 'money' | 'percent' | 'date' | 'boolean' | 'quantity' | 'currency' | 'vatType' | 'timestamp' | 'attributes';

/** The typed value of each kind once an invoice is finished (decimals become `Decimal`). */
export interface KindValue {
  text: string;
  money: Decimal;
  percent: Decimal;
  date: string;
  boolean: boolean;
  quantity: number;
  currency: string;
  vatType: string;
  /** `YYYY-MM-DD` or an RFC 3339 date-time, as written (T and Z upper-cased). */
  timestamp: string;
  /** Name/value pairs in their normal text form; `attributePairs` reads them. */
  attributes: string;
}

/** A failed cell: a stable problem code and a plain message that shows the bad value. */
export class CellError {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/** What a successful codec returns: decimal kinds give their canonical text. */
export type CellValue = string | boolean | number;
export type Codec = (text: string, column: string) => CellValue | CellError;

/** Which kind each canonical column is. Codes, ids and notes are `text` (trimmed, kept as written). */
export const COLUMN_KIND = {
  invoice_number: 'text',
  invoice_date: 'date',
  vendor: 'text',
  vendor_account: 'text',
  total_amount: 'money',
  currency: 'currency',
  invoice_due_date: 'date',
  payment_method: 'text',
  reference_number: 'text',
  owner: 'text',
  vat_type: 'vatType',
  vat_percentage: 'percent',
  vat_amount: 'money',
  vat_code: 'text',
  vat_per_invoice_line: 'boolean',
  expended_from_fund: 'boolean',
  report_tax: 'boolean',
  use_pro_rata: 'boolean',
  shipment: 'money',
  overhead: 'money',
  insurance: 'money',
  discount: 'money',
  prepaid: 'boolean',
  internal_copy: 'boolean',
  export_to_erp: 'boolean',
  invoice_note: 'text',
  purchase_order_id: 'text',
  purchase_order_note: 'text',
  custom_attributes: 'attributes',
  attachment: 'text',
  account_id: 'text',
  billing_period_start: 'timestamp',
  billing_period_end: 'timestamp',
  auto_issue: 'boolean',
  line_number: 'text',
  line_type: 'text',
  po_line: 'text',
  price: 'money',
  quantity: 'quantity',
  price_note: 'text',
  line_note: 'text',
  subscription_from_date: 'date',
  subscription_to_date: 'date',
  additional_info: 'text',
  fully_invoiced: 'boolean',
  release_remaining_encumbrance: 'boolean',
  check_subscription_date_overlap: 'boolean',
  reporting_code: 'text',
  secondary_reporting_code: 'text',
  tertiary_reporting_code: 'text',
  line_vat_code: 'text',
  line_vat_percentage: 'percent',
  line_vat_amount: 'money',
  line_vat_note: 'text',
  line_description: 'text',
  unit_price: 'money',
  product_id: 'text',
  fund_code: 'text',
  fund_percent: 'percent',
  fund_amount: 'money',
} as const satisfies Record<CanonicalColumn, CellKind>;

export type ColumnKind<C extends CanonicalColumn> = (typeof COLUMN_KIND)[C];

/** `"value"` with quotes and escapes, so blanks and odd characters are visible in messages. */
/**
 * A cell's text in a message, quoted. A long one is cut, its length said: a 40,000-character
 * cell made a 40,000-character message, in the terminal and in every report.
 */
export const quote = (text: string): string => {
  if (typeof text !== 'string' || text.length <= QUOTE_MAX) return JSON.stringify(text);
  // Not between the two halves of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[QUOTE_HEAD - 1]!) ? QUOTE_HEAD - 1 : QUOTE_HEAD;
  return `${JSON.stringify(text.slice(0, end))}… (${text.length.toLocaleString('en-US')} characters)`;
};
const QUOTE_MAX = 120;
const QUOTE_HEAD = 80;

/** The unknown columns one warning names, the rest counted (a load's and `payments`'). */
export const UNKNOWN_LISTED = 20;

/** Names as one list, at most `max` of them and the rest counted: `a, b, c and 17 more`. */
export const namedList = (names: readonly string[], max: number): string =>
  names.length > max ? `${names.slice(0, max).join(', ')} and ${(names.length - max).toLocaleString('en-US')} more` : names.join(', ');

const text: Codec = (t, column) => textError(column, t) ?? t;

/** A canonical decimal text a double keeps exactly (values.ts); a short text always is. */
const storable = (c: string, column: string, t: string): string | CellError => (c.length <= 12 ? c : (amountDigitsError(column, c, t) ?? c));

const money: Codec = (t, column) =>
  isDecimalText(t)
    ? storable(canonicalDecimalText(t), column, t)
    : new CellError(
        'invalid_number',
        `${column} ${quote(t)} is not a number (expected digits with an optional "." and decimals, e.g. 1234.50; no thousands separators or currency signs)`,
      );

/** A percentage from 0 to 100 inclusive. */
const percent: Codec = (t, column) => {
  if (!isDecimalText(t)) {
    return new CellError('invalid_number', `${column} ${quote(t)} is not a percentage (expected a number from 0 to 100, e.g. 33.33)`);
  }
  const c = canonicalDecimalText(t);
  const dot = c.indexOf('.');
  const whole = dot === -1 ? c : c.slice(0, dot);
  if (c.charCodeAt(0) === 45 /* - */ || whole.length > 3 || Number(whole) > 100 || (whole === '100' && dot !== -1)) {
    return new CellError('percent_out_of_range', `${column} ${quote(t)} is not between 0 and 100`);
  }
  return storable(c, column, t);
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * For a date written day or month first: that a mapping profile reads it (README "Vendor
 * layouts: mapping profiles", `dates.format`), with the two layouts it could be, in its separator.
 */
function dayMonthHint(t: string): string {
  const m = DATE_ORDER.exec(t);
  if (m === null) return '';
  const sep = m[1]!;
  const year = t.length - t.lastIndexOf(sep) - 1 === 2 ? 'YY' : 'YYYY';
  return `; a --mapping profile reads dates written day or month first ("dates": {"format": "DD${sep}MM${sep}${year}"} or "MM${sep}DD${sep}${year}"; \`invoice-load mapping init\` writes one)`;
}

/** `YYYY-MM-DD` (ISO 8601 calendar date, Gregorian leap rule) that exists: 2024-02-29 yes, 2026-02-29 no. */
const date: Codec = (t, column) => {
  if (!DATE.test(t)) return new CellError('invalid_date', `${column} ${quote(t)} is not a date (expected YYYY-MM-DD)${dayMonthHint(t)}`);
  const digit = (i: number) => t.charCodeAt(i) - 48; // no substrings: this runs on every date cell
  const y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const mo = digit(5) * 10 + digit(6);
  const d = digit(8) * 10 + digit(9);
  const max = mo === 2 && isLeapYear(y) ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  if (y < 1 || d < 1 || d > max) {
    return new CellError('invalid_date', `${column} ${quote(t)} is not a real date (expected YYYY-MM-DD)`);
  }
  return t;
};

/** Accepted spellings, compared case-insensitively. Anything else is an error, never a silent false. */
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['yes', true], ['y', true], ['1', true],
  ['false', false], ['no', false], ['n', false], ['0', false],
]);
const boolean: Codec = (t, column) =>
  BOOLEANS.get(t) ??
  BOOLEANS.get(t.toLowerCase()) ??
  new CellError('invalid_boolean', `${column} ${quote(t)} is not true or false (accepted: true/false, yes/no, y/n, 1/0)`);

const WHOLE = /^\d+$/;
/** A positive whole number that fits the data dictionary's `int` (values.ts MAX_QUANTITY). */
const quantity: Codec = (t, column) => {
  const n = WHOLE.test(t) ? Number(t) : NaN;
  if (n > MAX_QUANTITY) {
    return new CellError('invalid_quantity', `${column} ${quote(t)} is larger than ${MAX_QUANTITY.toLocaleString('en-US')}, the largest quantity Alma can store`);
  }
  return n >= 1 ? n : new CellError('invalid_quantity', `${column} ${quote(t)} is not a positive whole number`);
};

const currency: Codec = (t, column) => {
  const up = t.toUpperCase();
  if (isCurrencyCode(up)) return up;
  const meant = closeCurrency(up);
  const hint = meant === undefined ? ' (e.g. USD, EUR)' : `: did you mean ${meant}?`;
  return new CellError('invalid_currency', `${column} ${quote(t)} is not an ISO 4217 currency code${hint}`);
};

/** Alma's invoice VAT types (`invoice_vat.type`); Inclusive is Alma's default. */
export const VAT_TYPES = ['INCLUSIVE', 'EXCLUSIVE', 'LINEEXCLUSIVE'] as const;
export type VatType = (typeof VAT_TYPES)[number];
const vatTypes: ReadonlySet<string> = new Set(VAT_TYPES);
const vatType: Codec = (t, column) => {
  const up = t.toUpperCase();
  return vatTypes.has(up) ? up : new CellError('invalid_vat_type', `${column} ${quote(t)} is not a VAT type (expected INCLUSIVE, EXCLUSIVE or LINEEXCLUSIVE)`);
};

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * A point in time for Alguna's billing period: "RFC 3339 formatted timestamp"
 * (https://docs.alguna.io/api-reference/invoices/create), or a plain `YYYY-MM-DD` that the Alguna
 * payload sends as midnight UTC. RFC 3339 §5.6: full-date "T" full-time; hours 00–23, minutes
 * 00–59, seconds 00–60 (leap second), offset Z or ±hh:mm.
 */
const timestamp: Codec = (t, column) => {
  if (DATE.test(t)) return date(t, column);
  const m = DATE_TIME.exec(t);
  const bad = (): CellError =>
    new CellError('invalid_timestamp', `${column} ${quote(t)} is not a date (YYYY-MM-DD) or an RFC 3339 timestamp (e.g. 2026-01-31T23:59:59Z)`);
  if (m === null) return bad();
  const day = date(m[1] as string, column);
  if (day instanceof CellError) return bad();
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const offOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  if (h > 23 || mi > 59 || s > 60 || !offOk) return bad();
  return t.replace(/t/, 'T').replace(/z$/, 'Z');
};

/** Attribute names: what people type as a label, without the two separators. */
const ATTRIBUTE_NAME = /^[^=;{}]+$/;

/**
 * Exsited `custom_attributes: [{name, value}]`
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation) in one cell: `name=value;
 * name=value`, or a JSON object of text values (`{"cost_centre": "LIB-01"}`) when a value needs `;`
 * or `=`. Returns the pairs as JSON text (`[["name","value"], …]`) so equal cells compare equal.
 */
const attributes: Codec = (t, column) => {
  const bad = (why: string): CellError =>
    new CellError('invalid_attributes', `${column} ${quote(t)} ${why} (expected name=value; name=value, or a JSON object of texts)`);
  const pairs: [string, string][] = [];
  if (t.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      return bad('is not valid JSON');
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return bad('is not a JSON object');
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return bad(`has a value for ${quote(k)} that is not a text`);
      pairs.push([k.trim(), String(v)]);
    }
  } else {
    for (const part of t.split(';')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq === -1) return bad(`has ${quote(part.trim())} without "="`);
      pairs.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
    }
  }
  const seen = new Set<string>();
  for (const [name] of pairs) {
    if (name === '' || !ATTRIBUTE_NAME.test(name)) return bad(`has an empty or unusable name ${quote(name)}`);
    if (seen.has(name)) return bad(`names ${quote(name)} twice`);
    seen.add(name);
  }
  if (pairs.length === 0) return bad('has no attribute');
  return JSON.stringify(pairs);
};

/** The pairs of an `attributes` value (the codec's normal text). */
export const attributePairs = (normal: string): { name: string; value: string }[] =>
  (JSON.parse(normal) as [string, string][]).map(([name, value]) => ({ name, value }));

export const CODECS: Readonly<Record<CellKind, Codec>> = { text, money, percent, date, boolean, quantity, currency, vatType, timestamp, attributes };

/**
 * Trims a raw cell; `undefined` when it is missing or blank. Blank cells count as empty
 * everywhere (an invoice-level blank inherits, it never conflicts).
 */
export function cellText(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  return t === '' ? undefined : t;
}

/** Parses one raw cell of a canonical column: `undefined` for a blank cell. */
export function parseCell(column: CanonicalColumn, raw: string | undefined): CellValue | CellError | undefined {
  const t = cellText(raw);
  return t === undefined ? undefined : CODECS[COLUMN_KIND[column]](t, column);
}
