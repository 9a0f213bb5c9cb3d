/**
 * Per-target invoice rules: the grouper is the same for every target, the checks are not.
 * Alma keeps every rule of `rules.ts` (its data dictionaries) plus a warning for columns it
 * does not send; Exsited and Alguna have their own (`exsited.ts`, `alguna.ts`), so Alma-only
 * rules such as the Alma total check or fund distributions never block them.
 */
import type { InvoiceRules } from '../group.js';
import { checkInvoice } from '../rules.js';
import { checkAlgunaInvoice } from './alguna.js';
import { unusedColumns } from './columns.js';
import { checkExsitedInvoice } from './exsited.js';
import { checkFolioInvoice } from './folio.js';
import type { TargetName } from './names.js';

export { TARGET_NAMES, isTargetName, type TargetName } from './names.js';
export { EXSITED_NUMBER_ATTRIBUTE, EXSITED_VENDOR_ATTRIBUTE } from './exsited.js';
export { TARGET_COLUMNS } from './columns.js';

const checkAlma: InvoiceRules = (d) => checkInvoice(d).concat(unusedColumns(d, 'alma'));

export const RULES: Readonly<Record<TargetName, InvoiceRules>> = {
  alma: checkAlma,
  exsited: checkExsitedInvoice,
  alguna: checkAlgunaInvoice,
  folio: checkFolioInvoice,
};

export const rulesFor = (target: TargetName): InvoiceRules => RULES[target];
