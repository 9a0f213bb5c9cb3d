/**
 * A target's access token, cached and refreshed, one at a time, for every target that logs in.
 * Written for Exsited's OAuth2 client-credentials token:
 *
 * "A new access token for the same credentials ends the previous one. If two apps share one set of
 * credentials, they keep signing each other out" (exsited-docs-kb article 01,
 * https://github.com/shuvo-webalive/exsited-docs-kb). So within a run there is exactly one live
 * token, and never two token requests at once: every caller that needs a token while one is being
 * fetched waits for that same fetch (single flight). A token is renewed shortly before `expires_in`
 * runs out, with the refresh token when there is one (the SDKs fall back to a new
 * client_credentials grant when the refresh is refused, exsited-php `renewAccessToken`); a 401 on a
 * request drops the token it was sent with — only if it is still the current one, so twenty
 * requests refused together cause one renewal, not twenty.
 *
 * Every token granted is a secret of the run from then on, as the credentials it was got with
 * (README.md, "Messages never show the key"): a server that echoes the token it was sent, in an
 * error's words or code, shows `***` in the summary, the reports and the journal.
 */
import { addShownSecrets } from '../common/shown-secrets.js';

export interface TokenGrant {
  accessToken: string;
  refreshToken?: string | undefined;
  /** Wall-clock ms after which the token is no longer valid. */
  expiresAtMs: number;
  /** When it was granted: the renewal margin is at most a tenth of the token's life. */
  issuedAtMs?: number | undefined;
}

export interface TokenCacheOptions {
  /** Fetches a token: with the refresh token of the current grant when there is one. */
  fetch: (refreshToken: string | undefined) => Promise<TokenGrant>;
  now?: (() => number) | undefined;
  /** Renew this long before expiry, so a request never leaves with a token about to lapse. Default 60 s. */
  marginMs?: number | undefined;
}

export class TokenCache {
  readonly #fetch: TokenCacheOptions['fetch'];
  readonly #now: () => number;
  readonly #marginMs: number;
  #grant: TokenGrant | undefined;
  #pending: Promise<TokenGrant> | undefined;
  /** The refresh token of a grant that was dropped or expired: the next fetch may use it. */
  #refresh: string | undefined;
  #fetches = 0;

  constructor(opts: TokenCacheOptions) {
    this.#fetch = opts.fetch;
    this.#now = opts.now ?? Date.now;
    this.#marginMs = opts.marginMs ?? 60_000;
  }

  /** Token requests sent so far (for tests and the report's request count, which the client keeps). */
  get fetches(): number {
    return this.#fetches;
  }

  /** A valid access token: the cached one, the one being fetched, or a new one. */
  async get(): Promise<string> {
    const g = this.#grant;
    // A short-lived token (a test sandbox's) must not look expired the moment it arrives.
    const margin =
      g === undefined ? 0 : g.issuedAtMs === undefined ? this.#marginMs : Math.min(this.#marginMs, (g.expiresAtMs - g.issuedAtMs) / 10);
    if (g !== undefined && this.#now() < g.expiresAtMs - margin) return g.accessToken;
    if (g !== undefined) {
      this.#refresh = g.refreshToken ?? this.#refresh;
      this.#grant = undefined;
    }
    if (this.#pending === undefined) {
      this.#fetches++;
      const refresh = this.#refresh;
      this.#pending = this.#fetch(refresh).then(
        (grant) => {
          addShownSecrets(grant.accessToken, grant.refreshToken);
          this.#grant = grant;
          this.#refresh = grant.refreshToken;
          this.#pending = undefined;
          return grant;
        },
        (err: unknown) => {
          this.#pending = undefined;
          throw err;
        },
      );
    }
    return (await this.#pending).accessToken;
  }

  /**
   * The API refused `token` (401): forget it, unless a newer token has replaced it already —
   * then the caller just retries with the current one.
   */
  invalidate(token: string): void {
    if (this.#grant?.accessToken !== token) return;
    this.#refresh = this.#grant.refreshToken ?? this.#refresh;
    this.#grant = undefined;
  }
}
