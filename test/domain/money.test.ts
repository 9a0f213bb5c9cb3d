import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Money,
  moneyOfText,
  canonicalDecimalText,
  decimalPlacesOfText,
  formatDecimal,
  isDecimalText,
  parseDecimal,
  roundMoney,
} from '../../src/domain/money.js';

describe('parseDecimal', () => {
  it.each([
    ['0', '0'],
    ['100', '100'],
    ['100.50', '100.5'],
    ['-12.345', '-12.345'],
    ['00012.10', '12.1'],
    ['123456789012345678901234567890.123456789', '123456789012345678901234567890.123456789'],
  ])('accepts %s', (text, expected) => {
    const d = parseDecimal(text);
    expect(d).toBeInstanceOf(Decimal);
    expect(d?.toFixed()).toBe(expected);
  });

  it.each(['', ' 1', '1 ', '.5', '5.', '+1', '1,000.00', '1.000,00', '1e3', '$5', 'USD 5', '1_000', '--1', 'NaN', 'Infinity', '١٢'])(
    'rejects %j (one strict form; other dialects come through --mapping)',
    (text) => {
      expect(parseDecimal(text)).toBeUndefined();
      expect(isDecimalText(text)).toBe(false);
    },
  );

  it('is exact where binary floating point is not', () => {
    const sum = (parseDecimal('0.1') as Decimal).plus(parseDecimal('0.2') as Decimal);
    expect(sum.eq(parseDecimal('0.3') as Decimal)).toBe(true);
  });
});

describe('canonicalDecimalText', () => {
  it.each([
    ['100', '100'],
    ['100.0', '100'],
    ['100.00', '100'],
    ['0100.50', '100.5'],
    ['0.00', '0'],
    ['-0', '0'],
    ['-0.000', '0'],
    ['-01.10', '-1.1'],
    ['0.05', '0.05'],
  ])('%s → %s', (text, expected) => expect(canonicalDecimalText(text)).toBe(expected));

  it('returns the very same string when already canonical (no allocation)', () => {
    const s = ['12', '.5'].join('');
    expect(canonicalDecimalText(s)).toBe(s);
  });
});

describe('decimal places', () => {
  it.each([
    ['1', 0],
    ['1.5', 1],
    ['1.50', 2],
    ['1.125', 3],
  ])('%s has %i places as written', (text, places) => expect(decimalPlacesOfText(text)).toBe(places));

  it('counts places that carry value on a Decimal', () => {
    expect(new Money('1.50').decimalPlaces()).toBe(1);
    expect(new Money('100.000').decimalPlaces()).toBe(0);
  });
});

describe('Money', () => {
  it('rounds half to even', () => {
    expect(roundMoney(new Money('0.125'), 2).toFixed()).toBe('0.12');
    expect(roundMoney(new Money('0.135'), 2).toFixed()).toBe('0.14');
    expect(roundMoney(new Money('2.5'), 0).toFixed()).toBe('2');
    expect(roundMoney(new Money('-2.5'), 0).toFixed()).toBe('-2');
  });

  it('does not touch the global Decimal configuration', () => {
    expect(Decimal.precision).toBe(20);
    expect(Decimal.rounding).toBe(Decimal.ROUND_HALF_UP);
    expect(Money.precision).toBe(40);
    expect(Money.rounding).toBe(Decimal.ROUND_HALF_EVEN);
    expect(new Money(1)).toBeInstanceOf(Decimal);
  });

  it('formats without exponent notation', () => {
    expect(formatDecimal(new Money('0.0000001'))).toBe('0.0000001');
    expect(formatDecimal(new Money('1e25'))).toBe('10000000000000000000000000');
  });
});

describe('moneyOfText', () => {
  // The same Decimal as decimal.js's own parsing: sign, exponent and every digit word, so sums,
  // comparisons and formatting cannot tell them apart.
  const same = (text: string): void => {
    const fast = moneyOfText(text) as unknown as { s: number; e: number; d: number[]; constructor: unknown };
    const slow = new Money(text) as unknown as { s: number; e: number; d: number[]; constructor: unknown };
    expect({ s: fast.s, e: fast.e, d: fast.d }, text).toEqual({ s: slow.s, e: slow.e, d: slow.d });
    expect(Object.keys(fast)).toEqual(Object.keys(slow));
    expect(fast.constructor).toBe(Money);
    expect((fast as unknown as Decimal).toFixed()).toBe((slow as unknown as Decimal).toFixed());
  };

  it.each([
    '0', '-0', '0.000', '00', '1', '100', '204.74', '0.05', '-12.345', '00012.10', '1234567', '12345678', '0.1234567',
    '0.0000001', '0.00000001', '9999999.9999999', '1000000', '10000000', '0.0000000000001', '123456789012345678901234567890.123456789',
  ])('%s', (text) => same(text));

  it('is new Money(text) for random texts of the accepted form', () => {
    const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));
    const text = fc.tuple(fc.boolean(), digits(30), fc.option(digits(30), { nil: undefined })).map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : '.' + frac}`);
    // Zeros around the digits move the exponent across word boundaries.
    const padded = fc.tuple(fc.nat(9), text, fc.nat(9)).map(([a, t, b]) => {
      const neg = t.startsWith('-');
      const body = neg ? t.slice(1) : t;
      return (neg ? '-' : '') + '0'.repeat(a) + body + (body.includes('.') ? '0'.repeat(b) : '');
    });
    fc.assert(fc.property(fc.oneof(text, padded), same), { seed: 1312, numRuns: 3000 });
  });
});
