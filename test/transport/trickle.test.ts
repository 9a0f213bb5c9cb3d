/**
 * `--timeout` bounds a whole answer, over a real loopback socket: undici's bodyTimeout measures
 * only the silence between chunks, so a body trickling a byte at a time never ended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlmaHttpClient } from '../../src/targets/alma/client.js';
import { ApiError, UnknownOutcomeError } from '../../src/common/errors.js';

let server: Server | undefined;
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers) clearInterval(t);
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Headers at once, then one byte of a JSON body every 100 ms, never ending. */
async function trickling(): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    timers.push(setInterval(() => res.write(' '), 100));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('an answer that trickles', () => {
  it('a read ends after --timeout with the body timeout, retried up to --max-retries, not held forever', async () => {
    const url = await trickling();
    const client = createAlmaHttpClient({ apiKey: 'k', baseUrl: url, timeoutMs: 600, maxRetries: 1, rate: 1000, sleep: async () => undefined });
    const err = await client.json({ method: 'GET', path: '/acq/vendors/GOBI' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    expect((err as ApiError).message).toMatch(/did not arrive whole within 0\.6 s of its headers \(after 2 attempts\)/);
    await client.close();
  });

  it('a write\'s outcome is unknown (it may have been done), not retried blindly', async () => {
    const url = await trickling();
    const client = createAlmaHttpClient({ apiKey: 'k', baseUrl: url, timeoutMs: 600, maxRetries: 3, rate: 1000, sleep: async () => undefined });
    const err = await client.json({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    await client.close();
  });
});
