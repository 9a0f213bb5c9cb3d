/**
 * Alguna's create answer read by the transport (HttpClient.answer), on a loopback server: once
 * Alguna has echoed an Idempotency-Key, a create whose answer is cut short mid-JSON is sent again
 * under the same key; before that, it is an unknown outcome, sent once.
 */
import { describe, expect, it } from 'vitest';
import { UnknownOutcomeError } from '../../../src/common/errors.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { idempotencyKey } from '../../../src/targets/alguna/payload.js';
import { createAlgunaTarget } from '../../../src/targets/alguna/target.js';
import { cutShort, loopbackPerTest } from '../../helpers/loopback.js';
import { algunaRows, invoicesFrom } from '../helpers/invoices.js';

const loop = loopbackPerTest();

const answer = (id: string) =>
  JSON.stringify({
    id,
    accountId: 'acc_city_library',
    status: 'issued',
    lineItems: [
      { id: 'li_1', description: 'Scanning (pages)', quantity: '2000.00', unitPrice: '0.50' },
      { id: 'li_2', description: 'Metadata records', quantity: '50.00', unitPrice: '5.00' },
    ],
    subtotal: '1250.00',
    tax: '0.00',
    total: '1250.00',
  });

/** Alguna answering the n-th create (from 1) as `script` says: whole (echoing its key or not), or cut short. */
async function alguna(script: (n: number) => 'echo' | 'plain' | 'cut') {
  const keys: string[] = [];
  const url = await loop.listen((req, res) => {
    req.resume();
    const key = String(req.headers['idempotency-key'] ?? '');
    keys.push(key);
    const how = script(keys.length);
    const body = answer(`inv_${keys.length}`);
    if (how === 'cut') return cutShort(res, body, 40, 201);
    res.writeHead(201, { 'content-type': 'application/json', ...(how === 'echo' ? { 'idempotency-key': key } : {}) });
    res.end(body);
  });
  const t = createAlgunaTarget({ apiKey: 'sk_test_KEY', baseUrl: url, limiter: unlimited, sleep: async () => {}, random: () => 0 });
  return { t, keys };
}

describe('Alguna: a create answered cut short', () => {
  it('once keys are honoured, is sent again under the same key and read whole', async () => {
    const { t, keys } = await alguna((n) => (n === 2 ? 'cut' : 'echo'));
    const [first] = invoicesFrom('alguna', algunaRows('DIG-1'));
    const [inv] = invoicesFrom('alguna', algunaRows());
    try {
      await expect(t.createInvoice(first!)).resolves.toMatchObject({ id: 'inv_1' });
      await expect(t.createInvoice(inv!)).resolves.toMatchObject({ id: 'inv_3', children: [{ id: 'li_1' }, { id: 'li_2' }] });
      expect(keys).toEqual([idempotencyKey(first!), idempotencyKey(inv!), idempotencyKey(inv!)]);
    } finally {
      await t.close();
    }
  });

  it('before any key was echoed, is an unknown outcome naming the request, host and status, sent once', async () => {
    const { t, keys } = await alguna(() => 'cut');
    const [inv] = invoicesFrom('alguna', algunaRows());
    try {
      const err = await t.createInvoice(inv!).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({ httpStatus: 201, code: 'BAD_RESPONSE', message: expect.stringMatching(/^unreadable answer to POST \/invoices \(HTTP 201 from 127\.0\.0\.1:\d+\): JSON cut short or broken/) });
      expect(keys).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
