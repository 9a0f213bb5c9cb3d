/**
 * A loopback HTTP server, the embedded Alma sandbox and a temporary directory for the test that
 * asks for them, closed and removed after it (registered with `afterEach` by `loopbackPerTest`,
 * called at a file's top).
 */
import { afterEach } from 'vitest';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

/** Answers with `status` and `body` as JSON (no body: an empty answer). */
export type Send = (status: number, body?: unknown) => void;

export interface Loopback {
  /** Starts a server on 127.0.0.1 answering with `handler`; resolves with its origin (`http://127.0.0.1:port`). */
  listen(handler: RequestListener): Promise<string>;
  /** A server answering as `answer` says (`url` parsed, `send` for JSON); its origin and every request it saw, as `METHOD /path?query`. */
  scripted(answer: (req: IncomingMessage, url: URL, send: Send) => void): Promise<{ url: string; seen: string[] }>;
  /** A new temporary directory named after `prefix`. */
  tempDir(prefix: string): string;
  /**
   * The Alma sandbox on a free loopback port (`opts` over `port: 0`), a new temporary directory
   * named after `prefix`, and the environment that points the CLI at them: `ALMA_API_URL`,
   * `ALMA_API_KEY` (`key`) and `INVOICE_LOAD_STATE_DIR` (`state` inside the directory).
   */
  almaSandbox(opts: SandboxOptions, prefix: string, key: string): Promise<AlmaSandbox>;
}

export interface AlmaSandbox {
  sb: SandboxHandle;
  dir: string;
  stateDir: string;
  env: { ALMA_API_URL: string; ALMA_API_KEY: string; INVOICE_LOAD_STATE_DIR: string };
}

export function loopbackPerTest(): Loopback {
  const servers: Server[] = [];
  const sandboxes: SandboxHandle[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
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
    async almaSandbox(opts, prefix, key) {
      const sb = await startSandbox({ port: 0, ...opts });
      sandboxes.push(sb);
      const dir = this.tempDir(prefix);
      const stateDir = join(dir, 'state');
      return { sb, dir, stateDir, env: { ALMA_API_URL: sb.url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: stateDir } };
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
