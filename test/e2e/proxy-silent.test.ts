/**
 * A proxy on the way to an https API that takes the connection and then never answers the
 * CONNECT, or drops it without an answer: the built CLI ends as for an API that never answers
 * (one stop line, exit 4) within about --timeout × attempts, and a SIGTERM ends it at once.
 * Before, the CONNECT waited for undici's own 300 s whatever --timeout said, and a dropped one
 * was connected again by undici without end; these tests then hit their own time limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
let dir: string | undefined;
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A "proxy" on loopback: `onConnect` is given each CONNECT's first line and its socket. */
async function proxy(onConnect: (line: string, socket: Socket) => void): Promise<{ url: string; connects: string[] }> {
  const connects: string[] = [];
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', (d: Buffer) => {
      const line = d.toString('latin1').split('\r\n')[0] ?? '';
      connects.push(line);
      onConnect(line, socket);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connects };
}

function env(proxyUrl: string): Record<string, string> {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-proxy-silent-'));
  // alma.test resolves nowhere: only the proxy could reach it.
  return { ALMA_API_URL: 'https://alma.test', ALMA_API_KEY: 'proxy-test-key', INVOICE_LOAD_STATE_DIR: dir, https_proxy: proxyUrl };
}

describe('a proxy that does not answer CONNECT', () => {
  it('takes the connection and never answers: the stop of a host that does not answer, after --timeout × attempts, not 300 s each', async () => {
    const p = await proxy(() => undefined);
    const res = await runCli(['--json', '--timeout', '0.5', '--max-retries', '1', 'fixtures/sample-batch.csv'], { env: env(p.url), timeoutMs: 15_000 });
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(4);
    const message = res.stderr.split('\n').filter((l) => l.startsWith('invoice-load:'));
    expect(message, res.stderr).toHaveLength(1);
    expect(message[0]).toMatch(
      /^invoice-load: cannot reach Alma: nothing answered the (checks|look-ups) \(UND_ERR_HEADERS_TIMEOUT: GET \/\S+: the proxy 127\.0\.0\.1:\d+ took the connection but did not answer CONNECT alma\.test:443 within 0\.5 s \(after 2 attempts\)\): .*nothing was sent$/,
    );
    expect(p.connects.length).toBeGreaterThan(0);
    expect(p.connects.every((c) => c.startsWith('CONNECT alma.test:443 '))).toBe(true);
    expect(JSON.parse(res.stdout)).toMatchObject({ stopped: 'unreachable' });
  }, 20_000);

  it('drops the connection without an answer: PROXY_CLOSED, one stop, a few connections (undici alone reconnected without end)', async () => {
    const p = await proxy((_line, socket) => socket.destroy());
    const res = await runCli(['--json', '--timeout', '0.5', '--max-retries', '1', 'fixtures/sample-batch.csv'], { env: env(p.url), timeoutMs: 15_000 });
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).toMatch(/invoice-load: cannot reach Alma: PROXY_CLOSED \(GET \/\S+: the proxy 127\.0\.0\.1:\d+ closed the connection without answering CONNECT alma\.test:443: other side closed \(after 2 attempts\)\)/);
    // The checks' first round, each asked twice at most: not a loop.
    expect(p.connects.length).toBeLessThanOrEqual(60);
    expect(JSON.parse(res.stdout)).toMatchObject({ stopped: 'unreachable', summary: { requests: 0 } });
  }, 20_000);

  it('a SIGTERM while requests wait for CONNECT ends the run within --timeout, not 300 s: exit 130, nothing sent', async () => {
    let first: () => void = () => undefined;
    const asked = new Promise<void>((r) => (first = r));
    const p = await proxy(() => first());
    const run = spawnCli(['--timeout', '3', 'fixtures/sample-batch.csv'], { env: env(p.url), timeoutMs: 15_000 });
    await asked;
    const t0 = Date.now();
    run.child.kill('SIGTERM');
    const res = await run.done;
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toMatch(/interrupted before sending; nothing was sent/);
    // A request waiting for its CONNECT when the signal comes ends at once; a read the checks ask
    // for after it still goes (the last look, README "Interrupts") and may wait one --timeout (3 s).
    // Not undici's 300 s: the bound is generous for a loaded machine.
    expect(Date.now() - t0).toBeLessThan(9_000);
  }, 20_000);
});
