/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run that writes: the first aborts `soft` (take no
 * new work; requests in flight finish), the second `hard` (requests in flight are abandoned). The
 * load, `export` and `payments` share it; each says the first one's notice its own way. SIGHUP
 * is a closed terminal or a dropped ssh session: by default it ends Node at once, leaving the
 * answers in flight unjournaled and no --report for the job that waits for one.
 */
import { setMaxListeners } from 'node:events';
import { stoppingNowLine } from './terminal.js';

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

export function listenForInterrupts(first: (line: string) => void): Interrupts {
  let notice = first;
  const soft = new AbortController();
  const hard = new AbortController();
  // Every request in flight and every limiter wait listens on these; more than Node's default 10 is normal here.
  setMaxListeners(0, soft.signal, hard.signal);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!soft.signal.aborted) {
      soft.abort();
      // The person at the terminal pressed Ctrl-C; a service manager or `timeout` sent the others.
      const how = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      notice(`${how}: stopping once the requests already sent are answered (${how} again stops at once); nothing is lost: the same command run again finishes the batch`);
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
