/**
 * FOLIO's error answers (folio-org/raml `errors.schema`, `error.schema`, `parameters.schema`):
 * `{"errors": [{"message", "type", "code", "parameters": [{"key", "value"}]}], "total_records"}`.
 * mod-invoice answers its own refusals that way (400/404/409/413/422, and 500 with a `cause`);
 * the gateway and mod-authtoken answer text/plain (401 "Invalid token", 400 "Missing Tenant"),
 * as do some RAML responses (mod-login `login.raml`: 400 "Bad request"). Both are read here.
 *
 * The report keeps FOLIO's own code (`lockCalculatedTotalsMismatch`, `organizationIsNotVendor`,
 * …) and message, with the parameters appended as `key=value` — the values a librarian needs to
 * see what FOLIO compared (`lockTotal=64.5, total=60.0`).
 */
import { ApiError } from '../../common/errors.js';
import { errorBodyObject, isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import type { ResponseHeaders } from '../../transport/http.js';

export interface FolioErrorItem {
  message: string;
  code?: string | undefined;
  parameters: { key: string; value: string }[];
}

const NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  413: 'payloadTooLarge',
  422: 'unprocessableEntity',
  429: 'tooManyRequests',
  500: 'genericError',
  502: 'badGateway',
  503: 'unavailable',
  504: 'gatewayTimeout',
};

/** The `errors[]` items of a FOLIO error body (empty when the body is not one). */
export function folioErrors(doc: { [key: string]: JsonValue } | undefined): FolioErrorItem[] {
  const list = doc?.['errors'];
  if (!Array.isArray(list)) return [];
  const out: FolioErrorItem[] = [];
  for (const e of list) {
    if (!isJsonObject(e)) continue;
    const params = Array.isArray(e['parameters']) ? e['parameters'] : [];
    out.push({
      message: jsonText(e['message']) ?? '',
      code: jsonText(e['code']),
      parameters: params.filter(isJsonObject).map((p) => ({ key: jsonText(p['key']) ?? '', value: jsonText(p['value']) ?? '' })),
    });
  }
  return out;
}

const describe = (e: FolioErrorItem): string => {
  const params = e.parameters.filter((p) => p.key !== '').map((p) => `${p.key}=${p.value}`);
  return params.length === 0 ? e.message : `${e.message} (${params.join(', ')})`;
};

/**
 * The codes FOLIO's acquisitions units refuse one record with, 403: the record (an invoice, or
 * the order of a PO line) belongs to units that protect the operation, and the user is a member
 * of none of them (folio-org/mod-invoice `ProtectionHelper.verifyUserIsMemberOfAcqUnits` and
 * `ErrorCodes`: `userHasNoPermission`, "User does not have permissions - operation is
 * restricted"; mod-orders `ErrorCodes` the same, and `userNotAMemberOfTheAcq`). Other records
 * stay open to the same user, so it is that record's refusal, not the login's (docs/folio.md
 * "Errors"). Not the user-wide ones (`userHasNoInvoiceApprovePermission`, the gateway's
 * text/plain "requires permission"): those refuse every invoice alike.
 */
export const ACQ_UNIT_REFUSALS: ReadonlySet<string> = new Set(['userHasNoPermission', 'userNotAMemberOfTheAcq']);

export function parseFolioError(status: number, _headers: ResponseHeaders, bodyText: string): ApiError {
  const doc = errorBodyObject(bodyText);
  const errors = folioErrors(doc);
  const name = NAMES[status] ?? `HTTP_${status}`;
  if (errors.length > 0) {
    const first = errors[0] as FolioErrorItem;
    const more = errors.length > 1 ? `; ${errors.slice(1).map(describe).join('; ')}` : '';
    return new ApiError({ httpStatus: status, code: first.code ?? name, message: (describe(first) || `HTTP ${status}`) + more });
  }
  // `{"message": …}` / `{"error": …}` from a gateway, or a plain text body.
  const single = doc === undefined ? undefined : (jsonText(doc['message']) ?? jsonText(doc['error']));
  if (single !== undefined) return new ApiError({ httpStatus: status, code: jsonText(doc?.['code']) ?? name, message: single });
  const plain = bodyText.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return new ApiError({ httpStatus: status, code: name, message: plain === '' ? `HTTP ${status} with no error details` : plain.slice(0, 300) });
}
