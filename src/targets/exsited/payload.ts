/**
 * Canonical invoice → Exsited requests
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation):
 * - `POST /purchase-orders/{purchase_order_id}/purchase-invoices` with `{"purchase_invoice":
 *   {issue_date, due_date, purchase_order_note, custom_attributes[]}}`, dates `YYYY-MM-DD`; only
 *   fields that are set are sent (`{"purchase_invoice":{}}` is valid,
 *   https://github.com/shuvo-webalive/exsited-docs-kb article 06). The lines and amounts come from
 *   the purchase order.
 * - the loader's own custom attributes, `vendor_invoice_number` and `vendor`, first: Exsited has no
 *   field for the vendor's number and no idempotency key (none is documented), so they are how a
 *   look-up finds the invoice again.
 * - one note per invoice, `POST /purchase-invoices/{id}/notes` as multipart/form-data with
 *   `note` (text) and, when the batch names one, `file`. Its text is deterministic, so a
 *   re-run recognises the note it made (`NOTE_KEY` in the journal and the report).
 */
import { basename } from 'node:path';
import type { Invoice } from '../../domain/model.js';
import { mediaType, readAttachment, resolveAttachment } from '../attachments.js';
import { EXSITED_NUMBER_ATTRIBUTE, EXSITED_VENDOR_ATTRIBUTE } from './rules.js';

/** The key of the one child item an Exsited invoice can have: its note. */
export const NOTE_KEY = 'note';

export function purchaseInvoicePayload(inv: Invoice): { purchase_invoice: Record<string, unknown> } {
  const h = inv.header;
  const body: Record<string, unknown> = { issue_date: h.date };
  if (h.dueDate !== undefined) body['due_date'] = h.dueDate;
  if (h.purchaseOrderNote !== undefined && h.purchaseOrderNote !== '') body['purchase_order_note'] = h.purchaseOrderNote;
  body['custom_attributes'] = [
    { name: EXSITED_NUMBER_ATTRIBUTE, value: inv.key.number },
    { name: EXSITED_VENDOR_ATTRIBUTE, value: inv.key.vendor },
    ...(h.customAttributes ?? []).map((a) => ({ name: a.name, value: a.value })),
  ];
  return { purchase_invoice: body };
}

/** The invoice has a note when the batch gives note text or a file to attach. */
export const hasNote = (inv: Pick<Invoice, 'header'>): boolean =>
  (inv.header.note !== undefined && inv.header.note !== '') || (inv.header.attachment !== undefined && inv.header.attachment !== '');

/** The note's text: the batch's `invoice_note`, or a plain caption for a file sent on its own. */
export function noteText(inv: Invoice): string {
  const note = inv.header.note;
  if (note !== undefined && note.trim() !== '') return note.trim();
  return `Invoice ${inv.key.number} from ${inv.key.vendor}: ${basename(inv.header.attachment ?? '')}`;
}

/**
 * A note's text as compared when a re-run looks for the note it made: Unicode NFC, every run of
 * white space (line ends, tabs, non-breaking spaces) one space, the ends trimmed. The text comes
 * back as Exsited stored it, which need not be byte for byte what was sent (a form's CRLF line
 * ends as LF, say); missed, the note would be written a second time.
 */
export const comparableNote = (text: string): string => text.normalize('NFC').replace(/\s+/g, ' ').trim();

/** Where the invoice's (first) file is: see `resolveAttachment`. */
export function attachmentPath(inv: Invoice, cwd = process.cwd()): string | undefined {
  const a = inv.header.attachment;
  if (a === undefined || a === '') return undefined;
  return resolveAttachment(a, inv.rows[0]?.file, cwd);
}

/**
 * The note as multipart/form-data bytes and their content type, built with the platform's
 * FormData, Blob and Response (WHATWG fetch, in Node since 18): the bytes are made once, so a
 * retried request sends exactly the same body.
 */
export async function noteBody(inv: Invoice, cwd = process.cwd()): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData();
  form.set('note', noteText(inv));
  const path = attachmentPath(inv, cwd);
  if (path !== undefined) {
    form.set('file', new Blob([readAttachment(path)], { type: mediaType(path) }), basename(path));
  }
  const res = new Response(form);
  const contentType = res.headers.get('content-type') ?? 'multipart/form-data';
  return { body: new Uint8Array(await res.arrayBuffer()), contentType };
}

/** What `--show-payloads` shows of the note: its fields (the file by path, not by content). */
export function notePreview(inv: Invoice): Record<string, string> {
  const path = attachmentPath(inv);
  return { note: noteText(inv), ...(path !== undefined ? { file: path } : {}) };
}
