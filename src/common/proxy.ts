/** What the proxy settings say, shared by the transport and `invoice-load config`. Pure. */

/**
 * Whether `no_proxy` says no host is proxied: `*` as its whole value, as curl and npm read it
 * (https://curl.se/docs/manpage.html#--noproxy: "The only wildcard is a single * character,
 * which matches all hosts").
 */
export function noProxyAll(proxy: { noProxy: string }): boolean {
  return proxy.noProxy.trim() === '*';
}

/**
 * Whether `no_proxy` sends a request to `url` directly, as curl reads the list
 * (https://curl.se/docs/manpage.html#--noproxy): comma- or space-separated host names, each
 * matching itself and its subdomains (`univ.edu` and `.univ.edu` both match `folio.univ.edu`),
 * with `:port` only that port; `*` alone, every host. Used to decide whether a proxy variable
 * the run cannot use concerns this request at all (transport/http.ts proxyDispatcher).
 */
export function reachedDirectly(noProxy: string, url: URL): boolean {
  if (noProxy.trim() === '*') return true;
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  for (const raw of noProxy.toLowerCase().split(/[\s,]+/)) {
    if (raw === '') continue;
    // `[::1]:8080`, `host:8080`, or a host alone (a bare IPv6 address has more than one colon).
    const m = /^\[(.*)\](?::(\d+))?$/.exec(raw) ?? (raw.split(':').length === 2 ? /^(.*):(\d+)$/.exec(raw) : null);
    const name = (m?.[1] ?? raw).replace(/^\*?\./, '');
    const only = m?.[2];
    if ((host === name || host.endsWith(`.${name}`)) && (only === undefined || only === port)) return true;
  }
  return false;
}
