import { describe, expect, it } from 'vitest';
import { DailyBudget, SlidingWindow } from '../../src/sandbox/throttle.js';
import { call, errorCode, invoiceBody, manualClock, start } from './helpers.js';

describe('API keys', () => {
  const XML =
    '<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist><errorList><error>' +
    '<errorCode>UNAUTHORIZED</errorCode><errorMessage>API-key not defined or not configured to allow this API.</errorMessage>' +
    '</error></errorList></web_service_result>';

  it('answers a wrong or missing key with 401 XML even when JSON was asked for, and applies nothing', async () => {
    const s = await start({ apiKeys: ['right'] });
    for (const key of ['wrong', null]) {
      const r = await call(s, 'POST', '/acq/invoices', { key, body: invoiceBody('K-1') });
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/xml/);
      expect(r.text).toBe(XML);
    }
    expect(s.state().counters.unauthorized).toBe(2);
    expect(s.state().counters.created).toEqual({});
    expect((await call(s, 'POST', '/acq/invoices', { key: 'right', body: invoiceBody('K-1') })).status).toBe(200);
    expect((await call(s, 'GET', '/acq/vendors/GOBI?apikey=right', { key: null })).status).toBe(200);
    // The admin API never needs a key.
    expect((await call(s, 'GET', '/_sandbox/state', { key: null })).status).toBe(200);
  });

  it('accepts any key, or none, when no keys are configured', async () => {
    const s = await start();
    expect((await call(s, 'GET', '/acq/vendors/GOBI', { key: 'anything' })).status).toBe(200);
    expect((await call(s, 'GET', '/acq/vendors/GOBI', { key: null })).status).toBe(200);
  });
});

describe('per-second threshold', () => {
  it('429 PER_SECOND_THRESHOLD over the limit in a sliding second, request not applied (injected clock)', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, perSecond: 3 });
    for (let i = 0; i < 3; i++) expect((await call(s, 'GET', '/acq/vendors/GOBI')).status).toBe(200);
    const r = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('T-429') });
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({
      errorsExist: true,
      errorList: { error: [{ errorCode: 'PER_SECOND_THRESHOLD', errorMessage: 'HTTP requests are more than allowed per second' }] },
      result: null,
    });
    expect(r.json.errorList.error[0].trackingId).toMatch(/^E01-/);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(s.state().counters.created).toEqual({});

    clock.advance(999);
    expect((await call(s, 'GET', '/acq/vendors/GOBI')).status).toBe(429);
    clock.advance(1);
    // The first three left the window; the 429s were not counted in it.
    expect((await call(s, 'POST', '/acq/invoices', { body: invoiceBody('T-429') })).status).toBe(200);
    expect(s.state().counters.throttled).toEqual({ total: 2, perSecond: 2, daily: 0, injected: 0 });
  });

  it('adds Retry-After only when asked, and the limit can change at runtime', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, perSecond: 1, retryAfter: true });
    await call(s, 'GET', '/acq/vendors/GOBI');
    const r = await call(s, 'GET', '/acq/vendors/GOBI');
    expect([r.status, r.headers['retry-after']]).toEqual([429, '1']);
    await call(s, 'POST', '/_sandbox/config', { body: { perSecond: 5 } });
    expect((await call(s, 'GET', '/acq/vendors/GOBI')).status).toBe(200);
  });

  it('SlidingWindow counts admitted requests in (t-1000, t]', () => {
    const w = new SlidingWindow(2);
    expect([w.tryAcquire(0), w.tryAcquire(500), w.tryAcquire(999)]).toEqual([true, true, false]);
    expect(w.tryAcquire(1000)).toBe(true);
    expect(w.tryAcquire(1499)).toBe(false);
    expect(w.tryAcquire(1500)).toBe(true);
  });
});

describe('daily threshold', () => {
  it('counts down X-Exl-Api-Remaining and answers 429 DAILY_THRESHOLD when used up', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, daily: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(s, 'GET', '/acq/vendors/GOBI');
      expect(r.status).toBe(200);
      remaining.push(String(r.headers['x-exl-api-remaining']));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('DAY-1') });
    expect(over.status).toBe(429);
    expect(errorCode(over)).toBe('DAILY_THRESHOLD');
    expect(over.json.errorList.error[0].errorMessage).toBe('Daily API Request Threshold has been reached');
    expect(over.headers['x-exl-api-remaining']).toBe('0');
    expect(s.state().counters.created).toEqual({});
    expect(s.state().dailyRemaining).toBe(0);

    // A new (UTC) day resets the budget.
    clock.advance(24 * 3600 * 1000);
    expect((await call(s, 'GET', '/acq/vendors/GOBI')).headers['x-exl-api-remaining']).toBe('2');
  });

  it('DailyBudget rolls over at midnight UTC', () => {
    const b = new DailyBudget(1);
    const t = Date.UTC(2025, 0, 1, 23, 59, 59);
    expect(b.exhausted(t)).toBe(false);
    b.use(t);
    expect(b.exhausted(t)).toBe(true);
    expect(b.secondsToReset(t)).toBe(1);
    expect(b.exhausted(t + 1000)).toBe(false);
  });
});

describe('latency', () => {
  it('adds latencyMs before answering', async () => {
    const s = await start({ latencyMs: 60 });
    const t0 = Date.now();
    await call(s, 'GET', '/acq/vendors/GOBI');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });
});
