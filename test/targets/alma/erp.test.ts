import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { ApiError, UnknownOutcomeError } from '../../../src/common/errors.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { createAlmaErp } from '../../../src/targets/alma/erp.js';
import { ORIGIN, almaError, mockApi } from '../helpers/mock-api.js';

let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

function erp() {
  api = mockApi();
  return createAlmaErp({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: api.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
}

const listed = (id: string, status: unknown) => ({ id, number: `N-${id}`, vendor: { value: 'ACME' }, ...(status !== undefined ? { invoice_workflow_status: status } : {}) });

describe('read and readFull by id', () => {
  it('take 412400 under a 400 for an invoice Alma no longer holds', async () => {
    const e = erp();
    api!.script(
      { method: 'GET', path: '/almaws/v1/acq/invoices/77?view=brief', status: 400, body: almaError('412400', 'Invoice 77 not found.') },
      { method: 'GET', path: '/almaws/v1/acq/invoices/77', status: 400, body: almaError('412400', 'Invoice 77 not found.') },
    );
    await expect(e.read('77')).resolves.toBeUndefined();
    await expect(e.readFull('77')).resolves.toBeUndefined();
  });

  it("take no absence from 412400 in Alma's error document under a 200: the read fails with it, nothing reads as gone", async () => {
    const e = erp();
    api!.script(
      { method: 'GET', path: '/almaws/v1/acq/invoices/77?view=brief', body: almaError('412400', 'Invoice 77 not found.') },
      { method: 'GET', path: '/almaws/v1/acq/invoices/77', body: almaError('412400', 'Invoice 77 not found.') },
    );
    await expect(e.read('77')).rejects.toMatchObject({ code: '412400', httpStatus: 200, inSuccess: true });
    await expect(e.readFull('77')).rejects.toMatchObject({ code: '412400', httpStatus: 200, inSuccess: true });
    api!.agent.assertNoPendingInterceptors();
  });
});

describe('listByStatus', () => {
  it('keeps only the invoices in the status asked for, as {value} or a plain string; a listing that ignored the filter gives the others apart', async () => {
    const e = erp();
    api!.script({
      path: '/almaws/v1/acq/invoices/?invoice_workflow_status=Waiting+to+be+Sent&limit=100&offset=0',
      body: {
        total_record_count: 6,
        invoice: [
          listed('1', { value: 'Waiting to be Sent', desc: 'Ready to be Paid' }),
          listed('2', { value: 'InReview', desc: 'In Review' }),
          listed('3', 'Waiting to be Sent'),
          listed('4', 'CLOSED'),
          listed('5', { value: 'Ready to be Paid', desc: 'Waiting for Payment' }),
          listed('6', undefined),
        ],
      },
    });
    const { invoices, others } = await e.listByStatus('Waiting to be Sent');
    expect(invoices.map((s) => s.id)).toEqual(['1', '3']);
    expect(others.map((s) => [s.id, s.workflowStatus])).toEqual([
      ['2', 'InReview'],
      ['4', 'CLOSED'],
      ['5', 'Ready to be Paid'],
      ['6', undefined],
    ]);
    api!.agent.assertNoPendingInterceptors();
  });
});

/**
 * An Alma that reads a rejection's note under one list key only (`takes`): any other body is
 * refused with 60268, as a server that ignores the unknown key sees no note. Every POST's body
 * is kept in `bodies`.
 */
function takesNoteAs(takes: 'note' | 'notes' | 'neither') {
  const e = erp();
  const bodies: Record<string, unknown>[] = [];
  api!.agent
    .get(ORIGIN)
    .intercept({ path: (p: string) => p.includes('op=rejected'), method: 'POST' })
    .reply((opts) => {
      const body = JSON.parse(String(opts.body)) as Record<string, unknown>;
      bodies.push(body);
      const headers = { 'content-type': 'application/json' };
      if (!(takes in body)) return { statusCode: 400, data: JSON.stringify(almaError('60268', 'The invoice note is mandatory.')), responseOptions: { headers } };
      const id = /invoices\/(\d+)/.exec(opts.path)![1]!;
      return { statusCode: 200, data: JSON.stringify({ id, number: `N-${id}`, invoice_workflow_status: { value: 'InReview' }, alert: [{ value: 'INVOICE_WAS_REJECTED_BY_ERP' }] }), responseOptions: { headers } };
    })
    .persist();
  return { e, bodies };
}

describe('rejected: the note\'s list key', () => {
  it('refused with 60268 under `notes`, sent once more under `note`; the rest of the run sends `note` at once', async () => {
    const { e, bodies } = takesNoteAs('note');
    expect((await e.rejected('1', 'no bank details'))?.workflowStatus).toBe('InReview');
    expect((await e.rejected('2', 'wrong total'))?.alerts.map((a) => a.code)).toEqual(['INVOICE_WAS_REJECTED_BY_ERP']);
    expect(bodies).toEqual([{ notes: [{ content: 'no bank details' }] }, { note: [{ content: 'no bank details' }] }, { note: [{ content: 'wrong total' }] }]);
  });
  it('an Alma that takes `notes` is sent it once per rejection', async () => {
    const { e, bodies } = takesNoteAs('notes');
    await e.rejected('1', 'a');
    await e.rejected('2', 'b');
    expect(bodies.map((b) => Object.keys(b))).toEqual([['notes'], ['notes']]);
  });
  it('refused under both keys: Alma\'s refusal, after one request with each', async () => {
    const { e, bodies } = takesNoteAs('neither');
    await expect(e.rejected('1', 'a')).rejects.toMatchObject({ code: '60268', httpStatus: 400 });
    expect(bodies.map((b) => Object.keys(b))).toEqual([['notes'], ['note']]);
  });
});

describe('listByStatus across pages', () => {
  it('lists an invoice repeated on the next page (offset paging while invoices change) once', async () => {
    const e = erp();
    const waiting = { value: 'Waiting to be Sent' };
    const path = (offset: number) => `/almaws/v1/acq/invoices/?invoice_workflow_status=Waiting+to+be+Sent&limit=100&offset=${offset}`;
    // A server giving two a page: one newly approved moved the others down a place between the pages.
    api!.script(
      { path: path(0), body: { total_record_count: 4, invoice: [listed('1', waiting), listed('2', waiting)] } },
      { path: path(2), body: { total_record_count: 4, invoice: [listed('2', waiting), listed('3', waiting)] } },
    );
    const { invoices, others } = await e.listByStatus('Waiting to be Sent');
    expect(invoices.map((s) => s.id)).toEqual(['1', '2', '3']);
    expect(others).toEqual([]);
    api!.agent.assertNoPendingInterceptors();
  });
});

describe('listByStatus: every invoice waiting is handed over, or the listing fails', () => {
  it('an entry listed with only its link is read by the id the link ends in; an entry with no id at all fails the listing rather than being left out', async () => {
    const e = erp();
    const path = '/almaws/v1/acq/invoices/?invoice_workflow_status=Waiting+to+be+Sent&limit=100&offset=0';
    const { id: _id, ...noId } = listed('0', { value: 'Waiting to be Sent' });
    api!.script(
      { path, body: { total_record_count: 2, invoice: [listed('1', { value: 'Waiting to be Sent' }), { ...noId, link: `${ORIGIN}/almaws/v1/acq/invoices/15334101100001021` }] } },
      { path, body: { total_record_count: 2, invoice: [listed('1', { value: 'Waiting to be Sent' }), noId] } },
    );
    const { invoices } = await e.listByStatus('Waiting to be Sent');
    expect(invoices.map((s) => s.id)).toEqual(['1', '15334101100001021']);
    await expect(e.listByStatus('Waiting to be Sent')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('entry 2 of 2 has no invoice id') });
  });
});

describe('mark_in_erp, paid, rejected', () => {
  it('a 2xx answer without the invoice (204, empty, {}) is the request accepted: undefined, not an unknown outcome; one with it is read', async () => {
    const e = erp();
    const path = '/almaws/v1/acq/invoices/77?op=mark_in_erp';
    api!.script(
      { method: 'POST', path, status: 204, body: '' },
      { method: 'POST', path, body: '' },
      { method: 'POST', path, body: {} },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77?op=paid', body: '' },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77?op=rejected', body: {} },
      { method: 'POST', path, body: listed('77', { value: 'Ready to be Paid' }) },
    );
    for (let i = 0; i < 3; i++) await expect(e.markInErp('77')).resolves.toBeUndefined();
    await expect(e.paid('77', { voucherNumber: 'V', voucherDate: '2026-01-02', voucherAmount: new Decimal('10') })).resolves.toBeUndefined();
    await expect(e.rejected('77', 'no')).resolves.toBeUndefined();
    await expect(e.markInErp('77')).resolves.toMatchObject({ id: '77', workflowStatus: 'Ready to be Paid' });
    expect(api!.calls()).toHaveLength(6);
    api!.agent.assertNoPendingInterceptors();
  });

  it('op=paid sends voucher_date as YYYY-MM-DDZ, like every other date the loader sends (docs/alma.md)', async () => {
    const e = erp();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77?op=paid', body: {} });
    await e.paid('77', { voucherNumber: 'V-1', voucherDate: '2026-01-02', voucherAmount: new Decimal('10.50'), voucherCurrency: 'USD' });
    expect(JSON.parse(api!.calls()[0]!.body as string)).toEqual({
      payment: { voucher_number: 'V-1', voucher_date: '2026-01-02Z', voucher_amount: 10.5, voucher_currency: { value: 'USD' } },
    });
  });

  it("Alma's error document answered 2xx (errorsExist) is no acceptance: refused as its 4xx twin, with Alma's code, message and tracking id, not sent again", async () => {
    const e = erp();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77?op=paid', body: almaError('60267', 'Failed to process invoice in ERP.', 'E01-ERP') });
    const err = await e.paid('77', { voucherNumber: 'V', voucherDate: '2026-01-02', voucherAmount: new Decimal('10') }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ inSuccess: true, code: '60267', trackingId: 'E01-ERP', message: expect.stringContaining('Failed to process invoice in ERP.') });
    expect(api!.calls()).toHaveLength(1);
  });

  it('an answer that is not JSON (a proxy page?) leaves unknown whether Alma took it', async () => {
    const e = erp();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77?op=mark_in_erp', body: '<html>gateway</html>', headers: { 'content-type': 'text/html' } });
    await expect(e.markInErp('77')).rejects.toBeInstanceOf(UnknownOutcomeError);
  });
});
