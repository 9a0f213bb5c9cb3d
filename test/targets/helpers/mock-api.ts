/**
 * Scripted Alma answers on an undici MockAgent (style-and-reliability B.7: pass it as the
 * injected dispatcher; msw/nock do not see undici's request()). Interceptors are consumed in
 * the order they are scripted; `log()` is the octokit-style request log.
 */
import { MockAgent } from 'undici';

export const ORIGIN = 'https://alma.test';
export const BASE = `${ORIGIN}/almaws/v1`;

export interface Step {
  method?: string;
  /** Matched against path + query; default: anything. */
  path?: string | RegExp;
  status?: number;
  /** An object is sent as JSON text; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Reply with a transport error carrying this `code` instead of an answer. */
  error?: string;
  errorMessage?: string;
}

export function mockApi(origin = ORIGIN) {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const pool = agent.get(origin);
  const script = (...steps: Step[]): void => {
    for (const s of steps) {
      const path = s.path;
      const interceptor = pool.intercept({
        path: (p: string) => (path === undefined ? true : typeof path === 'string' ? p === path : path.test(p)),
        method: s.method ?? ((): boolean => true),
      });
      if (s.error !== undefined) {
        interceptor.replyWithError(Object.assign(new Error(s.errorMessage ?? `simulated ${s.error}`), { code: s.error }));
      } else {
        const data = typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? {});
        interceptor.reply(s.status ?? 200, data, { headers: { 'content-type': 'application/json', ...s.headers } });
      }
    }
  };
  const calls = () => agent.getCallHistory()?.calls() ?? [];
  /** `METHOD /path?query` of every request sent, in order. */
  const log = (): string[] =>
    calls().map((c) => {
      const u = new URL(c.fullUrl);
      return `${c.method} ${u.pathname}${u.search}`;
    });
  return { agent, script, calls, log };
}

/** Alma's JSON 4xx error body (sample 07 shape). */
export function almaError(code: string, message: string, trackingId = 'E01-TEST-TRACKING'): unknown {
  return { errorsExist: true, errorList: { error: [{ errorCode: code, errorMessage: message, trackingId }] }, result: null };
}

/** Alma's JSON 5xx error body: wrapped, with a single error object (JW-RUBY parse_error). */
export function almaServerError(code: string, message: string, trackingId = 'E01-TEST-5XX'): unknown {
  return { web_service_result: { errorsExist: true, errorList: { error: { errorCode: code, errorMessage: message, trackingId } } } };
}

/** Alma's XML auth failure (UGENT src/errors.ts; sandbox UNAUTHORIZED_XML). */
export const UNAUTHORIZED_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">' +
  '<errorsExist>true</errorsExist><errorList><error><errorCode>UNAUTHORIZED</errorCode>' +
  '<errorMessage>API-key not defined or not configured to allow this API.</errorMessage></error></errorList></web_service_result>';
