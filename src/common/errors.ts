/**
 * The closed set of errors that reach the command line. Which exit code each leads to
 * (README "Exit codes") is decided in one place only, `src/cli/exit.ts` (`exitCodeForError`).
 */

/** Exit codes of the command-line contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalidInput: 3,
  someFailed: 4,
  auth: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Something about the command, its flags, files or configuration is wrong. Exit 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Where an API error came from, as the report shows it. */
export interface ApiErrorDetail {
  /** HTTP status, or 0 when no answer arrived (connection lost, timeout). */
  httpStatus: number;
  /** Alma `errorCode` (string even when Alma sent a number), or a transport code such as `ECONNRESET`. */
  code: string;
  message: string;
  trackingId?: string | undefined;
  /**
   * The answer carried none of the API's error documents (a proxy's or firewall's page, an
   * empty body): its status is all there is, and it may not come from the API at all.
   */
  bare?: boolean | undefined;
  /**
   * The answer is the one an earlier request under the same idempotency key got, replayed
   * (Alguna's `Idempotent-Replayed: true`): a refusal so replayed is not this request's verdict.
   */
  replayed?: boolean | undefined;
  /**
   * The API's own error document came under a 2xx status (Alma's `errorsExist: true`,
   * docs/alma.md#errors-error-codes-and-alerts): a refusal as its 4xx twin is, not an acceptance.
   */
  inSuccess?: boolean | undefined;
  /**
   * An earlier attempt of this write may have reached the API and been applied (a reset or a
   * timeout after sending, a 5xx): a write sent as idempotent (an idempotency key, an id of our
   * own) is retried past such an attempt, and this error, its last attempt's, is not all that
   * happened (transport/http.ts). Its outcome is unknown whatever this attempt says (`writeVerdict`).
   */
  reached?: boolean | undefined;
}

/**
 * What a failed write did to the target, read from its error alone: the one rule the journal, the
 * `write` event (engine.ts `sendJournaled`) and the operations' `writes` (operations.ts) share, so
 * that the journal never says "refused, send it again at once" where the report says "may have been
 * written", or the other way round. Unknown wins wherever a byte may have reached the target: a
 * re-run sends a refused or unsent write again without looking for what it made, and sends an
 * unknown one only once a look-up shows it absent (README "Unknown outcomes are reconciled").
 * - `unsent`: it never left — a Ctrl-C before its turn (`NotSentError`), or a status 0 that is no
 *   unknown outcome (a connection refused or a name not found before any byte; a target's own
 *   refusal before sending, such as FOLIO's unknown vendor);
 * - `refused`: the API answered a definite refusal, and applied nothing — its error document under a
 *   2xx (`inSuccess`, docs/alma.md#errors-error-codes-and-alerts) or a 4xx, a 429 included (it
 *   asks to slow down: transport/retry.ts);
 * - `unknown`: it may have been written — `UnknownOutcomeError`, an earlier attempt that `reached`
 *   the API, a 5xx or a 408 (the server may have done the work first: transport/retry.ts
 *   `classify`), a 2xx the loader could not use (an `IdNotKeptError`, an answer without an id),
 *   and anything that is not the API's answer at all.
 */
export type WriteVerdict = 'refused' | 'unsent' | 'unknown';

export function writeVerdict(err: unknown): WriteVerdict {
  return err instanceof ApiError && err.reached ? 'unknown' : answerVerdict(err);
}

/** `writeVerdict` of the last answer alone, whatever an earlier attempt may have done (`reached`). */
function answerVerdict(err: unknown): WriteVerdict {
  if (err instanceof NotSentError) return 'unsent';
  if (!(err instanceof ApiError) || err instanceof UnknownOutcomeError) return 'unknown';
  if (err.inSuccess) return 'refused';
  if (err.httpStatus === 0) return 'unsent';
  return err.httpStatus >= 400 && err.httpStatus < 500 && err.httpStatus !== 408 ? 'refused' : 'unknown';
}

/**
 * A refusal of this request (`writeVerdict` refused, but a 429, which asks to slow down rather
 * than refusing what was sent): a 4xx or the API's error document under a 2xx, `inSuccess`, read
 * by its code whatever its 4xx status — Alma's OAS gives no status per code, and an
 * implementation may say "not found" with 404 or "exists" with 409
 * (docs/alma.md#errors-error-codes-and-alerts). Never an unknown outcome (`UnknownOutcomeError`,
 * a 408, an earlier attempt that `reached` the API): a refusal that may not be all that happened.
 */
export const isRefusal = (err: ApiError): boolean => writeVerdict(err) === 'refused' && err.httpStatus !== 429;

/**
 * The last answer itself refused (as `isRefusal`), whatever an earlier attempt may have done
 * (`reached`): for a request whose earlier attempts change nothing the refusal says — a login
 * refused for its password is refused however many 502s came before it (folio/client.ts).
 */
export const answerRefused = (err: ApiError): boolean => answerVerdict(err) === 'refused' && err.httpStatus !== 429;

/** An answer from the API that is an error (parsed from any of Alma's three error shapes). */
export class ApiError extends Error implements ApiErrorDetail {
  readonly httpStatus: number;
  readonly code: string;
  readonly trackingId: string | undefined;
  readonly bare: boolean;
  readonly replayed: boolean;
  readonly inSuccess: boolean;
  readonly reached: boolean;
  constructor(detail: ApiErrorDetail) {
    super(detail.message);
    // The class's own name (AuthError, DailyLimitError, …): subclasses need no constructor for it.
    this.name = new.target.name;
    this.httpStatus = detail.httpStatus;
    this.code = detail.code;
    this.trackingId = detail.trackingId;
    this.bare = detail.bare === true;
    this.replayed = detail.replayed === true;
    this.inSuccess = detail.inSuccess === true;
    this.reached = detail.reached === true;
  }
  get detail(): ApiErrorDetail {
    return {
      httpStatus: this.httpStatus,
      code: this.code,
      message: this.message,
      trackingId: this.trackingId,
      ...(this.bare ? { bare: true } : {}),
      ...(this.replayed ? { replayed: true } : {}),
      ...(this.inSuccess ? { inSuccess: true } : {}),
      ...(this.reached ? { reached: true } : {}),
    };
  }
}

/** The code of an invoice whose record (or line) the target made under another id than the loader gave it. */
export const ID_NOT_KEPT = 'ID_NOT_KEPT';

/**
 * The target made a record under another id than the one the loader gave it (FOLIO: a create's
 * answer carries its own `id`). Exactly-once rests on the target keeping the loader's ids
 * (docs/folio.md "Exactly once"), so the run stops before anything else is written (engine.ts);
 * the invoice it happened to (`key`) fails with ID_NOT_KEPT.
 */
export class IdNotKeptError extends ApiError {
  constructor(
    detail: { httpStatus: number; message: string },
    readonly key: { vendor: string; number: string },
    readonly sent: string,
    readonly held: string,
    /** The line number, when it was a line's id. */
    readonly line?: string | undefined,
    /** The file's name, when it was a document's id (FOLIO: the invoice's documents). */
    readonly file?: string | undefined,
  ) {
    super({ ...detail, code: ID_NOT_KEPT });
  }
}

/**
 * What the client knew when the key was refused: whether the refused request was a write, and
 * whether the same client had read with the key before (a 2xx to a GET or HEAD). Both: the key works,
 * for reading only.
 */
export interface KeyUse {
  write: boolean;
  readsAccepted: boolean;
}

/** The key was refused (401/403, Alma `UNAUTHORIZED`). The whole run stops. Exit 5. */
export class AuthError extends ApiError {
  readonly use: KeyUse | undefined;
  constructor(detail: ApiErrorDetail, use?: KeyUse) {
    super(detail);
    this.use = use;
  }
}

/** The institution's daily API threshold is used up. The run stops cleanly. Exit 4. */
export class DailyLimitError extends ApiError {}

/**
 * The API refused a request (429) asking to wait longer (Retry-After) than the loader waits
 * (`RetryOptions.maxWaitMs`): every other request would be refused the same way, so the run
 * stops cleanly, as at the daily threshold. A refusal: nothing of the request was applied. Exit 4.
 */
/**
 * The longest wait a Retry-After is read as (a year): a larger one — `99999999999999999999`
 * seconds, a date centuries ahead — still stops the run, said as "a year or more", and until
 * when stays a real date (transport/retry.ts `parseRetryAfter`, engine/events.ts).
 */
export const RETRY_AFTER_CAP_MS = 365 * 24 * 60 * 60 * 1000;

export class RetryAfterError extends ApiError {
  /** How long the API asked to wait, ms. */
  readonly waitMs: number;
  /** When that wait ends (ms since the epoch, on the transport's clock). */
  readonly until: number;
  /**
   * Not a Retry-After: nothing but per-second refusals (429) came for `forMs`, though the loader
   * slowed to `rate` requests a second (transport/http.ts `REFUSED_STOP_MS`).
   */
  refused?: { forMs: number; rate?: number };
  constructor(detail: ApiErrorDetail, waitMs: number, until: number) {
    super(detail);
    this.waitMs = waitMs;
    this.until = until;
  }
}

/**
 * The request may or may not have taken effect: the connection was lost after the request was
 * sent, the answer timed out, or a 5xx came back. A POST that ends like this is never sent
 * again before the target has been asked what exists.
 */
export class UnknownOutcomeError extends ApiError {
  constructor(detail: ApiErrorDetail, options?: { cause?: unknown }) {
    super(detail);
    this.name = 'UnknownOutcomeError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A write the hard stop (the second Ctrl-C) ended before it left: it was waiting for its turn at
 * the rate limiter or for a retry after a refusal that did nothing (a 429), or the connection
 * provably carried none of it. Nothing reached the target, so the journal settles its intent and a
 * re-run sends it at once instead of looking for what it might have made. An interruption like
 * the signal's own AbortError, and named like it.
 */
export class NotSentError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what} was not sent: the run was stopped before its turn`);
    this.name = 'AbortError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The run was interrupted (SIGINT/SIGTERM) after the journal was flushed. Exit 130. */
/**
 * A request or wait cut short by the hard stop (second Ctrl-C): the signal's AbortError from a
 * read, a wait or the limiter (NotSentError is named so too), or `ABORTED` from a write that may
 * have gone out. Only ever an interruption (the caller checks that a stop was asked for).
 */
export const isAbort = (err: unknown): boolean =>
  (err instanceof ApiError && err.code === 'ABORTED') ||
  (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError');

export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** The journal is unreadable, foreign, or locked by another run. Exit 2. */
export class JournalError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/** The outbound proxy would not open a tunnel to the API (transport/http.ts `proxyRefusal`). */
export const PROXY_REFUSED = 'PROXY_REFUSED';
/** The outbound proxy could not reach the API (a 502/503/504 to CONNECT): as a refused connection. */
export const PROXY_UPSTREAM = 'PROXY_UPSTREAM';
/**
 * The outbound proxy closed the connection without answering the CONNECT that opens a tunnel to
 * the API (transport/http.ts `proxyLeg`): nothing reached the API; retried as a refused connection.
 */
export const PROXY_CLOSED = 'PROXY_CLOSED';

/**
 * Errors that say the target cannot be reached at all — no such host, nothing listening, a
 * connection or TLS handshake that fails or never completes, a proxy that refuses the tunnel —
 * whatever is sent: one stop, not one failure per invoice. Like a refusal, a connect timeout
 * sent nothing (transport/retry.ts retries it so, with an outage's patience once the target has
 * answered). (A reset, or a timeout waiting for an answer, on one request is not among them: the
 * next may well get through; targets/alma/answers.ts says when none was answered at all.)
 */
const UNREACHABLE = new Set([
  PROXY_REFUSED,
  PROXY_UPSTREAM,
  PROXY_CLOSED,
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'EPROTO',
]);

/**
 * The codes Node gives when the server's first bytes are not a TLS record — an https:// address
 * on a plain-HTTP port: OpenSSL's "wrong version number", or "packet length too long" when the
 * bytes read as a record of impossible size.
 */
const TLS_MISMATCH = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/**
 * The requests before the first write were answered, but never as Alma's API answers
 * (targets/alma/answers.ts): the address leads somewhere else. Stops the run as an unreachable
 * target does.
 */
export const NOT_ALMA_API = 'NOT_ALMA_API';

/**
 * The requests before the first write were sent, and every one that ended timed out before any
 * was answered (targets/alma/answers.ts): a host that takes connections but does not answer.
 * Stops the run as an unreachable target does.
 */
export const NO_ANSWER = 'NO_ANSWER';

/**
 * How NO_ANSWER says a host that closed every connection without answering (targets/alma/answers.ts):
 * not a slow host, so its stop does not advise a longer --timeout (`unreachableText`).
 */
export const CLOSED_UNANSWERED = 'the host takes the connection and closes it without answering (an http:// address on an https port does so)';

/**
 * The requests before the first write were answered, but each only with a bare 5xx (a gateway
 * or proxy: targets/alma/answers.ts): Alma, or the way to it, is down. Stops the run as an
 * unreachable target does.
 */
export const GATEWAY_DOWN = 'GATEWAY_DOWN';

const UNREACHABLE_VERDICTS = new Set([NOT_ALMA_API, NO_ANSWER, GATEWAY_DOWN]);

/**
 * How a refused connection to the proxy (https_proxy, http_proxy) begins its words, after the
 * request (transport/http.ts): `the proxy http://proxy.example.edu:3128 (from
 * https_proxy/HTTPS_PROXY) refused the connection (…)`. The code stays the network's
 * (ECONNREFUSED, retried as any refused connection is); the stop's advice is the proxy's.
 */
export const PROXY_DOWN_WORDS = 'the proxy';
const PROXY_DOWN = /: the proxy (\S+) \(from (\S+)\) refused the connection/;

export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiError && err.httpStatus === 0 && (UNREACHABLE.has(err.code) || UNREACHABLE_VERDICTS.has(err.code));
}

/**
 * What a refused key means, in one clause for the stop's line. Three cases a person fixes in
 * different places:
 * - a write refused after the same key read: the key is read-only for the API (Alma's keys are
 *   read-only or read/write per area, and loading invoices needs Acquisitions read/write:
 *   docs/alma.md#requests-hosts-keys-and-thresholds) — the key's settings, not the key;
 * - a 401/403 without the API's error document (`bare`): a proxy, a firewall or another server
 *   answered, not the API — the network or the address, not the key;
 * - otherwise the key itself (wrong, expired, or for another environment).
 */
export function keyRefusedText(err: ApiError, label: string): string {
  const tracking = err.trackingId !== undefined ? `, tracking id ${err.trackingId}` : '';
  const said = `${err.code}: ${err.message}${tracking}`;
  const use = err instanceof AuthError ? err.use : undefined;
  if (err.bare) {
    return `a request was refused without ${label}'s error document (${said}): a proxy, a firewall or a server that is not ${label}'s API answered — check the address and the network before the key`;
  }
  if (use?.write === true && use.readsAccepted) {
    const access = label === 'Alma' ? 'read/write access to Acquisitions' : 'write access';
    return `${label} accepted the API key for reading but refused it for writing (${said}): the key is probably read-only — give it ${access}, or use a key that has it`;
  }
  return `the API key was refused (${said})`;
}

/**
 * What a stop on an unreachable target says, and what to check: NOT_ALMA_API's own message
 * says what came back instead; any other names the network's code and words. The caller adds
 * what was sent.
 */
export function unreachableText(err: ApiError, label: string): string {
  if (err.code === NOT_ALMA_API) return err.message;
  if (TLS_MISMATCH.has(err.code)) {
    return `cannot reach ${label}: ${err.code} (${err.message}) — the port speaks plain HTTP, not TLS: use http:// or the TLS port in the address (--alma-url, --region, --api-url), then run the same command again`;
  }
  if (err.code === GATEWAY_DOWN) return `cannot reach ${label}: ${err.message}`;
  const proxy = err.code === 'ECONNREFUSED' ? PROXY_DOWN.exec(err.message) : null;
  if (proxy !== null) {
    // The proxy refused, not the API: the address given is not what to check (README, Proxies).
    return `cannot reach ${label}: ${err.code} (${err.message}) — check that the proxy ${proxy[1]} is running and that ${proxy[2]} names it right (or unset it to go direct), then run the same command again`;
  }
  if (err.code === NO_ANSWER && err.message.includes(CLOSED_UNANSWERED)) {
    return `cannot reach ${label}: ${err.message} — check the address (--alma-url, --region, --api-url: http:// or https://, and the port), the network and proxy; then run the same command again`;
  }
  if (err.code === NO_ANSWER) {
    return `cannot reach ${label}: ${err.message} — check the address (--alma-url, --region, --api-url), the network and proxy, or, if ${label} is only slow, give it a longer --timeout; then run the same command again`;
  }
  return `cannot reach ${label}: ${err.code} (${err.message}) — check the address (--alma-url, --region, --api-url), the network, proxy and certificates, then run the same command again`;
}

/**
 * The journal could not be written (a full disk, a quota, a file system gone read-only or bad).
 * Nothing more may be sent: a write is sent only once its intent is on disk. Met before anything
 * was sent (opening the journal), it is the state dir that cannot be used: exit 2; during a run
 * it stops the run (`journal`), and the journal as written lets a re-run settle what was sent.
 */
export class JournalWriteError extends UsageError {
  constructor(
    readonly path: string,
    /** The system's code, such as ENOSPC. */
    readonly code: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot write the journal ${path}: ${reason}`, options);
    this.name = 'JournalWriteError';
  }
}

/**
 * The stop a failure means for the whole run, not for one request: a refused key (`auth`), the
 * daily threshold spent (`daily_limit`), a Retry-After longer than the loader waits
 * (`retry_after`), a target that cannot be reached (`unreachable`), a
 * journal that cannot be written (`journal`). After any of them nothing more can be sent, or
 * succeed. Undefined for every other failure.
 */
export function runStopOf(err: unknown): 'auth' | 'daily_limit' | 'retry_after' | 'unreachable' | 'journal' | undefined {
  if (err instanceof JournalWriteError) return 'journal';
  if (err instanceof AuthError) return 'auth';
  if (err instanceof DailyLimitError) return 'daily_limit';
  if (err instanceof RetryAfterError) return 'retry_after';
  return isUnreachable(err) ? 'unreachable' : undefined;
}
