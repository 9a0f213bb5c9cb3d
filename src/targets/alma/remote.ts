/**
 * Alma answers → the target-neutral `RemoteInvoice` / `RemoteLine`. Tolerant of the shapes the
 * samples show: numbers as JSON numbers or strings
 * (docs/alma.md#the-json-shape-list-naming-amounts-dates), wrapped or plain codes, `alert` as an
 * array or one object, list answers with or without their item key (same section).
 */
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { Alert, RemoteAttachment, RemoteInvoice, RemoteLine } from '../target.js';

type JsonObject = { [key: string]: JsonValue };

/**
 * Workflow status of an invoice that has not (visibly) been processed
 * (docs/alma.md#processing-and-workflow-statuses).
 */
export const IN_REVIEW = 'InReview';

/** `held`: keep the answer (without its lines) on the result, to compare with the batch (Target.heldDifferences). */
export function toRemoteInvoice(v: JsonValue | undefined, opts: { held?: boolean } = {}): RemoteInvoice | undefined {
  if (!isJsonObject(v)) return undefined;
  // Its `id`, else the id its `link` ends in (`idOf`), as for lines.
  const id = idOf(v);
  if (id === undefined) return undefined;
  const workflowStatus = codeOf(v['invoice_workflow_status']);
  const alerts = alertsOf(v);
  return {
    id,
    number: jsonText(v['number']) ?? '',
    vendor: codeOf(v['vendor']) ?? '',
    workflowStatus,
    approvalStatus: codeOf(v['invoice_approval_status']),
    alerts,
    // Blank (`""`, as sample 01 answers `voucher_amount`) is unknown, not another total (matches.ts holdsOtherTotal).
    totalAmount: blankIsNothing(jsonText(v['total_amount'])),
    lineCount: lineCountOf(v),
    // Alma has no "processed" flag (target.ts): an invoice out of In Review, or with alerts,
    // has been through processing. A missing status proves nothing, so only alerts count then.
    processed: workflowStatus !== undefined ? workflowStatus !== IN_REVIEW || alerts.length > 0 : alerts.length > 0,
    inReview: workflowStatus === IN_REVIEW,
    ...(opts.held === true ? { held: withoutLines(v) } : {}),
  };
}

function withoutLines(v: JsonObject): JsonObject {
  if (!('invoice_lines' in v)) return v;
  const { invoice_lines: _lines, ...rest } = v;
  return rest;
}

/** `held`: keep the answer on the result, to compare with the batch's line (Target.heldDifferences). */
export function toRemoteLine(v: JsonValue | undefined, opts: { held?: boolean } = {}): RemoteLine | undefined {
  if (!isJsonObject(v)) return undefined;
  const number = jsonText(v['number']) ?? '';
  // A line is found again by its number: one shown without an id (sample 04 has none) is still
  // there, its id unknown (''), not absent — absent, it would be sent again.
  const id = idOf(v) ?? (number !== '' ? '' : undefined);
  if (id === undefined) return undefined;
  return { id, number, ...(opts.held === true ? { held: v } : {}) };
}

/**
 * An object's id: its `id`, else the last part of its `link` when that is a number (a listing
 * may give only the link: sample 02's lines; Ex Libris' attachment example reads `link`).
 */
export function idOf(v: JsonObject): string | undefined {
  const id = jsonText(v['id']);
  if (id !== undefined && id !== '') return id;
  const link = jsonText(v['link']);
  const last = link?.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop();
  return last !== undefined && /^\d+$/.test(last) ? last : undefined;
}

/**
 * `{value, desc}` → value; a bare string is accepted too. Empty means absent (blank wrappers,
 * docs/alma.md#the-json-shape-list-naming-amounts-dates).
 */
export function codeOf(v: JsonValue | undefined): string | undefined {
  const raw = isJsonObject(v) ? jsonText(v['value']) : jsonText(v);
  return raw === undefined || raw === '' ? undefined : raw;
}

/** Sample 01: top-level `alert: [{value, desc}]`; the XSD names the list `alerts` with `alert` inside. */
export function alertsOf(v: JsonObject): Alert[] {
  const out: Alert[] = [];
  for (const a of listOf(v, 'alerts', 'alert')) {
    const code = codeOf(a);
    if (code === undefined) continue;
    const desc = isJsonObject(a) ? jsonText(a['desc']) : undefined;
    out.push({ code, description: desc ?? '' });
  }
  return out;
}

function lineCountOf(v: JsonObject): number | undefined {
  const n = v['number_of_lines'];
  const fromCount = toInt(isJsonObject(n) ? n['value'] : n);
  if (fromCount !== undefined) return fromCount;
  const lines = v['invoice_lines'];
  return isJsonObject(lines) ? toInt(lines['total_record_count']) : undefined;
}

/**
 * A list in an answer, however it is named (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts):
 * under its item's name (`alert: [...]` or one `alert: {...}`, as real answers have it), or under
 * the XSD's wrapper name, plain (`alerts: [...]`) or with the items inside, as XML has them
 * (`alerts: {alert: [...]}`, as answers wrap `invoice_lines: {invoice_line: [...]}`). Items under
 * both names are all taken. A wrapper object without the item key is empty (`{}`, or
 * `{total_record_count: 0}` as a zero-hit list) unless it has fields of its own: then it is the
 * one item.
 */
export function listOf(v: JsonObject, wrapper: string, item: string): JsonValue[] {
  const w = v[wrapper];
  const wrapped = !isJsonObject(w) ? items(w) : item in w ? items(w[item]) : Object.keys(w).some((k) => k !== 'total_record_count') ? [w] : [];
  return [...wrapped, ...items(v[item])];
}

/** Text with nothing in it (`""`, blanks) as absent: a blank field in an answer says nothing. */
function blankIsNothing(t: string | undefined): string | undefined {
  return t === undefined || t.trim() === '' ? undefined : t;
}

/** A repeated element: an array, one object, or nothing. */
export function items(v: JsonValue | undefined): JsonValue[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A count sent as a number or a numeric string (sample 03, docs/alma.md#what-the-samples-show has `"total_record_count": ""`). */
export function toInt(v: JsonValue | undefined): number | undefined {
  const t = jsonText(v);
  return t !== undefined && /^\d+$/.test(t.trim()) ? Number.parseInt(t, 10) : undefined;
}

/**
 * An attachment of the list or of a create's answer: `id` (or its `link`) and `file_name` (the
 * names Ex Libris' attachments blog reads). A `size` is taken when the answer carries one (the
 * public record shows none); otherwise the caller measures `content` (`expand=content`, base64).
 * Either may be missing (`''`): the blog's script takes the name from the one attachment, read by
 * its link, not from the list, so an entry shown without it is read before anything is concluded
 * (target.ts `attachments.find`). Undefined for an answer that is not an object.
 */
export function toRemoteAttachment(v: JsonValue | undefined): RemoteAttachment | undefined {
  if (!isJsonObject(v)) return undefined;
  const content = jsonText(v['content']);
  const size = toInt(v['size']) ?? (content !== undefined && content !== '' ? Buffer.from(content, 'base64').length : undefined);
  return { id: idOf(v) ?? '', name: jsonText(v['file_name']) ?? '', size };
}
