import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ExactSum,
  Money,
  moneyOfText,
  canonicalDecimalText,
  decimalPlacesOfText,
  formatAmount,
  formatAmountText,
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

describe('ExactSum', () => {
  // What checkTotal relies on: `equals` is true exactly when the Decimal sum is equal, for sums
  // small enough to be exact integers, and never true for a sum that differs.
  const amount = fc
    .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,9}$/), fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }))
    .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : '.' + frac}`);
  const term = fc.tuple(amount, fc.oneof(fc.constant(1), fc.constant(-1), fc.integer({ min: 1, max: 500 })));
  const decimalSum = (terms: [string, number][]): Decimal => terms.reduce((s, [t, k]) => s.plus(new Money(t).times(k)), new Money(0));

  it('says equal exactly when the Decimal sum is (random amounts, the total right or off)', () => {
    let equal = 0;
    fc.assert(
      fc.property(fc.array(term, { maxLength: 12 }), fc.oneof(fc.constant(undefined), amount), fc.boolean(), (terms, other, pad) => {
        const exact = decimalSum(terms);
        // The true total, written with extra zeros or not; or another amount.
        const total = other ?? (pad ? exact.toFixed(exact.decimalPlaces() + 2) : exact.toFixed());
        const sum = new ExactSum();
        for (const [t, k] of terms) sum.add(t, k);
        const same = exact.eq(new Money(total));
        const says = sum.equals(total);
        // Never equal when the amounts differ; always when they agree and every text is short
        // (terms here have at most 13 digits, times at most 500: far inside 2^53).
        if (says) expect(same, `${JSON.stringify(terms)} = ${total}`).toBe(true);
        if (same && total.replace(/[-.]/g, '').length <= 15) {
          expect(says, `${JSON.stringify(terms)} = ${total}`).toBe(true);
          equal++;
        }
      }),
      { seed: 1314, numRuns: 2000 },
    );
    expect(equal).toBeGreaterThan(500);
  });

  it('never says equal beyond exact integers or for other forms (the Decimal check decides)', () => {
    const big = new ExactSum();
    big.add('900719925474099', 10); // 9007199254740990, just under 2^53
    expect(big.exact).toBe(true);
    big.add('3'); // past 2^53
    expect(big.exact).toBe(false);
    expect(big.equals('900719925474099')).toBe(false);
    const scaledUp = new ExactSum();
    scaledUp.add('900719925474099');
    scaledUp.add('0.01'); // the first term in hundredths: past 2^53
    expect(scaledUp.exact).toBe(false);
    const long = new ExactSum();
    long.add('1234567890123456'); // 16 digits
    expect(long.equals('1234567890123456')).toBe(false);
    const odd = new ExactSum();
    odd.add('1e3');
    expect(odd.equals('1000')).toBe(false);
    const fine = new ExactSum();
    fine.add('0.1', 3);
    fine.add('-0.30');
    expect(fine.equals('0')).toBe(true);
    expect(fine.equals('-0.000')).toBe(true);
    expect(fine.equals('0.001')).toBe(false);
  });
});

describe('formatAmount: an amount as people write it in its currency', () => {
  it.each([
    ['114', 'USD', '114.00'],
    ['114.5', 'USD', '114.50'],
    ['1000', 'JPY', '1000'],
    ['10.1', 'BHD', '10.100'],
    // never fewer digits than given: nothing is rounded away
    ['114.005', 'USD', '114.005'],
    ['1000.5', 'JPY', '1000.5'],
    // no currency (or one without minor units known): two places
    ['7', undefined, '7.00'],
  ] as const)('%s %s → %s', (amount, currency, shown) => {
    expect(formatAmount(new Money(amount), currency)).toBe(shown);
  });

  it('an amount a target answered as text is shown the same way; not a number, as given', () => {
    expect(formatAmountText('114', 'USD')).toBe('114.00');
    expect(formatAmountText('n/a', 'USD')).toBe('n/a');
  });
});
