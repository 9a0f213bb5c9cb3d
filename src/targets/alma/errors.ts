/**
 * Alma's three error bodies (docs/alma.md#errors-error-codes-and-alerts), all reduced to one `ApiError`:
 * - JSON 4xx: `{"errorsExist":true,"errorList":{"error":[{errorCode,errorMessage,trackingId}]}}` (sample 07, docs/alma.md#what-the-samples-show);
 * - JSON 5xx: the same wrapped in `web_service_result`, with `error` a single object (JW-RUBY parse_error);
 * - XML: `<web_service_result>…<errorCode>…` (sample 08, docs/alma.md#what-the-samples-show). Auth failures come back as XML even
 *   when JSON was asked for (github.com/ugent-library/exlibris-alma-sdk src/client.ts), so the body is sniffed, not trusted to match Accept.
 * `errorCode` is kept as a string even when Alma sends a number (AAPITK normalises it to str).
 */
import { ApiError } from '../../common/errors.js';
import { isJsonObject, jsonText, parseJson, type JsonValue } from '../../common/json.js';
import type { ErrorDocument, ResponseHeaders } from '../../transport/http.js';

interface AlmaErrorEntry {
  code?: string | undefined;
  message?: string | undefined;
  trackingId?: string | undefined;
}

export function parseAlmaError(status: number, headers: ResponseHeaders, bodyText: string): ApiError {
  const contentType = String(headers['content-type'] ?? '').toLowerCase();
  const trimmed = bodyText.trim();
  let entries: AlmaErrorEntry[] = [];
  if (contentType.includes('xml') || trimmed.startsWith('<')) entries = fromXml(trimmed);
  else if (trimmed.startsWith('{')) entries = fromJson(trimmed);
  const first = entries.find((e) => e.code !== undefined || e.message !== undefined);
  if (first === undefined && almaDocument(trimmed)) {
    // Alma's error document with no error in its list: Alma answered, badly — not a gateway's or
    // a proxy's page (`bare`), which a 5xx so answered would be taken for (answers.ts).
    return new ApiError({ httpStatus: status, code: `HTTP_${status}`, message: `HTTP ${status}: errorsExist is true, with no error details` });
  }
  if (first === undefined) {
    // A redirect is followed by no API client here (a POST would be re-sent blindly): say where it points, the address to use.
    const location = status >= 300 && status < 400 ? headers['location'] : undefined;
    const to = typeof location === 'string' && location !== '' ? ` to ${location.slice(0, 200)} (the address to use instead?)` : '';
    return new ApiError({ httpStatus: status, code: `HTTP_${status}`, message: fallbackMessage(status, trimmed) + to, bare: true });
  }
  const messages = entries.map((e) => e.message).filter((m): m is string => m !== undefined && m !== '');
  return new ApiError({
    httpStatus: status,
    code: first.code ?? `HTTP_${status}`,
    message: messages.length > 0 ? messages.join('; ') : `HTTP ${status}`,
    trackingId: first.trackingId,
  });
}

/**
 * An answer read as a success (2xx) that is Alma's error document, `errorsExist` true (sample 07's
 * shape, or wrapped in `web_service_result`): the error it carries, with the server's code,
 * message and tracking id, or undefined for any other answer. A list page read without this
 * check has no entries and no `total_record_count`, and would say "none": an invoice that
 * exists would look absent and be created again (docs/alma.md#errors-error-codes-and-alerts).
 * The transport calls it on every 2xx JSON answer (client.ts, `HttpClientOptions.errorInAnswer`),
 * so the fields are masked for the key and the error classified by its code as any error answer's.
 */
export function errorInAnswer(status: number, doc: JsonValue): ErrorDocument | undefined {
  if (!isJsonObject(doc)) return undefined;
  const root = isJsonObject(doc['web_service_result']) ? doc['web_service_result'] : doc;
  if (jsonText(root['errorsExist'])?.trim().toLowerCase() !== 'true') return undefined;
  const entries = entriesOf(doc);
  const first = entries.find((e) => e.code !== undefined || e.message !== undefined);
  const messages = entries.map((e) => e.message).filter((m): m is string => m !== undefined && m !== '');
  return {
    // Undefined when the document carries no code: the transport tells that apart by this, not by a
    // code of its own a server might also send (transport/http.ts `ErrorDocument`).
    code: first?.code,
    message: `an error answered with HTTP ${status}: ${messages.length > 0 ? messages.join('; ') : 'errorsExist is true, with no error details'}`,
    trackingId: first?.trackingId,
  };
}

/**
 * Whether the body is Alma's error document, whatever its list holds: JSON whose root, or its
 * `web_service_result`, says `errorsExist`, or XML rooted in `web_service_result` (sample 08).
 */
function almaDocument(text: string): boolean {
  if (text.startsWith('<')) return /<(?:[\w.-]+:)?web_service_result[\s>]/.test(text);
  if (!text.startsWith('{')) return false;
  let doc: JsonValue;
  try {
    doc = parseJson(text);
  } catch {
    return false;
  }
  if (!isJsonObject(doc)) return false;
  const root = isJsonObject(doc['web_service_result']) ? doc['web_service_result'] : doc;
  return jsonText(root['errorsExist'])?.trim().toLowerCase() === 'true';
}

function fromJson(text: string): AlmaErrorEntry[] {
  let doc: JsonValue;
  try {
    doc = parseJson(text);
  } catch {
    return [];
  }
  return entriesOf(doc);
}

function entriesOf(doc: JsonValue): AlmaErrorEntry[] {
  if (!isJsonObject(doc)) return [];
  const root = isJsonObject(doc['web_service_result']) ? doc['web_service_result'] : doc;
  const list = root['errorList'];
  if (!isJsonObject(list)) return [];
  const raw = list['error'];
  const items = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return items.filter(isJsonObject).map((e) => ({
    code: nonEmpty(jsonText(e['errorCode'])),
    message: nonEmpty(jsonText(e['errorMessage'])),
    trackingId: nonEmpty(jsonText(e['trackingId'])),
  }));
}

/** Enough XML for Alma's flat error document: tags with an optional namespace prefix. */
function fromXml(text: string): AlmaErrorEntry[] {
  const out: AlmaErrorEntry[] = [];
  const errorRe = /<(?:[\w.-]+:)?error(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?error>/g;
  for (let m = errorRe.exec(text); m !== null; m = errorRe.exec(text)) {
    const inner = m[1] ?? '';
    out.push({ code: xmlField(inner, 'errorCode'), message: xmlField(inner, 'errorMessage'), trackingId: xmlField(inner, 'trackingId') });
  }
  if (out.length === 0) {
    const code = xmlField(text, 'errorCode');
    const message = xmlField(text, 'errorMessage');
    if (code !== undefined || message !== undefined) out.push({ code, message, trackingId: xmlField(text, 'trackingId') });
  }
  return out;
}

function xmlField(xml: string, name: string): string | undefined {
  const re = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>`);
  const m = re.exec(xml);
  if (m === null) return undefined;
  return nonEmpty(decodeXml((m[1] ?? '').trim()));
}

function decodeXml(s: string): string {
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(s);
  if (cdata !== null) return cdata[1] ?? '';
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const cp = e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

/** No recognisable error document (a proxy's HTML page, an empty body): say what came back, briefly. */
function fallbackMessage(status: number, body: string): string {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? `HTTP ${status} with no error details` : `HTTP ${status}: ${text.slice(0, 200)}`;
}
