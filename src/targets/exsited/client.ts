/**
 * The Exsited flavour of the shared HTTP client: OAuth2 client credentials → `Authorization:
 * Bearer` on every call (https://developer.exsited.com/exsited-api-authentication), one cached
 * token (token.ts), a renewal and one more try when a call is answered 401 (the SDKs renew on 401
 * and retry, exsited-php `responseProcessor`), and Exsited's error parser. A 401 is a refusal
 * before anything was done, so trying again is safe even for a POST.
 */
import { ApiError, AuthError, UsageError } from '../../common/errors.js';
import { isJsonObject, jsonText, type JsonValue } from '../../common/json.js';
import { HttpClient, type HttpRequest, type TransportOptions } from '../../transport/http.js';
import { parseExsitedError } from './errors.js';
import { DEFAULT_EXSITED_PATHS, DEFAULT_EXSITED_VERSION, fillPath, type ExsitedPaths } from './paths.js';
import { TokenCache, type TokenGrant } from '../../transport/token.js';

export interface ExsitedCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * The SDKs send one with every grant (https://developer.exsited.com/exsited-api-authentication);
   * optional here.
   */
  redirectUri?: string | undefined;
}

export interface ExsitedClientOptions extends TransportOptions {
  /**
   * The instance's URL, scheme and host (each customer has its own,
   * https://developer.exsited.com/exsited-api-introduction).
   */
  baseUrl: string;
  credentials: ExsitedCredentials;
  apiVersion?: string | undefined;
  paths?: Partial<ExsitedPaths> | undefined;
}

/** Tries of one call that keeps being refused with 401 after a renewal (the SDKs: 3). */
const AUTH_TRIES = 3;

export class ExsitedClient {
  readonly http: HttpClient;
  readonly tokens: TokenCache;
  readonly paths: ExsitedPaths;
  readonly version: string;
  readonly #credentials: ExsitedCredentials;

  constructor(opts: ExsitedClientOptions) {
    const id = opts.credentials.clientId.trim();
    const secret = opts.credentials.clientSecret.trim();
    if (id === '' || secret === '') {
      throw new UsageError('no Exsited credentials: set EXSITED_CLIENT_ID and EXSITED_CLIENT_SECRET, or pass --credentials-file');
    }
    this.#credentials = { clientId: id, clientSecret: secret, redirectUri: opts.credentials.redirectUri };
    this.paths = { ...DEFAULT_EXSITED_PATHS, ...opts.paths };
    this.version = opts.apiVersion ?? DEFAULT_EXSITED_VERSION;
    this.http = new HttpClient({
      ...opts,
      baseUrl: opts.baseUrl,
      headers: { accept: 'application/json' },
      // The secret travels in the token request's body: masked wherever a message could echo it.
      secrets: [secret],
      parseError: parseExsitedError,
    });
    const now = opts.now ?? Date.now;
    this.tokens = new TokenCache({ fetch: (refresh) => this.#grant(refresh, now), now });
  }

  path(name: keyof ExsitedPaths, values: { po?: string | undefined; id?: string | undefined } = {}): string {
    return fillPath(this.paths[name], { v: this.version, ...values });
  }

  /** Sends a call with the current token; a 401 renews the token (once per refused token) and tries again. */
  async json(req: HttpRequest): Promise<JsonValue> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.get();
      try {
        return await this.http.json({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } });
      } catch (err) {
        if (err instanceof AuthError && err.httpStatus === 401 && attempt < AUTH_TRIES) {
          this.tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * `POST /api/v1/oauth2/token` with a JSON body
   * (https://developer.exsited.com/exsited-api-authentication): client_credentials, or
   * refresh_token when the last grant had one; a refused refresh falls back to client credentials
   * (exsited-php `renewAccessToken`). Refused is any 4xx, not only the SDKs' 400: OAuth answers a
   * refused grant 400 or, for the client, 401 `invalid_client` (RFC 6749 §5.2,
   * https://www.rfc-editor.org/rfc/rfc6749#section-5.2), and whether the client credentials are
   * refused too is for their own grant to say. Sent as idempotent: a token request has no effect
   * beyond the token, and a lost answer is replaced by the next grant anyway.
   */
  async #grant(refreshToken: string | undefined, now: () => number): Promise<TokenGrant> {
    const c = this.#credentials;
    const base = { client_id: c.clientId, client_secret: c.clientSecret, ...(c.redirectUri !== undefined ? { redirect_uri: c.redirectUri } : {}) };
    const send = (body: Record<string, string>): Promise<JsonValue> =>
      this.http.json({ method: 'POST', path: this.paths.token, body, idempotent: true, headers: { 'content-type': 'application/json' } });
    let answer: JsonValue;
    try {
      if (refreshToken !== undefined) {
        try {
          answer = await send({ grant_type: 'refresh_token', refresh_token: refreshToken, ...base });
        } catch (err) {
          if (!(err instanceof ApiError) || err.httpStatus < 400 || err.httpStatus >= 500) throw err;
          answer = await send({ grant_type: 'client_credentials', ...base });
        }
      } else {
        answer = await send({ grant_type: 'client_credentials', ...base });
      }
    } catch (err) {
      // Refused credentials stop the run like a refused Alma key (exit 5); anything else is the caller's.
      if (err instanceof ApiError && (err.httpStatus === 400 || err.httpStatus === 401 || err.httpStatus === 403)) {
        // Exsited's documented token request carries a redirect_uri (auth docs page; both SDKs
        // send one): without one, a refusal may be for its absence, not for the secret.
        const hint = c.redirectUri === undefined ? ' (no redirect_uri was sent: if the app in Exsited has one, set EXSITED_REDIRECT_URI or "redirect_uri" in the credentials file)' : '';
        throw new AuthError({ ...err.detail, message: `the Exsited credentials were refused: ${err.message}${hint}` });
      }
      throw err;
    }
    const token = isJsonObject(answer) ? jsonText(answer['access_token']) : undefined;
    if (token === undefined || token === '') {
      throw new ApiError({ httpStatus: 200, code: 'BAD_RESPONSE', message: 'the Exsited token answer has no access_token' });
    }
    const expiresIn = isJsonObject(answer) ? Number(jsonText(answer['expires_in']) ?? '3600') : 3600;
    return {
      accessToken: token,
      refreshToken: isJsonObject(answer) ? jsonText(answer['refresh_token']) : undefined,
      // "expires_in": 3600 (auth docs page); an unreadable value is taken as the documented hour.
      expiresAtMs: now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
      issuedAtMs: now(),
    };
  }
}
