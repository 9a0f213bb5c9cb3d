/**
 * A vendor's way of writing numbers and dates → the canonical text (`1234.56`, `2025-03-14`).
 * Pure and exception-free: each parser returns the canonical text or a `DialectError` whose
 * message shows the value and says what was expected, so the row can be reported and fixed.
 *
 * Ambiguity is refused, never guessed: `1,234` is 1234 or 1.234 and `03/04/2025` is 3 April or
 * 4 March. A declared format decides; without one such a value is an error (money is loaded
 * as written, and a wrong guess would be an invoice for a thousand times the amount).
 */

export class DialectError {
  constructor(
    readonly code: 'invalid_number' | 'ambiguous_number' | 'invalid_date' | 'ambiguous_date',
    /** Completes "<column> "<value>" …": says what is wrong and what was expected. */
    readonly reason: string,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Numbers

export type DecimalMark = '.' | ',';
/** `' '` stands for every space a spreadsheet writes in numbers (U+0020, U+00A0, U+202F). */
export type ThousandsMark = '.' | ',' | ' ' | "'";

export type NumberFormat = { decimal: 'auto' } | { decimal: DecimalMark; thousands: ThousandsMark | undefined };

const SPACES = /[\u0020\u00a0\u202f]/g;
const DIGITS = /^\d+$/;

/** `1.234.567` with `.` as the mark: the groups are valid thousands groups (1–3 digits, then 3s). */
function grouped(intPart: string, mark: string): string | undefined {
  const groups = intPart.split(mark);
  if (groups.length < 2) return undefined;
  const [first, ...rest] = groups;
  if (first === undefined || !/^\d{1,3}$/.test(first) || (first === '0' && groups.length > 1)) return undefined;
  for (const g of rest) if (!/^\d{3}$/.test(g)) return undefined;
  return groups.join('');
}

/** An example of the declared format, for messages: `1.234,56`. */
export function numberExample(f: NumberFormat): string {
  if (f.decimal === 'auto') return '1234.56, 1,234.56 or 1.234,56';
  const t = f.thousands === undefined ? '' : f.thousands === ' ' ? ' ' : f.thousands;
  return `1${t}234${f.decimal}56`;
}

function describe(f: NumberFormat): string {
  if (f.decimal === 'auto') return 'a number';
  const t = f.thousands === undefined ? 'no thousands separator' : `"${f.thousands}" between thousands`;
  return `"${f.decimal}" as decimal mark and ${t} (e.g. ${numberExample(f)})`;
}

/**
 * Text of a number in `format` → canonical decimal text (`-1234.5`). A leading minus is kept;
 * currency signs and letters are refused (the profile says which column holds what).
 */
export function parseNumber(raw: string, format: NumberFormat): string | DialectError {
  return number(raw, format, true);
}

function number(raw: string, format: NumberFormat, explain: boolean): string | DialectError {
  const text = raw.trim();
  let sign = '';
  let body = text;
  if (body.startsWith('-') || body.startsWith('\u2212')) {
    sign = '-';
    body = body.slice(1).trimStart();
  } else if (body.startsWith('+')) body = body.slice(1).trimStart();
  if (format.decimal === 'auto') return auto(text, sign, body);
  const { decimal, thousands } = format;
  if (thousands === ' ') body = body.replace(SPACES, ' ');
  const at = body.lastIndexOf(decimal);
  const intPart = at === -1 ? body : body.slice(0, at);
  const frac = at === -1 ? '' : body.slice(at + 1);
  let digits: string | undefined;
  if (DIGITS.test(intPart)) digits = intPart;
  else if (thousands !== undefined) digits = grouped(intPart, thousands);
  const fracOk = at === -1 || DIGITS.test(frac);
  if (digits !== undefined && fracOk) return sign + digits + (at === -1 ? '' : '.' + frac);
  // Say why, when the value is plainly in the other convention: the usual slip in these files.
  const other: NumberFormat = decimal === ',' ? { decimal: '.', thousands: ',' } : { decimal: ',', thousands: '.' };
  const hint = explain && /[.,]/.test(body) && typeof number(text, other, false) === 'string' ? `; it looks written with "${other.decimal}" as decimal mark` : '';
  return new DialectError('invalid_number', `is not a number with ${describe(format)}${hint}`);
}

/**
 * Without a declared format: both marks present → the last is the decimal mark; one mark
 * repeated → thousands; one `.` or `,` followed by exactly three digits → ambiguous (refused);
 * otherwise that mark is the decimal mark.
 */
function auto(text: string, sign: string, body: string): string | DialectError {
  body = body.replace(SPACES, ' ');
  if (DIGITS.test(body)) return sign + body;
  const bad = new DialectError('invalid_number', `is not a number (expected e.g. ${numberExample({ decimal: 'auto' })})`);
  const dot = body.lastIndexOf('.');
  const comma = body.lastIndexOf(',');
  if (dot !== -1 && comma !== -1) {
    const decimal = dot > comma ? '.' : ',';
    const thousands = decimal === '.' ? ',' : '.';
    const r = parseNumber(text, { decimal, thousands });
    return typeof r === 'string' ? r : bad;
  }
  for (const grouping of [' ', "'"]) {
    if (!body.includes(grouping)) continue;
    const mark = dot !== -1 ? '.' : comma !== -1 ? ',' : undefined;
    const r = parseNumber(text, { decimal: mark ?? '.', thousands: grouping as ThousandsMark });
    return typeof r === 'string' ? r : bad;
  }
  const mark = dot !== -1 ? '.' : comma !== -1 ? ',' : undefined;
  if (mark === undefined) return bad;
  const parts = body.split(mark);
  if (parts.length > 2) {
    const digits = grouped(body, mark);
    return digits === undefined ? bad : sign + digits;
  }
  const [intPart = '', frac = ''] = parts;
  if (!DIGITS.test(intPart) || !DIGITS.test(frac)) return bad;
  if (frac.length === 3 && grouped(body, mark) !== undefined) {
    const asThousands = intPart + frac;
    const asDecimal = `${intPart}.${frac}`;
    return new DialectError(
      'ambiguous_number',
      `could be ${sign}${asThousands} or ${sign}${asDecimal}; declare the number format in the profile (numbers.decimal "." or ",")`,
    );
  }
  return `${sign}${intPart}.${frac}`;
}

// ---------------------------------------------------------------------------------------------
// Dates

/** A compiled date format such as `DD.MM.YYYY`. */
export interface DateFormat {
  /** As written in the profile. */
  text: string;
  re: RegExp;
  /** Capture group of day, month, year. */
  day: number;
  month: number;
  year: number;
  /** `YY`: two-digit years are read as 20YY. */
  shortYear: boolean;
}

const TOKEN = /YYYY|YY|MM|M|DD|D/g;
const SEPARATORS = new Set(['.', '/', '-', ' ']);

/**
 * Compiles `DD.MM.YYYY`, `MM/DD/YYYY`, `D/M/YYYY`, `YYYY-MM-DD`, `D.M.YY`…: `DD`/`MM` are two
 * digits, `D`/`M` one or two, `YYYY` four digits, `YY` two (read as 20YY); separators are
 * `.`, `/`, `-` or a space. Returns a message when the pattern is not one of these.
 */
export function compileDateFormat(text: string): DateFormat | string {
  const order: ('day' | 'month' | 'year')[] = [];
  let re = '^';
  let last = 0;
  let shortYear = false;
  let sawSeparatorGap = false;
  for (const m of text.matchAll(TOKEN)) {
    const between = text.slice(last, m.index);
    if (order.length > 0 && between.length === 0) sawSeparatorGap = true;
    for (const c of between) {
      if (!SEPARATORS.has(c)) return `"${text}" is not a date format: "${c}" is not a separator (use D, DD, M, MM, YY or YYYY with . / - or a space, e.g. DD.MM.YYYY)`;
      re += c === ' ' ? ' ' : `\\${c}`;
    }
    const tok = m[0];
    const kind = tok[0] === 'D' ? 'day' : tok[0] === 'M' ? 'month' : 'year';
    if (order.includes(kind)) return `"${text}" is not a date format: it has two ${kind} parts`;
    order.push(kind);
    if (tok === 'YY') shortYear = true;
    re += tok.length === 1 ? '(\\d{1,2})' : tok === 'YYYY' ? '(\\d{4})' : '(\\d{2})';
    last = m.index + tok.length;
  }
  const tail = text.slice(last);
  if (tail.length > 0 || order.length !== 3 || text.length === 0) {
    return `"${text}" is not a date format (use D, DD, M, MM, YY or YYYY with . / - or a space, e.g. DD.MM.YYYY or MM/DD/YYYY)`;
  }
  if (sawSeparatorGap) return `"${text}" is not a date format: put a separator between its parts`;
  return { text, re: new RegExp(re + '$'), day: order.indexOf('day') + 1, month: order.indexOf('month') + 1, year: order.indexOf('year') + 1, shortYear };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** YYYY-MM-DD when y/m/d is a real date, else undefined. */
function isoDate(y: number, m: number, d: number): string | undefined {
  if (y < 1 || m < 1 || m > 12 || d < 1) return undefined;
  const max = m === 2 && leap(y) ? 29 : (DAYS[m - 1] ?? 0);
  return d > max ? undefined : `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const spoken = (iso: string): string => `${Number(iso.slice(8))} ${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`;

function tryFormat(text: string, f: DateFormat): string | 'unreal' | undefined {
  const m = f.re.exec(text);
  if (m === null) return undefined;
  let y = Number(m[f.year]);
  if (f.shortYear) y += 2000;
  return isoDate(y, Number(m[f.month]), Number(m[f.day])) ?? 'unreal';
}

/**
 * A date in one of the declared `formats` → `YYYY-MM-DD`. Two formats that read one value as
 * two different dates make it ambiguous. `auto` (no format declared) accepts only what cannot
 * be misread: ISO `YYYY-MM-DD` (or `/`), day-first dates with dots (`14.03.2025`: no one writes
 * month-first with dots), and slash or dash dates whose day is over 12 or equals the month.
 */
export function parseDate(raw: string, formats: readonly DateFormat[] | 'auto'): string | DialectError {
  const text = raw.trim();
  if (formats === 'auto') return autoDate(text);
  const found = new Set<string>();
  let unreal = false;
  for (const f of formats) {
    const r = tryFormat(text, f);
    if (r === 'unreal') unreal = true;
    else if (r !== undefined) found.add(r);
  }
  const expected = formats.map((f) => f.text).join(' or ');
  if (found.size === 1) return [...found][0]!;
  if (found.size > 1) {
    return new DialectError('ambiguous_date', `reads as ${[...found].map(spoken).join(' or ')} under the declared formats ${expected}; keep one format`);
  }
  return new DialectError('invalid_date', unreal ? `is not a real date (expected ${expected})` : `is not a date in the format ${expected}`);
}

const ISO = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/;
const DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const SLASHED = /^(\d{1,2})([/-])(\d{1,2})\2(\d{4})$/;

function autoDate(text: string): string | DialectError {
  const declare = 'declare dates.format in the profile';
  let m = ISO.exec(text);
  if (m !== null) return isoDate(Number(m[1]), Number(m[2]), Number(m[3])) ?? new DialectError('invalid_date', 'is not a real date');
  m = DOTTED.exec(text);
  if (m !== null) return isoDate(Number(m[3]), Number(m[2]), Number(m[1])) ?? new DialectError('invalid_date', 'is not a real date (read as DD.MM.YYYY)');
  m = SLASHED.exec(text);
  if (m !== null) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const y = Number(m[4]);
    const sep = m[2]!;
    if (a === b || (a > 12 && b <= 12) || (b > 12 && a <= 12)) {
      const dayFirst = a > 12 || a === b;
      const iso = dayFirst ? isoDate(y, b, a) : isoDate(y, a, b);
      if (iso !== undefined) return iso;
      return new DialectError('invalid_date', 'is not a real date');
    }
    if (a > 12 && b > 12) return new DialectError('invalid_date', 'is not a real date (neither part can be the month)');
    const dm = isoDate(y, b, a);
    const md = isoDate(y, a, b);
    if (dm !== undefined && md !== undefined) {
      return new DialectError(
        'ambiguous_date',
        `could be ${spoken(dm)} (DD${sep}MM${sep}YYYY) or ${spoken(md)} (MM${sep}DD${sep}YYYY); ${declare}`,
      );
    }
  }
  return new DialectError('invalid_date', `is not a date (expected YYYY-MM-DD, or ${declare}, e.g. "DD.MM.YYYY" or "MM/DD/YYYY")`);
}
