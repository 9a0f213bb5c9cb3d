/**
 * Which canonical columns a target sends, and the warning for the others. A batch may carry
 * columns of another target (one vendor file loaded into two systems); those are not an error,
 * but a value the target would silently drop deserves a warning, once per invoice, naming the
 * columns. Each target declares its own column use (its `rules.ts` in src/targets/<name>/); this
 * file only checks an invoice against one.
 */
import { FUND_COLUMNS, INVOICE_COLUMNS, LINE_COLUMNS, type CanonicalColumn } from './columns.js';
import type { DraftInvoice } from './draft.js';
import { problem, type Problem } from './problem.js';

/** Columns every target reads: the invoice's identity, date, total and currency, its note. */
export const COMMON_COLUMNS: readonly CanonicalColumn[] = ['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'currency', 'invoice_note'];

/** Every column of the layout, in its order. */
export const LAYOUT_COLUMNS: readonly CanonicalColumn[] = [...INVOICE_COLUMNS, ...LINE_COLUMNS, ...FUND_COLUMNS];

/**
 * A target's columns, as `unusedColumns` needs them: the columns it does not send, by level
 * (only these are looked at: this rule runs on every invoice, and listing every column with a
 * value — a Set and the keys of every line — cost ~4 µs per invoice, a tenth of checking a
 * million-row batch, issue #5), and how the warning names the target and explains.
 */
export interface ColumnUse {
  /** The columns it sends. */
  readonly sends: ReadonlySet<CanonicalColumn>;
  /** How the warning names the target (`Alma`). */
  readonly label: string;
  /** Why the others are not sent, after the colon. */
  readonly hint: string;
  readonly notSent: { readonly invoice: readonly CanonicalColumn[]; readonly line: readonly CanonicalColumn[]; readonly fund: readonly CanonicalColumn[] };
}

export function columnUse(label: string, sends: Iterable<CanonicalColumn>, hint: string): ColumnUse {
  const set = new Set(sends);
  const skip = (cs: readonly CanonicalColumn[]) => cs.filter((c) => !set.has(c));
  return { sends: set, label, hint, notSent: { invoice: skip(INVOICE_COLUMNS), line: skip(LINE_COLUMNS), fund: skip(FUND_COLUMNS) } };
}

/** The columns given a value in this invoice that the target does not send, in layout order. */
export function columnsNotSent(d: DraftInvoice, use: ColumnUse): CanonicalColumn[] {
  const not = use.notSent;
  let seen: Set<CanonicalColumn> | undefined;
  const see = (c: CanonicalColumn) => (seen ??= new Set()).add(c);
  const fields = d.fields as Record<string, unknown>;
  for (const c of not.invoice) if (fields[c] !== undefined) see(c);
  for (const line of d.lines) {
    const lf = line.fields as Record<string, unknown>;
    for (const c of not.line) if (c === 'line_number' ? line.explicit : lf[c] !== undefined) see(c);
    if (not.fund.length === 0) continue;
    for (const f of line.funds) {
      if (f.code !== undefined && not.fund.includes('fund_code')) see('fund_code');
      if (f.percent !== undefined && not.fund.includes('fund_percent')) see('fund_percent');
      if (f.amount !== undefined && not.fund.includes('fund_amount')) see('fund_amount');
    }
  }
  const given = seen;
  return given === undefined ? [] : LAYOUT_COLUMNS.filter((c) => given.has(c));
}

/** One warning per invoice when it has values in columns the target does not send. */
export function unusedColumns(d: DraftInvoice, use: ColumnUse): Problem[] {
  const unused = columnsNotSent(d, use);
  if (unused.length === 0) return [];
  return [
    problem(
      { file: d.file, row: d.rows[0] ?? 0 },
      'column_not_used',
      `${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} not sent to ${use.label}: ${use.hint}`,
      { severity: 'warning' },
    ),
  ];
}
