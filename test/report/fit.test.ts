import { describe, expect, it } from 'vitest';
import { fitLastColumn } from '../../src/report/fit.js';

const rows = (): string[][] => [
  ['status', 'number', 'outcome'],
  ['loaded', 'G-1', 'Waiting to be Sent'],
  ['FAILED', 'E-300', 'create: 60237 Invoice vendor account not valid (tracking id E01-2106115205-AKV2X)'],
];

describe('fitLastColumn', () => {
  it.each([
    // other columns take 6+2 + 6+2 = 16; the outcome gets the rest
    [40, 'create: 60237 Invoice v…'],
    [60, 'create: 60237 Invoice vendor account not va…'],
  ])('width %i cuts the long cell to fit, with …', (width, expected) => {
    const r = rows();
    const cut = fitLastColumn(r, width);
    expect(r[2]![2]).toBe(expected);
    expect(16 + [...r[2]![2]!].length).toBe(width);
    expect(cut).toEqual(new Map([[2, rows()[2]![2]]]));
    expect(r[1]![2]).toBe('Waiting to be Sent');
  });

  it('leaves everything whole when it fits, or when the window is too narrow to help', () => {
    for (const width of [200, 20, 0, Number.NaN]) {
      const r = rows();
      expect(fitLastColumn(r, width).size).toBe(0);
      expect(r).toEqual(rows());
    }
  });

  it('counts characters, not UTF-16 units, and never cuts the header', () => {
    const r = [['a', 'header that is very long indeed, longer than the room'], ['b', '€'.repeat(40)]];
    fitLastColumn(r, 23);
    expect(r[0]![1]).toBe('header that is very long indeed, longer than the room');
    expect(r[1]![1]).toBe('€'.repeat(19) + '…');
  });
});
