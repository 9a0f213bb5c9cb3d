/**
 * A loopback HTTP server and a temporary directory for the test that asks for them, closed and
 * removed after it (registered with `afterEach` by `loopbackPerTest`, called at a file's top).
 */
import { afterEach } from 'vitest';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

/** Answers with `status` and `body` as JSON (no body: an empty answer). */
export type Send = (status: number, body?: unknown) => void;

export interface Loopback {
  /** Starts a server on 127.0.0.1 answering with `handler`; resolves with its origin (`http://127.0.0.1:port`). */
  listen(handler: RequestListener): Promise<string>;
  /** A server answering as `answer` says (`url` parsed, `send` for JSON); its origin and every request it saw, as `METHOD /path?query`. */
  scripted(answer: (req: IncomingMessage, url: URL, send: Send) => void): Promise<{ url: string; seen: string[] }>;
  /** A new temporary directory named after `prefix`. */
  tempDir(prefix: string): string;
}

export function loopbackPerTest(): Loopback {
  const servers: Server[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    async listen(handler) {
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async scripted(answer) {
      const seen: string[] = [];
      const url = await this.listen((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        seen.push(`${req.method} ${url.pathname}${url.search}`);
        req.resume();
        answer(req, url, (status, body) => {
          res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        });
      });
      return { url, seen };
    },
    tempDir(prefix) {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}

/**
 * Answers `status` with `body` cut short after `at` characters, as a connection dropped mid-body
 * leaves it: the answer has no length, so its end is the connection's close (RFC 9112 §6.3) and
 * the client reads a whole, shorter text — JSON that stops mid-value — instead of a socket error.
 */
export function cutShort(res: ServerResponse, body: string, at = Math.floor(body.length / 2), status = 200): void {
  res.socket?.end(`HTTP/1.1 ${status} OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${body.slice(0, at)}`);
}
