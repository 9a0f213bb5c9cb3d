/**
 * An institution's outbound HTTP proxy, named in the environment as for curl and npm
 * (`http_proxy`, `https_proxy`, `no_proxy`): the load goes through it, with its credentials,
 * which never appear in what the run prints; loopback hosts are reached directly.
 *
 * The proxy here is a small forwarding server on loopback. Alma's address is `http://alma.test`,
 * a name nothing resolves (RFC 2606 keeps .test for this): the load can only reach the sandbox
 * through the proxy, which sends every request it is given to the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { closedPort } from '../helpers/cli.js';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';

const OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

let w: World | undefined;
let proxy: http.Server | undefined;
let tls: TlsServer | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  proxy?.closeAllConnections();
  for (const s of [proxy, tls]) await new Promise((r) => (s ? s.close(r) : r(undefined)));
  proxy = undefined;
  tls = undefined;
});

interface Seen {
  url: string;
  auth: string | undefined;
}

/**
 * A forward proxy (absolute-form request targets, RFC 9112 §3.2.2) that sends everything to `to`.
 * `loseAnswer`: a request it forwards, but whose answer it throws away, closing the connection.
 */
/** The running proxy answers every CONNECT with `status` and opens no tunnel; returns the targets it was asked for. */
function refuseTunnels(status: string): string[] {
  const connects: string[] = [];
  proxy!.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    connects.push(req.url ?? '');
    socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
  });
  return connects;
}

async function startProxy(to: string, loseAnswer?: (method: string, url: string) => boolean): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const target = new URL(to);
  proxy = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const lose = loseAnswer?.(req.method ?? '', req.url ?? '') === true;
    const path = new URL(req.url ?? '/', 'http://x').pathname + new URL(req.url ?? '/', 'http://x').search;
    const headers = { ...req.headers, host: target.host };
    delete headers['proxy-authorization'];
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path, headers }, (answer) => {
      if (lose) {
        answer.resume();
        answer.on('end', () => res.socket?.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen };
}

describe('an outbound HTTP proxy from the environment', () => {
  it('http_proxy: every request goes through it, with its credentials, and no output shows the password', async () => {
    w = await world();
    const p = await startProxy(w.sandbox.url);
    const withAuth = p.url.replace('http://', 'http://librarian:pr0xy-s3cret@');
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'http://alma.test', http_proxy: withAuth } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary).toMatchObject({ invoices: 7, loaded: 6, in_review: 1 });
    expect(p.seen.length).toBe(res.report!.summary.requests);
    expect(p.seen.every((s) => s.url.startsWith('http://alma.test/almaws/v1/'))).toBe(true);
    expect(p.seen.every((s) => s.auth === `Basic ${Buffer.from('librarian:pr0xy-s3cret').toString('base64')}`)).toBe(true);
    expect(res.stdout + res.stderr).not.toContain('pr0xy-s3cret');
  });

  it('a create whose answer the proxy loses is settled by looking, not sent again: the invoice once', async () => {
    // Duplicates allowed, as Alma with invoice_not_unique: a create sent twice would be stored twice.
    w = await world({ allowDuplicates: true });
    let lost = 0;
    const p = await startProxy(w.sandbox.url, (method, url) => method === 'POST' && url.endsWith('/almaws/v1/acq/invoices') && lost++ < 2);
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'http://alma.test', http_proxy: p.url } });
    expect(res.code, res.stderr).toBe(0);
    expect(lost).toBeGreaterThanOrEqual(2);
    const created = w.sandbox.state().counters.created;
    expect(Object.values(created).flatMap((byNumber) => Object.values(byNumber))).toEqual(Array(7).fill(1));
    expectExactlyOnce(w.sandbox.state(), res.report!);
  });

  it("a gateway echoing the key inside Alma's error document under a 200: the key is in no output, report or journal", async () => {
    w = await world();
    const KEY = 'l7xx-e2e-echoed-KEY-5b6c';
    const target = new URL(w.sandbox.url);
    // Every op=process_invoice answered 200 with Alma's error body, every field echoing the Authorization header.
    let echoed = 0;
    proxy = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname + new URL(req.url ?? '/', 'http://x').search;
      if (req.method === 'POST' && path.includes('op=process_invoice')) {
        echoed++;
        req.resume();
        const auth = String(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: `402119 ${auth}`, errorMessage: `General Error - request ${auth} rejected`, trackingId: `E01-${auth}` }] } }));
        return;
      }
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      req.pipe(out);
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const reportFile = join(w.dir, 'report.json');
    const res = await w.load(['fixtures/sample-batch.csv', '--report', reportFile], { key: KEY, env: { ALMA_API_URL: 'http://alma.test', http_proxy: url } });
    expect(echoed).toBeGreaterThan(0);
    expect(res.report!.invoices.some((i) => i.error?.code === '402119 apikey ***'), res.stderr).toBe(true);
    const files = readdirSync(w.stateDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(0);
    const everything = [res.stdout, res.stderr, readFileSync(reportFile, 'utf8'), ...files.map((f) => readFileSync(f, 'utf8'))];
    for (const text of everything) expect(text).not.toContain(KEY);
  });

  it("a gateway answering every line 200 with Alma's error document 402459: refusals counted by --max-errors, in --rejects, journaled refused", async () => {
    w = await world();
    const target = new URL(w.sandbox.url);
    let refused = 0;
    proxy = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname + new URL(req.url ?? '/', 'http://x').search;
      if (req.method === 'POST' && /\/lines(\?|$)/.test(path)) {
        refused++;
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: '402459', errorMessage: 'Invoice line is not valid.', trackingId: 'E01-LINE' }] } }));
        return;
      }
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      req.pipe(out);
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const rejects = join(w.dir, 'rejects.csv');
    const res = await w.load(['fixtures/sample-batch.csv', '--json', '--concurrency', '1', '--no-canary', '--max-errors', '2', '--rejects', rejects], {
      env: { ALMA_API_URL: 'http://alma.test', http_proxy: url },
    });
    expect(refused).toBeGreaterThan(0);
    const failed = res.report!.invoices.filter((i) => i.error?.code === '402459');
    expect(failed.length, res.stderr).toBe(2);
    for (const i of failed) expect(i.error).toMatchObject({ step: 'lines', http_status: 200, code: '402459', in_success: true });
    expect(res.report!.stopped).toBe('max_errors');
    expect(res.stderr).toMatch(/refused 2 invoices in a row with 402459/);
    expect(res.stdout + res.stderr).not.toMatch(/without a definite answer|passing cause/);
    expect(readFileSync(rejects, 'utf8')).toContain('402459');
    const journal = readdirSync(w.stateDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    expect(journal.match(/"t":"refused"[^\n]*"step":"line"/g) ?? []).toHaveLength(2);
  });

  it.skipIf(!OPENSSL)('https_proxy: an https API is reached through a CONNECT tunnel, TLS end to end', async () => {
    w = await world();
    const p = await startProxy(w.sandbox.url);
    // alma.test's certificate, trusted by the CLI through NODE_EXTRA_CA_CERTS; a TLS server that
    // hands what it decrypts to the sandbox; the proxy's CONNECT joins the client to it.
    const cert = join(w.dir, 'alma.pem');
    const key = join(w.dir, 'alma.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=alma.test', '-addext', 'subjectAltName=DNS:alma.test'], { stdio: 'ignore' });
    const sandbox = new URL(w.sandbox.url);
    tls = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (clear) => {
      const up = connect(Number(sandbox.port), sandbox.hostname);
      clear.pipe(up).pipe(clear);
      up.on('error', () => clear.destroy());
      clear.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => tls!.listen(0, '127.0.0.1', r));
    const tlsPort = (tls.address() as AddressInfo).port;
    const tunnels: string[] = [];
    proxy!.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const up = connect(tlsPort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) up.write(head);
        up.pipe(socket).pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'https://alma.test', https_proxy: p.url, NODE_EXTRA_CA_CERTS: cert } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary).toMatchObject({ invoices: 7, loaded: 6, in_review: 1 });
    // Every request inside tunnels to alma.test:443; the proxy saw none of them in the clear.
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels.every((t) => t === 'alma.test:443')).toBe(true);
    expect(p.seen).toEqual([]);
    expect(w.sandbox.state().counters.requestsTotal).toBe(res.report!.summary.requests);
  });

  it('a forward proxy that refuses the request with its own 403 page: said to be the proxy, not the key; exit 5, nothing sent', async () => {
    w = await world();
    proxy = http.createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/html' }).end('<html><body><h1>Access denied</h1>Blocked by the web filter policy</body></html>');
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'http://alma.test', http_proxy: url } });
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/a request was refused without Alma's error document \(HTTP_403: HTTP 403: Access denied Blocked by the web filter policy\): a proxy, a firewall or a server that is not Alma's API answered/);
    expect(res.stderr).not.toMatch(/the API key was refused/);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('a proxy that will not open the tunnel to an https API (407) is one stop before anything is sent, not a failure per request', async () => {
    w = await world();
    const p = await startProxy(w.sandbox.url);
    const connects = refuseTunnels('407 Proxy Authentication Required');
    const t0 = Date.now();
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'https://alma.test', https_proxy: p.url } });
    expect(res.code, res.stderr).toBe(4);
    expect(res.report!.stopped).toBe('unreachable');
    expect(res.stderr).toMatch(/cannot reach Alma: PROXY_REFUSED \(GET \/\S+: the proxy refused to open a tunnel to the API \(it answered 407 to CONNECT; check https_proxy and its user and password\)\)/);
    // Not retried: a handful of the checks' first requests, each asked once.
    expect(connects.every((c) => c === 'alma.test:443')).toBe(true);
    expect(connects.length).toBeLessThanOrEqual(20);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('a proxy that cannot reach the API (503 to CONNECT, as squid says when the upstream is down) is retried as a refused connection, and said to be the upstream, not the proxy\'s password', async () => {
    w = await world();
    const p = await startProxy(w.sandbox.url);
    const connects = refuseTunnels('503 Service Unavailable');
    const res = await w.load(['--max-retries', '1', 'fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'https://alma.test', https_proxy: p.url } });
    expect(res.code, res.stderr).toBe(4);
    expect(res.report!.stopped).toBe('unreachable');
    expect(res.stderr).toMatch(/cannot reach Alma: PROXY_UPSTREAM \(GET \/\S+: the proxy could not reach the API \(it answered 503 to CONNECT\)/);
    expect(res.stderr).not.toMatch(/user and password/);
    expect(connects.every((c) => c === 'alma.test:443')).toBe(true);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('no_proxy naming the host: not through the proxy (and alma.test resolves nowhere: exit 4, nothing sent)', async () => {
    w = await world();
    const p = await startProxy(w.sandbox.url);
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { ALMA_API_URL: 'http://alma.test', HTTP_PROXY: p.url, NO_PROXY: '.test' }, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(4);
    expect(res.report?.stopped).toBe('unreachable');
    expect(p.seen).toEqual([]);
  }, 60_000);

  it('a loopback address is reached directly, whatever proxy the environment names', async () => {
    w = await world();
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const res = await w.load(['fixtures/sample-batch.csv'], { env: { http_proxy: dead, https_proxy: dead } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary.loaded).toBe(6);
  });
});
