/**
 * AnswerWatch (targets/alma/answers.ts): when the requests before the first write got no answer
 * at all, one stop as unreachable; a timeout once anything answered is one request's trouble.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, isUnreachable, unreachableText } from '../../../src/common/errors.js';
import { AnswerWatch } from '../../../src/targets/alma/answers.js';
import type { JsonClient } from '../../../src/transport/http.js';
import { createAlmaHttpClient } from '../../../src/targets/alma/client.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { ORIGIN, mockApi } from '../helpers/mock-api.js';

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
    ['UND_ERR_SOCKET', 'GET /acq/vendors/X: other side closed (after 5 attempts)'],
    ['ECONNRESET', 'GET /acq/vendors/X: read ECONNRESET (after 5 attempts)'],
  ])('a request whose every connection closed (%s) before anything answered: NO_ANSWER, in words of a closed connection, not a slow host', async (code, message) => {
    const http = scripted({ '/a': new ApiError({ httpStatus: 0, code, message }) });
    const err = await failure(new AnswerWatch('checks').watch(http).json({ method: 'GET', path: '/a' }));
    expect((err as ApiError).code).toBe('NO_ANSWER');
    expect(isUnreachable(err)).toBe(true);
    expect((err as ApiError).message).toBe(`nothing answered the checks (${code}: ${message}): the host takes the connection and closes it without answering (an http:// address on an https port does so)`);
    expect(unreachableText(err as ApiError, 'Alma')).not.toMatch(/only slow|--timeout/);
    // Once anything answered, a closed connection is one request's trouble.
    const later = scripted({ '/ok': { ok: true }, '/a': new ApiError({ httpStatus: 0, code, message }) });
    await new AnswerWatch('checks').watch(later).json({ method: 'GET', path: '/ok' });
    expect(((await failure(new AnswerWatch('look-ups').watch(later).json({ method: 'GET', path: '/a' }))) as ApiError).code).toBe(code);
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

  it('answers that began but never ended (a body timeout) before any came whole: NO_ANSWER that says Alma began answering', async () => {
    const trickle = new ApiError({ httpStatus: 0, code: 'UND_ERR_BODY_TIMEOUT', message: 'GET /acq/vendors/X: the answer did not arrive whole within 3 s of its headers (after 5 attempts)' });
    const err = await failure(new AnswerWatch('checks').watch(scripted({ '/a': trickle })).json({ method: 'GET', path: '/a' }));
    expect((err as ApiError).code).toBe('NO_ANSWER');
    expect(isUnreachable(err)).toBe(true);
    expect((err as ApiError).message).toBe(
      'Alma began answering the checks but never finished an answer (UND_ERR_BODY_TIMEOUT: GET /acq/vendors/X: the answer did not arrive whole within 3 s of its headers (after 5 attempts))',
    );
    // Once one answer came whole, a body timeout is that request's trouble, retried and reported as such.
    const http = scripted({ '/answered': { ok: true }, '/slow': trickle });
    await new AnswerWatch('checks').watch(http).json({ method: 'GET', path: '/answered' });
    expect(((await failure(new AnswerWatch('look-ups').watch(http).json({ method: 'GET', path: '/slow' }))) as ApiError).code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('another client\'s answers say nothing of this one', async () => {
    await new AnswerWatch('checks').watch(scripted({ '/a': { ok: true } })).json({ method: 'GET', path: '/a' });
    const err = await failure(new AnswerWatch('checks').watch(scripted({ '/a': timeout() })).json({ method: 'GET', path: '/a' }));
    expect((err as ApiError).code).toBe('NO_ANSWER');
  });
});

describe('AnswerWatch: which answer bodies say the address is not Alma\'s API', () => {
  /**
   * One read per case through Alma's own client (its error parser and the look for its error
   * document under a 2xx), then the verdict: a body Alma could never send (a page, a login or
   * proxy page, an empty body) is not Alma (NOT_ALMA_API); Alma's error document with a field
   * missing is Alma answering badly, and JSON cut short counts for neither — no verdict, the
   * request's own error stands.
   */
  const html = { 'content-type': 'text/html' };
  const cases: { what: string; status: number; body: string; headers?: Record<string, string>; verdict: 'NOT_ALMA_API' | 'GATEWAY_DOWN' | 'none'; error: string }[] = [
    { what: 'an HTML login page with 200', status: 200, body: '<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>', headers: html, verdict: 'NOT_ALMA_API', error: 'BAD_RESPONSE' },
    { what: "a proxy's page with 404", status: 404, body: '<html><body><h1>Not Found</h1>nginx</body></html>', headers: html, verdict: 'NOT_ALMA_API', error: 'HTTP_404' },
    { what: 'an empty body with 200', status: 200, body: '', verdict: 'NOT_ALMA_API', error: 'BAD_RESPONSE' },
    { what: 'plain text with 200', status: 200, body: 'OK', headers: { 'content-type': 'text/plain' }, verdict: 'NOT_ALMA_API', error: 'BAD_RESPONSE' },
    { what: "Alma's error document under a 200 with no errorCode", status: 200, body: JSON.stringify({ errorsExist: true, errorList: { error: [{ errorMessage: 'General Error' }] } }), verdict: 'none', error: 'BAD_RESPONSE' },
    { what: "Alma's error document with a 400 and no errorCode", status: 400, body: JSON.stringify({ errorsExist: true, errorList: { error: [{ errorMessage: 'Invalid request' }] }, result: null }), verdict: 'none', error: 'HTTP_400' },
    { what: "Alma's error document with a 400 and its errorCode", status: 400, body: JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: '402459', errorMessage: 'No vendor found' }] } }), verdict: 'none', error: '402459' },
    { what: 'JSON cut short (every attempt)', status: 200, body: '{"code":"ACME","name":"Acme', verdict: 'none', error: 'BAD_RESPONSE' },
    // A 5xx: only a body that is not Alma's is the gateway or proxy in front of it saying Alma is down.
    { what: "a gateway's HTML page with 503", status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', headers: html, verdict: 'GATEWAY_DOWN', error: 'GATEWAY_DOWN' },
    { what: "Alma's 5xx document (web_service_result) with a 503 and no errorCode", status: 503, body: JSON.stringify({ web_service_result: { errorsExist: true, errorList: { error: { errorMessage: 'General Error', trackingId: 'E01-1' } } } }), verdict: 'none', error: 'HTTP_503' },
    { what: "Alma's 5xx document with a 500 and its errorCode", status: 500, body: JSON.stringify({ web_service_result: { errorsExist: true, errorList: { error: { errorCode: '402119', errorMessage: 'General error.' } } } }), verdict: 'none', error: '402119' },
    { what: "Alma's 5xx document with a 500 and no error in its list", status: 500, body: JSON.stringify({ web_service_result: { errorsExist: true, errorList: {} } }), verdict: 'none', error: 'HTTP_500' },
    { what: "Alma's XML error document with a 502 and no errorCode", status: 502, body: '<?xml version="1.0"?><web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist><errorList><error><errorMessage>Internal error</errorMessage></error></errorList></web_service_result>', headers: { 'content-type': 'application/xml' }, verdict: 'none', error: 'HTTP_502' },
  ];

  it('a page, a login page, an empty body: not Alma; Alma\'s error document with a field missing, or JSON cut short: no verdict against the address', async () => {
    const seen: { what: string; verdict: string; error: string }[] = [];
    for (const c of cases) {
      const m = mockApi();
      try {
        // Enough answers for every retry of a read (JSON cut short is retried).
        m.script(...Array.from({ length: 10 }, () => ({ path: '/almaws/v1/acq/vendors/ACME', status: c.status, body: c.body, headers: c.headers ?? {} })));
        const http = createAlmaHttpClient({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0.5 });
        const watch = new AnswerWatch('checks');
        const err = (await failure(watch.watch(http).json({ method: 'GET', path: '/acq/vendors/ACME' }))) as ApiError;
        const verdict = (() => {
          try {
            watch.verdict();
            return 'none';
          } catch (e) {
            return (e as ApiError).code;
          }
        })();
        seen.push({ what: c.what, verdict, error: err.code });
      } finally {
        await m.agent.close();
      }
    }
    expect(seen).toEqual(cases.map((c) => ({ what: c.what, verdict: c.verdict, error: c.error })));
  });
});
