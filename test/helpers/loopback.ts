/**
 * A loopback HTTP server and a temporary directory for the test that asks for them, closed and
 * removed after it (registered with `afterEach` by `loopbackPerTest`, called at a file's top).
 */
import { afterEach } from 'vitest';
import { createServer, type RequestListener, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Loopback {
  /** Starts a server on 127.0.0.1 answering with `handler`; resolves with its origin (`http://127.0.0.1:port`). */
  listen(handler: RequestListener): Promise<string>;
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
    tempDir(prefix) {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}
