/**
 * The exit-code mapping (README "Exit codes (for cron)"), unit by unit: the e2e tests reach it
 * through whole runs, each checking a code or two; here every branch of src/cli/exit.ts is pinned.
 */
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { ApiError, AuthError, DailyLimitError, ExitCode, InterruptedError, RetryAfterError, UsageError } from '../../src/common/errors.js';
import { exitCodeForError, exitCodeForReport, exitCodeWithUnwrittenOutputs, pathError } from '../../src/cli/exit.js';

const detail = (code: string, httpStatus = 0) => ({ httpStatus, code, message: code });
const osError = (code: string, path?: string) => Object.assign(new Error(code), { code, ...(path !== undefined ? { path } : {}) });

describe('exitCodeForError', () => {
  it.each<[string, unknown, ExitCode]>([
    ['--help / --version (commander exit 0)', new CommanderError(0, 'commander.helpDisplayed', ''), ExitCode.ok],
    ['an unknown flag (commander)', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), ExitCode.usage],
    ['a usage error', new UsageError('bad'), ExitCode.usage],
    ['a refused key', new AuthError(detail('UNAUTHORIZED', 401)), ExitCode.auth],
    ['the daily threshold', new DailyLimitError(detail('DAILY_THRESHOLD', 429)), ExitCode.someFailed],
    ['a Retry-After too long', new RetryAfterError(detail('PER_SECOND_THRESHOLD', 429), 3_600_000, 0), ExitCode.someFailed],
    ['a target not reached (nothing listening)', new ApiError(detail('ECONNREFUSED')), ExitCode.someFailed],
    ['a target not reached (no such host)', new ApiError(detail('ENOTFOUND')), ExitCode.someFailed],
    ['interrupted', new InterruptedError(), ExitCode.interrupted],
    ['a path that cannot be used', osError('ENOENT', '/no/such.csv'), ExitCode.usage],
    // not unreachable: an answer came (status ≠ 0), or an API error of another kind
    ['an API refusal that reached the CLI', new ApiError(detail('60249', 400)), ExitCode.internal],
    ['ECONNREFUSED with a status is not "unreachable"', new ApiError(detail('ECONNREFUSED', 502)), ExitCode.internal],
    ['an OS error without a path', osError('ENOENT'), ExitCode.internal],
    ['a bug', new TypeError('x is undefined'), ExitCode.internal],
    ['not even an Error', 'thrown string', ExitCode.internal],
  ])('%s', (_, err, code) => expect(exitCodeForError(err)).toBe(code));
});

describe('pathError', () => {
  it('words an OS error on a path as one usage line naming it (the link target when there is one)', () => {
    const e = pathError(osError('ENOENT', '/data/in.csv'));
    expect(e).toBeInstanceOf(UsageError);
    expect(e?.message).toBe("cannot use '/data/in.csv': no such file or folder");
    const link = pathError(Object.assign(osError('ENOENT', '/a'), { dest: '/b' }));
    expect(link?.message).toBe("cannot use '/b': no such file or folder");
  });

  it('is undefined for what is not an OS error on a path', () => {
    expect(pathError(osError('ENOENT'))).toBeUndefined();
    expect(pathError(osError('ERR_SOMETHING', '/a'))).toBeUndefined();
    expect(pathError({ code: 'ENOENT', path: '/a' })).toBeUndefined();
  });
});

describe('exitCodeForReport', () => {
  type Shape = Parameters<typeof exitCodeForReport>[0];
  const report = (o: { stopped?: string; failed?: number; invalid?: number; fileError?: boolean; fileWarning?: boolean } = {}): Shape =>
    ({
      ...(o.stopped !== undefined ? { stopped: o.stopped } : {}),
      issues: [
        ...(o.fileError === true ? [{ severity: 'error' }] : []),
        ...(o.fileWarning === true ? [{ severity: 'warning' }] : []),
      ],
      summary: { failed: o.failed ?? 0, invalid: o.invalid ?? 0 },
    }) as Shape;

  it.each<[string, Shape, boolean, ExitCode]>([
    ['all loaded', report(), true, ExitCode.ok],
    ['a dry run, all valid', report(), false, ExitCode.ok],
    ['a file warning only, sent', report({ fileWarning: true }), true, ExitCode.ok],
    ['a file warning only, not sent', report({ fileWarning: true }), false, ExitCode.ok],
    ['an invalid invoice, nothing sent', report({ invalid: 1 }), false, ExitCode.invalidInput],
    ['a file-level error, nothing sent', report({ fileError: true }), false, ExitCode.invalidInput],
    ['a failed invoice', report({ failed: 1 }), true, ExitCode.someFailed],
    ['an invalid one left out (--skip-invalid), the rest sent', report({ invalid: 1 }), true, ExitCode.someFailed],
    ['stopped at the daily threshold with nothing failed', report({ stopped: 'daily_limit' }), true, ExitCode.someFailed],
    ['the key refused', report({ stopped: 'auth', failed: 2 }), true, ExitCode.auth],
    ['the key refused before sending', report({ stopped: 'auth', invalid: 1 }), false, ExitCode.auth],
    ['interrupted', report({ stopped: 'interrupted', failed: 1 }), true, ExitCode.interrupted],
    ['interrupted before sending', report({ stopped: 'interrupted' }), false, ExitCode.interrupted],
  ])('%s', (_, doc, sent, code) => expect(exitCodeForReport(doc, { sent })).toBe(code));
});

describe('exitCodeWithUnwrittenOutputs', () => {
  it('turns a success into 1 and keeps every other code (never 2: something was sent)', () => {
    expect(exitCodeWithUnwrittenOutputs(ExitCode.ok)).toBe(ExitCode.internal);
    for (const code of [ExitCode.someFailed, ExitCode.auth, ExitCode.interrupted, ExitCode.invalidInput]) {
      expect(exitCodeWithUnwrittenOutputs(code)).toBe(code);
    }
  });
});
