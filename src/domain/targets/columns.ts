/**
 * Which canonical columns each target sends. A batch may carry columns of another target (one
 * vendor file loaded into two systems); those are not an error, but a value the target would
 * silently drop deserves a warning, once per invoice, naming the columns.
 */
import { FUND_COLUMNS, INVOICE_COLUMNS, LINE_COLUMNS, type CanonicalColumn } from '../columns.js';
import type { DraftInvoice } from '../draft.js';
import { problem, type Problem } from '../problem.js';
import type { TargetName } from './names.js';

/** Columns every target reads: the invoice's identity, date, total and currency, its note, line numbers. */
const COMMON: readonly CanonicalColumn[] = ['invoice_number', 'invoice_date', 'vendor', 'total_amount', 'currency', 'invoice_note'];

const EXSITED: readonly CanonicalColumn[] = ['purchase_order_id', 'purchase_order_note', 'custom_attributes', 'attachment', 'invoice_due_date'];

const ALGUNA: readonly CanonicalColumn[] = [
  'account_id',
  'billing_period_start',
  'billing_period_end',
  'auto_issue',
  'line_number',
  'quantity',
  'line_description',
  'unit_price',
  'product_id',
];

/** FOLIO (targets/folio/payload.ts): the Alma layout's invoice, line and fund columns FOLIO has a field for, and line_description. */
const FOLIO: readonly CanonicalColumn[] = [
  'vendor_account', 'invoice_due_date', 'payment_method', 'shipment', 'overhead', 'insurance', 'discount',
  'line_number', 'po_line', 'price', 'quantity', 'line_description', 'line_note', 'price_note',
  'fund_code', 'fund_percent', 'fund_amount', 'subscription_from_date', 'subscription_to_date', 'release_remaining_encumbrance',
];

const OTHERS = new Set<CanonicalColumn>([...EXSITED, ...ALGUNA]);
/**
 * Alma reads every column of the original layout (README "The input: canonical layout"), and none
 * of the other targets' own.
 */
const ALMA: readonly CanonicalColumn[] = [...INVOICE_COLUMNS, ...LINE_COLUMNS, ...FUND_COLUMNS].filter(
  (c) => !OTHERS.has(c) || c === 'invoice_due_date' || c === 'line_number' || c === 'quantity' || c === 'attachment',
);

export const TARGET_COLUMNS: Readonly<Record<TargetName, ReadonlySet<CanonicalColumn>>> = {
  alma: new Set(ALMA),
  exsited: new Set([...COMMON, ...EXSITED]),
  alguna: new Set([...COMMON, ...ALGUNA]),
  folio: new Set([...COMMON, ...FOLIO]),
};

const HINT: Readonly<Record<TargetName, string>> = {
  alma: 'they belong to the Exsited or Alguna targets',
  // Exsited's purchase-invoice API
  // (https://developer.exsited.com/purchase-invoice-post-api-documentation): the purchase invoice
  // is created from the purchase order and takes its lines.
  exsited: 'an Exsited purchase invoice takes its lines from its purchase order, and the other columns belong to Alma or Alguna',
  alguna: 'they belong to the Alma or Exsited targets (Alguna line items take line_description, quantity, unit_price and product_id)',
  folio: 'FOLIO has no field for them (no VAT, reporting codes or ERP flags on its invoices), or they belong to the Exsited or Alguna targets',
};

const LABEL: Readonly<Record<TargetName, string>> = { alma: 'Alma', exsited: 'Exsited', alguna: 'Alguna', folio: 'FOLIO' };

const LAYOUT: readonly CanonicalColumn[] = [...INVOICE_COLUMNS, ...LINE_COLUMNS, ...FUND_COLUMNS];

/**
 * Per target, the columns it does not send, by level. Only these are looked at: this rule runs
 * on every invoice, and listing every column with a value (a Set and the keys of every line)
 * cost ~4 µs per invoice, a tenth of checking a million-row batch (issue #5).
 */
const NOT_SENT = Object.fromEntries(
  (Object.keys(TARGET_COLUMNS) as TargetName[]).map((t) => {
    const skip = (cs: readonly CanonicalColumn[]) => cs.filter((c) => !TARGET_COLUMNS[t].has(c));
    return [t, { invoice: skip(INVOICE_COLUMNS), line: skip(LINE_COLUMNS), fund: skip(FUND_COLUMNS) }];
  }),
) as unknown as Record<TargetName, { invoice: readonly CanonicalColumn[]; line: readonly CanonicalColumn[]; fund: readonly CanonicalColumn[] }>;

/** The columns given a value in this invoice that the target does not send, in layout order. */
export function columnsNotSent(d: DraftInvoice, target: TargetName): CanonicalColumn[] {
  const not = NOT_SENT[target];
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
  return given === undefined ? [] : LAYOUT.filter((c) => given.has(c));
}

/** One warning per invoice when it has values in columns the target does not send. */
export function unusedColumns(d: DraftInvoice, target: TargetName): Problem[] {
  const unused = columnsNotSent(d, target);
  if (unused.length === 0) return [];
  return [
    problem(
      { file: d.file, row: d.rows[0] ?? 0 },
      'column_not_used',
      `${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} not sent to ${LABEL[target]}: ${HINT[target]}`,
      { severity: 'warning' },
    ),
  ];
}
