/**
 * A 429 whose Retry-After is longer than the loader waits (60 s) stops the run, as the daily
 * threshold does: one line saying how long Alma asked to wait and when to run again, `stopped:
 * retry_after` in the report, exit 4. Before, each request failed on its own and held every other
 * for 60 s: the sample batch against such a server took some 50 minutes to end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { runCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

const loop = loopbackPerTest();

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const TOO_MANY = JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: 'PER_SECOND_THRESHOLD', errorMessage: 'HTTP requests are more than allowed per second' }] } });

/** HH:MM (UTC) of the minute after `ms` from `at`: the time the stop names. */
const hhmm = (at: number, ms: number): string => new Date(Math.ceil((at + ms) / 60_000) * 60_000).toISOString().slice(11, 16);

const bodyOf = async (req: IncomingMessage): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

describe('a Retry-After longer than the loader waits', () => {
  it('on every request: the run stops at once, says until when, nothing is sent (exit 4)', async () => {
    let requests = 0;
    const url = await loop.listen((_req, res) => {
      requests++;
      res.writeHead(429, { 'retry-after': '3600', 'content-type': 'application/json' });
      res.end(TOO_MANY);
    });
    const dir = loop.tempDir('invoice-load-retry-after-');
    const from = Date.now();
    const res = await runCli(['--json', 'fixtures/sample-batch.csv'], { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir, TZ: 'UTC' }, timeoutMs: 60_000 });
    const to = Date.now();
    expect(res.code, res.stderr).toBe(4);
    const line = res.stderr.split('\n').filter((l) => l.startsWith('invoice-load:'));
    expect(line, res.stderr).toHaveLength(1);
    expect(line[0]).toMatch(/^invoice-load: Alma asked to wait 60 min \(Retry-After\); nothing was sent; run again after (?:\d{4}-\d\d-\d\d )?(\d\d:\d\d) UTC$/);
    expect([hhmm(from, 3_600_000), hhmm(to, 3_600_000)]).toContain(/(\d\d:\d\d) UTC$/.exec(line[0]!)![1]);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('retry_after');
    expect(report.summary).toMatchObject({ failed: 7, planned: 0 });
    // The checks sent at once, none of them again: no request is sent after the first such answer comes back.
    expect(requests).toBeLessThanOrEqual(20);
  }, 60_000);

  it('on the first create: the run stops, the create is journaled refused (nothing applied), and the same command finishes the batch later', async () => {
    w = await world();
    const sandbox = w.sandbox.url;
    let creates = 0;
    // Alma's answers, except to a create: 429 with an hour's Retry-After.
    const url = await loop.listen((req, res) => {
      void (async () => {
        const body = await bodyOf(req);
        if (req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname.endsWith('/acq/invoices')) {
          creates++;
          res.writeHead(429, { 'retry-after': '3600', 'content-type': 'application/json' });
          res.end(TOO_MANY);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
        const answer = await fetch(sandbox + (req.url ?? '/'), { method: req.method ?? 'GET', headers, ...(body.length > 0 ? { body } : {}) });
        const out: Record<string, string> = {};
        for (const k of ['content-type', 'x-exl-api-remaining']) {
          const v = answer.headers.get(k);
          if (v !== null) out[k] = v;
        }
        res.writeHead(answer.status, out);
        res.end(Buffer.from(await answer.arrayBuffer()));
      })();
    });
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: url, TZ: 'UTC' }, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(4);
    expect(res.report!.stopped).toBe('retry_after');
    expect(res.stderr).toMatch(/Alma asked to wait 60 min \(Retry-After\); nothing more is sent; run again after (?:\d{4}-\d\d-\d\d )?\d\d:\d\d/);
    expect(creates).toBeGreaterThan(0);
    expect(w.sandbox.state().invoices.filter((i) => i.origin === 'api')).toEqual([]);
    // Every create sent was answered 429, a refusal: journaled so, not left for a re-run to look for.
    const journals = readdirSync(join(w.stateDir, 'journals')).filter((f) => f.endsWith('.jsonl'));
    expect(journals).toHaveLength(1);
    const entries = readFileSync(join(w.stateDir, 'journals', journals[0]!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: string; step?: string });
    const intents = entries.filter((e) => e.t === 'intent' && e.step === 'create').length;
    expect(intents).toBe(creates);
    expect(entries.filter((e) => (e.t === 'refused' || e.t === 'unsent') && e.step === 'create').length).toBe(intents);
    // After the wait: the same command, straight to Alma, loads every invoice once.
    const again = await w.load(['fixtures/sample-batch.csv']);
    expect(again.code, again.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), again.report!);
  }, 90_000);
});
