import { ApiError, CLOSED_UNANSWERED, GATEWAY_DOWN, NO_ANSWER, NOT_ALMA_API } from '../../common/errors.js';
import type { JsonClient } from '../../transport/http.js';

/**
 * Whether the answers came from Alma's API: the checks before sending, and the look-ups beside
 * them (with `--check none` the only requests before the first write). Alma answers a read with
 * JSON, and a refusal with its error document (docs/alma.md#errors-error-codes-and-alerts); a
 * bare HTTP status ("HTTP 404 with no error details") or an HTML page is what a wrong address
 * gives — the Alma web interface's address instead of the API gateway's, a missing
 * `/almaws/v1`, a proxy's page. Only a body Alma could never send counts against the address
 * (`ApiError.bare`: a page, an empty body, a status alone); Alma's error document with a field
 * missing (no `errorCode`) is Alma answering badly, and JSON cut short on the way counts for
 * neither. Without this, every check became a "could not check" warning, and then every invoice
 * failed at its look-up, one by one, with advice to fix the file or to run again.
 *
 * And whether anything answered at all: a host that takes the connection but never answers
 * (a dead backend behind a live port) timed out every check, five attempts each, then every
 * look-up, before one failure per invoice. A request whose attempts all timed out before any
 * request on the same client was answered stops the run as unreachable (`NO_ANSWER`); so does
 * one whose answers all began but never ended (a body timeout), before any answer came whole. Only
 * in the first round (while the watch is open: from its creation, or `open()`, until its
 * verdict or `close()`), and only before any answer: a slow Alma that answers some requests, or
 * a timeout after Alma has answered once, is one request's trouble, retried and reported as such.
 * (Requests outside the watches, the writes, are not heard: hence the round, before any write.)
 *
 * A bare 5xx is not a wrong address: it is a gateway or proxy saying that what stands behind it
 * (Alma, or the way to it) is down (RFC 9110 §15.6.3–5: 502, 503, 504). When every request
 * answered was answered so, the stop says that, and to run again later — not to check the address.
 */
export class AnswerWatch {
  readonly #what: string;
  #alma = 0;
  #other = 0;
  #first: string | undefined;
  /** Bare 5xx answers (`gatewayAnswer`): a gateway or proxy, not Alma's API. */
  #down = 0;
  #downStatuses = new Set<number>();
  #firstDown: string | undefined;
  #open: boolean;

  /** `what` names the requests in the message: `checks`, `look-ups`; `open`: whether the first round starts now (default). */
  constructor(what: string, opts: { open?: boolean } = {}) {
    this.#what = what;
    this.#open = opts.open ?? true;
  }

  /** The first round starts: a timeout before any answer is a host that does not answer. */
  open(): void {
    this.#open = true;
  }

  /** The first round is over, with or without a verdict. */
  close(): void {
    this.#open = false;
  }

  watch(http: JsonClient): JsonClient {
    const heard = heardOn(http);
    return {
      json: async (req) => {
        try {
          const v = await http.json(req);
          this.#alma++;
          heard.answered = true;
          heard.otherwise = true;
          return v;
        } catch (err) {
          if (err instanceof ApiError && gatewayAnswer(err)) {
            this.#down++;
            this.#downStatuses.add(err.httpStatus);
            this.#firstDown ??= `${req.method} ${req.path}: ${err.message}`;
          } else if (err instanceof ApiError && err.bare) {
            // Nothing of Alma's in it (an HTML page, a login or proxy page, an empty body, a bare
            // status): what a wrong address answers, never Alma's API.
            this.#other++;
            this.#first ??= `${req.method} ${req.path}: ${err.code === 'BAD_RESPONSE' ? err.message.replace(/^unreadable answer to \S+ \S+ \([^)]*\): /, '') : err.message}`;
          } else if (err instanceof ApiError && err.code === 'BAD_RESPONSE' && !err.inSuccess) {
            // JSON cut short or broken on the way: it says neither that Alma answered nor that
            // something else did, so it counts for neither (the request fails on its own).
          } else if (err instanceof ApiError && err.httpStatus > 0) {
            // Alma's refusal, or its error document with a field missing (no errorCode, under a 2xx
            // or a 4xx): a bad answer from Alma, not a wrong address (docs/alma.md#errors-error-codes-and-alerts).
            this.#alma++;
          }
          if (err instanceof ApiError && err.httpStatus > 0) {
            heard.answered = true;
            if (!(gatewayAnswer(err) && GATEWAY.test(err.code))) heard.otherwise = true;
            // All of its attempts spent on a gateway's answer, and nothing on this client answered
            // otherwise, in the first round (before any write): every other request of the round
            // would spend as many (the sample batch's checks: 170 attempts, 21 s) only to end in
            // the same verdict. The stop halts them (cli/send.ts), as NO_ANSWER's does.
            else if (!heard.otherwise && this.#open) throw this.#gatewayDown(true);
          } else if (err instanceof ApiError && err.code === HEADERS_TIMEOUT && !heard.answered && this.#open) {
            throw new ApiError({
              httpStatus: 0,
              code: NO_ANSWER,
              message: `nothing answered the ${this.#what} (${err.code}: ${err.message}): the host takes the connection but does not answer`,
            });
          } else if (err instanceof ApiError && SOCKET_CLOSED.has(err.code) && !heard.answered && this.#open) {
            // Every attempt's connection closed without an answer, and nothing on this client was
            // answered: a port that speaks something else (http:// to an https port) or a host
            // that drops every request. Each check and look-up would spend its five attempts the
            // same way (230 requests, 31 s for the sample batch) before one failure per invoice.
            throw new ApiError({
              httpStatus: 0,
              code: NO_ANSWER,
              message: `nothing answered the ${this.#what} (${err.code}: ${err.message}): ${CLOSED_UNANSWERED}`,
            });
          } else if (err instanceof ApiError && err.code === BODY_TIMEOUT && !heard.answered && this.#open) {
            // Headers came, the body never ended (an answer trickling forever), and no request has
            // been answered whole: every check and look-up would spend its five attempts the same
            // way (230 requests, 101 s at --timeout 3) before one failure per invoice. The same
            // stop as a host that never answers, in words true of it: Alma did begin to answer.
            throw new ApiError({
              httpStatus: 0,
              code: NO_ANSWER,
              message: `Alma began answering the ${this.#what} but never finished an answer (${err.code}: ${err.message})`,
            });
          }
          throw err;
        }
      },
    };
  }

  /** GATEWAY_DOWN: the requests that ended were each answered a bare 5xx only; `early`: before the others ended. */
  #gatewayDown(early: boolean): ApiError {
    const statuses = [...this.#downStatuses].sort((a, b) => a - b).join('/');
    const which = early
      ? `every attempt of the ${this.#what} (${this.#down === 1 ? 'the first to end' : `the first ${this.#down} to end`}), and nothing answered otherwise`
      : `every one of the ${this.#down} ${this.#what}`;
    return new ApiError({
      httpStatus: 0,
      code: GATEWAY_DOWN,
      message: `the gateway or proxy in front of Alma answered ${statuses} to ${which} (${this.#firstDown ?? ''}): Alma, or the way to it, is down — run the same command again later`,
    });
  }

  /**
   * Throws when no request was answered as Alma's API answers and at least one was answered
   * otherwise: by a gateway's 5xx only (`GATEWAY_DOWN`), or by anything else (`NOT_ALMA_API`).
   */
  verdict(): void {
    this.#open = false;
    if (this.#alma > 0) return;
    if (this.#other === 0 && this.#down > 0) throw this.#gatewayDown(false);
    if (this.#other === 0) return;
    throw new ApiError({
      httpStatus: 0,
      code: NOT_ALMA_API,
      message:
        `the address does not answer as Alma's API: none of the ${this.#other} ${this.#what} got JSON or Alma's error document (${this.#first ?? ''}) — ` +
        "check that it is Alma's API gateway (https://api-<region>.hosted.exlibrisgroup.com, or --region), not the Alma web page",
    });
  }
}

/** A bare 502, 503 or 504 (no Alma error document): a gateway or proxy saying what is behind it is down. */
const GATEWAY = /^HTTP_50[234]$/;

/**
 * A 5xx that carries nothing of Alma's (`bare`: an HTML page, an empty body, a gateway's text):
 * the gateway or proxy in front of Alma answered. A 5xx with Alma's error document
 * (`web_service_result`, `errorsExist`), with or without an `errorCode`, is Alma answering
 * (docs/alma.md#errors-error-codes-and-alerts: Alma wraps its 5xx errors in
 * `web_service_result`), however the code reads: a document without one is given `HTTP_<status>`
 * (errors.ts), the same code a bare answer gets.
 */
const gatewayAnswer = (err: ApiError): boolean => err.bare && /^HTTP_5\d\d$/.test(err.code);

/** undici's timeout waiting for an answer's headers (`--timeout`): connected, sent, no answer. */
const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';

/** The answer's headers came but its body did not end within `--timeout` (transport/http.ts `bodyWithin`, or undici's own). */
const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';

/** The connection closed before any answer: undici's "other side closed", a reset. */
const SOCKET_CLOSED = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/**
 * Whether any request watched on a client was answered, shared by every watch on it: a load's
 * checks and its look-ups run beside each other on one client, and an answer to either says the
 * target is there.
 */
const heardBy = new WeakMap<JsonClient, Heard>();

interface Heard {
  /** Some request was answered, a gateway's 5xx included. */
  answered: boolean;
  /** Some request was answered other than by a gateway's bare 502–504 (`gatewayAnswer`, `GATEWAY`). */
  otherwise: boolean;
}

function heardOn(http: JsonClient): Heard {
  let heard = heardBy.get(http);
  if (heard === undefined) heardBy.set(http, (heard = { answered: false, otherwise: false }));
  return heard;
}
