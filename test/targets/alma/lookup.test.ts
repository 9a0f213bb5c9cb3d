import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/common/errors.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { createAlmaTarget } from '../../../src/targets/alma/target.js';
import { ORIGIN, almaError, mockApi } from '../helpers/mock-api.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngine } from '../../helpers/engine-run.js';
import { makeInvoice } from '../../helpers/fake-target.js';

/** An invoice as Alma lists it (brief). */
const inv = (id: string, number: string, vendor: string) => ({
  id,
  number,
  vendor: { value: vendor, desc: `${vendor} Inc.` },
  total_amount: 10,
  invoice_workflow_status: { value: 'InReview', desc: 'In Review' },
  number_of_lines: { value: 1, link: 'x' },
});
const noise = (n: number, from = 0) => Array.from({ length: n }, (_, i) => inv(`9${from + i}`, `INV-1-${from + i}`, 'ACME'));

let api: ReturnType<typeof mockApi>;
afterEach(async () => {
  await api.agent.close();
});
// every test here calls target() first, which sets `api`

function target() {
  api = mockApi();
  return createAlmaTarget({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: api.agent, limiter: unlimited, sleep: async () => {} });
}

describe('findInvoices by word search', () => {
  it('searches the declared path (trailing slash), pages through total_record_count and keeps only the exact vendor + number', async () => {
    const t = target();
    api.script(
      // page 1: 100 word matches (INV-1-0 …), and the same number at another vendor
      { path: /offset=0/, body: { total_record_count: 102, invoice: [...noise(99), inv('2', 'INV-1', 'OTHER')] } },
      { path: /offset=100/, body: { total_record_count: 102, invoice: [inv('3', 'inv-1', 'ACME'), inv('4', 'INV-1', 'ACME')] } },
    );
    const found = await t.findInvoices({ vendor: 'ACME', number: 'INV-1' }, { fresh: false });
    expect(found.map((f) => f.id)).toEqual(['4']);
    expect(found[0]).toMatchObject({ number: 'INV-1', vendor: 'ACME', lineCount: 1, totalAmount: '10', processed: false, inReview: true });
    expect(api.log()).toEqual([
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7EINV-1&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7EINV-1&limit=100&offset=100&view=brief',
    ]);
    api.agent.assertNoPendingInterceptors();
  });

  it('a found invoice answered with a blank total ("total_amount": "") has no known total, not another one', async () => {
    const t = target();
    api.script({ body: { total_record_count: 1, invoice: [{ ...inv('4', 'INV-1', 'ACME'), total_amount: '' }] } });
    const found = await t.findInvoices({ vendor: 'ACME', number: 'INV-1' }, { fresh: true });
    expect(found.map((f) => [f.id, f.totalAmount])).toEqual([['4', undefined]]);
  });

  it('tolerates a zero-hit list without an invoice key (sample 10), and an empty array', async () => {
    const t = target();
    api.script({ body: { total_record_count: 0 } }, { body: { total_record_count: 0, invoice: [] } });
    await expect(t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true })).resolves.toEqual([]);
    await expect(t.findInvoices({ vendor: 'ACME', number: 'Y' }, { fresh: true })).resolves.toEqual([]);
    expect(api.log()).toHaveLength(2);
  });

  it('a page that is {} (neither entries nor total_record_count) is no empty list: the look-up fails naming the request, never reads as absent', async () => {
    // The documented empty answer is {"total_record_count": 0} (sample 10, docs/alma.md#the-json-shape-list-naming-amounts-dates).
    const t = target();
    api.script(
      { path: /INV-X&/, body: {} },
      // after a full page, an empty object is no end either: the rest of the list would go unread
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=0', body: { total_record_count: 150, invoice_line: Array.from({ length: 100 }, (_, i) => ({ id: `L${i}`, number: String(i + 1) })) } },
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=100', body: {} },
      // an explicit empty list without a total is still read as empty
      { path: /INV-Y&/, body: { invoice: [] } },
    );
    await expect(t.findInvoices({ vendor: 'ACME', number: 'INV-X' }, { fresh: true })).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: 'GET /acq/invoices/?q=invoice_number~INV-X: the page at offset 0 holds neither "invoice" entries nor a total_record_count (it is {}), so whether the list ends there cannot be told',
    });
    await expect(t.listLines('77')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringMatching(/^GET \/acq\/invoices\/77\/lines: the page at offset 100 holds neither "invoice_line" entries nor a total_record_count/) });
    await expect(t.findInvoices({ vendor: 'ACME', number: 'INV-Y' }, { fresh: true })).resolves.toEqual([]);
    api.agent.assertNoPendingInterceptors();
  });

  it('a load whose look-up is answered {} stops that invoice before its create: nothing is written', async () => {
    const t = target();
    const dir = mkdtempSync(join(tmpdir(), 'lookup-empty-'));
    try {
      // Every search answered so (a look-up that fails may be asked again), and nothing else scripted.
      for (let i = 0; i < 4; i++) api.script({ method: 'GET', path: /invoice_number%7EINV-1&/, body: {} });
      const { outcome } = await runEngine(t, [makeInvoice('ACME', 'INV-1', 1)], join(dir, 'j.jsonl'));
      expect(outcome.results.map((r) => r.status)).toEqual(['failed']);
      expect(outcome.results[0]!.error).toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('GET /acq/invoices/?q=invoice_number~INV-1: the page at offset 0 holds neither') });
      // Only the search, asked again once; no create, no line.
      expect(new Set(api.log())).toEqual(new Set(['GET /almaws/v1/acq/invoices/?q=invoice_number%7EINV-1&limit=100&offset=0&view=brief']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the search's 412400 \"Invoice X not found\" (OAS) for no match; another refusal still fails the look-up", async () => {
    const t = target();
    api.script(
      { status: 400, body: almaError('412400', 'Invoice X not found.') },
      { status: 400, body: almaError('60323', 'Search failed.') },
    );
    await expect(t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true })).resolves.toEqual([]);
    await expect(t.findInvoices({ vendor: 'ACME', number: 'Y' }, { fresh: true })).rejects.toMatchObject({ code: '60323' });
    expect(api.log()).toHaveLength(2);
  });

  it("Alma's error document answered as a success (errorsExist, HTTP 200) fails the look-up with its code and tracking id, never reads as no match", async () => {
    const t = target();
    api.script(
      // sample 07's body, and the 5xx shape (web_service_result, one error object), under a 200
      { body: almaError('402119', 'General error.', 'E02-2706205445-WZJWP-AWAE1632347523') },
      { body: { web_service_result: { errorsExist: 'true', errorList: { error: { errorCode: '401873', errorMessage: 'Request failed: X' } } } } },
      // an invoice's lines: a line that exists must not look absent (it would be sent again)
      { path: /\/lines/, body: almaError('412400', 'Invoice 77 not found.') },
    );
    await expect(t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true })).rejects.toMatchObject({
      code: '402119',
      trackingId: 'E02-2706205445-WZJWP-AWAE1632347523',
      message: expect.stringContaining('General error.'),
    });
    await expect(t.findInvoices({ vendor: 'ACME', number: 'Y' }, { fresh: true })).rejects.toMatchObject({ code: '401873' });
    await expect(t.listLines('77')).rejects.toMatchObject({ code: '412400' });
    api.agent.assertNoPendingInterceptors();
  });

  it('an entry with the number is never skipped as absent for a field it does not show: its id from its link, its vendor read by id, and no id at all fails the look-up', async () => {
    const t = target();
    const { id: _id, vendor: _vendor, ...bare } = inv('0', 'INV-1', 'ACME');
    api.script(
      // no `id`, only the link (as sample 02's lines are listed)
      { path: /INV-1&/, body: { total_record_count: 1, invoice: [{ ...bare, vendor: { value: 'ACME' }, link: 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1/acq/invoices/15334101100001021' }] } },
      // no vendor: read by id to learn it — ACME's (kept) and OTHER's (not this one)
      { path: /INV-2&/, body: { total_record_count: 2, invoice: [{ ...bare, number: 'INV-2', id: '21' }, { ...bare, number: 'INV-2', id: '22' }] } },
      { path: '/almaws/v1/acq/invoices/21?view=brief', body: inv('21', 'INV-2', 'ACME') },
      { path: '/almaws/v1/acq/invoices/22?view=brief', body: inv('22', 'INV-2', 'OTHER') },
      // neither id nor link: whether it is this invoice cannot be told
      { path: /INV-3&/, body: { total_record_count: 1, invoice: [{ ...bare, number: 'INV-3', vendor: { value: 'ACME' } }] } },
    );
    await expect(t.findInvoices({ vendor: 'ACME', number: 'INV-1' }, { fresh: true })).resolves.toMatchObject([{ id: '15334101100001021', number: 'INV-1', vendor: 'ACME' }]);
    expect((await t.findInvoices({ vendor: 'ACME', number: 'INV-2' }, { fresh: true })).map((f) => f.id)).toEqual(['21']);
    await expect(t.findInvoices({ vendor: 'ACME', number: 'INV-3' }, { fresh: true })).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    api.agent.assertNoPendingInterceptors();
  });

  it('takes no absence from 412400 in an error document under a 200: the look-up fails, nothing reads as no match', async () => {
    const t = target();
    api.script({ body: almaError('412400', 'Invoice X not found.') });
    await expect(t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true })).rejects.toMatchObject({ code: '412400', httpStatus: 200 });
    api.agent.assertNoPendingInterceptors();
  });

  it('takes 412400 for no match under a 404 too (the OAS gives no status per code)', async () => {
    const t = target();
    api.script({ status: 404, body: almaError('412400', 'Invoice X not found.') });
    await expect(t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true })).resolves.toEqual([]);
  });

  it('returns every exact match (institutions with invoice_not_unique=true)', async () => {
    const t = target();
    api.script({ body: { total_record_count: 2, invoice: [inv('1', 'D', 'ACME'), inv('2', 'D', 'ACME')] } });
    expect((await t.findInvoices({ vendor: 'ACME', number: 'D' }, { fresh: true })).map((f) => f.id)).toEqual(['1', '2']);
  });
});

describe('prepareLookups: a vendor\'s invoices read by the search on vendor_code when it is cheaper', () => {
  const keys = [
    { vendor: 'ACME', number: 'A1' },
    { vendor: 'ACME', number: 'A2' },
    { vendor: 'ACME', number: 'A3' },
    { vendor: 'BIG', number: 'B1' },
    { vendor: 'BIG', number: 'B2' },
    { vendor: 'SOLO', number: 'S1' },
  ];

  it('lists a vendor whose pages ≤ its invoices in the batch, and answers from the snapshot', async () => {
    const t = target();
    api.script(
      // ACME: 150 invoices = 2 pages ≤ 3 invoices in the batch → list both pages
      { path: /^\/almaws\/v1\/acq\/invoices\/\?limit=100&offset=0&q=vendor_code%7EACME&view=brief$/, body: { total_record_count: 150, invoice: [inv('11', 'A1', 'ACME'), ...noise(99, 100)] } },
      { path: /^\/almaws\/v1\/acq\/invoices\/\?limit=100&offset=100&q=vendor_code%7EACME&view=brief$/, body: { total_record_count: 150, invoice: noise(50, 300) } },
      // BIG: 450 invoices = 5 pages > 2 → one page, then search instead
      { path: /^\/almaws\/v1\/acq\/invoices\/\?limit=100&offset=0&q=vendor_code%7EBIG&view=brief$/, body: { total_record_count: 450, invoice: [inv('21', 'B1', 'BIG')] } },
      // SOLO: one invoice in the batch → searched, never listed
      { path: /invoice_number%7ES1/, body: { total_record_count: 0 } },
    );
    // prepare reads every vendor worth listing and searches SOLO's invoice, all at once: ACME in
    // full, BIG's first page only
    await t.prepareLookups(keys);
    expect(api.log().sort()).toEqual([
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7ES1&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=100&view=brief',
      'GET /almaws/v1/acq/invoices/?q=vendor_code%7EBIG&limit=100&offset=0&view=brief',
    ]);

    // answered from the snapshot and from prepare's search: no request
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).map((f) => f.id)).toEqual(['11']);
    expect(await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).toEqual([]);
    expect(await t.findInvoices({ vendor: 'SOLO', number: 'S1' }, { fresh: false })).toEqual([]);
    expect(api.log()).toHaveLength(4);

    // fresh (after an unknown outcome) searches live; BIG is searched (5 pages > 2 invoices:
    // searching is cheaper), its page not read again; SOLO's next look-up searches again
    api.script(
      { path: /invoice_number%7EA2/, body: { total_record_count: 1, invoice: [inv('12', 'A2', 'ACME')] } },
      { path: /invoice_number%7EB1/, body: { total_record_count: 1, invoice: [inv('21', 'B1', 'BIG')] } },
      { path: /invoice_number%7ES1/, body: { total_record_count: 1, invoice: [inv('31', 'S1', 'SOLO')] } },
    );
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: true })).map((f) => f.id)).toEqual(['12']);
    expect((await t.findInvoices({ vendor: 'BIG', number: 'B1' }, { fresh: false })).map((f) => f.id)).toEqual(['21']);
    expect((await t.findInvoices({ vendor: 'SOLO', number: 'S1' }, { fresh: false })).map((f) => f.id)).toEqual(['31']);
    expect(api.log().slice(4)).toEqual([
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7EA2&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7EB1&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=invoice_number%7ES1&limit=100&offset=0&view=brief',
    ]);
    api.agent.assertNoPendingInterceptors();
  });

  it('keeps the answer of the batch\'s invoices found (to compare with the file), without lines, and not of the vendor\'s others', async () => {
    const t = target();
    const withLines = { ...inv('11', 'A1', 'ACME'), note: [{ content: 'March' }], invoice_lines: { invoice_line: [{ number: '1' }] } };
    api.script({ path: /vendor_code%7EACME&/, body: { total_record_count: 3, invoice: [withLines, inv('12', 'OLD-7', 'ACME'), inv('13', 'A2', 'ACME')] } });
    await t.prepareLookups([keys[0]!, keys[1]!]);
    const [a1] = await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false });
    expect(a1!.held).toMatchObject({ id: '11', note: [{ content: 'March' }] });
    expect(a1!.held).not.toHaveProperty('invoice_lines');
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false }))[0]!.held).toMatchObject({ id: '13' });
    // A vendor's invoice the batch does not name: kept without its answer (a vendor may list thousands).
    expect((await t.findInvoices({ vendor: 'ACME', number: 'OLD-7' }, { fresh: false }))[0]!.held).toBeUndefined();
    api.script({ path: /invoice_number%7ES1/, body: { total_record_count: 1, invoice: [inv('31', 'S1', 'SOLO')] } });
    expect((await t.findInvoices({ vendor: 'SOLO', number: 'S1' }, { fresh: true }))[0]!.held).toMatchObject({ id: '31' });
  });

  it('lists every vendor worth listing once, before any look-up, and answers them all from it', async () => {
    const t = target();
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 1, invoice: [inv('11', 'A1', 'ACME')] } },
      { path: /vendor_code%7EBIG&/, body: { total_record_count: 2, invoice: [inv('21', 'B1', 'BIG'), inv('22', 'B3', 'BIG')] } },
    );
    await t.prepareLookups([keys[0]!, keys[1]!, { vendor: 'BIG', number: 'B1' }, { vendor: 'BIG', number: 'B2' }, { vendor: 'BIG', number: 'B3' }]);
    expect(api.log().sort()).toEqual(['GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief', 'GET /almaws/v1/acq/invoices/?q=vendor_code%7EBIG&limit=100&offset=0&view=brief']);
    // three look-ups at once: no request
    const found = await Promise.all(['B1', 'B2', 'B3'].map((number) => t.findInvoices({ vendor: 'BIG', number }, { fresh: false })));
    expect(found.map((f) => f.map((r) => r.id))).toEqual([['21'], [], ['22']]);
    expect(api.log()).toHaveLength(2);
    expect(t.readCost!('BIG', 3)).toBe(1);
    api.agent.assertNoPendingInterceptors();
  });

  it('lists again at the next look-up when a listing failed on the way (a refused key), and never searches instead', async () => {
    const t = target();
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 0 } },
      { path: /vendor_code%7EBIG&/, status: 401, body: '<web_service_result><errorList><error><errorCode>UNAUTHORIZED</errorCode><errorMessage>no</errorMessage></error></errorList></web_service_result>' },
    );
    await expect(t.prepareLookups([keys[0]!, keys[1]!, { vendor: 'BIG', number: 'B1' }, { vendor: 'BIG', number: 'B2' }])).rejects.toMatchObject({ name: 'AuthError' });
    api.script({ path: /vendor_code%7EBIG&/, body: { total_record_count: 1, invoice: [inv('22', 'B2', 'BIG')] } });
    expect((await t.findInvoices({ vendor: 'BIG', number: 'B2' }, { fresh: false })).map((r) => r.id)).toEqual(['22']);
    expect(await t.findInvoices({ vendor: 'BIG', number: 'B1' }, { fresh: false })).toEqual([]);
    expect(api.log().filter((l) => l.includes('invoice_number'))).toEqual([]);
    expect(api.log().filter((l) => l.includes('vendor_code%7EBIG'))).toHaveLength(2);
    api.agent.assertNoPendingInterceptors();
  });

  it('a look-up the first Ctrl-C may end (its `signal`, engine.ts #lookUp) starts no listing other look-ups would share: it searches its invoice', async () => {
    const t = target();
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 0 } },
      { path: /vendor_code%7EBIG&/, status: 401, body: '<web_service_result><errorList><error><errorCode>UNAUTHORIZED</errorCode><errorMessage>no</errorMessage></error></errorList></web_service_result>' },
    );
    await expect(t.prepareLookups([keys[0]!, keys[1]!, { vendor: 'BIG', number: 'B1' }, { vendor: 'BIG', number: 'B2' }])).rejects.toMatchObject({ name: 'AuthError' });
    api.script({ path: /invoice_number%7EB2/, body: { total_record_count: 1, invoice: [inv('22', 'B2', 'BIG')] } });
    const signal = new AbortController().signal;
    expect((await t.findInvoices({ vendor: 'BIG', number: 'B2' }, { fresh: false, signal })).map((r) => r.id)).toEqual(['22']);
    expect(api.log().slice(-1)).toEqual(['GET /almaws/v1/acq/invoices/?q=invoice_number%7EB2&limit=100&offset=0&view=brief']);
    expect(api.log().filter((l) => l.includes('vendor_code%7EBIG'))).toHaveLength(1);
    api.agent.assertNoPendingInterceptors();
  });

  it("leaves out entries of another vendor that the word match on vendor_code brings (GOBI-UK for GOBI), and counts their pages", async () => {
    const t = target();
    // `~` matches words (docs/alma.md#look-ups-and-how-fresh-they-are): ACME-UK's and UK ACME's
    // invoices come back with ACME's, one of them with a number of the batch.
    api.script({ path: /vendor_code%7EACME&/, body: { total_record_count: 3, invoice: [inv('91', 'A1', 'ACME-UK'), inv('92', 'A2', 'UK ACME'), inv('12', 'A2', 'ACME')] } });
    await t.prepareLookups([keys[0]!, keys[1]!]);
    expect(await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).toEqual([]);
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).map((f) => [f.id, f.vendor])).toEqual([['12', 'ACME']]);
    expect(api.log()).toEqual(['GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief']);
    api.agent.assertNoPendingInterceptors();
  });

  it('the cost of reading a vendor counts the pages of its search, other vendors\' entries included', async () => {
    const t = target();
    // 250 entries for vendor_code~ACME (most of them ACME-UK's): 3 pages, more than searching 2 invoices
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 250, invoice: Array.from({ length: 100 }, (_, i) => inv(`8${i}`, `U-${i}`, 'ACME-UK')) } },
      { path: /invoice_number%7EA1&/, body: { total_record_count: 0 } },
    );
    await t.prepareLookups([keys[0]!, keys[1]!]);
    expect(t.readCost!('ACME', 2)).toBe(2);
    expect(t.readCost!('ACME', 5)).toBe(3);
    expect(await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).toEqual([]);
    expect(api.log().filter((l) => l.includes('vendor_code'))).toHaveLength(1);
  });

  it("an entry without a vendor code is read by its id when the batch names its number; one it does not name is left to a search", async () => {
    const t = target();
    const noVendor = (id: string, number: string) => ({ ...inv(id, number, 'ACME'), vendor: undefined });
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 3, invoice: [noVendor('12', 'A2'), noVendor('13', 'A1'), noVendor('14', 'OLD-7')] } },
      { path: /^\/almaws\/v1\/acq\/invoices\/12\?view=brief$/, body: inv('12', 'A2', 'ACME') },
      // A1's entry is another vendor's (the word match): not ACME's A1
      { path: /^\/almaws\/v1\/acq\/invoices\/13\?view=brief$/, body: inv('13', 'A1', 'ACME-UK') },
    );
    await t.prepareLookups([keys[0]!, keys[1]!]);
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).map((f) => [f.id, f.vendor])).toEqual([['12', 'ACME']]);
    expect(await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).toEqual([]);
    expect(api.log()).toHaveLength(3);
    api.script(
      { path: /invoice_number%7EOLD-7&/, body: { total_record_count: 1, invoice: [noVendor('14', 'OLD-7')] } },
      { path: /^\/almaws\/v1\/acq\/invoices\/14\?view=brief$/, body: inv('14', 'OLD-7', 'ACME') },
    );
    expect((await t.findInvoices({ vendor: 'ACME', number: 'OLD-7' }, { fresh: false })).map((f) => f.id)).toEqual(['14']);
    api.agent.assertNoPendingInterceptors();
  });

  it('treats a vendor whose search finds nothing ({"total_record_count": 0}, or 412400) as having no invoices', async () => {
    const t = target();
    api.script(
      { path: /vendor_code%7EACME&/, body: { total_record_count: 0 } },
      { path: /vendor_code%7EBIG&/, status: 400, body: almaError('412400', 'Invoice not found.') },
    );
    await t.prepareLookups([keys[0]!, keys[1]!, keys[3]!, keys[4]!]);
    expect(await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).toEqual([]);
    expect(await t.findInvoices({ vendor: 'BIG', number: 'B1' }, { fresh: false })).toEqual([]);
    expect(api.log()).toHaveLength(2);
  });

  it("takes no absence from 412400 in Alma's error document under a 200: each invoice is searched instead", async () => {
    const t = target();
    api.script(
      { path: /vendor_code/, body: almaError('412400', 'Invoice not found.') },
      { path: /invoice_number%7EA1/, body: { total_record_count: 1, invoice: [inv('11', 'A1', 'ACME')] } },
    );
    await t.prepareLookups(keys.slice(0, 2));
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A1' }, { fresh: false })).map((f) => f.id)).toEqual(['11']);
    api.agent.assertNoPendingInterceptors();
  });

  it('does not trust a listing with an entry it cannot read, and searches instead', async () => {
    const t = target();
    api.script(
      { path: /vendor_code/, body: { total_record_count: 2, invoice: [inv('11', 'A1', 'ACME'), { number: 'A2' }] } },
      { path: /invoice_number%7EA2/, body: { total_record_count: 1, invoice: [inv('12', 'A2', 'ACME')] } },
    );
    await t.prepareLookups(keys.slice(0, 2));
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).map((f) => f.id)).toEqual(['12']);
    api.agent.assertNoPendingInterceptors();
  });

  it('does not trust a listing that moved while it was paged (an invoice on two pages), and searches instead', async () => {
    const t = target();
    // 150 invoices; before page 2 was read, invoice 99 (A2, on page 2 by then) moved to the top
    // (someone changed it, and the listing is sorted by that): page 2 starts with page 1's last
    // entry again, and A2 is on no page read.
    const page1 = [inv('11', 'A1', 'ACME'), ...noise(99, 100)];
    api.script(
      { path: /limit=100&offset=0&q=vendor_code%7EACME&/, body: { total_record_count: 150, invoice: page1 } },
      { path: /limit=100&offset=100&q=vendor_code%7EACME&/, body: { total_record_count: 150, invoice: [page1[99], ...noise(49, 300)] } },
      { path: /invoice_number%7EA2/, body: { total_record_count: 1, invoice: [inv('12', 'A2', 'ACME')] } },
    );
    await t.prepareLookups(keys.slice(0, 2));
    expect((await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).map((f) => f.id)).toEqual(['12']);
    api.agent.assertNoPendingInterceptors();
  });

  it('falls back to searching when a listing fails, but lets an auth failure through', async () => {
    const t = target();
    api.script({ status: 400, body: almaError('402119', 'General error.') });
    await expect(t.prepareLookups(keys.slice(0, 2))).resolves.toBeUndefined();
    api.script({ status: 401, body: '<web_service_result><errorList><error><errorCode>UNAUTHORIZED</errorCode><errorMessage>no</errorMessage></error></errorList></web_service_result>' });
    await expect(t.prepareLookups(keys.slice(3, 5))).rejects.toMatchObject({ name: 'AuthError' });
  });
});

describe('prepareLookups: a vendor listing whose count and pages disagree is not trusted, and the invoices are searched', () => {
  const two = [{ vendor: 'ACME', number: 'A1' }, { vendor: 'ACME', number: 'A2' }];
  const listing = (offset: number) => new RegExp(`limit=100&offset=${offset}&q=vendor_code%7EACME&`);
  const searchA2 = { path: /invoice_number%7EA2/, body: { total_record_count: 1, invoice: [inv('12', 'A2', 'ACME')] } };
  const a2 = async (t: ReturnType<typeof target>) => (await t.findInvoices({ vendor: 'ACME', number: 'A2' }, { fresh: false })).map((f) => f.id);

  it('a total smaller than the entries of a full first page: the rest is not read as absent', async () => {
    const t = target();
    api.script({ path: listing(0), body: { total_record_count: 3, invoice: [inv('11', 'A1', 'ACME'), ...noise(99)] } }, searchA2);
    await t.prepareLookups(two);
    expect(await a2(t)).toEqual(['12']);
    expect(api.log().filter((l) => l.includes('vendor_code'))).toEqual(['GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief']);
    api.agent.assertNoPendingInterceptors();
  });

  it('a full page that reaches the total is followed by one more request, and entries there fail the listing', async () => {
    const t = target();
    api.script(
      { path: listing(0), body: { total_record_count: 100, invoice: [inv('11', 'A1', 'ACME'), ...noise(99)] } },
      { path: listing(100), body: { total_record_count: 100, invoice: noise(50, 200) } },
      searchA2,
    );
    await t.prepareLookups(two);
    expect(await a2(t)).toEqual(['12']);
    api.agent.assertNoPendingInterceptors();
  });

  it('a page shorter than the limit before the total is reached ends the read: the listing is not trusted', async () => {
    const t = target();
    api.script(
      { path: listing(0), body: { total_record_count: 150, invoice: [inv('11', 'A1', 'ACME'), ...noise(99)] } },
      { path: listing(100), body: { total_record_count: 150, invoice: noise(20, 200) } },
      // read on, the count would agree, and A2 (that a search finds) would be taken as absent
      { path: listing(120), body: { total_record_count: 150, invoice: noise(30, 300) } },
      searchA2,
    );
    await t.prepareLookups(two);
    expect(await a2(t)).toEqual(['12']);
    expect(api.log().filter((l) => l.includes('vendor_code'))).toEqual([
      'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief',
      'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=100&view=brief',
    ]);
  });

  it('a full last page and an empty one after it: trusted, at the price of that one request', async () => {
    const t = target();
    api.script(
      { path: listing(0), body: { total_record_count: 100, invoice: [inv('11', 'A1', 'ACME'), ...noise(99)] } },
      { path: listing(100), body: { total_record_count: 100 } },
    );
    await t.prepareLookups(two);
    expect(await a2(t)).toEqual([]);
    expect(api.log()).toEqual(['GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief', 'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=100&view=brief']);
    api.agent.assertNoPendingInterceptors();
  });

  it('counts that request in the choice: 200 invoices cost 3 requests, more than searching 2', async () => {
    const t = target();
    api.script({ path: listing(0), body: { total_record_count: 200, invoice: noise(100) } }, searchA2);
    await t.prepareLookups(two);
    expect(await a2(t)).toEqual(['12']);
    expect(api.log().filter((l) => l.includes('vendor_code'))).toHaveLength(1);
  });
});

describe('readInvoices: many invoices of a vendor in one listing, when that is cheaper', () => {
  const processed = (id: string, number: string, vendor: string) => ({
    ...inv(id, number, vendor),
    invoice_workflow_status: { value: 'Waiting to be Sent', desc: 'Ready to be paid' },
  });

  it('costs the listing pages once prepare has read them, else one read an invoice', async () => {
    const t = target();
    api.script({ path: /vendor_code%7EACME&/, body: { total_record_count: 150, invoice: noise(100) } }, { path: /vendor_code%7EACME&/, body: { total_record_count: 150, invoice: noise(50, 100) } });
    await t.prepareLookups([{ vendor: 'ACME', number: 'A1' }, { vendor: 'ACME', number: 'A2' }, { vendor: 'ACME', number: 'A3' }]);
    expect(t.readCost!('ACME', 5)).toBe(2);
    expect(t.readCost!('ACME', 1)).toBe(1);
    expect(t.readCost!('OTHER', 5)).toBe(5);
  });

  it('reads the listing for a vendor worth it, leaves out what it does not show, and reads others one by one', async () => {
    const t = target();
    api.script({ path: /vendor_code%7EACME&/, body: { total_record_count: 1, invoice: [inv('11', 'A1', 'ACME')] } });
    await t.prepareLookups([{ vendor: 'ACME', number: 'A1' }, { vendor: 'ACME', number: 'A2' }]);
    api.script(
      { path: /limit=100&offset=0&q=vendor_code%7EACME&/, body: { total_record_count: 3, invoice: [processed('11', 'A1', 'ACME'), inv('12', 'A2', 'ACME'), inv('10', 'OLD', 'ACME')] } },
      { path: /^\/almaws\/v1\/acq\/invoices\/21\?view=brief$/, body: processed('21', 'S1', 'SOLO') },
    );
    const got = await t.readInvoices!([
      { id: '11', key: { vendor: 'ACME', number: 'A1' } },
      { id: '12', key: { vendor: 'ACME', number: 'A2' } },
      { id: '13', key: { vendor: 'ACME', number: 'A3' } },
      { id: '21', key: { vendor: 'SOLO', number: 'S1' } },
    ]);
    expect([...got.keys()].sort()).toEqual(['11', '12', '21']);
    expect(got.get('11')).toMatchObject({ processed: true, workflowStatus: 'Waiting to be Sent' });
    expect(got.get('12')).toMatchObject({ processed: false });
    expect(api.log().slice(1).sort()).toEqual(['GET /almaws/v1/acq/invoices/21?view=brief', 'GET /almaws/v1/acq/invoices/?q=vendor_code%7EACME&limit=100&offset=0&view=brief']);
    api.agent.assertNoPendingInterceptors();
  });
});

describe('readAllPages: a listing cut short fails instead of hiding what exists', () => {
  const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `L${from + i}`, number: String(from + i) }));

  it('a page without items while total_record_count says more are left is an unreadable answer, naming the request', async () => {
    const t = target();
    api.script(
      { path: /offset=0/, body: { total_record_count: 150, invoice: noise(100) } },
      // the rest under a key the loader does not read: INV-1 may be among them
      { path: /offset=100/, body: { total_record_count: 150, results: [inv('4', 'INV-1', 'ACME'), ...noise(49, 100)] } },
    );
    const err = await t.findInvoices({ vendor: 'ACME', number: 'INV-1' }, { fresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'BAD_RESPONSE',
      message: 'GET /acq/invoices/?q=invoice_number~INV-1: the page at offset 100 has no "invoice" entries, but total_record_count is 150 and 100 were read',
    });
    expect(api.log()).toHaveLength(2);
    api.agent.assertNoPendingInterceptors();
  });

  it("an invoice's lines under another key fail the listing: the lines it holds are not taken as absent (and sent again)", async () => {
    const t = target();
    api.script({ path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=0', body: { total_record_count: 2, lines: lines(1, 2) } });
    await expect(t.listLines('77')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringMatching(/has no "invoice_line" entries, but total_record_count is 2 and 0 were read$/) });
    api.agent.assertNoPendingInterceptors();
  });

  // However a list is named in an answer (docs/alma.md#how-a-list-is-named-note-or-notes-alert-or-alerts):
  // read by the item's name only, a wrapped list was a failed listing, or with no usable total
  // (`""`) an empty one — its lines taken as absent and sent again.
  it.each<[string, number | string, { [k: string]: unknown }]>([
    ['an array under the item name', 2, { invoice_line: lines(1, 2) }],
    ['one object under the item name', 1, { invoice_line: lines(1, 1)[0] }],
    ['an array under the list name', 2, { invoice_lines: lines(1, 2) }],
    ['the items inside the list name, as a full invoice has them', 2, { invoice_lines: { invoice_line: lines(1, 2) } }],
    ['one object inside the list name', 1, { invoice_lines: { invoice_line: lines(1, 1)[0] } }],
    ['the items inside the list name, without a usable total', '', { invoice_lines: { invoice_line: lines(1, 2) } }],
  ])("reads a page's items however the list is named: %s", async (_name, total, shape) => {
    const t = target();
    const n = typeof total === 'number' ? total : 2;
    api.script({ path: /lines\?limit=100&offset=0$/, body: { total_record_count: total, ...shape } });
    if (total === '') api.script({ path: new RegExp(`lines\\?limit=100&offset=${n}$`), body: { total_record_count: '' } });
    expect((await t.listLines('77')).map((l) => l.number)).toEqual(lines(1, n).map((l) => l.number));
    api.agent.assertNoPendingInterceptors();
  });

  it('without a usable total, pages on past a short page (a server that gives 10 a page) to an empty one', async () => {
    const t = target();
    api.script(
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=0', body: { total_record_count: '', invoice_line: lines(1, 10) } },
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=10', body: { invoice_line: lines(11, 5) } },
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=15', body: { total_record_count: '' } },
    );
    const got = await t.listLines('77');
    expect(got.map((l) => l.number)).toEqual(lines(1, 15).map((l) => l.number));
    expect(api.log()).toHaveLength(3);
    api.agent.assertNoPendingInterceptors();
  });

  it('without a usable total, a page that repeats the one before (offset not applied) fails instead of paging forever', async () => {
    const t = target();
    const page = { invoice_line: lines(1, 3) };
    api.script({ path: /lines\?limit=100&offset=0$/, body: page }, { path: /lines\?limit=100&offset=3$/, body: page });
    await expect(t.listLines('77')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringMatching(/the page at offset 3 repeats the one before it/) });
    expect(api.log()).toHaveLength(2);
    api.agent.assertNoPendingInterceptors();
  });

  it('with a known total, a page that repeats the one before fails instead of reaching the total with entries counted twice', async () => {
    const t = target();
    // 150 lines; the server ignores the offset: the total is reached with lines 1-100 twice, 101-150 unread
    const page = { total_record_count: 150, invoice_line: lines(1, 100) };
    api.script({ path: /lines\?limit=100&offset=0$/, body: page }, { path: /lines\?limit=100&offset=100$/, body: page });
    await expect(t.listLines('77')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: 'GET /acq/invoices/77/lines: the page at offset 100 repeats the one before it (offset not applied), so the list cannot be read whole' });
    expect(api.log()).toHaveLength(2);
    api.agent.assertNoPendingInterceptors();
  });

  it('pages of lines listed without ids (sample 04 has none) are told apart by their text', async () => {
    const t = target();
    const numbered = (from: number, n: number) => lines(from, n).map((l) => ({ number: l.number }));
    api.script(
      { path: /offset=0$/, body: { total_record_count: 200, invoice_line: numbered(1, 100) } },
      { path: /offset=100$/, body: { total_record_count: 200, invoice_line: numbered(101, 100) } },
    );
    expect(await t.listLines('77')).toHaveLength(200);
    api.agent.assertNoPendingInterceptors();
  });

  it('a known total and full pages cost no request more than the pages', async () => {
    const t = target();
    api.script(
      { path: /offset=0$/, body: { total_record_count: 200, invoice_line: lines(1, 100) } },
      { path: /offset=100$/, body: { total_record_count: 200, invoice_line: lines(101, 100) } },
    );
    expect(await t.listLines('77')).toHaveLength(200);
    expect(api.log()).toHaveLength(2);
    api.agent.assertNoPendingInterceptors();
  });
});
