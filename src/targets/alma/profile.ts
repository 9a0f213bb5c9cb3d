/** Alma's profile (definition.ts): its rules with the attachment checks, lines by number, the three steps' bodies. */
import { checkAlmaInvoice } from './rules.js';
import { attachmentFiles, withAttachments } from '../attachments.js';
import type { TargetProfile } from '../definition.js';
import { attachmentPreview, invoicePayload as almaInvoice, linePayload as almaLine } from './payload.js';

export const ALMA_PROFILE: TargetProfile = {
  name: 'alma',
  label: 'Alma',
  rules: withAttachments(checkAlmaInvoice, Infinity, 'Alma'),
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => ({ invoice: almaInvoice(inv), lines: inv.lines.map(almaLine) }),
  preview: (inv) => [
    { heading: 'POST /almaws/v1/acq/invoices', body: almaInvoice(inv) },
    ...inv.lines.map((l) => ({ heading: `line ${l.number}: POST /almaws/v1/acq/invoices/{id}/lines`, body: almaLine(l) })),
    ...attachmentFiles(inv).map((f) => ({ heading: `attachment ${f.name}: POST /almaws/v1/acq/invoices/{id}/attachments`, body: attachmentPreview(f) })),
  ],
};
