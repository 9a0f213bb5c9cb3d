/** The Exsited target on scripted answers (undici MockAgent): token, create, look-up, note, actions, errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { ApiError, AuthError, UnknownOutcomeError } from '../../../src/common/errors.js';
import { parseExsitedError } from '../../../src/targets/exsited/errors.js';
import { comparableNote, purchaseInvoicePayload } from '../../../src/targets/exsited/payload.js';
import { createExsitedTarget, type ExsitedTargetOptions } from '../../../src/targets/exsited/target.js';
import { IDENTITY_ADVICE, IDENTITY_FIELD, identityDifferences } from '../../../src/targets/exsited/remote.js';
import { findWithElsewhere } from '../../../src/engine/elsewhere.js';
import { WithdrawnInvoiceError } from '../../../src/targets/target.js';
import { withdrawnInvoice } from '../../../src/cli/verify.js';
import { buildVerifyReport, verifyExitCode } from '../../../src/report/verify.js';
import { mockApi } from '../helpers/mock-api.js';
import { exsitedRow, invoicesFrom } from '../helpers/invoices.js';

const ORIGIN = 'https://dev-api.exsited.test';
const SECRET = 'S3CRET-client-secret-xyz';
let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

function target(over: Partial<ExsitedTargetOptions> = {}) {
  const m = mockApi(ORIGIN);
  api = m;
  return createExsitedTarget({
    baseUrl: ORIGIN,
    credentials: { clientId: 'client-1', clientSecret: SECRET, redirectUri: 'https://lib.example/cb' },
    dispatcher: m.agent,
    limiter: unlimited,
    sleep: async () => {},
    random: () => 0,
    ...over,
  });
}

const token = (n = 1) => ({ method: 'POST', path: '/api/v1/oauth2/token', body: { access_token: `at${n}`, refresh_token: `rt${n}`, expires_in: 3600 } });
/** The dates `exsitedRow` sends, as Exsited shows them. */
const DATES = { issue_date: '2025-03-03', due_date: '2025-04-02' };
const pi = (id: string, number: string, vendor = 'HARRAS', status = 'ACTIVE') => ({
  id,
  status,
  subtotal: '1200.00',
  tax: '120.00',
  total: '1320.00',
  purchase_order_id: 'PO-HARRAS01-0001',
  custom_attributes: [
    { name: 'vendor_invoice_number', value: number },
    { name: 'vendor', value: vendor },
  ],
});
const header = (call: { headers?: unknown } | undefined, name: string): string | undefined => {
  const h = (call?.headers ?? {}) as Record<string, string | string[]>;
  const v = Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
};
const bodyText = (call: { body?: unknown } | undefined): string => {
  const b = call?.body;
  return typeof b === 'string' ? b : b instanceof Uint8Array ? Buffer.from(b).toString('latin1') : String(b);
};

describe('Exsited target', () => {
  it('gets a token with client credentials, then creates the purchase invoice from its purchase order', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ custom_attributes: 'cost_centre=LIB-ACQ', purchase_order_note: 'March' })]);
    api!.script(token(), { method: 'POST', path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices', status: 201, body: { purchase_invoice: pi('PI-HARRAS01-0001', 'HA-1') } });
    const remote = await t.createInvoice(inv!);
    expect(api!.log()).toEqual(['POST /api/v1/oauth2/token', 'POST /api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices']);
    const [tok, create] = api!.calls();
    expect(JSON.parse(bodyText(tok))).toEqual({ grant_type: 'client_credentials', client_id: 'client-1', client_secret: SECRET, redirect_uri: 'https://lib.example/cb' });
    expect(header(create, 'authorization')).toBe('Bearer at1');
    expect(JSON.parse(bodyText(create))).toEqual(purchaseInvoicePayload(inv!));
    expect(JSON.parse(bodyText(create))).toEqual({
      purchase_invoice: {
        issue_date: '2025-03-03',
        due_date: '2025-04-02',
        purchase_order_note: 'March',
        custom_attributes: [
          { name: 'vendor_invoice_number', value: 'HA-1' },
          { name: 'vendor', value: 'HARRAS' },
          { name: 'cost_centre', value: 'LIB-ACQ' },
        ],
      },
    });
    expect(remote).toMatchObject({ id: 'PI-HARRAS01-0001', number: 'HA-1', vendor: 'HARRAS', workflowStatus: 'ACTIVE', processed: false, totalAmount: undefined });
    expect(remote.amounts).toEqual({ subtotal: '1200.00', tax: '120.00', total: '1320.00' });
  });

  it('a create answered without the loader\'s custom attributes keeps number and vendor empty, and the canary names them with what to do', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow()]);
    const dropped = { ...pi('PI-HARRAS01-0001', 'HA-1'), custom_attributes: [] };
    api!.script(token(), { method: 'POST', path: /purchase-invoices$/, status: 201, body: { purchase_invoice: dropped } });
    const remote = await t.createInvoice(inv!);
    // Never the key's: an invoice Exsited holds without them is one no look-up finds again.
    expect(remote).toMatchObject({ id: 'PI-HARRAS01-0001', number: '', vendor: '' });
    expect(t.answerDifferences!(inv!, remote.answer!, new Map())).toEqual([{ field: IDENTITY_FIELD, advice: IDENTITY_ADVICE, sent: '"HA-1", "HARRAS"', stored: 'nothing' }]);
    expect(IDENTITY_ADVICE).toMatch(/define both in Exsited as text attributes of purchase invoices, set them on this invoice, then run again/);
    // The first invoice waits for no note: the verdict comes with the create's answer.
    expect(t.canaryChildren!(inv!)).toEqual([]);
  });

  it('the read-back of a purchase invoice read as DELETED compares nothing: it says the invoice is withdrawn, and verify reports it missing (exit 4), not as a live invoice', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(token(), { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-2', 'HARRAS', 'DELETED') } });
    const err = await t.readBack!('PI-1', inv!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WithdrawnInvoiceError);
    const said = withdrawnInvoice(err as WithdrawnInvoiceError, 'Exsited', 'PI-1');
    expect(said).toMatchObject({ status: 'missing', id: 'PI-1', error: { code: 'WITHDRAWN' } });
    expect(said.error!.message).toMatch(/^withdrawn in Exsited: the invoice \(id PI-1\) was deleted or voided in Exsited since it was loaded \(Exsited shows it DELETED\)/);
    const report = buildVerifyReport('exsited', [{ vendor: 'HARRAS', number: 'HA-2', differences: [], issues: [], rows: [], ...said }], [], 2);
    expect(report.summary).toMatchObject({ missing: 1, matches: 0, differs: 0 });
    expect(verifyExitCode(report)).toBe(4);
  });

  it('the read-back (canary, verify) compares every field the create sent, as Alma\'s does: dates by day, the PO note as a note, each custom attribute; not lines or amounts, which come from the PO', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ custom_attributes: 'cost_centre=LIB-ACQ', purchase_order_note: 'March  order' })]);
    const stored = { ...pi('PI-1', 'HA-1'), issue_date: '2025-03-03T00:00:00Z', due_date: '2025-04-02', purchase_order_note: 'March order' };
    api!.script(
      token(),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: { ...stored, custom_attributes: [...stored.custom_attributes, { name: 'cost_centre', value: 'LIB-ACQ' }] } } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: { ...stored, due_date: '2025-05-01', purchase_order_note: undefined, total: '9.99' } } },
    );
    await expect(t.readBack!('PI-1', inv!)).resolves.toEqual([]);
    await expect(t.readBack!('PI-1', inv!)).resolves.toEqual([
      { field: 'due_date', sent: '"2025-04-02"', stored: '"2025-05-01"' },
      { field: 'purchase_order_note', sent: '"March  order"', stored: 'nothing' },
      { field: 'custom attribute cost_centre', sent: '"LIB-ACQ"', stored: 'nothing' },
    ]);
  });

  it('the canary reads the invoice back when the answer did not show the attributes: stored is what counts', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow()]);
    api!.script(
      token(),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: { ...pi('PI-1', 'HA-1'), ...DATES } } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-2', body: { purchase_invoice: { ...pi('PI-2', 'HA-1'), ...DATES, custom_attributes: [{ name: 'vendor_invoice_number', value: 'HA-1' }] } } },
    );
    await expect(t.readBack!('PI-1', inv!)).resolves.toEqual([]);
    await expect(t.readBack!('PI-2', inv!)).resolves.toEqual([{ field: IDENTITY_FIELD, advice: IDENTITY_ADVICE, sent: '"HA-1", "HARRAS"', stored: '"HA-1", nothing' }]);
  });

  it('a batch action has no canary: nothing is written that a read-back could check', () => {
    const t = target({ action: { kind: 'cancel', effectiveDate: '2025-04-01' } });
    expect([t.readBack, t.answerDifferences, t.canaryChildren]).toEqual([undefined, undefined, undefined]);
  });

  it('a 401 renews the token with the refresh token and sends the call again; one token for concurrent calls', async () => {
    const t = target();
    api!.script(
      token(1),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', status: 401, body: { errors: [{ code: 401, message: 'token revoked' }] } },
      { method: 'POST', path: '/api/v1/oauth2/token', body: { access_token: 'at2', refresh_token: 'rt2', expires_in: 3600 } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-1') } },
    );
    await expect(t.getInvoice('PI-1')).resolves.toMatchObject({ id: 'PI-1', number: 'HA-1' });
    const calls = api!.calls();
    expect(JSON.parse(bodyText(calls[2]))).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt1' });
    expect(header(calls[3], 'authorization')).toBe('Bearer at2');
    expect(t.tokenRequests()).toBe(2);
  });

  it('a refused refresh falls back to client credentials (exsited-php renewAccessToken)', async () => {
    const t = target();
    api!.script(
      token(1),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', status: 401, body: { errors: [{ code: 401, message: 'token expired' }] } },
      { method: 'POST', path: '/api/v1/oauth2/token', status: 400, body: { errors: [{ code: 400, message: 'invalid refresh token' }] } },
      { method: 'POST', path: '/api/v1/oauth2/token', body: { access_token: 'at3', expires_in: 3600 } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-1') } },
    );
    await t.getInvoice('PI-1');
    expect(JSON.parse(bodyText(api!.calls()[3]))).toMatchObject({ grant_type: 'client_credentials' });
  });

  // RFC 6749 §5.2: a refused grant is 400, or 401 invalid_client; any 4xx of the refresh grant is
  // "refresh refused", and the client credentials' own grant decides whether the run can go on.
  it.each([
    [400, { error: 'invalid_grant', error_description: 'refresh token expired' }],
    [401, { error: 'invalid_client', error_description: 'client authentication failed' }],
    [403, { errors: [{ code: 403, message: 'refresh not allowed' }] }],
  ])('a refresh refused with %i falls back to client credentials instead of stopping the run', async (status, body) => {
    const t = target();
    api!.script(
      token(1),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', status: 401, body: { errors: [{ code: 401, message: 'token expired' }] } },
      { method: 'POST', path: '/api/v1/oauth2/token', status, body },
      { method: 'POST', path: '/api/v1/oauth2/token', body: { access_token: 'at3', refresh_token: 'rt3', expires_in: 3600 } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-1') } },
    );
    await expect(t.getInvoice('PI-1')).resolves.toMatchObject({ id: 'PI-1' });
    const calls = api!.calls();
    expect(JSON.parse(bodyText(calls[2]))).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt1' });
    expect(JSON.parse(bodyText(calls[3]))).toMatchObject({ grant_type: 'client_credentials' });
    expect(header(calls[4], 'authorization')).toBe('Bearer at3');
  });

  it('a refused refresh whose client credentials are refused too still stops the run (AuthError)', async () => {
    const t = target();
    api!.script(
      token(1),
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', status: 401, body: { errors: [{ code: 401, message: 'token expired' }] } },
      { method: 'POST', path: '/api/v1/oauth2/token', status: 401, body: { error: 'invalid_client' } },
      { method: 'POST', path: '/api/v1/oauth2/token', status: 401, body: { error: 'invalid_client' } },
    );
    const err = await t.getInvoice('PI-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/credentials were refused/);
    expect(JSON.parse(bodyText(api!.calls()[3]))).toMatchObject({ grant_type: 'client_credentials' });
  });

  it('refused credentials stop the run (AuthError, exit 5) and the secret appears nowhere', async () => {
    const t = target();
    api!.script({ method: 'POST', path: '/api/v1/oauth2/token', status: 401, body: { errors: [{ code: 401, message: `invalid client ${SECRET}` }] } });
    const err = await t.getInvoice('PI-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/credentials were refused/);
    expect((err as Error).message).not.toContain(SECRET);
    // A redirect_uri was sent: no hint about it.
    expect((err as Error).message).not.toMatch(/redirect_uri/);
  });

  it('refused without a redirect_uri: the message says one was not sent and where to set it', async () => {
    const t = target({ credentials: { clientId: 'client-1', clientSecret: SECRET } });
    api!.script({ method: 'POST', path: '/api/v1/oauth2/token', status: 400, body: { errors: [{ code: 400, message: 'redirect_uri is required' }] } });
    const err = await t.getInvoice('PI-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/no redirect_uri was sent: if the app in Exsited has one, set EXSITED_REDIRECT_URI or "redirect_uri" in the credentials file/);
  });

  it('looks up by listing the purchase order\'s invoices page by page and matching its own custom attributes', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(
      token(),
      {
        method: 'GET',
        path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0',
        body: { purchase_invoices: [pi('PI-1', 'HA-1'), pi('PI-9', 'HA-2', 'OTHER')], pagination: { records: 3, limit: 100, offset: 0, previous_page: '', next_page: '/next' } },
      },
      {
        method: 'GET',
        path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=2',
        body: { purchase_invoices: [pi('PI-2', 'HA-2')], pagination: { records: 3, limit: 100, offset: 2, previous_page: '/prev', next_page: '' } },
      },
    );
    const found = await t.findInvoices(inv!.key, { fresh: false, invoice: inv });
    expect(found.map((r) => r.id)).toEqual(['PI-2']);
    // The listing answers the next non-fresh look-up of the same purchase order without a request.
    await t.findInvoices({ vendor: 'HARRAS', number: 'HA-1' }, { fresh: false, invoice: inv });
    expect(api!.log()).toHaveLength(3);
  });

  it("a purchase order's list whose entries show no custom attributes (v4 PurchaseOrderPurchaseInvoice) is not taken as absence: each entry is read by id, and the one that is ours found", async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    // The fields of https://pub.dev/documentation/exsited/4.0.0/purchase_orders/PurchaseOrderPurchaseInvoice/PurchaseOrderPurchaseInvoice.html
    const entry = (id: string) => ({ id, status: 'ACTIVE', total: '1320.00', purchase_order: { id: 'PO-HARRAS01-0001' } });
    api!.script(
      token(),
      { method: 'GET', path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0', body: { purchase_invoices: [entry('PI-1'), entry('PI-2')], pagination: { records: 2, limit: 100, offset: 0, previous_page: '', next_page: '' } } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-1') } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-2', body: { purchase_invoice: pi('PI-2', 'HA-2') } },
    );
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['PI-2']);
    // Read once for the purchase order: the next look-up of it sends nothing.
    expect((await t.findInvoices({ vendor: 'HARRAS', number: 'HA-1' }, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['PI-1']);
    expect(api!.log()).toHaveLength(4);
  });

  it('a listed invoice that shows no custom attributes even when read by id fails the look-up (nothing sent), never answers "absent"', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const bare = { id: 'PI-1', status: 'ACTIVE', purchase_order: { id: 'PO-HARRAS01-0001' } };
    api!.script(
      token(),
      { method: 'GET', path: /purchase-orders\/PO-HARRAS01-0001\/purchase-invoices\?limit=100&offset=0$/, body: { purchase_invoices: [bare], pagination: { records: 1, limit: 100, offset: 0, previous_page: '', next_page: '' } } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: bare } },
    );
    await expect(t.findInvoices(inv!.key, { fresh: false, invoice: inv })).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('PI-1') });
  });

  it('pages a v4 list by the cursor it gives (data, has_more, next_cursor)', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(
      token(),
      { method: 'GET', path: /purchase-invoices\?limit=100&offset=0$/, body: { data: [pi('PI-1', 'HA-1')], pagination: { has_more: true, next_cursor: 'c2' } } },
      { method: 'GET', path: /purchase-invoices\?cursor=c2&limit=100&offset=1$/, body: { data: [pi('PI-2', 'HA-2')], pagination: { has_more: false } } },
    );
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['PI-2']);
  });

  it('a list that answers the next page with the same invoices fails the look-up instead of reading forever', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const same = { data: [pi('PI-1', 'HA-1')], pagination: { has_more: true } };
    api!.script(token(), { method: 'GET', path: /offset=0$/, body: same }, { method: 'GET', path: /offset=1$/, body: same });
    await expect(t.findInvoices(inv!.key, { fresh: false, invoice: inv })).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('pages neither by offset nor by cursor') });
  });

  it("an instance that does not serve the purchase order's own list (404) is looked up in the documented GET /purchase-invoices, once for the run", async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const other = { ...pi('PI-7', 'HA-2'), purchase_order_id: 'PO-OTHER-0001' };
    api!.script(
      token(),
      { method: 'GET', path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0', status: 404, body: { errors: [{ code: 404, message: 'Not Found' }] } },
      // As https://developer.exsited.com/purchase-invoice-get-api-documentation shows it: purchase_invoices[] and v3 pagination.
      {
        method: 'GET',
        path: '/api/v3/purchase-invoices?limit=100&offset=0',
        body: { purchase_invoices: [pi('PI-1', 'HA-1'), other, pi('PI-2', 'HA-2')], pagination: { records: 3, limit: 100, offset: 0, previous_page: '', next_page: '' } },
      },
    );
    // The invoice of another purchase order with the same number is not this one.
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['PI-2']);
    // Another purchase order's look-up reads the same whole list: no request, no second 404.
    const [second] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2', purchase_order_id: 'PO-OTHER-0001' })]);
    expect((await t.findInvoices(second!.key, { fresh: false, invoice: second })).map((r) => r.id)).toEqual(['PI-7']);
    expect(api!.log()).toEqual(['POST /api/v1/oauth2/token', 'GET /api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0', 'GET /api/v3/purchase-invoices?limit=100&offset=0']);
  });

  it("a 404 on the purchase order's own list of a purchase order the whole list does not name (it may not exist) switches only that look-up; a 405 switches the run", async () => {
    const t = target();
    const [missing] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2', purchase_order_id: 'PO-NONE-0001' })]);
    const [second] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const [third] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-3', purchase_order_id: 'PO-OTHER-0001' })]);
    const wholeList = { purchase_invoices: [pi('PI-1', 'HA-1')], pagination: { records: 1, limit: 100, offset: 0, previous_page: '', next_page: '' } };
    api!.script(
      token(),
      { method: 'GET', path: '/api/v3/purchase-orders/PO-NONE-0001/purchase-invoices?limit=100&offset=0', status: 404, body: { errors: [{ code: 404, message: 'Not Found' }] } },
      { method: 'GET', path: '/api/v3/purchase-invoices?limit=100&offset=0', body: wholeList },
      { method: 'GET', path: '/api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0', status: 405, body: { errors: [{ code: 405, message: 'Method Not Allowed' }] } },
    );
    expect(await t.findInvoices(missing!.key, { fresh: false, invoice: missing })).toEqual([]);
    // Another purchase order still asks its own list first (here 405: not served), then the whole list, read once.
    expect((await t.findInvoices(second!.key, { fresh: false, invoice: second })).map((r) => r.id)).toEqual([]);
    // After the 405, the run reads only the whole list (already read): no request.
    expect(await t.findInvoices(third!.key, { fresh: false, invoice: third })).toEqual([]);
    expect(api!.log()).toEqual([
      'POST /api/v1/oauth2/token',
      'GET /api/v3/purchase-orders/PO-NONE-0001/purchase-invoices?limit=100&offset=0',
      'GET /api/v3/purchase-invoices?limit=100&offset=0',
      'GET /api/v3/purchase-orders/PO-HARRAS01-0001/purchase-invoices?limit=100&offset=0',
    ]);
  });

  it('a purchase invoice listed as DELETED is not the invoice any more: the look-up leaves it out, so a re-run creates it again', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(token(), {
      method: 'GET',
      path: /purchase-invoices\?limit=100&offset=0$/,
      body: { purchase_invoices: [pi('PI-1', 'HA-2', 'HARRAS', 'DELETED'), pi('PI-2', 'HA-2', 'HARRAS', 'INACTIVE')], pagination: { records: 2, limit: 100, offset: 0, previous_page: '', next_page: '' } },
    });
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['PI-2']);
  });

  it('one another journal recorded, deleted since, is left out when read by id too: a re-run creates it again, not adopts it', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const list = { purchase_invoices: [pi('PI-1', 'HA-2', 'HARRAS', 'DELETED')], pagination: { records: 1, limit: 100, offset: 0, previous_page: '', next_page: '' } };
    api!.script(
      token(),
      { method: 'GET', path: /purchase-invoices\?limit=100&offset=0$/, body: list },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-2', 'HARRAS', 'DELETED') } },
    );
    const recorded = { ids: new Map([['PI-1', { lines: new Map<string, string>(), linesPending: new Map<string, number>() }]]) };
    await expect(findWithElsewhere(t, inv!, recorded)).resolves.toEqual([]);
    expect(api!.log()).toContain('GET /api/v3/purchase-invoices/PI-1');
  });

  it('a purchase invoice listed as VOID (the simple status table) is withdrawn as DELETED is: the look-up leaves it out, so a re-run creates it again', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(token(), {
      method: 'GET',
      path: /purchase-invoices\?limit=100&offset=0$/,
      body: { purchase_invoices: [pi('PI-1', 'HA-2', 'HARRAS', 'VOID'), pi('PI-3', 'HA-2', 'HARRAS', 'void')], pagination: { records: 2, limit: 100, offset: 0, previous_page: '', next_page: '' } },
    });
    expect(await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).toEqual([]);
  });

  it('a purchase invoice read by id as VOID is withdrawn: not adopted for another journal, and the engine sees RemoteInvoice.withdrawn', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    const list = { purchase_invoices: [], pagination: { records: 0, limit: 100, offset: 0, previous_page: '', next_page: '' } };
    api!.script(
      token(),
      { method: 'GET', path: /purchase-invoices\?limit=100&offset=0$/, body: list },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-2', 'HARRAS', 'VOID') } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-2', 'HARRAS', 'VOID') } },
    );
    const recorded = { ids: new Map([['PI-1', { lines: new Map<string, string>(), linesPending: new Map<string, number>() }]]) };
    await expect(findWithElsewhere(t, inv!, recorded)).resolves.toEqual([]);
    expect(api!.log()).toContain('GET /api/v3/purchase-invoices/PI-1');
    await expect(t.getInvoice('PI-1')).resolves.toMatchObject({ id: 'PI-1', workflowStatus: 'VOID', withdrawn: true });
  });

  it('sends the note as multipart/form-data with the text and the attached file, and recognises it by its text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exsited-note-'));
    writeFileSync(join(dir, 'slip.txt'), 'PACKING SLIP 42');
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_note: 'Checked by J.', attachment: 'slip.txt' })], join(dir, 'batch.csv'));
    expect(t.childKeys(inv!)).toEqual(['note']);
    api!.script(
      token(),
      { method: 'POST', path: '/api/v3/purchase-invoices/PI-1/notes', status: 201, body: { 'purchase-invoice': { notes: { uuid: 'n-1' } } } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1/notes?limit=100&offset=0', body: { purchase_invoice: { notes: [{ uuid: 'n-0', note: 'someone else' }, { uuid: 'n-1', note: 'Checked by J.' }] } } },
    );
    await expect(t.addChild('PI-1', 'note', inv!)).resolves.toEqual({ id: 'n-1', number: 'note' });
    const post = api!.calls()[1];
    expect(header(post, 'content-type')).toMatch(/^multipart\/form-data; boundary=/);
    const text = bodyText(post);
    expect(text).toMatch(/name="note"\r\n\r\nChecked by J\./);
    expect(text).toMatch(/name="file"; filename="slip.txt"\r\nContent-Type: text\/plain\r\n\r\nPACKING SLIP 42/);
    await expect(t.listChildren('PI-1', inv!)).resolves.toEqual([{ id: 'n-1', number: 'note' }]);
  });

  // People's notes, full pages of them: each with a uuid only, as the note create answers.
  const othersNotes = (prefix: string, n = 100) => Array.from({ length: n }, (_, i) => ({ uuid: `${prefix}-${i}`, note: `a note by someone, ${prefix} ${i}` }));
  const notesPath = (offset: number) => `/api/v3/purchase-invoices/PI-1/notes?limit=100&offset=${offset}`;

  it('finds its note past the first pages of notes people added: every page is read', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_note: 'Checked by J.' })]);
    api!.script(
      token(),
      { method: 'GET', path: notesPath(0), body: { purchase_invoice: { notes: othersNotes('a') }, pagination: { records: 201, limit: 100, offset: 0, next_page: '/next' } } },
      // As many notes as the page before, other uuids: a page of its own, not the same page again.
      { method: 'GET', path: notesPath(100), body: { purchase_invoice: { notes: othersNotes('b') }, pagination: { records: 201, limit: 100, offset: 100, next_page: '/next' } } },
      { method: 'GET', path: notesPath(200), body: { purchase_invoice: { notes: [{ uuid: 'n-ours', note: 'Checked by J.' }] }, pagination: { records: 201, limit: 100, offset: 200, next_page: '' } } },
    );
    await expect(t.listChildren('PI-1', inv!)).resolves.toEqual([{ id: 'n-ours', number: 'note' }]);
    expect(api!.log().slice(1)).toEqual([`GET ${notesPath(0)}`, `GET ${notesPath(100)}`, `GET ${notesPath(200)}`]);
  });

  it('finds its note as Exsited stored it, line ends and spaces changed: not written a second time', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_note: 'Checked by J.\r\nShelf  4, box 2' })]);
    api!.script(token(), { method: 'GET', path: notesPath(0), body: { purchase_invoice: { notes: [{ uuid: 'n-0', note: 'someone else' }, { uuid: 'n-1', note: 'Checked by J.\nShelf 4, box 2\n' }] } } });
    await expect(t.listChildren('PI-1', inv!)).resolves.toEqual([{ id: 'n-1', number: 'note' }]);
  });

  it('a notes list that answers the next page with the same notes fails the listing instead of missing the note', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_note: 'Checked by J.' })]);
    const same = { purchase_invoice: { notes: othersNotes('a') }, pagination: { has_more: true } };
    api!.script(token(), { method: 'GET', path: notesPath(0), body: same }, { method: 'GET', path: notesPath(100), body: same });
    await expect(t.listChildren('PI-1', inv!)).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('the notes of purchase invoice PI-1 came back the same on the next page') });
  });

  it('a create answered 500 is an unknown outcome, never sent again by the client', async () => {
    const t = target();
    const [inv] = invoicesFrom('exsited', [exsitedRow()]);
    api!.script(token(), { method: 'POST', path: /purchase-invoices$/, status: 500, body: { errors: [{ code: 500, message: 'Internal Server Error' }] } });
    await expect(t.createInvoice(inv!)).rejects.toBeInstanceOf(UnknownOutcomeError);
    expect(api!.log().filter((l) => l.startsWith('POST /api/v3'))).toHaveLength(1);
  });

  it('cancel: the action is the finalize step, 202 with an event, done when the status reads inactive', async () => {
    const t = target({ action: { kind: 'cancel', effectiveDate: '2025-04-01' } });
    const [inv] = invoicesFrom('exsited', [exsitedRow()]);
    expect(t.childKeys(inv!)).toEqual([]);
    await expect(t.createInvoice(inv!)).rejects.toMatchObject({ code: 'NOT_LOADED' });
    api!.script(
      token(),
      { method: 'POST', path: '/api/v3/purchase-invoices/PI-1/cancel', status: 202, body: { event_uuid: 'ev-1' } },
      { method: 'GET', path: '/api/v3/purchase-invoices/PI-1', body: { purchase_invoice: pi('PI-1', 'HA-1', 'HARRAS', 'INACTIVE') } },
    );
    const accepted = await t.finalize!('PI-1', inv!);
    expect(accepted.processed).toBe(false);
    expect(JSON.parse(bodyText(api!.calls()[1]))).toEqual({ 'purchase-invoice': { effective_date: '2025-04-01' } });
    await expect(t.getInvoice('PI-1')).resolves.toMatchObject({ processed: true, workflowStatus: 'INACTIVE' });
  });

  it.each([
    ['cancel', 'DELETED'],
    ['cancel', 'VOID'],
    ['reactivate', 'DELETED'],
    ['reactivate', 'VOID'],
  ] as const)('%s of a purchase invoice found only as %s says it is deleted or void in Exsited and sends nothing, not "load the batch first"', async (kind, status) => {
    const t = target({ action: { kind, effectiveDate: '2025-04-01' } });
    const [inv] = invoicesFrom('exsited', [exsitedRow({ invoice_number: 'HA-2' })]);
    api!.script(token(), {
      method: 'GET',
      path: /purchase-invoices\?limit=100&offset=0$/,
      body: { purchase_invoices: [pi('PI-1', 'HA-2', 'HARRAS', status)], pagination: { records: 1, limit: 100, offset: 0, previous_page: '', next_page: '' } },
    });
    expect(await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).toEqual([]);
    const err = await t.createInvoice(inv!).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('WRONG_STATUS');
    expect(err?.message).toMatch(new RegExp(`^Exsited holds purchase invoice HA-2 from HARRAS on purchase order \\S+ only as deleted or void \\(PI-1 ${status}\\): there is no live invoice to ${kind}, and nothing was sent$`));
    expect(err?.message).not.toMatch(/load the batch/);
    expect(api!.log().filter((l) => l.startsWith('POST /api/v3'))).toEqual([]);
  });

  it('keeps paths and version configurable (v4 spells resources with underscores, other-targets.md §1.1)', async () => {
    const t = target({ apiVersion: 'v4', paths: { purchaseInvoice: '/api/{v}/purchase_invoices/{id}' } });
    api!.script(token(), { method: 'GET', path: '/api/v4/purchase_invoices/PI%2F1', body: { purchase_invoice: pi('PI/1', 'HA-1') } });
    await t.getInvoice('PI/1');
    expect(api!.log()[1]).toBe('GET /api/v4/purchase_invoices/PI%2F1');
  });
});

describe('Exsited: the loader\'s custom attributes as an answer shows them', () => {
  const key = { vendor: 'HARRAS', number: 'HA-1' };
  const withAttrs = (attrs: { name: string; value: string }[] | undefined) => ({ purchase_invoice: { id: 'PI-1', ...(attrs !== undefined ? { custom_attributes: attrs } : {}) } });
  it.each([
    ['both as sent, among others (v3 envelope)', withAttrs([{ name: 'cost_centre', value: 'X' }, { name: 'vendor', value: 'HARRAS' }, { name: 'vendor_invoice_number', value: 'HA-1' }]), undefined],
    ['both as sent, the note answer\'s hyphenated envelope', { 'purchase-invoice': { id: 'PI-1', custom_attributes: [{ name: 'vendor_invoice_number', value: 'HA-1' }, { name: 'vendor', value: 'HARRAS' }] } }, undefined],
    ['none listed', withAttrs([]), 'nothing'],
    ['no custom_attributes at all', withAttrs(undefined), 'nothing'],
    ['the vendor missing', withAttrs([{ name: 'vendor_invoice_number', value: 'HA-1' }]), '"HA-1", nothing'],
    ['a value changed (trimmed, cased): the look-up matches exactly', withAttrs([{ name: 'vendor_invoice_number', value: 'ha-1' }, { name: 'vendor', value: 'HARRAS' }]), '"ha-1", "HARRAS"'],
    ['not an object', 'created', 'nothing'],
  ] as const)('%s', (_name, answer, stored) => {
    expect(identityDifferences(answer as never, key)).toEqual(stored === undefined ? [] : [{ field: IDENTITY_FIELD, advice: IDENTITY_ADVICE, sent: '"HA-1", "HARRAS"', stored }]);
  });
});

describe('Exsited: a note\'s text as a re-run compares it with the notes Exsited holds', () => {
  it.each([
    ['the same text', 'Checked by J.', 'Checked by J.', true],
    ['CRLF line ends stored as LF', 'Checked\r\nby J.', 'Checked\nby J.', true],
    ['a line end stored as a space', 'Checked\nby J.', 'Checked by J.', true],
    ['runs of spaces and tabs as one space', 'Shelf  4,\tbox 2', 'Shelf 4, box 2', true],
    ['a trailing line end added', 'Checked by J.', 'Checked by J.\n', true],
    ['a non-breaking space', 'Shelf\u00a04', 'Shelf 4', true],
    ['é decomposed (NFD) and composed (NFC)', 'Caf\u0065\u0301 order', 'Caf\u00e9 order', true],
    ['other words', 'Checked by J.', 'Checked by K.', false],
    ['another case', 'checked by j.', 'Checked by J.', false],
    ['a space inside a word', 'Checked', 'Chec ked', false],
  ] as const)('%s', (_name, sent, stored, same) => {
    expect(comparableNote(sent) === comparableNote(stored)).toBe(same);
  });
});

describe('Exsited errors', () => {
  it('reads errors[] (code and every message), the OAuth shape, and anything else as text', () => {
    expect(parseExsitedError(400, {}, '{"errors":[{"code":"stock_committed","message":"Stock is committed"},{"code":1,"message":"and more"}]}')).toMatchObject({
      httpStatus: 400,
      code: 'stock_committed',
      message: 'Stock is committed; and more',
    });
    expect(parseExsitedError(400, {}, '{"error":"invalid_client","error_description":"bad secret"}')).toMatchObject({ code: 'invalid_client', message: 'bad secret' });
    const html = parseExsitedError(502, {}, '<html><body>Bad gateway</body></html>');
    expect(html).toBeInstanceOf(ApiError);
    expect(html).toMatchObject({ code: 'HTTP_502', message: 'HTTP 502: Bad gateway' });
  });
});
