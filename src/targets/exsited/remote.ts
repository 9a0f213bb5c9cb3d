/**
 * Exsited answers → the target-neutral shapes. The v3 PI object sits under `purchase_invoice`, a
 * list under `purchase_invoices[]` (exsited-python `PurchaseInvoiceDTO`); the note answer under
 * `purchase-invoice` with a hyphen ("Create Purchase Invoice Note",
 * https://developer.exsited.com/purchase-invoice-post-api-documentation). Both spellings are
 * accepted everywhere, and v4's `data` list, since the generations differ
 * (https://developer.exsited.com/purchase-invoice-get-api-documentation; Exsited's v4 Dart SDK).
 */
import { EXSITED_NUMBER_ATTRIBUTE, EXSITED_VENDOR_ATTRIBUTE } from './rules.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { Invoice, InvoiceKey } from '../../domain/model.js';
import { comparableNote } from './payload.js';
import type { FieldDifference, RemoteInvoice } from '../target.js';

type JsonObject = { [key: string]: JsonValue };

/** The record under the envelope key (`purchase_invoice` or `purchase-invoice`), or the object itself. */
export function envelope(v: JsonValue | undefined): JsonObject | undefined {
  if (!isJsonObject(v)) return undefined;
  for (const k of ['purchase_invoice', 'purchase-invoice']) if (isJsonObject(v[k])) return v[k];
  return v;
}

/** The purchase invoices of a list answer. */
export function listItems(v: JsonValue | undefined): JsonValue[] {
  if (!isJsonObject(v)) return [];
  for (const k of ['purchase_invoices', 'purchase-invoices', 'data']) {
    const items = v[k];
    if (Array.isArray(items)) return items;
  }
  return [];
}

/** Whether another page follows: v3 `pagination.next_page`, v4 `pagination.has_more`. */
export function hasNextPage(v: JsonValue | undefined, got: number, limit: number): boolean {
  const p = isJsonObject(v) && isJsonObject(v['pagination']) ? v['pagination'] : undefined;
  if (p !== undefined) {
    const more = jsonText(p['has_more']);
    if (more !== undefined) return more === 'true';
    if ('next_page' in p) {
      const next = jsonText(p['next_page']);
      return next !== undefined && next !== '' && next !== 'null';
    }
  }
  return got >= limit;
}

/** v4's `pagination.next_cursor`, sent back as `cursor` for the next page (KB 06: "while `pagination.has_more` is `true`, send `pagination.next_cursor` as `cursor`"). */
export function nextCursor(v: JsonValue | undefined): string | undefined {
  const p = isJsonObject(v) && isJsonObject(v['pagination']) ? v['pagination'] : undefined;
  const c = p !== undefined ? jsonText(p['next_cursor']) : undefined;
  return c !== undefined && c !== '' && c !== 'null' ? c : undefined;
}

/**
 * The purchase order a listed purchase invoice was made from: v3 `purchase_order_id`
 * (https://developer.exsited.com/purchase-invoice-get-api-documentation), v4 `purchase_order.id`
 * (Exsited's v4 Dart SDK, `PurchaseOrderPurchaseInvoices`); undefined when it names none.
 */
export function purchaseOrderIdOf(v: JsonValue | undefined): string | undefined {
  const pi = envelope(v);
  if (pi === undefined) return undefined;
  const link = pi['purchase_order'];
  const id = jsonText(pi['purchase_order_id']) ?? (isJsonObject(link) ? jsonText(link['id']) : undefined);
  return id === undefined || id === '' ? undefined : id;
}

/**
 * Whether an answer shows the purchase invoice's custom attributes at all (a list, maybe empty).
 * A purchase order's own invoice list does not: its entries (v4 `PurchaseOrderPurchaseInvoice`,
 * https://pub.dev/documentation/exsited/4.0.0/purchase_orders/PurchaseOrderPurchaseInvoice/PurchaseOrderPurchaseInvoice.html)
 * carry no `custom_attributes`, while an invoice read by id does (`PurchaseInvoiceRead`,
 * https://pub.dev/documentation/exsited/latest/purchase_invoices/PurchaseInvoiceRead-class.html).
 * An entry that does not show them cannot say whose invoice it is (docs/exsited.md, "Looking an
 * invoice up again").
 */
export function showsCustomAttributes(v: JsonValue | undefined): boolean {
  const pi = envelope(v);
  return pi !== undefined && Array.isArray(pi['custom_attributes']);
}

export function attribute(pi: JsonObject, name: string): string | undefined {
  const list = pi['custom_attributes'];
  if (!Array.isArray(list)) return undefined;
  for (const a of list) if (isJsonObject(a) && jsonText(a['name']) === name) return jsonText(a['value']);
  return undefined;
}

/**
 * The canary's field (engine/canary.ts): the loader's own two custom attributes, by which every
 * later look-up finds the invoice. A custom attribute is defined in Exsited first ("Create a
 * custom attribute with name, display_name and a type",
 * https://github.com/shuvo-webalive/exsited-docs-kb article 10); one it does not know may be
 * dropped without a word [I], and then a lost answer or another state directory makes the
 * look-up miss and a second invoice is created. So the difference says what to do (`IDENTITY_ADVICE`).
 */
export const IDENTITY_FIELD = `custom attributes ${EXSITED_NUMBER_ATTRIBUTE} and ${EXSITED_VENDOR_ATTRIBUTE}`;
export const IDENTITY_ADVICE =
  `They are how a later run finds this invoice, and Exsited keeps only custom attributes defined in it: ` +
  `define both in Exsited as text attributes of purchase invoices, set them on this invoice, then run again`;

/**
 * How a purchase invoice as Exsited answered it (a create's answer, or a read) differs from the
 * key sent in the loader's two custom attributes: none when it shows both with the values sent,
 * else one difference naming both. Compared exactly, as the look-up matches them.
 */
export function identityDifferences(v: JsonValue | undefined, key: InvoiceKey): FieldDifference[] {
  const pi = envelope(v);
  const sent = [key.number, key.vendor];
  const stored = pi === undefined ? [undefined, undefined] : [attribute(pi, EXSITED_NUMBER_ATTRIBUTE), attribute(pi, EXSITED_VENDOR_ATTRIBUTE)];
  if (stored[0] === sent[0] && stored[1] === sent[1]) return [];
  const shown = (t: string | undefined): string => (t === undefined ? 'nothing' : JSON.stringify(t));
  return [
    {
      field: IDENTITY_FIELD,
      advice: IDENTITY_ADVICE,
      sent: sent.map(shown).join(', '),
      stored: stored.every((t) => t === undefined) ? 'nothing' : stored.map(shown).join(', '),
    },
  ];
}

/**
 * Every field the create sent (payload.ts `purchaseInvoicePayload`) against the purchase invoice
 * as Exsited holds it — the read-back of the canary and of `invoice-load verify`, as Alma's
 * (targets/alma/compare.ts): the key's two custom attributes (`identityDifferences`), then
 * `issue_date` and `due_date` by their `YYYY-MM-DD`, `purchase_order_note` as a note is compared
 * (`comparableNote`), and each of the batch's own custom attributes exactly. A field sent that
 * the answer does not show is a difference (`nothing`), as in Alma's comparison. Lines and
 * amounts are not compared: the loader sends none — they come from the purchase order.
 */
export function sentDifferences(v: JsonValue | undefined, invoice: Invoice): FieldDifference[] {
  const out = identityDifferences(v, invoice.key);
  const pi = envelope(v);
  const shown = (t: string | undefined): string => (t === undefined ? 'nothing' : JSON.stringify(t));
  const compare = (field: string, sent: string | undefined, stored: string | undefined, same: (a: string, b: string) => boolean): void => {
    if (sent === undefined) return;
    if (stored === undefined || !same(sent, stored)) out.push({ field, sent: shown(sent), stored: shown(stored) });
  };
  const day = (a: string, b: string): boolean => a.slice(0, 10) === b.slice(0, 10);
  const h = invoice.header;
  compare('issue_date', h.date, pi && jsonText(pi['issue_date']), day);
  compare('due_date', h.dueDate, pi && jsonText(pi['due_date']), day);
  const note = h.purchaseOrderNote !== undefined && h.purchaseOrderNote !== '' ? h.purchaseOrderNote : undefined;
  compare('purchase_order_note', note, pi && jsonText(pi['purchase_order_note']), (a, b) => comparableNote(a) === comparableNote(b));
  for (const a of h.customAttributes ?? []) compare(`custom attribute ${a.name}`, a.value, pi && attribute(pi, a.name), (x, y) => x === y);
  return out;
}

/**
 * Purchase invoice statuses, as https://developer.exsited.com/purchase-invoice-get-api-documentation
 * names them in two tables that disagree: its filter table ACTIVE, INACTIVE, DELETED, DRAFT, its
 * simple `status` parameter ACTIVE, VOID, DRAFT (docs/exsited.md, "Money, dates, statuses").
 * Cancel "sets status inactive" and reactivate "back to active"
 * (https://github.com/shuvo-webalive/exsited-docs-kb article 06). Compared case-insensitively,
 * since the documents write them both ways.
 */
export const isCancelled = (status: string | undefined): boolean => /^(inactive|cancell?ed)$/i.test(status ?? '');
export const isActive = (status: string | undefined): boolean => /^active$/i.test(status ?? '');
/**
 * `DELETED` (the filter table) or `VOID` (the simple table): the purchase invoice is withdrawn,
 * no longer the vendor's invoice in Exsited — never adopted as the batch's invoice. VOID was
 * once read as a live invoice, so a voided one was taken as loaded and never made again.
 * INACTIVE is not withdrawn: it is what the loader's own cancel makes, and reactivate undoes it.
 */
export const isWithdrawnStatus = (status: string | undefined): boolean => /^(deleted|void|voided)$/i.test(status ?? '');

/**
 * A PI as the seam sees it. `processed` is decided by the caller's mode: a load never calls a
 * found PI complete (its note must still be checked), an action calls it done when its status
 * shows the action.
 */
export function toRemoteInvoice(v: JsonValue | undefined, processed: (status: string | undefined) => boolean): RemoteInvoice | undefined {
  const pi = envelope(v);
  if (pi === undefined) return undefined;
  const id = jsonText(pi['id']);
  if (id === undefined || id === '') return undefined;
  const status = jsonText(pi['status']);
  const amounts: Record<string, string> = {};
  for (const k of ['subtotal', 'tax', 'total']) {
    const a = jsonText(pi[k]);
    if (a !== undefined && a !== '') amounts[k] = a;
  }
  return {
    id,
    number: attribute(pi, EXSITED_NUMBER_ATTRIBUTE) ?? '',
    vendor: attribute(pi, EXSITED_VENDOR_ATTRIBUTE) ?? '',
    workflowStatus: status,
    alerts: [],
    // Not compared with the batch's total: a PI's total is its purchase order's
    // (https://developer.exsited.com/purchase-invoice-post-api-documentation), which may differ
    // from the vendor's invoice without it being another invoice. It is reported in `amounts`
    // instead.
    totalAmount: undefined,
    processed: processed(status),
    inReview: false,
    // Listed or read as DELETED or VOID: no longer the vendor's invoice in Exsited (docs/exsited.md).
    ...(isWithdrawnStatus(status) ? { withdrawn: true as const } : {}),
    ...(Object.keys(amounts).length > 0 ? { amounts } : {}),
  };
}

/** The entries of one page of a PI's notes answer, as sent: under `notes` in the envelope, or v4's `data`. */
export function noteItems(v: JsonValue | undefined): JsonValue[] {
  const root = envelope(v);
  if (root === undefined) return [];
  const raw = root['notes'] ?? (isJsonObject(v) ? v['data'] : undefined);
  return Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
}

/**
 * The notes among a notes answer's entries: `uuid` and text (`note`, as the create form names it,
 * or `content`/`text`); one without a uuid (or id) is left out.
 */
export function notesIn(items: readonly JsonValue[]): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const n of items) {
    if (!isJsonObject(n)) continue;
    const id = jsonText(n['uuid']) ?? jsonText(n['id']);
    const text = jsonText(n['note']) ?? jsonText(n['content']) ?? jsonText(n['text']) ?? '';
    if (id !== undefined && id !== '') out.push({ id, text });
  }
  return out;
}

/**
 * The new note's uuid: `{"purchase-invoice": {"notes": {"uuid": …}}}` ("Create Purchase Invoice
 * Note").
 */
export function createdNoteId(v: JsonValue | undefined): string | undefined {
  const root = envelope(v);
  const notes = root?.['notes'];
  const note = Array.isArray(notes) ? notes[notes.length - 1] : notes;
  return isJsonObject(note) ? (jsonText(note['uuid']) ?? jsonText(note['id'])) : undefined;
}
