/**
 * A loopback HTTP server and a temporary directory for the test that asks for them, closed and
 * removed after it (registered with `afterEach` by `loopbackPerTest`, called at a file's top).
 */
import { afterEach } from 'vitest';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
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
