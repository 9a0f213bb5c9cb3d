/**
 * The invoices Alma's own finance export leaves out (FIN-EXPORT, docs/alma.md "The hand-over to
 * finance"): internal copies, and prepaid invoices not marked "Export to ERP". `export` leaves
 * them out of its file by the same rule, and never marks them.
 */
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../src/common/json.js';
import { notForErp, toInvoiceState, type NotForErp } from '../../../src/targets/alma/erp.js';

/** An invoice answer with this `payment` object (JSON text), or none. */
const withPayment = (payment: string | undefined) =>
  toInvoiceState(parseJson(`{"id": "77", "number": "A-1"${payment !== undefined ? `, "payment": ${payment}` : ''}}`))!;

describe('notForErp: which invoices the finance export leaves out', () => {
  it.each<[string, string | undefined, NotForErp | undefined]>([
    // Sample 01 (a real answer): no export_to_erp key.
    ['the usual invoice (sample 01)', '{"prepaid": false, "internal_copy": false, "payment_status": {"value": "NOT_PAID"}}', undefined],
    // Sample 03 (Ex Libris' doc sample): flags as strings.
    ['every flag "false" (sample 03)', '{"prepaid": "false", "internal_copy": "false", "export_to_erp": "false"}', undefined],
    ['an internal copy', '{"internal_copy": true}', 'internal_copy'],
    ['an internal copy, as a string', '{"internal_copy": "true"}', 'internal_copy'],
    ['an internal copy marked Export to ERP all the same', '{"internal_copy": true, "export_to_erp": true}', 'internal_copy'],
    ['an internal copy and prepaid', '{"internal_copy": true, "prepaid": true, "export_to_erp": true}', 'internal_copy'],
    ['prepaid, not marked Export to ERP', '{"prepaid": true, "export_to_erp": false}', 'prepaid'],
    ['prepaid, as strings', '{"prepaid": "true", "export_to_erp": "false"}', 'prepaid'],
    ['prepaid, export_to_erp not shown', '{"prepaid": true}', 'prepaid'],
    ['prepaid, export_to_erp null', '{"prepaid": true, "export_to_erp": null}', 'prepaid'],
    ['prepaid, export_to_erp neither true nor false', '{"prepaid": true, "export_to_erp": "yes"}', 'prepaid'],
    ['prepaid and marked Export to ERP', '{"prepaid": true, "export_to_erp": true}', undefined],
    ['prepaid and marked Export to ERP, as strings', '{"prepaid": "TRUE", "export_to_erp": " true "}', undefined],
    ['marked Export to ERP, not prepaid', '{"prepaid": false, "export_to_erp": true}', undefined],
    // What the answer does not show, or shows as neither true nor false, is no reason to leave it out.
    ['no payment object', undefined, undefined],
    ['an empty payment object', '{}', undefined],
    ['flags null', '{"prepaid": null, "internal_copy": null, "export_to_erp": null}', undefined],
    ['flags neither true nor false', '{"prepaid": "", "internal_copy": "yes", "export_to_erp": 1}', undefined],
    ['flags as objects', '{"prepaid": {"value": "true"}, "internal_copy": {"value": "true"}}', undefined],
  ])('%s', (_name, payment, expected) => {
    expect(notForErp(withPayment(payment))).toBe(expected);
  });
});
