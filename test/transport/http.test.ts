import { afterEach, describe, expect, it } from 'vitest';
import { setMaxListeners } from 'node:events';
import { Dispatcher } from 'undici';
import { RateLimiter, type Limiter } from '../../src/transport/limiter.js';
import { DEFAULT_RETRY, type RetryOptions } from '../../src/transport/retry.js';
import { ApiError, AuthError, DailyLimitError, NotSentError, RetryAfterError, runStopOf, UnknownOutcomeError, writeVerdict } from '../../src/common/errors.js';
import { errorCode, type HttpClient } from '../../src/transport/http.js';
import { createAlmaHttpClient } from '../../src/targets/alma/client.js';
import type { TargetEvent } from '../../src/targets/target.js';
import { FakeClock } from '../targets/helpers/clock.js';
import { retryAfterText, stopDetail } from '../../src/engine/events.js';
import { waitText } from '../../src/common/time.js';
import { journaledAs, writeOutcome } from '../../src/engine/engine.js';
import { watchedSend } from '../../src/engine/operations.js';
import { ORIGIN, UNAUTHORIZED_XML, almaError, almaServerError, mockApi } from '../targets/helpers/mock-api.js';

const KEY = 'l7xx-SECRET-KEY-0123456789';

/**
 * A slow network on the fake clock: each request reaches the scripted API `ms` after it is sent,
 * and its answer comes back at once. Records when each was sent and answered.
 */
class SlowNetwork extends Dispatcher {
  readonly sentAt: number[] = [];
  readonly answeredAt: number[] = [];
  constructor(
    private readonly inner: Dispatcher,
    private readonly clock: FakeClock,
    private readonly ms: number,
  ) {
    super();
  }
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.sentAt.push(this.clock.t);
    void this.clock.sleep(this.ms).then(() => {
      this.answeredAt.push(this.clock.t);
      this.inner.dispatch(opts, handler);
    });
    return true;
  }
}

function setup(
  opts: {
    limiter?: Limiter;
    clock?: FakeClock;
    rate?: number;
    maxRetries?: number;
    retry?: Partial<RetryOptions>;
    signal?: AbortSignal;
    halt?: AbortSignal;
    stop?: AbortSignal;
    /** Each request answered this long after it is sent (`SlowNetwork`). */
    slowMs?: number;
    /** The client's waits end this much later than asked (a busy machine's late timers). */
    lateMs?: number;
  } = {},
) {
  const api = mockApi();
  const clock = opts.clock ?? new FakeClock();
  const network = opts.slowMs !== undefined ? new SlowNetwork(api.agent, clock, opts.slowMs) : undefined;
  const late = opts.lateMs ?? 0;
  const events: TargetEvent[] = [];
  const limiter = opts.limiter ?? new RateLimiter({ rate: opts.rate ?? 1000, now: clock.now, sleep: clock.sleep, onEvent: (e) => events.push(e) });
  const client = createAlmaHttpClient({
    apiKey: KEY,
    baseUrl: ORIGIN,
    dispatcher: network ?? api.agent,
    limiter,
    sleep: late === 0 ? clock.sleep : (ms, signal) => clock.sleep(ms + late, signal),
    now: clock.now,
    random: () => 0.5,
    maxRetries: opts.maxRetries,
    retry: opts.retry,
    signal: opts.signal,
    halt: opts.halt,
    stop: opts.stop,
    onEvent: (e) => events.push(e),
  });
  return { api, clock, events, client, limiter, network };
}

const retries = (events: TargetEvent[]) => events.filter((e) => e.type === 'retry');

/** A real limiter (10/s, 1 s pause after a 429) on a fake clock, recording when each request starts (`ms`, ` retry` for a retry). */
function recordingLimiter() {
  const clock = new FakeClock();
  const real = new RateLimiter({ rate: 10, pauseMs: 1000, now: clock.now, sleep: clock.sleep });
  const starts: string[] = [];
  const limiter: Limiter = {
    acquire: async (signal, opts) => {
      const t = await real.acquire(signal, opts);
      starts.push(`${t}${opts?.priority === true ? ' retry' : ''}`);
      return t;
    },
    success: (t) => real.success(t),
    throttled: (t, ms) => real.throttled(t, ms),
  };
  return { clock, real, starts, limiter };
}

let current: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await current?.agent.close();
  current = undefined;
});

describe('HttpClient retries (MockAgent)', () => {
  it('GET 503, 503, 200 succeeds on the third attempt after jittered delays', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script({ status: 503 }, { status: 503 }, { body: { id: '1' } });
    const res = await clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }));
    expect(res).toEqual({ id: expect.anything() });
    expect(api.log()).toEqual(['GET /almaws/v1/acq/invoices/1', 'GET /almaws/v1/acq/invoices/1', 'GET /almaws/v1/acq/invoices/1']);
    // full jitter with random() = 0.5: 0.5 × 500, then 0.5 × 1000
    expect(retries(events).map((e) => e.type === 'retry' && e.delayMs)).toEqual([250, 500]);
    expect(clock.sleeps).toEqual(expect.arrayContaining([250, 500]));
    expect(client.requests).toBe(3);
    api.agent.assertNoPendingInterceptors();
  });

  it('POST answered 500 throws UnknownOutcomeError after ONE attempt, keeping Alma’s details', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 500, body: almaServerError('402119', 'General error.', 'E01-5XX-1') }, { status: 200 });
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 500, code: '402119', message: 'General error.', trackingId: 'E01-5XX-1' });
    expect(api.log()).toEqual(['POST /almaws/v1/acq/invoices']);
    expect(client.requests).toBe(1);
  });

  it('POST refused by ECONNREFUSED is retried (never reached the server)', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script({ error: 'ECONNREFUSED' }, { body: { id: '9' } });
    await expect(clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} }))).resolves.toEqual({ id: expect.anything() });
    expect(api.log()).toHaveLength(2);
    // trouble and of: the progress's "still trying" line without -v (cli/progress.ts).
    expect(retries(events)).toEqual([{ type: 'retry', method: 'POST', path: '/almaws/v1/acq/invoices', attempt: 1, delayMs: 250, reason: 'ECONNREFUSED', trouble: 'unreachable', of: 5 }]);
    api.agent.assertNoPendingInterceptors();
  });

  it('POST reset after sending (ECONNRESET) is an unknown outcome, not retried', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ error: 'ECONNRESET' }, { body: {} });
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 0, code: 'ECONNRESET' });
    expect(api.log()).toHaveLength(1);
  });

  it('POST that timed out waiting for the answer is an unknown outcome; a GET is retried', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ error: 'UND_ERR_HEADERS_TIMEOUT' }, { error: 'UND_ERR_HEADERS_TIMEOUT' }, { body: { ok: true } });
    const post = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(post).toBeInstanceOf(UnknownOutcomeError);
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ ok: true });
    expect(api.log()).toHaveLength(3);
  });

  it('POST 429 PER_SECOND_THRESHOLD is retried after a global pause that holds back every caller', async () => {
    const { clock, real, starts, limiter } = recordingLimiter();
    const { api, events, client } = setup({ limiter, clock });
    current = api;
    api.script(
      { method: 'POST', status: 429, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') },
      { method: 'POST', body: { id: '1' } },
      { method: 'GET', body: { id: '2' } },
    );
    const post = client.json({ method: 'POST', path: '/acq/invoices', body: {} });
    await clock.flush(); // the POST is sent and refused
    const get = client.json({ method: 'GET', path: '/acq/invoices/2' }); // another worker
    await clock.run(Promise.all([post, get]));
    // nothing starts before the pause ends at 1000; the retry goes first, then the GET at the cut rate (8/s)
    expect(starts).toEqual(['0', '1000 retry', '1125']);
    expect(real.rate).toBe(8);
    expect(retries(events)).toEqual([
      { type: 'retry', method: 'POST', path: '/almaws/v1/acq/invoices', attempt: 1, delayMs: 250, reason: '429 PER_SECOND_THRESHOLD' },
    ]);
    expect(api.log()).toEqual(['POST /almaws/v1/acq/invoices', 'POST /almaws/v1/acq/invoices', 'GET /almaws/v1/acq/invoices/2']);
    api.agent.assertNoPendingInterceptors();
  });

  it('tells the limiter when each attempt ended, once each, before any retry: an answer, a 503, a lost connection (the tail of reads waits for no write in flight)', async () => {
    const clock = new FakeClock();
    const real = new RateLimiter({ rate: 10, now: clock.now, sleep: clock.sleep });
    const log: string[] = [];
    const limiter: Limiter = {
      acquire: async (signal, opts) => {
        const t = await real.acquire(signal, opts);
        log.push(`start ${t}`);
        return t;
      },
      success: (t) => real.success(t),
      throttled: (t, ms) => real.throttled(t, ms),
      ended: (t) => {
        log.push(`ended ${t}`);
        real.ended(t);
      },
    };
    const { api, client } = setup({ limiter, clock });
    current = api;
    api.script(
      { method: 'POST', status: 503, body: almaServerError('GENERAL_ERROR', 'down') },
      { method: 'POST', error: 'ECONNRESET' },
      { method: 'POST', body: { id: '1' } },
    );
    await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {}, idempotent: true }));
    const starts = log.filter((l) => l.startsWith('start'));
    expect(starts).toHaveLength(3);
    expect(log).toEqual(starts.flatMap((l) => [l, l.replace('start', 'ended')]));
  });

  it('an error that echoes the key, in its code, message or tracking id, keeps none of it', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 400, body: almaError(`X-${KEY}`, `bad key ${KEY}`, `E01-${KEY}`) });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect((err as ApiError).detail).toEqual({ httpStatus: 400, code: 'X-***', message: 'bad key ***', trackingId: 'E01-***' });
  });

  it('400 is not retried and keeps code, message and trackingId', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 400, body: almaError('60237', 'Invoice vendor account not valid.', 'E02-2706205445-WZJWP') });
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect((err as ApiError).detail).toEqual({ httpStatus: 400, code: '60237', message: 'Invoice vendor account not valid.', trackingId: 'E02-2706205445-WZJWP' });
    expect(api.log()).toHaveLength(1);
  });

  it('an XML 401 (asked for JSON) is an AuthError', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml;charset=UTF-8' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined or not configured to allow this API.' });
    expect(api.log()).toHaveLength(1);
  });

  it('a refused key says what the client knew: a write refused after a read worked (a read-only key), or not', async () => {
    const { api, clock, client } = setup();
    current = api;
    const refusal = { status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml;charset=UTF-8' } };
    api.script(refusal, { body: { total_record_count: 0 } }, refusal, refusal);
    const firstWrite = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect((firstWrite as AuthError).use).toEqual({ write: true, readsAccepted: false });
    await clock.run(client.json({ method: 'GET', path: '/acq/invoices' }));
    const writeAfterRead = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect((writeAfterRead as AuthError).use).toEqual({ write: true, readsAccepted: true });
    const readAfterRead = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect((readAfterRead as AuthError).use).toEqual({ write: false, readsAccepted: true });
  });

  it('a 403 page that is not Alma\'s (a proxy\'s): an AuthError marked bare, its text kept', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 403, body: '<html><body>Access denied by web filter policy</body></html>', headers: { 'content-type': 'text/html' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ httpStatus: 403, code: 'HTTP_403', bare: true, message: 'HTTP 403: Access denied by web filter policy' });
  });

  it('429 DAILY_THRESHOLD is a DailyLimitError, not retried', async () => {
    const { api, clock, client, limiter } = setup();
    current = api;
    api.script({ status: 429, body: almaError('DAILY_THRESHOLD', 'Daily threshold exceeded'), headers: { 'retry-after': '3600' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyLimitError);
    expect(err).toMatchObject({ httpStatus: 429, code: 'DAILY_THRESHOLD' });
    expect(api.log()).toHaveLength(1);
    expect((limiter as RateLimiter).rate).toBe(1000); // not a per-second throttle
  });

  it('a 429 once X-Exl-Api-Remaining said nothing is left is a DailyLimitError, not retried', async () => {
    const { api, clock, client, limiter } = setup();
    current = api;
    api.script(
      { body: {}, headers: { 'x-exl-api-remaining': '0' } },
      // a 429 that does not say which threshold (no Alma error document)
      { status: 429, body: 'Too Many Requests', headers: { 'content-type': 'text/plain' } },
    );
    await clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }));
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyLimitError);
    expect(err).toMatchObject({ httpStatus: 429, message: expect.stringMatching(/\(X-Exl-Api-Remaining was 0\)$/) });
    expect(api.log()).toHaveLength(2);
    expect((limiter as RateLimiter).rate).toBe(1000); // not a per-second throttle
  });

  it("a 429 whose own X-Exl-Api-Remaining says nothing is left is a DailyLimitError, not retried", async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ status: 429, body: almaError('TOO_MANY', 'Too many requests'), headers: { 'x-exl-api-remaining': '-1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).rejects.toBeInstanceOf(DailyLimitError);
    expect(api.log()).toHaveLength(1);
  });

  it('a per-second 429 is retried as before, whatever X-Exl-Api-Remaining said; a 429 with budget left in its own header is too', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script(
      { body: {}, headers: { 'x-exl-api-remaining': '0' } },
      { status: 429, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') },
      { body: { id: '1' } },
      // after midnight: the budget is back, so a 429 that does not say which is the per-second one
      { status: 429, body: 'Too Many Requests', headers: { 'content-type': 'text/plain', 'x-exl-api-remaining': '49999' } },
      { body: { id: '2' } },
    );
    await clock.run(client.json({ method: 'GET', path: '/acq/invoices/0' }));
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/2' }))).resolves.toEqual({ id: '2' });
    expect(retries(events).map((e) => e.type === 'retry' && e.reason)).toEqual(['429 PER_SECOND_THRESHOLD', '429 HTTP_429']);
    expect(api.log()).toHaveLength(5);
    api.agent.assertNoPendingInterceptors();
  });

  it('surfaces X-Exl-Api-Remaining from every answer, errors included', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script({ status: 503, headers: { 'x-exl-api-remaining': '50000' } }, { body: {}, headers: { 'X-Exl-Api-Remaining': '49999' } });
    await clock.run(client.json({ method: 'GET', path: '/acq/invoices' }));
    expect(events.filter((e) => e.type === 'remaining')).toEqual([
      { type: 'remaining', remaining: 50000 },
      { type: 'remaining', remaining: 49999 },
    ]);
    expect(events.filter((e) => e.type === 'request').map((e) => e.type === 'request' && [e.status, e.attempt])).toEqual([
      [503, 1],
      [200, 2],
    ]);
  });

  it('waits at least Retry-After, and gives up when it is longer than the maximum wait', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script({ status: 503, headers: { 'retry-after': '3' } }, { body: {} }, { status: 503, headers: { 'retry-after': '7200' } });
    await clock.run(client.json({ method: 'GET', path: '/a' }));
    expect(retries(events).map((e) => e.type === 'retry' && e.delayMs)).toEqual([3000]);
    const err = await clock.run(client.json({ method: 'GET', path: '/b' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as ApiError).message).toMatch(/asked to wait 2 hours \(Retry-After\), longer than the 60 s allowed/);
  });

  it('a 429 asking for longer than the maximum wait: a stop of the run (retry_after) saying until when, a refusal (nothing applied); nothing more is sent', async () => {
    const { clock, starts, limiter } = recordingLimiter();
    const { api, client } = setup({ limiter, clock });
    current = api;
    api.script(
      { method: 'POST', status: 429, headers: { 'retry-after': '3600' }, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') },
      { method: 'GET', body: { id: '2' } },
    );
    const post = client.json({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    await clock.flush();
    const get = client.json({ method: 'GET', path: '/acq/invoices/2' }).catch((e: unknown) => e);
    const [err, read] = await clock.run(Promise.all([post, get]));
    expect((err as ApiError).message).toMatch(/asked to wait 60 min \(Retry-After\), longer than the 60 s allowed/);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(runStopOf(err)).toBe('retry_after');
    // The wait from the clock the transport was given (the answer came at 0), and the 429 the journal settles as refused.
    expect(err).toMatchObject({ waitMs: 3_600_000, until: 3_600_000, httpStatus: 429, code: 'PER_SECOND_THRESHOLD' });
    // The read waiting for its turn (the limiter's pause) ends at once on the same stop, unsent, and so does one asked for later.
    expect(read).toBe(err);
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/3' }))).rejects.toBe(err);
    expect(starts).toEqual(['0']);
    // Not held for the limiter's pause of up to a minute.
    expect(clock.t).toBeLessThan(60_000);
    expect(api.log()).toEqual(['POST /almaws/v1/acq/invoices']);
  });

  it('a write still waiting for its turn when another request\'s 429 stops the run: the stop\'s error, but journaled unsent (nothing of it left), not refused', async () => {
    const { clock, starts, limiter } = recordingLimiter();
    const { api, client } = setup({ limiter, clock });
    current = api;
    api.script({ method: 'POST', status: 429, headers: { 'retry-after': '3600' }, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') });
    const post = client.json({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    const waiting = client.json({ method: 'POST', path: '/acq/invoices/9/lines', body: {} }).catch((e: unknown) => e);
    const [err, other] = await clock.run(Promise.all([post, waiting]));
    expect(starts).toEqual(['0']);
    expect(api.log()).toEqual(['POST /almaws/v1/acq/invoices']);
    const intent = { t: 'intent', vendor: 'ACME', number: 'INV-1', step: 'create', at: 0 } as const;
    // The request the 429 answered: refused (the API applied nothing, and said so).
    expect(writeOutcome(err, intent)).toBe('refused');
    // The one waiting: the same stop (its words, until when), for the run to stop on, but never sent.
    expect(other).toBeInstanceOf(RetryAfterError);
    expect(runStopOf(other)).toBe('retry_after');
    expect(other).toMatchObject({ waitMs: 3_600_000, until: 3_600_000, code: 'PER_SECOND_THRESHOLD', message: (err as Error).message });
    expect(writeOutcome(other, { ...intent, step: 'line', line: '1' })).toBe('unsent');
    expect(journaledAs(other, { ...intent, step: 'line', line: '1' })).toBe('unsent');
    // The operations' tally (export, payments) says the same: no write refused, none made.
    const writes = { wrote: false, refused: false };
    await watchedSend(() => Promise.reject(other), writes)('9').catch(() => undefined);
    expect(writes).toEqual({ wrote: false, refused: false });
    // A write asked for after the stop: the same.
    const later = await clock.run(client.json({ method: 'POST', path: '/acq/invoices/9', query: { op: 'process_invoice' }, body: {} })).catch((e: unknown) => e);
    expect(runStopOf(later)).toBe('retry_after');
    expect(writeOutcome(later, { ...intent, step: 'process' })).toBe('unsent');
    // A read keeps the stop's own error.
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/3' }))).rejects.toBe(err);
    expect(api.log()).toHaveLength(1);
  });

  it('nothing but per-second 429s (no Retry-After) for 60 s though the pace fell: a stop of the run (retry_after) that says so; a 2xx between them restarts the span', async () => {
    const clock = new FakeClock();
    const events: TargetEvent[] = [];
    const limiter = new RateLimiter({ rate: 3, now: clock.now, sleep: clock.sleep, onEvent: (e) => events.push(e) });
    const { api, client } = setup({ limiter, clock });
    current = api;
    const refusal = { status: 429, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    // Refused for about 30 s, answered once, refused again: the span starts over at the answer.
    api.script(...Array.from({ length: 8 }, () => ({ method: 'GET', ...refusal })), { method: 'GET', body: { id: '1' } });
    await clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }));
    const answeredAt = clock.t;
    expect(answeredAt).toBeGreaterThan(30_000);
    api.script(...Array.from({ length: 17 }, () => ({ method: 'POST', ...refusal })));
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(runStopOf(err)).toBe('retry_after');
    // A 429 applied nothing: the journal settles the write as refused, never as unknown.
    expect(err).toMatchObject({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD' });
    const e = err as RetryAfterError;
    expect(e.refused?.forMs).toBeGreaterThanOrEqual(60_000);
    // Counted from the first refusal after the answer, not from the refusals before it.
    expect(e.refused!.forMs).toBeLessThanOrEqual(clock.t - answeredAt);
    expect(e.refused?.rate).toBe(0.5);
    expect(retryAfterText(e)).toBe(
      `Alma kept refusing for its per-second threshold (429) for ${waitText(e.refused!.forMs)} though the loader slowed to 0.5/s — another application may be using the institution's threshold`,
    );
    // The report's stop_detail says which kind of wait it was (report/failures.ts words it).
    expect(stopDetail('retry_after', e)).toEqual({ until: expect.any(String), code: 'PER_SECOND_THRESHOLD' });
    // Fewer than the 17 attempts a create was given, and nothing more is sent after the stop.
    const posts = api.log().filter((l) => l.startsWith('POST')).length;
    expect(posts).toBeLessThan(17);
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/3' }))).rejects.toBe(err);
    expect(api.log().filter((l) => l.startsWith('POST'))).toHaveLength(posts);
  });

  it('a per-second refusal whose request ended without a retry (its caller gave up) starts no span: a 429 a quiet minute later is retried, not a stop', async () => {
    const { api, clock, client } = setup();
    current = api;
    const refusal = { status: 429, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    api.script({ method: 'GET', ...refusal });
    // A read with its own end (engine.ts #lookUp): refused, then ended by its caller during the backoff.
    const gone = new AbortController();
    const first = client.json({ method: 'GET', path: '/acq/invoices', query: { q: 'invoice_number~1' }, signal: gone.signal }).catch((e: unknown) => e);
    await clock.flush();
    expect(api.log()).toHaveLength(1);
    gone.abort(new Error('the caller gave up'));
    await expect(first).resolves.toMatchObject({ message: 'the caller gave up' });
    // Nothing at all for a minute, then one 429 and an answer: the 429 is retried.
    await clock.advance(61_000);
    api.script({ method: 'GET', ...refusal }, { method: 'GET', body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(3);
    api.agent.assertNoPendingInterceptors();
  });

  it('per-second refusals asking for a wait the client allows past 60 s (maxWaitMs 120 s): waited out, not a stop at the second refusal', async () => {
    const { api, clock, client } = setup({ retry: { maxWaitMs: 120_000 } });
    current = api;
    const refusal = { status: 429, headers: { 'retry-after': '90' }, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    api.script({ method: 'GET', ...refusal }, { method: 'GET', ...refusal }, { method: 'GET', body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(3);
    expect(clock.t).toBeGreaterThanOrEqual(180_000);
  });

  it.each([
    ['answered at once, waits exact', {}],
    ['each answer a second on the way, each wait 5 ms late', { slowMs: 1000, lateMs: 5 }],
  ])('per-second refusals each asking for exactly the longest wait (Retry-After: 60): one such wait is waited out, not a stop at the second refusal; the third stops the run (%s)', async (_, slow) => {
    const { api, clock, client } = setup(slow);
    current = api;
    const refusal = { method: 'GET', status: 429, headers: { 'retry-after': '60' }, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    api.script(refusal, refusal, { method: 'GET', body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(3);
    // Two such waits in a row are refusals for longer than the span: the run stops at the third.
    api.script(refusal, refusal, refusal, { method: 'GET', body: { id: '2' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices/2' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(runStopOf(err)).toBe('retry_after');
    expect((err as RetryAfterError).refused?.forMs).toBeGreaterThan(60_000);
    expect(api.log()).toHaveLength(6);
  });

  it('per-second refusals that go on for minutes (a client allowed 5-minute waits): the stop says how long in minutes, as the Retry-After words do, not "400 s"', async () => {
    const { api, clock, client } = setup({ retry: { maxWaitMs: 300_000 } });
    current = api;
    const refusal = { method: 'GET', status: 429, headers: { 'retry-after': '200' }, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    api.script(refusal, refusal, refusal, { method: 'GET', body: { id: '1' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    const e = err as RetryAfterError;
    expect(e.refused!.forMs).toBeGreaterThan(300_000);
    const words = waitText(e.refused!.forMs);
    expect(words).toMatch(/^\d+ min$/);
    expect(e.message).toContain(`refused for the per-second threshold for ${words}, nothing else answered`);
    expect(retryAfterText(e)).toContain(`(429) for ${words} though the loader slowed`);
    expect(e.message + retryAfterText(e)).not.toMatch(/\d{3} s\b/);
  });

  it('per-second refusals on a slow network (each 429 answered 20 s after it was sent): the span starts at the first 429\'s arrival, not when its request left, and still ends the run', async () => {
    const { api, clock, client, network } = setup({ slowMs: 20_000 });
    current = api;
    const refusal = { method: 'POST', status: 429, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') };
    api.script(...Array.from({ length: 17 }, () => refusal));
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(runStopOf(err)).toBe('retry_after');
    const firstRefusal = network!.answeredAt[0]!;
    expect(firstRefusal).toBe(20_000);
    // The refused attempt the run stopped on left more than 60 s after the first 429 came back:
    // the attempts' own 20 s on the way did not shorten the span.
    expect(network!.sentAt.at(-1)! - firstRefusal).toBeGreaterThan(60_000);
    expect((err as RetryAfterError).refused?.forMs).toBeGreaterThan(60_000);
    // And it did end, on the span, well before the 17 attempts a create is given.
    expect(network!.sentAt.length).toBeLessThan(17);
    expect(clock.t - firstRefusal).toBeLessThan(60_000 + 3 * 20_000 + DEFAULT_RETRY.capMs);
  });

  it('stops after maxRetries and reports the last answer', async () => {
    const { api, clock, client } = setup({ maxRetries: 2 });
    current = api;
    api.script({ status: 502 }, { status: 502 }, { status: 502, body: almaServerError('X1', 'bad gateway') });
    const err = await clock.run(client.json({ method: 'GET', path: '/a' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 502, code: 'X1', message: 'bad gateway (after 3 attempts)' });
    expect(api.log()).toHaveLength(3);
    api.agent.assertNoPendingInterceptors();
  });

  it('a write answered 200 with an unreadable body has an unknown outcome, after one attempt', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ body: '{"id":"1","number":"INV-' }, { body: { id: '1' } });
    const err = await clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: expect.stringMatching(/^unreadable answer to POST \/acq\/invoices \(HTTP 200 from alma\.test\): JSON cut short or broken \(unterminated string/) });
    expect(api.log()).toHaveLength(1);
  });

  it('a read answered 200 with its JSON cut short is tried again, as a read that timed out is', async () => {
    const { api, clock, events, client } = setup();
    current = api;
    api.script({ body: '{"id":"1","number":"INV-' }, { body: '{"id":"1",' }, { body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(3);
    // The same backoff as any retried read: 0.5 × 500, then 0.5 × 1000.
    expect(retries(events).map((e) => e.type === 'retry' && [e.delayMs, e.reason])).toEqual([
      [250, 'BAD_RESPONSE'],
      [500, 'BAD_RESPONSE'],
    ]);
    api.agent.assertNoPendingInterceptors();
  });

  it('a read whose answer stays unreadable fails after the usual attempts, keeping the status and what was wrong', async () => {
    const { api, clock, client } = setup({ maxRetries: 2 });
    current = api;
    api.script({ body: '[{"id":"1"},' }, { body: '{"id":"1' }, { body: '{"id":' });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'unreadable answer to GET /acq/invoices (HTTP 200 from alma.test): JSON cut short or broken (unexpected end of input at line 1, column 7) (after 3 attempts)' });
    expect(api.log()).toHaveLength(3);
    api.agent.assertNoPendingInterceptors();
  });

  it('a read answered 200 with something that is not JSON at all (a wrong address\'s page) ends at once', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ body: '<html>proxy</html>' }, { body: { id: '1' } });
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: "unreadable answer to GET /acq/invoices (HTTP 200 from alma.test): not JSON (unexpected character '<' at line 1, column 1)" });
    expect(api.log()).toHaveLength(1);
  });

  it('answer(): a read cut short is tried again and its status and headers come with the JSON; an empty body is taken only when asked', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ body: '{"id":"1","number":"INV-' }, { body: { id: '1' }, headers: { 'x-echo': 'k' } }, { status: 204, body: '' }, { status: 204, body: '' });
    const got = await clock.run(client.answer({ method: 'GET', path: '/acq/invoices/1' }));
    expect(got).toMatchObject({ status: 200, value: { id: '1' }, headers: { 'x-echo': 'k' } });
    await expect(clock.run(client.answer({ method: 'POST', path: '/acq/invoices/1', query: { op: 'paid' }, body: {} }, { empty: true }))).resolves.toMatchObject({ status: 204, value: undefined });
    const err = await clock.run(client.answer({ method: 'POST', path: '/acq/invoices/1', query: { op: 'paid' }, body: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 204, code: 'BAD_RESPONSE', message: expect.stringContaining('(HTTP 204 from alma.test): an empty body') });
    expect(api.log()).toHaveLength(4);
  });

  it('a write sent as idempotent (a de-duplicating key) answered 2xx unreadably: cut short, sent again; its outcome unknown once the retries run out, or at once when not JSON', async () => {
    const { api, clock, client } = setup({ maxRetries: 1 });
    current = api;
    api.script({ body: '{"id":"1","num' }, { body: { id: '1' } }, { body: '{"id":' }, { body: '{"id":"1' }, { body: '<html>proxy</html>' });
    const post = () => client.json({ method: 'POST', path: '/invoices', body: {}, idempotent: true });
    await expect(clock.run(post())).resolves.toEqual({ id: '1' });
    const cut = await clock.run(post()).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(UnknownOutcomeError);
    expect(cut).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: expect.stringMatching(/JSON cut short or broken .* \(after 2 attempts\)$/) });
    const page = await clock.run(post()).catch((e: unknown) => e);
    expect(page).toBeInstanceOf(UnknownOutcomeError);
    expect(page).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: expect.stringContaining('(HTTP 200 from alma.test): not JSON') });
    expect(api.log()).toHaveLength(5);
  });

  it.each([
    ['a reset after sending, then a refused connection', [{ error: 'ECONNRESET' }, { error: 'ECONNREFUSED' }], { httpStatus: 0, code: 'ECONNREFUSED', reached: true }, 'unknown'],
    ['a 503, then a 422 (the first may have made it)', [{ status: 503 }, { status: 422, body: almaError('60288', 'exists', 'E01-1') }], { httpStatus: 422, reached: true }, 'unknown'],
    ['a refused connection twice: nothing left', [{ error: 'ECONNREFUSED' }, { error: 'ECONNREFUSED' }], { httpStatus: 0, code: 'ECONNREFUSED', reached: false }, 'unsent'],
    ['a 429, then a 400: refused', [{ status: 429 }, { status: 400, body: almaError('402459', 'bad', 'E01-2') }], { httpStatus: 400, reached: false }, 'refused'],
  ] as const)('a write sent as idempotent, retried: %s — its error says whether an attempt may have been applied', async (_, script, fields, verdict) => {
    const { api, clock, client } = setup({ maxRetries: 1 });
    current = api;
    api.script(...script);
    const err = await clock.run(client.json({ method: 'POST', path: '/invoices', body: {}, idempotent: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject(fields);
    expect(writeVerdict(err)).toBe(verdict);
    expect(api.log()).toHaveLength(2);
  });

  it('Ctrl-C during a backoff stops at once, without another attempt', async () => {
    const ac = new AbortController();
    const { api, clock, client } = setup({ signal: ac.signal });
    current = api;
    api.script({ status: 503 }, { body: {} });
    const p = client.json({ method: 'GET', path: '/a' }).catch((e: unknown) => e);
    await clock.flush();
    ac.abort(new Error('interrupted'));
    await expect(clock.run(p)).resolves.toMatchObject({ message: 'interrupted' });
    expect(api.log()).toHaveLength(1);
  });

  it('a halt during a backoff ends the request at once with its last attempt\'s error; no further attempt, none for a new request', async () => {
    const halt = new AbortController();
    const { api, clock, client } = setup({ halt: halt.signal });
    current = api;
    api.script({ error: 'ECONNREFUSED' }, { body: { id: '9' } }, { body: {} });
    const p = client.json({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    await clock.flush();
    expect(api.log()).toHaveLength(1);
    const stop = new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'the run stopped' });
    let ended = false;
    void p.then(() => (ended = true));
    halt.abort(stop);
    // At once: no virtual time passes, the backoff's 250 ms are not waited out.
    await clock.flush();
    expect(ended).toBe(true);
    const err = await p;
    // The error the request would have ended with had that attempt been its last: unreachable, not the halt's.
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 0, code: 'ECONNREFUSED' });
    expect(err).not.toBe(stop);
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).rejects.toBe(stop);
    expect(api.log()).toHaveLength(1);
    // The one attempt was refused before sending: no request the API saw.
    expect(client.requests).toBe(0);
  });

  it('the first Ctrl-C (stop) while Alma is out of reach: the retry wait ends at once with an abort; a write asked for later is not sent, a read is (the last look)', async () => {
    const stop = new AbortController();
    const { api, clock, client } = setup({ stop: stop.signal });
    current = api;
    // Alma answered before, so a refused connection would be retried for the whole outage patience (30 s).
    api.script({ body: {} }, { error: 'ECONNREFUSED' }, { body: { id: '9' } }, { body: { id: '10' } });
    await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' }));
    const p = client.json({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    await clock.flush();
    expect(api.log()).toHaveLength(2);
    let ended = false;
    void p.then(() => (ended = true));
    const before = clock.t;
    stop.abort();
    await clock.flush();
    expect(ended).toBe(true);
    expect(clock.t).toBe(before);
    // An abort, which the engine reads as "interrupted" (the attempt provably did nothing), not the
    // invoice's failure; a write's says that none of it left, so the journal settles its intent.
    expect(await p).toMatchObject({ name: 'AbortError' });
    expect(await p).toBeInstanceOf(NotSentError);
    expect(api.log()).toHaveLength(2);
    // Nothing not yet on the wire goes after it: a write asked for later ends as not sent.
    await expect(clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} }))).rejects.toBeInstanceOf(NotSentError);
    expect(api.log()).toHaveLength(2);
    // A read asked for later is sent: the run's last look at the invoices it processed (engine/watch.ts).
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/9' }))).resolves.toEqual({ id: '9' });
    expect(api.log()).toHaveLength(3);
  });

  it('the first Ctrl-C (stop) while requests wait for their turn: none is sent — a write ends as not sent, a read with the abort; the one in flight is answered', async () => {
    const stop = new AbortController();
    const { api, clock, client } = setup({ rate: 1, stop: stop.signal });
    current = api;
    api.script({ body: { id: '1' } }, { body: { id: '2' } }, { body: {} });
    await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' }));
    // One request a second: the one just sent holds this second's turn, so these two wait.
    const write = client.json({ method: 'POST', path: '/acq/invoices/9/lines', body: {} }).catch((e: unknown) => e);
    const read = client.json({ method: 'GET', path: '/acq/invoices/9' }).catch((e: unknown) => e);
    await clock.flush();
    stop.abort();
    const [w, r] = await clock.run(Promise.all([write, read]));
    expect(w).toBeInstanceOf(NotSentError);
    expect(w).toMatchObject({ name: 'AbortError', message: 'POST /acq/invoices/9/lines was not sent: the run was stopped before its turn' });
    expect(r).toMatchObject({ name: 'AbortError' });
    expect(api.log()).toEqual(['GET /almaws/v1/acq/vendors/GOBI']);
  });

  it('the second Ctrl-C while requests wait for their turn: a write ends as not sent, a read with the abort', async () => {
    const hard = new AbortController();
    const reason = new Error('interrupted');
    const { api, clock, client } = setup({ rate: 1, signal: hard.signal });
    current = api;
    api.script({ body: { id: '1' } }, { body: { id: '2' } }, { body: {} });
    await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' }));
    // One request a second: the one just sent holds this second's turn, so these two wait.
    const write = client.json({ method: 'POST', path: '/acq/invoices/9/lines', body: {} }).catch((e: unknown) => e);
    const read = client.json({ method: 'GET', path: '/acq/invoices/9' }).catch((e: unknown) => e);
    await clock.flush();
    hard.abort(reason);
    const [w, r] = await clock.run(Promise.all([write, read]));
    expect(w).toBeInstanceOf(NotSentError);
    expect(w).toMatchObject({ name: 'AbortError', message: 'POST /acq/invoices/9/lines was not sent: the run was stopped before its turn' });
    expect(r).toBe(reason);
    expect(api.log()).toEqual(['GET /almaws/v1/acq/vendors/GOBI']);
  });

  it('many requests waiting with both Ctrl-C and a halt to listen to: no listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const hard = new AbortController();
      // As the CLI does for its own signals (cli/interrupts.ts).
      setMaxListeners(0, hard.signal);
      const halt = new AbortController();
      const { api, clock, client } = setup({ rate: 1, signal: hard.signal, halt: halt.signal });
      current = api;
      api.script(...Array.from({ length: 20 }, () => ({ body: {} })));
      const all = Promise.all(Array.from({ length: 20 }, (_, i) => client.json({ method: 'GET', path: `/acq/invoices/${i}` })));
      await clock.flush();
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
      await clock.run(all);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an Alma that answered before and is out of reach for a few seconds: the request waits for it to come back', async () => {
    const { api, clock, client, events } = setup();
    current = api;
    api.script({ body: {} }, ...Array.from({ length: 7 }, () => ({ error: 'ECONNREFUSED' })), { body: { id: '9' } });
    await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' }));
    await expect(clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} }))).resolves.toEqual({ id: '9' });
    expect(api.log()).toHaveLength(9);
    // Two requests reached the API; the 7 refused attempts are not counted as requests, and their events say so.
    expect(client.requests).toBe(2);
    expect(events.filter((e) => e.type === 'request' && e.unsent === true)).toHaveLength(7);
    expect(events.filter((e) => e.type === 'request' && e.unsent !== true)).toHaveLength(2);
    // Past maxRetries (4) the pauses say how long Alma has been out of reach.
    expect(retries(events).map((e) => e.type === 'retry' && e.reason).slice(4)).toEqual([
      expect.stringMatching(/^ECONNREFUSED \(out of reach for \d+ s\)$/),
      expect.stringMatching(/^ECONNREFUSED \(out of reach for \d+ s\)$/),
      expect.stringMatching(/^ECONNREFUSED \(out of reach for \d+ s\)$/),
    ]);
    // Said once when the wait goes past the usual retries, and once when Alma answers again.
    const outages = events.filter((e) => e.type === 'outage');
    expect(outages).toEqual([
      { type: 'outage', state: 'down', code: 'ECONNREFUSED', patienceMs: 30_000 },
      { type: 'outage', state: 'up', forMs: expect.any(Number) },
    ]);
    expect(outages[1]!.type === 'outage' && outages[1]!.state === 'up' && outages[1]!.forMs).toBeGreaterThan(3_000);
  });

  it('an Alma that never answered: refused after maxRetries, a wrong address said at once', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script(...Array.from({ length: 5 }, () => ({ error: 'ECONNREFUSED' })));
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('(after 5 attempts)') });
    expect(clock.t).toBeLessThan(5_000);
  });

  it('out of reach for longer than the request timeout: the request gives up, saying for how long', async () => {
    const api = mockApi();
    current = api;
    const clock = new FakeClock();
    const client = createAlmaHttpClient({ apiKey: KEY, baseUrl: ORIGIN, dispatcher: api.agent, sleep: clock.sleep, now: clock.now, random: () => 0.5, timeoutMs: 10_000 });
    api.script({ body: {} }, ...Array.from({ length: 30 }, () => ({ error: 'ECONNREFUSED' })));
    await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' }));
    const start = clock.t;
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/vendors/GOBI' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringMatching(/\(after \d+ attempts\) \(out of reach for 10 s\)$/) });
    expect(clock.t - start).toBeGreaterThanOrEqual(10_000);
    expect(clock.t - start).toBeLessThan(12_100);
  });

  it('a halt leaves a request in flight to end with its answer', async () => {
    const halt = new AbortController();
    const api = mockApi();
    current = api;
    const clock = new FakeClock();
    // The halt comes while the request is on the wire: the dispatcher has it, the answer has not come.
    const dispatcher = {
      request: (o: Parameters<typeof api.agent.request>[0]) => {
        halt.abort(new Error('stopped'));
        return api.agent.request(o);
      },
    } as unknown as typeof api.agent;
    const client = createAlmaHttpClient({ apiKey: KEY, baseUrl: ORIGIN, dispatcher, sleep: clock.sleep, now: clock.now, halt: halt.signal });
    api.script({ body: { id: '9' } });
    await expect(clock.run(client.json({ method: 'POST', path: '/acq/invoices', body: {} }))).resolves.toEqual({ id: '9' });
    expect(halt.signal.aborted).toBe(true);
  });

  it('sends the key in the Authorization header and JSON headers, with exact decimal bodies', async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ body: {} });
    const { Decimal } = await import('decimal.js');
    await clock.run(client.json({ method: 'POST', path: '/acq/invoices', query: { op: 'x y' }, body: { total_amount: new Decimal('12345678901234567890.123') } }));
    const call = api.calls()[0]!;
    expect(call.headers).toMatchObject({ authorization: `apikey ${KEY}`, accept: 'application/json', 'content-type': 'application/json' });
    expect(call.body).toBe('{"total_amount":12345678901234567890.123}');
    expect(api.log()).toEqual(['POST /almaws/v1/acq/invoices?op=x+y']);
  });
});

describe('the raw request() and the error document under a 2xx', () => {
  it("an Alma client has no request(): its raw text would skip Alma's error document under a 2xx, so it is not typed, and refused before anything is sent", async () => {
    const { api, clock, client } = setup();
    current = api;
    api.script({ body: almaError('402119', 'General error.') });
    // @ts-expect-error -- createAlmaHttpClient gives a CheckedClient, typed without request()
    expect(client.request).toBeTypeOf('function');
    const raw = client as unknown as HttpClient;
    const err = await clock.run(raw.request({ method: 'GET', path: '/acq/invoices' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('GET /acq/invoices: request() reads no error document under a 2xx; a client with errorInAnswer reads answers through json() or answer()');
    expect(api.log()).toEqual([]);
    expect(client.requests).toBe(0);
    // json() reads the same answer as the error it is.
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices' }))).rejects.toMatchObject({ code: '402119', inSuccess: true });
  });
});

describe('errorCode', () => {
  it('finds codes on the error, its cause, or an AggregateError member', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorCode(new Error('x', { cause: Object.assign(new Error('y'), { code: 'EPIPE' }) }))).toBe('EPIPE');
    expect(errorCode(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]))).toBe('ECONNREFUSED');
    expect(errorCode('nope')).toBe('UNKNOWN');
  });
});
