/**
 * The start of a load at a distance from Alma: the built CLI against a sandbox that answers
 * after 300 ms, seen through a proxy that logs when each request arrives and is answered. The
 * checks before sending and every invoice's look-up go out together; nothing is written before
 * all are answered (an invoice is looked up before its create: that is what makes a re-run
 * exactly-once; before the first write: an invoice Alma holds with another total is a problem
 * found with the others).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';

const SAMPLE = 'fixtures/sample-batch.csv';
let w: World | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy = undefined;
  await w?.close();
  w = undefined;
});

interface Seen {
  method: string;
  path: string;
  query: string;
  arrived: number;
  answered: number;
}

/** A pass-through proxy to `target` that logs every request's arrival and answer times. */
async function loggingProxy(target: string): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  proxy = createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', path: (req.url ?? '').replace(/\?.*$/, ''), query: decodeURIComponent((req.url ?? '').replace(/^[^?]*/, '')), arrived: performance.now(), answered: Infinity };
    seen.push(entry);
    const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => (entry.answered = performance.now()));
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${to.pathname}`;
  return { url: base, seen };
}

describe('the start of a load at 300 ms a request', () => {
  it('every look-up goes out with the checks, in one wave, and the first create only after all are answered', async () => {
    // At 50/s the wave's 18 requests leave within 0.4 s; the first answer comes after 0.3 s.
    w = await world({ latencyMs: 300, perSecond: 50 });
    const { url, seen } = await loggingProxy(w.sandbox.url);
    const res = await w.load(['--rate', '50', SAMPLE], { env: { ALMA_API_URL: url } });
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), res.report!);

    const firstWrite = seen.find((s) => s.method === 'POST')!;
    const before = seen.filter((s) => s.arrived < firstWrite.arrived);
    // A vendor's invoices are read by the search on its code (lookup.ts #listVendor), one by its number.
    const isListing = (s: Seen): boolean => s.path.endsWith('/acq/invoices/') && /[?&]q=vendor_code~/.test(s.query);
    const isSearch = (s: Seen): boolean => s.path.endsWith('/acq/invoices/') && !isListing(s);
    const listings = before.filter(isListing);
    const searches = before.filter(isSearch);
    const checks = before.filter((s) => !isListing(s) && !isSearch(s));
    // GOBI (three invoices) and HARRAS (two) are listed, once each; EBSCO's and BLACKWELL's one
    // invoice each is searched by its number.
    expect(listings.map((s) => s.query.match(/vendor_code~([^&]+)/)?.[1]).sort()).toEqual(['GOBI', 'HARRAS']);
    expect(searches.map((s) => s.query.match(/invoice_number~([^&]+)/)?.[1]).sort()).toEqual(['BW/77120', 'EBS-9001-25']);
    expect(checks.length).toBeGreaterThan(0);
    // One wave: every look-up left before any was answered (none waits for another's answer)...
    const lookups = [...listings, ...searches];
    expect(Math.max(...lookups.map((s) => s.arrived))).toBeLessThan(Math.min(...lookups.map((s) => s.answered)));
    // ...and all of them, checks and look-ups, were answered before the first write was sent.
    expect(Math.max(...[...checks, ...lookups].map((s) => s.answered))).toBeLessThanOrEqual(firstWrite.arrived);
    // Nothing looked up twice before sending: no word search for a listed vendor's invoice (after
    // the first create, one search of it measures how soon Alma's search shows a new invoice).
    expect(before.filter((s) => isSearch(s) && /G-24|HA-2025/.test(s.query))).toEqual([]);
    expect(before).toHaveLength(new Set(before.map((s) => s.path + s.query)).size);
  });
});
