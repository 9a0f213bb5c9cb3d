/**
 * Alma's invoice alert codes (the AssertionCodes code table) in plain language, for the
 * people who open the report: what the alert means and what to do in Alma. Codes and Alma's
 * own descriptions are from docs/alma.md#errors-error-codes-and-alerts; the explanations are ours.
 */
export interface AlertExplanation {
  /** What happened, in the words of an acquisitions librarian. */
  meaning: string;
  /** What to do about it. */
  action: string;
}

export const ALERT_EXPLANATIONS: Readonly<Record<string, AlertExplanation>> = {
  NOT_LINKED_LINES: {
    meaning: 'Some invoice lines are not linked to a PO line — typically a fee, a charge or an item that was never ordered.',
    action: 'In Alma, check the unlinked lines: link each to its PO line, or confirm it belongs on the invoice, then approve the invoice.',
  },
  DIFF_PRICE_THAN_POLINE: {
    meaning: 'Some invoice lines have a different price from the PO line they are linked to.',
    action: 'Compare the price with the order (a price rise, another currency, a typo in the vendor file), correct the line or accept the price, then approve.',
  },
  ADDITIONAL_INVOICE_EXISTS: {
    meaning: 'Another invoice line is already linked to the same PO line: the item may have been invoiced before.',
    action: "Look at the PO line's invoices: if this is a second invoice for the same item, it may be a duplicate; if the item is billed in parts, approve.",
  },
  DIFFERENT_VENDOR_ACCOUNT: {
    meaning: "The invoice's vendor account differs from the vendor account of one or more linked PO lines.",
    action: 'Check that the right account is on the invoice (the vendor_account column of the file) or on the orders, then approve.',
  },
  EDI_INVOICE_OF_EXTERNAL_SYSTEM: {
    meaning: 'The invoice was created by an external system (an EDI or API load), and the institution asks staff to review such invoices.',
    action: 'Review the invoice in Alma and approve it; nothing is wrong with it as far as Alma can tell.',
  },
  NOT_READY_LINES: {
    meaning: 'Some invoice lines are not ready — for example a line without a fund, price or quantity.',
    action: 'Complete those lines in Alma (fund distribution, price, quantity); the invoice can then be processed.',
  },
  INVOICE_WAS_REJECTED_BY_ERP: {
    meaning: "The finance (ERP) system rejected the invoice after Alma sent it for payment.",
    action: 'Ask the finance office for the reason, correct the invoice in Alma and send it again.',
  },
  TOTAL_AMOUNT_MISMATCH: {
    meaning: "The invoice total differs from the sum of its lines and charges. (Alma's exact code for this alert is not documented publicly; this is the embedded sandbox's name for it.)",
    action: "Compare the vendor's total with the lines: correct the total or the line that is wrong, then approve. `invoice-load --dry-run` finds most of these before loading.",
  },
};

export function explainAlert(code: string): AlertExplanation | undefined {
  return Object.hasOwn(ALERT_EXPLANATIONS, code) ? ALERT_EXPLANATIONS[code] : undefined;
}

/**
 * A workflow status as a person reads it: Alma's `InReview` (and `InApproval`) is "In Review"
 * ("In Approval"), as Alma's own screens show it; a status with spaces already ("Waiting to be
 * Sent") or in one word ("Approved", FOLIO's "Open") is left as it is. The report document and
 * the CSV keep Alma's code.
 */
export function workflowLabel(status: string | undefined): string {
  if (status === undefined) return '';
  return /^[A-Z][a-z]+(?:[A-Z][a-z]+)+$/.test(status) ? status.replace(/([a-z])([A-Z])/g, '$1 $2') : status;
}
