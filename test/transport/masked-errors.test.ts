/**
 * The transport masks the key in an error answer's code, message and tracking id — only a key
 * that can be told from data (common/mask.ts `maskable`), and only as a token. A short or
 * digits-only key (a sandbox's `ALMA_API_KEY=2`) left `402459` as `40***459`: the code the loader
 * decides on was changed, and the API's words were mangled.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/common/errors.js';
import { HttpClient } from '../../src/transport/http.js';
import { parseAlmaError } from '../../src/targets/alma/errors.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';
const servers: Server[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server answering every request 400 with Alma's error document. */
async function refusing(code: string, message: string): Promise<string> {
  const body = JSON.stringify({ errorsExist: true, errorList: { error: [{ errorCode: code, errorMessage: message, trackingId: 'E01-0712' }] } });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function refusal(secret: string, code: string, message: string): Promise<ApiError> {
  const c = new HttpClient({ baseUrl: await refusing(code, message), parseError: parseAlmaError, secrets: [secret], sleep: async () => {}, retry: { maxRetries: 0 } });
  clients.push(c);
  const err = await c.request({ method: 'POST', path: '/acq/invoices', body: {} }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('error answers: the key masked, the code and the words whole', () => {
  it.each([
    ['2', '402459', 'Invoice 2 of vendor 2 exists'],
    ['any', '402459', 'Do not pay any late fee'],
    ['12345678', '12345678', 'fund 12345678 is closed'],
    ['E01', '402459', 'tracking E01-0712'],
  ])('a key %j that is also data leaves code %j and %j whole', async (secret, code, message) => {
    const err = await refusal(secret, code, message);
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
    expect(err.trackingId).toBe('E01-0712');
  });

  it('a long key is masked as a token, in the message', async () => {
    const err = await refusal(KEY, '402459', `key ${KEY} refused; workflow`);
    expect(err.code).toBe('402459');
    expect(err.message).toContain('key *** refused; workflow');
    expect(err.message).not.toContain(KEY);
  });
});
