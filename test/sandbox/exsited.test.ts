/** The Exsited sandbox over HTTP: tokens (expiry, revocation on a new token), strict create, notes, 202 events, faults, persistence. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startExsitedSandbox, type ExsitedSandbox, type ExsitedSandboxOptions } from '../../src/sandbox/exsited.js';

let sb: ExsitedSandbox | undefined;
let clock = 1_750_000_000_000;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function start(o: ExsitedSandboxOptions = {}): Promise<ExsitedSandbox> {
  clock = 1_750_000_000_000;
  sb = await startExsitedSandbox({ port: 0, now: () => clock, ...o });
  return sb;
}

async function call(method: string, path: string, opts: { token?: string; json?: unknown; body?: FormData | string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(sb!.url + path, { method, headers, body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
}

const grant = async (id = 'c1', secret = 's1') => (await call('POST', '/api/v1/oauth2/token', { json: { grant_type: 'client_credentials', client_id: id, client_secret: secret } })).body!;
const PO = '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices';
const piBody = (number: string) => ({
  purchase_invoice: {
    issue_date: '2025-03-03',
    due_date: '2025-04-02',
    custom_attributes: [
      { name: 'vendor_invoice_number', value: number },
      { name: 'vendor', value: 'HARRAS' },
    ],
  },
});

describe('Exsited sandbox: OAuth2 tokens', () => {
  it('a new token for the same client revokes the previous one (KB 01); other clients are not affected', async () => {
    await start();
    const a = await grant('c1');
    const other = await grant('c2');
    expect(a).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await call('GET', '/api/v3/purchase-invoices/none', { token: a.access_token })).status).toBe(404);
    const b = await grant('c1');
    const refused = await call('GET', '/api/v3/purchase-invoices/none', { token: a.access_token });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ errors: [{ code: 401, message: 'token revoked' }] });
    expect((await call('GET', '/api/v3/purchase-invoices/none', { token: b.access_token })).status).toBe(404);
    expect((await call('GET', '/api/v3/purchase-invoices/none', { token: other.access_token })).status).toBe(404);
    expect(sb!.state().counters).toMatchObject({ tokensIssued: 3, revokedTokenUse: 1 });
  });

  it('tokens expire after expires_in; a refresh grant gives a new pair and revokes the old', async () => {
    await start({ tokenTtlSeconds: 60 });
    const a = await grant();
    clock += 61_000;
    expect((await call('GET', '/api/v3/purchase-invoices/x', { token: a.access_token })).body).toEqual({ errors: [{ code: 401, message: 'token expired' }] });
    const r = await call('POST', '/api/v1/oauth2/token', { json: { grant_type: 'refresh_token', refresh_token: a.refresh_token, client_id: 'c1', client_secret: 's1' } });
    expect(r.status).toBe(200);
    const again = await call('POST', '/api/v1/oauth2/token', { json: { grant_type: 'refresh_token', refresh_token: a.refresh_token, client_id: 'c1', client_secret: 's1' } });
    expect(again.status).toBe(400); // the old refresh token went with the old pair
  });

  it('only configured credentials get a token when clients are set', async () => {
    await start({ clients: [{ clientId: 'lib', clientSecret: 'right' }] });
    expect((await call('POST', '/api/v1/oauth2/token', { json: { grant_type: 'client_credentials', client_id: 'lib', client_secret: 'wrong' } })).status).toBe(401);
    expect((await call('POST', '/api/v1/oauth2/token', { json: { grant_type: 'client_credentials', client_id: 'lib', client_secret: 'right' } })).status).toBe(200);
  });
});

describe('Exsited sandbox: purchase invoices', () => {
  it('with customAttributes set, a create keeps only the defined ones, without a word; counted by the ones sent', async () => {
    await start({ customAttributes: ['cost_centre'] });
    const { access_token: token } = await grant();
    const body = piBody('HA-1');
    body.purchase_invoice.custom_attributes.push({ name: 'cost_centre', value: 'LIB' });
    const res = await call('POST', PO, { token, json: body });
    expect(res.status).toBe(201);
    expect(res.body!['purchase_invoice'].custom_attributes).toEqual([{ name: 'cost_centre', value: 'LIB' }]);
    expect(sb!.state().counters.created).toEqual({ HARRAS: { 'HA-1': 1 } });
  });

  it('creates a PI from the purchase order (lines and totals copied, ACTIVE), lists it with v3 pagination', async () => {
    await start();
    const { access_token: t } = await grant();
    const created = await call('POST', PO, { token: t, json: piBody('HA-1') });
    expect(created.status).toBe(201);
    expect(created.body!.purchase_invoice).toMatchObject({ id: 'PI-HARRAS01-0001', status: 'ACTIVE', subtotal: '1200.00', tax: '120.00', total: '1320.00', purchase_order_id: 'PO-HARRAS01-0001' });
    await call('POST', PO, { token: t, json: piBody('HA-2') });
    const page = await call('GET', `${PO}?limit=1&offset=0`, { token: t });
    expect(page.body!.purchase_invoices).toHaveLength(1);
    expect(page.body!.pagination).toMatchObject({ records: 2, limit: 1, offset: 0 });
    expect(page.body!.pagination.next_page).not.toBe('');
    const last = await call('GET', `${PO}?limit=1&offset=1`, { token: t });
    expect(last.body!.pagination.next_page).toBe('');
    expect(sb!.state().counters.created).toEqual({ HARRAS: { 'HA-1': 1, 'HA-2': 1 } });
  });

  it("a purchase order's own list shows the v4 SDK's entry fields only, no custom attributes; the whole list and a read by id show them", async () => {
    await start();
    const { access_token: t } = await grant();
    await call('POST', PO, { token: t, json: piBody('HA-1') });
    const [entry] = (await call('GET', PO, { token: t })).body!.purchase_invoices;
    expect(entry).not.toHaveProperty('custom_attributes');
    expect(Object.keys(entry).sort()).toEqual(
      ['account', 'alternate_due_date', 'alternate_issue_date', 'created_by', 'created_on', 'currency', 'custom_form', 'due_date', 'id', 'issue_date', 'last_updated_by', 'last_updated_on', 'object', 'origin', 'payment_status', 'price_tax_inclusive', 'purchase_order', 'status', 'subtotal', 'tax', 'total', 'uuid', 'version'],
    );
    expect(entry).toMatchObject({ id: 'PI-HARRAS01-0001', purchase_order: { id: 'PO-HARRAS01-0001' } });
    const attrs = [{ name: 'vendor_invoice_number', value: 'HA-1' }, { name: 'vendor', value: 'HARRAS' }];
    expect((await call('GET', '/api/v3/purchase-invoices/PI-HARRAS01-0001', { token: t })).body!.purchase_invoice.custom_attributes).toEqual(attrs);
    expect((await call('GET', '/api/v3/purchase-invoices', { token: t })).body!.purchase_invoices[0].custom_attributes).toEqual(attrs);
  });

  it('lists every purchase invoice at GET /purchase-invoices, as Exsited documents it (limit/offset, account_id, status)', async () => {
    await start();
    const { access_token: t } = await grant();
    await call('POST', PO, { token: t, json: piBody('HA-1') });
    await call('POST', PO, { token: t, json: piBody('HA-2') });
    const page = await call('GET', '/api/v3/purchase-invoices?limit=1&offset=1', { token: t });
    expect(page.status).toBe(200);
    expect(page.body!.purchase_invoices.map((p: { id: string }) => p.id)).toEqual(['PI-HARRAS01-0002']);
    expect(page.body!.pagination).toMatchObject({ records: 2, limit: 1, offset: 1, next_page: '' });
    expect((await call('GET', '/api/v3/purchase-invoices?account_id=NOBODY', { token: t })).body!.purchase_invoices).toEqual([]);
    expect((await call('GET', '/api/v3/purchase-invoices?status=active', { token: t })).body!.purchase_invoices).toHaveLength(2);
  });

  it('is strict about the envelope, fields and dates, and about unknown purchase orders', async () => {
    await start();
    const { access_token: t } = await grant();
    expect((await call('POST', PO, { token: t, json: { issue_date: '2025-03-03' } })).status).toBe(400);
    expect((await call('POST', PO, { token: t, json: { purchase_invoice: { issue_date: '2025-02-30' } } })).body).toEqual({
      errors: [{ code: 400, message: 'Validation Errors: issue_date must be a date YYYY-MM-DD' }],
    });
    expect((await call('POST', PO, { token: t, json: { purchase_invoice: { lines: [] } } })).status).toBe(400);
    expect((await call('POST', '/api/v3/purchase-orders/PO-NOPE/purchase-invoices', { token: t, json: piBody('X') })).status).toBe(404);
  });

  it('adds a note as multipart (text and file) and lists it', async () => {
    await start();
    const { access_token: t } = await grant();
    await call('POST', PO, { token: t, json: piBody('HA-1') });
    const form = new FormData();
    form.set('note', 'Checked');
    form.set('file', new Blob(['%PDF-1.4 tiny'], { type: 'application/pdf' }), 'inv.pdf');
    const added = await call('POST', '/api/v3/purchase-invoices/PI-HARRAS01-0001/notes', { token: t, body: form });
    expect(added.status).toBe(201);
    const uuid = added.body!['purchase-invoice'].notes.uuid as string;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('POST', '/api/v3/purchase-invoices/PI-HARRAS01-0001/notes', { token: t, json: { note: 'x' } })).status).toBe(400);
    const listed = await call('GET', '/api/v3/purchase-invoices/PI-HARRAS01-0001/notes', { token: t });
    expect(listed.body!.purchase_invoice.notes).toEqual([expect.objectContaining({ uuid, note: 'Checked', files: [expect.objectContaining({ name: 'inv.pdf', type: 'application/pdf', size: 13 })] })]);
    expect(sb!.state().counters.notePosts).toEqual({ 'PI-HARRAS01-0001': 1 });
  });

  it('cancel and reactivate answer 202 with an event_uuid; the status changes when the event has run', async () => {
    await start({ eventDelayMs: 1000 });
    const { access_token: t } = await grant();
    await call('POST', PO, { token: t, json: piBody('HA-1') });
    const path = '/api/v3/purchase-invoices/PI-HARRAS01-0001';
    const accepted = await call('POST', `${path}/cancel`, { token: t, json: { 'purchase-invoice': { effective_date: '2025-04-01' } } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ event_uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await call('GET', path, { token: t })).body!.purchase_invoice.status).toBe('ACTIVE');
    clock += 1000;
    expect((await call('GET', path, { token: t })).body!.purchase_invoice.status).toBe('INACTIVE');
    expect((await call('POST', `${path}/cancel`, { token: t, json: {} })).status).toBe(400);
    expect((await call('POST', `${path}/reactivate`, { token: t, json: { 'purchase-invoice': { effective_date: '2025-04-02' } } })).status).toBe(202);
    clock += 1000;
    expect((await call('GET', path, { token: t })).body!.purchase_invoice.status).toBe('ACTIVE');
    expect(sb!.state().counters.actions).toEqual({ 'PI-HARRAS01-0001': { cancel: 1, reactivate: 1 } });
  });

  it('fault lost_after: the purchase invoice is created and the connection dropped', async () => {
    await start();
    const { access_token: t } = await grant();
    sb!.setFaults({ faults: [{ step: 'create', kind: 'lost_after', match: 'HA-1' }] });
    await expect(call('POST', PO, { token: t, json: piBody('HA-1') })).rejects.toThrow();
    expect(sb!.state().invoices.map((i) => i.number)).toEqual(['HA-1']);
    expect(sb!.state().counters.faults.lost_after).toBe(1);
  });

  it('keeps its state in a file between starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exsited-sb-'));
    try {
      await start({ statePath: join(dir, 's.json') });
      const { access_token: t } = await grant();
      await call('POST', PO, { token: t, json: piBody('HA-1') });
      await sb!.close();
      sb = await startExsitedSandbox({ port: 0, statePath: join(dir, 's.json') });
      expect(sb.state().invoices.map((i) => i.id)).toEqual(['PI-HARRAS01-0001']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
