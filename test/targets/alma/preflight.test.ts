/** The online preflight's fetching part on scripted Alma answers (undici MockAgent): caching, not-found shapes, cost. */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { keyString, type Invoice, type InvoiceLine } from '../../../src/domain/model.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { applyPreflight } from '../../../src/plan/preflight.js';
import { buildPlan } from '../../../src/plan/plan.js';
import { ApiError, AuthError, isUnreachable } from '../../../src/common/errors.js';
import { createAlmaHttpClient } from '../../../src/targets/alma/client.js';
import { chooseChecks, runPreflight, type CheckKind } from '../../../src/targets/alma/preflight.js';
import type { TargetEvent } from '../../../src/targets/target.js';
import type { HttpRequest, JsonClient } from '../../../src/transport/http.js';
import { parseJson, type JsonValue } from '../../../src/common/json.js';
import { ORIGIN, UNAUTHORIZED_XML, almaError, mockApi } from '../helpers/mock-api.js';

const d = (s: string): Decimal => new Decimal(s);
const at = (row: number) => ({ file: 'b.csv', row });

function line(number: string, row: number, over: Partial<InvoiceLine> = {}): InvoiceLine {
  return { number, type: 'REGULAR', price: d('10'), quantity: 1, funds: [{ fundCode: 'BOOKS', percent: d('100'), source: at(row) }], vat: {}, rows: [at(row)], ...over };
}
function invoice(number: string, vendor: string, row: number, lines: InvoiceLine[], over: Partial<Invoice['header']> = {}): Invoice {
  return {
    key: { vendor, number },
    header: { number, date: '2025-03-03', vendor, currency: 'USD', totalAmount: d('10'), vat: {}, charges: {}, payment: {}, ...over },
    lines,
    rows: lines.flatMap((l) => l.rows).length > 0 ? lines.flatMap((l) => l.rows) : [at(row)],
  };
}

const vendorBody = (code: string, over: Record<string, unknown> = {}) => ({
  code,
  name: `${code} Ltd`,
  status: { value: 'ACTIVE', desc: 'Active' },
  material_supplier: true,
  currency: [{ value: 'USD', desc: 'US Dollar' }],
  account: [{ code, description: 'Default', status: { value: 'ACTIVE', desc: 'Active' }, payment_method: [{ value: 'ACCOUNTINGDEPARTMENT', desc: 'Accounting Department' }] }],
  ...over,
});
const fundBody = (code: string, status = 'ACTIVE') => ({ id: '1', code, name: code, type: { value: 'ALLOCATED' }, status: { value: status }, fiscal_period: { value: '2025-2026' } });
const polBody = (number: string, vendor: string) => ({ number, vendor: { value: vendor, desc: vendor }, vendor_account: vendor, status: { value: 'ACTIVE' } });
const linesTypes = { name: 'InvoiceLinesTypes', row: [{ code: 'REGULAR', description: 'Regular', default: true, enabled: true }, { code: 'OTHER', description: 'Other', enabled: true }] };
const currencies = { name: 'Currency_CT', row: [{ code: 'USD', description: 'US Dollar', default: true, enabled: true }] };
/** MockAgent may match on the query sorted by name: match each parameter wherever it is. */
const query = (path: string, ...params: string[]): RegExp =>
  new RegExp(`^${path.replace(/[/?]/g, '\\$&')}\\?${params.map((p) => `(?=(?:.*&)?${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:&|$))`).join('')}`);
const funds = (code: string, mode: 'POL' | 'ALL'): RegExp => query('/almaws/v1/acq/funds', `q=fund_code%7E${code}`, `mode=${mode}`);
const search = (number: string): RegExp => query('/almaws/v1/acq/invoices/', `q=invoice_number%7E${number}`);
/** The first page of a vendor's invoices, read by the search on its code (lookup.ts #listVendor). */
const vendorSearch = (code: string): RegExp => query('/almaws/v1/acq/invoices/', `q=vendor_code%7E${code}`, 'offset=0');
const LINE_TYPES = '/almaws/v1/conf/code-tables/InvoiceLinesTypes';
const CURRENCIES = '/almaws/v1/conf/code-tables/Currency_CT';
const remainingHeader = (n: number) => ({ 'x-exl-api-remaining': String(n) });

let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

function client(events: TargetEvent[] = []) {
  const m = mockApi();
  api = m;
  const http = createAlmaHttpClient({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, onEvent: (e) => events.push(e) });
  return { http, script: m.script, agent: m.agent };
}

const paths = (): string[] => api!.log().map((l) => decodeURIComponent(l));
const count = (re: RegExp): number => paths().filter((p) => re.test(p)).length;
const codes = (problems: Map<string, { code: string; row?: number | undefined; column?: string | undefined; severity: string }[]>, vendor: string, number: string): string[] =>
  (problems.get(keyString({ vendor, number })) ?? []).map((p) => `${p.code}@${p.row}:${p.column}${p.severity === 'warning' ? ':warning' : ''}`);

describe('runPreflight: the PO line\'s quantity', () => {
  it('is the sum of its locations\' quantities (numbers or strings); a line without quantity is checked with it, one without locations is not', async () => {
    const { http, script } = client();
    const invoices = [
      invoice('A-1', 'ACME', 2, [line('1', 2, { poLine: 'POL-1', quantity: undefined })]),
      invoice('A-2', 'ACME', 3, [line('1', 3, { poLine: 'POL-2', quantity: undefined })]),
    ];
    script(
      { path: '/almaws/v1/acq/vendors/ACME', body: vendorBody('ACME') },
      { path: funds('BOOKS', 'POL'), body: { total_record_count: 1, fund: [fundBody('BOOKS')] } },
      { path: '/almaws/v1/acq/po-lines/POL-1', body: { ...polBody('POL-1', 'ACME'), location: [{ quantity: 1 }, { quantity: '2' }] } },
      { path: '/almaws/v1/acq/po-lines/POL-2', body: polBody('POL-2', 'ACME') },
      { path: LINE_TYPES, body: linesTypes },
      { path: CURRENCIES, body: currencies },
      { path: vendorSearch('ACME'), body: { total_record_count: 0 } },
    );
    const out = await runPreflight(invoices, { http, rate: 10, pollTimeoutMs: 60_000 });
    expect(codes(out.problems, 'ACME', 'A-1')).toEqual(['po_line_quantity@2:quantity']);
    expect(out.problems.get(keyString({ vendor: 'ACME', number: 'A-1' }))![0]!.message).toMatch(/PO line "POL-1"'s, 3: the lines come to 30\.00/);
    expect(codes(out.problems, 'ACME', 'A-2')).toEqual([]);
  });
});

describe('runPreflight: each entity fetched once', () => {
  it('asks once per vendor, fund, PO line and code table, however many invoices and lines name them', async () => {
    const { http, script } = client();
    const invoices = [
      invoice('A-1', 'ACME', 2, [line('1', 2, { poLine: 'POL-1' }), line('2', 3, { poLine: 'POL-1' })]),
      invoice('A-2', 'ACME', 4, [line('1', 4, { poLine: 'POL-2' })]),
      invoice('A-3', 'ACME', 5, [line('1', 5)]),
    ];
    script(
      { path: '/almaws/v1/acq/vendors/ACME', body: vendorBody('ACME') },
      { path: funds('BOOKS', 'POL'), body: { total_record_count: 1, fund: [fundBody('BOOKS')] } },
      { path: '/almaws/v1/acq/po-lines/POL-1', body: polBody('POL-1', 'ACME') },
      { path: '/almaws/v1/acq/po-lines/POL-2', body: polBody('POL-2', 'ACME') },
      { path: LINE_TYPES, body: linesTypes },
      { path: CURRENCIES, body: currencies },
      // 3 invoices of one vendor: the load's strategy reads the vendor's invoices by its search (one page)
      { path: vendorSearch('ACME'), body: { total_record_count: 0 } },
    );
    const out = await runPreflight(invoices, { http, rate: 10, pollTimeoutMs: 60_000 });
    expect(count(/\/acq\/vendors\/ACME$/)).toBe(1);
    expect(count(/\/acq\/funds/)).toBe(1);
    expect(count(/\/po-lines\/POL-1$/)).toBe(1);
    expect(count(/code-tables\/InvoiceLinesTypes/)).toBe(1);
    expect(paths()).toHaveLength(7);
    api?.agent.assertNoPendingInterceptors();
    for (const inv of invoices) expect(codes(out.problems, 'ACME', inv.key.number)).toEqual([]);
    expect(out.report.checked).toEqual({ vendors: 1, funds: 1, po_lines: 2, code_tables: 2, invoices: 3 });
    expect(out.report.requests).toBe(7);
    // look-ups as measured (1 listing page) + 3 create + 4 lines + 3 process + 3 reads
    expect(out.report.estimate.requests).toEqual({ lookups: 1, create: 3, lines: 4, process: 3, polls: 3, total: 14 });
  });
});

describe('runPreflight: Alma\'s "not found" is a 400 with an errorCode', () => {
  it('vendor 402880 (MIT) and 401871 (OAS; under a 404 too), PO line 401871, fund absent from both fund searches', async () => {
    const { http, script } = client();
    const invoices = [
      invoice('X-1', 'NOPE', 2, [line('1', 2, { poLine: 'POL-404', funds: [{ fundCode: 'GHOST', percent: d('100'), source: at(2) }] })]),
      invoice('Y-1', 'GONE', 3, [line('1', 3)]),
    ];
    script(
      { path: '/almaws/v1/acq/vendors/NOPE', status: 400, body: almaError('402880', 'Vendor NOPE not found.') },
      { path: '/almaws/v1/acq/vendors/GONE', status: 404, body: almaError('401871', 'Vendor GONE not found.') },
      // word search: GHOST-2 matches the word, not the code; the post-filter must drop it
      { path: funds('GHOST', 'POL'), body: { total_record_count: 1, fund: [fundBody('GHOST-2')] } },
      { path: funds('GHOST', 'ALL'), body: { total_record_count: 0 } },
      { path: funds('BOOKS', 'POL'), body: { total_record_count: 1, fund: [fundBody('BOOKS')] } },
      { path: '/almaws/v1/acq/po-lines/POL-404', status: 400, body: almaError('401871', 'Po-Line POL-404 not found.') },
      { path: LINE_TYPES, body: linesTypes },
      { path: CURRENCIES, body: currencies },
    );
    const out = await runPreflight(invoices, { http, rate: 10, pollTimeoutMs: 60_000 });
    expect(codes(out.problems, 'NOPE', 'X-1')).toEqual(['vendor_not_found@2:vendor', 'po_line_not_found@2:po_line', 'fund_not_found@2:fund_code']);
    expect(codes(out.problems, 'GONE', 'Y-1')).toEqual(['vendor_not_found@3:vendor']);
    // an unknown vendor has no invoices: no invoice look-up is sent for it
    expect(paths().filter((p) => p.includes('/acq/invoices') || p.includes('/invoices?'))).toEqual([]);
    expect(out.report.estimate.invoices).toBe(0);
  });

  it('an inactive fund is found by the second search (mode=ALL)', async () => {
    const { http, script } = client();
    script(
      { path: '/almaws/v1/acq/vendors/ACME', body: vendorBody('ACME') },
      { path: funds('GIFT-OLD', 'POL'), body: { total_record_count: 0 } },
      { path: funds('GIFT-OLD', 'ALL'), body: { total_record_count: 1, fund: [fundBody('GIFT-OLD', 'INACTIVE')] } },
      { path: LINE_TYPES, body: linesTypes },
      { path: CURRENCIES, body: currencies },
      { path: search('A-1'), body: { total_record_count: 0 } },
    );
    const inv = invoice('A-1', 'ACME', 2, [line('1', 2, { funds: [{ fundCode: 'GIFT-OLD', percent: d('100'), source: at(2) }] })]);
    const out = await runPreflight([inv], { http, rate: 10, pollTimeoutMs: 60_000 });
    expect(codes(out.problems, 'ACME', 'A-1')).toEqual(['fund_inactive@2:fund_code']);
  });

  it('a 404 or another 400 proves nothing: a warning that the look-up failed, never "not found"', async () => {
    const { http, script } = client();
    script(
      { path: '/almaws/v1/acq/vendors/ACME', status: 404, body: '<html>Not Found</html>', headers: { 'content-type': 'text/html' } },
      { path: funds('BOOKS', 'POL'), status: 400, body: almaError('402119', 'General error.') },
      { path: '/almaws/v1/conf/code-tables/InvoiceLinesTypes', status: 400, body: almaError('402119', 'General error: code table not found.') },
      { path: CURRENCIES, body: currencies },
      { path: search('A-1'), body: { total_record_count: 0 } },
    );
    const inv = invoice('A-1', 'ACME', 2, [line('1', 2, { type: 'NO-SUCH-TYPE' })]);
    const out = await runPreflight([inv], { http, rate: 10, pollTimeoutMs: 60_000 });
    expect(codes(out.problems, 'ACME', 'A-1')).toEqual(['preflight_lookup_failed@2:vendor:warning', 'preflight_lookup_failed@2:fund_code:warning']);
    expect(out.report.unchecked).toEqual([{ what: 'code table InvoiceLinesTypes', reason: expect.stringContaining('402119') }]);
    // warnings do not hold the invoice back: it counts in the estimate
    expect(out.report.estimate.invoices).toBe(1);
  });

  it.each([
    ['a page with a 404 (a wrong address)', 404, '<html><body>Not Found</body></html>', /GET \/acq\/vendors\/ACME: HTTP 404: Not Found/],
    ["Alma's web page (HTML with a 200)", 200, '<html><body>Welcome</body></html>', /GET \/acq\/vendors\/ACME: not JSON \(unexpected character '<'/],
  ])('no answer from Alma\'s API at all — %s: one stop before anything is sent, saying what came back', async (_what, status, body, first) => {
    const { http, script } = client();
    const page = { status, body, headers: { 'content-type': 'text/html' } };
    script(
      { path: '/almaws/v1/acq/vendors/ACME', ...page },
      { path: funds('BOOKS', 'POL'), ...page },
      { path: '/almaws/v1/conf/code-tables/InvoiceLinesTypes', ...page },
      { path: CURRENCIES, ...page },
      { path: search('A-1'), ...page },
    );
    const inv = invoice('A-1', 'ACME', 2, [line('1', 2, { type: 'NO-SUCH-TYPE' })]);
    const err = await runPreflight([inv], { http, rate: 10, pollTimeoutMs: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(isUnreachable(err)).toBe(true);
    expect((err as ApiError).code).toBe('NOT_ALMA_API');
    expect((err as ApiError).message).toMatch(/^the address does not answer as Alma's API: none of the \d+ checks/);
    expect((err as ApiError).message).toMatch(first);
    expect((err as ApiError).message).toContain("not the Alma web page");
  });
});

describe('runPreflight: the invoice already in Alma, and the cost', () => {
  it('finds the exact vendor + number after the word search, and reads X-Exl-Api-Remaining from its own answers', async () => {
    const events: TargetEvent[] = [];
    const { http, script } = client(events);
    const h = remainingHeader;
    script(
      { path: '/almaws/v1/acq/vendors/ACME', body: vendorBody('ACME'), headers: h(5_000) },
      // 2 invoices of ACME, which has 3 pages of invoices: the load's strategy reads one page, then searches
      { path: vendorSearch('ACME'), body: { total_record_count: 250, invoice: [] }, headers: h(5_001) },
      { path: funds('BOOKS', 'POL'), body: { total_record_count: 1, fund: [fundBody('BOOKS')] }, headers: h(4_999) },
      { path: LINE_TYPES, body: linesTypes, headers: h(4_998) },
      { path: CURRENCIES, body: currencies, headers: h(4_997) },
      {
        path: search('INV-7'),
        body: {
          total_record_count: 2,
          invoice: [
            { id: '991', number: 'INV-7-B', vendor: { value: 'ACME' }, total_amount: 10 },
            { id: '992', number: 'INV-7', vendor: { value: 'ACME' }, total_amount: 12.5, invoice_workflow_status: { value: 'InReview' } },
          ],
        },
        headers: h(4_996),
      },
      { path: search('INV-8'), body: { total_record_count: 1, invoice: [{ id: '993', number: 'INV-8', vendor: { value: 'OTHER' }, total_amount: 10 }] }, headers: h(4_995) },
    );
    const a = invoice('INV-7', 'ACME', 2, [line('1', 2)]);
    const b = invoice('INV-8', 'ACME', 3, [line('1', 3), line('2', 4)]);
    let remaining: number | undefined;
    const out = await runPreflight([a, b], {
      http,
      rate: 2,
      pollTimeoutMs: 60_000,
      remaining: () => {
        for (const e of events) if (e.type === 'remaining') remaining = Math.min(remaining ?? Infinity, e.remaining);
        return remaining;
      },
    });
    expect(codes(out.problems, 'ACME', 'INV-7')).toEqual(['invoice_exists@2:invoice_number']);
    expect(out.problems.get(keyString(a.key))![0]!.message).toMatch(/id 992, InReview\) with total 12\.50, this file says 10\.00;/);
    expect(codes(out.problems, 'ACME', 'INV-8')).toEqual([]);
    // only INV-8 would be sent: 1 listing page + 2 searches (measured) + 1 create + 2 lines + 1 process + 1 read
    expect(out.report.estimate).toMatchObject({
      invoices: 1,
      lines: 2,
      requests: { lookups: 3, create: 1, lines: 2, process: 1, polls: 1, total: 8 },
      rate: 2,
      seconds: 4,
      api_remaining: 4_995,
    });
    expect(out.report.estimate.share_of_remaining).toBeCloseTo(8 / 4_995);
    expect(out.report.requests).toBe(7);
  });

  it('a refused key stops the preflight (AuthError), it is not a finding', async () => {
    const { http, script } = client();
    script(
      { path: /./, status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml' } },
      { path: /./, status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml' } },
      { path: /./, status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml' } },
    );
    await expect(runPreflight([invoice('A-1', 'ACME', 2, [line('1', 2, { type: undefined })], { currency: undefined })], { http, rate: 10, pollTimeoutMs: 60_000 })).rejects.toBeInstanceOf(AuthError);
  });
});

describe('runPreflight: one wave before the first write', () => {
  /** A client that holds every request until the test answers it, to see which go out together. */
  function heldClient(answer: (path: string, query: Record<string, string | number | undefined>) => unknown) {
    const held: { req: HttpRequest; resolve: (v: JsonValue) => void }[] = [];
    const seen: string[] = [];
    const http: JsonClient = {
      json: (req) =>
        new Promise<JsonValue>((resolve) => {
          seen.push(`${req.path}${req.query?.['q'] !== undefined ? `?q=${req.query['q']}` : ''}${req.query?.['mode'] !== undefined ? `&mode=${req.query['mode']}` : ''}`);
          // As the client does: each attempt counts in the callers' own tallies.
          for (const t of req.tallies ?? []) t.count++;
          held.push({ req, resolve });
        }),
    };
    const answerAll = (): void => {
      for (const h of held.splice(0)) h.resolve(parseJson(JSON.stringify(answer(h.req.path, h.req.query ?? {}))));
    };
    return { http, seen, answerAll };
  }
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

  it('vendors, code tables, the usable funds\' list, each vendor\'s PO-line list and the PO lines no list can answer go out at once', async () => {
    const { http, seen, answerAll } = heldClient((path, q) => {
      if (path.startsWith('/acq/vendors/')) return vendorBody(path.split('/')[3]!);
      if (path === '/acq/funds') return { total_record_count: 3, fund: ['F1', 'F2', 'F3'].map((c) => fundBody(c)) };
      if (path === '/acq/po-lines') return { total_record_count: 3, po_line: ['POL-1', 'POL-2', 'POL-3'].map((n) => polBody(n, 'ACME')) };
      if (path.startsWith('/acq/po-lines/')) return polBody(path.split('/')[3]!, String(q['vendor'] ?? 'BETA'));
      if (path.startsWith('/conf/code-tables/')) return { name: path.split('/')[3], row: [] };
      throw new Error(`unexpected ${path}`);
    });
    const f = (code: string) => [{ fundCode: code, percent: d('100'), source: at(2) }];
    const invoices = [
      invoice('A-1', 'ACME', 2, [line('1', 2, { poLine: 'POL-1', funds: f('F1') }), line('2', 3, { poLine: 'POL-2', funds: f('F2') })]),
      invoice('A-2', 'ACME', 4, [line('1', 4, { poLine: 'POL-3', funds: f('F3') })]),
      invoice('B-1', 'BETA', 5, [line('1', 5, { poLine: 'POL-9', funds: f('F1') })]),
    ];
    const run = runPreflight(invoices, { http, rate: 10, pollTimeoutMs: 60_000, lookupInvoices: false });
    await tick();
    // Nothing answered yet: every request the checks need has gone out.
    expect(new Set(seen)).toEqual(
      new Set([
        '/acq/vendors/ACME',
        '/acq/vendors/BETA',
        '/acq/funds&mode=POL',
        '/acq/po-lines?q=vendor_code~ACME',
        '/acq/po-lines/POL-9',
        '/conf/code-tables/InvoiceLinesTypes',
        '/conf/code-tables/Currency_CT',
      ]),
    );
    answerAll();
    await tick();
    // The lists answered every fund and ACME's PO lines: no second wave, and no list of all funds.
    expect(seen.slice(7)).toEqual([]);
    const out = await run;
    expect(out.report.requests).toBe(7);
    expect(out.report.checked).toMatchObject({ vendors: 2, funds: 3, po_lines: 4 });
  });

  it('a fund the usable list does not show: the list of all funds is read next, and says it is not usable', async () => {
    const { http, seen, answerAll } = heldClient((path, q) => {
      if (path.startsWith('/acq/vendors/')) return vendorBody('ACME');
      if (path === '/acq/funds' && q['mode'] === 'POL') return { total_record_count: 2, fund: ['F1', 'F2'].map((c) => fundBody(c)) };
      if (path === '/acq/funds') return { total_record_count: 3, fund: [fundBody('F1'), fundBody('F2'), fundBody('OLD', 'INACTIVE')] };
      return { name: path.split('/')[3], row: [] };
    });
    const f = (code: string) => [{ fundCode: code, percent: d('100'), source: at(2) }];
    const invoices = [invoice('A-1', 'ACME', 9, [line('1', 2, { funds: f('F1') }), line('2', 3, { funds: f('F2') }), line('3', 4, { funds: f('OLD') })])];
    const run = runPreflight(invoices, { http, rate: 10, pollTimeoutMs: 60_000, lookupInvoices: false });
    await tick();
    expect(seen.filter((p) => p.startsWith('/acq/funds'))).toEqual(['/acq/funds&mode=POL']);
    answerAll();
    await tick();
    expect(seen.filter((p) => p.startsWith('/acq/funds'))).toEqual(['/acq/funds&mode=POL', '/acq/funds&mode=ALL']);
    answerAll();
    const out = await run;
    // No search of its own: the list of all funds showed it.
    expect(seen.filter((p) => p.startsWith('/acq/funds'))).toHaveLength(2);
    expect([...out.problems.values()].flat().map((p) => p.code)).toEqual(['fund_inactive']);
  });

  it("counts its own requests, not those sent beside it on the same client (a load's invoice look-ups)", async () => {
    const { http, answerAll } = heldClient((path) => (path.startsWith('/acq/vendors/') ? vendorBody('ACME') : { name: 'x', row: [] }));
    const run = runPreflight([invoice('A-1', 'ACME', 2, [line('1', 2, { funds: [] })])], { http, rate: 10, pollTimeoutMs: 60_000, lookupInvoices: false });
    // Another caller's request on the same client while the checks run.
    const other = http.json({ method: 'GET', path: '/acq/vendors/ACME/invoices' });
    await tick();
    answerAll();
    await other;
    const out = await run;
    expect(out.report.requests).toBe(3);
  });
});

describe('chooseChecks: the default budget', () => {
  const costs = (vendors: number, poLines: number): Record<CheckKind, number> => ({ code_tables: 3, vendors, funds: 1, po_lines: poLines });
  it.each([
    // invoices, vendors, PO-line look-ups → skipped kinds
    [7, 4, 6, []], // the sample: 10 look-ups in all, under the floor of 20 a kind
    [7, 20, 21, ['po_lines']], // the floor is per kind: 20 runs, 21 does not
    [200, 4, 60, []], // 0.5 an invoice: 100 a kind
    [200, 101, 100, ['vendors']],
    [1000, 480, 501, ['po_lines']],
  ])('%i invoices, %i vendors, %i PO-line look-ups: skips %j', (invoices, vendors, poLines, skipped) => {
    const chosen = chooseChecks(costs(vendors, poLines), invoices);
    expect(chosen.skipped).toEqual(skipped);
    expect([...chosen.run].sort()).toEqual((['code_tables', 'vendors', 'funds', 'po_lines'] as CheckKind[]).filter((k) => !skipped.includes(k)).sort());
  });
});

describe('applyPreflight', () => {
  it('holds back an invoice with an online error, keeps one with warnings only, and sorts problems by row', () => {
    const a = invoice('A-1', 'ACME', 2, [line('1', 2), line('2', 5)]);
    const b = invoice('B-1', 'ACME', 6, [line('1', 6)]);
    const plan = buildPlan(
      [
        { key: a.key, rows: a.rows, invoice: a, problems: [{ file: 'b.csv', row: 5, column: 'total_amount', code: 'total_not_checked', message: 'm', severity: 'warning' }] },
        { key: b.key, rows: b.rows, invoice: b, problems: [] },
      ],
      [],
    );
    const problems = new Map([
      [keyString(a.key), [{ file: 'b.csv', row: 2, column: 'fund_code', code: 'fund_not_found', message: 'm', severity: 'error' as const }]],
      [keyString(b.key), [{ file: 'b.csv', row: 6, column: 'po_line', code: 'po_line_closed', message: 'm', severity: 'warning' as const }]],
    ]);
    const after = applyPreflight(plan, problems);
    expect(after.entries[0]!.invoice).toBeUndefined();
    expect(after.entries[0]!.problems.map((p) => `${p.code}@${p.row}`)).toEqual(['fund_not_found@2', 'total_not_checked@5']);
    expect(after.entries[1]!.invoice).toBe(b);
    expect(after.entries[1]!.problems.map((p) => p.code)).toEqual(['po_line_closed']);
    expect(after.batchId).toBe(plan.batchId);
  });
});
