import { describe, expect, it } from 'vitest';
import { CURRENCY_MINOR_UNITS, isCurrencyCode, minorUnits, closeCurrency } from '../../src/domain/currencies.js';

/**
 * ISO 4217 codes that ICU (Node's Intl) does not list: the fund codes and VED. Every other code
 * of the table must be known to the platform.
 */
const NOT_IN_ICU = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'VED']);

describe('currency table', () => {
  const platform = new Set(Intl.supportedValuesOf('currency'));

  it('lists only codes the platform knows, apart from the documented ISO fund codes', () => {
    const unknown = [...CURRENCY_MINOR_UNITS.keys()].filter((c) => !platform.has(c) && !NOT_IN_ICU.has(c));
    expect(unknown).toEqual([]);
  });

  it('has every code once, as three upper-case letters, with 0–4 minor units', () => {
    for (const [code, units] of CURRENCY_MINOR_UNITS) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(units);
    }
    expect(CURRENCY_MINOR_UNITS.size).toBeGreaterThan(150);
  });

  it.each([
    ['JPY', 0], ['KRW', 0], ['CLP', 0], ['ISK', 0], ['VND', 0], ['XOF', 0], ['UGX', 0],
    ['BHD', 3], ['KWD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3], ['LYD', 3], ['IQD', 3],
    ['CLF', 4], ['UYW', 4],
    ['USD', 2], ['EUR', 2], ['GBP', 2], ['CHF', 2], ['INR', 2], ['ZWG', 2], ['XCG', 2],
  ])('%s has %i minor units', (code, units) => expect(minorUnits(code)).toBe(units));

  it.each(['XAU', 'XDR', 'XXX', 'HRK', 'usd', 'EURO', ''])('%j is not an invoice currency', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(minorUnits(code)).toBeUndefined();
  });
});

describe('closeCurrency: the one code a mistyped one was meant to be', () => {
  it.each<[string, string | undefined]>([
    ['GPB', 'GBP'], // two neighbours swapped
    ['CFH', 'CHF'],
    ['JYP', undefined], // JPY swapped, or SYP with one letter wrong
    ['UDS', undefined], // USD swapped, or UZS with one letter wrong
    ['EUE', 'EUR'], // one letter wrong
    ['gpb', 'GBP'],
    ['USS', undefined], // USD or USN
    ['GBP', undefined], // a code
    ['XYZQ', undefined],
    ['QQQ', undefined],
  ])('%s → %s', (code, meant) => expect(closeCurrency(code)).toBe(meant));
});
