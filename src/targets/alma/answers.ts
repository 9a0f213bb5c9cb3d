import { ApiError, NOT_ALMA_API } from '../../common/errors.js';
import type { JsonClient } from '../../transport/http.js';

/**
 * Whether the answers came from Alma's API: the checks before sending, and the look-ups beside
 * them (with `--check none` the only requests before the first write). Alma answers a read with
 * JSON, and a refusal with its error document (docs/alma.md#errors-error-codes-and-alerts); a
 * bare HTTP status ("HTTP 404 with no error details") or an HTML page is what a wrong address
 * gives — the Alma web interface's address instead of the API gateway's, a missing
 * `/almaws/v1`, a proxy's page. Without this, every check became a "could not check" warning, and then every invoice
 * failed at its look-up, one by one, with advice to fix the file or to run again.
 */
export class AnswerWatch {
  readonly #what: string;
  #alma = 0;
  #other = 0;
  #first: string | undefined;

  /** `what` names the requests in the message: `checks`, `look-ups`. */
  constructor(what: string) {
    this.#what = what;
  }

  watch(http: JsonClient): JsonClient {
    return {
      json: async (req) => {
        try {
          const v = await http.json(req);
          this.#alma++;
          return v;
        } catch (err) {
          if (err instanceof ApiError && (err.code === 'BAD_RESPONSE' || /^HTTP_\d+$/.test(err.code))) {
            this.#other++;
            this.#first ??= `${req.method} ${req.path}: ${err.code === 'BAD_RESPONSE' ? `not JSON (${err.message.replace(/^unreadable answer to \S+ \S+: /, '')})` : err.message}`;
          } else if (err instanceof ApiError && err.httpStatus > 0) this.#alma++;
          throw err;
        }
      },
    };
  }

  /** Throws when no request was answered as Alma's API answers and at least one was answered otherwise. */
  verdict(): void {
    if (this.#alma > 0 || this.#other === 0) return;
    throw new ApiError({
      httpStatus: 0,
      code: NOT_ALMA_API,
      message:
        `the address does not answer as Alma's API: none of the ${this.#other} ${this.#what} got JSON or Alma's error document (${this.#first ?? ''}) — ` +
        "check that it is Alma's API gateway (https://api-<region>.hosted.exlibrisgroup.com, or --region), not the Alma web page",
    });
  }
}
