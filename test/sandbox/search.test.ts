import { describe, expect, it } from 'vitest';
import { wordMatch, words } from '../../src/sandbox/search.js';
import { call, createInvoice, errorCode, lineBody, start } from './helpers.js';

const numbers = (a: { json: { invoice?: Array<{ number: string }> } }): string[] => (a.json.invoice ?? []).map((i) => i.number);

describe('word matching (`~` searches for words)', () => {
  it('splits on non-alphanumerics, case-insensitively', () => {
    expect(words('INV-1/b 2025')).toEqual(['inv', '1', 'b', '2025']);
    expect(words('Sämtliche Werke')).toEqual(['sämtliche', 'werke']);
  });

  it('matches when every query word is among the field words', () => {
    expect(wordMatch('INV-1', 'INV-1-B')).toBe(true);
    expect(wordMatch('INV-1', '1 INV')).toBe(true);
    expect(wordMatch('inv-1', 'INV-1')).toBe(true);
    expect(wordMatch('INV-1', 'INV-10')).toBe(false);
    expect(wordMatch('INV-1-B', 'INV-1')).toBe(false);
  });
});

describe('GET /acq/invoices', () => {
  it('q=invoice_number~ finds word matches, not only the exact number', async () => {
    const s = await start();
    for (const n of ['INV-1', 'INV-1-B', '1 INV', 'INV-10', 'XINV-1']) await createInvoice(s, n);
    const r = await call(s, 'GET', `/acq/invoices?q=${encodeURIComponent('invoice_number~INV-1')}`);
    expect(r.status).toBe(200);
    expect(numbers(r)).toEqual(['INV-1', 'INV-1-B', '1 INV']);
    expect(r.json.total_record_count).toBe(3);
  });

  it('combines vendor_code and invoice_number with AND', async () => {
    const s = await start();
    await createInvoice(s, 'A-7');
    await createInvoice(s, 'A-7', { vendor: { value: 'BLACKWELL' }, vendor_account: 'BLACKWELL' });
    const q = encodeURIComponent('invoice_number~A-7 AND vendor_code~BLACKWELL');
    const r = await call(s, 'GET', `/acq/invoices?q=${q}`);
    expect(r.json.invoice.map((i: { vendor: { value: string } }) => i.vendor.value)).toEqual(['BLACKWELL']);
    expect(numbers(await call(s, 'GET', '/acq/invoices?q=vendor_code~gobi&limit=100'))).toEqual(['G-23987', 'A-7']);
  });

  it('answers zero hits with total_record_count 0 and NO invoice key (sample 10)', async () => {
    const s = await start();
    const r = await call(s, 'GET', '/acq/invoices?q=invoice_number~NOTHING');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ total_record_count: 0 });
    expect(r.text).not.toContain('invoice');
  });

  it('pages in creation order with limit (default 10, max 100) and offset', async () => {
    const s = await start();
    for (let i = 1; i <= 12; i++) await createInvoice(s, `P-${String(i).padStart(2, '0')}`);
    const all = await call(s, 'GET', '/acq/invoices?q=vendor_code~GOBI');
    expect(all.json.total_record_count).toBe(13);
    expect(all.json.invoice).toHaveLength(10);
    expect(numbers(all)[0]).toBe('G-23987');
    const page = await call(s, 'GET', '/acq/invoices?q=vendor_code~GOBI&limit=5&offset=10');
    expect(numbers(page)).toEqual(['P-10', 'P-11', 'P-12']);
    const past = await call(s, 'GET', '/acq/invoices?q=vendor_code~GOBI&offset=50');
    expect(past.json).toEqual({ total_record_count: 13 });
    const tooMany = await call(s, 'GET', '/acq/invoices?limit=101');
    expect(tooMany.status).toBe(400);
    expect(errorCode(tooMany)).toBe('402119');
    expect((await call(s, 'GET', '/acq/invoices?limit=100')).json.invoice).toHaveLength(14);
  });

  it('refuses an unknown search field and a query without ~ (401873)', async () => {
    const s = await start();
    expect(errorCode(await call(s, 'GET', '/acq/invoices?q=colour~blue'))).toBe('401873');
    expect(errorCode(await call(s, 'GET', '/acq/invoices?q=invoice_number:A'))).toBe('401873');
  });

  it('view=brief omits lines; filters on workflow status and base status', async () => {
    const s = await start();
    const id = await createInvoice(s, 'W-1');
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    const full = await call(s, 'GET', '/acq/invoices?q=invoice_number~W-1');
    expect(full.json.invoice[0].invoice_lines.invoice_line).toHaveLength(1);
    const brief = await call(s, 'GET', '/acq/invoices?q=invoice_number~W-1&view=brief');
    expect(brief.json.invoice[0].invoice_lines).toBeUndefined();
    const waiting = await call(s, 'GET', `/acq/invoices?invoice_workflow_status=${encodeURIComponent('Waiting to be Sent')}`);
    expect(numbers(waiting)).toEqual(['G-23987']);
    const inReview = await call(s, 'GET', '/acq/invoices?invoice_workflow_status=InReview&base_status=ACTIVE');
    expect(numbers(inReview)).toEqual(['EBS-8841-24', 'W-1']);
  });

  it('GET /acq/vendors/{code}/invoices lists one vendor in the same shape', async () => {
    const s = await start();
    await createInvoice(s, 'VI-1');
    const r = await call(s, 'GET', '/acq/vendors/GOBI/invoices?limit=1&offset=1');
    expect(r.json.total_record_count).toBe(2);
    expect(numbers(r)).toEqual(['VI-1']);
    expect((await call(s, 'GET', '/acq/vendors/BLACKWELL/invoices')).json).toEqual({ total_record_count: 0 });
    expect(errorCode(await call(s, 'GET', '/acq/vendors/NOPE/invoices'))).toBe('401871');
  });

  it('vendorInvoicesActiveOnly: the vendor listing leaves out a CLOSED invoice, which the search by vendor_code still finds', async () => {
    // The OAS says nothing of which invoices the vendor listing holds; the search's base_status is
    // "All by default" (docs/alma.md#look-ups-and-how-fresh-they-are).
    const s = await start({ handleInvoicePayment: false });
    await createInvoice(s, 'VI-1');
    const [seeded] = (await call(s, 'GET', '/acq/invoices?q=invoice_number~G-23987')).json.invoice as { id: string }[];
    expect((await call(s, 'POST', `/acq/invoices/${seeded!.id}?op=mark_in_erp`, { body: {} })).status).toBe(200);
    expect(numbers(await call(s, 'GET', '/acq/vendors/GOBI/invoices?limit=100'))).toEqual(['G-23987', 'VI-1']);
    expect((await call(s, 'POST', '/_sandbox/config', { body: { vendorInvoicesActiveOnly: true } })).status).toBe(200);
    const active = await call(s, 'GET', '/acq/vendors/GOBI/invoices?limit=100');
    expect(numbers(active)).toEqual(['VI-1']);
    expect(active.json.total_record_count).toBe(1);
    expect(numbers(await call(s, 'GET', '/acq/invoices?q=vendor_code~GOBI&limit=100&view=brief'))).toEqual(['G-23987', 'VI-1']);
  });
});

describe('lists of lines and funds', () => {
  it('GET /acq/invoices/{id}/lines with q=invoice_line_number~N, paging and the empty shape', async () => {
    const s = await start();
    const id = await createInvoice(s, 'L-1');
    expect((await call(s, 'GET', `/acq/invoices/${id}/lines`)).json).toEqual({ total_record_count: 0 });
    for (const n of ['1', '2', '10']) await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody({ number: n }) });
    const all = await call(s, 'GET', `/acq/invoices/${id}/lines`);
    expect(all.json.total_record_count).toBe(3);
    expect(all.json.invoice_line.map((l: { number: string }) => l.number)).toEqual(['1', '2', '10']);
    const one = await call(s, 'GET', `/acq/invoices/${id}/lines?q=invoice_line_number~1`);
    expect(one.json.invoice_line.map((l: { number: string }) => l.number)).toEqual(['1']);
    const paged = await call(s, 'GET', `/acq/invoices/${id}/lines?limit=1&offset=2`);
    expect(paged.json.invoice_line.map((l: { number: string }) => l.number)).toEqual(['10']);
  });

  it('GET /acq/funds?mode=POL searches fund_code and leaves inactive funds out', async () => {
    const s = await start();
    const r = await call(s, 'GET', '/acq/funds?q=fund_code~BIO&mode=POL');
    expect(r.json.total_record_count).toBe(1);
    expect(r.json.fund[0]).toMatchObject({ code: 'BIO', name: 'Biology', status: { value: 'ACTIVE' } });
    expect((await call(s, 'GET', '/acq/funds?q=fund_code~GIFT-OLD&mode=POL')).json).toEqual({ total_record_count: 0 });
    expect((await call(s, 'GET', '/acq/funds?q=fund_code~GIFT-OLD')).json.fund[0].status.value).toBe('INACTIVE');
    expect((await call(s, 'GET', '/acq/funds?mode=POL&limit=100')).json.total_record_count).toBe(7);
  });
});
