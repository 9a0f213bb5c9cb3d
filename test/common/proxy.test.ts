import { describe, expect, it } from 'vitest';
import { reachedDirectly } from '../../src/common/proxy.js';
import { HttpClient } from '../../src/transport/http.js';
import { UsageError } from '../../src/common/errors.js';
import { parseAlmaError } from '../../src/targets/alma/errors.js';

describe('reachedDirectly: no_proxy as curl reads it', () => {
  it.each([
    ['*', 'https://folio.univ.edu', true],
    ['univ.edu', 'https://folio.univ.edu', true],
    ['.univ.edu', 'https://folio.univ.edu', true],
    ['*.univ.edu', 'https://folio.univ.edu/okapi', true],
    ['univ.edu', 'https://univ.edu', true],
    ['univ.edu', 'https://notuniv.edu', false],
    ['other.org, univ.edu', 'https://folio.univ.edu', true],
    ['other.org univ.edu', 'https://folio.univ.edu', true],
    ['UNIV.EDU', 'https://folio.univ.edu', true],
    ['folio.univ.edu:443', 'https://folio.univ.edu', true],
    ['folio.univ.edu:8443', 'https://folio.univ.edu', false],
    ['192.0.2.2', 'http://192.0.2.2:8080', true],
    ['[::1]:8080', 'http://[::1]:8080', true],
    ['::1', 'http://[::1]:8080', true],
    ['', 'https://api-eu.hosted.exlibrisgroup.com', false],
  ])('no_proxy=%j, %s: %s', (noProxy, url, direct) => {
    expect(reachedDirectly(noProxy, new URL(url))).toBe(direct);
  });
});

describe('a proxy variable the run cannot use (a socks https_proxy)', () => {
  const refusedHttps = 'https_proxy="socks5://bob:***@p:1080" is a socks5 proxy, and invoice-load talks to http and https proxies only: give http://host:port (or unset https_proxy to go direct)';
  const client = (baseUrl: string, noProxy: string): HttpClient =>
    new HttpClient({ baseUrl, parseError: parseAlmaError, sleep: async () => {}, retry: { maxRetries: 0 }, proxy: { httpProxy: '', httpsProxy: '', noProxy, refusedHttps } });

  it('refuses a client for a host the proxy would carry', () => {
    expect(() => client('https://api-eu.hosted.exlibrisgroup.com/almaws/v1', '')).toThrow(new UsageError(refusedHttps));
  });

  it('not one no_proxy or loopback sends directly (a self-hosted FOLIO, the sandbox)', async () => {
    for (const [url, noProxy] of [
      ['https://folio.univ.edu/okapi', '.univ.edu'],
      ['https://127.0.0.1:9/almaws/v1', ''],
    ] as const) {
      const c = client(url, noProxy);
      await c.close();
    }
  });
});
