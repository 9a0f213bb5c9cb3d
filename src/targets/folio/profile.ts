/**
 * What the CLI knows about FOLIO without talking to it (no network, no credentials): its rules,
 * the report's line keys, and the bodies `--show-payloads` prints, with the look-ups' answers as
 * placeholders (`{organization id of GOBI}`).
 */
import type { Invoice } from '../../domain/model.js';
import { checkFolioInvoice } from './rules.js';
import { attachmentFiles, withAttachments } from '../attachments.js';
import type { PayloadPreview, TargetProfile } from '../definition.js';
import { FOLIO_DOCUMENT_MAX_BYTES, previewPayloads } from './payload.js';

export const FOLIO_PROFILE: TargetProfile = {
  name: 'folio',
  label: 'FOLIO',
  rules: withAttachments(checkFolioInvoice, Infinity, 'FOLIO', FOLIO_DOCUMENT_MAX_BYTES),
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv: Invoice) => previewPayloads(inv),
  preview: (inv: Invoice) => folioPreview(inv),
};

/**
 * The bodies `--show-payloads` prints for FOLIO: a dry run's, with the invoice id a placeholder;
 * a real run's (the opened target's `preview`, targets/folio/target.ts) with the id the load
 * sends, the same bodies its JSON report shows (`Target.payloads`).
 */
export function folioPreview(inv: Invoice, invoiceId?: string): PayloadPreview[] {
  const p = previewPayloads(inv, invoiceId);
  const id = invoiceId ?? '{id}';
  return [
    { heading: 'POST /invoice/invoices', body: p.invoice },
    ...p.lines.map((body, i) => ({ heading: `line ${inv.lines[i]?.number ?? i + 1}: POST /invoice/invoice-lines`, body })),
    ...attachmentFiles(inv).map((f) => ({
      heading: `attachment ${f.name}: POST /invoice/invoices/${id}/documents`,
      body: { documentMetadata: { id: `{document id of ${f.name}}`, name: f.name, invoiceId: invoiceId ?? '{invoice id}' }, contents: { data: `{${f.path}, base64}` } },
    })),
    { heading: `approve (unless --no-approve): PUT /invoice/invoices/${id} — the record as FOLIO holds it, with`, body: { status: 'Approved' } },
  ];
}
