/**
 * The FOLIO sandbox on its own, spoken to with plain fetch on loopback: login and tokens,
 * the tenant, strict schemas, client ids, `_version` conflicts, the approval checks in
 * mod-invoice's order, and FOLIO's error body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFolioSandbox, type FolioSandbox, type FolioSandboxOptions } from '../../src/sandbox/folio/server.js';

let sb: FolioSandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const GOBI = '3c2b6a41-6c1f-4d7e-9f0a-1b2c3d4e5f01';
const OLDVEN = '3c2b6a41-6c1f-4d7e-9f0a-1b2c3d4e5f04';
const HIST = '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d401';
const INV = 'a1b2c3d4-0000-4000-8000-000000000001';

async function start(opts: FolioSandboxOptions = {}) {
  sb = await startFolioSandbox({ port: 0, ...opts });
  const login = await fetch(`${sb.url}/authn/login-with-expiry`, {
    method: 'POST',
    headers: { 'x-okapi-tenant': 'diku', 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'u', password: 'p' }),
  });
  expect(login.status).toBe(201);
  const token = /folioAccessToken=([^;]+)/.exec(login.headers.getSetCookie().join('\n'))![1]!;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sb!.url}${path}`, {
      method,
      headers: { 'x-okapi-tenant': 'diku', 'x-okapi-token': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };
  return { call, token };
}

const invoice = (over: Record<string, unknown> = {}) => ({
  id: INV,
  batchGroupId: '2a2cb998-1437-41d1-88ad-01930aaeadd5',
  currency: 'USD',
  invoiceDate: '2026-11-02T00:00:00.000Z',
  paymentMethod: 'EFT',
  status: 'Open',
  source: 'API',
  vendorInvoiceNo: 'G-1',
  vendorId: GOBI,
  lockTotal: 50,
  ...over,
});
const line = (over: Record<string, unknown> = {}) => ({
  id: 'a1b2c3d4-0000-4000-8000-0000000000a1',
  invoiceId: INV,
  description: 'A book',
  invoiceLineStatus: 'Open',
  subTotal: 50,
  quantity: 1,
  releaseEncumbrance: true,
  fundDistributions: [{ fundId: HIST, code: 'HIST', distributionType: 'percentage', value: 100 }],
  ...over,
});

describe('FOLIO sandbox', () => {
  it('needs the tenant and a live token; answers the gateway way, in plain text', async () => {
    const { call } = await start();
    const bare = await fetch(`${sb!.url}/invoice/invoices`);
    expect([bare.status, await bare.text()]).toEqual([400, 'Missing Tenant']);
    const noToken = await fetch(`${sb!.url}/invoice/invoices`, { headers: { 'x-okapi-tenant': 'diku' } });
    expect(noToken.status).toBe(401);
    expect((await call('GET', '/invoice/invoices')).status).toBe(200);
  });

  it('an access token expires; the refresh cookie gets a new one, once', async () => {
    // The sandbox's clock, not the machine's: on a busy machine a token of a few real ms could
    // expire before its first use, or a real wait be cut short.
    let clock = 7_000_000;
    sb = await startFolioSandbox({ port: 0, accessTokenSeconds: 60, now: () => clock });
    const login = await fetch(`${sb.url}/authn/login-with-expiry`, { method: 'POST', headers: { 'x-okapi-tenant': 'diku' }, body: JSON.stringify({ username: 'u', password: 'p' }) });
    const cookies = login.headers.getSetCookie().join('\n');
    const token = /folioAccessToken=([^;]+)/.exec(cookies)![1]!;
    const refresh = /folioRefreshToken=([^;]+)/.exec(cookies)![1]!;
    const funds = () => fetch(`${sb!.url}/finance/funds`, { headers: { 'x-okapi-tenant': 'diku', 'x-okapi-token': token } });
    clock += 59_999;
    expect((await funds()).status).toBe(200);
    clock += 1; // 60 s after it was issued: expired
    const late = await funds();
    expect([late.status, await late.text()]).toEqual([401, 'Invalid token: access token has expired']);
    const renewed = await fetch(`${sb.url}/authn/refresh`, { method: 'POST', headers: { 'x-okapi-tenant': 'diku', cookie: `folioRefreshToken=${refresh}` } });
    expect(renewed.status).toBe(201);
    const again = await fetch(`${sb.url}/authn/refresh`, { method: 'POST', headers: { 'x-okapi-tenant': 'diku', cookie: `folioRefreshToken=${refresh}` } });
    expect(again.status).toBe(422);
  });

  it('answers CQL any-of look-ups by code; refuses a query it cannot read', async () => {
    const { call } = await start();
    const r = await call('GET', `/organizations/organizations?query=${encodeURIComponent('(code=="GOBI" or code=="HARRAS" or code=="NOPE")')}&limit=10`);
    expect(r.json.organizations.map((o: { code: string }) => o.code).sort()).toEqual(['GOBI', 'HARRAS']);
    expect(r.json.totalRecords).toBe(2);
    // A group is one clause of an `and`.
    const both = await call('GET', `/organizations/organizations?query=${encodeURIComponent('isVendor==true and (code=="GOBI" or code=="CAMPUS")')}`);
    expect(both.json.organizations.map((o: { code: string }) => o.code)).toEqual(['GOBI']);
    // Not CQL: a relation takes one search term.
    expect((await call('GET', `/organizations/organizations?query=${encodeURIComponent('code==("GOBI" or "HARRAS")')}`)).status).toBe(400);
    expect((await call('GET', `/finance/funds?query=${encodeURIComponent('code=HIST sortby name')}`)).status).toBe(400);
  });

  it('answers a query ending in sortBy in that order (the loader pages its look-ups by sortBy id); refuses a sort it does not know', async () => {
    const { call } = await start();
    const get = async (q: string) => call('GET', `/organizations/organizations?query=${encodeURIComponent(q)}&limit=100`);
    const all = (await get('cql.allRecords=1')).json.organizations as { id: string; code: string; isVendor: boolean }[];
    const codes = all.map((o) => o.code);
    expect((await get('cql.allRecords=1 sortBy code')).json.organizations.map((o: { code: string }) => o.code)).toEqual([...codes].sort());
    expect((await get('cql.allRecords=1 sortBy code/sort.descending')).json.organizations.map((o: { code: string }) => o.code)).toEqual([...codes].sort().reverse());
    const vendors = all.filter((o) => o.isVendor).map((o) => o.id);
    expect((await get('isVendor==true sortBy id')).json.organizations.map((o: { id: string }) => o.id)).toEqual([...vendors].sort());
    expect((await get('isVendor==true sortBy id/sort.nonsense')).status).toBe(400);
    expect((await get('isVendor==true sortBy')).status).toBe(400);
  });

  it('keeps the client id, refuses a second record with it and any unknown field (422)', async () => {
    const { call } = await start();
    const created = await call('POST', '/invoice/invoices', invoice());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: INV, status: 'Open', folioInvoiceNo: '10001', _version: 1 });
    const dup = await call('POST', '/invoice/invoices', invoice());
    expect(dup.status).toBe(422);
    expect(dup.json.errors[0].parameters).toEqual([{ key: 'id', value: INV }]);
    const odd = await call('POST', '/invoice/invoices', invoice({ id: 'a1b2c3d4-0000-4000-8000-000000000002', vendorCode: 'GOBI' }));
    expect(odd.status).toBe(422);
    expect(odd.json.errors[0].message).toBe('Unrecognized field "vendorCode"');
    expect(sb!.state().counters.created).toEqual({ GOBI: { 'G-1': 1 } });
  });

  it('an adjustment needs every field the schema requires, exportToAccounting among them (422 otherwise)', async () => {
    const { call } = await start();
    const charge = { description: 'Shipment', prorate: 'By line', relationToTotal: 'In addition to', type: 'Amount', value: 4.5 };
    const without = await call('POST', '/invoice/invoices', invoice({ adjustments: [charge] }));
    expect(without.status).toBe(422);
    expect(without.json.errors[0].parameters).toEqual([{ key: 'adjustments.exportToAccounting', value: 'null' }]);
    const full = await call('POST', '/invoice/invoices', invoice({ adjustments: [{ ...charge, exportToAccounting: false }] }));
    expect(full.status).toBe(201);
  });

  it('approval: lines present, fund distributions total 100 %, lock total equal, an active vendor — each refused with FOLIO\'s code', async () => {
    const { call } = await start();
    await call('POST', '/invoice/invoices', invoice());
    const approve = async () => {
      const cur = (await call('GET', `/invoice/invoices/${INV}`)).json;
      return call('PUT', `/invoice/invoices/${INV}`, { ...cur, status: 'Approved' });
    };
    expect((await approve()).json.errors[0]).toMatchObject({ code: 'lockCalculatedTotalsMismatch', parameters: [{ key: 'lockTotal', value: '50' }, { key: 'total', value: '0' }] });
    await call('POST', '/invoice/invoice-lines', line({ fundDistributions: [{ fundId: HIST, distributionType: 'percentage', value: 90 }] }));
    expect((await approve()).json.errors[0].code).toBe('incorrectFundDistributionTotal');
    const inv2 = 'a1b2c3d4-0000-4000-8000-000000000003';
    await call('POST', '/invoice/invoices', invoice({ id: inv2, vendorInvoiceNo: 'OLD-1', vendorId: OLDVEN, lockTotal: 0 }));
    const cur = (await call('GET', `/invoice/invoices/${inv2}`)).json;
    expect((await call('PUT', `/invoice/invoices/${inv2}`, { ...cur, status: 'Approved' })).json.errors[0].code).toBe('invoiceLinesNotFound');
    expect(sb!.state().counters.approvals).toEqual({});
  });

  it("rounds a line's total to the invoice's currency (JPY: no decimals), as mod-invoice does: fund amounts finer than it fail the approval after the invoice and its lines exist", async () => {
    const { call } = await start();
    await call('POST', '/invoice/invoices', invoice({ currency: 'JPY', lockTotal: 100 }));
    const posted = await call('POST', '/invoice/invoice-lines', line({ subTotal: 100.5, fundDistributions: [{ fundId: HIST, code: 'HIST', distributionType: 'amount', value: 100.5 }] }));
    expect(posted.status).toBe(201);
    // Half to even: 100.5 → 100.
    expect(posted.json.total).toBe(100);
    const cur = (await call('GET', `/invoice/invoices/${INV}`)).json;
    const refused = await call('PUT', `/invoice/invoices/${INV}`, { ...cur, status: 'Approved' });
    expect(refused.json.errors[0].code).toBe('incorrectFundDistributionTotal');
  });

  it('a stale _version is a 409; an approved invoice takes no more lines (500 prohibitedInvoiceLineCreation)', async () => {
    const { call } = await start();
    await call('POST', '/invoice/invoices', invoice());
    const v1 = (await call('GET', `/invoice/invoices/${INV}`)).json;
    await call('POST', '/invoice/invoice-lines', line());
    const stale = await call('PUT', `/invoice/invoices/${INV}`, { ...v1, status: 'Approved' });
    expect(stale.status).toBe(409);
    const v2 = (await call('GET', `/invoice/invoices/${INV}`)).json;
    expect(v2._version).toBe(2);
    expect((await call('PUT', `/invoice/invoices/${INV}`, { ...v2, status: 'Approved' })).status).toBe(204);
    const after = await call('POST', '/invoice/invoice-lines', line({ id: 'a1b2c3d4-0000-4000-8000-0000000000a2' }));
    expect([after.status, after.json.errors[0].code]).toEqual([500, 'prohibitedInvoiceLineCreation']);
    const state = sb!.state();
    expect(state.counters).toMatchObject({ conflicts: 1, approvals: { [INV]: 1 }, reapprovals: 0 });
    expect(state.lines[0]).toMatchObject({ invoiceLineStatus: 'Approved', invoiceLineNumber: '10001-1' });
  });

  it('approvalMs: an accepted approval reads Open until its finance work is done; another one meanwhile is a double approval', async () => {
    let clock = 5_000_000;
    const { call } = await start({ now: () => clock, approvalMs: 60_000 });
    await call('POST', '/invoice/invoices', invoice());
    await call('POST', '/invoice/invoice-lines', line());
    const v = (await call('GET', `/invoice/invoices/${INV}`)).json;
    expect((await call('PUT', `/invoice/invoices/${INV}`, { ...v, status: 'Approved' })).status).toBe(204);
    clock += 59_999;
    const still = (await call('GET', `/invoice/invoices/${INV}`)).json;
    expect([still.status, still._version]).toEqual(['Open', v._version]);
    // Sent again on what it reads (Open, the same _version): FOLIO takes it, a second approval.
    expect((await call('PUT', `/invoice/invoices/${INV}`, { ...still, status: 'Approved' })).status).toBe(204);
    expect(sb!.state().counters).toMatchObject({ approvals: { [INV]: 2 }, reapprovals: 1 });
    clock += 1;
    const done = (await call('GET', `/invoice/invoices/${INV}`)).json;
    expect([done.status, done._version]).toEqual(['Approved', v._version + 1]);
  });
});
