/** Which failures stop a whole run (runStopOf), the one place the engine, operations, verify and the checks ask. */
import { describe, expect, it } from 'vitest';
import { ApiError, AuthError, DailyLimitError, keyRefusedText, NOT_ALMA_API, RetryAfterError, runStopOf, unreachableText, UnknownOutcomeError, type KeyUse } from '../../src/common/errors.js';
import { retryAfterUntil, stopMessage } from '../../src/engine/events.js';

const api = (httpStatus: number, code: string) => new ApiError({ httpStatus, code, message: 'm' });

describe('runStopOf', () => {
  it.each([
    ['a refused key', new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'm' }), 'auth'],
    ['the daily threshold', new DailyLimitError({ httpStatus: 429, code: 'DAILY_THRESHOLD', message: 'm' }), 'daily_limit'],
    ['a Retry-After longer than the loader waits', new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'm' }, 3_600_000, 0), 'retry_after'],
    ['nothing listening', api(0, 'ECONNREFUSED'), 'unreachable'],
    ['no such host', api(0, 'ENOTFOUND'), 'unreachable'],
    // A host that takes no connection, or a TLS handshake that never ends: nothing was sent, as with a refusal.
    ['a connect timeout', api(0, 'UND_ERR_CONNECT_TIMEOUT'), 'unreachable'],
    ['an expired certificate', api(0, 'CERT_HAS_EXPIRED'), 'unreachable'],
    ['https:// on a plain-HTTP port', api(0, 'ERR_SSL_WRONG_VERSION_NUMBER'), 'unreachable'],
    ['https:// on a port whose bytes read as a TLS record too long', api(0, 'ERR_SSL_PACKET_LENGTH_TOO_LONG'), 'unreachable'],
    ['an address that is not Alma\'s API', api(0, NOT_ALMA_API), 'unreachable'],
    ['a gateway that answered only 502/503/504', api(0, 'GATEWAY_DOWN'), 'unreachable'],
    ['nothing answered at all', api(0, 'NO_ANSWER'), 'unreachable'],
    // One request's trouble, not the run's:
    ['a reset', api(0, 'ECONNRESET'), undefined],
    ['a request that got no answer in time (Alma may answer the next)', api(0, 'UND_ERR_HEADERS_TIMEOUT'), undefined],
    ['a business refusal', api(400, '402459'), undefined],
    ['a refused code that looks like a network one, with a status', api(502, 'ECONNREFUSED'), undefined],
    ['a write with an unknown outcome', new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'm' }), undefined],
    ['a bug', new TypeError('x'), undefined],
  ] as const)('%s', (_what, err, expected) => {
    expect(runStopOf(err)).toBe(expected);
  });
});

describe('unreachableText: what to check', () => {
  it.each([
    ['nothing listening', 'ECONNREFUSED', / — check the address \(--alma-url, --region, --api-url\), the network, proxy and certificates, then run the same command again$/],
    ['https:// on a plain-HTTP port', 'ERR_SSL_WRONG_VERSION_NUMBER', / — the port speaks plain HTTP, not TLS: use http:\/\/ or the TLS port in the address \(--alma-url, --region, --api-url\), then run the same command again$/],
    ['a record too long', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', / — the port speaks plain HTTP, not TLS: use http:\/\/ or the TLS port/],
  ] as const)('%s', (_what, code, expected) => {
    expect(unreachableText(api(0, code), 'Alma')).toMatch(new RegExp(`^cannot reach Alma: ${code} \\(m\\)${expected.source}`));
  });
});

describe("the stop on a Retry-After longer than the loader waits", () => {
  // Local times built locally, so the test holds in any time zone.
  const at = (h: number, m: number, s = 0) => new Date(2026, 11, 6, h, m, s).getTime();
  // The local minute with its zone (`UTC`, `UTC+01:00`), and the date unless it is today.
  const when = (h: number, m: number): string => {
    const d = new Date(2026, 11, 6, h, m);
    const p = (n: number) => String(n).padStart(2, '0');
    const off = -d.getTimezoneOffset();
    const zone = off === 0 ? 'UTC' : `UTC${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
    return `${d.toDateString() === new Date().toDateString() ? '' : '2026-12-06 '}${p(h)}:${p(m)} ${zone}`;
  };
  const stop = (waitMs: number, until: number) => new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'm' }, waitMs, until);
  it.each([
    ['an hour, ending on the minute', stop(3_600_000, at(19, 5)), `Alma asked to wait 60 min (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['ending within a minute: the minute after, never too early', stop(3_600_000, at(19, 5, 1)), `Alma asked to wait 60 min (Retry-After); nothing more is sent; run again after ${when(19, 6)}`],
    ['90.5 s: whole minutes, rounded up', stop(90_500, at(8, 0, 30)), `Alma asked to wait 2 min (Retry-After); nothing more is sent; run again after ${when(8, 1)}`],
    ['just under two hours: still minutes', stop(119 * 60_000, at(19, 5)), `Alma asked to wait 119 min (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['two hours: hours, not 120 min', stop(2 * 3_600_000, at(19, 5)), `Alma asked to wait 2 hours (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['3 h 20 min: hours and minutes', stop(200 * 60_000, at(19, 5)), `Alma asked to wait 3 hours 20 min (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['30 days: days, not 43200 min', stop(30 * 86_400_000, at(19, 5)), `Alma asked to wait 30 days (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['2 days 4 h 1 min: the hours rounded up', stop((52 * 60 + 1) * 60_000, at(19, 5)), `Alma asked to wait 2 days 5 hours (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['2 days 23 h 30 min: the next whole day', stop((71 * 60 + 30) * 60_000, at(19, 5)), `Alma asked to wait 3 days (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
    ['2 days 1 h: one hour', stop(49 * 3_600_000, at(19, 5)), `Alma asked to wait 2 days 1 hour (Retry-After); nothing more is sent; run again after ${when(19, 5)}`],
  ] as const)('%s', (_what, err, expected) => {
    expect(stopMessage('retry_after', err)).toBe(expected);
  });
});

describe('retryAfterUntil: the date when it is not today, and the zone (review: cron, item 5)', () => {
  const err = new RetryAfterError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'm' }, 3_600_000, new Date(2026, 11, 7, 0, 5).getTime());
  it('today: the time and the zone; another day: its date too', () => {
    expect(retryAfterUntil(err, new Date(2026, 11, 7, 0, 1))).toMatch(/^00:05 UTC([+-]\d\d:\d\d)?$/);
    expect(retryAfterUntil(err, new Date(2026, 11, 6, 23, 30))).toMatch(/^2026-12-07 00:05 UTC([+-]\d\d:\d\d)?$/);
  });
});

describe('keyRefusedText: where the person fixes a refused key', () => {
  const refused = (use?: KeyUse, code = 'UNAUTHORIZED', message = 'API-key not defined or not configured to allow this API.', bare = false) =>
    new AuthError({ httpStatus: 401, code, message, trackingId: 'E01-T', bare }, use);
  it.each([
    ['a write after reads worked: the key is read-only', refused({ write: true, readsAccepted: true }), /^Alma accepted the API key for reading but refused it for writing \(UNAUTHORIZED: API-key not defined .*, tracking id E01-T\): the key is probably read-only/],
    ['the first request, a read', refused({ write: false, readsAccepted: false }), /^the API key was refused \(UNAUTHORIZED: API-key not defined .*, tracking id E01-T\)$/],
    ['a write before any read worked', refused({ write: true, readsAccepted: false }), /^the API key was refused \(UNAUTHORIZED/],
    ['a read refused after reads worked', refused({ write: false, readsAccepted: true }), /^the API key was refused \(UNAUTHORIZED/],
    ['no use known (a target of its own)', refused(), /^the API key was refused \(UNAUTHORIZED/],
    ['a 403 without Alma\'s error document: a proxy', refused({ write: true, readsAccepted: true }, 'HTTP_403', 'HTTP 403: Access denied by policy', true), /^a request was refused without Alma's error document \(HTTP_403: HTTP 403: Access denied by policy.*\): a proxy, a firewall/],
    // Another API's own refusal without a code of its own (Exsited's `errors` without `code`) is the key's.
    ['a documented refusal whose code is only its status', refused({ write: false, readsAccepted: false }, 'HTTP_401', 'token expired'), /^the API key was refused \(HTTP_401: token expired/],
  ] as const)('%s', (_what, err, expected) => {
    expect(keyRefusedText(err, 'Alma')).toMatch(expected);
  });
});
