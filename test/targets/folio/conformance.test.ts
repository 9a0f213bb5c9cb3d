/**
 * The FOLIO target against answers shaped as FOLIO's public schemas allow them
 * (folio-org/acq-models `invoice.json`, `invoice_collection.json`; docs/folio.md), where the
 * sandbox answers one way only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { unlimited } from '../../../src/transport/limiter.js';
import { documentIdOf, invoiceIdOf } from '../../../src/targets/folio/ids.js';
import { createFolioTarget, toRemoteInvoice } from '../../../src/targets/folio/target.js';
import { mockApi } from '../helpers/mock-api.js';
import { InvoiceGrouper } from '../../../src/domain/group.js';
import { FOLIO_PROFILE } from '../../../src/targets/folio/profile.js';
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

describe('FOLIO: the batch\'s files as the invoice\'s documents (mod-invoice /invoice/invoices/{id}/documents)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folio-docs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pdf = join(dir, 'C-1.pdf');
  writeFileSync(pdf, '%PDF-1.4 the vendor invoice');
  const [withFile] = folioInvoices([{ ...row('C-1'), attachment: pdf }]);
  const DOC = documentIdOf(ID, 'C-1.pdf');
  const data = Buffer.from('%PDF-1.4 the vendor invoice').toString('base64');

  it('adds each file with a POST of documentMetadata (a name-based id, the name, the invoice) and base64 contents', async () => {
    const { m, t } = target();
    expect(t.attachments!.files(withFile!)).toEqual([{ name: 'C-1.pdf', path: pdf }]);
    m.script({ method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 201, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID }, contents: { data } } });
    expect(await t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key)).toEqual({ id: DOC, name: 'C-1.pdf', size: 27 });
    const post = m.calls().find((c) => c.method === 'POST' && c.path.endsWith('/documents'));
    expect(JSON.parse(String(post?.body))).toEqual({ documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID }, contents: { data } });
  });

  it('sends the document as application/octet-stream, as mod-invoice reads that POST (a stream of bytes, not a JSON body)', async () => {
    const { m, t } = target();
    m.script({ method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 201, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID } } });
    await t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key);
    const post = m.calls().find((c) => c.method === 'POST' && c.path.endsWith('/documents'));
    const type = Object.entries((post?.headers ?? {}) as Record<string, string>).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    expect(type).toBe('application/octet-stream');
  });

  it('a file over 5 MiB is refused before anything is sent: mod-invoice refuses a documents body of 7 MB (the file in base64)', () => {
    const big = join(dir, 'big.pdf');
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024 + 1, 0x25));
    const g = new InvoiceGrouper({ rules: FOLIO_PROFILE.rules(dir) });
    g.add({ source: { file: join(dir, 'batch.csv'), row: 2 }, fields: { ...row('C-9'), attachment: 'big.pdf' } });
    const [out] = g.finish().invoices;
    expect(out!.invoice).toBeUndefined();
    expect(out!.problems).toMatchObject([{ code: 'attachment_unreadable', column: 'attachment', message: expect.stringMatching(/is 5242881 bytes; the loader sends files of at most 5242880 bytes/) }]);
  });

  it('a document already under the file\'s id with other contents (the file replaced since) is not taken for it: EXISTS_DIFFERENT, nothing more sent', async () => {
    const { m, t } = target();
    m.script(
      { method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 422, body: { errors: [{ message: `id value already exists in table documents: ${DOC}`, code: 'duplicateId' }] } },
      { method: 'GET', path: `/invoice/invoices/${ID}/documents/${DOC}`, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID }, contents: { data: Buffer.from('an older version').toString('base64') } } },
    );
    await expect(t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key)).rejects.toMatchObject({
      code: 'EXISTS_DIFFERENT',
      message: expect.stringMatching(/^FOLIO holds a document named C-1\.pdf on this invoice \(id .*\) of 16 bytes, and the file is 27 bytes: it was left as it is/),
    });
    expect(m.log().filter((l) => l.startsWith('POST /invoice'))).toHaveLength(1);
  });

  it('a document FOLIO answers under another id than the one sent is not taken for the file: IdNotKeptError (ID_NOT_KEPT) naming the document and both ids', async () => {
    const { m, t } = target();
    const theirs = '5d0c3a1e-0000-4000-8000-0000000000f1';
    m.script({ method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 201, body: { documentMetadata: { id: theirs, name: 'C-1.pdf', invoiceId: ID }, contents: { data } } });
    await expect(t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key)).rejects.toMatchObject({
      name: 'IdNotKeptError',
      code: 'ID_NOT_KEPT',
      sent: DOC,
      held: theirs,
      file: 'C-1.pdf',
      key: withFile!.key,
      message: expect.stringMatching(
        new RegExp(`^FOLIO did not keep the id invoice-load gave document C-1\\.pdf of invoice C-1 of vendor GOBI: it sent ${DOC}, FOLIO answered ${theirs}\\. .*The document was made in FOLIO as ${theirs} and is recorded under that id, so no run attaches it again`),
      ),
    });
    // The first document goes alone, and the gate closes: the next is not sent.
    await expect(t.attachments!.add(ID, { name: 'C-2.pdf', path: pdf }, withFile!.key)).rejects.toMatchObject({ code: 'ID_NOT_KEPT', held: theirs });
    expect(m.log().filter((l) => l.startsWith('POST /invoice'))).toHaveLength(1);
  });

  it('until an answer has shown FOLIO keeps a document\'s id, a lost answer is an unknown outcome, not sent again blindly; after it, a lost answer is sent again', async () => {
    const { m, t } = target();
    m.script(
      { method: 'POST', path: `/invoice/invoices/${ID}/documents`, error: 'ECONNRESET' },
      // What a blind second send would meet (and, on a FOLIO that assigns its own ids, a second document).
      { method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 201, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID } } },
    );
    await expect(t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key)).rejects.toMatchObject({ name: 'UnknownOutcomeError' });
    expect(m.log().filter((l) => l.startsWith('POST /invoice'))).toHaveLength(1);
    // The engine lists the invoice's documents by name (attachFiles) and, not there, sends it again: kept this time.
    expect(await t.attachments!.add(ID, { name: 'C-1.pdf', path: pdf }, withFile!.key)).toEqual({ id: DOC, name: 'C-1.pdf', size: 27 });
    // Shown kept: a document's lost answer is sent again as the invoices' and lines' are.
    const DOC2 = documentIdOf(ID, 'C-2.pdf');
    m.script(
      { method: 'POST', path: `/invoice/invoices/${ID}/documents`, error: 'ECONNRESET' },
      { method: 'POST', path: `/invoice/invoices/${ID}/documents`, status: 201, body: { documentMetadata: { id: DOC2, name: 'C-2.pdf', invoiceId: ID } } },
    );
    expect(await t.attachments!.add(ID, { name: 'C-2.pdf', path: pdf }, withFile!.key)).toEqual({ id: DOC2, name: 'C-2.pdf', size: 27 });
    expect(m.log().filter((l) => l.startsWith('POST /invoice'))).toHaveLength(4);
  });

  it('finds a file FOLIO holds by its name and the size of its contents; another size, or another name, is not it', async () => {
    const { m, t } = target();
    const other = '5d0c3a1e-0000-4000-8000-000000000002';
    m.script(
      { method: 'GET', path: new RegExp(`^/invoice/invoices/${ID}/documents\\?`), body: { documents: [{ id: other, name: 'C-1.pdf', invoiceId: ID }, { id: DOC, name: 'C-1.pdf', invoiceId: ID }, { id: DOC, name: 'x.pdf', invoiceId: ID }], totalRecords: 3 } },
      { method: 'GET', path: `/invoice/invoices/${ID}/documents/${other}`, body: { documentMetadata: { id: other, name: 'C-1.pdf', invoiceId: ID }, contents: { data: Buffer.from('shorter').toString('base64') } } },
      { method: 'GET', path: `/invoice/invoices/${ID}/documents/${DOC}`, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID }, contents: { data } } },
    );
    expect(await t.attachments!.find(ID, { name: 'C-1.pdf', path: pdf })).toEqual({ id: DOC, name: 'C-1.pdf', size: 27 });
  });

  it('every page of the documents listing asks for one order (cql.allRecords=1 sortBy id): unsorted pages may hide a document, which would be sent twice', async () => {
    const { m, t } = target();
    const other = '5d0c3a1e-0000-4000-8000-000000000002';
    m.script(
      { method: 'GET', path: new RegExp(`^/invoice/invoices/${ID}/documents\\?.*offset=0`), body: { documents: [{ id: other, name: 'x.pdf', invoiceId: ID }], totalRecords: 2 } },
      { method: 'GET', path: new RegExp(`^/invoice/invoices/${ID}/documents\\?.*offset=1`), body: { documents: [{ id: DOC, name: 'C-1.pdf', invoiceId: ID }], totalRecords: 2 } },
      { method: 'GET', path: `/invoice/invoices/${ID}/documents/${DOC}`, body: { documentMetadata: { id: DOC, name: 'C-1.pdf', invoiceId: ID }, contents: { data } } },
    );
    expect(await t.attachments!.find(ID, { name: 'C-1.pdf', path: pdf })).toEqual({ id: DOC, name: 'C-1.pdf', size: 27 });
    const listed = m
      .calls()
      .map((c) => new URL(c.fullUrl))
      .filter((u) => u.pathname === `/invoice/invoices/${ID}/documents`)
      .map((u) => [u.searchParams.get('offset'), u.searchParams.get('query')]);
    expect(listed).toEqual([
      ['0', 'cql.allRecords=1 sortBy id'],
      ['1', 'cql.allRecords=1 sortBy id'],
    ]);
  });
});

describe('FOLIO: a line on a PO line pays against the order\'s encumbrance', () => {
  const GENRL = '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d404';
  const HIST = '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d405';
  const ENC = '9a8b7c6d-0000-4000-8000-00000000e001';
  const POL = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70001';
  it('each fund distribution names the encumbrance the PO line holds on that fund (po_line fundDistribution[].encumbrance); a fund the PO line does not name gets none', async () => {
    const rows = [
      { ...row('E-1'), total_amount: '10.00', po_line: '10001-1', fund_code: 'GENRL', fund_percent: '60' },
      { ...row('E-1'), total_amount: '10.00', po_line: '10001-1', fund_code: 'HIST', fund_percent: '40' },
    ];
    const [e1] = folioInvoices(rows);
    const id = invoiceIdOf(CREDENTIALS.tenant, e1!.key);
    const m = mockApi(ORIGIN);
    api = m;
    m.script(
      login,
      { method: 'GET', path: /^\/organizations\/organizations\?/, body: { organizations: [{ id: ORG_ID, code: 'GOBI', status: 'Active', isVendor: true }], totalRecords: 1 } },
      { method: 'GET', path: /^\/finance\/funds\?/, body: { funds: [{ id: GENRL, code: 'GENRL', fundStatus: 'Active' }, { id: HIST, code: 'HIST', fundStatus: 'Active' }], totalRecords: 2 } },
      {
        method: 'GET',
        path: /^\/orders\/order-lines\?/,
        body: { poLines: [{ id: POL, poLineNumber: '10001-1', titleOrPackage: 'A history of the book', fundDistribution: [{ fundId: GENRL.toUpperCase(), code: 'GENRL', encumbrance: ENC, distributionType: 'percentage', value: 100 }] }], totalRecords: 1 },
      },
      { method: 'POST', path: '/invoice/invoice-lines', status: 201, body: '' },
    );
    const t = createFolioTarget({ baseUrl: ORIGIN, credentials: CREDENTIALS, dispatcher: m.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    await t.addChild(id, '1', e1!);
    const post = m.calls().find((c) => c.method === 'POST' && c.path === '/invoice/invoice-lines');
    expect((JSON.parse(String(post?.body)) as { poLineId: string; fundDistributions: unknown[] })).toMatchObject({
      poLineId: POL,
      fundDistributions: [
        { fundId: GENRL, code: 'GENRL', encumbrance: ENC, distributionType: 'percentage', value: 60 },
        { fundId: HIST, code: 'HIST', distributionType: 'percentage', value: 40 },
      ],
    });
    expect((JSON.parse(String(post?.body)) as { fundDistributions: Record<string, unknown>[] }).fundDistributions[1]).not.toHaveProperty('encumbrance');
  });
});

describe('FOLIO: a Cancelled invoice is withdrawn (acq-models invoice.json status)', () => {
  it('read as Cancelled it is withdrawn, not the vendor\'s invoice loaded; Open, Approved and Paid are not', () => {
    const read = (status: string) => toRemoteInvoice({ id: ID, vendorInvoiceNo: 'C-1', status });
    expect(read('Cancelled')).toMatchObject({ id: ID, workflowStatus: 'Cancelled', withdrawn: true });
    for (const status of ['Open', 'Reviewed', 'Approved', 'Paid']) expect(read(status)!.withdrawn, status).toBeUndefined();
  });
});
