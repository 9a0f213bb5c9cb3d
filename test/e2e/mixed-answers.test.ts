/**
 * Answers a load must not take at their word.
 *
 * A proxy in front of Alma that mixes answers up (as one reusing connections can): it hands
 * G-24131's create the answer G-24118's create got. The load must not take G-24118's id for
 * G-24131 — no line of G-24131 added to G-24118, G-24118 not processed twice — but look G-24131
 * up by its number, as after a lost answer, and load each invoice once.
 *
 * A create whose answer is lost, sent again once Alma's search (lagging past the window) still
 * does not show it, is refused because the number exists: that is the first create, not another
 * invoice — OUTCOME_UNKNOWN, which the same command finishes, never a row to renumber.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { closeServer, expectExactlyOnce, sampleSubset, world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
let proxy: http.Server | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  await closeServer(proxy);
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
          let reply: { status: number; headers: http.IncomingHttpHeaders; body: Buffer } = { status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(got) };
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

describe("a create's answer lost while Alma's search lags past the settle window", () => {
  it('the create sent again is refused as a duplicate (60288): OUTCOME_UNKNOWN, no --rejects row; the same command later completes it once', async () => {
    // Search and listings show a new invoice only after 10 minutes; a read by id at once.
    w = await world({ indexLagMs: 600_000 });
    w.sandbox.setFaults({ faults: [{ step: 'create', kind: 'lost_after', match: 'G-24131', times: 1 }] });
    const file = sampleSubset(w.dir, ['GOBI']);
    const rejects = join(w.dir, 'rejects.csv');
    const res = await w.load([file, '--settle', '0', '--rejects', rejects]);
    expect(res.code, res.stderr).toBe(4);
    const failed = res.report!.invoices.find((i) => i.number === 'G-24131')!;
    expect(failed).toMatchObject({ status: 'failed', error: { step: 'create', code: 'OUTCOME_UNKNOWN' } });
    expect(failed.error!.message).toContain('does not show it yet');
    // The same bill, not one to renumber: no row of it to correct.
    expect(existsSync(rejects) ? readFileSync(rejects, 'utf8') : '').not.toContain('G-24131');
    expect(w.sandbox.state().invoices.filter((i) => i.number === 'G-24131')).toHaveLength(1);
    // Once the search shows it, the same command finds it and completes it.
    w.sandbox.configure({ indexLagMs: 0 });
    const again = await w.load([file, '--settle', '0']);
    expect(again.code, again.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), again.report!);
  });
});
