/**
 * The run's sleep (common/time.ts stoppableSleep): a stop ends it at once, and an ended one still
 * lets the event loop turn, so a loop on it cannot hold the process on promises alone (a second
 * Ctrl-C never handled). No wall clock: the order of callbacks only.
 */
import { describe, expect, it } from 'vitest';
import { stoppableSleep } from '../../src/common/time.js';

describe('stoppableSleep', () => {
  it('once stopped it resolves, without an error, only after the event loop has turned', async () => {
    const stop = new AbortController();
    stop.abort();
    let turned = false;
    setImmediate(() => (turned = true));
    await stoppableSleep(60_000, stop.signal);
    expect(turned).toBe(true);
  });

  it('a loop on it after a stop lets a timer run (a signal handler would too)', async () => {
    const stop = new AbortController();
    stop.abort();
    let fired = false;
    setTimeout(() => (fired = true), 0);
    let rounds = 0;
    while (!fired && rounds < 10_000) {
      await stoppableSleep(250, stop.signal);
      rounds++;
    }
    expect(fired).toBe(true);
  });

  it('cut by its own signal as by the stop', async () => {
    const stop = new AbortController();
    const cut = new AbortController();
    const p = stoppableSleep(60_000, stop.signal, cut.signal);
    cut.abort();
    await expect(p).resolves.toBeUndefined();
  });
});
