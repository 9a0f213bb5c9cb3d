/**
 * The FOLIO client and target on scripted answers (undici MockAgent): login with expiry and its
 * cookies, one login for many waiting requests, refresh before expiry, a new login after a 401,
 * refused credentials, FOLIO's error bodies, and the approval's read → PUT → 409 → re-read loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { ApiError, AuthError, IdNotKeptError } from '../../../src/common/errors.js';
import { FolioClient } from '../../../src/targets/folio/client.js';
import { parseFolioError } from '../../../src/targets/folio/errors.js';
import { cqlAnyOf, cqlString, invoiceIdOf, isOwnInvoiceId, lineIdOf, ownInvoiceIds, OwnInvoiceIds, UUID_PATTERN, uuidV5 } from '../../../src/targets/folio/ids.js';
import { createFolioTarget } from '../../../src/targets/folio/target.js';
import { FolioRefs } from '../../../src/targets/folio/refs.js';
import { mockApi } from '../helpers/mock-api.js';
import { CREDENTIALS, folioInvoices, sampleRows } from './helpers.js';

const ORIGIN = 'https://folio-okapi.test';
let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

const header = (call: { headers?: unknown } | undefined, name: string): string | undefined => {
  const h = (call?.headers ?? {}) as Record<string, string | string[]>;
  const v = Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
};

/** A login answer as mod-login's RAML shows it: the tokens in cookies, the expirations in the body. */
const loginAnswer = (access: string, refresh: string, expiresAt: number) => ({
  method: 'POST',
  path: /^\/authn\/(login-with-expiry|refresh)$/,
  status: 201,
  body: { accessTokenExpiration: new Date(expiresAt).toISOString(), refreshTokenExpiration: new Date(expiresAt + 604_800_000).toISOString() },
  headers: {
    'set-cookie': [`folioAccessToken=${access}; Max-Age=600; Path=/; Secure; HTTPOnly`, `folioRefreshToken=${refresh}; Max-Age=604800; Path=/authn; Secure; HTTPOnly`],
  } as unknown as Record<string, string>,
});

function client(now: () => number = Date.now) {
  const m = mockApi(ORIGIN);
  api = m;
  return new FolioClient({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0, now });
}

describe('FOLIO ids and CQL', () => {
  it('UUID v5 matches RFC 9562 test vector and fits the acq-models UUID pattern', () => {
    // RFC 9562 Appendix A.4: name "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(UUID_PATTERN.test(uuidV5('anything'))).toBe(true);
  });

  it('CQL strings are quoted with \\ " * ? ^ escaped; many codes go in one any-of, standard CQL: a parenthesised or of whole clauses', () => {
    expect(cqlString('A"B*C?D^E\\F')).toBe('"A\\"B\\*C\\?D\\^E\\\\F"');
    expect(cqlAnyOf('code', ['GOBI'])).toBe('code=="GOBI"');
    expect(cqlAnyOf('code', ['GOBI', 'HARRAS'])).toBe('(code=="GOBI" or code=="HARRAS")');
    expect(cqlAnyOf('code', ['A*', 'B"'])).toBe('(code=="A\\*" or code=="B\\"")');
  });

  it("an invoice's own ids are derived once per target (OwnInvoiceIds), with the answers of ownInvoiceIds and isOwnInvoiceId", () => {
    const own = new OwnInvoiceIds(2);
    const a = { vendor: 'GOBI', number: 'G-1' };
    const b = { vendor: 'GOBI', number: 'G-2' };
    const chain = own.of('diku', a);
    expect(chain).toEqual(ownInvoiceIds('diku', a));
    // The same chain, not derived again.
    expect(own.of('diku', a)).toBe(chain);
    // Another tenant is another chain.
    expect(own.of('other', a)).not.toEqual(chain);
    for (const id of [chain[0]!, chain[20]!.toUpperCase(), ownInvoiceIds('diku', b)[0]!, invoiceIdOf('other', a), uuidV5('x')]) {
      expect(own.isOwn('diku', a, id), id).toBe(isOwnInvoiceId('diku', a, id));
    }
    expect(own.isOwn('diku', a, chain[20]!.toUpperCase())).toBe(true);
    // Bounded: the one asked least recently goes first; the recent ones stay.
    const small = new OwnInvoiceIds(2);
    const x = small.of('t', a);
    const y = small.of('t', b);
    small.of('t', a);
    small.of('u', a); // b, asked least recently, goes
    expect(small.of('t', a)).toBe(x);
    const again = small.of('t', b);
    expect(again).not.toBe(y);
    expect(again).toEqual(y);
  });
});

describe('FOLIO client', () => {
  it('logs in with expiry and sends the access cookie as X-Okapi-Token, with the tenant on every call', async () => {
    const c = client();
    api!.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000), { method: 'GET', path: /^\/finance\/funds/, body: { funds: [], totalRecords: 0 } });
    await c.json({ method: 'GET', path: '/finance/funds', query: { query: 'code=="HIST"' } });
    const [login, call] = api!.calls();
    expect(new URL(login!.fullUrl).pathname).toBe('/authn/login-with-expiry');
    expect(JSON.parse(String(login!.body))).toEqual({ username: 'diku_admin', password: 'Pass-w0rd!secret' });
    expect(header(login, 'x-okapi-tenant')).toBe('diku');
    expect(header(call, 'x-okapi-token')).toBe('at-1');
    expect(header(call, 'x-okapi-tenant')).toBe('diku');
  });

  it('one login however many requests wait for it', async () => {
    const c = client();
    api!.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000));
    for (let i = 0; i < 6; i++) api!.script({ method: 'GET', path: /^\/finance\/funds/, body: { funds: [] } });
    await Promise.all(Array.from({ length: 6 }, () => c.json({ method: 'GET', path: '/finance/funds' })));
    expect(c.logins).toBe(1);
    expect(api!.log().filter((l) => l.startsWith('POST /authn'))).toHaveLength(1);
  });

  it('refreshes with the refresh cookie shortly before the access token expires', async () => {
    let t = 1_000_000;
    const c = client(() => t);
    api!.script(loginAnswer('at-1', 'rt-1', t + 600_000), { method: 'GET', path: /funds/, body: {} });
    await c.json({ method: 'GET', path: '/finance/funds' });
    t += 590_000; // 10 s left: inside the renewal margin
    api!.script(loginAnswer('at-2', 'rt-2', t + 600_000), { method: 'GET', path: /funds/, body: {} });
    await c.json({ method: 'GET', path: '/finance/funds' });
    const calls = api!.calls();
    expect(new URL(calls[2]!.fullUrl).pathname).toBe('/authn/refresh');
    expect(header(calls[2], 'cookie')).toBe('folioRefreshToken=rt-1');
    expect(header(calls[3], 'x-okapi-token')).toBe('at-2');
    expect([c.logins, c.refreshes]).toEqual([1, 1]);
  });

  it('a 401 (token expired early) drops the token, logs in again and sends the call once more', async () => {
    const c = client();
    api!.script(
      loginAnswer('at-1', 'rt-1', Date.now() + 600_000),
      { method: 'GET', path: /funds/, status: 401, body: 'Invalid token' },
      { method: 'POST', path: '/authn/refresh', status: 422, body: { errors: [{ message: 'expired', code: 'x' }] } },
      loginAnswer('at-2', 'rt-2', Date.now() + 600_000),
      { method: 'GET', path: /funds/, body: { funds: [] } },
    );
    expect(await c.json({ method: 'GET', path: '/finance/funds' })).toEqual({ funds: [] });
    expect(header(api!.calls()[4], 'x-okapi-token')).toBe('at-2');
    expect(c.logins).toBe(2);
  });

  it('a FOLIO without the expiring login (404) is logged in with the older /authn/login and its x-okapi-token header', async () => {
    const c = client();
    api!.script(
      { method: 'POST', path: '/authn/login-with-expiry', status: 404, body: 'No suitable module found for path /authn/login-with-expiry', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', path: '/authn/login', status: 201, body: { username: 'diku_admin' }, headers: { 'x-okapi-token': 'legacy-1' } },
      { method: 'GET', path: /funds/, body: { funds: [] } },
    );
    await c.json({ method: 'GET', path: '/finance/funds' });
    const calls = api!.calls();
    expect(calls.map((x) => new URL(x.fullUrl).pathname)).toEqual(['/authn/login-with-expiry', '/authn/login', '/finance/funds']);
    expect(header(calls[2], 'x-okapi-token')).toBe('legacy-1');
    // refused there too: refused credentials, as before
    const d = client();
    api!.script(
      { method: 'POST', path: '/authn/login-with-expiry', status: 404, body: 'No suitable module found', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', path: '/authn/login', status: 422, body: { errors: [{ message: 'Password does not match', code: 'password.incorrect' }] } },
    );
    await expect(d.json({ method: 'GET', path: '/finance/funds' })).rejects.toBeInstanceOf(AuthError);
  });

  it('refused credentials stop the run (AuthError, exit 5) with FOLIO\'s words and never the password', async () => {
    const c = client();
    api!.script({ method: 'POST', path: '/authn/login-with-expiry', status: 422, body: { errors: [{ message: 'Password does not match', code: 'password.incorrect' }] } });
    const err = await c.json({ method: 'GET', path: '/finance/funds' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/refused the login of diku_admin on tenant diku: Password does not match/);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('Pass-w0rd');
  });

  it('credentials refused after a gateway 502 are still refused credentials (AuthError, exit 5): the earlier attempt changes nothing the 422 says', async () => {
    const c = client();
    api!.script(
      { method: 'POST', path: '/authn/login-with-expiry', status: 502, body: 'Bad Gateway' },
      { method: 'POST', path: '/authn/login-with-expiry', status: 422, body: { errors: [{ message: 'Password does not match', code: 'password.incorrect' }] } },
    );
    const err = await c.json({ method: 'GET', path: '/finance/funds' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/refused the login of diku_admin on tenant diku: Password does not match/);
  });
});

describe('FOLIO error bodies', () => {
  it('keeps the code and message, with the parameters FOLIO compared', () => {
    const e = parseFolioError(400, {}, JSON.stringify({ errors: [{ message: 'Lock total and calculated total mismatch', code: 'lockCalculatedTotalsMismatch', parameters: [{ key: 'lockTotal', value: '64.5' }, { key: 'total', value: '60.0' }] }], total_records: 1 }));
    expect(e).toMatchObject({ httpStatus: 400, code: 'lockCalculatedTotalsMismatch', message: 'Lock total and calculated total mismatch (lockTotal=64.5, total=60.0)' });
  });

  it('reads the gateway\'s text/plain answers', () => {
    expect(parseFolioError(401, {}, 'Invalid token')).toMatchObject({ code: 'unauthorized', message: 'Invalid token' });
    expect(parseFolioError(400, {}, 'Missing Tenant')).toMatchObject({ code: 'badRequest', message: 'Missing Tenant' });
  });
});

describe('FOLIO approval on scripted answers', () => {
  // The sample's first invoice, under the id the loader gives it (ids.ts): approval goes only to that one.
  const inv = folioInvoices(sampleRows())[0]!;
  const ID = invoiceIdOf(CREDENTIALS.tenant, inv.key);
  const record = (version: number, status = 'Open') => ({ id: ID, vendorInvoiceNo: inv.key.number, status, lockTotal: 10.5, total: 10.5, _version: version });

  it('reads, PUTs the whole record as Approved; a 409 (the _version moved on) reads again and retries', async () => {
    const m = mockApi(ORIGIN);
    api = m;
    const t = createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    const path = `/invoice/invoices/${ID}`;
    m.script(
      loginAnswer('at-1', 'rt-1', Date.now() + 600_000),
      { method: 'GET', path, body: record(3) },
      { method: 'PUT', path, status: 409, body: { errors: [{ message: 'Cannot update record: Stored _version is 4, _version of request is 3', code: 'conflict' }] } },
      { method: 'GET', path, body: record(4) },
      { method: 'PUT', path, status: 204, body: '' },
      { method: 'GET', path, body: record(5, 'Approved') },
    );
    const r = await t.finalize!(ID, inv);
    expect(r).toMatchObject({ processed: true, workflowStatus: 'Approved' });
    const puts = m.calls().filter((c) => c.method === 'PUT');
    expect(puts.map((c) => JSON.parse(String(c.body)) as { _version: number; status: string })).toMatchObject([
      { _version: 3, status: 'Approved', lockTotal: 10.5 },
      { _version: 4, status: 'Approved' },
    ]);
  });

  it('lines and the approval go to the invoice with the loader\'s own id only: another id is refused before any request', async () => {
    const m = mockApi(ORIGIN);
    api = m;
    const t = createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    // An id a journal may hold from a run that adopted an invoice keyed in by hand.
    const theirs = '00000000-0000-4000-8000-000000000001';
    await expect(t.addChild(theirs, '1', inv)).rejects.toMatchObject({ code: 'EXISTS_NOT_OURS', message: expect.stringMatching(/is not one invoice-load created; it was left as it is/) });
    await expect(t.finalize!(theirs, inv)).rejects.toMatchObject({ code: 'EXISTS_NOT_OURS' });
    expect(m.calls()).toEqual([]);
  });

  it('an invoice already approved is never approved again', async () => {
    const m = mockApi(ORIGIN);
    api = m;
    const t = createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    m.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000), { method: 'GET', path: /invoices/, body: record(2, 'Approved') });
    expect(await t.finalize!(ID, inv)).toMatchObject({ processed: true });
    expect(m.log().filter((l) => l.startsWith('PUT'))).toEqual([]);
  });

  it('an approval FOLIO refuses is an ApiError with its code and parameters', async () => {
    const m = mockApi(ORIGIN);
    api = m;
    const t = createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    m.script(
      loginAnswer('at-1', 'rt-1', Date.now() + 600_000),
      { method: 'GET', path: /invoices/, body: record(1) },
      { method: 'PUT', path: /invoices/, status: 422, body: { errors: [{ message: 'Fund distribution total must add to 100% or totalPrice', code: 'incorrectFundDistributionTotal', parameters: [{ key: 'invoiceLineId', value: 'x' }] }] } },
    );
    const err = await t.finalize!(ID, inv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ httpStatus: 422, code: 'incorrectFundDistributionTotal', message: 'Fund distribution total must add to 100% or totalPrice (invoiceLineId=x)' });
  });
});

describe('FOLIO creates: the id sent must be the id kept', () => {
  const row = (number: string) => ({ invoice_number: number, invoice_date: '2026-11-02', vendor: 'GOBI', total_amount: '10.00', currency: 'USD', payment_method: 'EFT', line_number: '1', price: '10.00', quantity: '1', fund_code: 'GENRL', fund_percent: '100' });
  const [g1, g2] = folioInvoices([row('G-1'), row('G-2')]);
  const OTHER = '0f0f0f0f-0000-4000-8000-000000000001';
  const refs = [
    { method: 'GET', path: /^\/organizations\/organizations\?/, body: { organizations: [{ id: '3c2b6a41-6c1f-4d7e-9f0a-1b2c3d4e5f01', code: 'GOBI', status: 'Active', isVendor: true }], totalRecords: 1 } },
    { method: 'GET', path: /^\/finance\/funds\?/, body: { funds: [{ id: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d404', code: 'GENRL', fundStatus: 'Active' }], totalRecords: 1 } },
  ];
  const target = () => {
    const m = mockApi(ORIGIN);
    api = m;
    m.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000), ...refs);
    return { m, t: createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 }) };
  };

  it('a 201 with an empty body is the invoice, or the line, under the id sent', async () => {
    const { m, t } = target();
    const id = invoiceIdOf(CREDENTIALS.tenant, g1!.key);
    m.script({ method: 'POST', path: '/invoice/invoices', status: 201, body: '' }, { method: 'POST', path: '/invoice/invoice-lines', status: 201, body: '' });
    expect(await t.createInvoice(g1!)).toMatchObject({ id, number: 'G-1', vendor: 'GOBI', processed: false });
    expect(await t.addChild(id, '1', g1!)).toEqual({ id: lineIdOf(id, '1'), number: '1' });
  });

  it('an answer with another invoice id stops everything: IdNotKeptError, and a create waiting for it is never sent', async () => {
    const { m, t } = target();
    m.script({ method: 'POST', path: '/invoice/invoices', status: 201, body: { id: OTHER, vendorInvoiceNo: 'G-1', status: 'Open' } }, { method: 'POST', path: '/invoice/invoices', status: 201, body: '' });
    const [first, second] = await Promise.allSettled([t.createInvoice(g1!), t.createInvoice(g2!)]);
    expect(first.status === 'rejected' && first.reason).toBeInstanceOf(IdNotKeptError);
    expect(first.status === 'rejected' && first.reason).toMatchObject({
      code: 'ID_NOT_KEPT',
      key: g1!.key,
      held: OTHER,
      message: expect.stringMatching(
        new RegExp(`^FOLIO did not keep the id invoice-load gave invoice G-1 of vendor GOBI: it sent ${invoiceIdOf(CREDENTIALS.tenant, g1!.key)}, FOLIO answered ${OTHER}\\. .*nothing more will be sent\\. The invoice was made in FOLIO as ${OTHER}, without lines, and left as it is: delete it there`),
      ),
    });
    // The second waited for the first, then met the same stop without a request.
    expect(second.status === 'rejected' && second.reason).toBe(first.status === 'rejected' && first.reason);
    expect(m.log().filter((l) => l.startsWith('POST /invoice'))).toEqual(['POST /invoice/invoices']);
  });

  it('creates wait for the first until FOLIO shows it kept the id (in any case of its hex digits); then they go at once', async () => {
    const { m, t } = target();
    const id1 = invoiceIdOf(CREDENTIALS.tenant, g1!.key);
    const id2 = invoiceIdOf(CREDENTIALS.tenant, g2!.key);
    m.script({ method: 'POST', path: '/invoice/invoices', status: 201, body: { id: id1.toUpperCase(), vendorInvoiceNo: 'G-1', status: 'Open' } }, { method: 'POST', path: '/invoice/invoices', status: 201, body: { id: id2, vendorInvoiceNo: 'G-2', status: 'Open' } });
    const out = await Promise.all([t.createInvoice(g1!), t.createInvoice(g2!)]);
    expect(out.map((r) => r.id)).toEqual([id1.toUpperCase(), id2]);
  });

  it('a line answered with another id stops everything too, naming the line', async () => {
    const { m, t } = target();
    const id = invoiceIdOf(CREDENTIALS.tenant, g1!.key);
    m.script({ method: 'POST', path: '/invoice/invoice-lines', status: 201, body: { id: OTHER, invoiceId: id } });
    const err = await t.addChild(id, '1', g1!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdNotKeptError);
    expect(err).toMatchObject({ code: 'ID_NOT_KEPT', line: '1', held: OTHER, message: expect.stringMatching(/^FOLIO did not keep the id invoice-load gave line 1 of invoice G-1 of vendor GOBI: .* The line was made in FOLIO as /) });
    await expect(t.addChild(id, '1', g1!)).rejects.toBe(err);
  });
});

describe('FOLIO listings read on to totalRecords', () => {
  const row = (line: string) => ({ invoice_number: 'L-1', invoice_date: '2026-11-02', vendor: 'GOBI', total_amount: '30.00', currency: 'USD', payment_method: 'EFT', line_number: line, price: '10.00', quantity: '1', fund_code: 'GENRL', fund_percent: '100' });
  const [inv] = folioInvoices([row('1'), row('2'), row('3')]);
  const id = invoiceIdOf(CREDENTIALS.tenant, inv!.key);
  const line = (n: string) => ({ id: lineIdOf(id, n), invoiceId: id });
  const target = () => {
    const m = mockApi(ORIGIN);
    api = m;
    m.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000));
    return { m, t: createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 }) };
  };

  it('a page shorter than the limit is not the end while totalRecords says more', async () => {
    const { m, t } = target();
    m.script(
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=0/, body: { invoiceLines: [line('1'), line('2')], totalRecords: 3 } },
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=2/, body: { invoiceLines: [line('3')], totalRecords: 3 } },
    );
    expect((await t.listChildren(id, inv!)).map((l) => l.number)).toEqual(['1', '2', '3']);
    expect(m.log().filter((l) => l.startsWith('GET /invoice'))).toHaveLength(2);
  });

  it('an empty page ends the listing early; a page that repeats the one before fails it (no paging by offset)', async () => {
    const first = target();
    first.m.script(
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=0/, body: { invoiceLines: [line('1')], totalRecords: 5 } },
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=1/, body: { invoiceLines: [], totalRecords: 5 } },
    );
    expect((await first.t.listChildren(id, inv!)).map((l) => l.number)).toEqual(['1']);
    await first.m.agent.close();
    const second = target();
    second.m.script(
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=0/, body: { invoiceLines: [line('1')], totalRecords: 3 } },
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=1/, body: { invoiceLines: [line('1')], totalRecords: 3 } },
    );
    await expect(second.t.listChildren(id, inv!)).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringMatching(/does not page by offset/) });
    expect(second.m.log().filter((l) => l.startsWith('GET /invoice'))).toHaveLength(2);
  });
  it('every page of a look-up asks for one order, sortBy id: pages by offset of an unordered result may skip a record', async () => {
    const { m, t } = target();
    const GOBI = '3c2b6a41-6c1f-4d7e-9f0a-1b2c3d4e5f01';
    const found = (n: number) => ({ id: `0f0f0f0f-0000-4000-8000-00000000000${n}`, vendorId: GOBI, vendorInvoiceNo: 'L-1', status: 'Open' });
    m.script(
      { method: 'GET', path: /^\/organizations\/organizations\?/, body: { organizations: [{ id: GOBI, code: 'GOBI', status: 'Active', isVendor: true }], totalRecords: 1 } },
      { method: 'GET', path: /^\/invoice\/invoices\?.*offset=0/, body: { invoices: [found(1)], totalRecords: 2 } },
      { method: 'GET', path: /^\/invoice\/invoices\?.*offset=1/, body: { invoices: [found(2)], totalRecords: 2 } },
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=0/, body: { invoiceLines: [line('1'), line('2')], totalRecords: 3 } },
      { method: 'GET', path: /^\/invoice\/invoice-lines\?.*offset=2/, body: { invoiceLines: [line('3')], totalRecords: 3 } },
    );
    expect(await t.findInvoices(inv!.key, { fresh: true })).toHaveLength(2);
    expect(await t.listChildren(id, inv!)).toHaveLength(3);
    const queries = m
      .calls()
      .map((c) => new URL(c.fullUrl))
      .filter((u) => u.pathname.startsWith('/invoice/'))
      .map((u) => [u.pathname, u.searchParams.get('offset'), u.searchParams.get('query')]);
    expect(queries).toEqual([
      ['/invoice/invoices', '0', `vendorId=="${GOBI}" and vendorInvoiceNo=="L-1" sortBy id`],
      ['/invoice/invoices', '1', `vendorId=="${GOBI}" and vendorInvoiceNo=="L-1" sortBy id`],
      ['/invoice/invoice-lines', '0', `invoiceId=="${id}" sortBy id`],
      ['/invoice/invoice-lines', '2', `invoiceId=="${id}" sortBy id`],
    ]);
  });
});

describe('FOLIO: a 403 of the acquisitions units is one record\'s refusal, any other 403 refused credentials', () => {
  const ID = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';
  const acq = (code: string) => ({ errors: [{ message: 'User does not have permissions - operation is restricted', code, parameters: [] }], total_records: 1 });
  // [case, a call answered before it, method, path, body of the 403, refusal of the record?]
  const CASES: [string, boolean, 'GET' | 'PUT' | 'POST', string, unknown, boolean][] = [
    ['an approval (PUT) refused userHasNoPermission, after calls were answered', true, 'PUT', `/invoice/invoices/${ID}`, acq('userHasNoPermission'), true],
    ['a line (POST) refused userNotAMemberOfTheAcq', true, 'POST', '/invoice/invoice-lines', acq('userNotAMemberOfTheAcq'), true],
    ['a read by id refused userHasNoPermission', true, 'GET', `/invoice/invoices/${ID}`, acq('userHasNoPermission'), true],
    ['the same 403 to the first call after the login', false, 'PUT', `/invoice/invoices/${ID}`, acq('userHasNoPermission'), false],
    ['the same 403 to a search (not one record)', true, 'GET', '/orders/order-lines', acq('userHasNoPermission'), false],
    ['the gateway\'s text/plain refusal of a permission the user lacks', true, 'PUT', `/invoice/invoices/${ID}`, 'Access requires permission: invoice.invoices.item.put', false],
    ['a permission the user lacks for every invoice (userHasNoInvoiceApprovePermission)', true, 'PUT', `/invoice/invoices/${ID}`, acq('userHasNoInvoiceApprovePermission'), false],
  ];
  for (const [name, answeredBefore, method, path, body, record] of CASES) {
    it(`${name}: ${record ? 'that record\'s refusal (ApiError, FOLIO\'s code kept)' : 'refused credentials (AuthError, the run stops)'}`, async () => {
      const c = client();
      api!.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000));
      if (answeredBefore) {
        api!.script({ method: 'GET', path: /^\/finance\/funds/, body: { funds: [], totalRecords: 0 } });
        await c.json({ method: 'GET', path: '/finance/funds' });
      }
      api!.script({ method, path: new RegExp(`^${path}(\\?|$)`), status: 403, body, headers: typeof body === 'string' ? { 'content-type': 'text/plain' } : {} });
      const err = await c.json({ method, path, ...(method === 'GET' ? {} : { body: {} }) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err instanceof AuthError).toBe(!record);
      expect(err).toMatchObject({ httpStatus: 403 });
      if (record) {
        expect(err).toMatchObject({
          code: (body as { errors: { code: string }[] }).errors[0]!.code,
          message: expect.stringMatching(/^FOLIO's acquisitions units do not allow user diku_admin to .* this record .*FOLIO said "User does not have permissions - operation is restricted"\. Only this invoice was held back/),
        });
      }
    });
  }
});

describe('FOLIO: a PO line not found, where acquisitions units may hide it', () => {
  const units = (total: number) => ({ method: 'GET', path: /^\/acquisitions-units\/units\?/, body: { acquisitionsUnits: [], totalRecords: total } });
  it('with units that protect reading, the message names them as the likely cause and the user; counted once a run', async () => {
    const c = client();
    api!.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000), units(2));
    const refs = new FolioRefs(c);
    const text = await refs.poLinesMissing(['POL-1']);
    expect(text).toMatch(/^FOLIO shows user diku_admin no purchase order line numbered "POL-1": the number is wrong, or the line's order belongs to an acquisitions unit that hides its records/);
    expect(text).toMatch(/FOLIO has 2 units that protect reading/);
    expect(text).toMatch(/ask a FOLIO administrator to add diku_admin to the order's acquisitions unit/);
    await refs.poLinesMissing(['POL-2']);
    const asked = api!.calls().filter((x) => x.path.startsWith('/acquisitions-units'));
    expect(asked).toHaveLength(1);
    expect(new URL(asked[0]!.fullUrl).searchParams.get('query')).toBe('protectRead==true');
  });

  it('with none, or when FOLIO will not list them (403), a plain "no line"', async () => {
    const c = client();
    api!.script(loginAnswer('at-1', 'rt-1', Date.now() + 600_000), units(0));
    await expect(new FolioRefs(c).poLinesMissing(['POL-1', 'POL-2'])).resolves.toBe('FOLIO has no purchase order line numbered "POL-1", "POL-2"');
    api!.script({ method: 'GET', path: /^\/acquisitions-units/, status: 403, body: 'Access requires permission: acquisitions-units.units.collection.get', headers: { 'content-type': 'text/plain' } });
    await expect(new FolioRefs(c).poLinesMissing(['POL-1'])).resolves.toBe('FOLIO has no purchase order line numbered "POL-1"');
  });
});
