/**
 * A proxy in front of Alma that mixes answers up (as one reusing connections can): it hands
 * G-24131's create the answer G-24118's create got. The load must not take G-24118's id for
 * G-24131 — no line of G-24131 added to G-24118, G-24118 not processed twice — but look G-24131
 * up by its number, as after a lost answer, and load each invoice once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectExactlyOnce, sampleSubset, world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
let proxy: http.Server | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy = undefined;
});

/** A reverse proxy to `to` that answers the create of `replayTo` with the answer the create of `replayFrom` got. */
async function replayingProxy(to: string, replayFrom: string, replayTo: string): Promise<{ url: string; replayed: () => number }> {
  const target = new URL(to);
  let kept: { status: number; headers: http.IncomingHttpHeaders; body: Buffer } | undefined;
  let replayed = 0;
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sent = Buffer.concat(chunks);
      const isCreate = req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/almaws/v1/acq/invoices';
      const number = isCreate ? (JSON.parse(sent.toString('utf8')) as { number?: string }).number : undefined;
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        const got: Buffer[] = [];
        answer.on('data', (c: Buffer) => got.push(c));
        answer.on('end', () => {
          let reply = { status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(got) };
          if (number === replayFrom) kept = reply;
          else if (number === replayTo && kept !== undefined) {
            reply = kept;
            replayed++;
          }
          const { 'transfer-encoding': _chunked, ...headers } = reply.headers;
          res.writeHead(reply.status, { ...headers, 'content-length': String(reply.body.length) });
          res.end(reply.body);
        });
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(sent);
    });
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, replayed: () => replayed };
}

describe('a proxy that hands one create the answer of another', () => {
  it("G-24131 given G-24118's create answer: looked up by number, each invoice loaded once under its own id, exit 0", async () => {
    w = await world();
    const p = await replayingProxy(w.sandbox.url, 'G-24118', 'G-24131');
    const file = sampleSubset(w.dir, ['GOBI']);
    const res = await w.load([file, '--concurrency', '1'], { env: { ALMA_API_URL: p.url } });
    expect(p.replayed()).toBe(1);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report!;
    const ids = report.invoices.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expectExactlyOnce(w.sandbox.state(), report);
  });
});
