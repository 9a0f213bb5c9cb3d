/**
 * Exact decimal money. Amounts travel as decimal strings and become `Decimal`, never JS numbers
 * (README "What is checked before anything is sent": money is exact).
 *
 * The accepted text form is deliberately narrow: `-?\d+(\.\d+)?`, with `.` as the decimal point.
 * - no thousands separators, exponent, `+` sign or currency symbol;
 * - no bare fraction (`.5`) and no trailing point (`5.`): both are rejected, because they are
 *   more often the trace of a mangled export than an intended value, and one strict form keeps
 *   "is this the same amount?" simple. Other dialects (`1.234,50`, `€ 12`) are the job of the
 *   mapping profiles (`--mapping`), which rewrite cells to this form before the domain sees them.
 * Negative amounts are accepted here (credit notes exist); rules decide where they make sense.
 */
import { Decimal } from 'decimal.js';
import { minorUnits } from './currencies.js';

/**
 * Module-local Decimal constructor. Rounding is ROUND_HALF_EVEN (banker's rounding, decimal.js
 * mode 6), the usual rule for money; precision 40 significant digits is far beyond any invoice.
 * A clone, so the global `Decimal` configuration that other modules may rely on is never touched.
 * Instances share `Decimal.prototype`, so `x instanceof Decimal` holds for them.
 */
export const Money: Decimal.Constructor = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;

/** True when `text` is exactly in the accepted form (no surrounding blanks). */
export const isDecimalText = (text: string): boolean => DECIMAL_TEXT.test(text);

/**
 * The canonical spelling of a decimal text already known to match the accepted form: no leading
 * zeros in the integer part, no trailing zeros in the fraction, no point when there is no
 * fraction, and no sign on zero. `100.0`, `0100.00` and `100` all become `100`; `-0.00` becomes `0`.
 * Two texts denote the same amount iff their canonical spellings are equal. Returns the input
 * string itself when it is already canonical (no allocation on the common path).
 */
export function canonicalDecimalText(text: string): string {
  let start = 0;
  let negative = false;
  if (text.charCodeAt(0) === 45 /* - */) {
    negative = true;
    start = 1;
  }
  let intStart = start;
  const dot = text.indexOf('.', start);
  const intEnd = dot === -1 ? text.length : dot;
  while (intStart < intEnd - 1 && text.charCodeAt(intStart) === 48 /* 0 */) intStart++;
  let fracEnd = text.length;
  if (dot !== -1) {
    while (fracEnd > dot + 1 && text.charCodeAt(fracEnd - 1) === 48) fracEnd--;
    if (fracEnd === dot + 1) fracEnd = dot; // the fraction was all zeros: drop the point too
  }
  const intPart = text.slice(intStart, intEnd);
  const fracPart = dot === -1 || fracEnd === dot ? '' : text.slice(dot, fracEnd);
  if (intPart === '0' && fracPart === '') return '0';
  const canonical = (negative ? '-' : '') + intPart + fracPart;
  return canonical === text ? text : canonical;
}

/**
 * Parses the accepted decimal form into a `Money` Decimal; `undefined` when the text is not in
 * that form. Surrounding blanks are not accepted here: callers trim cells first.
 */
export function parseDecimal(text: string): Decimal | undefined {
  return DECIMAL_TEXT.test(text) ? new Money(text) : undefined;
}

/** Digits per element of a Decimal's digit array (decimal.js `LOG_BASE`). */
const WORD = 7;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

/**
 * `new Money(text)` for a text already known to be in the accepted form (a codec passed it),
 * without decimal.js's string parsing: its regex tests, `replace` and one substring per digit
 * word were a tenth of a million-row dry run. The same Decimal, digit for digit: sign,
 * exponent and digit words of 7 digits aligned on the decimal point, as decimal.js's
 * `parseDecimal` lays them out (test/domain/money.test.ts compares the two on random texts).
 */
export function moneyOfText(text: string): Decimal {
  // A Decimal of the right class and shape (constructor, s, e, d), by decimal.js's cheap path.
  const x = new Money(0) as Decimal & { s: number; e: number; d: number[] };
  const n = text.length;
  let start = 0;
  if (text.charCodeAt(0) === 45 /* - */) {
    x.s = -1;
    start = 1;
  }
  const dot = text.indexOf('.', start);
  const point = dot === -1 ? n : dot;
  let first = start;
  while (first < n && (first === dot || text.charCodeAt(first) === 48)) first++;
  let last = n - 1;
  while (last >= first && (last === dot || text.charCodeAt(last) === 48)) last--;
  if (first > last) return x; // zero (decimal.js keeps the sign of `-0`, as here)
  // The exponent of the first significant digit; the first word holds the digits down to the
  // next multiple of 7 places, so that words line up on the point.
  const e = first < point ? point - first - 1 : point - first;
  let width = (e + 1) % WORD;
  if (e < 0) width += WORD;
  if (width === 0) width = WORD;
  // Amounts have one or two words: those are array literals, exactly sized (a push onto an
  // empty array makes room for 17).
  let w0 = -1;
  let w1 = -1;
  let more: number[] | undefined;
  let word = 0;
  let count = 0;
  for (let i = first; i <= last; i++) {
    if (i === dot) continue;
    word = word * 10 + (text.charCodeAt(i) - 48);
    if (++count === width) {
      if (w0 === -1) w0 = word;
      else if (w1 === -1) w1 = word;
      else (more ??= [w0, w1]).push(word);
      word = 0;
      count = 0;
      width = WORD;
    }
  }
  if (count > 0) {
    word *= POW10[width - count] as number;
    if (w0 === -1) w0 = word;
    else if (w1 === -1) w1 = word;
    else (more ??= [w0, w1]).push(word);
  }
  x.e = e;
  x.d = more ?? (w1 === -1 ? [w0] : [w0, w1]);
  return x;
}

/**
 * An exact sum of decimal texts (each times a whole factor) as a count of 10^-scale units in a
 * JS integer: a quick "these add up to exactly that" for the common invoice, with no Decimal
 * made. `exact` turns false, for good, as soon as a text is not plain `-?digits[.digits]` of at
 * most 15 digits or a step leaves the integers a double holds exactly (2^53); the caller then
 * does the sum with Decimals. So `equals` answers true only when the amounts are equal.
 */
export class ExactSum {
  exact = true;
  #units = 0;
  #scale = 0;

  add(text: string, times = 1): void {
    if (!this.exact) return;
    const t = scaled(text);
    if (t === undefined) {
      this.exact = false;
      return;
    }
    const units = this.#align(t) * times;
    this.#units += units;
    if (!Number.isSafeInteger(units) || !Number.isSafeInteger(this.#units)) this.exact = false;
  }

  /** True when the sum is exactly the amount `text`; false when it is not, or not known exactly. */
  equals(text: string): boolean {
    if (!this.exact) return false;
    const t = scaled(text);
    if (t === undefined) return false;
    const units = this.#align(t);
    return this.exact && Number.isSafeInteger(units) && units === this.#units;
  }

  /** `t`'s units at the sum's scale, raising the sum's scale first when `t` has more places. */
  #align(t: { units: number; scale: number }): number {
    if (t.scale > this.#scale) {
      this.#units *= 10 ** (t.scale - this.#scale);
      this.#scale = t.scale;
      if (!Number.isSafeInteger(this.#units)) this.exact = false;
      return t.units;
    }
    return t.units * 10 ** (this.#scale - t.scale);
  }
}

/** A plain decimal text as units of 10^-scale; undefined beyond 15 digits or for any other form. */
function scaled(text: string): { units: number; scale: number } | undefined {
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const negative = i === 1;
  let units = 0;
  let digits = 0;
  let scale = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ && scale === -1 && digits > 0) {
      scale = 0;
      continue;
    }
    if (c < 48 || c > 57 || ++digits > 15) return undefined;
    units = units * 10 + (c - 48);
    if (scale !== -1) scale++;
  }
  if (digits === 0 || scale === 0) return undefined;
  return { units: negative ? -units : units, scale: scale === -1 ? 0 : scale };
}

/**
 * Decimal places of a decimal text as written (`1.50` → 2). For the number of places that carry
 * value, pass the canonical spelling (`canonicalDecimalText('1.50')` → `1.5` → 1).
 */
export function decimalPlacesOfText(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

/** Decimal places that carry value (`new Money('1.50')` → 1). */
export const decimalPlaces = (d: Decimal): number => d.decimalPlaces();

/** Rounds to `places` decimal places, half to even (the `Money` rounding), e.g. VAT to minor units. */
export const roundMoney = (d: Decimal, places: number): Decimal => d.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN);

export const ZERO: Decimal = new Money(0);
export const HUNDRED: Decimal = new Money(100);

/** Sum of amounts, exact. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Plain fixed-point text of an amount for messages and payloads (never exponent notation). */
export const formatDecimal = (d: Decimal): string => d.toFixed();

/** An amount as people write it in that currency: 114 USD → "114.00", never fewer digits than given. */
export const formatAmount = (amount: Decimal, currency: string | undefined): string =>
  amount.toFixed(Math.max(amount.decimalPlaces(), (currency !== undefined ? minorUnits(currency) : undefined) ?? 2));

/**
 * An amount a target answered as text, shown like the file's (Alma's JSON number drops the
 * zeros: 114 for 114.00); as given when it is not a number.
 */
export function formatAmountText(text: string, currency: string | undefined): string {
  try {
    return formatAmount(new Decimal(text), currency);
  } catch {
    return text;
  }
}
