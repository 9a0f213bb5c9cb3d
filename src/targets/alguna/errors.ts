/**
 * Alguna's error body (https://alguna.com/docs/api-reference/v2/overview): `{"status": 400,
 * "detail": "Validation failed: …"}`; 400 bad request, 401 unauthorised, 404 not found, 422
 * validation, 500 server error; for idempotency 422 "key already used with different parameters"
 * and 409 "request currently being processed"
 * (https://alguna.com/docs/api-reference/v2/idempotency). Alguna has no error codes of its own, so
 * the report's `code` is a short name for the status (`validation_failed` …); an RFC 7807
 * `type`/`title`/`code`, if one appears, wins.
 */
import { ApiError } from '../../common/errors.js';
import { errorBodyObject, jsonText } from '../../common/json.js';
import { headerValue, type ResponseHeaders } from '../../transport/http.js';

const NAMES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'idempotency_in_progress',
  422: 'validation_failed',
  429: 'rate_limited',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

export function parseAlgunaError(status: number, headers: ResponseHeaders, bodyText: string): ApiError {
  const e = parseBody(status, bodyText);
  // A cached answer under the same Idempotency-Key carries `Idempotent-Replayed: true`
  // (https://alguna.com/docs/api-reference/v2/idempotency).
  return /^true$/i.test(headerValue(headers['idempotent-replayed']) ?? '') ? new ApiError({ ...e.detail, replayed: true }) : e;
}

function parseBody(status: number, bodyText: string): ApiError {
  const doc = errorBodyObject(bodyText);
  const name = NAMES[status] ?? `HTTP_${status}`;
  if (doc !== undefined) {
    const detail = jsonText(doc['detail']) ?? jsonText(doc['message']) ?? jsonText(doc['title']) ?? jsonText(doc['error']);
    const code = jsonText(doc['code']) ?? name;
    if (detail !== undefined) return new ApiError({ httpStatus: status, code, message: detail });
  }
  const plain = bodyText.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return new ApiError({ httpStatus: status, code: name, message: plain === '' ? `HTTP ${status} with no error details` : `HTTP ${status}: ${plain.slice(0, 200)}`, bare: true });
}

/**
 * Alguna's 422 for a key reused with another body
 * (https://alguna.com/docs/api-reference/v2/idempotency): a definite refusal, never retried.
 */
export const isKeyMismatch = (err: ApiError): boolean => err.httpStatus === 422 && /idempot/i.test(err.message);

/**
 * `Transient-Error: true` on a 5xx or 429 to a keyed request: "the idempotency key has been
 * released and you can safely retry with the same key"
 * (https://alguna.com/docs/api-reference/v2/idempotency). The request did nothing: the transport
 * sends it again as it is (retry.ts `classify`). Without the header, a 5xx stays an unknown outcome.
 */
export const isTransientError = (status: number, headers: ResponseHeaders): boolean =>
  (status >= 500 || status === 429) && /^true$/i.test(headerValue(headers['transient-error'])?.trim() ?? '');
