/**
 * The canonical flat layout (README "The input: canonical layout"): one row per fund distribution
 * of an invoice line. Invoice-level columns repeat on each row of an invoice or are left empty
 * after its first row. Most columns are Alma's; the ones after `invoice_note` and `line_vat_note`
 * belong to the other targets (which columns each target sends: its src/targets/<name>/rules.ts).
 */
export const INVOICE_COLUMNS = [
  'invoice_number',
  'invoice_date',
  'vendor',
  'vendor_account',
  'total_amount',
  'currency',
  'invoice_due_date',
  'payment_method',
  'reference_number',
  'owner',
  'vat_type',
  'vat_percentage',
  'vat_amount',
  'vat_code',
  'vat_per_invoice_line',
  'expended_from_fund',
  'report_tax',
  'use_pro_rata',
  'shipment',
  'overhead',
  'insurance',
  'discount',
  'prepaid',
  'internal_copy',
  'export_to_erp',
  'invoice_note',
  // Exsited purchase invoices
  // (https://developer.exsited.com/purchase-invoice-post-api-documentation): the purchase order the
  // invoice is made from, the PI's purchase_order_note and custom_attributes, and a file attached
  // to the invoice's note.
  'purchase_order_id',
  'purchase_order_note',
  'custom_attributes',
  'attachment',
  // Alguna one-off invoices (https://docs.alguna.io/api-reference/invoices/create): accountId,
  // billingPeriodStart/End, autoIssue.
  'account_id',
  'billing_period_start',
  'billing_period_end',
  'auto_issue',
] as const;

export const LINE_COLUMNS = [
  'line_number',
  'line_type',
  'po_line',
  'price',
  'quantity',
  'price_note',
  'line_note',
  'subscription_from_date',
  'subscription_to_date',
  'additional_info',
  'fully_invoiced',
  'release_remaining_encumbrance',
  'check_subscription_date_overlap',
  'reporting_code',
  'secondary_reporting_code',
  'tertiary_reporting_code',
  'line_vat_code',
  'line_vat_percentage',
  'line_vat_amount',
  'line_vat_note',
  // Alguna line items (https://docs.alguna.io/api-reference/invoices/createLineItem: description,
  // quantity, unitPrice, productId).
  'line_description',
  'unit_price',
  'product_id',
] as const;

/** Columns of one fund distribution: they differ between the rows of a split line. */
export const FUND_COLUMNS = ['fund_code', 'fund_percent', 'fund_amount'] as const;

export type InvoiceColumn = (typeof INVOICE_COLUMNS)[number];
export type LineColumn = (typeof LINE_COLUMNS)[number];
export type FundColumn = (typeof FUND_COLUMNS)[number];
export type CanonicalColumn = InvoiceColumn | LineColumn | FundColumn;

export const CANONICAL_COLUMNS: readonly CanonicalColumn[] = [...INVOICE_COLUMNS, ...LINE_COLUMNS, ...FUND_COLUMNS];
const canonical = new Set<string>(CANONICAL_COLUMNS);
export const isCanonicalColumn = (name: string): name is CanonicalColumn => canonical.has(name);

/**
 * A header cell as the canonical layout reads it: trimmed and lower-cased, and with spaces or
 * hyphens between words read as underscores when that names a canonical column — a person
 * typing a header in a spreadsheet writes "Invoice Number" for `invoice_number`. Any other
 * name stays as written (lower-cased), so the unknown-columns warning quotes it.
 */
export function canonicalHeaderName(cell: string): string {
  const name = cell.trim().toLowerCase();
  if (canonical.has(name)) return name;
  const snake = name.replace(/[\s-]+/g, '_');
  return snake !== name && canonical.has(snake) ? snake : name;
}

/*
 * A title above the header, as spreadsheets and vendor portals export it ("GOBI invoices, March
 * 2025" on line 1, the column names on line 3), told from the header by its cells (the CSV and
 * Excel readers, without a profile).
 */

/**
 * Text in one to three cells, none naming a canonical column: a title ("Invoices, March 2025"
 * is two cells), or a short header of other names — which a header line after it would not
 * follow, so the readers take it as the header then.
 */
export function isTitleLine(cells: readonly string[]): boolean {
  let text = 0;
  for (const c of cells) {
    if (c.trim() === '') continue;
    // A title is short: a line of more cells is a header or a row.
    if (++text > 3 || isCanonicalColumn(canonicalHeaderName(c))) return false;
  }
  return text > 0;
}

/** Two or more cells, every one naming a canonical column, vendor or invoice_number among them. */
export function isHeaderLine(cells: readonly string[]): boolean {
  const names = cells.filter((c) => c.trim() !== '').map(canonicalHeaderName);
  return names.length >= 2 && names.every(isCanonicalColumn) && (names.includes('vendor') || names.includes('invoice_number'));
}
