/**
 * The grouper's table of canonical columns (group.ts reads it): for each column its level
 * (invoice, line, fund, the invoice key, the line number), its codec, whether it is a decimal
 * and worth interning; the pass over a row's cells; and what is done to one kept cell text
 * (interning, normalising, turning it into a typed draft field). Which columns exist is
 * columns.ts; which a target uses is the target's business, not this table's.
 */
import { FUND_COLUMNS, INVOICE_COLUMNS, LINE_COLUMNS, type CanonicalColumn } from './columns.js';
import { CODECS, COLUMN_KIND, type Codec } from './cells.js';
import { INVALID, type Field, type Invalid } from './draft.js';
import { HUNDRED, moneyOfText } from './money.js';
import { keyError } from './values.js';

/**
 * What the grouper keeps of a cell: its trimmed text once the codec has accepted it, or INVALID.
 * Keeping the text (not a normalised copy) means a repeated invoice-level cell costs one string
 * comparison and no parsing; values are normalised only to compare differing texts and in finish().
 */
export type Kept = string | Invalid;

export const LEVEL_INVOICE = 0;
export const LEVEL_LINE = 1;
export const LEVEL_FUND = 2;
/** vendor and invoice_number: read before the pass over the cells. */
export const LEVEL_KEY = 3;
export const LEVEL_LINE_NUMBER = 4;

export interface Spec {
  column: CanonicalColumn;
  level: number;
  /** Index in INVOICE_COLUMNS / LINE_COLUMNS / FUND_COLUMNS. */
  index: number;
  codec: Codec;
  decimal: boolean;
  /** The codec returns an accepted text unchanged (text, date): `finish()` need not run it again. */
  same: boolean;
  /** Worth interning: a line or fund cell whose values repeat across rows (not po_line or notes). */
  intern: boolean;
  /** The column's last few distinct texts, for `intern` (a ring). */
  recent: string[];
  next: number;
}

/** Line-level columns whose values are mostly distinct: interning them would only cost time. */
const DISTINCT: ReadonlySet<string> = new Set(['po_line', 'price_note', 'line_note', 'additional_info', 'line_vat_note']);

export const SPECS = new Map<string, Spec>();
const addSpecs = (columns: readonly CanonicalColumn[], level: number) =>
  columns.forEach((column, index) => {
    const kind = COLUMN_KIND[column];
    const decimal = kind === 'money' || kind === 'percent';
    SPECS.set(column, {
      column,
      level,
      index,
      codec: CODECS[kind],
      decimal,
      same: kind === 'text' || kind === 'date',
      intern: level !== LEVEL_INVOICE && !DISTINCT.has(column),
      recent: [],
      next: 0,
    });
  });
addSpecs(INVOICE_COLUMNS, LEVEL_INVOICE);
addSpecs(LINE_COLUMNS, LEVEL_LINE);
addSpecs(FUND_COLUMNS, LEVEL_FUND);
(SPECS.get('vendor') as Spec).level = LEVEL_KEY;
(SPECS.get('invoice_number') as Spec).level = LEVEL_KEY;
(SPECS.get('line_number') as Spec).level = LEVEL_LINE_NUMBER;
// Key columns refuse what cannot be seen (values.ts); vendor and invoice_number are checked
// once per invoice, when it is first seen.
for (const column of ['vendor_account', 'fund_code', 'po_line'] as const) {
  const spec = SPECS.get(column) as Spec;
  const base = spec.codec;
  spec.codec = (t, c) => keyError(c, t) ?? base(t, c);
}
export const specOf = (column: string): Spec => SPECS.get(column) as Spec;
/**
 * The columns read in the pass over a row's cells. Reading `fields[column]` for each canonical
 * column was ~3× cheaper than enumerating the record's keys in a micro-benchmark (49 columns).
 */
// vendor, invoice_number and line_number are read before it, by name.
export const PASS: readonly Spec[] = [...SPECS.values()].filter((s) => s.level !== LEVEL_KEY && s.level !== LEVEL_LINE_NUMBER);

export const VENDOR = INVOICE_COLUMNS.indexOf('vendor');
/** The one invoice-level column that may hold several values: one file per row (README "Attachments: the vendor's PDF"). */
export const ATTACHMENT = INVOICE_COLUMNS.indexOf('attachment');
export const NUMBER = INVOICE_COLUMNS.indexOf('invoice_number');

/**
 * One string instance per recently seen cell text of the column. Each CSV cell arrives as a
 * fresh string, and line and fund cells repeat heavily (`REGULAR`, a fund code, `1`, `100`):
 * keeping one copy saves ~24 bytes per repeated cell for as long as the batch is held. The
 * last RECENT distinct texts per column catch those repeats at a few string comparisons; a
 * global map caught a few more (prices repeated far apart) but cost ~0.15 µs per cell in
 * hashing fresh strings, a fifth of a bare CSV parse on a million rows.
 */
export function intern(spec: Spec, text: string): string {
  if (text.length > 16) return text;
  const recent = spec.recent;
  for (let i = 0; i < recent.length; i++) {
    const r = recent[i] as string;
    if (r === text) return r;
  }
  recent[spec.next] = text;
  spec.next = (spec.next + 1) % RECENT;
  return text;
}
const RECENT = 8;

/** The normalised value of an accepted text (`100.0` and `100.00` → `100`, `usd` → `USD`). */
export const normal = (spec: Spec, text: string) => spec.codec(text, spec.column);

/**
 * A kept text as a typed draft field: normalised, and a `Decimal` for money and percentages.
 * Each amount gets its own Decimal: sharing one per distinct text through a map looked cheaper
 * but cost ~1 s on a million rows (issue #5) — the map lookups and the old shared instances
 * miss the CPU cache, while fresh Decimals sit together in the young generation.
 */
export function field(spec: Spec, kept: Kept, row: number): Field<unknown> {
  if (kept === INVALID) return { value: INVALID, row, text: '' };
  if (spec.decimal) {
    // Any spelling of an accepted decimal text (`0100.50`, `100.5`) makes the same Decimal, so
    // the codec need not run again; only a negative zero must lose its sign (`-0.00` is 0).
    // A fund's `100` percent is common enough to share one instance (a Decimal costs ~0.5 µs).
    const value = kept === '100' ? HUNDRED : moneyOfText(kept.charCodeAt(0) === 45 /* - */ ? (normal(spec, kept) as string) : kept);
    return { value, row, text: kept };
  }
  return { value: spec.same ? kept : normal(spec, kept), row, text: kept };
}

export const FUND_PERCENT = specOf('fund_percent');
export const FUND_AMOUNT = specOf('fund_amount');
