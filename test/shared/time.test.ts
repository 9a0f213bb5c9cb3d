/** Time stamps a flat log can sort and tell days and zones apart by (review: cron, item 5). */
import { describe, expect, it } from 'vitest';
import { localIso } from '../../src/common/time.js';

describe('localIso', () => {
  it('is ISO 8601 with the offset: the same instant as the Date', () => {
    const d = new Date(Date.UTC(2026, 11, 6, 18, 47, 52));
    const text = localIso(d);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(new Date(text).getTime()).toBe(d.getTime());
  });
});
