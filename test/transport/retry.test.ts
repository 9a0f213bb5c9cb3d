import { describe, expect, it } from 'vitest';
import { RETRY_AFTER_CAP_MS } from '../../src/common/errors.js';
import { backoffMs, classify, decide, DEFAULT_RETRY, httpDate, isSafeMethod, OUTAGE_STEP_MS, parseRetryAfter, type Outcome } from '../../src/transport/retry.js';

const GET = { method: 'GET', idempotent: true };
const POST = { method: 'POST', idempotent: false };
const res = (status: number, code?: string, message?: string, retryAfter?: string): Outcome => ({ kind: 'response', status, code, message, retryAfter });
const net = (code: string, sent?: boolean): Outcome => ({ kind: 'network', code, sent });

describe('classify', () => {
  it.each([
    // [request, outcome, expected kind, throttled?]
    ['GET 429 per-second', GET, res(429, 'PER_SECOND_THRESHOLD'), 'retry', true],
    ['POST 429 per-second (refused before processing)', POST, res(429, 'PER_SECOND_THRESHOLD'), 'retry', true],
    ['POST 429 without a code', POST, res(429), 'retry', true],
    ['GET 500', GET, res(500, '402119'), 'retry', false],
    ['GET 502', GET, res(502), 'retry', false],
    ['GET 503', GET, res(503), 'retry', false],
    ['GET 504', GET, res(504), 'retry', false],
    ['GET 408', GET, res(408), 'retry', false],
    ['POST 500', POST, res(500, '402119'), 'unknown', undefined],
    ['POST 503', POST, res(503), 'unknown', undefined],
    ['POST 504', POST, res(504), 'unknown', undefined],
    ['POST 408', POST, res(408), 'unknown', undefined],
    ['GET 400 business error', GET, res(400, '412400'), 'api', undefined],
    ['POST 400 business error', POST, res(400, '60237'), 'api', undefined],
    ['POST 404', POST, res(404), 'api', undefined],
    ['POST 409', POST, res(409), 'api', undefined],
    ['POST 422', POST, res(422), 'api', undefined],
    ['GET 401', GET, res(401), 'auth', undefined],
    ['POST 403', POST, res(403), 'auth', undefined],
    ['400 UNAUTHORIZED code', GET, res(400, 'UNAUTHORIZED'), 'auth', undefined],
    ['429 DAILY_THRESHOLD', GET, res(429, 'DAILY_THRESHOLD'), 'daily', undefined],
    ['POST 429 DAILY_THRESHOLD', POST, res(429, 'DAILY_THRESHOLD'), 'daily', undefined],
    ['429 with a daily-threshold message', GET, res(429, 'X', 'Daily API threshold has been reached'), 'daily', undefined],
    ['429 with the daily message in other words', GET, res(429, 'X', 'Daily API Request Threshold has been reached'), 'daily', undefined],
    ['429 naming a daily quota', GET, res(429, 'X', 'Your daily request quota is spent'), 'daily', undefined],
    ['DAILY_THRESHOLD on another status', GET, res(400, 'DAILY_THRESHOLD'), 'daily', undefined],
    // X-Exl-Api-Remaining (OAS, on every answer) as last known: nothing left makes a 429 the daily one
    ['429 without a code, nothing left', GET, { ...res(429), remaining: 0 }, 'daily', undefined],
    ['POST 429 of another code, less than nothing left', POST, { ...res(429, 'HTTP_429', 'Too Many Requests'), remaining: -3 }, 'daily', undefined],
    ['429 without a code, one left', GET, { ...res(429), remaining: 1 }, 'retry', true],
    ['429 PER_SECOND_THRESHOLD is taken at its word, nothing left or not', GET, { ...res(429, 'PER_SECOND_THRESHOLD'), remaining: 0 }, 'retry', true],
    ['a 503 with nothing left is no threshold', GET, { ...res(503), remaining: 0 }, 'retry', false],
    ['GET ECONNRESET', GET, net('ECONNRESET'), 'retry', false],
    ['GET UND_ERR_HEADERS_TIMEOUT', GET, net('UND_ERR_HEADERS_TIMEOUT'), 'retry', false],
    ['GET UND_ERR_SOCKET', GET, net('UND_ERR_SOCKET'), 'retry', false],
    ['POST ECONNREFUSED (never connected)', POST, net('ECONNREFUSED'), 'retry', false],
    ['POST ENOTFOUND', POST, net('ENOTFOUND'), 'retry', false],
    ['POST EAI_AGAIN', POST, net('EAI_AGAIN'), 'retry', false],
    ['POST UND_ERR_CONNECT_TIMEOUT', POST, net('UND_ERR_CONNECT_TIMEOUT'), 'retry', false],
    ['POST ECONNRESET (maybe sent)', POST, net('ECONNRESET'), 'unknown', undefined],
    ['POST ECONNRESET provably not sent', POST, net('ECONNRESET', false), 'retry', false],
    ['POST ECONNRESET after sending', POST, net('ECONNRESET', true), 'unknown', undefined],
    ['POST UND_ERR_SOCKET (closed)', POST, net('UND_ERR_SOCKET'), 'unknown', undefined],
    ['POST EPIPE', POST, net('EPIPE'), 'unknown', undefined],
    ['POST UND_ERR_HEADERS_TIMEOUT', POST, net('UND_ERR_HEADERS_TIMEOUT'), 'unknown', undefined],
    ['POST UND_ERR_BODY_TIMEOUT', POST, net('UND_ERR_BODY_TIMEOUT'), 'unknown', undefined],
    ['POST unknown transport error', POST, net('UNKNOWN'), 'unknown', undefined],
    ['GET certificate error (fatal)', GET, net('CERT_HAS_EXPIRED'), 'api', undefined],
    ['POST closed dispatcher (fatal, unsent)', POST, net('UND_ERR_CLOSED'), 'api', undefined],
    ['idempotent POST (Idempotency-Key) 500', { method: 'POST', idempotent: true }, res(500), 'retry', false],
    // Alguna's Transient-Error: true — the answer says the request did nothing.
    ['POST 500 that says it did nothing (notApplied)', POST, { ...res(500), notApplied: true }, 'retry', false],
    ['POST 503 that says it did nothing (notApplied)', POST, { ...res(503), notApplied: true }, 'retry', false],
  ] as const)('%s', (_name, req, outcome, kind, throttled) => {
    const c = classify(req, outcome);
    expect(c.kind).toBe(kind);
    if (c.kind === 'retry') expect(c.throttled).toBe(throttled);
  });
});

describe('backoffMs (full jitter)', () => {
  const opts = { baseMs: 500, capMs: 20_000 };
  it.each([
    [0, 500],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 20_000],
    [20, 20_000],
  ])('attempt %i: ceiling %i ms', (attempt, ceiling) => {
    expect(backoffMs(attempt, () => 0, opts)).toBe(0);
    expect(backoffMs(attempt, () => 0.5, opts)).toBe(Math.floor(ceiling / 2));
    expect(backoffMs(attempt, () => 0.999999, opts)).toBeLessThan(ceiling);
    expect(backoffMs(attempt, () => 0.999999, opts)).toBeGreaterThanOrEqual(ceiling - 1);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 3 ', 3000],
    // delay-seconds is 1*DIGIT (RFC 9110 §10.2.3): a decimal, a sign or an exponent is malformed — the loader's own backoff.
    ['1.5', undefined],
    ['0.5', undefined],
    ['-1', undefined],
    ['+3', undefined],
    ['1e3', undefined],
    ['Sat, 21 Nov 2026 10:00:30 GMT', 30_000],
    ['Sat, 21 Nov 2026 09:59:00 GMT', 0], // in the past: now
    ['Sunday, 22-Nov-26 10:00:30 GMT', 86_430_000], // rfc850-date (obsolete, RFC 9110 §5.6.7)
    ['Sat Nov 21 10:01:00 2026', 60_000], // asctime-date (obsolete, RFC 9110 §5.6.7)
    ['soon', undefined],
    // Not an HTTP-date (RFC 9110 §10.2.3), though Date.parse reads each: no Retry-After.
    ['2026-12-07', undefined],
    ['2026-11-21T10:00:30Z', undefined],
    ['Sat, 21 Nov 2026 10:00:30 +0000', undefined],
    ['November 21, 2026 10:00:30', undefined],
    ['3000', 3_000_000], // delay-seconds, not the year 3000
    ['', undefined],
    [undefined, undefined],
  ] as const)('%s → %s', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([
    ['delta-seconds beyond any date', '99999999999999999999'],
    ['more digits than a double holds', '9'.repeat(400)],
    ['an HTTP-date centuries ahead', 'Fri, 31 Dec 9999 23:59:59 GMT'],
  ] as const)('%s: a year at most (RETRY_AFTER_CAP_MS), never past what a date holds', (_, value) => {
    expect(parseRetryAfter(value, now)).toBe(RETRY_AFTER_CAP_MS);
  });

  it.each([
    ["the server's clock 2 min ahead: the answer's Date", 'Sat, 21 Nov 2026 10:02:05 GMT', 'Sat, 21 Nov 2026 10:02:00 GMT', 5_000],
  ] as const)('an HTTP-date is measured from %s (RFC 9110 §10.2.3)', (_, value, date, ms) => {
    expect(parseRetryAfter(value, now, date)).toBe(ms);
  });

  it.each([
    // Our clock and the answer's Date, the shorter wait: a Date older than ours is never a longer wait.
    ["a Date 3 h old (a proxy's cached answer), asking for our now + 5 s", 'Sat, 21 Nov 2026 10:00:05 GMT', 'Sat, 21 Nov 2026 07:00:00 GMT', 5_000],
    ['a Date of "1" (Date.parse: the year 2001), not an HTTP-date', 'Sat, 21 Nov 2026 10:00:05 GMT', '1', 5_000],
    ['a Date of "3000" (Date.parse: the year 3000), not an HTTP-date', 'Sat, 21 Nov 2026 10:00:05 GMT', '3000', 5_000],
    ['a Date in ISO 8601, not an HTTP-date', 'Sat, 21 Nov 2026 10:00:05 GMT', '2026-11-21T07:00:00Z', 5_000],
    // A server clock behind ours: its date is already past by ours; the retry waits decide's own backoff.
    ["the server's clock 2 min behind", 'Sat, 21 Nov 2026 09:58:05 GMT', 'Sat, 21 Nov 2026 09:58:00 GMT', 0],
  ] as const)('%s: never longer than our clock makes it', (_, value, date, ms) => {
    expect(parseRetryAfter(value, now, date)).toBe(ms);
  });
});

describe('httpDate (RFC 9110 §5.6.7)', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun Nov  6 08:49:37 1994', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Saturday, 21-Nov-26 10:00:00 GMT', Date.UTC(2026, 10, 21, 10, 0, 0)],
    ['  Sat, 21 Nov 2026 10:00:00 GMT ', Date.UTC(2026, 10, 21, 10, 0, 0)],
  ] as const)('%j → its instant', (text, ms) => {
    expect(httpDate(text, now)).toBe(ms);
  });

  it.each(['1', '3000', '2026-11-21T10:00:00Z', 'Sat, 21 Nov 2026 10:00:00 UTC', 'Sat, 21 Nov 2026 10:00:00 +0000', 'Sat, 31 Feb 2026 10:00:00 GMT', 'Sat, 21 Nov 2026 25:00:00 GMT', 'sat, 21 nov 2026 10:00:00 gmt', ''])('%j → not an HTTP-date', (text) => {
    expect(httpDate(text, now)).toBeUndefined();
  });
});

describe('decide', () => {
  const ctx = { random: () => 0.5, nowMs: 0 };
  it('retries with a jittered delay while attempts remain, then gives up', () => {
    expect(decide(GET, res(503), 0, ctx)).toMatchObject({ action: 'retry', delayMs: 250 });
    expect(decide(GET, res(503), 3, ctx)).toMatchObject({ action: 'retry', delayMs: 2000 });
    expect(decide(GET, res(503), DEFAULT_RETRY.maxRetries, ctx)).toMatchObject({ action: 'fail', kind: 'exhausted' });
  });

  it('honours Retry-After as a floor on the backoff', () => {
    expect(decide(GET, res(503, undefined, undefined, '7'), 0, ctx)).toMatchObject({ action: 'retry', delayMs: 7000, retryAfterMs: 7000 });
    // a backoff longer than Retry-After wins
    expect(decide(GET, res(503, undefined, undefined, '0'), 3, ctx)).toMatchObject({ action: 'retry', delayMs: 2000 });
  });

  it('gives up instead of waiting longer than maxWaitMs: the run stops (retry_after), with the wait asked for', () => {
    // The others' pause is held to maxWaitMs; what the server asked for is kept for the stop's message.
    expect(decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, '3600'), 0, ctx)).toMatchObject({ action: 'fail', kind: 'retry_after', throttled: true, retryAfterMs: 60_000, waitMs: 3_600_000 });
    expect(decide(POST, res(429, 'PER_SECOND_THRESHOLD', undefined, '3600'), 0, ctx)).toMatchObject({ action: 'fail', kind: 'retry_after', waitMs: 3_600_000 });
    // On the last attempt too: the wait asked for, not the retries spent, is what stops it.
    expect(decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, '3600'), DEFAULT_RETRY.maxRetries + DEFAULT_RETRY.throttleRetries, ctx)).toMatchObject({ action: 'fail', kind: 'retry_after' });
    // A write's 5xx is not a refusal: its outcome stays unknown, whatever it asks.
    expect(decide(POST, res(503, undefined, undefined, '3600'), 0, ctx)).toMatchObject({ action: 'fail', kind: 'unknown' });
    expect(decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, '3600'), 0, { ...ctx, options: { maxWaitMs: 4_000_000 } })).toMatchObject({
      action: 'retry',
      delayMs: 3_600_000,
    });
  });

  it('waits a Retry-After of exactly maxWaitMs: only a longer one stops the run', () => {
    const maxWaitMs = DEFAULT_RETRY.maxWaitMs;
    const asked = String(maxWaitMs / 1000);
    expect(decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, asked), 0, ctx)).toMatchObject({ action: 'retry', delayMs: maxWaitMs, retryAfterMs: maxWaitMs });
    const longer = String(maxWaitMs / 1000 + 1);
    expect(decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, longer), 0, ctx)).toMatchObject({ action: 'fail', kind: 'retry_after', waitMs: maxWaitMs + 1000 });
  });

  it('reads a Retry-After of "1.5" (delay-seconds are whole digits, RFC 9110 §10.2.3) as none: its own backoff, as for any malformed value', () => {
    const d = decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, '1.5'), 3, ctx);
    expect(d).toMatchObject({ action: 'retry', delayMs: 2000, throttled: true });
    expect(d).not.toHaveProperty('retryAfterMs', expect.any(Number));
    // Not a floor of 1.5 s either: the first retry's own backoff, 250 ms.
    expect(decide(GET, res(503, undefined, undefined, '1.5'), 0, ctx)).toMatchObject({ action: 'retry', delayMs: 250 });
  });

  it.each([
    ['90', { maxWaitMs: 60_000 }, '90 s', '60 s'],
    ['91', { maxWaitMs: 60_000 }, '2 min', '60 s'],
    ['3600', {}, '60 min', '60 s'],
    ['7200', {}, '2 hours', '60 s'],
    ['9000', { maxWaitMs: 600_000 }, '2 hours 30 min', '10 min'],
    ['200000', {}, '2 days 8 hours', '60 s'],
  ] as const)('says a Retry-After of %s s it will not wait in minutes and hours past 90 s, as the run\'s stop line does', (asked, options, said, allowed) => {
    const d = decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, asked), 0, { ...ctx, options });
    expect(d).toMatchObject({ action: 'fail', kind: 'retry_after', note: `the server asked to wait ${said} (Retry-After), longer than the ${allowed} allowed` });
  });

  it('reads a Retry-After that is no HTTP-date as none: its own backoff, not a stop (RFC 9110 §10.2.3)', () => {
    // Date.parse reads `2026-12-07` as a date 16 days on: the run stopped (retry_after) on a header no server may send.
    const at = { ...ctx, nowMs: Date.parse('2026-11-21T10:00:00Z') };
    const d = decide(GET, res(429, 'PER_SECOND_THRESHOLD', undefined, '2026-12-07'), 0, at);
    expect(d).toMatchObject({ action: 'retry', delayMs: 250, throttled: true });
    expect(d).not.toHaveProperty('retryAfterMs', expect.any(Number));
  });

  it('marks throttles so the limiter slows everyone down', () => {
    expect(decide(POST, res(429, 'PER_SECOND_THRESHOLD'), 0, ctx)).toMatchObject({ action: 'retry', throttled: true });
    expect(decide(GET, net('ECONNRESET'), 0, ctx)).toMatchObject({ action: 'retry', throttled: false });
  });

  it('never retries a definite or unknown outcome, whatever the attempt', () => {
    expect(decide(POST, res(500), 0, ctx)).toEqual({ action: 'fail', kind: 'unknown', reason: '500' });
    expect(decide(POST, res(400, '60237'), 0, ctx)).toEqual({ action: 'fail', kind: 'api', reason: '400 60237' });
    expect(decide(GET, res(401), 0, ctx)).toMatchObject({ action: 'fail', kind: 'auth' });
  });

  it('respects a configured retry count', () => {
    expect(decide(GET, res(503), 1, { ...ctx, options: { maxRetries: 1 } })).toMatchObject({ action: 'fail', kind: 'exhausted' });
  });
});

describe('decide on a refused rate it gives up on', () => {
  it('retries a per-second refusal beyond maxRetries: it was refused for pace, not failed', () => {
    expect(decide(POST, res(429, 'PER_SECOND_THRESHOLD'), DEFAULT_RETRY.maxRetries, { random: () => 0, nowMs: 0 })).toMatchObject({ action: 'retry', throttled: true });
    expect(decide(GET, res(503), DEFAULT_RETRY.maxRetries, { random: () => 0, nowMs: 0 })).toMatchObject({ action: 'fail', kind: 'exhausted' });
  });

  it('still reports the throttle when it gives up, so the limiter slows down', () => {
    const last = DEFAULT_RETRY.maxRetries + DEFAULT_RETRY.throttleRetries;
    expect(decide(POST, res(429, 'PER_SECOND_THRESHOLD', undefined, '2'), last, { random: () => 0, nowMs: 0 })).toMatchObject({
      action: 'fail',
      kind: 'exhausted',
      throttled: true,
      retryAfterMs: 2000,
    });
  });
});

describe('decide while a target that answered before is out of reach', () => {
  const last = DEFAULT_RETRY.maxRetries;
  const ctx = (downForMs?: number) => ({ random: () => 0.5, nowMs: 0, ...(downForMs !== undefined ? { outage: { downForMs } } : {}) });
  it.each([
    // [what, request, outcome, out of reach for (undefined: never answered), expected]
    ['refused, never answered: a wrong address, given up after maxRetries', POST, net('ECONNREFUSED'), undefined, { action: 'fail', kind: 'exhausted' }],
    ['refused, answered before, out of reach 3 s of 30: another attempt', POST, net('ECONNREFUSED'), 3_000, { action: 'retry', delayMs: OUTAGE_STEP_MS / 2, outage: true }],
    ['no such host, answered before: another attempt', GET, net('ENOTFOUND'), 10_000, { action: 'retry' }],
    ['the pause never outlasts the patience left', GET, net('ECONNREFUSED'), 29_900, { action: 'retry', delayMs: 100 }],
    ['out of reach as long as the patience: given up, and said why', POST, net('ECONNREFUSED'), 30_000, { action: 'fail', kind: 'exhausted', note: 'out of reach for 30 s' }],
    // Only what provably never left: a reset after sending, or a 503, gets the usual retries and no more.
    ['a reset is no outage', GET, net('ECONNRESET'), 3_000, { action: 'fail', kind: 'exhausted' }],
    ['a reset that provably wrote nothing (while connecting) is, as a refusal is', POST, net('ECONNRESET', false), 3_000, { action: 'retry', outage: true }],
    ['a reset after the request was written is not', GET, net('ECONNRESET', true), 3_000, { action: 'fail', kind: 'exhausted' }],
    ['a 503 is an answer, not an outage', GET, res(503), 3_000, { action: 'fail', kind: 'exhausted' }],
  ] as const)('%s', (_what, req, outcome, downForMs, expected) => {
    expect(decide(req, outcome, last, ctx(downForMs))).toMatchObject(expected);
  });

  it('outageMs 0: no patience', () => {
    expect(decide(POST, net('ECONNREFUSED'), last, { ...ctx(1_000), options: { outageMs: 0 } })).toMatchObject({ action: 'fail', kind: 'exhausted' });
  });

  it('before maxRetries nothing changes: the usual backoff, not an outage wait', () => {
    expect(decide(POST, net('ECONNREFUSED'), 0, ctx(1_000))).toEqual(decide(POST, net('ECONNREFUSED'), 0, ctx()));
    expect(decide(POST, net('ECONNREFUSED'), 0, ctx(1_000))).not.toHaveProperty('outage');
  });
});

describe('isSafeMethod', () => {
  // RFC 9110 §9.2.1: only the methods that change nothing; a write is never taken for one
  // (a safe method's failure is retried and its answer trusted as a read).
  it.each(['GET', 'HEAD', 'OPTIONS', 'get', 'head'])('%s is safe', (m) => expect(isSafeMethod(m)).toBe(true));
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])('%s is not', (m) => expect(isSafeMethod(m)).toBe(false));
});
