/**
 * Reading fields out of a losslessly parsed request body the way Alma accepts them:
 * wrapped `{value}` fields, amounts as JSON numbers or strings, booleans as `true` or "true"
 * (Alma's answers show both: docs/alma.md#the-json-shape-list-naming-amounts-dates), dates as
 * `YYYY-MM-DDZ` or `YYYY-MM-DD`.
 */
import { Decimal } from 'decimal.js';
import { isJsonObject, jsonText, type JsonValue } from '../common/json.js';
import { AlmaError } from './alma-shapes.js';

/** The sandbox's decimal context: exact for money; derived amounts round half-up to 2 places. */
export const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
/** Canonical text of an amount ("45.00" → "45"), kept as a string so the state stays plain JSON. */
export const norm = (s: string): string => new D(s).toFixed();

export type JsonObject = { [key: string]: JsonValue };

export function asObject(v: JsonValue | undefined, what: string): JsonObject {
  if (!isJsonObject(v)) throw new AlmaError(400, '402119', `General error: the ${what} payload must be a JSON object.`);
  return v;
}

export function field(o: JsonObject | undefined, key: string): JsonValue | undefined {
  return o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined;
}

export function sub(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = field(o, key);
  return isJsonObject(v) ? v : undefined;
}

/** Text of a plain field; blank (or null) counts as absent. */
export function text(v: JsonValue | undefined): string | undefined {
  const t = jsonText(v)?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/**
 * Value of a `{value, desc}` field (only `value` is needed on input,
 * docs/alma.md#the-json-shape-list-naming-amounts-dates). A bare string is tolerated too: a
 * client is known to send payment_method so, and whether Alma refuses it is not documented
 * (same section).
 */
export function wrapped(v: JsonValue | undefined): string | undefined {
  if (isJsonObject(v)) return text(field(v, 'value'));
  return typeof v === 'string' ? text(v) : undefined;
}

const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** An exact decimal string, or undefined when absent; refuses non-numbers. */
export function money(v: JsonValue | undefined, name: string): string | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  if (!DECIMAL_RE.test(t)) throw invalidValue(name, t);
  return t;
}

/** The largest XML Schema `int`, which is what a line's `quantity` is (docs/alma.md#values-alma-can-store). */
const MAX_INT = 2_147_483_647;

export function integer(v: JsonValue | undefined, name: string): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  if (!/^\d+(\.0*)?$/.test(t) || Number(t) > MAX_INT) throw invalidValue(name, t);
  return Number(t);
}

export function bool(v: JsonValue | undefined, dflt: boolean): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return dflt;
}

/** `YYYY-MM-DD` of a real calendar day, from `YYYY-MM-DDZ` or `YYYY-MM-DD`; undefined when absent. */
export function date(v: JsonValue | undefined, name: string): string | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})Z?$/.exec(t);
  // setUTCFullYear, not Date.UTC's year: Date.UTC maps years 0–99 to 1900–1999, which refused
  // real days such as 0050-01-01 (a JavaScript quirk, not an Alma rule).
  const d = m ? new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3]))) : undefined;
  d?.setUTCFullYear(Number(m![1]));
  // Year 0000 is no xs:date of XML Schema 1.0 (its years start at 0001).
  if (!m || !d || m[1] === '0000' || d.toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`) {
    // AAPITK lists 40166411 "Invalid parameter – check date format" (community-observed,
    // docs/alma.md#inferred-not-documented).
    throw new AlmaError(400, '40166411', `Invalid parameter - check date format. Field: ${name}, Value: ${t}`);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/**
 * Alma's real message for a bad value does not name the field
 * (docs/alma.md#errors-error-codes-and-alerts); the sandbox names it, which is kinder and does not
 * change what a loader must handle.
 */
function invalidValue(name: string, value: string): AlmaError {
  return new AlmaError(400, '402119', `General error: invalid value for ${name}: ${value}`);
}
