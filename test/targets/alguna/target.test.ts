/** The Alguna target on scripted answers (undici MockAgent): body, Idempotency-Key, safe re-sends, look-up, errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { ApiError, AuthError, UnknownOutcomeError } from '../../../src/common/errors.js';
import { parseAlgunaError } from '../../../src/targets/alguna/errors.js';
import { idempotencyKey, invoicePayload } from '../../../src/targets/alguna/payload.js';
import { createAlgunaTarget } from '../../../src/targets/alguna/target.js';
import { findWithElsewhere } from '../../../src/engine/elsewhere.js';
import { mockApi } from '../helpers/mock-api.js';
import { algunaRows, invoicesFrom } from '../helpers/invoices.js';

const ORIGIN = 'https://api.alguna.test';
let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

function target(apiKey = 'sk_test_KEY') {
  const m = mockApi(ORIGIN);
  api = m;
  return createAlgunaTarget({ apiKey, baseUrl: ORIGIN, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
}
const header = (call: { headers?: unknown } | undefined, name: string): string | undefined => {
  const h = (call?.headers ?? {}) as Record<string, string | string[]>;
  const v = Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
};
const answer = (id = 'inv_1', description = 'Invoice DIG-1 from DIGILAB — March') => ({
  id,
  accountId: 'acc_city_library',
  status: 'issued',
  description,
  lineItems: [
    { id: 'li_1', description: 'Scanning (pages)', quantity: '2000.00', unitPrice: '0.50' },
    { id: 'li_2', description: 'Metadata records', quantity: '50.00', unitPrice: '5.00' },
  ],
  subtotal: '1250.00',
  tax: '0.00',
  total: '1250.00',
});

describe('Alguna target', () => {
  it('creates the invoice in one request: seeds/004 fields, RFC 3339 times, decimal strings, line items inline', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-1', { invoice_note: 'March', auto_issue: 'yes' }));
    api!.script({ method: 'POST', path: '/invoices', status: 201, body: answer() });
    const remote = await t.createInvoice(inv!);
    const call = api!.calls()[0];
    expect(JSON.parse(String(call?.body))).toEqual({
      accountId: 'acc_city_library',
      billingPeriodStart: '2025-03-01T00:00:00Z',
      billingPeriodEnd: '2025-03-31T23:59:59Z',
      description: 'Invoice DIG-1 from DIGILAB — March',
      lineItems: [
        { description: 'Scanning (pages)', quantity: '2000.00', unitPrice: '0.50', productId: 'prod_scanning' },
        { description: 'Metadata records', quantity: '50.00', unitPrice: '5.00' },
      ],
      issueDate: '2025-03-31T00:00:00Z',
      autoIssue: true,
    });
    expect(header(call, 'authorization')).toBe('Bearer sk_test_KEY');
    expect(header(call, 'alguna-version')).toBe('2026-04-01');
    expect(header(call, 'idempotency-key')).toBe(idempotencyKey(inv!));
    expect(remote).toMatchObject({ id: 'inv_1', number: 'DIG-1', vendor: 'DIGILAB', workflowStatus: 'issued', processed: true, totalAmount: '1250.00' });
    expect(remote.children).toEqual([
      { id: 'li_1', number: '1' },
      { id: 'li_2', number: '2' },
    ]);
    expect(remote.amounts).toEqual({ subtotal: '1250.00', tax: '0.00', total: '1250.00' });
    expect(t.childKeys(inv!)).toEqual([]);
  });

  it("writes the create in the generation the look-up's list answered in: after v2's {data}, v2's snake_case body", async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-1', { invoice_note: 'March', auto_issue: 'yes' }));
    api!.script(
      // As https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/list-invoices shows it.
      { method: 'GET', path: /^\/invoices\?/, body: { data: [], pagination: { per_page: 100, total_pages: 0 } } },
      { method: 'POST', path: '/invoices', status: 201, body: answer() },
    );
    expect(await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).toEqual([]);
    await t.createInvoice(inv!);
    const call = api!.calls()[1];
    const sent = JSON.parse(String(call?.body)) as Record<string, unknown>;
    expect(sent).toEqual({
      customer_id: 'acc_city_library',
      currency: 'USD',
      billing_period_start: '2025-03-01T00:00:00Z',
      billing_period_end: '2025-03-31T23:59:59Z',
      description: 'Invoice DIG-1 from DIGILAB — March',
      issue_date: '2025-03-31T00:00:00Z',
      line_items: [
        { description: 'Scanning (pages)', quantity: '2000.00', unit_price: '0.50', product_id: 'prod_scanning' },
        { description: 'Metadata records', quantity: '50.00', unit_price: '5.00' },
      ],
      status: 'issued',
    });
    expect(header(call, 'idempotency-key')).toBe(idempotencyKey(inv!, sent));
    expect(t.payloads(inv!).invoice).toEqual(sent);
  });

  it('the key is derived from target and content: the same invoice always gets the same key, a changed one another', () => {
    const [a] = invoicesFrom('alguna', algunaRows('DIG-1'));
    const [again] = invoicesFrom('alguna', algunaRows('DIG-1'), 'renamed.csv');
    const [changed] = invoicesFrom('alguna', algunaRows('DIG-1', { billing_period_start: '2025-03-02' }));
    expect(idempotencyKey(a!)).toMatch(/^il-alguna-[0-9a-f]{48}$/);
    expect(idempotencyKey(again!)).toBe(idempotencyKey(a!));
    expect(idempotencyKey(changed!)).not.toBe(idempotencyKey(a!));
    expect(idempotencyKey(a!, invoicePayload(a!))).toBe(idempotencyKey(a!));
  });

  it('once an answer echoed its key, a lost answer or a 5xx is re-sent with the same key and the same bytes (Alguna replays it, §2.7)', async () => {
    const t = target();
    const [first] = invoicesFrom('alguna', algunaRows('DIG-1'));
    const [inv] = invoicesFrom('alguna', algunaRows());
    api!.script(
      { method: 'POST', path: '/invoices', status: 201, body: answer('inv_0'), headers: { 'idempotency-key': idempotencyKey(first!) } },
      { method: 'POST', path: '/invoices', error: 'ECONNRESET' },
      { method: 'POST', path: '/invoices', status: 503, body: { status: 503, detail: 'unavailable' }, headers: { 'transient-error': 'true' } },
      { method: 'POST', path: '/invoices', status: 201, body: answer(), headers: { 'idempotent-replayed': 'true' } },
    );
    await expect(t.createInvoice(first!)).resolves.toMatchObject({ id: 'inv_0' });
    await expect(t.createInvoice(inv!)).resolves.toMatchObject({ id: 'inv_1' });
    const posts = api!.calls().slice(1);
    expect(posts).toHaveLength(3);
    expect(new Set(posts.map((c) => header(c, 'idempotency-key'))).size).toBe(1);
    expect(new Set(posts.map((c) => String(c.body))).size).toBe(1);
  });

  it('until an answer echoes its key (the legacy API documents none), a lost answer is an unknown outcome, not sent again blindly', async () => {
    const t = target();
    const [first] = invoicesFrom('alguna', algunaRows('DIG-1'));
    const [inv] = invoicesFrom('alguna', algunaRows());
    api!.script(
      { method: 'POST', path: '/invoices', status: 201, body: answer('inv_0') },
      { method: 'POST', path: '/invoices', error: 'ECONNRESET' },
    );
    await expect(t.createInvoice(first!)).resolves.toMatchObject({ id: 'inv_0' });
    await expect(t.createInvoice(inv!)).rejects.toBeInstanceOf(UnknownOutcomeError);
    expect(api!.calls()).toHaveLength(2);
  });

  it('a 5xx with Transient-Error: true did nothing: sent again at once with the same key and bytes, before any key was echoed; one without it stays unknown', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows());
    const [other] = invoicesFrom('alguna', algunaRows('DIG-1'));
    api!.script(
      { method: 'POST', path: '/invoices', status: 503, body: { status: 503, detail: 'unavailable' }, headers: { 'transient-error': 'true' } },
      { method: 'POST', path: '/invoices', status: 500, body: { status: 500, detail: 'Internal server error' }, headers: { 'Transient-Error': 'True' } },
      { method: 'POST', path: '/invoices', status: 201, body: answer() },
      // No key echoed yet: a 5xx that does not say it did nothing is looked for, never re-sent blindly.
      { method: 'POST', path: '/invoices', status: 500, body: { status: 500, detail: 'Internal server error' } },
    );
    await expect(t.createInvoice(inv!)).resolves.toMatchObject({ id: 'inv_1' });
    const posts = api!.calls();
    expect(posts.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /invoices', 'POST /invoices', 'POST /invoices']);
    expect(new Set(posts.map((c) => header(c, 'idempotency-key'))).size).toBe(1);
    expect(new Set(posts.map((c) => String(c.body))).size).toBe(1);
    await expect(t.createInvoice(other!)).rejects.toBeInstanceOf(UnknownOutcomeError);
    expect(api!.calls()).toHaveLength(4);
  });

  it('409 (the key still being processed) is an unknown outcome: the engine looks up, then sends it again', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows());
    api!.script({ method: 'POST', path: '/invoices', status: 409, body: { status: 409, detail: 'A request with this Idempotency-Key is currently being processed' } });
    const err = await t.createInvoice(inv!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 409, code: 'idempotency_in_progress' });
  });

  it('a key reused with another body (422) and validation errors are definite refusals with Alguna\'s detail', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows());
    api!.script({ method: 'POST', path: '/invoices', status: 422, body: { status: 422, detail: 'Idempotency-Key already used with different parameters' } });
    const err = await t.createInvoice(inv!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ httpStatus: 422, code: 'validation_failed', message: 'Idempotency-Key already used with different parameters' });
  });

  it('a refusal replayed from the key\'s cache (Idempotent-Replayed) is an earlier request\'s: sent once more under a key of its own', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows());
    const refusal = { status: 422, detail: 'account acc_city_library not found' };
    api!.script(
      { method: 'POST', path: '/invoices', status: 422, body: refusal, headers: { 'idempotent-replayed': 'true' } },
      { method: 'POST', path: '/invoices', status: 201, body: answer('inv_9') },
    );
    await expect(t.createInvoice(inv!)).resolves.toMatchObject({ id: 'inv_9' });
    const [first = '', second = ''] = api!.calls().map((c) => header(c, 'idempotency-key') ?? '');
    expect(first).toBe(idempotencyKey(inv!));
    expect(second).not.toBe(first);
    expect(second.startsWith(`${first}-`)).toBe(true);
    expect(second.length).toBeLessThanOrEqual(255);
    // this request's own refusal (not replayed) is the verdict: one request, the refusal as it came
    const u = target();
    api!.script({ method: 'POST', path: '/invoices', status: 422, body: refusal });
    await expect(u.createInvoice(inv!)).rejects.toMatchObject({ httpStatus: 422, message: 'account acc_city_library not found', replayed: false });
    expect(api!.calls()).toHaveLength(1);
  });

  it('looks up by listing the account\'s invoices page by page and matching the identity that starts the description', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const filler = Array.from({ length: 100 }, (_, i) => ({ ...answer(`inv_f${i}`, `Invoice OTHER-${i} from DIGILAB`) }));
    api!.script(
      { method: 'GET', path: /accountId=acc_city_library.*page=1(&|$)/, body: { items: filler } },
      {
        method: 'GET',
        path: /accountId=acc_city_library.*page=2(&|$)/,
        body: { items: [answer('inv_x', 'Invoice DIG-70 from DIGILAB'), answer('inv_7', 'Invoice DIG-7 from DIGILAB — March'), { ...answer('inv_z', 'Invoice DIG-7 from DIGILAB'), accountId: 'acc_other' }] },
      },
      // No total_pages: a short page may be a server's cap, so only an empty page ends the list.
      { method: 'GET', path: /accountId=acc_city_library.*page=3(&|$)/, body: { items: [] } },
    );
    const found = await t.findInvoices(inv!.key, { fresh: false, invoice: inv });
    expect(found.map((r) => r.id)).toEqual(['inv_7']);
    expect(found[0]).toMatchObject({ number: 'DIG-7', vendor: 'DIGILAB', processed: true });
  });

  it('a void or canceled invoice is not the invoice any more: left out, and the create after it carries a key of its own, the same in every run', async () => {
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const listing = {
      data: [
        { ...answer('inv_v', 'Invoice DIG-7 from DIGILAB — March'), status: 'void' },
        { ...answer('inv_c', 'Invoice DIG-7 from DIGILAB — March'), status: 'canceled' },
      ],
      pagination: { per_page: 100, total_pages: 1 },
    };
    const keys: string[] = [];
    for (let run = 0; run < 2; run++) {
      const t = target();
      api!.script({ method: 'GET', path: /^\/invoices\?/, body: listing }, { method: 'POST', path: '/invoices', status: 201, body: answer('inv_new') });
      expect(await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).toEqual([]);
      await expect(t.createInvoice(inv!)).resolves.toMatchObject({ id: 'inv_new' });
      keys.push(header(api!.calls()[1], 'idempotency-key') ?? '');
      await api!.agent.close();
    }
    // Not the key of the create that made the voided invoice: Alguna would replay its answer for 24 h.
    const sent = invoicePayload(inv!, 'v2');
    expect(keys[0]).not.toBe(idempotencyKey(inv!, sent));
    expect(keys[0]!.startsWith(`${idempotencyKey(inv!, sent)}-w`)).toBe(true);
    expect(keys[1]).toBe(keys[0]);
    // A paid one is still the invoice: found, and nothing is created.
    const t = target();
    api!.script({ method: 'GET', path: /^\/invoices\?/, body: { ...listing, data: [{ ...answer('inv_p', 'Invoice DIG-7 from DIGILAB — March'), status: 'paid' }] } });
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['inv_p']);
  });

  it('an invoice another journal recorded is read by id and known by its description: adopted, not created again; one voided since is left out', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    api!.script(
      // The list does not show it yet (a lagging index), nor the one voided since.
      { method: 'GET', path: /^\/invoices\?/, body: { data: [], pagination: { per_page: 100, total_pages: 0 } } },
      { method: 'GET', path: '/invoices/inv_7', body: answer('inv_7', 'Invoice DIG-7 from DIGILAB — March') },
      { method: 'GET', path: '/invoices/inv_v', body: { ...answer('inv_v', 'Invoice DIG-7 from DIGILAB — March'), status: 'void' } },
      { method: 'GET', path: '/invoices/inv_o', body: answer('inv_o', 'Invoice DIG-70 from DIGILAB') },
    );
    const none = { lines: new Map<string, string>(), linesPending: new Map<string, number>() };
    const recorded = { ids: new Map([['inv_7', none], ['inv_v', none], ['inv_o', none]]) };
    const found = await findWithElsewhere(t, inv!, recorded);
    expect(found.map((r) => r.id)).toEqual(['inv_7']);
    expect(found[0]).toMatchObject({ number: 'DIG-7', vendor: 'DIGILAB', processed: true });
    expect(found[0]!.children).toEqual([{ id: 'li_1', number: '1' }, { id: 'li_2', number: '2' }]);
  });

  it('an invoice another journal recorded on another account (a file loaded with the wrong account_id, then corrected) is not adopted, whichever spelling names the account', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const wrong = answer('inv_w', 'Invoice DIG-7 from DIGILAB — March');
    api!.script(
      { method: 'GET', path: /^\/invoices\?/, body: { data: [], pagination: { per_page: 100, total_pages: 0 } } },
      { method: 'GET', path: '/invoices/inv_w', body: { ...wrong, accountId: 'acc_wrong' } },
      { method: 'GET', path: '/invoices/inv_s', body: { ...wrong, id: 'inv_s', accountId: undefined, customer_id: 'acc_wrong' } },
    );
    const none = { lines: new Map<string, string>(), linesPending: new Map<string, number>() };
    const found = await findWithElsewhere(t, inv!, { ids: new Map([['inv_w', none], ['inv_s', none]]) });
    expect(found).toEqual([]);
  });

  it('an invoice another journal recorded whose answer names no account is neither adopted nor left out to be created again: the look-up fails, naming it', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const { accountId: _, ...accountless } = answer('inv_n', 'Invoice DIG-7 from DIGILAB — March');
    // Read first, and left out as before without a failure: a void one and another invoice, neither naming an account.
    const { accountId: _v, ...voided } = { ...answer('inv_v', 'Invoice DIG-7 from DIGILAB — March'), status: 'void' };
    const { accountId: _o, ...other } = answer('inv_o', 'Invoice DIG-70 from DIGILAB');
    api!.script(
      { method: 'GET', path: /^\/invoices\?/, body: { data: [], pagination: { per_page: 100, total_pages: 0 } } },
      { method: 'GET', path: '/invoices/inv_v', body: voided },
      { method: 'GET', path: '/invoices/inv_o', body: other },
      { method: 'GET', path: '/invoices/inv_n', body: accountless },
    );
    const none = { lines: new Map<string, string>(), linesPending: new Map<string, number>() };
    const err = await findWithElsewhere(t, inv!, { ids: new Map([['inv_v', none], ['inv_o', none], ['inv_n', none]]) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE' });
    expect((err as ApiError).message).toMatch(
      /^Alguna's answer to GET \/invoices\/inv_n names no account \(accountId, account_id or customer_id\), so invoice-load cannot tell whether that invoice, which an earlier run of this file recorded as DIG-7 of vendor DIGILAB, is on account acc_city_library: it was not taken as this invoice and no other was created — check invoice inv_n in Alguna/,
    );
  });

  it('pages a v2 list by offset (data, pagination.total_pages), sending both generations\' names', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const filler = Array.from({ length: 100 }, (_, i) => ({ ...answer(`inv_f${i}`, `Invoice OTHER-${i} from DIGILAB`) }));
    api!.script(
      { method: 'GET', path: /customer_id=acc_city_library&limit=100&offset=0&/, body: { data: filler, pagination: { per_page: 100, total_pages: 2 } } },
      { method: 'GET', path: /customer_id=acc_city_library&limit=100&offset=100&/, body: { data: [...filler.slice(0, 99).map((f, i) => ({ ...f, id: `inv_g${i}` })), answer('inv_7', 'Invoice DIG-7 from DIGILAB')], pagination: { per_page: 100, total_pages: 2 } } },
    );
    const found = await t.findInvoices(inv!.key, { fresh: false, invoice: inv });
    expect(found.map((r) => r.id)).toEqual(['inv_7']);
    // Two full pages and total_pages 2: no third request.
    api!.agent.assertNoPendingInterceptors();
  });

  it('a server that holds pages below the limit asked: every page total_pages counts is read, each per_page on', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const page = (n: number) => Array.from({ length: 20 }, (_, i) => answer(`inv_p${n}_${i}`, `Invoice OTHER-${n}-${i} from DIGILAB`));
    api!.script(
      { method: 'GET', path: /limit=100&offset=0&page=1$/, body: { data: page(1), pagination: { per_page: 20, total_pages: 3 } } },
      { method: 'GET', path: /limit=100&offset=20&page=2$/, body: { data: page(2), pagination: { per_page: 20, total_pages: 3 } } },
      { method: 'GET', path: /limit=100&offset=40&page=3$/, body: { data: [answer('inv_7', 'Invoice DIG-7 from DIGILAB')], pagination: { per_page: 20, total_pages: 3 } } },
    );
    // The oldest invoice is on the last page: stopping at the first short page hid it, and the
    // look-up's miss created it a second time once the idempotency key had expired (24 h).
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['inv_7']);
    expect(api!.calls()).toHaveLength(3);
  });

  it('without total_pages, a short page is read past until an empty one (legacy {items}, a server holding 25 a page)', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const page = Array.from({ length: 25 }, (_, i) => answer(`inv_f${i}`, `Invoice OTHER-${i} from DIGILAB`));
    api!.script(
      { method: 'GET', path: /offset=0&page=1$/, body: { items: page } },
      { method: 'GET', path: /offset=25&page=2$/, body: { items: [answer('inv_7', 'Invoice DIG-7 from DIGILAB')] } },
      { method: 'GET', path: /offset=26&page=3$/, body: { items: [] } },
    );
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['inv_7']);
    api!.agent.assertNoPendingInterceptors();
  });

  it('a v2 list of one page (total_pages 1) is read in one request, as before', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    api!.script({ method: 'GET', path: /offset=0&page=1$/, body: { data: [answer('inv_7', 'Invoice DIG-7 from DIGILAB')], pagination: { per_page: 100, total_pages: 1 } } });
    expect((await t.findInvoices(inv!.key, { fresh: false, invoice: inv })).map((r) => r.id)).toEqual(['inv_7']);
    expect(api!.calls()).toHaveLength(1);
  });

  it('a list that answers every page with the first fails the look-up instead of reading forever', async () => {
    const t = target();
    const [inv] = invoicesFrom('alguna', algunaRows('DIG-7'));
    const filler = Array.from({ length: 100 }, (_, i) => ({ ...answer(`inv_f${i}`, `Invoice OTHER-${i} from DIGILAB`) }));
    api!.script({ method: 'GET', path: /page=1$/, body: { data: filler } }, { method: 'GET', path: /page=2$/, body: { data: filler } });
    await expect(t.findInvoices(inv!.key, { fresh: false, invoice: inv })).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('does not page by page or offset') });
  });

  it('a refused key stops the run, and the key appears nowhere', async () => {
    const t = target('sk_live_SECRET123');
    const [inv] = invoicesFrom('alguna', algunaRows());
    api!.script({ method: 'POST', path: '/invoices', status: 401, body: { status: 401, detail: 'Unauthorized: sk_live_SECRET123' } });
    const err = await t.createInvoice(inv!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).not.toContain('sk_live_SECRET123');
  });

  it('parses {status, detail}, and text bodies', () => {
    expect(parseAlgunaError(404, {}, '{"status":404,"detail":"account acc_x not found"}')).toMatchObject({ code: 'not_found', message: 'account acc_x not found' });
    expect(parseAlgunaError(502, {}, 'upstream error')).toMatchObject({ code: 'bad_gateway', message: 'HTTP 502: upstream error' });
  });
});
