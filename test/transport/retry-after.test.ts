/**
 * Retry-After values a proxy or a server may really send: one too large for a date, and an
 * HTTP-date written on a server clock that is not ours (RFC 9110 §10.2.3: the delay is relative
 * to the answer's own Date).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/transport/limiter.js';
import { RETRY_AFTER_CAP_MS, RetryAfterError, runStopOf } from '../../src/common/errors.js';
import { createAlmaHttpClient } from '../../src/targets/alma/client.js';
import { retryAfterText, retryAfterUntil, stopDetail } from '../../src/engine/events.js';
import { FakeClock } from '../targets/helpers/clock.js';
import { ORIGIN, almaError, mockApi } from '../targets/helpers/mock-api.js';

let current: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await current?.agent.close();
  current = undefined;
});

function setup(startMs = 0) {
  const api = mockApi();
  current = api;
  const clock = new FakeClock();
  clock.t = startMs;
  const limiter = new RateLimiter({ rate: 1000, now: clock.now, sleep: clock.sleep });
  const client = createAlmaHttpClient({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: api.agent, limiter, sleep: clock.sleep, now: clock.now, random: () => 0.5 });
  return { api, clock, client };
}

const refusal = (headers: Record<string, string>) => ({ status: 429, headers, body: almaError('PER_SECOND_THRESHOLD', 'HTTP requests are more than allowed per second') });

describe('a Retry-After too large to be a date', () => {
  it.each([
    ['delta-seconds beyond any date', '99999999999999999999'],
    ['an HTTP-date centuries ahead', 'Fri, 31 Dec 9999 23:59:59 GMT'],
  ])('%s: the run stops (retry_after), saying "a year or more" and a real date to run again after, never NaN', async (_, value) => {
    const start = Date.parse('2026-12-07T12:00:00Z');
    const { api, clock, client } = setup(start);
    api.script(refusal({ 'retry-after': value }));
    const err = await clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(runStopOf(err)).toBe('retry_after');
    const e = err as RetryAfterError;
    expect(e.waitMs).toBe(RETRY_AFTER_CAP_MS);
    expect(e.until).toBe(start + RETRY_AFTER_CAP_MS);
    expect(e.message).toContain('the server asked to wait a year or more (Retry-After)');
    expect(retryAfterText(err)).toBe('Alma asked to wait a year or more (Retry-After)');
    const now = new Date(start);
    const until = retryAfterUntil(err, now);
    expect(until).not.toMatch(/NaN/);
    expect(until).toMatch(/^2027-12-0[67] \d\d:\d\d UTC/);
    expect(stopDetail('retry_after', err)?.until).not.toMatch(/NaN/);
    expect(api.log()).toHaveLength(1);
  });
});

describe("the stop's words for a wait past what a date holds", () => {
  it('a RetryAfterError made elsewhere with such a wait: "a year or more" and a real date, never NaN', () => {
    const err = new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'refused' }, 1e23, 1e23);
    const now = new Date(Date.parse('2026-12-07T12:00:00Z'));
    expect(retryAfterText(err)).toBe('Alma asked to wait a year or more (Retry-After)');
    expect(retryAfterUntil(err, now)).not.toMatch(/NaN/);
    expect(retryAfterUntil(err, now)).toMatch(/^2027-12-0[67] \d\d:\d\d UTC/);
  });
});

describe('a Retry-After HTTP-date from a server whose clock is ahead of ours', () => {
  it("is read against the answer's Date: 2 min ahead, asking for its now + 5 s, the request waits 5 s and is retried — no stop", async () => {
    const start = Date.parse('2026-12-07T12:00:00Z');
    const { api, clock, client } = setup(start);
    const serverNow = start + 120_000;
    api.script(refusal({ date: new Date(serverNow).toUTCString(), 'retry-after': new Date(serverNow + 5_000).toUTCString() }), { body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(2);
    // The wait asked for, not the 125 s our clock would make of it.
    expect(clock.sleeps).toContain(5_000);
    expect(Math.max(...clock.sleeps)).toBeLessThan(60_000);
  });
});

describe("a Retry-After HTTP-date with a Date that is stale or not a date", () => {
  it.each([
    ["a Date 3 h old (a proxy's cached answer)", new Date(Date.parse('2026-12-07T09:00:00Z')).toUTCString()],
    ['a Date of "1" (the year 2001 to Date.parse)', '1'],
  ])("%s, asking for our now + 5 s: the request waits 5 s and is retried — no stop", async (_, date) => {
    const start = Date.parse('2026-12-07T12:00:00Z');
    const { api, clock, client } = setup(start);
    api.script(refusal({ date, 'retry-after': new Date(start + 5_000).toUTCString() }), { body: { id: '1' } });
    await expect(clock.run(client.json({ method: 'GET', path: '/acq/invoices/1' }))).resolves.toEqual({ id: '1' });
    expect(api.log()).toHaveLength(2);
    expect(clock.sleeps).toContain(5_000);
    expect(Math.max(...clock.sleeps)).toBeLessThan(60_000);
  });
});
