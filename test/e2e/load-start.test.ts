/**
 * The start of a load at a distance from Alma: the built CLI against a sandbox that answers
 * after 300 ms, seen through a proxy that logs when each request arrives and is answered. The
 * checks before sending and the invoices' look-ups go out together; nothing is written before
 * both are answered (look-ups before the first create are what makes a re-run exactly-once).
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
  arrived: number;
  answered: number;
}

/** A pass-through proxy to `target` that logs every request's arrival and answer times. */
async function loggingProxy(target: string): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  proxy = createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', path: (req.url ?? '').replace(/\?.*$/, ''), arrived: performance.now(), answered: Infinity };
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
  it('the invoice look-ups go out with the checks, and the first create only after both are answered', async () => {
    w = await world({ latencyMs: 300 });
    const { url, seen } = await loggingProxy(w.sandbox.url);
    const res = await w.load([SAMPLE], { env: { ALMA_API_URL: url } });
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), res.report!);

    const firstWrite = seen.find((s) => s.method === 'POST')!;
    const before = seen.filter((s) => s.arrived < firstWrite.arrived);
    // The look-ups prepared for the whole run: one listing per vendor with several invoices
    // (GOBI, HARRAS). A vendor with one invoice is searched when that invoice starts, before
    // its own create, which may be while the first invoice writes.
    const listings = before.filter((s) => /\/acq\/vendors\/[^/]+\/invoices$/.test(s.path));
    const checks = before.filter((s) => !listings.includes(s) && !s.path.endsWith('/acq/invoices/'));
    expect(listings.map((s) => s.path).sort()).toEqual(['/almaws/v1/acq/vendors/GOBI/invoices', '/almaws/v1/acq/vendors/HARRAS/invoices']);
    expect(checks.length).toBeGreaterThan(0);
    // Together: the first listing left before the first check was answered.
    const firstCheckAnswer = Math.min(...checks.map((s) => s.answered));
    expect(Math.min(...listings.map((s) => s.arrived))).toBeLessThan(firstCheckAnswer);
    // The checks and the listings were all answered before the first write was sent.
    expect(Math.max(...[...checks, ...listings].map((s) => s.answered))).toBeLessThanOrEqual(firstWrite.arrived);
  });
});
