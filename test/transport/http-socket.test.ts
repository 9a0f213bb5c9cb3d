/**
 * What MockAgent cannot show: real sockets. A POST whose connection dies after the request
 * was written has an unknown outcome; one that provably never left may be sent again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from 'undici';
import { ApiError, isUnreachable, unreachableText, UnknownOutcomeError } from '../../src/common/errors.js';
import { HttpClient } from '../../src/transport/http.js';
import { parseAlmaError } from '../../src/targets/alma/errors.js';

const servers: Server[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that reads each request to the end, counts it, then kills the connection unanswered. */
async function dyingServer(): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen++;
      res.socket?.destroy();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => seen };
}

function client(baseUrl: string, dispatcher?: Dispatcher, reportsRequestSent?: boolean): HttpClient {
  const c = new HttpClient({ baseUrl, parseError: parseAlmaError, dispatcher, reportsRequestSent, sleep: async () => {}, retry: { maxRetries: 2 } });
  clients.push(c);
  return c;
}

describe('HttpClient over real sockets', () => {
  it('a POST whose connection closes after the server read it is an unknown outcome, sent once', async () => {
    const srv = await dyingServer();
    const err = await client(srv.url).request({ method: 'POST', path: '/acq/invoices', body: { number: '1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect((err as UnknownOutcomeError).httpStatus).toBe(0);
    expect(srv.seen()).toBe(1);
  });

  it('a GET on the same failing server is retried', async () => {
    const srv = await dyingServer();
    const err = await client(srv.url).request({ method: 'GET', path: '/acq/invoices' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(srv.seen()).toBe(3);
  });

  it('a POST to a port nobody listens on is retried, then fails as a definite error', async () => {
    const srv = await dyingServer();
    const url = srv.url;
    await new Promise((r) => servers.pop()?.close(r));
    const c = client(url);
    const err = await c.request({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect((err as ApiError).code).toBe('ECONNREFUSED');
    // Three attempts (the message says so), none of which reached a server: no request the API saw.
    expect((err as ApiError).message).toContain('(after 3 attempts)');
    expect(c.requests).toBe(0);
  });
});

/** A plain-HTTP server that answers everything 200, counting the connections made to it. */
async function plainServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((_req, res) => res.end('{}'));
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

describe('HttpClient on an https:// address whose port speaks plain HTTP', () => {
  it('fails at once, on one line, saying the port is not TLS', async () => {
    const srv = await plainServer();
    const err = await client(`https://127.0.0.1:${srv.port}`).json({ method: 'GET', path: '/acq/invoices' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e).toMatchObject({ httpStatus: 0, code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    // No retry changes what the port speaks: one handshake, not one per attempt.
    expect(srv.connections()).toBe(1);
    expect(e.message).toMatch(/^GET \/acq\/invoices: .*wrong version number\S*$/);
    expect(isUnreachable(e)).toBe(true);
    const said = unreachableText(e, 'Alma');
    expect(said).not.toMatch(/[\r\n]/);
    expect(said).toMatch(/^cannot reach Alma: ERR_SSL_WRONG_VERSION_NUMBER \(GET \/acq\/invoices: .*\) — the port speaks plain HTTP, not TLS: use http:\/\/ or the TLS port/);
  });
});

/**
 * A transport that fails the first request with ECONNRESET, either before writing it (no
 * onRequestSent, e.g. a reset during the TLS handshake) or after; then answers 200.
 */
class FlakyTransport extends Dispatcher {
  calls = 0;
  constructor(private readonly resetAfterSending: boolean) {
    super();
  }
  override dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = handler as Dispatcher.DispatchHandler & { onRequestSent?: () => void };
    this.calls++;
    const first = this.calls === 1;
    queueMicrotask(() => {
      h.onConnect?.(() => {});
      if (first) {
        if (this.resetAfterSending) h.onRequestSent?.();
        h.onError?.(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
        return;
      }
      h.onRequestSent?.();
      h.onHeaders?.(200, [Buffer.from('content-type'), Buffer.from('application/json')], () => {}, 'OK');
      h.onData?.(Buffer.from('{"id":"1"}'));
      h.onComplete?.([]);
    });
    return true;
  }
}

describe('HttpClient tells an unsent request from a sent one (onRequestSent)', () => {
  it('retries a POST reset before it was written', async () => {
    const t = new FlakyTransport(false);
    await expect(client('http://alma.invalid', t, true).json({ method: 'POST', path: '/x', body: {} })).resolves.toEqual({ id: '1' });
    expect(t.calls).toBe(2);
  });

  it('does not retry a POST reset after it was written', async () => {
    const t = new FlakyTransport(true);
    await expect(client('http://alma.invalid', t, true).json({ method: 'POST', path: '/x', body: {} })).rejects.toBeInstanceOf(UnknownOutcomeError);
    expect(t.calls).toBe(1);
  });

  it('counts an attempt as a request only once some of it has left: one whose TLS handshake fails is never counted, even in flight', async () => {
    /** Connects, then holds the attempt (the handshake under way) until told to fail it there, or to write it and answer. */
    class Handshake extends Dispatcher {
      handler: (Dispatcher.DispatchHandler & { onRequestSent?: () => void }) | undefined;
      override dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        this.handler = handler as Dispatcher.DispatchHandler & { onRequestSent?: () => void };
        queueMicrotask(() => this.handler!.onConnect?.(() => {}));
        return true;
      }
    }
    const until = async (ok: () => boolean): Promise<void> => {
      while (!ok()) await new Promise((r) => setImmediate(r));
    };
    const tls = new Handshake();
    const c = client('https://alma.invalid', tls, true);
    const failed = c.json({ method: 'GET', path: '/acq/invoices' }).catch((e: unknown) => e);
    await until(() => tls.handler !== undefined);
    // In flight, nothing written yet: what a report built now (the stop on another request) says.
    expect(c.requests).toBe(0);
    tls.handler!.onError?.(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }));
    expect(await failed).toMatchObject({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    expect(c.requests).toBe(0);
    // Written: counted from then, before its answer.
    const ok = new Handshake();
    const d = client('https://alma.invalid', ok, true);
    const answered = d.json({ method: 'GET', path: '/acq/invoices' });
    await until(() => ok.handler !== undefined);
    ok.handler!.onRequestSent?.();
    expect(d.requests).toBe(1);
    ok.handler!.onHeaders?.(200, [Buffer.from('content-type'), Buffer.from('application/json')], () => {}, 'OK');
    ok.handler!.onData?.(Buffer.from('{}'));
    ok.handler!.onComplete?.([]);
    await answered;
    expect(d.requests).toBe(1);
  });

  it('does not trust a transport that does not report sending (MockAgent)', async () => {
    const t = new FlakyTransport(false);
    await expect(client('http://alma.invalid', t, false).json({ method: 'POST', path: '/x', body: {} })).rejects.toBeInstanceOf(UnknownOutcomeError);
    expect(t.calls).toBe(1);
  });
});

describe("HttpClient: a read's own signal (HttpRequest.signal, the engine's look-up of an invoice nothing was sent to)", () => {
  /** A server that reads each request, counts it, and answers only when told to. */
  async function holdingServer(): Promise<{ url: string; seen: () => string[]; answerAll: () => void }> {
    const seen: string[] = [];
    const held: Array<() => void> = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}'));
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => seen, answerAll: () => held.splice(0).forEach((f) => f()) };
  }
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise((r) => setImmediate(r));
  };

  it('ends that read on the wire at once with its reason; a write in flight beside it is answered', async () => {
    const srv = await holdingServer();
    // A long --timeout: were the read waited for, the test would hang on it, not pass.
    const c = new HttpClient({ baseUrl: srv.url, parseError: parseAlmaError, sleep: async () => {}, timeoutMs: 600_000 });
    clients.push(c);
    const lookUp = new AbortController();
    const read = c.json({ method: 'GET', path: '/acq/invoices/', signal: lookUp.signal }).then(
      () => 'answered',
      (e: unknown) => e,
    );
    const write = c.json({ method: 'POST', path: '/acq/invoices', body: { number: '1' } });
    await until(() => srv.seen().length === 2);
    lookUp.abort();
    expect(await read).toMatchObject({ name: 'AbortError' });
    srv.answerAll();
    expect(await write).toEqual({ id: '1' });
  });

  it('is refused on a write (a write on the wire is never ended by it): nothing sent', async () => {
    const srv = await holdingServer();
    const c = client(srv.url);
    await expect(c.json({ method: 'POST', path: '/acq/invoices', body: {}, signal: new AbortController().signal })).rejects.toThrow(/internal: POST \/acq\/invoices was given a read's signal/);
    expect(srv.seen()).toEqual([]);
  });
});

describe('HttpClient through a proxy (https_proxy) that refuses the connection', () => {
  it('names the proxy, without its user and password, and the stop says to check it, not the address', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const proxyUrl = `http://librarian:s3cret@127.0.0.1:${port}`;
    const c = new HttpClient({
      baseUrl: 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1',
      parseError: parseAlmaError,
      sleep: async () => {},
      retry: { maxRetries: 1 },
      proxy: { httpProxy: '', httpsProxy: proxyUrl, noProxy: '' },
    });
    clients.push(c);
    const err = (await c.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toContain(`GET /acq/vendors/GOBI: the proxy http://127.0.0.1:${port} (from https_proxy/HTTPS_PROXY) refused the connection (`);
    const said = unreachableText(err, 'Alma');
    expect(said).toContain(`— check that the proxy http://127.0.0.1:${port} is running and that https_proxy/HTTPS_PROXY names it right`);
    expect(said).not.toContain('check the address');
    expect(said).not.toMatch(/librarian|s3cret/);
  });
});

describe('HttpClient with no_proxy=*', () => {
  it('reaches every host directly: the proxy is never asked', async () => {
    let asked = 0;
    const proxy = createServer((_req, res) => {
      asked++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    proxy.on('connect', (_req, socket: import('node:net').Socket) => {
      asked++;
      socket.destroy();
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    for (const baseUrl of ['http://alma.invalid/almaws/v1', 'https://alma.invalid/almaws/v1']) {
      for (const noProxy of ['*', ' * ']) {
        const c = new HttpClient({ baseUrl, parseError: parseAlmaError, sleep: async () => {}, retry: { maxRetries: 0 }, proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl, noProxy } });
        clients.push(c);
        const err = (await c.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e)) as ApiError;
        // .invalid never resolves (RFC 6761 §6.4): straight to the name look-up, which fails.
        expect(err).toBeInstanceOf(ApiError);
        expect(err.message).not.toContain('the proxy');
      }
    }
    expect(asked).toBe(0);
  });
});

describe('HttpClient through a forward proxy (an http:// API) that answers 407', () => {
  it('is PROXY_REFUSED, an unreachable target, asked once: not undici\'s bad-argument error failing each request', async () => {
    let asked = 0;
    const proxy = createServer((_req, res) => {
      asked++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"', 'content-length': '0' }).end();
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const c = new HttpClient({ baseUrl: 'http://alma.invalid/almaws/v1', parseError: parseAlmaError, sleep: async () => {}, retry: { maxRetries: 4 }, proxy: { httpProxy: proxyUrl, httpsProxy: '', noProxy: '' } });
    clients.push(c);
    const err = (await c.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('PROXY_REFUSED');
    expect(isUnreachable(err)).toBe(true);
    expect(err.message).toContain('GET /acq/vendors/GOBI: the proxy refused to forward the request to the API (it answered 407');
    expect(asked).toBe(1);
  });
});

describe('HttpClient with http_proxy alone', () => {
  it('an https API goes direct, as for curl (only https_proxy serves https); an http API goes through it, named by its variable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const proxy = { httpProxy: `http://127.0.0.1:${port}`, httpsProxy: '', noProxy: '', httpFrom: 'HTTP_PROXY' };
    const https = new HttpClient({ baseUrl: 'https://alma.invalid/almaws/v1', parseError: parseAlmaError, sleep: async () => {}, retry: { maxRetries: 0 }, proxy });
    const http = new HttpClient({ baseUrl: 'http://alma.invalid/almaws/v1', parseError: parseAlmaError, sleep: async () => {}, retry: { maxRetries: 0 }, proxy });
    clients.push(https, http);
    const direct = (await https.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e)) as ApiError;
    // .invalid never resolves (RFC 6761 §6.4): the name look-up fails, the proxy is not asked.
    expect(direct.code).not.toBe('ECONNREFUSED');
    expect(direct.message).not.toContain('the proxy');
    const proxied = (await http.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e)) as ApiError;
    expect(proxied.code).toBe('ECONNREFUSED');
    expect(proxied.message).toContain(`the proxy http://127.0.0.1:${port} (from HTTP_PROXY) refused the connection`);
  });
});
