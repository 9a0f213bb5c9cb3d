import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { createAlmaErp } from '../../../src/targets/alma/erp.js';
import { ORIGIN, mockApi } from '../helpers/mock-api.js';

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
