/** Alma's profile (definition.ts): its rules with the attachment checks, lines by number, the three steps' bodies. */
import { checkAlmaInvoice } from './rules.js';
import { attachmentFiles, withAttachments } from '../attachments.js';
import type { TargetProfile } from '../definition.js';
import { PREDICTED_ALERTS, predictedAlerts } from './preflight-rules.js';
import { attachmentPreview, invoicePayload as almaInvoice, linePayload as almaLine } from './payload.js';

export const ALMA_PROFILE: TargetProfile = {
  name: 'alma',
  label: 'Alma',
  rules: withAttachments(checkAlmaInvoice, Infinity, 'Alma'),
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => ({ invoice: almaInvoice(inv), lines: inv.lines.map(almaLine) }),
  // The report says whether the alerts foreseen before the load are the ones Alma raised.
  alertPrediction: { predict: predictedAlerts, codes: [...new Set(['NOT_LINKED_LINES', ...Object.values(PREDICTED_ALERTS)])] },
  preview: (inv) => [
    { heading: 'POST /almaws/v1/acq/invoices', body: almaInvoice(inv) },
    ...inv.lines.map((l) => ({ heading: `line ${l.number}: POST /almaws/v1/acq/invoices/{id}/lines`, body: almaLine(l) })),
    ...attachmentFiles(inv).map((f) => ({ heading: `attachment ${f.name}: POST /almaws/v1/acq/invoices/{id}/attachments`, body: attachmentPreview(f) })),
  ],
};
