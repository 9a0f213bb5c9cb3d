/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run that writes: the first aborts `soft` (take no
 * new work; requests in flight finish), the second `hard` (requests in flight are abandoned). The
 * load, `export` and `payments` share it, and the two lines that say each was heard (built here);
 * each shows them its own way. SIGHUP is a closed terminal or a dropped ssh session: by default
 * it ends Node at once, leaving the answers in flight unjournaled and no --report for the job
 * that waits for one.
 */
import { setMaxListeners } from 'node:events';
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

export interface Interrupts {
  soft: AbortSignal;
  hard: AbortSignal;
  /** Who says the first signal's notice from now on (the load's reading, then its progress). */
  setNotice(notice: (line: string) => void): void;
  /** Stops listening for the signals. */
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Calls `handler` on each of the signals a run stops on (README "Exit codes": 130 for Ctrl-C,
 * SIGTERM or SIGHUP; cron's and `timeout`'s SIGTERM too); gives what stops listening. `verify`,
 * which only reads, stops at the first.
 */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}

/** How a signal is named to the person: Ctrl-C for SIGINT (pressed at the terminal); a service manager or `timeout` sent the others. */
const signalName = (signal: NodeJS.Signals): string => (signal === 'SIGINT' ? 'Ctrl-C' : signal);

/**
 * What the terminal or the log says when the first Ctrl-C (SIGTERM, SIGHUP) is taken: no new
 * work, the requests in flight answered first, and what a second one does (README "Interrupts").
 */
export function stoppingLine(signal: NodeJS.Signals): string {
  const how = signalName(signal);
  return `${how}: stopping once the requests already sent are answered (${how} again stops at once); nothing is lost: the same command run again finishes the batch`;
}

/**
 * What the terminal or the log says when a second Ctrl-C (SIGTERM, SIGHUP) is taken: the run
 * ends now, without the answers still on their way, and the journal lets a re-run settle them
 * (README "Interrupts"). Without it the second press showed nothing until the report.
 */
export function stoppingNowLine(signal: NodeJS.Signals): string {
  return `${signalName(signal)} again: stopping now, without waiting for the answers still on their way; nothing is sent twice: the same command run again looks up what they did and finishes the batch`;
}

/**
 * Listens for the signals (onStopSignals); `first` says the first one's line (stoppingLine) and
 * the second's (stoppingNowLine). Once requests go out the callers show both under --quiet too
 * (send.ts, lifecycle.ts): quiet hides the progress, not the answer to a person's own Ctrl-C
 * (README, `--quiet`).
 */
export function listenForInterrupts(first: (line: string) => void): Interrupts {
  let notice = first;
  const soft = new AbortController();
  const hard = new AbortController();
  // Every request in flight and every limiter wait listens on these; more than Node's default 10 is normal here.
  setMaxListeners(0, soft.signal, hard.signal);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!soft.signal.aborted) {
      soft.abort();
      notice(stoppingLine(signal));
    } else {
      if (!hard.signal.aborted) notice(stoppingNowLine(signal));
      hard.abort();
    }
  };
  const dispose = onStopSignals(onSignal);
  return {
    soft: soft.signal,
    hard: hard.signal,
    setNotice: (n) => {
      notice = n;
    },
    dispose,
  };
}

/**
 * Resolves once a signal already delivered to the process has reached its listeners. Node hands
 * a signal to JavaScript from the event loop's poll phase; code that ran without yielding (a
 * report written with sync calls) has not seen one that came meanwhile. Two turns of the check
 * phase have a poll phase between them (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick).
 */
export async function signalsDispatched(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The standard streams (0, 1, 2) that are a terminal, as `releaseHungUpTerminal` is to compare at exit. */
export function terminalsNow(tty: (fd: number) => boolean = isatty): boolean[] {
  return [0, 1, 2].map((fd) => tty(fd));
}

/**
 * At exit, closes each standard stream that was a terminal at start (`wasTty`, from
 * `terminalsNow`) and is none now: its terminal hung up (a closed window, a dropped ssh
 * session, `tmux kill-server`), and every call on it fails with EIO, so `isatty` is false. Node
 * sets each such stream's terminal back as it found it at exit, and when that fails with anything
 * but EPERM it aborts (`Assertion failed` in `node::ResetStdio`, SIGABRT: exit 134) — the run's
 * own exit code (130 after the SIGHUP, its journal and report already written) was lost. Node
 * skips a stream that is closed (https://github.com/nodejs/node/issues/51519, fixed in
 * https://github.com/nodejs/node/pull/58200 but not in every Node this runs on). Only at exit:
 * a descriptor freed earlier would be the next file opened, and the progress would write into it.
 * Gives the descriptors closed.
 */
export function releaseHungUpTerminal(wasTty: readonly boolean[], io: { isatty: (fd: number) => boolean; close: (fd: number) => void } = { isatty, close: closeSync }): number[] {
  const closed: number[] = [];
  for (const [fd, was] of wasTty.entries()) {
    if (!was || io.isatty(fd)) continue;
    try {
      io.close(fd);
      closed.push(fd);
    } catch {
      // Already closed: Node skips it as well.
    }
  }
  return closed;
}
