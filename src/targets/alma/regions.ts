/**
 * Alma's hosted API regions (the OpenAPI `servers` list,
 * docs/alma.md#requests-hosts-keys-and-thresholds). China is on `.com.cn`; UGENT's SDK builds
 * `.com` for every region, which the OpenAPI contradicts.
 */
import { UsageError } from '../../common/errors.js';
import { shownUrl } from '../../common/mask.js';

export const ALMA_REGIONS = ['na', 'eu', 'ap', 'aps', 'ca', 'cn'] as const;
export type AlmaRegion = (typeof ALMA_REGIONS)[number];

export const ALMA_API_PATH = '/almaws/v1';

export function isAlmaRegion(s: string): s is AlmaRegion {
  return (ALMA_REGIONS as readonly string[]).includes(s);
}

export function regionOrigin(region: AlmaRegion): string {
  return region === 'cn' ? 'https://api-cn.hosted.exlibrisgroup.com.cn' : `https://api-${region}.hosted.exlibrisgroup.com`;
}

/**
 * The API base (`…/almaws/v1`) from an explicit URL (scheme, host, optional port, optional
 * path prefix) or a region. An explicit URL wins. A URL that already ends in `/almaws/v1`
 * is accepted as is.
 */
export function almaBaseUrl(opts: { baseUrl?: string | undefined; region?: string | undefined }): string {
  if (opts.baseUrl !== undefined && opts.baseUrl !== '') {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new UsageError(`the Alma API URL is not a valid URL: ${shownUrl(opts.baseUrl)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UsageError(`the Alma API URL must start with https:// (or http:// for a local sandbox): ${shownUrl(opts.baseUrl)}`);
    }
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      // Credentials or a query (e.g. ?apikey=) in the URL would end up in logs and the journal key.
      throw new UsageError('the Alma API URL must not carry credentials, a query or a fragment; pass the key separately');
    }
    const path = url.pathname.replace(/\/+$/, '');
    return url.origin + (path.endsWith(ALMA_API_PATH) ? path : path + ALMA_API_PATH);
  }
  const region = opts.region;
  // No silent default: a European key sent to the North American host is just refused.
  if (region === undefined || region === '') throw new UsageError('give the Alma API URL or a region (na, eu, ap, aps, ca, cn)');
  if (!isAlmaRegion(region)) throw new UsageError(`unknown Alma region "${region}"; use one of ${ALMA_REGIONS.join(', ')}`);
  return regionOrigin(region) + ALMA_API_PATH;
}
