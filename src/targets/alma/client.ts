/**
 * The Alma flavour of the shared HTTP client: base URL (explicit or by region), the
 * `Authorization: apikey` header, JSON both ways, and Alma's error parser.
 */
import { UsageError } from '../../common/errors.js';
import { HttpClient, type CheckedClient, type TransportOptions } from '../../transport/http.js';
import { errorInAnswer, parseAlmaError } from './errors.js';
import { almaBaseUrl } from './regions.js';

export interface AlmaClientOptions extends TransportOptions {
  /** The API key, as a value (read by the caller from a file or the environment). */
  apiKey: string;
  /** Scheme, host and optional port (`/almaws/v1` is appended). Wins over `region`. */
  baseUrl?: string | undefined;
  /** `na`, `eu`, `ap`, `aps`, `ca` or `cn`. */
  region?: string | undefined;
  connectTimeoutMs?: number | undefined;
}

/**
 * Typed without `request`: its raw text would skip the look for Alma's error document under a 2xx
 * (docs/alma.md#errors-error-codes-and-alerts), so every Alma call reads through `json` or `answer`.
 */
export function createAlmaHttpClient(opts: AlmaClientOptions): CheckedClient {
  // Keys read from a file often end with a newline; a header value cannot carry one.
  const key = opts.apiKey.trim();
  if (key === '') throw new UsageError('no Alma API key: set ALMA_API_KEY or pass --api-key-file');
  return new HttpClient({
    ...opts,
    baseUrl: almaBaseUrl(opts),
    // The header, not `?apikey=`, keeps the key out of URLs and logs
    // (docs/alma.md#requests-hosts-keys-and-thresholds).
    headers: {
      authorization: `apikey ${key}`,
      accept: 'application/json',
      'content-type': 'application/json',
    },
    secrets: [key],
    parseError: parseAlmaError,
    // Alma's error document under a 2xx is its error, masked as any error answer is (docs/alma.md#errors-error-codes-and-alerts).
    errorInAnswer,
  });
}
