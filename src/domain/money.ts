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
