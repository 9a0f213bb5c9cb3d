/**
 * Alma's invoice rules: every rule of src/domain/rules.ts (Alma's data dictionaries; the grouper's
 * default) plus the warning for the columns Alma does not send.
 */
import { columnUse, LAYOUT_COLUMNS, unusedColumns } from '../../domain/column-use.js';
import type { CanonicalColumn } from '../../domain/columns.js';
import type { InvoiceRules } from '../../domain/group.js';
import { checkInvoice } from '../../domain/rules.js';

/**
 * Alma reads every column of the original layout (README "The input: canonical layout"), and none
 * of the columns added for the other targets' own fields (Exsited's purchase order and custom
 * attributes, Alguna's account, billing period and line items).
 */
const NOT_ALMA: ReadonlySet<CanonicalColumn> = new Set<CanonicalColumn>([
  'purchase_order_id',
  'purchase_order_note',
  'custom_attributes',
  'account_id',
  'billing_period_start',
  'billing_period_end',
  'auto_issue',
  'line_description',
  'unit_price',
  'product_id',
]);

export const ALMA_COLUMNS = columnUse(
  'Alma',
  LAYOUT_COLUMNS.filter((c) => !NOT_ALMA.has(c)),
  'they belong to the Exsited or Alguna targets',
);

export const checkAlmaInvoice: InvoiceRules = (d) => checkInvoice(d).concat(unusedColumns(d, ALMA_COLUMNS));
