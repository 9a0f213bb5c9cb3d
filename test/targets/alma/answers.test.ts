/**
 * AnswerWatch (targets/alma/answers.ts): when the requests before the first write got no answer
 * at all, one stop as unreachable; a timeout once anything answered is one request's trouble.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, isUnreachable } from '../../../src/common/errors.js';
import { AnswerWatch } from '../../../src/targets/alma/answers.js';
import type { JsonClient } from '../../../src/transport/http.js';

const timeout = (): ApiError => new ApiError({ httpStatus: 0, code: 'UND_ERR_HEADERS_TIMEOUT', message: 'GET /acq/vendors/X: Headers Timeout Error' });

/** A client whose answers are scripted by path: a value is answered, an error thrown. */
function scripted(answers: Record<string, unknown>): JsonClient {
  return {
    json: async (req) => {
      const a = answers[req.path];
      if (a instanceof Error) throw a;
      return a as never;
    },
  };
}

const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

describe('AnswerWatch: nothing answered at all', () => {
  it('a request that timed out before anything answered: NO_ANSWER, an unreachable target', async () => {
    const http = scripted({ '/a': timeout() });
    const err = await failure(new AnswerWatch('checks').watch(http).json({ method: 'GET', path: '/a' }));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('NO_ANSWER');
    expect(isUnreachable(err)).toBe(true);
    expect((err as ApiError).message).toBe('nothing answered the checks (UND_ERR_HEADERS_TIMEOUT: GET /acq/vendors/X: Headers Timeout Error): the host takes the connection but does not answer');
  });

  it.each([
    ['JSON', { ok: true }],
    ["Alma's refusal", new ApiError({ httpStatus: 400, code: '402459', message: 'no such vendor' })],
    ['an HTML page', new ApiError({ httpStatus: 404, code: 'HTTP_404', message: 'HTTP 404: Not Found' })],
  ])('after %s answered one request, even through another watch on the same client, a timeout stays a timeout', async (_what, answer) => {
    const http = scripted({ '/answered': answer, '/slow': timeout() });
    await failure(new AnswerWatch('checks').watch(http).json({ method: 'GET', path: '/answered' }));
    const err = await failure(new AnswerWatch('look-ups').watch(http).json({ method: 'GET', path: '/slow' }));
    expect((err as ApiError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(isUnreachable(err)).toBe(false);
  });

  it('after the verdict (the first round is over), a timeout stays a timeout', async () => {
    const http = scripted({ '/slow': timeout() });
    const watch = new AnswerWatch('look-ups');
    watch.verdict();
    const err = await failure(watch.watch(http).json({ method: 'GET', path: '/slow' }));
    expect((err as ApiError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('a watch opened closed (the load\'s look-ups) judges only between open() and close(): later look-ups, after writes it does not hear, stay timeouts', async () => {
    const http = scripted({ '/slow': timeout() });
    const watch = new AnswerWatch('look-ups', { open: false });
    const json = watch.watch(http);
    expect(((await failure(json.json({ method: 'GET', path: '/slow' }))) as ApiError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    watch.open();
    expect(((await failure(json.json({ method: 'GET', path: '/slow' }))) as ApiError).code).toBe('NO_ANSWER');
    watch.close();
    expect(((await failure(json.json({ method: 'GET', path: '/slow' }))) as ApiError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('another client\'s answers say nothing of this one', async () => {
    await new AnswerWatch('checks').watch(scripted({ '/a': { ok: true } })).json({ method: 'GET', path: '/a' });
    const err = await failure(new AnswerWatch('checks').watch(scripted({ '/a': timeout() })).json({ method: 'GET', path: '/a' }));
    expect((err as ApiError).code).toBe('NO_ANSWER');
  });
});
