import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import {
  Money,
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
