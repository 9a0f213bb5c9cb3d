/** What the proxy settings say, shared by the transport and `invoice-load config`. Pure. */

/**
 * Whether `no_proxy` says no host is proxied: `*` as its whole value, as curl and npm read it
 * (https://curl.se/docs/manpage.html#--noproxy: "The only wildcard is a single * character,
 * which matches all hosts").
 */
export function noProxyAll(proxy: { noProxy: string }): boolean {
  return proxy.noProxy.trim() === '*';
}
