/** Which failures stop a whole run (runStopOf), the one place the engine, operations, verify and the checks ask. */
import { describe, expect, it } from 'vitest';
import { ApiError, AuthError, DailyLimitError, NOT_ALMA_API, runStopOf, UnknownOutcomeError } from '../../src/common/errors.js';

const api = (httpStatus: number, code: string) => new ApiError({ httpStatus, code, message: 'm' });

describe('runStopOf', () => {
  it.each([
    ['a refused key', new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'm' }), 'auth'],
    ['the daily threshold', new DailyLimitError({ httpStatus: 429, code: 'DAILY_THRESHOLD', message: 'm' }), 'daily_limit'],
    ['nothing listening', api(0, 'ECONNREFUSED'), 'unreachable'],
    ['no such host', api(0, 'ENOTFOUND'), 'unreachable'],
    ['an expired certificate', api(0, 'CERT_HAS_EXPIRED'), 'unreachable'],
    ['an address that is not Alma\'s API', api(0, NOT_ALMA_API), 'unreachable'],
    // One request's trouble, not the run's:
    ['a reset', api(0, 'ECONNRESET'), undefined],
    ['a business refusal', api(400, '402459'), undefined],
    ['a refused code that looks like a network one, with a status', api(502, 'ECONNREFUSED'), undefined],
    ['a write with an unknown outcome', new UnknownOutcomeError({ httpStatus: 0, code: 'ECONNRESET', message: 'm' }), undefined],
    ['a bug', new TypeError('x'), undefined],
  ] as const)('%s', (_what, err, expected) => {
    expect(runStopOf(err)).toBe(expected);
  });
});
