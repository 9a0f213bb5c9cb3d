import { describe, expect, it } from 'vitest';
import { call, createInvoice, errorCode, invoiceBody, lineBody, manualClock, start } from './helpers.js';

const SEED_INVOICES = 2;

async function pollUntilSettled(s: { url: string }, id: string): Promise<any> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const r = await call(s, 'GET', `/acq/invoices/${id}`);
    if (r.json.invoice_workflow_status.value !== 'InReview' || r.json.alert !== undefined) return r.json;
    if (Date.now() > deadline) throw new Error('processing did not settle');
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('create → lines → process → poll', () => {
  it('a clean invoice is created In Review and settles to Waiting to be Sent / APPROVED', async () => {
    const s = await start({ processDelayMs: 40 });
    const c = await call(s, 'POST', '/acq/invoices', {
      body: invoiceBody('T-1', { total_amount: 57.5, additional_charges: { shipment: 12.5 } }),
    });
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({
      number: 'T-1',
      vendor: { value: 'GOBI', desc: 'GOBI Library Solutions' },
      vendor_account: 'GOBI',
      invoice_date: '2025-03-03Z',
      total_amount: 57.5,
      currency: { value: 'USD', desc: 'US Dollar' },
      invoice_status: { value: 'ACTIVE', desc: 'Active' },
      invoice_workflow_status: { value: 'InReview', desc: 'In Review' },
      invoice_approval_status: { value: 'PENDING' },
      creation_form: { value: 'API' },
      number_of_lines: { value: 0 },
      additional_charges: { shipment: 12.5, discount: 0 },
    });
    expect(c.json.alert).toBeUndefined();
    const id = c.json.id as string;

    const l = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    expect(l.status).toBe(200);
    expect(l.json).toMatchObject({
      number: '1',
      po_line: 'POL-1001',
      price: 45,
      quantity: 1,
      total_price: 45,
      status: { value: 'READY' },
      fund_distribution: [{ fund_code: { value: 'GENMON', desc: 'General Monographs' }, percent: 100, amount: 45 }],
    });

    const p = await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    expect(p.status).toBe(200);
    // The answer predates the outcome: processing is asynchronous.
    expect(p.json.invoice_workflow_status.value).toBe('InReview');
    expect(p.json.alert).toBeUndefined();
    expect(s.state().invoices.find((i) => i.id === id)?.processing).toBe('pending');

    const settled = await pollUntilSettled(s, id);
    expect(settled.invoice_workflow_status).toEqual({ value: 'Waiting to be Sent', desc: 'Ready to be paid' });
    expect(settled.invoice_approval_status.value).toBe('APPROVED');
    expect(settled.alert).toBeUndefined();
    expect(settled.invoice_lines.invoice_line).toHaveLength(1);

    const st = s.state();
    expect(st.invoices.find((i) => i.id === id)).toMatchObject({ processing: 'settled', status: 'Waiting to be Sent', alerts: [] });
    expect(st.counters.created).toEqual({ GOBI: { 'T-1': 1 } });
    expect(st.counters.linePosts).toEqual({ [id]: { '1': 1 } });
    expect(st.counters.processCount).toEqual({ [id]: 1 });
    expect(st.counters.requests['POST create']).toBe(1);
    expect(st.counters.requests['POST process']).toBe(1);
  });

  it('an unlinked line sends the invoice to review with NOT_LINKED_LINES (settles on the injected clock)', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, processDelayMs: 150 });
    const id = await createInvoice(s, 'T-2', { total_amount: 67.5 });
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    const other = { type: { value: 'OTHER' }, number: '2', price: '7.50', quantity: 3, fund_distribution: [{ fund_code: { value: 'GENMON' }, amount: 22.5 }] };
    expect((await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: other })).status).toBe(200);
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });

    clock.advance(149);
    expect((await call(s, 'GET', `/acq/invoices/${id}`)).json.alert).toBeUndefined();
    clock.advance(1);
    const g = await call(s, 'GET', `/acq/invoices/${id}`);
    expect(g.json.invoice_workflow_status.value).toBe('InReview');
    expect(g.json.invoice_approval_status.value).toBe('PENDING');
    expect(g.json.alert).toEqual([{ value: 'NOT_LINKED_LINES', desc: 'Lines not linked' }]);
    expect(s.state().invoices.find((i) => i.id === id)?.lines[1]).toMatchObject({ po_line: '', total_price: '22.5', funds: [{ code: 'GENMON', amount: '22.5', percent: '100' }] });
  });

  it('raises TOTAL_AMOUNT_MISMATCH and DIFF_PRICE_THAN_POLINE', async () => {
    const s = await start();
    const id = await createInvoice(s, 'T-3', { total_amount: 100 });
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody({ price: 44.99 }) });
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    const g = await call(s, 'GET', `/acq/invoices/${id}`);
    expect(g.json.alert.map((a: { value: string }) => a.value)).toEqual(['DIFF_PRICE_THAN_POLINE', 'TOTAL_AMOUNT_MISMATCH']);
    expect(g.json.alert[1].desc).toBe('The Invoice Total Amount entered is different than the calculated Total Net Invoiced');
    expect(g.json.invoice_workflow_status.value).toBe('InReview');
  });

  // README "What is checked before anything is sent" (the invoice total): a Line Exclusive
  // total includes VAT, as the loader's own rule (src/domain/rules.ts, addedVat) requires.
  const lineExclusive = (vat: Record<string, unknown>) => ({ vat_per_invoice_line: false, type: { value: 'LINEEXCLUSIVE' }, expended_from_fund: false, percentage: 0, vat_amount: 0, ...vat });
  it.each([
    ['vat_amount 4.50, total 49.50', lineExclusive({ vat_amount: 4.5 }), {}, '49.50', []],
    ['vat_percentage 10, total 49.50', lineExclusive({ percentage: 10 }), {}, '49.50', []],
    ['vat_code STANDARD (7% in the seed), total 48.15', lineExclusive({ vat_code: { value: 'STANDARD' } }), {}, '48.15', []],
    ['per line: line_vat_amount 4.50, total 49.50', lineExclusive({ vat_per_invoice_line: true }), { invoice_line_vat: { vat_amount: 4.5 } }, '49.50', []],
    ['vat_amount 4.50, total 45 (without the VAT)', lineExclusive({ vat_amount: 4.5 }), {}, '45', ['TOTAL_AMOUNT_MISMATCH']],
    ['vat_percentage 10, total 49.60', lineExclusive({ percentage: 10 }), {}, '49.60', ['TOTAL_AMOUNT_MISMATCH']],
    ['INCLUSIVE with vat_amount 4.50, total 49.50', { ...lineExclusive({ vat_amount: 4.5 }), type: { value: 'INCLUSIVE' } }, {}, '49.50', ['TOTAL_AMOUNT_MISMATCH']],
  ])('Line Exclusive VAT is in the total: %s', async (_name, vat, line, total, alerts) => {
    const s = await start();
    const id = await createInvoice(s, 'T-V', { total_amount: total, invoice_vat: vat });
    expect((await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody(line) })).status).toBe(200);
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    const inv = s.state().invoices.find((i) => i.id === id);
    expect(inv?.alerts).toEqual(alerts);
    expect(inv?.status).toBe(alerts.length === 0 ? 'Waiting to be Sent' : 'InReview');
  });

  it('adds exactly: total = Σ price × quantity + shipment + overhead + insurance − discount', async () => {
    const s = await start();
    const id = await createInvoice(s, 'T-4', {
      total_amount: '0.5',
      additional_charges: { shipment: 0.2, overhead: 0.1, insurance: 0.1, discount: 0.2 },
    });
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody({ po_line: '', price: 0.1, quantity: 3 }) });
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    // 0.1 × 3 + 0.2 + 0.1 + 0.1 − 0.2 = 0.5 exactly; binary floats say 0.49999999999999994.
    expect(s.state().invoices.find((i) => i.id === id)?.alerts).toEqual(['NOT_LINKED_LINES']);
  });

  it('refuses lines once processing started (60285) and processing an approved invoice (60260)', async () => {
    const s = await start();
    const id = await createInvoice(s, 'T-5');
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    const late = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody({ number: '2' }) });
    expect([late.status, errorCode(late)]).toEqual([400, '60285']);
    expect((await call(s, 'GET', `/acq/invoices/${id}`)).json.invoice_workflow_status.value).toBe('Waiting to be Sent');
    const again = await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    expect([again.status, errorCode(again)]).toEqual([400, '60260']);
    expect(s.state().counters.processCount[id]).toBe(1);
  });

  it('accepts duplicate line numbers, so a loader that doubles a line can be seen', async () => {
    const s = await start();
    const id = await createInvoice(s, 'T-6');
    expect((await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() })).status).toBe(200);
    expect((await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() })).status).toBe(200);
    const noNumber = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody({ number: undefined, po_line: 'POL-1005', price: 18 }) });
    expect(noNumber.json.number).toBe('2');
    expect(s.state().counters.linePosts[id]).toEqual({ '1': 2, '2': 1 });
    expect(s.state().invoices.find((i) => i.id === id)?.lines.map((l) => l.number)).toEqual(['1', '1', '2']);
  });

  it('defaults price, quantity and fund from the PO line and needs subscription dates for continuous ones', async () => {
    const s = await start();
    const id = await createInvoice(s, 'T-7', { total_amount: 1250 });
    const bare = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: { po_line: 'POL-1004' } });
    expect(bare.json).toMatchObject({ price: 22.5, quantity: 2, total_price: 45, fund_distribution: [{ fund_code: { value: 'HIST' }, percent: 100, amount: 45 }] });
    // POL-1010 is EBSCO's continuous subscription: a GOBI invoice cannot take it at all.
    expect(errorCode(await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: { po_line: 'POL-1010' } }))).toBe('60248');
    const ebsco = await createInvoice(s, 'T-7E', { vendor: { value: 'EBSCO' }, vendor_account: 'EBSCO-SUB', total_amount: 1250 });
    const cont = await call(s, 'POST', `/acq/invoices/${ebsco}/lines`, { body: { po_line: 'POL-1010' } });
    expect(errorCode(cont)).toBe('60249');
    // additional_info stands in for the dates (the rule the preflight predicts).
    const info = await call(s, 'POST', `/acq/invoices/${ebsco}/lines`, { body: { po_line: 'POL-1010', additional_info: 'vol. 12' } });
    expect(info.status).toBe(200);
    const noCheck = await call(s, 'POST', `/acq/invoices/${ebsco}/lines`, { body: { po_line: 'POL-1010', check_subscription_date_overlap: false } });
    expect(noCheck.status).toBe(200);
    const dated = await call(s, 'POST', `/acq/invoices/${ebsco}/lines`, {
      body: { po_line: 'POL-1010', subscription_from_date: '2025-01-01Z', subscription_to_date: '2025-12-31' },
    });
    expect(dated.json).toMatchObject({ subscription_from_date: '2025-01-01Z', subscription_to_date: '2025-12-31Z' });
  });
});

describe('validation like Alma', () => {
  const invoiceCases: Array<[string, Record<string, unknown>, string]> = [
    ['number missing', { number: undefined }, '60233'],
    ['date missing', { invoice_date: undefined }, '60234'],
    ['date malformed', { invoice_date: '2025-02-30Z' }, '40166411'],
    ['total missing', { total_amount: undefined }, '60235'],
    ['vendor missing', { vendor: undefined }, '4028805'],
    ['vendor unknown', { vendor: { value: 'NOPE' } }, '401871'],
    ['not a material supplier', { vendor: { value: 'JSTOR' }, vendor_account: 'JSTOR' }, '60242'],
    ['currency invalid', { currency: { value: 'XXX' } }, '60236'],
    ['currency disabled', { currency: { value: 'JPY' } }, '60236'],
    ['currency not supported by the vendor', { currency: { value: 'EUR' } }, '60243'],
    ['account not the vendor’s', { vendor_account: 'HARRAS-EUR' }, '60237'],
    ['inactive account', { vendor: { value: 'EBSCO' }, vendor_account: 'EBSCO-OLD' }, '60237'],
    ['payment method', { payment_method: { value: 'BITCOIN' } }, '60238'],
    ['owner', { owner: { value: 'NOPE' } }, '60246'],
    ['VAT percentage and amount', { invoice_vat: { percentage: 7, vat_amount: 3.15 } }, '60252'],
    ['VAT code', { invoice_vat: { vat_code: { value: 'NOPE' } } }, '60253'],
  ];

  it.each(invoiceCases)('create refuses: %s', async (_name, patch, code) => {
    const s = await start();
    const r = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('V-1', patch) });
    expect(r.status).toBe(400);
    expect(errorCode(r)).toBe(code);
    expect(s.state().invoices).toHaveLength(SEED_INVOICES);
  });

  it('create accepts YYYY-MM-DD dates, bare values and string amounts', async () => {
    const s = await start();
    const r = await call(s, 'POST', '/acq/invoices', {
      body: invoiceBody('V-2', { invoice_date: '2025-03-03', total_amount: '45.00', owner: { value: 'SCI' } }),
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ invoice_date: '2025-03-03Z', total_amount: 45, owner: { value: 'SCI', desc: 'Science Library' } });
  });

  const lineCases: Array<[string, Record<string, unknown>, string]> = [
    ['line type', { type: { value: 'NOPE' } }, '60247'],
    ['disabled line type', { type: { value: 'ADJUSTMENT' } }, '60247'],
    ['PO line', { po_line: 'POL-9999' }, '60248'],
    ['reporting code', { reporting_code: { value: 'NOPE' } }, '60251'],
    ['fund unknown', { fund_distribution: [{ fund_code: { value: 'NOPE' }, percent: 100 }] }, '60254'],
    ['fund inactive', { fund_distribution: [{ fund_code: { value: 'GIFT-OLD' }, percent: 100 }] }, '60254'],
    ['fund without share', { fund_distribution: [{ fund_code: { value: 'GENMON' } }] }, '60257'],
    ['fund with percent and amount', { fund_distribution: [{ fund_code: { value: 'GENMON' }, percent: 100, amount: 45 }] }, '60252'],
    ['line VAT percentage and amount', { invoice_line_vat: { percentage: 7, vat_amount: 1 } }, '60252'],
  ];

  it.each(lineCases)('line refuses: %s', async (_name, patch, code) => {
    const s = await start();
    const id = await createInvoice(s, 'V-3');
    const r = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody(patch) });
    expect([r.status, errorCode(r)]).toEqual([400, code]);
    expect(s.state().invoices.find((i) => i.id === id)?.lines).toEqual([]);
  });

  it('refuses a line for an unknown invoice (412400) and a malformed id (60100)', async () => {
    const s = await start();
    const r = await call(s, 'POST', '/acq/invoices/53100000990004146/lines', { body: lineBody() });
    expect([r.status, errorCode(r)]).toEqual([400, '412400']);
    const bad = await call(s, 'GET', '/acq/invoices/abc');
    expect([bad.status, errorCode(bad)]).toEqual([400, '60100']);
  });
});

describe('duplicates', () => {
  it('refuses a second invoice with the same vendor and number (60288) unless allowDuplicates', async () => {
    const s = await start();
    await createInvoice(s, 'D-1');
    const dup = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('D-1') });
    expect([dup.status, errorCode(dup)]).toEqual([400, '60288']);
    // Same number from another vendor is another invoice.
    const other = await call(s, 'POST', '/acq/invoices', {
      body: invoiceBody('D-1', { vendor: { value: 'BLACKWELL' }, vendor_account: 'BLACKWELL' }),
    });
    expect(other.status).toBe(200);
    expect(s.state().counters.created).toEqual({ GOBI: { 'D-1': 1 }, BLACKWELL: { 'D-1': 1 } });

    const cfg = await call(s, 'POST', '/_sandbox/config', { body: { allowDuplicates: true } });
    expect(cfg.status).toBe(200);
    expect((await call(s, 'POST', '/acq/invoices', { body: invoiceBody('D-1') })).status).toBe(200);
    expect(s.state().counters.created['GOBI']).toEqual({ 'D-1': 2 });
  });

  it('allowDuplicates as a start option (Alma invoice_not_unique=true)', async () => {
    const s = await start({ allowDuplicates: true });
    await createInvoice(s, 'D-2');
    await createInvoice(s, 'D-2');
    expect(s.state().invoices.filter((i) => i.number === 'D-2')).toHaveLength(2);
  });
});

describe('shapes', () => {
  it('keeps ids as strings larger than 2^53', async () => {
    const s = await start();
    const c = await call(s, 'POST', '/acq/invoices', { body: invoiceBody('B-1') });
    const m = /"id":"(\d+)"/.exec(c.text);
    expect(m).not.toBeNull();
    const id = m?.[1] ?? '';
    expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const l = await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    expect(l.text).toMatch(/"id":"\d{17,}"/);
    const g = await call(s, 'GET', `/acq/invoices/${id}/lines/${l.json.id as string}`);
    expect(g.json.id).toBe(l.json.id);
    expect(s.state().invoices.at(-1)?.id).toBe(id);
  });

  it('view=brief leaves the lines out; the full view has them', async () => {
    const s = await start();
    const id = await createInvoice(s, 'B-2');
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    expect((await call(s, 'GET', `/acq/invoices/${id}?view=brief`)).json.invoice_lines).toBeUndefined();
    const full = await call(s, 'GET', `/acq/invoices/${id}?view=full`);
    expect(full.json.invoice_lines.invoice_line[0].po_line).toBe('POL-1001');
    expect(full.json.number_of_lines.value).toBe(1);
  });

  it('answers not found with 400 412400, a bad op with 40166410, an unknown path with 404', async () => {
    const s = await start();
    const nf = await call(s, 'GET', '/acq/invoices/53100009990004146');
    expect([nf.status, errorCode(nf)]).toEqual([400, '412400']);
    expect(nf.json).toMatchObject({ errorsExist: true, result: null });
    expect(nf.json.errorList.error[0].trackingId).toMatch(/^E01-\d{10}-[A-Z]{5}-AWAE\d{10}$/);
    const id = await createInvoice(s, 'N-1');
    const op = await call(s, 'POST', `/acq/invoices/${id}?op=approve`, { body: {} });
    expect([op.status, errorCode(op)]).toEqual([400, '40166410']);
    expect(op.json.errorList.error[0].trackingId).not.toBe(nf.json.errorList.error[0].trackingId);
    expect((await call(s, 'GET', '/acq/nothing-here')).status).toBe(404);
  });

  it('serves vendors, funds, PO lines and code tables from the seed', async () => {
    const s = await start();
    const v = await call(s, 'GET', '/acq/vendors/HARRAS');
    expect(v.json).toMatchObject({ code: 'HARRAS', material_supplier: true, currency: [{ value: 'EUR' }, { value: 'USD' }] });
    expect(v.json.account[0].payment_method[1]).toEqual({ value: 'BANKTRANSFER', desc: 'Bank Transfer' });
    const nv = await call(s, 'GET', '/acq/vendors/NOPE');
    expect([nv.status, errorCode(nv)]).toEqual([400, '402880']);
    const pol = await call(s, 'GET', '/acq/po-lines/POL-1006');
    expect(pol.json).toMatchObject({ number: 'POL-1006', vendor: { value: 'HARRAS' }, price: { sum: '780.00' } });
    expect(errorCode(await call(s, 'GET', '/acq/po-lines/POL-0'))).toBe('401871');
    const ct = await call(s, 'GET', '/conf/code-tables/InvoiceLinesTypes');
    expect(ct.json.name).toBe('InvoiceLinesTypes');
    expect(ct.json.row[0]).toEqual({ code: 'REGULAR', description: 'Regular', default: true, enabled: true });
    for (const t of ['PaymentMethod', 'InvoiceStatus', 'InvoiceApprovalStatus', 'Currency_CT', 'HFundsTransactionItem.reportingCode']) {
      expect((await call(s, 'GET', `/conf/code-tables/${t}`)).json.row.length).toBeGreaterThan(0);
    }
  });

  it('supports the ERP ops minimally', async () => {
    const s = await start();
    const id = await createInvoice(s, 'E-1');
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    expect((await call(s, 'POST', `/acq/invoices/${id}?op=mark_in_erp`, { body: {} })).json.invoice_workflow_status.value).toBe('Ready to be Paid');
    const paid = await call(s, 'POST', `/acq/invoices/${id}?op=paid`, {
      body: { payment: { voucher_date: '2025-03-20', voucher_amount: 45, voucher_currency: { value: 'USD' }, voucher_number: 'V-9' } },
    });
    expect(paid.json).toMatchObject({ invoice_status: { value: 'CLOSED' }, payment: { payment_status: { value: 'PAID' }, voucher_number: 'V-9' } });
  });

  it('paid and rejected as Ex Libris\' payment import takes them: only once handed over; a Closed invoice rejected only gets the alert', async () => {
    const s = await start();
    const id = await createInvoice(s, 'E-2');
    await call(s, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    await call(s, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    const payment = { payment: { voucher_date: '2025-03-20', voucher_amount: 45, voucher_number: 'V-9' } };
    // Waiting to be Sent (the UI's Ready to be Paid): not handed over yet, so neither is taken.
    expect(errorCode(await call(s, 'POST', `/acq/invoices/${id}?op=paid`, { body: payment }))).toBe('60267');
    expect(errorCode(await call(s, 'POST', `/acq/invoices/${id}?op=rejected`, { body: { notes: [{ content: 'no' }] } }))).toBe('60267');
    await call(s, 'POST', `/acq/invoices/${id}?op=mark_in_erp`, { body: {} });
    expect((await call(s, 'POST', `/acq/invoices/${id}?op=paid`, { body: payment })).json.invoice_workflow_status.value).toBe('CLOSED');
    const rejected = await call(s, 'POST', `/acq/invoices/${id}?op=rejected`, { body: { notes: [{ content: 'paid twice' }] } });
    expect(rejected.json).toMatchObject({ invoice_workflow_status: { value: 'CLOSED' }, alert: [{ value: 'INVOICE_WAS_REJECTED_BY_ERP' }] });
  });
});
