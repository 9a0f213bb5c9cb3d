/**
 * A host that takes every connection and closes it unanswered (http:// to an https port), and a
 * forward proxy that answers 407 to an http:// API: one stop as unreachable (exit 4, README "Exit
 * codes"), where each invoice failed on its own after five attempts of every check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const servers: (Server | http.Server)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invoice-load-closed-'));
  dirs.push(dir);
  return join(dir, 'state');
}

describe('nothing but closed connections', () => {
  it('a host that closes every connection unanswered: one stop, exit 4, not a failure per invoice', async () => {
    let connections = 0;
    const sockets = new Set<Socket>();
    const closer = createServer((c) => {
      connections++;
      sockets.add(c);
      c.on('data', () => c.destroy());
      c.on('close', () => sockets.delete(c));
    });
    servers.push(closer);
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closer.address() as AddressInfo).port}`;
    const res = await runCli(['--json', '--alma-url', url, 'fixtures/sample-batch.csv'], { env: { ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir() }, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(4);
    expect(JSON.parse(res.stdout).stopped).toBe('unreachable');
    expect(res.stderr).toMatch(/cannot reach Alma: nothing answered the checks \(UND_ERR_SOCKET: GET \/\S+: other side closed \(after 5 attempts\)\): the host takes the connection and closes it without answering/);
    expect(res.stderr).not.toMatch(/7 failed/);
    expect(connections).toBeLessThan(230);
  }, 60_000);

  it('a forward proxy that answers 407 to an http:// API: PROXY_REFUSED, one stop, exit 4', async () => {
    let asked = 0;
    const proxy = http.createServer((_req, res) => {
      asked++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"', 'content-length': '0' }).end();
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const p = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const res = await runCli(['--json', '--alma-url', 'http://alma.test', 'fixtures/sample-batch.csv'], {
      env: { ALMA_API_KEY: 'e2e-test-key', http_proxy: p, INVOICE_LOAD_STATE_DIR: stateDir() },
      timeoutMs: 60_000,
    });
    expect(res.code, res.stderr).toBe(4);
    expect(JSON.parse(res.stdout).stopped).toBe('unreachable');
    expect(res.stderr).toMatch(/cannot reach Alma: PROXY_REFUSED \(GET \/\S+: the proxy refused to forward the request to the API \(it answered 407/);
    expect(asked).toBeLessThanOrEqual(20);
  }, 60_000);
});
