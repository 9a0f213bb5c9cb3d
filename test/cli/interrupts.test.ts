/**
 * The two-step stop (src/cli/interrupts.ts): the first signal's notice, and one short line when
 * the second is taken — the run ends now — where the screen used to show nothing until the report.
 * The signals are emitted to this process's listeners, with the test runner's own set aside.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listenForInterrupts, releaseHungUpTerminal, stoppingNowLine } from '../../src/cli/interrupts.js';

const SIGNAL = 'SIGHUP' as const;
let restore: (() => void) | undefined;
afterEach(() => restore?.());

/** Emits `signal` to the listeners interrupts.ts adds, none of the test runner's. */
function aside(signal: NodeJS.Signals): void {
  const theirs = process.listeners(signal);
  for (const l of theirs) process.off(signal, l);
  restore = () => {
    for (const l of theirs) process.on(signal, l);
  };
}

describe('a second Ctrl-C is said on the screen', () => {
  it('its line: stopping now, in the words the first one used', () => {
    expect(stoppingNowLine('SIGINT')).toBe(
      'Ctrl-C again: stopping now, without waiting for the answers still on their way; nothing is sent twice: the same command run again looks up what they did and finishes the batch',
    );
    expect(stoppingNowLine('SIGTERM')).toMatch(/^SIGTERM again: stopping now, /);
  });

  it('the first signal its notice, the second its line once, a third nothing more', () => {
    aside(SIGNAL);
    const said: string[] = [];
    const signals = listenForInterrupts((line) => said.push(line));
    try {
      process.emit(SIGNAL, SIGNAL);
      expect(said).toHaveLength(1);
      expect(signals.hard.aborted).toBe(false);
      process.emit(SIGNAL, SIGNAL);
      expect(signals.hard.aborted).toBe(true);
      process.emit(SIGNAL, SIGNAL);
      expect(said).toEqual([said[0], stoppingNowLine(SIGNAL)]);
    } finally {
      signals.dispose();
    }
  });
});

describe('releaseHungUpTerminal: at exit, a terminal that hung up is closed, so Node does not abort resetting it', () => {
  const io = (ttysNow: number[], failing: number[] = []) => {
    const closed: number[] = [];
    return {
      closed,
      io: {
        isatty: (fd: number) => ttysNow.includes(fd),
        close: (fd: number) => {
          if (failing.includes(fd)) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
          closed.push(fd);
        },
      },
    };
  };
  it('closes only the streams that were a terminal and are none now', () => {
    // stdin and stderr on the terminal that hung up; stdout to a file (never a terminal).
    const t = io([]);
    expect(releaseHungUpTerminal([true, false, true], t.io)).toEqual([0, 2]);
    expect(t.closed).toEqual([0, 2]);
  });
  it('leaves a terminal still there, and a run with none, alone', () => {
    const live = io([0, 1, 2]);
    expect(releaseHungUpTerminal([true, true, true], live.io)).toEqual([]);
    const none = io([]);
    expect(releaseHungUpTerminal([false, false, false], none.io)).toEqual([]);
    expect([...live.closed, ...none.closed]).toEqual([]);
  });
  it('a stream already closed is passed over', () => {
    const t = io([], [1]);
    expect(releaseHungUpTerminal([true, true, true], t.io)).toEqual([0, 2]);
  });
});
