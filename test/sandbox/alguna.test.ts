/** The Alguna sandbox over HTTP: idempotency (replay, key reuse with another body, in flight, Transient-Error), strict bodies, list. */
import { afterEach, describe, expect, it } from 'vitest';
import { startAlgunaSandbox, type AlgunaSandbox, type AlgunaSandboxOptions } from '../../src/sandbox/alguna.js';

let sb: AlgunaSandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function start(o: AlgunaSandboxOptions = {}): Promise<AlgunaSandbox> {
  sb = await startAlgunaSandbox({ port: 0, ...o });
  return sb;
}

async function post(body: unknown, key?: string, auth = 'Bearer sk_test') {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: auth, 'alguna-version': '2026-04-01' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const res = await fetch(`${sb!.url}/invoices`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const invoice = (number = 'DIG-1', over: Record<string, unknown> = {}) => ({
  accountId: 'acc_city_library',
  billingPeriodStart: '2025-03-01T00:00:00Z',
  billingPeriodEnd: '2025-03-31T23:59:59Z',
  description: `Invoice ${number} from DIGILAB`,
  lineItems: [
    { description: 'Scanning', quantity: '2000.00', unitPrice: '0.50', productId: 'prod_scanning' },
    { description: 'Metadata', quantity: '50.00', unitPrice: '5.00' },
  ],
  issueDate: '2025-03-31T00:00:00Z',
  autoIssue: true,
  ...over,
});

describe('Alguna sandbox: one-off invoices', () => {
  it('creates the invoice with its line items and computed amounts (decimal strings), issued when autoIssue', async () => {
    await start();
    const r = await post(invoice(), 'k1');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'inv_00000001', accountId: 'acc_city_library', status: 'issued', subtotal: '1250.00', tax: '0.00', total: '1250.00', currency: 'USD' });
    expect(r.body.lineItems.map((l: { id: string; totalPrice: string }) => [l.id, l.totalPrice])).toEqual([
      ['li_00000001_1', '1000.00'],
      ['li_00000001_2', '250.00'],
    ]);
    expect(r.headers.get('idempotency-key')).toBe('k1');
    const draft = await post(invoice('DIG-2', { autoIssue: false, accountId: 'acc_law_library' }), 'k2');
    expect(draft.body).toMatchObject({ status: 'draft', tax: '100.00', total: '1350.00' });
  });

  it("takes v2's snake_case create too (customer_id, currency, line_items, status), with the same rules and amounts", async () => {
    await start();
    const v2 = {
      customer_id: 'acc_city_library',
      currency: 'USD',
      billing_period_start: '2025-03-01T00:00:00Z',
      billing_period_end: '2025-03-31T23:59:59Z',
      description: 'Invoice DIG-9 from DIGILAB',
      issue_date: '2025-03-31T00:00:00Z',
      line_items: [
        { description: 'Scanning', quantity: '2000.00', unit_price: '0.50', product_id: 'prod_scanning' },
        { description: 'Metadata', quantity: '50.00', unit_price: '5.00' },
      ],
      status: 'draft',
    };
    const r = await post(v2, 'k-v2');
    expect(r.status).toBe(201);
    // Answered as a v2 server answers: snake_case, no legacy name.
    expect(r.body).toMatchObject({ customer_id: 'acc_city_library', status: 'draft', subtotal: '1250.00', total: '1250.00', amount_remaining: '1250.00', description: 'Invoice DIG-9 from DIGILAB' });
    expect(r.body.line_items).toEqual([
      { id: 'li_00000001_1', description: 'Scanning', quantity: '2000.00', unit_price: '0.50', total_price: '1000.00', product_id: 'prod_scanning' },
      { id: 'li_00000001_2', description: 'Metadata', quantity: '50.00', unit_price: '5.00', total_price: '250.00' },
    ]);
    expect(Object.keys(r.body).filter((k) => /[A-Z]/.test(k))).toEqual([]);
    // currency is required, as the page lists it (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice).
    const { currency: _, ...noCurrency } = v2;
    const refused = await post({ ...noCurrency, description: 'Invoice DIG-10 from DIGILAB' }, 'k-v2-no-currency');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ detail: 'Validation failed: currency is required' });
    // Read by id with the v2 header: the same; without it, the legacy camelCase.
    const read = async (headers: Record<string, string>) => (await (await fetch(`${sb!.url}/invoices/${String(r.body.id)}`, { headers: { authorization: 'Bearer k', ...headers } })).json()) as Record<string, any>;
    expect(await read({ 'alguna-version': '2026-04-01' })).toEqual(r.body);
    expect(await read({})).toMatchObject({ accountId: 'acc_city_library', lineItems: [{ unitPrice: '0.50' }, { unitPrice: '5.00' }] });
    expect((await post({ ...v2, currency: 'EUR' }, 'k-v2-eur')).status).toBe(422);
    expect((await post({ ...v2, line_items: [{ description: 'x', quantity: '1.00', unitPrice: '1.00' }] }, 'k-v2-mixed')).body.detail).toMatch(/line_items\[0\] has unknown field unitPrice/);
  });

  it('is strict: money as decimal strings, required fields, known accounts and products, no unknown fields', async () => {
    await start();
    const cases: [unknown, number, RegExp][] = [
      [invoice('A', { lineItems: [{ description: 'x', quantity: 1, unitPrice: '1.00' }] }), 422, /quantity must be a decimal string/],
      [invoice('A', { billingPeriodStart: '2025-03-01' }), 422, /billingPeriodStart must be an RFC 3339 timestamp/],
      [invoice('A', { accountId: undefined }), 422, /accountId is required/],
      [invoice('A', { accountId: 'acc_nope' }), 404, /account acc_nope not found/],
      [invoice('A', { lineItems: [{ description: 'x', quantity: '1', unitPrice: '1', productId: 'nope' }] }), 422, /productId nope not found/],
      [invoice('A', { currency: 'USD' }), 422, /unknown field currency/],
    ];
    for (const [body, status, detail] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.detail).toMatch(detail);
    }
    expect(sb!.state().invoices).toHaveLength(0);
  });

  it('refuses a request without a known key (401 {status, detail})', async () => {
    await start({ apiKeys: ['sk_right'] });
    const r = await post(invoice(), 'k', 'Bearer sk_wrong');
    expect(r).toMatchObject({ status: 401, body: { status: 401, detail: 'Unauthorized' } });
  });
});

describe('Alguna sandbox: Idempotency-Key (other-targets.md §2.7)', () => {
  it('the same key and body again → the stored answer, Idempotent-Replayed: true, and one invoice', async () => {
    await start();
    const first = await post(invoice(), 'key-1');
    const again = await post(invoice(), 'key-1');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(sb!.state().counters).toMatchObject({ created: { DIGILAB: { 'DIG-1': 1 } }, replays: 1 });
  });

  it('the same key with another body → 422, nothing created', async () => {
    await start();
    await post(invoice(), 'key-1');
    const other = await post(invoice('DIG-1', { autoIssue: false }), 'key-1');
    expect(other).toMatchObject({ status: 422, body: { detail: 'Idempotency-Key already used with different parameters' } });
    expect(sb!.state().invoices).toHaveLength(1);
    expect(sb!.state().counters.keyMismatches).toBe(1);
  });

  it('the same key while the first request is being processed → 409', async () => {
    await start({ createDelayMs: 1_000 });
    const first = post(invoice(), 'key-1');
    // The second is sent once the sandbox has the first, not after a fixed 50 ms that a busy
    // machine can stretch past the first's whole processing time.
    while ((sb!.state().counters.requests['POST create'] ?? 0) < 1) await new Promise((r) => setTimeout(r, 5));
    const [a, b] = await Promise.all([first, post(invoice(), 'key-1')]);
    expect([a.status, b.status]).toEqual([201, 409]);
    expect(sb!.state().counters.keyInFlight).toBe(1);
    expect(sb!.state().invoices).toHaveLength(1);
  });

  it('a business refusal is permanent for its invoice of its account, a v2 body (customer_id) too', async () => {
    await start({ faults: [{ step: 'create', kind: 'business', match: 'DIG-5' }] });
    const v2 = (account: string) => ({
      customer_id: account,
      currency: 'USD',
      billing_period_start: '2025-03-01T00:00:00Z',
      billing_period_end: '2025-03-31T23:59:59Z',
      description: 'Invoice DIG-5 from DIGILAB',
      line_items: [{ description: 'Scanning', quantity: '1.00', unit_price: '1.00' }],
    });
    expect((await post(v2('acc_city_library'), 'a1')).status).toBe(422);
    // Permanent for that account's invoice ...
    expect((await post(v2('acc_city_library'), 'a2')).status).toBe(422);
    // ... not for the same vendor and number invoiced to another account.
    expect((await post(v2('acc_law_library'), 'b1')).status).toBe(201);
  });

  it('a 5xx that was not applied carries Transient-Error and releases the key; one that was applied replays on retry', async () => {
    await start({ faults: [{ step: 'create', kind: 'error_before', match: 'DIG-1' }, { step: 'create', kind: 'error_after', match: 'DIG-2' }] });
    const before = await post(invoice('DIG-1'), 'k-1');
    expect(before.status).toBe(500);
    expect(before.headers.get('transient-error')).toBe('true');
    expect(sb!.state().invoices).toHaveLength(0);
    expect((await post(invoice('DIG-1'), 'k-1')).status).toBe(201);

    const after = await post(invoice('DIG-2'), 'k-2');
    expect(after.status).toBe(500);
    expect(after.headers.get('transient-error')).toBeNull();
    const retry = await post(invoice('DIG-2'), 'k-2');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(sb!.state().counters.created).toEqual({ DIGILAB: { 'DIG-1': 1, 'DIG-2': 1 } });
  });

  it('lists an account\'s invoices, legacy style: page, limit 5/10/25/50/100, {items}', async () => {
    await start();
    await post(invoice('DIG-1'), 'a');
    await post(invoice('DIG-2', { accountId: 'acc_law_library' }), 'b');
    const res = await fetch(`${sb!.url}/invoices?accountId=acc_city_library&page=1&limit=25`, { headers: { authorization: 'Bearer k' } });
    const body = (await res.json()) as { items: { id: string }[] };
    expect(body.items.map((i) => i.id)).toEqual(['inv_00000001']);
    expect((await fetch(`${sb!.url}/invoices?limit=7`, { headers: { authorization: 'Bearer k' } })).status).toBe(400);
  });

  it('lists v2 style with offset: {data, pagination: {per_page, total_pages}}, a page held to listPageCap when set', async () => {
    await start({ listPageCap: 2 });
    for (const n of ['DIG-1', 'DIG-2', 'DIG-3']) await post(invoice(n), n);
    await post(invoice('DIG-4', { accountId: 'acc_law_library' }), 'law');
    const list = async (query: string) => (await (await fetch(`${sb!.url}/invoices?${query}`, { headers: { authorization: 'Bearer k' } })).json()) as Record<string, any>;
    const first = await list('customer_id=acc_city_library&limit=100&offset=0');
    expect(first['data'].map((i: { id: string }) => i.id)).toEqual(['inv_00000001', 'inv_00000002']);
    // v2's entries are snake_case too.
    expect(first['data'][0]).toMatchObject({ customer_id: 'acc_city_library', line_items: [{ unit_price: '0.50' }, { unit_price: '5.00' }], amount_remaining: '1250.00' });
    expect(first['data'][0]).not.toHaveProperty('accountId');
    expect(first['pagination']).toEqual({ per_page: 2, total_pages: 2 });
    expect((await list('customer_id=acc_city_library&limit=100&offset=2'))['data'].map((i: { id: string }) => i.id)).toEqual(['inv_00000003']);
    // The legacy list is held to the same page size.
    expect((await list('accountId=acc_city_library&limit=100&page=2'))['items'].map((i: { id: string }) => i.id)).toEqual(['inv_00000003']);
  });
});
