/**
 * The start of a load at a distance from Alma: the built CLI against a sandbox that answers
 * after 300 ms, seen through a proxy that logs when each request arrives and is answered. The
 * checks before sending and the first invoice's look-up go out together; nothing is written
 * before both are answered (an invoice is looked up before its create: that is what makes a
 * re-run exactly-once). The other vendors are listed once their first invoice starts.
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
  it("the first invoice's look-up goes out with the checks, the first create only after both are answered, and the other vendors' look-ups after the checks", async () => {
    w = await world({ latencyMs: 300 });
    const { url, seen } = await loggingProxy(w.sandbox.url);
    const res = await w.load([SAMPLE], { env: { ALMA_API_URL: url } });
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), res.report!);

    const firstWrite = seen.find((s) => s.method === 'POST')!;
    const before = seen.filter((s) => s.arrived < firstWrite.arrived);
    const isListing = (s: Seen): boolean => /\/acq\/vendors\/[^/]+\/invoices$/.test(s.path);
    // The look-up the first invoice (GOBI's G-24118) needs is prepared beside the checks: one
    // listing of its vendor, which has several invoices in the batch.
    const listings = before.filter(isListing);
    const checks = before.filter((s) => !isListing(s) && !s.path.endsWith('/acq/invoices/'));
    expect(listings.map((s) => s.path)).toContain('/almaws/v1/acq/vendors/GOBI/invoices');
    expect(checks.length).toBeGreaterThan(0);
    const gobi = listings.find((s) => s.path.endsWith('/GOBI/invoices'))!;
    // Together: the listing left before the first check was answered.
    expect(gobi.arrived).toBeLessThan(Math.min(...checks.map((s) => s.answered)));
    // The checks and that listing were all answered before the first write was sent.
    expect(Math.max(...[...checks, gobi].map((s) => s.answered))).toBeLessThanOrEqual(firstWrite.arrived);
    // HARRAS (two invoices) is listed when its first invoice starts, after the checks (not in
    // the wave before the first write), once for both of its invoices: no word search for them.
    const harras = seen.filter((s) => s.path.endsWith('/HARRAS/invoices'));
    expect(harras.length).toBeGreaterThan(0);
    expect(harras[0]!.arrived).toBeGreaterThanOrEqual(Math.max(...checks.map((s) => s.answered)));
    expect(seen.filter((s) => s.path.endsWith('/acq/invoices/') && /HA-2025/.test(s.query))).toEqual([]);
  });
});
