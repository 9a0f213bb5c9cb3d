/** Exsited's profile (definition.ts): its rules with the note file's check, the note as the one child, the bodies. */
import { checkExsitedInvoice, onePurchaseOrderEach } from './rules.js';
import { withAttachments } from '../attachments.js';
import type { TargetProfile } from '../definition.js';
import { DEFAULT_EXSITED_PATHS, DEFAULT_EXSITED_VERSION, fillPath } from './paths.js';
import { hasNote, NOTE_KEY, notePreview, purchaseInvoicePayload } from './payload.js';

/** The default path of a request, `{id}` left for the id only known once the invoice exists. */
const exsitedPath = (name: 'purchaseOrderInvoices' | 'notes', po?: string): string =>
  po !== undefined ? fillPath(DEFAULT_EXSITED_PATHS[name], { v: DEFAULT_EXSITED_VERSION, po }) : DEFAULT_EXSITED_PATHS[name].replace('{v}', DEFAULT_EXSITED_VERSION);

export const EXSITED_PROFILE: TargetProfile = {
  name: 'exsited',
  label: 'Exsited',
  // Exsited's note carries one file (multipart `note` and `file`, README "Exsited purchase invoices").
  // A new batch state for each reading: one invoice per purchase order (rules.ts onePurchaseOrderEach).
  rules: (cwd) => withAttachments(onePurchaseOrderEach(checkExsitedInvoice), 1, 'an Exsited note')(cwd),
  lineKeys: (inv) => (hasNote(inv) ? [NOTE_KEY] : []),
  invalidLines: false,
  payloads: (inv) => ({ invoice: purchaseInvoicePayload(inv), lines: hasNote(inv) ? [notePreview(inv)] : [] }),
  preview: (inv) => [
    { heading: `POST ${exsitedPath('purchaseOrderInvoices', inv.header.purchaseOrderId ?? '')}`, body: purchaseInvoicePayload(inv) },
    ...(hasNote(inv) ? [{ heading: `note: POST ${exsitedPath('notes')} (multipart/form-data)`, body: notePreview(inv) }] : []),
  ],
};
