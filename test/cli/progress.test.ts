import { describe, expect, it } from 'vitest';
import { clockDuration, createProgress, timeText } from '../../src/cli/progress.js';
import { plainStyle } from '../../src/report/human.js';

describe('time on the terminal', () => {
  it.each([
    [0, '0:00'],
    [59_400, '0:59'],
    [61_000, '1:01'],
    [3_725_000, '1:02:05'],
  ])('clockDuration(%i) = %s', (ms, text) => expect(clockDuration(ms)).toBe(text));

  it('elapsed, this run\'s pace and the time left; estimating before the first invoice; no time left at the end', () => {
    expect(timeText(3_000, 0, 300, 0)).toBe('0:03 elapsed · time left: estimating');
    expect(timeText(42_000, 140, 300, 0)).toBe('0:42 elapsed · 3.3 invoices/s · about 0:48 left');
    // Invoices finished by an earlier run do not make this one look faster.
    expect(timeText(60_000, 110, 120, 100)).toBe('1:00 elapsed · 10.0 invoices/min · about 1:00 left');
    expect(timeText(90_000, 300, 300, 0)).toBe('1:30 elapsed · 3.3 invoices/s');
  });

  it('plain progress lines start with the time of day (a cron log)', () => {
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const at = new Date(2026, 2, 4, 9, 5, 7).getTime();
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => at });
    p.info('loading into the embedded sandbox');
    expect(out).toBe('09:05:07 loading into the embedded sandbox\n');
  });
});
