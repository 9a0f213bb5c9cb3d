/** The sandbox's readers of request values: found out by the dry-run-versus-sandbox property test. */
import { describe, expect, it } from 'vitest';
import { date, integer } from '../../src/sandbox/body.js';

describe('sandbox body values', () => {
  it.each([['0001-01-01'], ['0050-12-31Z'], ['0099-01-01'], ['2024-02-29'], ['9999-12-31Z']])('takes the real calendar day %s (years below 100 too)', (t) => {
    expect(date(t, 'invoice_date')).toBe(t.replace(/Z$/, ''));
  });

  it.each([['2025-02-29'], ['0100-02-29'], ['0000-01-01'], ['2025-13-01'], ['25-01-01']])('refuses %s with 40166411', (t) => {
    expect(() => date(t, 'invoice_date')).toThrow(expect.objectContaining({ code: '40166411' }));
  });

  it("a quantity up to XML Schema's int maximum, 2,147,483,647", () => {
    expect(integer('2147483647', 'quantity')).toBe(2_147_483_647);
    expect(() => integer('2147483648', 'quantity')).toThrow(expect.objectContaining({ code: '402119' }));
  });
});
