import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { ApiError, AuthError, UnknownOutcomeError } from '../../../src/common/errors.js';
import { parseJson, stringifyJson, type JsonValue } from '../../../src/common/json.js';
import { createAlmaTarget } from '../../../src/targets/alma/target.js';
import { credentialFingerprint } from '../../../src/common/fingerprint.js';
import { invoicePayload, linePayload } from '../../../src/targets/alma/payload.js';
import type { TargetEvent } from '../../../src/targets/target.js';
import { ORIGIN, UNAUTHORIZED_XML, almaError, almaServerError, mockApi } from '../helpers/mock-api.js';
import { fullInvoice, invoice } from './fixtures.js';
import { hasSample, samplePath } from '../../helpers/samples.js';


let api: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await api?.agent.close();
  api = undefined;
});

function target(apiKey = 'k', events: TargetEvent[] = []) {
  const m = mockApi();
  api = m;
  return createAlmaTarget({ apiKey, baseUrl: ORIGIN, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0, onEvent: (e) => events.push(e) });
}

describe('createAlmaTarget', () => {
  it('identifies itself by name, origin and the fingerprint of its key, never the key', () => {
    const t = target('SECRET');
    expect(t.name).toBe('alma');
    expect(t.endpoint).toBe(`${ORIGIN}#key-${credentialFingerprint('SECRET')}`);
    expect(t.endpoint).not.toContain('SECRET');
    expect(createAlmaTarget({ apiKey: 'k', region: 'cn' }).endpoint).toBe(`https://api-cn.hosted.exlibrisgroup.com.cn#key-${credentialFingerprint('k')}`);
  });

  it('creates an invoice with the payload body and reads the answer', async () => {
    const t = target();
    const inv = fullInvoice();
    api!.script({
      method: 'POST',
      path: '/almaws/v1/acq/invoices',
      body: { id: '15334101100001021', number: 'INV-2026/001', vendor: { value: 'ACME' }, total_amount: '1234.10', invoice_workflow_status: { value: 'InReview' } },
    });
    const remote = await t.createInvoice(inv);
    expect(api!.calls()[0]?.body).toBe(stringifyJson(invoicePayload(inv)));
    expect(remote).toEqual({
      id: '15334101100001021', // beyond 2^53: kept as text
      number: 'INV-2026/001',
      vendor: 'ACME',
      workflowStatus: 'InReview',
      approvalStatus: undefined,
      alerts: [],
      totalAmount: '1234.10',
      lineCount: undefined,
      processed: false,
      inReview: true,
      // The answer itself, for the canary's first comparison (Target.answerDifferences).
      answer: { id: '15334101100001021', number: 'INV-2026/001', vendor: { value: 'ACME' }, total_amount: '1234.10', invoice_workflow_status: { value: 'InReview' } },
    });
  });

  it('treats a create answered without an id as an unknown outcome', async () => {
    const t = target();
    api!.script({ method: 'POST', body: { number: 'A-1' } });
    await expect(t.createInvoice(invoice('A-1'))).rejects.toBeInstanceOf(UnknownOutcomeError);
  });

  it('adds a line with its explicit number', async () => {
    const t = target();
    const inv = fullInvoice();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: { id: '501', number: '1', type: { value: 'REGULAR' } } });
    await expect(t.addLine('77', inv.lines[0]!, inv)).resolves.toEqual({ id: '501', number: '1', answer: { id: '501', number: '1', type: { value: 'REGULAR' } } });
    expect(api!.calls()[0]?.body).toBe(stringifyJson(linePayload(inv.lines[0]!)));
  });

  it('a line answered or listed without an id is there, found by its number (its id from its link, or unknown), never absent', async () => {
    const t = target();
    const inv = fullInvoice();
    api!.script(
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: { number: '1', price: 10 } },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: { link: 'https://api/almaws/v1/acq/invoices/77/lines/502', number: '2' } },
      {
        path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=0',
        body: { total_record_count: 3, invoice_line: [{ number: '1' }, { link: 'https://api/almaws/v1/acq/invoices/77/lines/502/', number: '2' }, { link: 'string', number: '10' }] },
      },
    );
    await expect(t.addLine('77', inv.lines[0]!, inv)).resolves.toMatchObject({ id: '', number: '1' });
    await expect(t.addLine('77', inv.lines[0]!, inv)).resolves.toMatchObject({ id: '502', number: '2' });
    expect((await t.listLines('77')).map((l) => [l.id, l.number])).toEqual([['', '1'], ['502', '2'], ['', '10']]);
  });

  it('a line answered with neither id nor number is an unknown outcome (settled by listing the lines)', async () => {
    const t = target();
    const inv = fullInvoice();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: { price: 10 } });
    await expect(t.addLine('77', inv.lines[0]!, inv)).rejects.toBeInstanceOf(UnknownOutcomeError);
  });

  it('a process request answered 2xx without the invoice (empty, 204, {}) was accepted: its outcome is read, it is not sent again', async () => {
    const t = target();
    const path = '/almaws/v1/acq/invoices/77?op=process_invoice';
    api!.script({ method: 'POST', path, status: 204, body: '' }, { method: 'POST', path, body: '' }, { method: 'POST', path, body: {} });
    for (let i = 0; i < 3; i++) await expect(t.processInvoice('77')).resolves.toMatchObject({ id: '77', processed: false, alerts: [] });
    // Not JSON at all (a proxy's page?): whether Alma took it is unknown, and settled as such.
    api!.script({ method: 'POST', path, body: '<html>gateway</html>', headers: { 'content-type': 'text/html' } });
    await expect(t.processInvoice('77')).rejects.toBeInstanceOf(UnknownOutcomeError);
    api!.agent.assertNoPendingInterceptors();
  });

  it("a write answered 2xx with Alma's error document (errorsExist) is refused as its 4xx twin, with Alma's code, message and tracking id; a process so answered is not accepted, nothing sent again", async () => {
    // A key no message contains: every field the server wrote is masked for it.
    const t = target('l7xx-test-key');
    const inv = fullInvoice();
    api!.script(
      { method: 'POST', path: '/almaws/v1/acq/invoices/77?op=process_invoice', body: almaError('60260', 'Failed to start invoice process and workflow.', 'E01-PROC') },
      { method: 'POST', path: '/almaws/v1/acq/invoices', body: almaError('60256', 'Invoice not created.', 'E01-CREATE') },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: almaServerError('60255', 'Invoice line not created.', 'E01-LINE') },
    );
    const outcome = (p: Promise<unknown>) => p.catch((x: unknown) => x);
    const processed = await outcome(t.processInvoice('77'));
    expect(processed).toBeInstanceOf(ApiError);
    expect(processed).toMatchObject({ name: 'ApiError', httpStatus: 200, inSuccess: true, code: '60260', trackingId: 'E01-PROC' });
    expect((processed as Error).message).toContain('Failed to start invoice process and workflow.');
    await expect(t.createInvoice(inv)).rejects.toMatchObject({ name: 'ApiError', code: '60256', trackingId: 'E01-CREATE' });
    await expect(t.addLine('77', inv.lines[0]!, inv)).rejects.toMatchObject({ name: 'ApiError', code: '60255', trackingId: 'E01-LINE' });
    expect(api!.calls()).toHaveLength(3);
  });

  it("a write answered 2xx with Alma's error document without a code is an unknown outcome (nothing proves nothing was done), sent once; a read so answered fails", async () => {
    const t = target();
    const inv = fullInvoice();
    const bare = { errorsExist: true };
    api!.script(
      { method: 'POST', path: '/almaws/v1/acq/invoices', body: bare },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: { web_service_result: { errorsExist: 'true', errorList: { error: [] } } } },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77?op=process_invoice', body: bare },
    );
    for (const p of [t.createInvoice(inv), t.addLine('77', inv.lines[0]!, inv), t.processInvoice('77')]) {
      const err = await p.catch((x: unknown) => x);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', inSuccess: false });
    }
    expect(api!.calls()).toHaveLength(3);
    api!.script({ method: 'GET', body: bare });
    const read = await t.listLines('77').catch((x: unknown) => x);
    expect(read).toBeInstanceOf(ApiError);
    expect(read).not.toBeInstanceOf(UnknownOutcomeError);
    api!.agent.assertNoPendingInterceptors();
  });

  it("a write answered 2xx with an error document whose own code is BAD_RESPONSE is refused by that code, not read as one without a code", async () => {
    // The transport's name for an unreadable answer is a string a server may send too: a document
    // that carries it has a code, so it refuses the write as any coded one does (docs/alma.md#errors-error-codes-and-alerts).
    const t = target();
    const inv = fullInvoice();
    api!.script(
      { method: 'POST', path: '/almaws/v1/acq/invoices', body: almaError('BAD_RESPONSE', 'Bad request body.', 'E01-BR') },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: almaServerError('BAD_RESPONSE', 'Bad line.', 'E01-BRL') },
    );
    for (const p of [t.createInvoice(inv), t.addLine('77', inv.lines[0]!, inv)]) {
      const err = await p.catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).not.toBeInstanceOf(UnknownOutcomeError);
      expect(err).toMatchObject({ httpStatus: 200, code: 'BAD_RESPONSE', inSuccess: true, trackingId: expect.stringMatching(/^E01-BR/) });
    }
    expect(api!.calls()).toHaveLength(2);
    api!.agent.assertNoPendingInterceptors();
  });

  it("a create answered 200 with Alma's 60288 (the number exists) is the duplicate refusal its 4xx twin is, sent once", async () => {
    const t = target();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices', body: almaError('60288', 'Invoice number INV-2026/001 already exists for vendor ACME.', 'E01-DUP') });
    const err = await t.createInvoice(fullInvoice()).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnknownOutcomeError);
    expect(t.isDuplicateRefusal!(err as ApiError)).toBe(true);
    expect(api!.calls()).toHaveLength(1);
  });

  it('lists lines across pages', async () => {
    const t = target();
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `L${from + i}`, number: String(from + i) }));
    api!.script(
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=0', body: { total_record_count: 120, invoice_line: lines(1, 100) } },
      { path: '/almaws/v1/acq/invoices/77/lines?limit=100&offset=100', body: { total_record_count: 120, invoice_line: lines(101, 20) } },
      { path: '/almaws/v1/acq/invoices/78/lines?limit=100&offset=0', body: { total_record_count: 0 } },
    );
    const got = await t.listLines('77');
    expect(got).toHaveLength(120);
    expect(got[119]).toMatchObject({ id: 'L120', number: '120', held: { id: 'L120', number: '120' } });
    await expect(t.listLines('78')).resolves.toEqual([]);
    api!.agent.assertNoPendingInterceptors();
  });

  it.skipIf(!hasSample('01_invoice_get_full_waiting_to_be_sent_mit.json'))('processes with op=process_invoice and an empty object, and maps alerts', async () => {
    const t = target();
    const answer = readFileSync(samplePath('01_invoice_get_full_waiting_to_be_sent_mit.json'), 'utf8');
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/00000055555000000?op=process_invoice', body: answer });
    const remote = await t.processInvoice('00000055555000000');
    expect(api!.calls()[0]?.body).toBe('{}');
    expect(remote).toMatchObject({
      id: '00000055555000000',
      number: '123456',
      vendor: 'BKHS',
      workflowStatus: 'Waiting to be Sent',
      approvalStatus: 'APPROVED',
      totalAmount: '4056.07',
      lineCount: 14,
      processed: true,
      inReview: false,
    });
    expect(remote.alerts).toHaveLength(5);
    expect(remote.alerts[4]).toEqual({ code: 'NOT_LINKED_LINES', description: 'Lines not linked' });
  });

  it.skipIf(!hasSample('03_invoice_exl_doc_sample_inreview_mit.json'))('reads an invoice brief: In Review with alerts has been processed and went to review', async () => {
    const t = target();
    api!.script({ path: '/almaws/v1/acq/invoices/558809630001021?view=brief', body: readFileSync(samplePath('03_invoice_exl_doc_sample_inreview_mit.json'), 'utf8') });
    await expect(t.getInvoice('558809630001021')).resolves.toMatchObject({
      workflowStatus: 'InReview',
      alerts: [{ code: 'NOT_READY_LINES', description: 'string' }],
      lineCount: 5,
      processed: true,
      inReview: true,
    });
  });

  it('reads alerts under the wrapper name (`alerts: [...]`): an invoice In Review with alerts has been processed', async () => {
    const t = target();
    api!.script({
      path: '/almaws/v1/acq/invoices/77?view=brief',
      body: { id: '77', number: 'A-1', invoice_workflow_status: { value: 'InReview' }, alerts: [{ value: 'NOT_LINKED_LINES', desc: 'Lines not linked' }] },
    });
    await expect(t.getInvoice('77')).resolves.toMatchObject({ alerts: [{ code: 'NOT_LINKED_LINES', description: 'Lines not linked' }], processed: true, inReview: true });
  });

  it('reads back an invoice whose lists are wrapped as XML has them (notes.note, invoice_lines as a plain array): no difference, no line list read', async () => {
    const t = target();
    const inv = fullInvoice();
    const { notes, ...rest } = parseJson(stringifyJson(invoicePayload(inv))) as { [k: string]: JsonValue };
    const lines = inv.lines.map((l) => parseJson(stringifyJson(linePayload(l))));
    api!.script({ path: '/almaws/v1/acq/invoices/77', body: { ...rest, id: '77', notes: { note: notes! }, invoice_lines: lines } });
    await expect(t.readBack!('77', inv)).resolves.toEqual([]);
    expect(api!.log()).toEqual(['GET /almaws/v1/acq/invoices/77']);
  });

  it('counts every request, retries included, and offers the payloads', async () => {
    const t = target();
    api!.script({ status: 503 }, { body: { id: '1', invoice_workflow_status: { value: 'InReview' } } });
    await t.getInvoice('1');
    expect(t.requestCount()).toBe(2);
    const inv = fullInvoice();
    expect(t.payloads(inv)).toEqual({ invoice: invoicePayload(inv), lines: inv.lines.map(linePayload) });
  });
});

describe("the canary's comparison on the answers to its own writes", () => {
  type Obj = { [k: string]: JsonValue };
  const asAnswer = (body: unknown, extra: Obj): Obj => ({ ...(parseJson(stringifyJson(body)) as Obj), ...extra });

  /** Creates the full invoice and adds its first line against scripted answers; returns both answers. */
  async function written(invoiceAnswer: (sent: Obj) => Obj, lineAnswer: (sent: Obj) => Obj) {
    const t = target();
    const inv = fullInvoice();
    const line = inv.lines[0]!;
    api!.script(
      { method: 'POST', path: '/almaws/v1/acq/invoices', body: invoiceAnswer(asAnswer(invoicePayload(inv), { id: '77' })) },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: lineAnswer(asAnswer(linePayload(line), { id: '501' })) },
    );
    const created = await t.createInvoice(inv);
    const added = await t.addLine('77', line, inv);
    return t.answerDifferences!(inv, created.answer!, new Map([[line.number, added.answer!]]));
  }

  it('answers that show every field as sent (the note under `note`, as real answers name it) are no difference', async () => {
    const diffs = await written(
      ({ notes, ...rest }) => ({ ...rest, note: notes!, currency: { value: 'EUR', desc: 'Euro' } }),
      (l) => l,
    );
    expect(diffs).toEqual([]);
  });

  it('an answer without the note, or with another price, names the field', async () => {
    expect(await written(({ notes: _dropped, ...rest }) => rest, (l) => l)).toEqual([expect.objectContaining({ field: 'note', stored: 'nothing' })]);
    const line = fullInvoice().lines[0]!.number;
    expect(await written((a) => a, (l) => ({ ...l, price: '0.01' }))).toEqual([expect.objectContaining({ field: `line ${line} price`, stored: '"0.01"' })]);
  });
});

describe('a create refused because the number is taken', () => {
  it.each([
    [400, '60288', 'Invoice number not unique in payload', true],
    // Which code real Alma sends is not documented: the words say it too.
    [400, '402119', 'Invoice number G-1 already exists for vendor GOBI', true],
    [400, '40166411', 'Duplicate invoice number', true],
    [400, '60237', 'Invoice vendor account not valid', false],
    [500, '60288', 'Invoice number not unique in payload', false],
    // The OAS gives no status per code: an implementation may refuse with 409 or 422.
    [409, '60288', 'Invoice number not unique in payload', true],
    [422, 'CONFLICT', 'Invoice number already exists', true],
    [429, 'PER_SECOND_THRESHOLD', 'Invoice number already exists', false],
  ])('%i %s "%s": %s', (httpStatus, code, message, duplicate) => {
    expect(target().isDuplicateRefusal!(new ApiError({ httpStatus, code, message }))).toBe(duplicate);
  });
});

describe('the API key never leaks', () => {
  const KEY = 'l7xxRECOGNISABLE-KEY-4f2a';

  const leaks = (value: unknown): boolean => {
    const seen = [JSON.stringify(value), inspect(value, { depth: 10, showHidden: true }), String(value)];
    if (value instanceof Error) seen.push(value.message, String(value.stack), inspect(value.cause, { depth: 10 }));
    return seen.some((s) => s.includes(KEY));
  };

  it('in errors, causes, events, or the target itself', async () => {
    const events: TargetEvent[] = [];
    const t = target(`  ${KEY}\n`, events);
    api!.script(
      // Alma echoing the key in a message, a transport error that mentions it, an XML 401, a 500 on a POST
      { status: 400, body: almaError('401652', `Invalid API key ${KEY}`) },
      { error: 'ECONNRESET', errorMessage: `socket hang up (authorization: apikey ${KEY})` },
      { status: 401, body: UNAUTHORIZED_XML, headers: { 'content-type': 'application/xml' } },
      { status: 500, body: almaServerError('402119', `General error for ${KEY}`) },
    );
    const errors = [
      await t.getInvoice('1').catch((e: unknown) => e),
      await t.createInvoice(invoice('A')).catch((e: unknown) => e),
      await t.getInvoice('2').catch((e: unknown) => e),
      await t.processInvoice('3').catch((e: unknown) => e),
    ];
    expect(errors[0]).toBeInstanceOf(ApiError);
    expect((errors[0] as ApiError).message).toBe('Invalid API key ***');
    expect(errors[1]).toBeInstanceOf(UnknownOutcomeError);
    expect(errors[2]).toBeInstanceOf(AuthError);
    expect(errors[3]).toBeInstanceOf(UnknownOutcomeError);
    for (const e of errors) expect(leaks(e)).toBe(false);
    expect(events.length).toBeGreaterThan(0);
    expect(leaks(events)).toBe(false);
    expect(leaks(t)).toBe(false);
    // …while the key was really sent
    expect(api!.calls()[0]?.headers).toMatchObject({ authorization: `apikey ${KEY}` });
  });

  it("in Alma's error document answered 2xx (errorsExist) that echoes it in its code, message and tracking id, on a read or a write", async () => {
    const events: TargetEvent[] = [];
    const t = target(KEY, events);
    // A gateway echoing the Authorization header into every field of an error document under a 200.
    const echo = () => ({ errorsExist: true, errorList: { error: [{ errorCode: `401652 apikey ${KEY}`, errorMessage: `General Error: apikey ${KEY}`, trackingId: `E01-${KEY}` }] } });
    api!.script(
      { method: 'GET', body: echo() },
      { method: 'POST', path: '/almaws/v1/acq/invoices', body: echo() },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77/lines', body: echo() },
      { method: 'POST', path: '/almaws/v1/acq/invoices/77?op=process_invoice', body: echo() },
      { method: 'GET', body: echo() },
    );
    const inv = fullInvoice();
    const errors = [
      await t.findInvoices({ vendor: 'ACME', number: 'X' }, { fresh: true }).catch((e: unknown) => e),
      await t.createInvoice(inv).catch((e: unknown) => e),
      await t.addLine('77', inv.lines[0]!, inv).catch((e: unknown) => e),
      await t.processInvoice('77').catch((e: unknown) => e),
      await t.listLines('77').catch((e: unknown) => e),
    ];
    for (const e of errors) {
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toMatchObject({ httpStatus: 200, code: '401652 apikey ***', trackingId: 'E01-***', message: expect.stringContaining('General Error: apikey ***') });
      expect(leaks(e)).toBe(false);
    }
    expect(leaks(events)).toBe(false);
    api!.agent.assertNoPendingInterceptors();
  });

  it('is trimmed, and refused when empty', () => {
    expect(() => createAlmaTarget({ apiKey: ' \n', baseUrl: ORIGIN })).toThrow(/no Alma API key/);
  });
});

describe('attachments: a file Alma may hold already is looked for, never sent twice', () => {
  const PDF = Buffer.from('%PDF-1.4 the vendor invoice');
  const LIST = '/almaws/v1/acq/invoices/77/attachments?limit=100&offset=0';
  const ONE = (id: string) => `/almaws/v1/acq/invoices/77/attachments/${id}?expand=content`;
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const file = () => {
    dir = mkdtempSync(join(tmpdir(), 'alma-attach-'));
    const path = join(dir, 'a.pdf');
    writeFileSync(path, PDF);
    return { name: 'a.pdf', path };
  };
  const list = (...entries: unknown[]) => ({ attachment: entries, total_record_count: entries.length });

  it('an entry listed without its file name is read on its own (by its link, as Ex Libris\' example does): found there by name and size', async () => {
    const t = target();
    api!.script(
      { path: LIST, body: list({ id: '900', file_name: 'other.pdf', size: 5 }, { link: `${ORIGIN}/almaws/v1/acq/invoices/77/attachments/901` }) },
      { path: ONE('901'), body: { file_name: 'a.pdf', content: PDF.toString('base64') } },
    );
    await expect(t.attachments!.find('77', file())).resolves.toEqual({ id: '901', name: 'a.pdf', size: PDF.length });
    expect(api!.log()).toEqual([`GET ${LIST}`, `GET ${ONE('901')}`]);
  });

  it.each([
    ['says neither its name nor its id or link', [{ type: { value: 'PDF' } }], []],
    ['is not an object', ['a.pdf'], []],
    ['has an id, but reading it gives no name either', [{ id: '901' }], [{ path: ONE('901'), body: { id: '901', content: PDF.toString('base64') } }]],
  ])('an entry that %s may be this file: the outcome is unknown, nothing is sent', async (_, entries, more) => {
    const t = target();
    api!.script({ path: LIST, body: list({ id: '900', file_name: 'other.pdf', size: 5 }, ...entries) }, ...more);
    const err = await t.attachments!.find('77', file()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect((err as UnknownOutcomeError).message).toMatch(/attachment whose file name Alma does not give \(entry 2 of 2\), so whether a\.pdf is attached already cannot be told: it was not sent/);
    expect(api!.log().filter((l) => !l.startsWith('GET'))).toEqual([]);
  });

  it.each([
    ['its own answer has no content', [{ id: '901', file_name: 'a.pdf' }], [{ path: ONE('901'), body: { id: '901', file_name: 'a.pdf' } }], { id: '901', name: 'a.pdf', size: undefined, unmeasured: true }],
    ['it is listed without an id or link to read it by', [{ file_name: 'a.pdf' }], [], { id: '', name: 'a.pdf', size: undefined, unmeasured: true }],
    ['read on its own for its name, it comes without content', [{ id: '901' }], [{ path: ONE('901'), body: { id: '901', file_name: 'a.pdf' } }], { id: '901', name: 'a.pdf', size: undefined, unmeasured: true }],
  ])('an entry of this name whose size cannot be measured (%s) is taken as the file, marked unmeasured: never sent twice', async (_, entries, more, found) => {
    const t = target();
    api!.script({ path: LIST, body: list({ id: '900', file_name: 'other.pdf', size: 5 }, ...entries) }, ...more);
    await expect(t.attachments!.find('77', file())).resolves.toEqual(found);
    expect(api!.log().filter((l) => !l.startsWith('GET'))).toEqual([]);
  });

  it('an entry of this name and size is the file, even beside one whose size cannot be measured', async () => {
    const t = target();
    api!.script({ path: LIST, body: list({ file_name: 'a.pdf' }, { id: '902', file_name: 'a.pdf', size: PDF.length }) });
    await expect(t.attachments!.find('77', file())).resolves.toEqual({ id: '902', name: 'a.pdf', size: PDF.length });
  });

  it("an attachment answered 2xx with Alma's error document (errorsExist) is refused as its 4xx twin, keeping Alma's code and tracking id", async () => {
    const t = target();
    api!.script({ method: 'POST', path: '/almaws/v1/acq/invoices/77/attachments', body: almaError('60322', 'Attachment content could not be processed.', 'E01-ATT') });
    await expect(t.attachments!.add('77', file(), { vendor: 'V', number: '1' })).rejects.toMatchObject({ name: 'ApiError', inSuccess: true, code: '60322', trackingId: 'E01-ATT' });
  });

  it('an entry of another name, or of this name with another size, is another file: absent', async () => {
    const t = target();
    api!.script({ path: LIST, body: list({ id: '900', file_name: 'other.pdf' }, { id: '901', file_name: 'a.pdf', size: PDF.length + 1 }) });
    await expect(t.attachments!.find('77', file())).resolves.toBeUndefined();
  });
});

describe('createAlmaTarget: look-ups that get no answer (answers.ts)', () => {
  const timeouts = (n: number) => Array.from({ length: n }, () => ({ error: 'UND_ERR_HEADERS_TIMEOUT', errorMessage: 'Headers Timeout Error' }));

  it('in prepareLookups, before any answer: the run stops as unreachable (NO_ANSWER)', async () => {
    const t = target();
    api!.script(...timeouts(20));
    const err = await t.prepareLookups(['A-1', 'A-2', 'A-3'].map((n) => invoice(n).key)).then(() => undefined, (e: unknown) => e);
    expect((err as ApiError).code).toBe('NO_ANSWER');
  });

  it('a look-up after that round (after writes the look-ups do not hear, or in verify) stays one timeout', async () => {
    const t = target();
    api!.script(...timeouts(20));
    const err = await t.findInvoices(invoice('A-1').key, { fresh: true }).then(() => undefined, (e: unknown) => e);
    expect((err as ApiError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });
});
