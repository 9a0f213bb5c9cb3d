/**
 * Exsited's error body (exsited-python `ab_rest_processor.py`, exsited-php
 * `AutoBillOAuth2ApiCaller.php`): `{"errors":[{"code": <int|string>, "message": "…"}]}`; the SDKs
 * read `errors[].message` and `errors[0].code` (exsited-python `process_error_response`,
 * exsited-php `responseProcessor`). The HTTP status carries the class (400 validation, 401 token,
 * 403 access, 404 not found, 500 server — "some endpoints return 500 for valid input", so the raw
 * body is kept in the message). OAuth errors may come as `{"error", "error_description"}` (RFC 6749
 * §5.2); both are read.
 */
import { ApiError } from '../../common/errors.js';
import { errorBodyObject, isJsonObject, jsonText } from '../../common/json.js';
import type { ResponseHeaders } from '../../transport/http.js';

export function parseExsitedError(status: number, _headers: ResponseHeaders, bodyText: string): ApiError {
  const doc = errorBodyObject(bodyText);
  if (doc !== undefined) {
    const errors = Array.isArray(doc['errors']) ? doc['errors'].filter(isJsonObject) : [];
    const messages = errors.map((e) => jsonText(e['message'])).filter((m): m is string => m !== undefined && m !== '');
    const code = errors.map((e) => jsonText(e['code'])).find((c) => c !== undefined && c !== '');
    if (messages.length > 0 || code !== undefined) {
      return new ApiError({ httpStatus: status, code: code ?? `HTTP_${status}`, message: messages.join('; ') || `HTTP ${status}` });
    }
    const oauth = jsonText(doc['error']);
    if (oauth !== undefined) {
      return new ApiError({ httpStatus: status, code: oauth, message: jsonText(doc['error_description']) ?? oauth });
    }
  }
  const plain = bodyText.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return new ApiError({ httpStatus: status, code: `HTTP_${status}`, message: plain === '' ? `HTTP ${status} with no error details` : `HTTP ${status}: ${plain.slice(0, 200)}`, bare: true });
}
