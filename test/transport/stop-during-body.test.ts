/**
 * The second Ctrl-C (or SIGTERM twice) while an answer's body is still arriving: a proxy that
 * sends the headers and then stalls or trickles the body. The stop ends the request at once, as
 * it does while the headers are awaited, and a write so cut stays an unknown outcome — never
 * refused, never done (README, Interrupts).
 */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from 'undici';
import { NotSentError, UnknownOutcomeError, writeVerdict } from '../../src/common/errors.js';
import { createAlmaHttpClient } from '../../src/targets/alma/client.js';
import { journaledAs, writeOutcome } from '../../src/engine/engine.js';

/**
 * Answers every request with its headers (and, if `start` is given, the first bytes of its body),
 * then nothing more: the body never ends. `stalled` is how many bodies were left so; `aborted`
 * how many of them undici ended.
 */
class StallingBody extends Dispatcher {
  stalled = 0;
  aborted = 0;
  constructor(private readonly start?: string) {
    super();
  }
  override dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = handler as unknown as {
      onConnect(abort: (err?: Error) => void): void;
      onHeaders(status: number, raw: Buffer[], resume: () => void, text: string): boolean;
      onData(chunk: Buffer): boolean;
      onError(err: Error): void;
    };
    let done = false;
    queueMicrotask(() => {
      h.onConnect((err) => {
        if (done) return;
        done = true;
        this.aborted++;
        h.onError(err ?? new Error('aborted'));
      });
      h.onHeaders(200, [Buffer.from('content-type'), Buffer.from('application/json')], () => undefined, 'OK');
      if (this.start !== undefined) h.onData(Buffer.from(this.start));
      this.stalled++;
    });
    return true;
  }
  override async close(): Promise<void> {}
  override async destroy(): Promise<void> {}
}

/** Lets pending promise chains and I/O callbacks run: no time is waited for. */
async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

function setup(start?: string) {
  const network = new StallingBody(start);
  const hard = new AbortController();
  const stop = new AbortController();
  // `--timeout` far beyond the test: only the stop can end the request.
  const client = createAlmaHttpClient({ apiKey: 'k', baseUrl: 'https://alma.test', dispatcher: network, timeoutMs: 3_600_000, rate: 1000, signal: hard.signal, stop: stop.signal, sleep: async () => undefined, random: () => 0.5 });
  return { network, hard, stop, client };
}

/** The request's end, and whether it has come yet. */
function watch<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: unknown } = { settled: false };
  p.then(
    (v) => Object.assign(state, { settled: true, value: v }),
    (e: unknown) => Object.assign(state, { settled: true, value: e }),
  );
  return state;
}

const intent = { t: 'intent', vendor: 'ACME', number: 'INV-1', step: 'create', at: 0 } as const;

describe('the second Ctrl-C while an answer\'s body is still arriving', () => {
  it.each([
    ['a body that never starts', undefined],
    ['a body cut off after its first bytes (a trickle)', '{"id":'],
  ])('a write (%s): ends at once, its outcome unknown (not refused, not done), its body destroyed', async (_, start) => {
    const { network, hard, stop, client } = setup(start);
    const state = watch(client.json({ method: 'POST', path: '/acq/invoices', body: {} }));
    await flush();
    expect(network.stalled).toBe(1);
    expect(state.settled).toBe(false);
    // The first Ctrl-C leaves a request on the wire to end with its answer.
    stop.abort(new Error('interrupted'));
    await flush();
    expect(state.settled).toBe(false);
    hard.abort(new Error('interrupted twice'));
    await flush();
    expect(state.settled).toBe(true);
    const err = state.value;
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).not.toBeInstanceOf(NotSentError);
    expect(err).toMatchObject({ code: 'ABORTED', message: 'POST /acq/invoices was interrupted; it may or may not have taken effect' });
    expect(writeVerdict(err)).toBe('unknown');
    expect(writeOutcome(err, intent)).toBe('unknown');
    expect(journaledAs(err, intent)).toBeUndefined();
    // The same as a stop while the headers were awaited; the request counted once.
    expect(client.requests).toBe(1);
    expect(network.aborted).toBe(1);
  });

  it('a read: ends at once with the stop\'s reason', async () => {
    const { network, hard, client } = setup('[');
    const state = watch(client.json({ method: 'GET', path: '/acq/invoices/1' }));
    await flush();
    expect(network.stalled).toBe(1);
    const reason = new Error('interrupted twice');
    hard.abort(reason);
    await flush();
    expect(state.settled).toBe(true);
    expect(state.value).toBe(reason);
    expect(network.aborted).toBe(1);
  });
});
