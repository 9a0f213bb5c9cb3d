/**
 * The FOLIO flavour of the shared HTTP client: every call through the gateway (Okapi or Kong)
 * with `X-Okapi-Tenant` and `X-Okapi-Token` (docs/folio.md "Connection"), the token from
 * `POST /authn/login-with-expiry` (folio-org/mod-login `login.raml`).
 *
 * The login answers 201 and sets two cookies, `folioAccessToken` (Max-Age 600 in the RAML's
 * example) and `folioRefreshToken` (Path=/authn); its body, `loginResponseWithExpiry`, gives
 * `accessTokenExpiration` and `refreshTokenExpiration` (ISO 8601). The access token is renewed
 * shortly before it expires — with `POST /authn/refresh` and the refresh cookie, or a new login
 * when the refresh is refused — and once more when a call is answered 401. One login or refresh
 * at a time, however many requests wait for it (the token cache of the Exsited target, which
 * does exactly this: token.ts). The deprecated `POST /authn/login` (a token that never expires,
 * in the `x-okapi-token` header) is used only where `login-with-expiry` is not found (404: a
 * mod-login older than the expiring tokens, before FOLIO's Poppy release).
 *
 * The password is sent only in the login body, and masked in every message the client builds.
 */
import { ApiError, AuthError, answerRefused, UsageError } from '../../common/errors.js';
import { isJsonObject, jsonText, parseJson, type JsonValue } from '../../common/json.js';
import { headerValue, HttpClient, type HttpRequest, type ResponseHeaders, type TransportOptions } from '../../transport/http.js';
import { TokenCache, type TokenGrant } from '../../transport/token.js';
import { ACQ_UNIT_REFUSALS, parseFolioError } from './errors.js';
import { UUID_PATTERN } from './ids.js';

export interface FolioCredentials {
  tenant: string;
  username: string;
  password: string;
}

export interface FolioClientOptions extends TransportOptions {
  /** The gateway's URL (Okapi or Kong), scheme and host, optionally a path prefix. */
  baseUrl: string;
  credentials: FolioCredentials;
}

/** Tries of one call that keeps being refused with 401 after a new token (as the Exsited client). */
const AUTH_TRIES = 3;
/** The access token's life when the answer does not say (mod-login's example: Max-Age=600). */
const DEFAULT_ACCESS_SECONDS = 600;
/** How long a token of the older, non-expiring login is kept before another login (a 401 ends it sooner). */
const LEGACY_TOKEN_MS = 12 * 3_600_000;

export class FolioClient {
  readonly http: HttpClient;
  readonly tokens: TokenCache;
  readonly tenant: string;
  readonly #credentials: FolioCredentials;
  readonly #now: () => number;
  #logins = 0;
  #refreshes = 0;
  /** A call with the token was answered 2xx: the login and the user's permissions work. */
  #accepted = false;

  constructor(opts: FolioClientOptions) {
    const tenant = opts.credentials.tenant.trim();
    const username = opts.credentials.username.trim();
    const password = opts.credentials.password;
    if (tenant === '') throw new UsageError('no FOLIO tenant: set FOLIO_TENANT, or "tenant" in the --credentials-file');
    if (username === '' || password === '') {
      throw new UsageError('no FOLIO username and password: set FOLIO_USERNAME and FOLIO_PASSWORD, or pass --credentials-file');
    }
    this.tenant = tenant;
    this.#credentials = { tenant, username, password };
    this.#now = opts.now ?? Date.now;
    this.http = new HttpClient({
      ...opts,
      headers: { accept: 'application/json, text/plain', 'x-okapi-tenant': tenant },
      secrets: [password],
      parseError: parseFolioError,
    });
    this.tokens = new TokenCache({ fetch: (refresh) => this.#grant(refresh), now: this.#now });
  }

  /** The user the client logs in as (named in messages about what FOLIO lets that user see). */
  get username(): string {
    return this.#credentials.username;
  }

  /** Logins and refreshes sent so far (tests keep an eye on single flight). */
  get logins(): number {
    return this.#logins;
  }
  get refreshes(): number {
    return this.#refreshes;
  }

  /**
   * Sends a call with the current token; a 401 drops that token (once per token) and tries again.
   * A 403 stops the run as refused credentials (AuthError, exit 5), but one FOLIO's acquisitions
   * units answer for one record (`recordRefusal`) fails that record's invoice only.
   */
  async request(req: HttpRequest): Promise<{ status: number; headers: ResponseHeaders; text: string }> {
    return this.#call(req, (r) => this.http.request(r));
  }

  /**
   * `request`, with the 2xx answer read as lossless JSON by the transport (an empty 204 body is
   * `null`): JSON cut short is retried on a read (and on a write sent as idempotent), an unknown
   * outcome on any other write; an answer that is not JSON ends a read with one message naming the
   * request, the host and the status (transport/http.ts `answer`).
   */
  async json(req: HttpRequest): Promise<JsonValue> {
    return (await this.#call(req, (r) => this.http.answer(r, { empty: true }))).value ?? null;
  }

  /** One call with the current token, `send` doing it; a 401 drops that token (once per token) and tries again. */
  async #call<T>(req: HttpRequest, send: (req: HttpRequest) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.get();
      try {
        const res = await send({ ...req, headers: { ...req.headers, 'x-okapi-token': token } });
        this.#accepted = true;
        return res;
      } catch (err) {
        // A 401 is the gateway refusing the token before the module saw the call: safe to send again.
        if (err instanceof AuthError && err.httpStatus === 401 && attempt < AUTH_TRIES) {
          this.tokens.invalidate(token);
          continue;
        }
        throw this.#recordRefusal(req, err);
      }
    }
  }

  /**
   * A 403 with one of the acquisitions units' codes (errors.ts ACQ_UNIT_REFUSALS) to a request
   * about one record — a write (one record per call in mod-invoice) or a read by id — once
   * calls with this login have been answered: that record's refusal, a plain ApiError with
   * FOLIO's code and words, which fails its invoice and lets the others load. Any other 403, and
   * one before any call was answered (the login's first requests), stays the AuthError that
   * stops the run: a refusal of the user, not of a record.
   */
  #recordRefusal(req: HttpRequest, err: unknown): unknown {
    if (!(err instanceof AuthError) || err.httpStatus !== 403 || !this.#accepted || !ACQ_UNIT_REFUSALS.has(err.code)) return err;
    const last = req.path.split('/').pop() ?? '';
    if (req.method === 'GET' && !UUID_PATTERN.test(last)) return err;
    const doing = req.method === 'GET' ? 'read' : req.method === 'POST' ? 'write' : 'change';
    const { username } = this.#credentials;
    return new ApiError({
      ...err.detail,
      message:
        `FOLIO's acquisitions units do not allow user ${username} to ${doing} this record (${req.method} ${req.path}): it, or an order it names, ` +
        `belongs to a unit the user is not a member of; FOLIO said "${err.message}". Only this invoice was held back — ` +
        'a FOLIO administrator can add the user to that acquisitions unit, then run the same command again',
    });
  }

  /**
   * A login (`refresh` undefined) or a refresh. Refused credentials stop the run like a refused
   * Alma key (exit 5); a refused refresh falls back to a login. Both are sent as idempotent:
   * they change nothing but the session, and a lost answer is replaced by the next one.
   */
  async #grant(refresh: string | undefined): Promise<TokenGrant> {
    if (refresh !== undefined) {
      try {
        this.#refreshes++;
        const res = await this.http.request({ method: 'POST', path: '/authn/refresh', headers: { cookie: `folioRefreshToken=${refresh}` }, idempotent: true });
        return this.#grantOf(res);
      } catch (err) {
        if (!(err instanceof ApiError) || err.httpStatus === 0 || err.httpStatus >= 500) throw err;
        // An expired or revoked refresh token: log in again.
      }
    }
    this.#logins++;
    const { username, password } = this.#credentials;
    let res;
    try {
      res = await this.http.request({
        method: 'POST',
        path: '/authn/login-with-expiry',
        body: { username, password },
        headers: { 'content-type': 'application/json' },
        idempotent: true,
      });
    } catch (err) {
      // No expiring login on this FOLIO: the older one (mod-login `login.raml`, `/authn/login`).
      if (err instanceof ApiError && err.httpStatus === 404) return this.#legacyLogin();
      throw this.#refused(err);
    }
    return this.#grantOf(res);
  }

  async #legacyLogin(): Promise<TokenGrant> {
    const { username, password } = this.#credentials;
    let res;
    try {
      res = await this.http.request({ method: 'POST', path: '/authn/login', body: { username, password }, headers: { 'content-type': 'application/json' }, idempotent: true });
    } catch (err) {
      throw this.#refused(err);
    }
    const token = headerValue(res.headers['x-okapi-token']);
    if (token === undefined || token === '') return this.#grantOf(res);
    // The token does not expire; a 401 still drops it and logs in again.
    const now = this.#now();
    return { accessToken: token, refreshToken: undefined, expiresAtMs: now + LEGACY_TOKEN_MS, issuedAtMs: now };
  }

  /** A 4xx to a login is refused credentials (exit 5), in FOLIO's words. */
  #refused(err: unknown): unknown {
    const { username, tenant } = this.#credentials;
    // The answer, not what came before it: a 422 after a 502 is still the password refused.
    if (err instanceof ApiError && answerRefused(err)) {
      return new AuthError({ ...err.detail, message: `FOLIO refused the login of ${username} on tenant ${tenant}: ${err.message}` });
    }
    return err;
  }

  #grantOf(res: { headers: ResponseHeaders; text: string }): TokenGrant {
    const cookies = setCookies(res.headers);
    const access = cookies.get('folioAccessToken');
    let body: JsonValue = null;
    try {
      body = res.text.trim() === '' ? null : parseJson(res.text);
    } catch {
      body = null;
    }
    const o = isJsonObject(body) ? body : {};
    // Older mod-login versions also return the token in the body (`accessToken`).
    const token = access?.value ?? jsonText(o['accessToken']);
    if (token === undefined || token === '') {
      throw new ApiError({ httpStatus: 201, code: 'BAD_RESPONSE', message: 'the FOLIO login answer has no folioAccessToken cookie' });
    }
    const now = this.#now();
    const stated = Date.parse(jsonText(o['accessTokenExpiration']) ?? '');
    const expiresAtMs = Number.isFinite(stated) ? stated : now + (access?.maxAge ?? DEFAULT_ACCESS_SECONDS) * 1000;
    return { accessToken: token, refreshToken: cookies.get('folioRefreshToken')?.value, expiresAtMs, issuedAtMs: now };
  }
}

/** The `Set-Cookie` headers of an answer: name → value and Max-Age (RFC 6265 §4.1). */
export function setCookies(headers: ResponseHeaders): Map<string, { value: string; maxAge?: number | undefined }> {
  const raw = headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out = new Map<string, { value: string; maxAge?: number | undefined }>();
  for (const line of list) {
    const [pair, ...attrs] = line.split(';');
    const eq = (pair ?? '').indexOf('=');
    if (eq <= 0) continue;
    const name = (pair as string).slice(0, eq).trim();
    const value = (pair as string).slice(eq + 1).trim();
    let maxAge: number | undefined;
    for (const a of attrs) {
      const m = /^\s*max-age\s*=\s*(-?\d+)\s*$/i.exec(a);
      if (m !== null) maxAge = Number(m[1]);
    }
    out.set(name, { value, maxAge });
  }
  return out;
}
