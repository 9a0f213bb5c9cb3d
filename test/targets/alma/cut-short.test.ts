/**
 * Alma's POST actions (`op=process_invoice`, and the hand-over's `op=mark_in_erp`, `paid`,
 * `rejected`) read by the transport (HttpClient.answer), on a loopback server: an answer cut
 * short mid-JSON leaves unknown whether Alma took the action — never sent again — and says which
 * request, host and status; an empty answer is still the action accepted.
 */
import { describe, expect, it } from 'vitest';
import { UnknownOutcomeError } from '../../../src/common/errors.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { createAlmaErp } from '../../../src/targets/alma/erp.js';
import { createAlmaTarget } from '../../../src/targets/alma/target.js';
import { cutShort, loopbackPerTest } from '../../helpers/loopback.js';

const loop = loopbackPerTest();
const INVOICE = JSON.stringify({ id: '77', number: 'N-77', vendor: { value: 'ACME' }, invoice_workflow_status: { value: 'Waiting to be Sent' } });

/** Alma answering every POST cut short, or (`empty`) with nothing; every request seen. */
async function alma(how: 'cut' | 'empty') {
  const seen: string[] = [];
  const url = await loop.listen((req, res) => {
    req.resume();
    seen.push(`${req.method} ${req.url}`);
    if (how === 'cut') return cutShort(res, INVOICE);
    res.writeHead(204);
    res.end();
  });
  return { url, host: new URL(url).host, seen };
}

const opts = (url: string) => ({ apiKey: 'l7xx-test-key', baseUrl: url, limiter: unlimited, sleep: async () => {}, random: () => 0 });

describe('Alma POST actions answered cut short', () => {
  it('op=mark_in_erp: an unknown outcome naming the request, host and status, sent once', async () => {
    const { url, host, seen } = await alma('cut');
    const erp = createAlmaErp(opts(url));
    try {
      const err = await erp.markInErp('77').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({
        httpStatus: 200,
        code: 'BAD_RESPONSE',
        message: expect.stringMatching(new RegExp(`^unreadable answer to POST /acq/invoices/77 \\(HTTP 200 from ${host.replace(/\./g, '\\.')}\\): JSON cut short or broken \\(`)),
      });
      expect(seen).toEqual(['POST /almaws/v1/acq/invoices/77?op=mark_in_erp']);
    } finally {
      await erp.close();
    }
  });

  it('op=process_invoice: an unknown outcome naming the request, host and status, sent once; an empty answer is accepted', async () => {
    const { url, host, seen } = await alma('cut');
    const target = createAlmaTarget(opts(url));
    try {
      const err = await target.processInvoice('77').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', message: expect.stringContaining(`(HTTP 200 from ${host}): JSON cut short or broken`) });
      expect(seen).toEqual(['POST /almaws/v1/acq/invoices/77?op=process_invoice']);
    } finally {
      await target.close();
    }
    const empty = await alma('empty');
    const again = createAlmaTarget(opts(empty.url));
    try {
      await expect(again.processInvoice('77')).resolves.toMatchObject({ id: '77' });
      expect(empty.seen).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});
