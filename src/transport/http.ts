/**
 * A small JSON-over-HTTP client shared by every target: undici transport, global pacing,
 * the retry policy of `src/transport/retry.ts`, timeouts, Ctrl-C, and events for the terminal.
 * It knows nothing about Alma; a target passes its base URL, headers and a `parseError` hook.
 *
 * Not undici's RetryAgent: it skips POST by default, has no jitter, and loses the final
 * error body (https://github.com/nodejs/undici/issues/4080 and /3837). One explicit loop instead.
 */
import { setMaxListeners } from 'node:events';
import { Agent, Dispatcher, EnvHttpProxyAgent, Pool } from 'undici';
import { decide, DEFAULT_RETRY, isSafeMethod, mayHaveApplied, neverSent, type Decision, type Outcome, type RetryOptions } from './retry.js';
import { defaultSleep, RateLimiter, unlimited, type Limiter } from './limiter.js';
import { ApiError, AuthError, DailyLimitError, NotSentError, UsageError, RetryAfterError, PROXY_CLOSED, PROXY_DOWN_WORDS, PROXY_REFUSED, PROXY_UPSTREAM, UnknownOutcomeError, type ApiErrorDetail } from '../common/errors.js';
import { parseJson, stringifyJson, type JsonValue } from '../common/json.js';
import { maskList, maskSecrets } from '../common/mask.js';
import { maskMessage } from '../common/shown-secrets.js';
import { noProxyAll, reachedDirectly } from '../common/proxy.js';
import { waitText } from '../common/time.js';
import type { TargetEventSink } from './events.js';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * The transport settings every target takes and hands to its `HttpClient` whole: pacing,
 * retries, timeouts, injected clock and randomness, Ctrl-C, events.
 */
export interface TransportOptions {
  /** Transport. Default: an `Agent` with the timeouts below. Tests pass a `MockAgent`. */
  dispatcher?: Dispatcher | undefined;
  /**
   * Whether `dispatcher` reports `onRequestSent` (real undici clients do; MockAgent does
   * not). When it does, a failed POST whose bytes provably never left can be retried.
   * True for the default Agent.
   */
  reportsRequestSent?: boolean | undefined;
  /** Headers and body timeouts, ms (undici's default of 300 s is too long for a CLI). Default 30 000. */
  timeoutMs?: number | undefined;
  /** Global pacing shared by every worker. Pass one to pace several clients together. Default: none (`limiterFor` makes one at `rate`). */
  limiter?: Limiter | undefined;
  /** Requests per second for the limiter `limiterFor` makes when `limiter` is not given. Default 10. */
  rate?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** Shortcut for `retry.maxRetries`. */
  maxRetries?: number | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  /** Wall clock in ms (durations, Retry-After dates). Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Ctrl-C: aborts waits and requests in flight. */
  signal?: AbortSignal | undefined;
  /**
   * The run has stopped for a reason that makes any further request pointless (the target
   * cannot be reached, the key is refused, the daily threshold is spent): no attempt is sent
   * after it. Requests in flight are left to end, so no answer to a write is thrown away; a
   * request waiting to retry ends at once with the error its last attempt would have ended it
   * with, and one not sent yet with the signal's reason.
   */
  halt?: AbortSignal | undefined;
  /**
   * The first Ctrl-C: requests in flight are answered, but nothing waiting is sent after it — a
   * request waiting for its turn (a write ends `NotSentError`: none of it left) and a retry's wait
   * end at once with an abort, and a write asked for later is not sent (a read asked for later is:
   * the run's last look at what it processed, engine/watch.ts). A
   * request is retried only when its earlier attempt provably did nothing (a refusal before the
   * work, a connection never made) or when repeating is harmless, so nothing is left uncertain;
   * without this, a run whose target went away would go on retrying for as long as an outage
   * may last (`--timeout`) after the person asked it to stop.
   */
  stop?: AbortSignal | undefined;
  onEvent?: TargetEventSink | undefined;
  /**
   * The HTTP proxy the API is reached through (an institution's outbound proxy), as the CLI read
   * it from `https_proxy`, `http_proxy` and `no_proxy`; absent: straight to the API. Loopback
   * hosts are never proxied (see `proxyDispatcher`).
   */
  proxy?: ProxySettings | undefined;
}

/** An HTTP proxy: URLs for https and http requests ('' for none), and hosts to reach directly. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  /** The variable each came from (`https_proxy`, `HTTPS_PROXY`), for the words that name it; absent: both spellings. */
  httpFrom?: string | undefined;
  httpsFrom?: string | undefined;
  /** Comma- or space-separated host names (`.example.org`, `*.example.org`, `host:port`). */
  noProxy: string;
  /**
   * Why the variable for http or https requests cannot be used (a socks proxy, a value that is not
   * a URL): said as a usage error by a run that would send through it (proxyDispatcher), not by
   * one that never does (an offline dry run, the embedded sandbox on loopback).
   */
  refusedHttp?: string | undefined;
  refusedHttps?: string | undefined;
}

/**
 * Hosts never sent through a proxy: a proxy's own loopback is not this machine's, so a local
 * stand-in for the API (the embedded sandbox, a test server) is reached directly whatever the
 * environment says.
 */
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The dispatcher for `proxy`: undici's EnvHttpProxyAgent given every value explicitly (an empty
 * one means none), so it reads nothing from the environment itself. An https API is reached
 * through a CONNECT tunnel; an http one (a test stand-in) in the proxy's plain forward form
 * (`proxyTunnel: false`), since proxies commonly allow CONNECT to port 443 only (squid's
 * default `http_access deny CONNECT !SSL_ports`).
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/EnvHttpProxyAgent.md
 * https://github.com/nodejs/undici/blob/main/docs/docs/api/ProxyAgent.md
 */
function proxyDispatcher(proxy: ProxySettings, agent: Agent.Options, connectTimeoutMs: number, baseUrl: string): Dispatcher {
  // `no_proxy=*`: no host is proxied (common/proxy.ts). undici takes `*` so only when it is the
  // whole value, and the loopback hosts added below made it one entry among others: every
  // request still went through the proxy.
  const url = new URL(baseUrl);
  const refused = url.protocol === 'https:' ? proxy.refusedHttps : proxy.refusedHttp;
  // Only for a request it would carry: not one no_proxy (or loopback) sends directly.
  if (refused !== undefined && !reachedDirectly([proxy.noProxy, ...LOOPBACK].join(','), url)) throw new UsageError(refused);
  const via = proxyFor(proxy, baseUrl);
  if (via === undefined || noProxyAll(proxy)) return new Agent(agent);
  const noProxy = [proxy.noProxy, ...LOOPBACK].filter((x) => x !== '').join(',');
  return new EnvHttpProxyAgent({
    ...agent,
    proxyTunnel: false,
    // The one proxy for this client's scheme for both: undici's agent takes http_proxy for https
    // requests when https_proxy is empty, and curl does not ("http_proxy … only for HTTP";
    // https://everything.curl.dev/usingcurl/proxies/env.html).
    httpProxy: via.url,
    httpsProxy: via.url,
    noProxy,
    // The proxy's own leg, which the agent's timeouts do not reach: ProxyAgent makes the client
    // that sends CONNECT with connect options only (proxy-agent.js `clientFactory(url, { connect })`),
    // so a proxy that takes the connection and never answers CONNECT held every attempt for
    // undici's default headersTimeout, 300 s, whatever --timeout said — and a SIGTERM with it.
    // The CONNECT gets the same limit as any answer, and the connections to the proxy and, through
    // the tunnel, to the API the same connect timeout as a direct one.
    clientFactory: (origin: URL, opts: object) => proxyLeg(origin, { ...opts, headersTimeout: agent.headersTimeout, bodyTimeout: agent.bodyTimeout }),
    proxyTls: { timeout: connectTimeoutMs },
    requestTls: { timeout: connectTimeoutMs },
  });
}

/**
 * The client that talks to the proxy itself. A CONNECT it times out on keeps undici's code
 * (UND_ERR_HEADERS_TIMEOUT: what a host that takes the connection and never answers gives, and
 * the stop the checks make of it, targets/alma/answers.ts), with words that name the proxy.
 * One the proxy drops without an answer becomes PROXY_CLOSED: undici's own error for it
 * (UND_ERR_SOCKET, "other side closed") is one its client takes for a passing socket error while
 * connecting, and connects again at once with the request still queued (client.js `onError`) —
 * a loop of a thousand connections a second that never ended the request.
 */
function proxyLeg(origin: URL, opts: Pool.Options): Dispatcher {
  const pool = new Pool(origin, opts);
  const connect = pool.connect.bind(pool) as (o: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
  const seconds = Math.round((opts.headersTimeout ?? 300_000) / 100) / 10;
  Object.assign(pool, {
    connect: async (o: Dispatcher.ConnectOptions) => {
      try {
        return await connect(o);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'UND_ERR_HEADERS_TIMEOUT' && err instanceof Error) {
          err.message = `the proxy ${origin.host} took the connection but did not answer CONNECT ${o.path} within ${seconds} s`;
        }
        if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
          const said = err instanceof Error ? `: ${err.message}` : '';
          throw Object.assign(new Error(`the proxy ${origin.host} closed the connection without answering CONNECT ${o.path}${said}`, { cause: err }), { code: PROXY_CLOSED });
        }
        throw err;
      }
    },
  });
  return pool;
}

/**
 * The proxy an API at `baseUrl` is reached through, and the variable it came from: `https_proxy`
 * for an https API, `http_proxy` for an http one — as curl reads them: an https request never
 * goes through `http_proxy` (https://everything.curl.dev/usingcurl/proxies/env.html). Undefined:
 * straight to the API.
 */
export function proxyFor(proxy: ProxySettings | undefined, baseUrl: string): { url: string; from: string } | undefined {
  if (proxy === undefined) return undefined;
  let https = true;
  try {
    https = new URL(baseUrl).protocol !== 'http:';
  } catch {
    // The URL was checked before a client is made; an unparseable one fails at its first request.
  }
  const url = https ? proxy.httpsProxy : proxy.httpProxy;
  if (url === '') return undefined;
  return { url, from: https ? (proxy.httpsFrom ?? 'https_proxy/HTTPS_PROXY') : (proxy.httpFrom ?? 'http_proxy/HTTP_PROXY') };
}

/** The password of a proxy URL (`http://user:secret@proxy:3128`), to be masked in messages like the key. */
function proxySecrets(proxy: ProxySettings | undefined): string[] {
  const out: string[] = [];
  for (const u of [proxy?.httpProxy, proxy?.httpsProxy]) {
    if (!u) continue;
    try {
      const password = new URL(u).password;
      if (password !== '') out.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: undici refuses it when the agent is made, with its own message.
    }
  }
  return out;
}

/**
 * The limiter a target paces with: the one given (shared by several clients), else its own at
 * `rate` (default 10). An injected sleep comes with its clock: the limiter measures time on the same one.
 */
export function limiterFor(opts: TransportOptions): Limiter {
  return opts.limiter ?? new RateLimiter({ rate: opts.rate ?? 10, now: opts.now, sleep: opts.sleep, onEvent: opts.onEvent });
}

/** One API's client: the transport settings, plus what the API itself dictates. */
export interface HttpClientOptions extends TransportOptions {
  /** Scheme, host, port and path prefix; request paths are appended (`https://h/almaws/v1`). */
  baseUrl: string;
  /** Sent on every request. May hold the key: kept private, never put in errors or events. */
  headers?: Record<string, string> | undefined;
  /** Values to mask (`***`) wherever a message could echo them: the API key. */
  secrets?: readonly string[] | undefined;
  /** Turns an error answer into an `ApiError` with the API's own code and message. */
  parseError: (status: number, headers: ResponseHeaders, bodyText: string) => ApiError;
  /**
   * Optional: the API's error document found in a 2xx answer read as JSON (Alma's
   * `errorsExist: true`, docs/alma.md#errors-error-codes-and-alerts), or undefined. Such an
   * answer is then handled as an error answer of that status: classified by its code (retry.ts
   * `classify`: a business code is a definite refusal), and every field the server wrote masked
   * as any error answer's is (`#detail`) — a gateway may echo the key in it. A document that
   * carries no code says so with `code` undefined, never with a code of ours: a server's own
   * code could be spelled the same (`ErrorDocument`).
   */
  errorInAnswer?: ((status: number, value: JsonValue) => ErrorDocument | undefined) | undefined;
  /**
   * Optional: whether an error answer says, in itself, that the request did nothing (Alguna's
   * `Transient-Error: true`, https://alguna.com/docs/api-reference/v2/idempotency). Such a 5xx
   * to a write is sent again at once, as a 429 is, instead of ending as an unknown outcome
   * (retry.ts `classify`); given up on, it is a definite failure.
   */
  notApplied?: ((status: number, headers: ResponseHeaders) => boolean) | undefined;
  /** Connect timeout of the default Agent, ms. Default 10 000. */
  connectTimeoutMs?: number | undefined;
  /** Header carrying the API's remaining daily budget. Default Alma's `x-exl-api-remaining`. */
  remainingHeader?: string | undefined;
}

/**
 * The API's error document found in a 2xx answer (`HttpClientOptions.errorInAnswer`): its code,
 * or undefined when it carries none, its message and tracking id as the server wrote them.
 */
export interface ErrorDocument {
  code: string | undefined;
  message: string;
  trackingId?: string | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with `/`, segments already encoded. */
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  /**
   * A string or bytes (a multipart body built by the caller) are sent as is; anything else is
   * serialised with `stringifyJson` (exact decimals).
   */
  body?: unknown;
  /**
   * Headers of this request only, over the client's own: a bearer token that is refreshed
   * during a run (Exsited), an `Idempotency-Key` (Alguna), a multipart `content-type`.
   */
  headers?: Record<string, string> | undefined;
  /** Force the idempotent (retry-anything) policy for a write the API de-duplicates. */
  idempotent?: boolean | undefined;
  /** Callers' own counts (`countingView`): each attempt, retries included, adds one to each. */
  tallies?: readonly { count: number }[] | undefined;
  /**
   * A read's own end (GET or HEAD only; a write is refused with it): once aborted, the read ends
   * at once with the signal's reason — waiting for its turn, waiting to retry, or on the wire —
   * as the second Ctrl-C ends every request. The engine gives it to the look-up of an invoice
   * nothing was sent to (engine.ts `#lookUp`): its answer changes nothing in the target, so the
   * first Ctrl-C need not wait for it (README "Interrupts"); every other read is answered.
   */
  signal?: AbortSignal | undefined;
}

/**
 * A client whose every answer is looked at for the API's error document under a 2xx
 * (`errorInAnswer`): `json` and `answer` do, the raw `request` does not, so it has none.
 */
export type CheckedClient = Omit<HttpClient, 'request'>;

/** The part of the client that reads and writes JSON: what the look-ups and checks need. */
export type JsonClient = Pick<HttpClient, 'json'>;

/**
 * How long nothing but per-second refusals (429) may come before the run stops: the longest
 * Retry-After the loader waits (retry.ts `DEFAULT_RETRY.maxWaitMs`, 60 s), so a threshold used up
 * by another application is waited out as long as an asked-for wait would be, no longer. A client
 * whose own waits are set longer (`maxWaitMs`, the backoff's `capMs`) gets as long as its longest:
 * else one such wait between two refusals would stop the run at the second (`refusedStopMs`). The
 * run stops once the refusals have lasted longer than this (from the first 429's arrival to when
 * the latest refused attempt was due), so one wait of exactly this long does not stop it.
 */
export const REFUSED_STOP_MS = DEFAULT_RETRY.maxWaitMs;

/** `REFUSED_STOP_MS`, or the client's longest wait between two attempts when that is longer. */
function refusedStopMs(retry: Partial<RetryOptions>): number {
  return Math.max(REFUSED_STOP_MS, retry.maxWaitMs ?? DEFAULT_RETRY.maxWaitMs, retry.capMs ?? DEFAULT_RETRY.capMs);
}

/** A request's timeout when none is given (`--timeout`'s default). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * `http` with a count of its own: the attempts (retries included) of the requests sent through
 * this view, however many other callers share the client at the same moment. A difference of
 * `HttpClient.requests` would count theirs too.
 */
export function countingView(http: JsonClient): JsonClient & { readonly requests: number } {
  const tally = { count: 0 };
  return {
    json: (req) => http.json({ ...req, tallies: [...(req.tallies ?? []), tally] }),
    get requests() {
      return tally.count;
    },
  };
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

/** A 2xx answer read as JSON (`HttpClient.answer`): undefined `value` only for an empty body taken as such. */
export interface JsonAnswer {
  status: number;
  headers: ResponseHeaders;
  value: JsonValue | undefined;
}

export class HttpClient {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #secrets: readonly string[];
  readonly #parseError: HttpClientOptions['parseError'];
  readonly #notApplied: HttpClientOptions['notApplied'];
  readonly #errorInAnswer: HttpClientOptions['errorInAnswer'];
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #reportsSent: boolean;
  readonly #timeoutMs: number;
  readonly #limiter: Limiter;
  readonly #retry: Partial<RetryOptions>;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #signal: AbortSignal | undefined;
  /** The caller's halt, and this client's own after a Retry-After longer than it waits (`#giveUp`). */
  readonly #halt: AbortSignal;
  /**
   * Aborted with the `RetryAfterError` a request ended on: every other request would be told to
   * wait as long, so none waiting for its turn (the limiter holds them for up to `maxWaitMs`) or
   * asked for later is sent; each ends at once, as on the caller's halt, and the run stops on it.
   */
  readonly #giveUp = new AbortController();
  readonly #stop: AbortSignal | undefined;
  /** Ctrl-C or the halt. */
  readonly #waits: AbortSignal;
  /** What the limiter's queue and a retry's wait end on: those and the first Ctrl-C (`stop`). */
  readonly #retryWaits: AbortSignal;
  readonly #onEvent: TargetEventSink | undefined;
  /** The proxy this client's requests go through (`proxyFor`), for the words that name it. */
  readonly #proxy: { url: string; from: string } | undefined;
  readonly #remainingHeader: string;
  /** The API's remaining daily budget as the last answer carrying it said (`remainingHeader`). */
  #remaining: number | undefined;
  #requests = 0;
  /** Some request of this client got an answer (any status): the address is right. */
  #answered = false;
  /** A read (GET, HEAD) of this client got a 2xx: the key works for reading (a later refused write is about its access, `KeyUse`). */
  #readsAccepted = false;
  /** An attempt was given up while undici still held it (`#endWhileUnsent`): `close` destroys. */
  #abandoned = false;
  /**
   * Since when (the client's clock) every answer has been a per-second refusal (429): set when the
   * first after any other answer arrives, cleared by any other answer — and once no request refused
   * so is still going (`#refusing`): a refusal that ended its request (its caller gave up, its
   * retries ran out) says nothing of a 429 a quiet minute later. A refusal of an attempt due more
   * than `#refusedStopMs` after it stops the run (`#refusedTooLong`).
   */
  #refusedSince: number | undefined;
  /** Requests of this client going on after a per-second refusal, none of their answers since another. */
  #refusing = 0;
  /** How long nothing but per-second refusals may come (`refusedStopMs`). */
  readonly #refusedStopMs: number;
  /** When a request of this client first failed to reach the target since its last answer. */
  #downSince: number | undefined;
  /** The start of the outage an `outage` event announced, until the target answers again. */
  #outageSaid: number | undefined;

  constructor(opts: HttpClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#headers = { ...opts.headers };
    // Only secrets that can be told from data (common/mask.ts maskable): a short or digits-only key
    // masked in an error's code or words changed what the loader decides on (`402459` → `40***459`).
    this.#secrets = maskList([...(opts.secrets ?? []), ...proxySecrets(opts.proxy)]);
    this.#parseError = opts.parseError;
    this.#notApplied = opts.notApplied;
    this.#errorInAnswer = opts.errorInAnswer;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#ownsDispatcher = opts.dispatcher === undefined;
    const agent: Agent.Options = {
      connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    };
    this.#dispatcher = opts.dispatcher ?? (opts.proxy !== undefined ? proxyDispatcher(opts.proxy, agent, opts.connectTimeoutMs ?? 10_000, this.baseUrl) : new Agent(agent));
    this.#reportsSent = opts.reportsRequestSent ?? this.#ownsDispatcher;
    this.#limiter = opts.limiter ?? unlimited;
    // An outage may last as long as one answer may take (`--timeout`), unless the caller says otherwise.
    this.#retry = { outageMs: this.#timeoutMs, ...opts.retry, ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}) };
    this.#refusedStopMs = refusedStopMs(this.#retry);
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    this.#signal = opts.signal;
    this.#halt = opts.halt !== undefined ? AbortSignal.any([opts.halt, this.#giveUp.signal]) : this.#giveUp.signal;
    this.#stop = opts.stop;
    this.#waits = opts.signal !== undefined ? AbortSignal.any([opts.signal, this.#halt]) : this.#halt;
    // Every request waiting at the limiter or in a backoff listens to it: hundreds, by design.
    setMaxListeners(0, this.#halt, this.#giveUp.signal);
    if (this.#waits !== this.#halt) setMaxListeners(0, this.#waits);
    this.#retryWaits = opts.stop === undefined ? this.#waits : AbortSignal.any([this.#waits, opts.stop]);
    if (this.#retryWaits !== this.#waits) setMaxListeners(0, this.#retryWaits);
    this.#onEvent = opts.onEvent;
    this.#proxy = noProxyAll(opts.proxy ?? { noProxy: '' }) ? undefined : proxyFor(opts.proxy, this.baseUrl);
    this.#remainingHeader = (opts.remainingHeader ?? 'x-exl-api-remaining').toLowerCase();
  }

  /**
   * Attempts that reached the API, or may have, retries included: each one counts against its
   * budget. One that provably never left (a connection refused, a name not found) is not counted,
   * so the figure is what the API saw, however long it was out of reach.
   */
  get requests(): number {
    return this.#requests;
  }

  /** Closes the default Agent; an injected dispatcher belongs to the caller. */
  async close(): Promise<void> {
    if (!this.#ownsDispatcher) return;
    // An attempt given up while it waited for its connection is still queued in undici (below,
    // `#endWhileUnsent`): a graceful close would wait for that connection as the attempt would have.
    if (this.#abandoned) await this.#dispatcher.destroy();
    else await this.#dispatcher.close();
  }

  /**
   * An attempt's signal for undici, and its wait. Ctrl-C (`signal`) ends the wait at once, and so
   * does the first Ctrl-C or SIGTERM (`stop`) while none of the attempt has left (`SentProbe`):
   * then it is a request waiting for its turn, as at the limiter, and nothing of it is uncertain.
   * Needed because undici keeps an aborted request queued until its connection is made
   * (api-request.js keeps the abort's reason until `onConnect`): a connection, or a proxy's
   * CONNECT, that takes `--timeout` to fail held the stop that long — with undici's default,
   * 300 s, past a service manager's patience (systemd's 90 s). undici still aborts the request
   * when its connection comes, before writing it; the client is destroyed, not closed, at the end.
   * Ctrl-C stays tied to the attempt until its body is read (`dispose` after): a proxy that sent
   * the headers and then stalled or trickled the body held the second Ctrl-C for `--timeout`.
   */
  #endWhileUnsent(probe: SentProbe | undefined, own?: AbortSignal): { signal: AbortSignal | undefined; wait<T>(p: Promise<T>): Promise<T>; readonly ended: boolean; dispose(): void } {
    // A read's own signal (`HttpRequest.signal`) ends it as the second Ctrl-C does.
    const hard = own === undefined ? this.#signal : this.#signal === undefined ? own : AbortSignal.any([this.#signal, own]);
    // A request asked for after the first Ctrl-C goes (the last look): only those already going are ended.
    const soft = this.#stop !== undefined && !this.#stop.aborted && probe !== undefined ? this.#stop : undefined;
    if (hard === undefined && soft === undefined) return { signal: undefined, wait: (p) => p, ended: false, dispose: () => undefined };
    const ctl = new AbortController();
    let ended = false;
    let fail: ((err: unknown) => void) | undefined;
    const end = (reason: unknown): void => {
      if (ended) return;
      ended = true;
      this.#abandoned = true;
      ctl.abort(reason);
      fail?.(reason);
    };
    const onHard = (): void => end(hard!.reason);
    const onSoft = (): void => {
      if (probe?.supported === true && !probe.sent) end(soft!.reason);
    };
    const dispose = (): void => {
      hard?.removeEventListener('abort', onHard);
      soft?.removeEventListener('abort', onSoft);
    };
    if (hard?.aborted === true) ctl.abort(hard.reason);
    else hard?.addEventListener('abort', onHard, { once: true });
    soft?.addEventListener('abort', onSoft, { once: true });
    return {
      signal: ctl.signal,
      wait: <T>(p: Promise<T>): Promise<T> =>
        new Promise<T>((resolve, reject) => {
          fail = reject;
          // undici's own end of an abandoned attempt comes later, and is nobody's to hear.
          p.then(resolve, (err: unknown) => {
            if (!ended) reject(err);
          });
        }),
      get ended() {
        return ended;
      },
      dispose,
    };
  }

  /**
   * Sends the request and parses a 2xx answer as lossless JSON. JSON cut short is a failed
   * attempt: a read is tried again as a read that timed out is (same retries, same backoff). An
   * answer that is not JSON at all ends a read at once (`BAD_RESPONSE`). A write that was answered
   * 2xx did happen, and without its body its result is unknown (`UnknownOutcomeError`).
   */
  async json(req: HttpRequest): Promise<JsonValue> {
    return this.#send(req, (res) => this.#checked(res.status, parseJson(res.text)));
  }

  /** `value` unless it is the API's error document (`errorInAnswer`): then `#send` fails the attempt with it. */
  #checked<V extends JsonValue | undefined>(status: number, value: V): V {
    const doc = value === undefined ? undefined : this.#errorInAnswer?.(status, value);
    if (doc !== undefined) throw new ErrorInAnswer(doc);
    return value;
  }

  /**
   * `json`, with the answer's status and headers, for a caller that needs them (an echoed
   * Idempotency-Key, a login's cookies) or that takes an empty body (`empty: true`: a 204, or a
   * 2xx with nothing, is `value` undefined — Alma's POST actions may answer so). Every other body
   * is read as `json` reads it: JSON cut short is retried on a read and is an unknown outcome on a
   * write, and an answer that is not JSON ends a read at once. Callers use this instead of parsing
   * `request`'s text themselves, which retried nothing and lost the host and status.
   */
  async answer(req: HttpRequest, opts: { empty?: boolean } = {}): Promise<JsonAnswer> {
    return this.#send(req, (res) => ({
      status: res.status,
      headers: res.headers,
      value: this.#checked(res.status, opts.empty === true && res.text.trim() === '' ? undefined : parseJson(res.text)),
    }));
  }

  /**
   * Sends the request with pacing and retries. Resolves with a 2xx answer, its text unread;
   * throws otherwise. Not for a client with `errorInAnswer`: the API's error document under a 2xx
   * would come back as a success (FOLIO's client is its only caller; an Alma client is typed
   * without it, `CheckedClient`), so it is refused before anything is sent.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.#errorInAnswer !== undefined) {
      throw new Error(`${req.method} ${req.path}: request() reads no error document under a 2xx; a client with errorInAnswer reads answers through json() or answer()`);
    }
    return this.#send(req, (res) => res);
  }

  /** `request`, with `read` turning a 2xx answer into the result; a `read` that throws fails the attempt. */
  async #send<T>(req: HttpRequest, read: (res: HttpResponse) => T): Promise<T> {
    /** Whether the request is going on after a per-second refusal (`#refusing`). */
    const streak = { refused: false };
    try {
      return await this.#attempts(req, read, streak);
    } finally {
      // Ended however it ended (answered, given up, its caller gone): the last refused request to
      // end takes the span with it — the next 429 starts one of its own (`#refusedSince`).
      if (streak.refused && --this.#refusing === 0) this.#refusedSince = undefined;
    }
  }

  /** `#send`'s attempts, each paced, classified and retried as `decide` says. */
  async #attempts<T>(req: HttpRequest, read: (res: HttpResponse) => T, streak: { refused: boolean }): Promise<T> {
    const traits = { method: req.method, idempotent: this.#idempotent(req) };
    const url = this.#url(req);
    const shown = url.pathname + url.search;
    const body =
      req.body === undefined ? undefined : typeof req.body === 'string' || req.body instanceof Uint8Array ? req.body : stringifyJson(req.body);
    const own = req.headers === undefined ? this.#headers : mergeHeaders(this.#headers, req.headers);
    const hasType = Object.keys(own).some((k) => k.toLowerCase() === 'content-type');
    const headers = body === undefined || hasType ? own : { ...own, 'content-type': 'application/json' };

    /**
     * What its turn at the limiter ends on. After the first Ctrl-C nothing waiting is sent, but
     * a read asked for after it is: the run's last look at the invoices it had processed
     * (engine/watch.ts), so the report gives their workflow status (README, Interrupts).
     */
    const shared = this.#stop?.aborted === true && isSafeMethod(req.method) ? this.#waits : this.#retryWaits;
    const readEnd = req.signal;
    if (readEnd !== undefined && !isSafeMethod(req.method)) throw new Error(`internal: ${req.method} ${req.path} was given a read's signal; a write is never ended on the wire by it`);
    // A function: the compiler would keep `aborted` narrowed to false after the check below.
    const readEnded = (): boolean => readEnd?.aborted === true;
    if (readEnded()) throw readEnd!.reason;
    const turn = readEnd === undefined ? shared : AbortSignal.any([shared, readEnd]);
    const retryWaits = readEnd === undefined ? this.#retryWaits : AbortSignal.any([this.#retryWaits, readEnd]);
    /** How the request ends if no attempt follows the last one (see `halt`). */
    let ending: Error | undefined;
    /**
     * A write's attempt so far may have been applied (retry.ts `mayHaveApplied`): one sent as
     * idempotent is retried past it, and whatever it ends on says so (`ApiErrorDetail.reached`).
     */
    let reached = false;
    /**
     * When the attempt about to go was due: a first one when it was asked for, a retry when its
     * wait was to end (the wait asked for, not the timer's late firing). A 429 to an attempt due
     * more than `#refusedStopMs` after the first 429 came stops the run (`#refusedTooLong`).
     */
    let due = this.#now();
    for (let attempt = 0; ; attempt++) {
      let startedAt: number;
      try {
        if (this.#halt.aborted) throw this.#halt.reason;
        // The first Ctrl-C too (`stop`): what waits for its turn when it comes is not sent.
        startedAt = await this.#limiter.acquire(attempt > 0 ? retryWaits : turn, { priority: attempt > 0, read: req.method === 'GET' });
      } catch (err) {
        throw readEnded() ? readEnd!.reason : this.#halted(req, traits.idempotent, err, ending);
      }
      /**
       * The attempt counts as a request once some of it has left (`SentProbe`): counted at its start,
       * one that fails in its TLS handshake or connection was still "a request to Alma" for the
       * report built while it was in flight (the stop on the first of them: "5 requests" where none
       * had left; README, Retries). Without the probe's word it counts at once, and is taken back
       * when it provably never left.
       */
      let counted = false;
      const count = (by: 1 | -1): void => {
        if (counted === (by === 1)) return;
        counted = by === 1;
        this.#requests += by;
        for (const t of req.tallies ?? []) t.count += by;
      };
      /** Tells the limiter, once, that this attempt is over (no write in flight lets the tail's reads go together). */
      let over = false;
      const attemptOver = (): void => {
        if (over) return;
        over = true;
        this.#limiter.ended?.(startedAt);
      };
      const t0 = this.#now();
      const probe = this.#reportsSent ? new SentProbe(this.#dispatcher, () => count(1)) : undefined;
      let outcome: Outcome;
      let parsed: ApiError | undefined;
      let cause: unknown;
      /** A read answered 2xx with a body that is not JSON at all: it ends with this. */
      let notJson: Error | undefined;
      const waiting = this.#endWhileUnsent(probe, readEnd);
      try {
        const sending = (probe ?? this.#dispatcher).request({
          origin: url.origin,
          path: shown,
          method: req.method,
          headers,
          body,
          signal: waiting.signal,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
        // The probe wraps the handler as the dispatch happens (synchronously): without its word, count now.
        if (probe?.supported !== true) count(1);
        const res = await waiting.wait(sending);
        count(1);
        // Always read the body to the end: an unread body holds its connection (undici README).
        // The second Ctrl-C still ends it while the body arrives (a proxy stalling or trickling it):
        // the attempt's signal destroys the body, and the wait ends at once, as before the headers.
        const text = await waiting.wait(bodyWithin(res.body, this.#timeoutMs, waiting.signal));
        attemptOver();
        waiting.dispose();
        const status = res.statusCode;
        const resHeaders = res.headers as ResponseHeaders;
        this.#answered = true;
        if (this.#outageSaid !== undefined) this.#emit({ type: 'outage', state: 'up', forMs: this.#now() - this.#outageSaid });
        this.#outageSaid = undefined;
        this.#downSince = undefined;
        this.#emit({ type: 'request', method: req.method, path: shown, status, ms: this.#now() - t0, attempt: attempt + 1 });
        this.#emitRemaining(resHeaders);
        if (status >= 200 && status < 300) {
          if (isSafeMethod(req.method)) this.#readsAccepted = true;
          this.#refusedSince = undefined;
          this.#limiter.success(startedAt);
          try {
            return read({ status, headers: resHeaders, text });
          } catch (err) {
            if (err instanceof ErrorInAnswer) {
              // The API's error document under a 2xx: an error answer of this status (`errorInAnswer`),
              // classified by its code as its 4xx twin is, its fields masked by `#detail`.
              const doc = err.doc;
              // Without a code of its own it is shown as an unreadable answer (BAD_RESPONSE); told
              // apart by `doc.code`, never by that code, which a server may send as its own.
              const codeless = doc.code === undefined;
              parsed = new ApiError({ httpStatus: status, code: doc.code ?? BAD_RESPONSE, message: doc.message, trackingId: doc.trackingId, inSuccess: true });
              outcome = { kind: 'response', status, code: parsed.code, message: parsed.message, remaining: this.#remaining };
              if (codeless && !isSafeMethod(req.method)) {
                // The error document with no code: nothing in it says what the API did, and nothing
                // proves it did nothing — a write so answered has an unknown outcome, settled by a
                // look-up, never a refusal (no `inSuccess`) (docs/alma.md#errors-error-codes-and-alerts).
                parsed = new ApiError({ ...parsed.detail, inSuccess: false });
                notJson = this.#failure(req, { action: 'fail', kind: 'unknown', reason: BAD_RESPONSE }, outcome, parsed, undefined, attempt + 1);
              }
            } else {
              cause = err;
              // One message whoever asked: the request, the host that answered and its status, and
              // whether the body was cut short or is not JSON at all (a wrong address's page).
              const what = err instanceof Error ? err.message : String(err);
              parsed = new ApiError({
                httpStatus: status,
                code: BAD_RESPONSE,
                message: `unreadable answer to ${req.method} ${req.path} (HTTP ${status} from ${url.host}): ${text.trim() === '' ? 'an empty body' : LOOKS_JSON.test(text) ? 'JSON cut short or broken' : 'not JSON'} (${what})`,
                // Not JSON at all (an HTML page, an empty body): nothing of the API's in it (`bare`),
                // unlike JSON cut short on the way (targets/alma/answers.ts tells them apart by this).
                ...(LOOKS_JSON.test(text) ? {} : { bare: true }),
              });
              // Not JSON at all (an HTML page, nothing): what a wrong address answers every time, so a
              // read ends at once (targets/alma/answers.ts says so), and so does a write — answered
              // 2xx, it did happen: its result is unknown (`#failure`), even when it was sent as
              // idempotent. JSON that does not parse was cut short on the way: retried when
              // repeating is harmless, or unknown for a write, as a reset after sending is
              // (retry.ts classifyNetwork), with the answer's status and what was wrong kept.
              outcome = { kind: 'network', code: BAD_RESPONSE, sent: true };
              if (!LOOKS_JSON.test(text)) {
                notJson = isSafeMethod(req.method) ? parsed : this.#failure(req, { action: 'fail', kind: 'unknown', reason: BAD_RESPONSE }, outcome, parsed, err, attempt + 1);
              }
            }
          }
        } else {
          parsed = this.#parseError(status, resHeaders, text);
          outcome = {
            kind: 'response',
            status,
            code: parsed.code,
            message: parsed.message,
            retryAfter: headerValue(resHeaders['retry-after']),
            // What an HTTP-date Retry-After is measured from (retry.ts parseRetryAfter).
            date: headerValue(resHeaders['date']),
            // A 429 once nothing is left is the daily threshold, whatever its body says (retry.ts classify).
            remaining: this.#remaining,
            ...(this.#notApplied?.(status, resHeaders) === true ? { notApplied: true } : {}),
          };
        }
      } catch (err) {
        attemptOver();
        if (waiting.ended) {
          waiting.dispose();
          // Ended by Ctrl-C or SIGTERM before any of it left: not a request the API saw.
          if (probe?.supported === true && !probe.sent) count(-1);
          else count(1);
          throw this.#signal?.aborted === true ? this.#aborted(req, traits.idempotent, probe, err) : readEnded() ? readEnd!.reason : this.#halted(req, traits.idempotent, err, ending);
        }
        if (this.#signal?.aborted) throw this.#aborted(req, traits.idempotent, probe, err);
        cause = err;
        const code = proxyRefusal(err) ?? errorCode(err);
        outcome = { kind: 'network', code, sent: probe?.supported === true ? probe.sent : undefined };
        // Never reached the server (a connection refused, a name not found, nothing written):
        // not a request the API saw or counted against its budget.
        const unsent = neverSent(outcome);
        count(unsent ? -1 : 1);
        this.#emit({ type: 'request', method: req.method, path: shown, status: 0, ms: this.#now() - t0, attempt: attempt + 1, ...(unsent ? { unsent: true as const } : {}) });
      }

      waiting.dispose();
      if (!isSafeMethod(req.method) && mayHaveApplied(outcome)) reached = true;
      if (notJson !== undefined) throw notJson;
      // A target that answered earlier and is now out of reach gets time to come back (`outageMs`);
      // any answer (above) ends the outage.
      if (outcome.kind === 'network' && outcome.code !== BAD_RESPONSE && this.#answered) this.#downSince ??= t0;
      const outage = this.#downSince !== undefined ? { downForMs: this.#now() - this.#downSince } : undefined;
      const d = decide(traits, outcome, attempt, { random: this.#random, nowMs: this.#now(), options: this.#retry, outage });
      // A per-second refusal slows every caller down, whether or not this one is retried.
      if (d.throttled === true) this.#limiter.throttled(startedAt, d.retryAfterMs);
      if (outcome.kind === 'response') {
        if (d.throttled === true && outcome.status === 429) {
          // From when this 429 came, not when its attempt left: on a slow network the attempt's own
          // time on the way would shorten the span.
          this.#refusedSince ??= this.#now();
          if (!streak.refused) this.#refusing++;
          streak.refused = true;
        } else {
          this.#refusedSince = undefined;
          if (streak.refused) this.#refusing--;
          streak.refused = false;
        }
      }
      // Longer than the span, not as long: refusals one longest wait apart (a Retry-After of exactly
      // `maxWaitMs`) are waited out once. Measured to when the refused attempt was due, so neither
      // its time on the way nor a late timer makes one such wait look longer than the span; each
      // wait is bounded and time moves on, so a refusal due past the span comes and ends the run.
      if (d.action === 'retry' && d.throttled === true && this.#refusedSince !== undefined && due - this.#refusedSince > this.#refusedStopMs) {
        const failure = this.#refusedTooLong(req, outcome, parsed, attempt + 1, reached);
        this.#giveUp.abort(failure);
        throw failure;
      }
      if (d.action === 'retry' && d.outage === true && this.#outageSaid === undefined && outcome.kind === 'network') {
        // Past the usual retries only because Alma answered before: said once, so the wait is not silent.
        this.#outageSaid = this.#downSince;
        this.#emit({ type: 'outage', state: 'down', code: outcome.code, patienceMs: this.#retry.outageMs ?? DEFAULT_RETRY.outageMs });
      }
      if (d.action === 'retry') {
        // Were this attempt the last: the retry options leave no attempt after it.
        const last = decide(traits, outcome, attempt, { random: this.#random, nowMs: this.#now(), options: { ...this.#retry, maxRetries: attempt, throttleRetries: 0, outageMs: 0 } });
        ending = last.action === 'fail' ? this.#failure(req, last, outcome, parsed, cause, attempt + 1, reached) : undefined;
        const trouble = troubleOf(outcome);
        const of = d.outage === true || d.throttled === true ? undefined : (this.#retry.maxRetries ?? DEFAULT_RETRY.maxRetries) + 1;
        this.#emit({ type: 'retry', method: req.method, path: shown, attempt: attempt + 1, delayMs: d.delayMs, reason: d.reason, ...(trouble !== undefined ? { trouble } : {}), ...(of !== undefined ? { of } : {}) });
        due = this.#now() + d.delayMs;
        try {
          await this.#sleep(d.delayMs, retryWaits);
        } catch (err) {
          throw readEnded() ? readEnd!.reason : this.#halted(req, traits.idempotent, err, ending);
        }
        continue;
      }
      if (outcome.kind === 'response' && d.throttled !== true && outcome.status !== 429) this.#limiter.success(startedAt);
      const failure = this.#failure(req, d, outcome, parsed, cause, attempt + 1, reached);
      if (failure instanceof RetryAfterError) this.#giveUp.abort(failure);
      throw failure;
    }
  }

  /**
   * Nothing but per-second refusals for `#refusedStopMs` (`REFUSED_STOP_MS`), though the limiter
   * slowed every request down (to its floor, 0.5/s, within seconds): the threshold is being used up by something else —
   * another application of the same institution (docs/alma.md#requests-hosts-keys-and-thresholds).
   * Each create spent 17 attempts (about 140 s) before failing; a 7-invoice run passed 200 s. The
   * run stops as on a Retry-After longer than the loader waits (`RetryAfterError`, the same span:
   * `maxWaitMs`), a 429 refusal that applied nothing, and every request waiting ends with it.
   */
  #refusedTooLong(req: HttpRequest, outcome: Outcome, parsed: ApiError | undefined, attempts: number, reached: boolean): RetryAfterError {
    const forMs = this.#now() - this.#refusedSince!;
    const rate = this.#limiter.rate;
    // Long spans in minutes and hours (common/time.ts waitText), as the Retry-After notes say their waits.
    const note = `refused for the per-second threshold for ${waitText(forMs)}, nothing else answered`;
    const err = new RetryAfterError({ ...this.#detail(req, outcome, parsed, undefined, attempts, note), ...(reached ? { reached: true } : {}) }, forMs, this.#now() + this.#refusedStopMs);
    err.refused = { forMs, ...(rate !== undefined && Number.isFinite(rate) ? { rate } : {}) };
    return err;
  }

  /** The error a request ends with after this decision not to retry. */
  #failure(req: HttpRequest, d: Extract<Decision, { action: 'fail' }>, outcome: Outcome, parsed: ApiError | undefined, cause: unknown, attempts: number, reached = false): Error {
    const detail = { ...this.#detail(req, outcome, parsed, cause, attempts, d.note), ...(reached ? { reached: true } : {}) };
    // A write answered 2xx whose body could not be read, retried because repeating it is harmless
    // (idempotent) until the retries ran out: it happened, and its result is unknown — never a
    // plain failure the engine would take for a write that did nothing.
    if (outcome.kind === 'network' && outcome.code === BAD_RESPONSE && !isSafeMethod(req.method)) {
      return new UnknownOutcomeError(detail, { cause: this.#safeCause(cause) });
    }
    switch (d.kind) {
      case 'auth':
        return new AuthError(detail, { write: !isSafeMethod(req.method), readsAccepted: this.#readsAccepted });
      case 'daily':
        return new DailyLimitError(detail);
      case 'retry_after':
        return new RetryAfterError(detail, d.waitMs ?? 0, this.#now() + (d.waitMs ?? 0));
      case 'unknown':
        return new UnknownOutcomeError(detail, { cause: this.#safeCause(cause) });
      default:
        return new ApiError(detail);
    }
  }

  /**
   * A wait (the limiter's queue, a retry's pause) ended by `signal`, `stop` or `halt`: Ctrl-C ends
   * it with its abort — for a write, `NotSentError`: a write waits only before its first attempt
   * or after one that provably did nothing (`decide` retries a write only then), so none of it
   * reached the target; the halt ends it with the last attempt's error, or its reason before any
   * attempt.
   */
  #halted(req: HttpRequest, idempotent: boolean, err: unknown, ending: Error | undefined): unknown {
    // Before any attempt (no `ending`), a write ends on the halt's error as a copy that says none of
    // it left (`endedUnsent`): that error is another request's answer — a 429 asking to wait too
    // long, a refused key — and journaled as this write's it said `refused`, not `unsent`.
    if (this.#signal?.aborted !== true && this.#halt.aborted) return ending ?? (isSafeMethod(req.method) ? this.#halt.reason : unsentCopy(this.#halt.reason));
    const ctrlC = this.#signal?.aborted === true || this.#stop?.aborted === true;
    return idempotent || !ctrlC ? err : this.#notSent(req, err);
  }

  /** A write stopped before any of it left (see `NotSentError`). */
  #notSent(req: HttpRequest, err: unknown): NotSentError {
    return new NotSentError(this.#redact(`${req.method} ${req.path}`), { cause: this.#safeCause(err) });
  }

  #idempotent(req: HttpRequest): boolean {
    return req.idempotent ?? isSafeMethod(req.method);
  }

  #url(req: HttpRequest): URL {
    const url = new URL(this.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  #detail(req: HttpRequest, outcome: Outcome, parsed: ApiError | undefined, cause: unknown, attempts: number, note?: string): ApiErrorDetail {
    const tries = (attempts > 1 ? ` (after ${attempts} attempts)` : '') + (note !== undefined ? ` (${note})` : '');
    if (parsed !== undefined) {
      return {
        httpStatus: outcome.kind === 'response' ? outcome.status : parsed.httpStatus,
        // Every field the server wrote is masked, not only the message: a gateway may echo the key anywhere.
        code: this.#redact(parsed.code),
        message: this.#redact(parsed.message) + tries,
        ...(parsed.trackingId !== undefined ? { trackingId: this.#redact(parsed.trackingId) } : {}),
        ...(parsed.bare ? { bare: true } : {}),
        ...(parsed.replayed ? { replayed: true } : {}),
        ...(parsed.inSuccess ? { inSuccess: true } : {}),
      };
    }
    const tunnel = outcome.kind === 'network' && (outcome.code === PROXY_REFUSED || outcome.code === PROXY_UPSTREAM) ? PROXY_TUNNEL.exec(cause instanceof Error ? cause.message : '') : null;
    const proxy = outcome.kind === 'network' && outcome.code === 'ECONNREFUSED' ? refusingProxy(this.#proxy, cause) : undefined;
    const forwardRefused = outcome.kind === 'network' && outcome.code === PROXY_REFUSED && tunnel === null;
    const what =
      forwardRefused
        ? `the proxy refused to forward the request to the API (it answered 407: its user and password are missing or wrong; check ${this.#proxy?.from ?? 'http_proxy'} and its user and password)`
        : proxy !== undefined
        ? // The connection refused was the proxy's, not the API's: the address is not what to check (common/errors.ts unreachableText).
          `${PROXY_DOWN_WORDS} ${proxy} refused the connection (${(cause instanceof Error ? cause.message : String(cause)).replace(/\s*[\r\n]+\s*/g, ' ').trim()})`
        : tunnel === null
        ? // One line, whatever the cause wrote: OpenSSL's messages end in a line break, and a log is grepped line by line.
          (cause instanceof Error ? cause.message : String(cause)).replace(/\s*[\r\n]+\s*/g, ' ').trim()
        : outcome.kind === 'network' && outcome.code === PROXY_UPSTREAM
          ? `the proxy could not reach the API (it answered ${tunnel[1]} to CONNECT)`
          : `the proxy refused to open a tunnel to the API (it answered ${tunnel[1]} to CONNECT; check ${this.#proxy?.from ?? 'https_proxy'} and its user and password)`;
    return { httpStatus: 0, code: outcome.kind === 'network' ? outcome.code : 'NETWORK', message: this.#redact(`${req.method} ${req.path}: ${what}`) + tries };
  }

  /** Ctrl-C: a write that may already be on the wire has an unknown outcome; anything else just stops. */
  #aborted(req: HttpRequest, idempotent: boolean, probe: SentProbe | undefined, err: unknown): unknown {
    const provablyUnsent = probe?.supported === true && !probe.sent;
    if (idempotent) return this.#signal?.reason ?? err;
    if (provablyUnsent) return this.#notSent(req, this.#signal?.reason ?? err);
    return new UnknownOutcomeError(
      { httpStatus: 0, code: 'ABORTED', message: `${req.method} ${req.path} was interrupted; it may or may not have taken effect` },
      { cause: this.#safeCause(this.#signal?.reason) },
    );
  }

  #redact(text: string): string {
    // And the run's secrets known since (common/shown-secrets.ts): a token granted mid-run (token.ts).
    return maskMessage(maskSecrets(text, this.#secrets));
  }

  /** Keeps the transport error as `cause` unless its message would leak a secret. */
  #safeCause(cause: unknown): unknown {
    if (!(cause instanceof Error)) return cause;
    const redacted = this.#redact(cause.message);
    if (redacted === cause.message) return cause;
    const copy = new Error(redacted);
    copy.name = cause.name;
    return copy;
  }

  #emit(event: Parameters<TargetEventSink>[0]): void {
    this.#onEvent?.(event);
  }

  /** Alma returns X-Exl-Api-Remaining on every answer (BLOG-REMAIN); PUL alerts on it (PR #2144). */
  #emitRemaining(headers: ResponseHeaders): void {
    const raw = headerValue(headers[this.#remainingHeader]);
    if (raw === undefined || !/^\s*-?\d+\s*$/.test(raw)) return;
    this.#remaining = Number.parseInt(raw, 10);
    this.#emit({ type: 'remaining', remaining: this.#remaining });
  }
}

/** The copies `unsentCopy` made: writes the halt ended before any attempt of theirs. */
const UNSENT_ON_HALT = new WeakSet<object>();

/**
 * Whether a write ended on the run's halt before any attempt of it was made (`HttpClient`
 * `#halted`): it carries the stop's error — what another request met, for `runStopOf` and the
 * stop's words — but nothing of it was sent, so it is journaled `unsent`, not by that error's
 * status (engine.ts `writeOutcome`; common/errors.ts `writeVerdict` would say `refused` of a 429).
 */
export function endedUnsent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && UNSENT_ON_HALT.has(err);
}

/** The halt's error, copied (same class and fields) for a write that never left, and marked so (`endedUnsent`). */
function unsentCopy(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object, Object.getOwnPropertyDescriptors(err)) as Error;
  UNSENT_ON_HALT.add(copy);
  return copy;
}

/** Header names are case-insensitive (RFC 9110 §5.1): a request's own header replaces the client's of any case. */
function mergeHeaders(base: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const lower = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (!lower.has(k.toLowerCase())) out[k] = v;
  return { ...out, ...extra };
}

/** A header's value, the first when it came more than once. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The body whole within `ms` of the headers: undici's `bodyTimeout` measures only the silence
 * between chunks, so an answer trickling a byte a second, or a chunked one that never ends, held
 * the run forever (`--timeout` is one answer's limit). Past it, the body is destroyed with
 * undici's own code for a body timeout: a read is retried, a write's outcome is unknown.
 */
async function bodyWithin(body: Dispatcher.ResponseData['body'], ms: number, signal?: AbortSignal): Promise<string> {
  const timer = setTimeout(() => {
    body.destroy(Object.assign(new Error(`the answer did not arrive whole within ${Math.round(ms / 100) / 10} s of its headers`), { code: 'UND_ERR_BODY_TIMEOUT' }));
  }, ms);
  // Ended (the second Ctrl-C): the body goes with it, so neither its connection nor this timer outlives the stop.
  const onAbort = (): void => void body.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await body.text();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** What kind of trouble a retried attempt met, for the progress's "still trying" line (events.ts). */
function troubleOf(outcome: Outcome): 'timeout' | 'unreachable' | 'gateway' | undefined {
  if (outcome.kind === 'response') return outcome.status >= 502 && outcome.status <= 504 ? 'gateway' : undefined;
  if (outcome.code === BAD_RESPONSE) return undefined;
  return /TIMEOUT/.test(outcome.code) ? 'timeout' : 'unreachable';
}

/** Thrown by `#checked` inside `#send`'s read: the API's error document found in a 2xx answer. */
class ErrorInAnswer extends Error {
  constructor(readonly doc: ErrorDocument) {
    super(doc.message);
  }
}

/** A 2xx answer whose body could not be read (cut short, not JSON). */
const BAD_RESPONSE = 'BAD_RESPONSE';
/** A body that begins as a JSON object or array does. */
const LOOKS_JSON = /^\s*[[{]/;

/**
 * The proxy whose connection was refused, named by its address without user or password, and the
 * variable it came from (cli/config.ts proxyFromEnv): `http://proxy.example.edu:3128 (from
 * https_proxy)`. Undefined when the refused address is not this client's proxy (`proxyFor`).
 */
function refusingProxy(proxy: { url: string; from: string } | undefined, cause: unknown): string | undefined {
  if (proxy === undefined) return undefined;
  const at = refusedAt(cause);
  if (at === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(proxy.url);
  } catch {
    return undefined;
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (port === at.port && url.hostname.replace(/^\[|\]$/g, '') === at.address) return `${url.protocol}//${url.host} (from ${proxy.from})`;
  return undefined;
}

/** Where a refused connection went: Node's connect error carries `address` and `port` (on it, its cause, or an AggregateError's members). */
function refusedAt(err: unknown, depth = 0): { address: string; port: number } | undefined {
  if (depth > 5 || typeof err !== 'object' || err === null) return undefined;
  const e = err as { address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.address === 'string' && typeof e.port === 'number') return { address: e.address.replace(/^::ffff:/, ''), port: e.port };
  for (const inner of [...(Array.isArray(e.errors) ? (e.errors as unknown[]) : []), e.cause]) {
    const found = refusedAt(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** undici's words when a proxy answers the CONNECT that opens an https tunnel with anything but 200. */
const PROXY_TUNNEL = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/;
/** undici's words when a proxy answers a request it was to forward (an http:// API) with 407. */
const PROXY_FORWARD_407 = /^Proxy Authentication Required \(407\)$/;

/**
 * PROXY_REFUSED for a tunnel the proxy would not open (403: not allowed there, 407: its
 * credentials missing or wrong): nothing reached the API, and no retry changes the proxy's
 * mind — undici reports it only as UND_ERR_ABORTED, which would be retried five times per
 * request and fail each invoice on its own (19 s for the sample batch) instead of one stop.
 * A 502, 503 or 504 is the proxy failing to reach the API (squid answers 503 when the upstream
 * is down): PROXY_UPSTREAM, retried as a refused connection is, with an outage's patience.
 */
function proxyRefusal(err: unknown): string | undefined {
  // The same refusal of a request sent in the proxy's plain forward form (an http:// API):
  // undici's words for a 407 answer there, with its code for a bad argument (proxy-agent.js).
  if (err instanceof Error && PROXY_FORWARD_407.test(err.message) && errorCode(err) === 'UND_ERR_INVALID_ARG') return PROXY_REFUSED;
  const m = err instanceof Error ? PROXY_TUNNEL.exec(err.message) : null;
  if (m === null) return undefined;
  return ['502', '503', '504'].includes(m[1]!) ? PROXY_UPSTREAM : PROXY_REFUSED;
}

/**
 * The error's code, looking through `cause` and AggregateError (Node's happy-eyeballs
 * connect raises an AggregateError whose members carry the codes).
 */
export function errorCode(err: unknown, depth = 0): string {
  if (depth > 5 || typeof err !== 'object' || err === null) return 'UNKNOWN';
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    const inner = errorCode(e.errors[0], depth + 1);
    if (inner !== 'UNKNOWN') return inner;
  }
  return errorCode(e.cause, depth + 1);
}

/**
 * Wraps a dispatcher for one attempt and records whether undici wrote the request to the
 * socket (`onRequestSent`, called right after the write in client-h1/h2). If an error
 * arrives before that, the server cannot have processed the request. Only legacy-style
 * handlers (undici 7's `request()`) are wrapped; for any other, `supported` stays false.
 */
class SentProbe extends Dispatcher {
  sent = false;
  supported = false;
  readonly #inner: Dispatcher;
  readonly #onSent: (() => void) | undefined;

  constructor(inner: Dispatcher, onSent?: () => void) {
    super();
    this.#inner = inner;
    this.#onSent = onSent;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (typeof handler.onRequestStart === 'function' || typeof handler.onConnect !== 'function') {
      return this.#inner.dispatch(opts, handler);
    }
    this.supported = true;
    const h = handler as Dispatcher.DispatchHandler & { onConnect(abort: (err?: Error) => void, context?: unknown): void };
    const wrapped: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      // request() keeps the context argument (api-request.js onConnect(abort, context))
      onConnect: ((abort: (err?: Error) => void, context?: unknown) => h.onConnect(abort, context)) as Dispatcher.DispatchHandler['onConnect'],
      onHeaders: (status, headers, resume, text) => h.onHeaders?.(status, headers, resume, text) ?? true,
      onData: (chunk) => h.onData?.(chunk) ?? true,
      onComplete: (trailers) => h.onComplete?.(trailers),
      onError: (err) => h.onError?.(err),
      onRequestSent: () => {
        this.sent = true;
        this.#onSent?.();
      },
    };
    return this.#inner.dispatch(opts, wrapped);
  }
}
