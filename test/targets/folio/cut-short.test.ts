/**
 * FOLIO's answers read by the transport (FolioClient.json → HttpClient.answer), on a loopback
 * server: a read whose JSON is cut short mid-body is sent again, as any failed read is; an
 * answer that is not JSON says which request, host and status; an empty 204 is still `null`.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, UnknownOutcomeError } from '../../../src/common/errors.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { FolioClient } from '../../../src/targets/folio/client.js';
import { cutShort, loopbackPerTest } from '../../helpers/loopback.js';
import { CREDENTIALS } from './helpers.js';

const loop = loopbackPerTest();
const ID = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';
const INVOICE = JSON.stringify({ id: ID, vendorInvoiceNo: 'INV-1', status: 'Open', total: 12.5 });

/** A FOLIO that logs in and answers other calls with `answer` (n: the call's count on its method and path, from 1); every call seen. */
async function folio(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const seen: string[] = [];
  const counts = new Map<string, number>();
  const url = await loop.listen((req, res) => {
    req.resume();
    const key = `${req.method} ${req.url}`;
    seen.push(key);
    if (req.url === '/authn/login-with-expiry') {
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['folioAccessToken=tok; Max-Age=600; Path=/', 'folioRefreshToken=ref; Max-Age=604800; Path=/authn'] });
      res.end('{}');
      return;
    }
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    answer(req, res, n);
  });
  const client = new FolioClient({ baseUrl: url, credentials: CREDENTIALS, limiter: unlimited, sleep: async () => {}, random: () => 0 });
  return { url, seen, client };
}

const whole = (res: ServerResponse, body: string, status = 200): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
};

describe('FOLIO answers cut short or not JSON', () => {
  it('a read whose JSON is cut short mid-body is sent again and read whole the second time', async () => {
    const { seen, client } = await folio((_req, res, n) => (n === 1 ? cutShort(res, INVOICE) : whole(res, INVOICE)));
    try {
      await expect(client.json({ method: 'GET', path: `/invoice/invoices/${ID}` })).resolves.toMatchObject({ id: ID, vendorInvoiceNo: 'INV-1' });
      expect(seen.filter((s) => s.startsWith('GET'))).toEqual([`GET /invoice/invoices/${ID}`, `GET /invoice/invoices/${ID}`]);
    } finally {
      await client.http.close();
    }
  });

  it('a POST sent as idempotent (our own id) whose answer is cut short is sent again; one that is not is an unknown outcome, sent once', async () => {
    const { seen, client } = await folio((req, res, n) => {
      if (req.url === '/invoice/invoices') return n === 1 ? cutShort(res, INVOICE, 20, 201) : whole(res, INVOICE, 201);
      return cutShort(res, INVOICE, 20, 201);
    });
    try {
      await expect(client.json({ method: 'POST', path: '/invoice/invoices', body: { id: ID }, idempotent: true })).resolves.toMatchObject({ id: ID });
      const err = await client.json({ method: 'POST', path: '/invoice/invoice-lines', body: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(seen.filter((s) => s.startsWith('POST /invoice'))).toEqual(['POST /invoice/invoices', 'POST /invoice/invoices', 'POST /invoice/invoice-lines']);
    } finally {
      await client.http.close();
    }
  });

  it('an answer that is not JSON ends a read at once with one message naming the request, the host and the status; an empty 204 is null', async () => {
    const { url, seen, client } = await folio((req, res) => {
      if (req.url === '/finance/funds') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Stripes</body></html>');
    });
    try {
      const err = await client.json({ method: 'GET', path: `/invoice/invoices/${ID}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).not.toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({
        httpStatus: 200,
        code: 'BAD_RESPONSE',
        message: `unreadable answer to GET /invoice/invoices/${ID} (HTTP 200 from ${new URL(url).host}): not JSON (unexpected character '<' at line 1, column 1)`,
      });
      await expect(client.json({ method: 'GET', path: '/finance/funds' })).resolves.toBeNull();
      expect(seen.filter((s) => s.startsWith('GET'))).toHaveLength(2);
    } finally {
      await client.http.close();
    }
  });
});
