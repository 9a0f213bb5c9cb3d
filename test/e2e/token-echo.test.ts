/**
 * The tokens a run obtains (Exsited's OAuth access and refresh tokens, FOLIO's access token from
 * its login) are secrets as the credentials they were got with (README.md, "Messages never show
 * the key"): a server whose refusal echoes the token it was sent leaves it in no output — not the
 * summary, the progress (-v), the --json document, the --report and --report-html files, the
 * --rejects file or the journal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { CLIENT_SECRET, EXSITED_SAMPLE } from '../helpers/target-worlds.js';
import { startExsitedSandbox } from '../../src/sandbox/exsited.js';
import { startFolioSandbox } from '../../src/sandbox/folio/server.js';

const FOLIO_PASSWORD = 'e2e-Folio-pw-7c1d';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/**
 * A proxy to `target` that refuses the invoice's create with an answer naming the token the
 * request carried (`token(req)`) in its words (and FOLIO's in its code), as a gateway logging its
 * request back might; everything else
 * passes through. The tokens it saw are collected in `seen`.
 */
async function tokenEchoingProxy(target: string, token: (req: IncomingMessage) => string | undefined, isCreate: (req: IncomingMessage) => boolean, refusal: (token: string) => { status: number; body: string }): Promise<{ url: string; seen: Set<string> }> {
  const to = new URL(target);
  const seen = new Set<string>();
  const proxy: Server = createServer((req, res) => {
    const t = token(req);
    if (t !== undefined) seen.add(t);
    if (t !== undefined && isCreate(req)) {
      req.resume();
      const { status, body } = refusal(t);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      // Refresh tokens too: FOLIO's come in a cookie, Exsited's in the token answer.
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        for (const m of body.toString('utf8').matchAll(/"(?:access|refresh)_token"\s*:\s*"([^"]+)"/g)) seen.add(m[1]!);
        for (const c of [answer.headers['set-cookie'] ?? []].flat()) {
          const m = /^folio(?:Access|Refresh)Token=([^;]+)/.exec(c);
          if (m !== null) seen.add(m[1]!);
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(body);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p, 'utf8'));
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'token-echo-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

describe('a token echoed by the server is masked everywhere', () => {
  it('Exsited: the OAuth access token in a refusal of the create', async () => {
    const sandbox = await startExsitedSandbox({ port: 0, eventDelayMs: 40, perSecond: 1000 });
    closers.push(() => sandbox.close());
    const { url, seen } = await tokenEchoingProxy(
      sandbox.url,
      (req) => /^Bearer (.+)$/.exec(header(req, 'authorization') ?? '')?.[1],
      (req) => req.method === 'POST' && /purchase-invoices$/.test(req.url ?? ''),
      (t) => ({ status: 400, body: JSON.stringify({ errors: [{ code: 400, message: `request with Bearer ${t} refused (token=${t})` }] }) }),
    );
    const dir = tempDir();
    const env = { EXSITED_API_URL: url, EXSITED_CLIENT_ID: 'e2e-client', EXSITED_CLIENT_SECRET: CLIENT_SECRET, INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const res = await runCli(['--target', 'exsited', '--json', '-v', '--rate', '200', '--poll-timeout', '5', '--report', join(dir, 'r.json'), '--rejects', join(dir, 'rej.csv'), '--report-html', join(dir, 'r.html'), EXSITED_SAMPLE], { env });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stdout).toContain('refused (token=***)');
    expect(readFileSync(join(dir, 'rej.csv'), 'utf8')).toContain('refused (token=***)');
    expect(seen.size).toBeGreaterThan(0);
    for (const text of [res.stdout, res.stderr, ...filesUnder(dir)]) for (const t of seen) expect(text.split('\n').filter((l) => l.includes(t))).toEqual([]);
  }, 60_000);

  it('FOLIO: the access token from the login in a refusal of the create', async () => {
    const sandbox = await startFolioSandbox({ port: 0, perSecond: 1000 });
    closers.push(() => sandbox.close());
    const { url, seen } = await tokenEchoingProxy(
      sandbox.url,
      (req) => header(req, 'x-okapi-token'),
      (req) => req.method === 'POST' && /^\/invoice\/invoices(\?|$)/.test(req.url ?? ''),
      (t) => ({ status: 422, body: JSON.stringify({ errors: [{ message: `token ${t} cannot create invoices`, code: `tokenRefused-${t}`, parameters: [{ key: 'x-okapi-token', value: t }] }], total_records: 1 }) }),
    );
    const dir = tempDir();
    const env = { FOLIO_API_URL: url, FOLIO_TENANT: 'diku', FOLIO_USERNAME: 'diku_admin', FOLIO_PASSWORD, INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const res = await runCli(['--target', 'folio', '--json', '-v', '--rate', '200', '--poll-timeout', '5', '--report', join(dir, 'r.json'), '--rejects', join(dir, 'rej.csv'), '--report-html', join(dir, 'r.html'), 'fixtures/folio-sample.csv'], { env });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stdout).toContain('token *** cannot create invoices');
    expect(readFileSync(join(dir, 'rej.csv'), 'utf8')).toContain('token *** cannot create invoices');
    expect(seen.size).toBeGreaterThan(0);
    for (const text of [res.stdout, res.stderr, ...filesUnder(dir)]) for (const t of seen) expect(text.split('\n').filter((l) => l.includes(t))).toEqual([]);
  }, 60_000);
});
