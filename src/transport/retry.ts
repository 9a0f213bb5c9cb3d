/**
 * Retry policy: pure decisions, no I/O. `classify` says what an attempt's outcome means,
 * `backoffMs` and `parseRetryAfter` say how long to wait, `decide` puts them together.
 * The transport (`src/transport/http.ts`) performs the attempts and the waiting.
 *
 * The one rule everything else bends to: Alma has no idempotency keys
 * (docs/alma.md#requests-hosts-keys-and-thresholds), so a POST is sent again only when it provably
 * was not processed. Any other failed POST ends as `unknown`, and the engine asks Alma what exists
 * before sending it again.
 */
import { PROXY_CLOSED, PROXY_REFUSED, PROXY_UPSTREAM, RETRY_AFTER_CAP_MS } from '../common/errors.js';
import { waitText } from '../common/time.js';

export interface RetryOptions {
  /** Base of the exponential backoff, in ms (AWS full jitter uses 500 ms for throttling). */
  baseMs: number;
  /** Cap of one backoff, in ms (AWS: 20 s). */
  capMs: number;
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /**
   * Extra retries for per-second refusals (429 PER_SECOND_THRESHOLD). Such a refusal is Alma
   * declining the request for pace, not failing it: nothing was applied, the limiter has slowed
   * every worker down, and sending again is safe, so a storm must not fail invoices that a
   * slower pace would load.
   */
  throttleRetries: number;
  /** Longest wait a server's Retry-After may impose; beyond it we give up (octokit falls back at 60 s). */
  maxWaitMs: number;
  /**
   * How long a target that has answered in this run may stay out of reach (a connection refused,
   * a name or route not found: nothing was sent) before a request gives up. Until then such a
   * request is retried past `maxRetries`, a pause of at most `OUTAGE_STEP_MS` at a time, so a
   * restart or a network blip of a few seconds does not stop a nightly run. A target that never
   * answered gets `maxRetries` only (`decide` is told no outage): a wrong address is said at once.
   * 0: no patience. The transport's default is its request timeout (`--timeout`).
   */
  outageMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 500, capMs: 20_000, maxRetries: 4, throttleRetries: 12, maxWaitMs: 60_000, outageMs: 30_000 };

/** The longest pause between two attempts while a target that answered before is out of reach. */
export const OUTAGE_STEP_MS = 2_000;

/** What one attempt produced, reduced to what the policy needs. */
export type Outcome =
  | {
      kind: 'response';
      status: number;
      /** The API's error code (Alma `errorCode`), when the body had one. */
      code?: string | undefined;
      message?: string | undefined;
      /** Raw `Retry-After` header value, when present. */
      retryAfter?: string | undefined;
      /** Raw `Date` header value of the same answer: what an HTTP-date Retry-After is measured from. */
      date?: string | undefined;
      /**
       * The API's remaining daily budget as last known (Alma's `X-Exl-Api-Remaining`, declared
       * on its answers by the OAS): this answer's header, else the last answer's that had one.
       */
      remaining?: number | undefined;
      /**
       * The answer itself says the request did nothing and may be sent again as it is (Alguna's
       * `Transient-Error: true` on a 5xx or 429 to a keyed request: "the idempotency key has been
       * released", https://alguna.com/docs/api-reference/v2/idempotency). Set by the target's
       * `notApplied` hook (transport/http.ts), never guessed from a status alone.
       */
      notApplied?: boolean | undefined;
    }
  | {
      kind: 'network';
      /** `err.code` of the transport error (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, ...). */
      code: string;
      /**
       * Whether the request bytes reached the socket: `false` only when the transport can
       * prove they did not, `undefined` when it cannot tell.
       */
      sent?: boolean | undefined;
    };

export interface RequestTraits {
  method: string;
  /**
   * True when sending the request twice has the effect of sending it once: GET/HEAD, or a
   * write the API de-duplicates (an Idempotency-Key, as Alguna has). Alma POSTs are not.
   */
  idempotent: boolean;
}

/**
 * `retry`: safe to send again. `throttled` marks a rate-limit refusal, which the limiter
 *   also hears about (it slows everyone down).
 * `api` / `auth` / `daily`: a definite answer; throw the matching error, do not retry.
 * `unknown`: the request may have taken effect; throw `UnknownOutcomeError` at once.
 */
export type Classification =
  | { kind: 'retry'; reason: string; throttled: boolean }
  | { kind: 'api'; reason: string }
  | { kind: 'auth'; reason: string }
  | { kind: 'daily'; reason: string; note?: string }
  | { kind: 'unknown'; reason: string };

/**
 * Connection failures that happen before a single byte of the request is written: the
 * server never saw it, so even a POST may be sent again (Stripe/undici treat these as
 * "no response"; AWS classifies them as transient). DNS (ENOTFOUND, EAI_AGAIN), refused or
 * unreachable connections, and undici's connect timeout.
 */
const PRE_SEND_CODES = new Set([
  // The proxy's tunnel to the API never opened: nothing was sent (transport/http.ts proxyRefusal).
  PROXY_UPSTREAM,
  PROXY_CLOSED,
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Local failures no retry can fix: a closed or misused dispatcher, an invalid URL or
 * argument, a certificate that does not verify, a proxy that refuses the tunnel. None of them
 * sent anything.
 */
const FATAL_LOCAL_CODES = new Set([
  PROXY_REFUSED,
  'UND_ERR_INVALID_ARG',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  // An https:// address on a port that does not speak TLS (plain HTTP answers the handshake):
  // the codes OpenSSL gives, as Node names them (common/errors.ts TLS_MISMATCH).
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);

/**
 * Alma's per-second governance threshold (docs/alma.md#requests-hosts-keys-and-thresholds, sample
 * 06).
 */
const PER_SECOND = 'PER_SECOND_THRESHOLD';
/**
 * Alma's daily threshold. The code is unverified (docs/alma.md#requests-hosts-keys-and-thresholds),
 * so the message is checked too.
 */
const DAILY = 'DAILY_THRESHOLD';
// "Daily threshold", "daily API limit", "Daily API Request Threshold has been reached": any
// wording with "daily" before a threshold, limit or quota (at most three words between).
const DAILY_MESSAGE = /\bdaily(\s+\w+){0,3}?\s+(threshold|limit|quota)/i;

export function classify(req: RequestTraits, outcome: Outcome): Classification {
  if (outcome.kind === 'network') return classifyNetwork(req, outcome.code, outcome.sent);
  const { status } = outcome;
  const code = outcome.code ?? '';
  const reason = code !== '' ? `${status} ${code}` : String(status);

  // The daily budget is spent: every further call fails until midnight, so stop the run
  // (KB-SANDBOX: "an error is returned for any additional API request"). Checked first: its
  // 429 must not be mistaken for the per-second one.
  if (code === DAILY || (status === 429 && DAILY_MESSAGE.test(outcome.message ?? ''))) {
    return { kind: 'daily', reason };
  }
  // A 429 that does not say which threshold, once the budget left is nothing: the daily one
  // (its code and words are unverified, above). A 429 that says PER_SECOND_THRESHOLD is
  // taken at its word.
  if (status === 429 && code !== PER_SECOND && outcome.remaining !== undefined && outcome.remaining <= 0) {
    return { kind: 'daily', reason, note: `X-Exl-Api-Remaining was ${outcome.remaining}` };
  }
  // Key refused or lacking rights. Alma answers these in XML with errorCode UNAUTHORIZED
  // (github.com/ugent-library/exlibris-alma-sdk src/errors.ts); octokit and Stripe never retry 401/403.
  if (status === 401 || status === 403 || code === 'UNAUTHORIZED') return { kind: 'auth', reason };
  // Per-second threshold: Alma refused the request before doing anything (PUL issue #1094),
  // so it is safe to resend, POST included, after slowing down.
  if (status === 429 || code === PER_SECOND) return { kind: 'retry', reason, throttled: true };
  // 5xx (and 408): the server may have done the work before failing. Safe to repeat only
  // when repeating is harmless (undici RetryHandler and gaxios skip POST; Salesforce
  // Data Loader PR #1545: "retry may result in duplicate inserts").
  if (status >= 500 || status === 408) {
    // Unless the answer says it did nothing: then it is as safe to send again as a 429.
    if (outcome.notApplied === true) return { kind: 'retry', reason: `${reason} (not applied)`, throttled: false };
    return req.idempotent ? { kind: 'retry', reason, throttled: false } : { kind: 'unknown', reason };
  }
  // Everything else is a definite answer: 400 business errors (Alma reports "not found" as
  // 400 too, docs/alma.md#errors-error-codes-and-alerts), 404, 409, 422 ... (octokit doNotRetry).
  return { kind: 'api', reason };
}

function classifyNetwork(req: RequestTraits, code: string, sent: boolean | undefined): Classification {
  if (FATAL_LOCAL_CODES.has(code)) return { kind: 'api', reason: code };
  if (PRE_SEND_CODES.has(code)) return { kind: 'retry', reason: code, throttled: false };
  if (req.idempotent) return { kind: 'retry', reason: code, throttled: false };
  // A reset or timeout after the request was written "can surface after the API processed
  // the request" (stripe-node RequestSender). Only proof that nothing was written helps.
  if (sent === false) return { kind: 'retry', reason: `${code} (not sent)`, throttled: false };
  return { kind: 'unknown', reason: code };
}

/** The attempt provably never reached the server: refused or unresolved before sending, or nothing written. */
export function neverSent(outcome: Outcome): boolean {
  return outcome.kind === 'network' && (PRE_SEND_CODES.has(outcome.code) || outcome.sent === false);
}

/**
 * The attempt may have reached the server and been applied: a network failure not proven to have
 * sent nothing (a reset, a timeout after sending), or a 5xx or 408 that does not say it did nothing
 * (`notApplied`) — what `classify` calls `unknown` for a write that is not idempotent. A write sent
 * as idempotent is retried past such an attempt, and its error then says so (common/errors.ts
 * `ApiErrorDetail.reached`).
 */
export function mayHaveApplied(outcome: Outcome): boolean {
  if (outcome.kind === 'network') return !neverSent(outcome) && !FATAL_LOCAL_CODES.has(outcome.code);
  return (outcome.status >= 500 || outcome.status === 408) && outcome.notApplied !== true;
}

/** GET and HEAD never change anything (RFC 9110 §9.2.1); everything else is assumed to. */
export function isSafeMethod(method: string): boolean {
  const m = method.toUpperCase();
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS';
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"; smithy
 * DefaultRetryBackoffStrategy): `random() × min(cap, base × 2^attempt)`, attempt counted from 0.
 * Jitter spreads concurrent workers that failed together.
 */
export function backoffMs(attempt: number, random: () => number, opts: Pick<RetryOptions, 'baseMs' | 'capMs'>): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undici and
 * smithy parseRetryAfterHeader accept both. Returns ms from `nowMs`, or undefined when the
 * header is absent or unreadable — delay-seconds that are not whole digits (`1.5`), a date that is not an HTTP-date (`httpDate`: IMF-fixdate or
 * one of the two obsolete forms, RFC 9110 §5.6.7), such as `2026-12-07`, included. A date in the past means "now" (0). A date is measured both
 * from the answer's own `Date` (`date`, when it is an HTTP-date: `httpDate`) — RFC 9110 §10.2.3:
 * the delay is relative to the message's Date — and from `nowMs`, and the shorter wait is taken:
 * a server clock minutes ahead of ours does not turn a 5 s wait into minutes, and a `Date` that
 * is stale (a proxy's cached answer) or nonsense does not turn it into hours or a year. (A server
 * clock behind ours then waits less than asked; `decide` still waits its own backoff.) Never
 * more than `RETRY_AFTER_CAP_MS` (a year): a larger value is a wait that long, never a number
 * past what a date can hold.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number, date?: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  // delay-seconds is 1*DIGIT (RFC 9110 §10.2.3): `1.5`, `-1`, `+3` are malformed, and the loader's
  // own backoff decides, as for any other value it cannot read.
  if (/^\d+$/.test(v)) return Math.min(RETRY_AFTER_CAP_MS, Number(v) * 1000);
  // Only an HTTP-date (RFC 9110 §10.2.3, §5.6.7): `Date.parse` also reads `2026-12-07` or `1`
  // (the year 2001), which are no Retry-After: the loader's own backoff then decides.
  const at = httpDate(v, nowMs);
  if (at === undefined) return undefined;
  const sent = date === undefined ? undefined : httpDate(date, nowMs);
  const wait = sent === undefined ? at - nowMs : Math.min(at - sent, at - nowMs);
  return Math.min(RETRY_AFTER_CAP_MS, Math.max(0, wait));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7). */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** The obsolete rfc850-date, `Sunday, 06-Nov-94 08:49:37 GMT`, which a recipient must still accept. */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** The obsolete asctime-date, `Sun Nov  6 08:49:37 1994` (UTC), likewise. */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate or one of the two obsolete forms a recipient must
 * accept) as ms since the epoch, or undefined for anything else. `Date.parse` accepts far more
 * (`1` is the year 2001), and a `Date` header that is not a date says nothing of the server's
 * clock. A two-digit year more than 50 years ahead of `nowMs` is the century before (§5.6.7).
 */
export function httpDate(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  // Each form's fields as [day, month, year, hours, minutes, seconds].
  let f: string[] | undefined;
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(t)) !== null) f = m.slice(1);
  else if ((m = RFC850_DATE.exec(t)) !== null) {
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    f = [m[1]!, m[2]!, String(year), m[4]!, m[5]!, m[6]!];
  } else if ((m = ASCTIME_DATE.exec(t)) !== null) f = [m[2]!, m[1]!, m[6]!, m[3]!, m[4]!, m[5]!];
  if (f === undefined) return undefined;
  const [day, month, year, hh, mm, ss] = [Number(f[0]!.trim()), MONTHS.indexOf(f[1]!), Number(f[2]), Number(f[3]), Number(f[4]), Number(f[5])];
  const ms = Date.UTC(year, month, day, hh, mm, ss);
  const back = new Date(ms);
  // `31 Feb`, `25:00:00`: the shape of a date, not a date.
  const same = back.getUTCFullYear() === year && back.getUTCMonth() === month && back.getUTCDate() === day && back.getUTCHours() === hh && back.getUTCMinutes() === mm && back.getUTCSeconds() === ss;
  return same ? ms : undefined;
}

export type Decision =
  | {
      action: 'retry';
      delayMs: number;
      reason: string;
      throttled: boolean;
      retryAfterMs?: number | undefined;
      /** Retried past the usual retries only because the target answered earlier and is out of reach (`outageMs`). */
      outage?: true;
    }
  | {
      action: 'fail';
      /** `retry_after`: the server asked to wait longer than `maxWaitMs` (`waitMs`): the run stops. */
      kind: 'api' | 'auth' | 'daily' | 'unknown' | 'exhausted' | 'retry_after';
      reason: string;
      note?: string;
      /** What the server asked to wait (ms), for `retry_after`. */
      waitMs?: number;
      /** A rate-limit refusal we gave up on: the limiter must still slow down. */
      throttled?: boolean;
      retryAfterMs?: number | undefined;
    };

/**
 * The whole policy for one finished attempt (`attempt` counted from 0). The server's Retry-After is
 * a floor on our own backoff (never retry sooner than asked), and a ceiling on patience: beyond
 * `maxWaitMs` the request fails (`retry_after`) and the run stops instead of hanging. Alma does not document Retry-After
 * (docs/alma.md#requests-hosts-keys-and-thresholds), so it is honoured only when present.
 */
export function decide(
  req: RequestTraits,
  outcome: Outcome,
  attempt: number,
  ctx: {
    random: () => number;
    nowMs: number;
    options?: Partial<RetryOptions> | undefined;
    /** The target answered earlier in the run and has been out of reach for `downForMs` (see `outageMs`). */
    outage?: { downForMs: number } | undefined;
  },
): Decision {
  const opts = { ...DEFAULT_RETRY, ...ctx.options };
  const c = classify(req, outcome);
  if (c.kind !== 'retry') return { action: 'fail', kind: c.kind, reason: c.reason, ...(c.kind === 'daily' && c.note !== undefined ? { note: c.note } : {}) };
  const retryAfterMs = outcome.kind === 'response' ? parseRetryAfter(outcome.retryAfter, ctx.nowMs, outcome.date) : undefined;
  if (retryAfterMs !== undefined && retryAfterMs > opts.maxWaitMs) {
    // Long waits in minutes and hours (common/time.ts waitText), as the run's stop line says them.
    const asked = retryAfterMs >= RETRY_AFTER_CAP_MS ? 'a year or more' : waitText(retryAfterMs);
    const note = `the server asked to wait ${asked} (Retry-After), longer than the ${waitText(opts.maxWaitMs)} allowed`;
    // Every other request would be told the same: the run stops (`retry_after`), as at the daily
    // threshold, instead of each request failing on its own and holding the others for
    // `maxWaitMs` (an hour's Retry-After kept a batch of 7 going for 50 minutes). The pause every
    // other request takes meanwhile is held to the same bound.
    return { action: 'fail', kind: 'retry_after', reason: c.reason, note, throttled: c.throttled, retryAfterMs: opts.maxWaitMs, waitMs: retryAfterMs };
  }
  const limit = opts.maxRetries + (c.throttled ? opts.throttleRetries : 0);
  if (attempt >= limit) {
    // Patience for what provably never reached the server: a refused connection, and a reset
    // while connecting (a firewall's or a restarting load balancer's burst) alike.
    const out = neverSent(outcome) ? ctx.outage : undefined;
    const left = out === undefined ? 0 : opts.outageMs - out.downForMs;
    if (left > 0) {
      const delayMs = Math.min(left, Math.max(250, backoffMs(attempt, ctx.random, { baseMs: opts.baseMs, capMs: OUTAGE_STEP_MS })));
      return { action: 'retry', delayMs, reason: `${c.reason} (out of reach for ${Math.round(out!.downForMs / 1000)} s)`, throttled: false, outage: true };
    }
    const note = out !== undefined && opts.outageMs > 0 ? `out of reach for ${Math.round(out.downForMs / 1000)} s` : undefined;
    return { action: 'fail', kind: 'exhausted', reason: c.reason, throttled: c.throttled, retryAfterMs, ...(note !== undefined ? { note } : {}) };
  }
  const delayMs = Math.max(backoffMs(attempt, ctx.random, opts), retryAfterMs ?? 0);
  return { action: 'retry', delayMs, reason: c.reason, throttled: c.throttled, retryAfterMs };
}
