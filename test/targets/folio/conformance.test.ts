/**
 * The FOLIO target against answers shaped as FOLIO's public schemas allow them
 * (folio-org/acq-models `invoice.json`, `invoice_collection.json`; docs/folio.md), where the
 * sandbox answers one way only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { invoiceIdOf } from '../../../src/targets/folio/ids.js';
import { createFolioTarget } from '../../../src/targets/folio/target.js';
import { mockApi } from '../helpers/mock-api.js';
import { CREDENTIALS, folioInvoices } from './helpers.js';

const ORIGIN = 'https://folio-okapi.test';
let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

const login = {
  method: 'POST',
  path: '/authn/login-with-expiry',
  status: 201,
  body: { accessTokenExpiration: new Date(Date.now() + 600_000).toISOString() },
  headers: { 'set-cookie': ['folioAccessToken=at-1; Max-Age=600; Path=/', 'folioRefreshToken=rt-1; Max-Age=604800; Path=/authn'] } as unknown as Record<string, string>,
};
const ORG_ID = '3c2b6a41-6c1f-4d7e-9f0a-1b2c3d4e5f01';
const refs = [
  { method: 'GET', path: /^\/organizations\/organizations\?/, body: { organizations: [{ id: ORG_ID, code: 'GOBI', status: 'Active', isVendor: true }], totalRecords: 1 } },
  { method: 'GET', path: /^\/finance\/funds\?/, body: { funds: [{ id: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d404', code: 'GENRL', fundStatus: 'Active' }], totalRecords: 1 } },
];
const row = (number: string) => ({ invoice_number: number, invoice_date: '2026-11-02', vendor: 'GOBI', total_amount: '10.00', currency: 'USD', payment_method: 'EFT', line_number: '1', price: '10.00', quantity: '1', fund_code: 'GENRL', fund_percent: '100' });
const [inv] = folioInvoices([row('C-1')]);
const ID = invoiceIdOf(CREDENTIALS.tenant, inv!.key);

function target() {
  const m = mockApi(ORIGIN);
  api = m;
  m.script(login, ...refs);
  return { m, t: createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 }) };
}

describe('FOLIO: a re-run finds the invoice whatever the case of the UUIDs FOLIO answers with', () => {
  it('an invoice whose vendorId FOLIO gives in upper case is the vendor\'s (UUIDs compare without regard to case): found, not created again', async () => {
    const { m, t } = target();
    m.script({ method: 'GET', path: /^\/invoice\/invoices\?/, body: { invoices: [{ id: ID.toUpperCase(), vendorId: ORG_ID.toUpperCase(), vendorInvoiceNo: 'C-1', status: 'Open', lockTotal: 10 }], totalRecords: 1 } });
    const found = await t.findInvoices(inv!.key, { fresh: true });
    expect(found).toMatchObject([{ id: ID.toUpperCase(), number: 'C-1', vendor: 'GOBI' }]);
    expect(found[0]!.notOurs).toBeUndefined();
  });
});

describe('FOLIO: a create answered with less than the whole record', () => {
  it('a 201 whose body gives the id but not vendorInvoiceNo is the invoice made under the id sent, not another record', async () => {
    const { m, t } = target();
    m.script({ method: 'POST', path: '/invoice/invoices', status: 201, body: { id: ID, status: 'Open' } });
    expect(await t.createInvoice(inv!)).toMatchObject({ id: ID, number: 'C-1', vendor: 'GOBI', processed: false });
  });
});
