/**
 * What a failed write's error tells about what it did, asked of every classifier the engine has:
 * the journal's (engine.ts `journaledAs`, `sendJournaled`), the `write` event's (`writeOutcome`),
 * the operations' (operations.ts `watchedSend`, `writes`), and the refusal tests
 * (common/errors.ts `isRefusal`, engine.ts `isLineRefusal`). They must agree: a journal that says
 * "refused" lets a re-run send again without looking for what the write made, so a verdict of
 * refused where a byte may have reached the target is a double on re-run, and one of "unknown"
 * where nothing was written only costs a look-up.
 *
 * `right` is the safe verdict: `refused`, answered with a definite refusal (nothing written);
 * `unsent`, it never left; `unknown`, it may have been written.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  DailyLimitError,
  IdNotKeptError,
  isRefusal,
  NotSentError,
  RetryAfterError,
  runStopOf,
  UnknownOutcomeError,
  writeVerdict,
} from '../../src/common/errors.js';
import { isLineRefusal, journaledAs, writeOutcome } from '../../src/engine/engine.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import { watchedSend } from '../../src/engine/operations.js';

type Verdict = 'refused' | 'unsent' | 'unknown';

interface Row {
  name: string;
  err: () => unknown;
  right: Verdict;
  /** Not a write the operations send (an id the target did not keep is a load's, about another write). */
  notOps?: boolean;
}

const intent: Extract<JournalEntry, { t: 'intent' }> = { t: 'intent', vendor: 'ACME', number: 'INV-1', step: 'create', at: 0 };

const rows: Row[] = [
  { name: 'a 4xx business refusal (Alma 402459 under 400)', err: () => new ApiError({ httpStatus: 400, code: '402459', message: 'Invoice line not valid' }), right: 'refused' },
  {
    name: 'the error document under a 2xx, with a code (inSuccess)',
    err: () => new ApiError({ httpStatus: 200, code: '402459', message: 'Invoice line not valid', inSuccess: true }),
    right: 'refused',
  },
  { name: 'a duplicate refused under 400 (Alma 60288)', err: () => new ApiError({ httpStatus: 400, code: '60288', message: 'invoice number already exists' }), right: 'refused' },
  { name: 'a duplicate refused with 409', err: () => new ApiError({ httpStatus: 409, code: 'duplicate', message: 'exists' }), right: 'refused' },
  { name: 'a refusal replayed under the same idempotency key (Alguna)', err: () => new ApiError({ httpStatus: 422, code: 'invalid', message: 'bad', replayed: true }), right: 'refused' },
  { name: 'a 429 whose retries ran out', err: () => new ApiError({ httpStatus: 429, code: 'PER_SECOND_THRESHOLD', message: 'slow down' }), right: 'refused' },
  { name: 'a Retry-After longer than the loader waits', err: () => new RetryAfterError({ httpStatus: 429, code: 'HTTP_429', message: 'wait' }, 3_600_000, 3_600_000), right: 'refused' },
  { name: 'the daily threshold', err: () => new DailyLimitError({ httpStatus: 429, code: 'DAILY_THRESHOLD', message: 'daily threshold' }), right: 'refused' },
  { name: 'a refused key', err: () => new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined' }), right: 'refused' },
  {
    name: 'a timeout after the request was sent',
    err: () => new UnknownOutcomeError({ httpStatus: 0, code: 'UND_ERR_HEADERS_TIMEOUT', message: 'Headers Timeout Error' }),
    right: 'unknown',
  },
  { name: 'a 5xx to a write', err: () => new UnknownOutcomeError({ httpStatus: 502, code: 'HTTP_502', message: 'Bad Gateway' }), right: 'unknown' },
  { name: 'Ctrl-C while a write was on the wire', err: () => new UnknownOutcomeError({ httpStatus: 0, code: 'ABORTED', message: 'interrupted' }), right: 'unknown' },
  {
    name: 'a 409 for a key still being processed (Alguna, made an unknown outcome)',
    err: () => new UnknownOutcomeError({ httpStatus: 409, code: 'conflict', message: 'request currently being processed' }),
    right: 'unknown',
  },
  { name: 'a 2xx whose body could not be read', err: () => new UnknownOutcomeError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'JSON cut short' }), right: 'unknown' },
  { name: 'a Ctrl-C before its turn (NotSentError)', err: () => new NotSentError('POST /acq/invoices'), right: 'unsent' },
  {
    name: 'a network error before any byte was sent',
    err: () => new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
    right: 'unsent',
  },
  {
    name: "a target's refusal before anything is sent (FOLIO: no such vendor)",
    err: () => new ApiError({ httpStatus: 0, code: 'vendor_not_found', message: 'FOLIO has no organization with code "ACME"' }),
    right: 'unsent',
  },
  {
    name: 'a 5xx to an idempotent write whose retries ran out',
    err: () => new ApiError({ httpStatus: 503, code: 'HTTP_503', message: 'Service Unavailable' }),
    right: 'unknown',
  },
  {
    name: 'a 408 to an idempotent write whose retries ran out',
    err: () => new ApiError({ httpStatus: 408, code: 'HTTP_408', message: 'Request Timeout' }),
    right: 'unknown',
  },
  {
    name: 'a 2xx the target could not use (no id in it)',
    err: () => new ApiError({ httpStatus: 201, code: 'BAD_RESPONSE', message: 'the answer has no id' }),
    right: 'unknown',
  },
  {
    name: 'its own IdNotKeptError (made under another id)',
    err: () => new IdNotKeptError({ httpStatus: 201, message: 'not kept' }, { vendor: 'ACME', number: 'INV-1' }, 'a', 'b'),
    right: 'unknown',
  },
  {
    name: "another write's IdNotKeptError",
    err: () => new IdNotKeptError({ httpStatus: 201, message: 'not kept' }, { vendor: 'ACME', number: 'INV-9' }, 'a', 'b'),
    right: 'unsent',
    notOps: true,
  },
  {
    name: 'an idempotent write whose retries ran out on a refused connection after an attempt that may have been applied',
    err: () => new ApiError({ httpStatus: 0, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', reached: true }),
    right: 'unknown',
  },
  {
    name: 'an idempotent write refused (4xx) after an attempt that may have been applied',
    err: () => new ApiError({ httpStatus: 409, code: 'idExists', message: 'exists', reached: true }),
    right: 'unknown',
  },
  { name: 'not an API error at all (a bug)', err: () => new TypeError('x is undefined'), right: 'unknown' },
];

/** What each classifier says of `err`, in the same three words. */
async function verdicts(err: unknown): Promise<{ journal: Verdict; event: Verdict; ops: Verdict }> {
  const writes = { wrote: false, refused: false };
  await watchedSend(() => Promise.reject(err), writes)('1').catch(() => undefined);
  const ops: Verdict = writes.wrote ? 'unknown' : writes.refused ? 'refused' : 'unsent';
  const event = writeOutcome(err, intent);
  return { journal: journaledAs(err, intent) ?? 'unknown', event: event === 'accepted' ? 'unknown' : event, ops };
}

describe('one verdict for a failed write, whoever asks', () => {
  for (const row of rows) {
    it(`${row.name}: ${row.right}`, async () => {
      const err = row.err();
      const v = await verdicts(err);
      expect(v.journal, 'journal').toBe(row.right);
      expect(v.event, 'write event').toBe(row.right);
      if (row.notOps !== true) {
        expect(v.ops, 'operations').toBe(row.right);
        expect(writeVerdict(err), 'writeVerdict').toBe(row.right);
      }
      // A refusal of the content (no 429) is a refusal of the write: nothing was written.
      // Both ways: every refused write but a 429 (it asks to slow down) is a refusal, and nothing else is.
      if (err instanceof ApiError) expect(isRefusal(err), 'isRefusal').toBe(row.right === 'refused' && err.httpStatus !== 429);
      // A line refused (sent again alone) is a refused write; run stops are not its business.
      if (runStopOf(err) === undefined) expect(isLineRefusal(err), 'isLineRefusal').toBe(row.right === 'refused');
    });
  }
});
