/**
 * The FOLIO target and the engine against the FOLIO sandbox on loopback: the sample loads and
 * is approved; look-ups are batched; each fault kind at each write step leaves every invoice
 * once, every line once, and no invoice approved twice; `--no-approve` leaves them Open.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLL, runInvoices, type EngineOptions } from '../../../src/engine/engine.js';
import { foldJournal, Journal, type JournalEntry } from '../../../src/engine/journal.js';
import type { Invoice } from '../../../src/domain/model.js';
import { startFolioSandbox, type FolioSandbox, type FolioSandboxOptions, type FolioSandboxState } from '../../../src/sandbox/folio/server.js';
import { createFolioTarget, type FolioTargetOptions } from '../../../src/targets/folio/target.js';
import { invoiceIdOf, ownInvoiceIds } from '../../../src/targets/folio/ids.js';
import { CREDENTIALS, folioInvoices, keyInByHand, sampleRows } from './helpers.js';

let sb: FolioSandbox | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(invoices: Invoice[], o: Partial<FolioTargetOptions> = {}, dir?: string, engine: Partial<EngineOptions> = {}) {
  const target = createFolioTarget({ baseUrl: sb!.url, credentials: CREDENTIALS, rate: 2000, timeoutMs: 1_000, sleep: async () => {}, ...o });
  const d = dir ?? mkdtempSync(join(tmpdir(), 'folio-target-'));
  if (dir === undefined) dirs.push(d);
  const journal = Journal.open({ path: join(d, 'journal.jsonl'), target: 'folio', endpoint: target.endpoint, batch: 'b', sync: false });
  try {
    const out = await runInvoices(invoices, { target, journal, concurrency: 3, emit: () => {}, sleep: async () => {}, poll: { ...DEFAULT_POLL, initialMs: 1 }, maxWriteAttempts: 3, ...engine });
    return { ...out, requests: target.requestCount(), target };
  } finally {
    journal.close();
    await target.close();
  }
}

/** Every invoice stored once, every line posted once, approved at most once and never approved again. */
/**
 * A person cancels invoice `id` in FOLIO: the whole record PUT back with status Cancelled, as the
 * approval's PUT is. Returns the target's endpoint, as a journal of this place names it.
 */
async function cancelByHand(id: string): Promise<string> {
  const hand = createFolioTarget({ baseUrl: sb!.url, credentials: CREDENTIALS, rate: 2000, timeoutMs: 1_000, sleep: async () => {} });
  try {
    const record = (await hand.client.json({ method: 'GET', path: `/invoice/invoices/${id}` })) as Record<string, unknown>;
    await hand.client.request({ method: 'PUT', path: `/invoice/invoices/${id}`, body: { ...record, status: 'Cancelled' } });
    return hand.endpoint;
  } finally {
    await hand.close();
  }
}

function expectOnce(state: FolioSandboxState, invoices: Invoice[], approved: boolean): void {
  for (const inv of invoices) {
    expect(state.counters.created[inv.key.vendor]?.[inv.key.number], `${inv.key.number} stored once`).toBe(1);
    const stored = state.invoices.find((i) => i.vendorInvoiceNo === inv.key.number)!;
    const posted = state.counters.linesPosted[stored.id as string] ?? {};
    expect(Object.values(posted), `${inv.key.number} lines`).toEqual(inv.lines.map(() => 1));
    expect(stored.status).toBe(approved ? 'Approved' : 'Open');
    expect(state.counters.approvals[stored.id as string] ?? 0).toBe(approved ? 1 : 0);
  }
  expect(state.counters.reapprovals).toBe(0);
}

describe('FOLIO target with the engine', () => {
  it('loads and approves the sample; a re-run with the same journal sends nothing', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const first = await run(invoices, {}, dir);
    expect(first.results.map((r) => [r.key.number, r.status, r.workflowStatus])).toEqual([
      ['G-50101', 'loaded', 'Approved'],
      ['HA-2025-00512', 'loaded', 'Approved'],
      ['EBS-7001', 'loaded', 'Approved'],
      ['G-50102', 'loaded', 'Approved'],
    ]);
    const state = sb.state();
    expectOnce(state, invoices, true);
    // Look-ups batched: organizations, funds and PO lines a few codes to a query (not one each:
    // 3 vendors, 5 funds, 5 PO lines), one invoice search per vendor, and the engine's one
    // settle-window probe on the first invoice it created (engine/settle.ts).
    expect(state.counters.requests['GET read']).toBeLessThanOrEqual(7);
    expect(state.counters.requests['GET lookup']).toBe(4);
    const ebsco = state.invoices.find((i) => i.vendorInvoiceNo === 'EBS-7001')!;
    expect(ebsco).toMatchObject({ lockTotal: 740, total: 740, adjustments: [{ description: 'Discount', exportToAccounting: false, value: -10, prorate: 'By line', relationToTotal: 'In addition to', type: 'Amount' }] });
    const split = state.lines.find((l) => l.invoiceId === ebsco.id && l.subTotal === 500)!;
    expect(split).toMatchObject({
      poLineId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70004',
      description: 'Journal of Library History (2027)',
      // RFC 3339 (§5.6): `Z`, not the samples' `+0000`.
      subscriptionStart: '2027-01-01T00:00:00.000Z',
      // Percentages on an invoice with a discount: FOLIO checks amounts against the line's total with its share of the charges.
      fundDistributions: [
        { fundId: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d404', code: 'GENRL', distributionType: 'percentage', value: 60 },
        { fundId: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d403', code: 'ENG', distributionType: 'percentage', value: 40 },
      ],
    });
    // Amounts on an invoice without charges.
    const harras = state.invoices.find((i) => i.vendorInvoiceNo === 'HA-2025-00512')!;
    const harrasFunds = state.lines.find((l) => l.invoiceId === harras.id)!.fundDistributions as { code: string; distributionType: string; value: number }[];
    expect(harrasFunds.map((f) => [f.code, f.distributionType, f.value])).toEqual([
      ['HIST', 'amount', 72],
      ['ENG', 'amount', 48],
    ]);
    // HARRAS's invoice has no payment method in the batch: the organization's is used.
    expect(harras.paymentMethod).toBe('Bank draft');

    const again = await run(invoices, {}, dir);
    expect(again.results.every((r) => r.status === 'already_loaded')).toBe(true);
    expect(again.requests).toBe(0);
  });

  it('without the journal, the look-up finds every invoice: nothing is created or approved again', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    await run(invoices);
    const second = await run(invoices);
    expect(second.results.every((r) => r.status === 'already_loaded')).toBe(true);
    expect(sb.state().counters.requests['POST create']).toBe(4);
    expectOnce(sb.state(), invoices, true);
  });

  it('an invoice cancelled in FOLIO is not the invoice loaded: a run without the journal creates it anew under the next own id, approves it, and leaves the cancelled one as it is; the run after finds the new one', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const gobi = invoices.find((i) => i.key.number === 'G-50101')!;
    await run(invoices);
    const [first, next] = ownInvoiceIds(CREDENTIALS.tenant, gobi.key);
    // Cancelled in FOLIO (by a person: Approved → Cancelled, a whole-record PUT as the approval's).
    await cancelByHand(first!);
    const again = await run(invoices);
    const r = again.results.find((x) => x.key.number === 'G-50101')!;
    expect(r).toMatchObject({ status: 'loaded', workflowStatus: 'Approved', id: next });
    expect(again.results.filter((x) => x.key.number !== 'G-50101').every((x) => x.status === 'already_loaded')).toBe(true);
    const state = sb.state();
    expect(state.invoices.filter((i) => i.vendorInvoiceNo === 'G-50101').map((i) => [i.id, i.status])).toEqual([
      [first, 'Cancelled'],
      [next, 'Approved'],
    ]);
    expect(state.lines.filter((l) => l.invoiceId === next)).toHaveLength(gobi.lines.length);
    const third = await run(invoices);
    expect(third.results.every((x) => x.status === 'already_loaded')).toBe(true);
    expect(third.results.find((x) => x.key.number === 'G-50101')!.id).toBe(next);
  });

  it('an invoice this journal recorded approved and not settled, cancelled in FOLIO since: the re-run fails it WITHDRAWN, sends nothing, creates nothing anew', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const gobi = invoices.find((i) => i.key.number === 'G-50101')!;
    await run([gobi]);
    const [first, next] = ownInvoiceIds(CREDENTIALS.tenant, gobi.key);
    const endpoint = await cancelByHand(first!);
    // A run killed after its approval was answered and journaled, before the invoice settled.
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const pre = Journal.open({ path: join(dir, 'journal.jsonl'), target: 'folio', endpoint, batch: 'b', sync: false });
    pre.append({ t: 'invoice', vendor: gobi.key.vendor, number: gobi.key.number, id: first!, found: false });
    pre.append({ t: 'processed', vendor: gobi.key.vendor, number: gobi.key.number, id: first! });
    pre.close();
    const before = { ...sb.state().counters.requests };
    const again = await run([gobi], {}, dir);
    expect(again.results[0]).toMatchObject({ status: 'failed', id: first, error: { code: 'WITHDRAWN' } });
    const after = sb.state();
    // No write: the login (`POST other`) and reads only.
    const writes = ['POST create', 'POST line', 'PUT process', 'POST attachment'];
    expect(writes.map((k) => after.counters.requests[k] ?? 0)).toEqual(writes.map((k) => before[k] ?? 0));
    expect(after.invoices.filter((i) => i.vendorInvoiceNo === 'G-50101').map((i) => [i.id, i.status])).toEqual([[first, 'Cancelled']]);
    expect(after.invoices.some((i) => i.id === next)).toBe(false);
  });

  it('attaches the batch\'s files as documents, once; re-runs without the journal find them by name and size and send none', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'folio-docs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'G-50101.pdf'), '%PDF-1.4 G-50101');
    writeFileSync(join(dir, 'G-50101-note.pdf'), '%PDF-1.4 delivery note');
    const rows = sampleRows();
    const first = rows.findIndex((r) => r['invoice_number'] === 'G-50101');
    rows[first] = { ...rows[first]!, attachment: join(dir, 'G-50101.pdf') };
    rows.splice(first + 1, 0, { invoice_number: 'G-50101', vendor: rows[first]!['vendor']!, attachment: join(dir, 'G-50101-note.pdf') });
    const invoices = folioInvoices(rows);
    const out = await run(invoices, { approve: false });
    expect(out.results.every((r) => r.status === 'loaded' && r.workflowStatus === 'Open')).toBe(true);
    const id = invoiceIdOf(CREDENTIALS.tenant, invoices[0]!.key);
    expect(sb.state().documents.map((d) => [d.name, d.invoiceId, d.size])).toEqual([
      ['G-50101.pdf', id, 16],
      ['G-50101-note.pdf', id, 22],
    ]);
    expect(out.results[0]!.attachments?.map((a) => a.file)).toEqual(['G-50101.pdf', 'G-50101-note.pdf']);
    expect(sb.state().counters.requests['POST attachment']).toBe(2);
    // Without the journal, the Open invoice is found and its documents listed: each file is there under its name and size.
    await run(invoices, { approve: false });
    expect(sb.state().counters.requests['POST attachment']).toBe(2);
    // The approving run finds them too, and approves without sending a file.
    const approved = await run(invoices);
    expect(approved.results.every((r) => r.workflowStatus === 'Approved')).toBe(true);
    expect(sb.state().counters.requests['POST attachment']).toBe(2);
    expect(sb.state().documents).toHaveLength(2);
  });

  it('no-approve leaves the invoices Open with all their lines', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const out = await run(invoices, { approve: false });
    expect(out.results.every((r) => r.status === 'loaded' && r.workflowStatus === 'Open')).toBe(true);
    expectOnce(sb.state(), invoices, false);
    expect(sb.state().counters.requests['PUT process']).toBeUndefined();
  });

  it('an unknown vendor, fund or PO line fails that invoice before anything of it is sent', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const rows = sampleRows().map((r) => (r.invoice_number === 'G-50102' ? { ...r, fund_code: 'NOFUND' } : r.invoice_number === 'G-50101' && r.line_number === '2' ? { ...r, po_line: '99999-9' } : r));
    const out = await run(folioInvoices(rows));
    const byNo = new Map(out.results.map((r) => [r.key.number, r]));
    expect(byNo.get('G-50102')!.error).toMatchObject({ step: 'create', code: 'fund_not_found', message: 'FOLIO has no fund with code "NOFUND"' });
    expect(byNo.get('G-50101')!.error).toMatchObject({ step: 'create', code: 'po_line_not_found' });
    expect(byNo.get('EBS-7001')!.status).toBe('loaded');
    expect(sb.state().counters.created['GOBI']).toBeUndefined();
  });
});

describe('FOLIO: an invoice with the same vendor and number that invoice-load did not create', () => {
  it('is left as it is: no line added, not approved; the invoice fails EXISTS_NOT_OURS and the others load', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const gobi = invoices.find((i) => i.key.number === 'G-50101')!;
    // No lock total (it is optional): nothing in the look-up's answer tells it from ours but its id.
    const theirs = await keyInByHand(sb.url, gobi);
    const out = await run(invoices);
    const byNo = new Map(out.results.map((r) => [r.key.number, r]));
    expect(byNo.get('G-50101')).toMatchObject({ status: 'failed', error: { step: 'lookup', code: 'EXISTS_NOT_OURS' } });
    expect(byNo.get('G-50101')!.error!.message).toBe(
      `an invoice G-50101 of vendor GOBI already exists in FOLIO (id ${theirs}, Open) that invoice-load did not create; it was left as it is, and this one was not sent (EXISTS_NOT_OURS) — ` +
        'check it in FOLIO: if it is this invoice, take it out of the file; if not, correct the number in the file',
    );
    expect([...byNo.values()].filter((r) => r.status === 'loaded').map((r) => r.key.number)).toEqual(['HA-2025-00512', 'EBS-7001', 'G-50102']);
    const state = sb.state();
    const held = state.invoices.find((i) => i.id === theirs)!;
    expect(held.status).toBe('Open');
    expect(state.lines.filter((l) => l.invoiceId === theirs)).toHaveLength(1);
    expect(state.counters.approvals[theirs]).toBeUndefined();
    expect(state.counters.created['GOBI']?.['G-50101']).toBe(1);
  });

  it('beside the one invoice-load made, ours is the one used, whatever the ids\' order; theirs is left as it is', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    await run(invoices, { approve: false });
    const gobi = invoices.find((i) => i.key.number === 'G-50101')!;
    // An id that sorts before any other: the oldest by text, had the ids' order decided.
    const theirs = await keyInByHand(sb.url, gobi, { id: '00000000-0000-4000-8000-000000000001', lockTotal: 110 });
    const out = await run(invoices);
    const r = out.results.find((x) => x.key.number === 'G-50101')!;
    expect(r).toMatchObject({ status: 'loaded', workflowStatus: 'Approved', id: invoiceIdOf(CREDENTIALS.tenant, gobi.key) });
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'several_found', message: expect.stringMatching(/^FOLIO holds 2 invoices numbered G-50101 from GOBI .*; used [0-9a-f-]{36}, the one invoice-load made; the other was left as it is$/) }),
    ]);
    const state = sb.state();
    expect(state.invoices.find((i) => i.id === theirs)!.status).toBe('Open');
    expect(state.lines.filter((l) => l.invoiceId === theirs)).toHaveLength(1);
    expect(state.counters.approvals[theirs]).toBeUndefined();
    expect(state.counters.reapprovals).toBe(0);
  });
});

const KINDS = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle'] as const;

describe('FOLIO: a fault at each write step, of each kind — exactly once', () => {
  for (const step of ['create', 'line', 'process'] as const) {
    for (const kind of KINDS) {
      it(`${kind} at ${step}`, async () => {
        const opts: FolioSandboxOptions = { port: 0, timeoutHoldMs: 1_500, faults: [{ step, kind, match: 'EBS-7001' }] };
        sb = await startFolioSandbox(opts);
        const invoices = folioInvoices(sampleRows());
        const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
        dirs.push(dir);
        const out = await run(invoices, {}, dir);
        expect(sb.state().counters.faults[kind], 'the fault was injected').toBe(1);
        // An approval answered by a 5xx or a dropped connection that FOLIO did not apply reads
        // Open however long it is watched: never sent again in the run, it is the re-run's to send.
        const unknown = step === 'process' && (kind === 'error_before' || kind === 'drop_before');
        expect(out.results.map((r) => (r.status === 'failed' ? r.error?.code : r.status))).toEqual(['loaded', 'loaded', unknown ? 'OUTCOME_UNKNOWN' : 'loaded', 'loaded']);
        const last = unknown ? await run(invoices, {}, dir) : out;
        expect(last.results.map((r) => r.status)).toEqual(unknown ? ['already_loaded', 'already_loaded', 'loaded', 'already_loaded'] : ['loaded', 'loaded', 'loaded', 'loaded']);
        expectOnce(sb.state(), invoices, true);
      });
    }
  }
});

describe('FOLIO: an invoice its acquisitions units keep the user from approving (403 for that record only)', () => {
  it('fails that invoice with FOLIO\'s code and words; the run goes on and the others are approved', async () => {
    sb = await startFolioSandbox({ port: 0, acqRestricted: ['EBS-7001'] });
    const invoices = folioInvoices(sampleRows());
    const out = await run(invoices);
    expect(out.stopped).toBeUndefined();
    expect(out.results.map((r) => [r.key.number, r.status, r.workflowStatus])).toEqual([
      ['G-50101', 'loaded', 'Approved'],
      ['HA-2025-00512', 'loaded', 'Approved'],
      ['EBS-7001', 'failed', undefined],
      ['G-50102', 'loaded', 'Approved'],
    ]);
    const ebsco = out.results.find((r) => r.key.number === 'EBS-7001')!;
    expect(ebsco.error).toMatchObject({ step: 'process', http_status: 403, code: 'userHasNoPermission' });
    expect(ebsco.error!.message).toMatch(
      /^FOLIO's acquisitions units do not allow user diku_admin to change this record \(PUT \/invoice\/invoices\/[0-9a-f-]{36}\): .*FOLIO said "User does not have permissions - operation is restricted"\./,
    );
    const state = sb.state();
    const held = state.invoices.find((i) => i.vendorInvoiceNo === 'EBS-7001')!;
    expect(held.status).toBe('Open');
    expect(state.counters.approvals[held.id as string]).toBeUndefined();
  });
});

describe('FOLIO: a line answered 5xx that mod-invoice half did (stored without its PO line link)', () => {
  const DIFFERS = new RegExp(
    '^FOLIO holds line 1 of invoice EBS-7001 of vendor EBSCO \\(id [0-9a-f-]{36}\\), made by a send of it that was not answered as done, ' +
      'with other values than the file: line 1 poLineId: nothing in FOLIO, "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70004" in the file\\. ' +
      'It was not taken as this line, and nothing more was sent for the invoice \\(EXISTS_DIFFERENT\\)',
  );
  const ebscoOnly = (out: Awaited<ReturnType<typeof run>>) => out.results.map((r) => [r.key.number, r.status === 'failed' ? r.error?.code : r.status]);

  it('found by its id when the repeated send is refused: not adopted, the invoice fails EXISTS_DIFFERENT and is not approved; the others load', async () => {
    sb = await startFolioSandbox({ port: 0, halfDoneLines: ['EBS-7001'] });
    const invoices = folioInvoices(sampleRows());
    const out = await run(invoices);
    expect(ebscoOnly(out)).toEqual([
      ['G-50101', 'loaded'],
      ['HA-2025-00512', 'loaded'],
      ['EBS-7001', 'EXISTS_DIFFERENT'],
      ['G-50102', 'loaded'],
    ]);
    const ebsco = out.results.find((r) => r.key.number === 'EBS-7001')!;
    expect(ebsco.error).toMatchObject({ step: 'lines', line: { number: '1', po_line: '10003-1' } });
    expect(ebsco.error!.message).toMatch(DIFFERS);
    const state = sb.state();
    const held = state.invoices.find((i) => i.vendorInvoiceNo === 'EBS-7001')!;
    expect(held.status).toBe('Open');
    expect(state.counters.approvals[held.id as string]).toBeUndefined();
  });

  it('found by the listing of a re-run, after a run that stopped before the line\'s answer: not adopted either', async () => {
    sb = await startFolioSandbox({ port: 0, halfDoneLines: ['EBS-7001'] });
    const invoices = folioInvoices(sampleRows()).filter((i) => i.key.number === 'EBS-7001');
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const first = await run(invoices, {}, dir);
    expect(ebscoOnly(first)).toEqual([['EBS-7001', 'EXISTS_DIFFERENT']]);
    // As if a later run had sent line 1 again and stopped before its answer: its send is without an outcome.
    const file = join(dir, 'journal.jsonl');
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { endpoint: string };
    const journal = Journal.open({ path: file, target: 'folio', endpoint: header.endpoint, batch: 'b', sync: false });
    journal.append({ t: 'intent', vendor: 'EBSCO', number: 'EBS-7001', step: 'line', line: '1', id: first.results[0]!.id!, at: 0 });
    journal.close();
    const again = await run(invoices, {}, dir);
    expect(ebscoOnly(again)).toEqual([['EBS-7001', 'EXISTS_DIFFERENT']]);
    expect(again.results[0]!.error!.message).toMatch(DIFFERS);
    expect(sb.state().counters.requests['POST line']).toBe(2);
    const state = sb.state();
    expect(state.counters.requests['PUT process']).toBeUndefined();
    expect(state.lines.filter((l) => l.invoiceId === state.invoices[0]!.id)).toHaveLength(1);
  });
});

describe('FOLIO: a create answered with another id than the one sent', () => {
  it('stops the run before anything else is written: one invoice made under FOLIO\'s id, no line, no approval', async () => {
    sb = await startFolioSandbox({ port: 0, serverIds: true });
    const invoices = folioInvoices(sampleRows());
    const out = await run(invoices);
    expect(out.stopped).toMatchObject({ reason: 'ids_not_kept', message: expect.stringMatching(/^FOLIO did not keep the id invoice-load gave invoice .* nothing more will be sent\./) });
    const failed = out.results.filter((r) => r.error?.code === 'ID_NOT_KEPT');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', error: { step: 'create', code: 'ID_NOT_KEPT', http_status: 201 } });
    expect(failed[0]!.error!.message).toBe(out.stopped!.message);
    // The others were never sent (FOLIO holds the one invoice): not started, not failed.
    expect(out.results.filter((r) => r !== failed[0]).map((r) => [r.status, r.error?.code])).toEqual(Array.from({ length: invoices.length - 1 }, () => ['not_started', 'NOT_STARTED']));
    const state = sb.state();
    expect(state.invoices).toHaveLength(1);
    expect(state.lines).toHaveLength(0);
    expect(state.counters.approvals).toEqual({});
    expect(state.counters.requests['PUT process']).toBeUndefined();
  });

  it('a re-run finds that invoice and leaves it alone, saying an earlier run made it under FOLIO\'s id (not that invoice-load did not)', async () => {
    sb = await startFolioSandbox({ port: 0, serverIds: true });
    const invoices = folioInvoices(sampleRows());
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const first = await run(invoices, {}, dir);
    const made = first.results.find((r) => r.error?.code === 'ID_NOT_KEPT')!;
    const held = sb.state().invoices[0]!;
    const again = await run(invoices, {}, dir);
    const r = again.results.find((x) => x.key.number === made.key.number)!;
    expect(r).toMatchObject({ status: 'failed', error: { step: 'lookup', code: 'ID_NOT_KEPT' } });
    expect(r.error!.message).toBe(
      `invoice ${made.key.number} of vendor ${made.key.vendor} in FOLIO (id ${held.id as string}, Open) was created by an earlier run of invoice-load, ` +
        'but FOLIO made it under an id of its own, not the one invoice-load gave (ID_NOT_KEPT); invoice-load continues only invoices under its own ids, ' +
        'so it was left as it is — nothing added, nothing approved — and this one was not sent: ' +
        'ask your FOLIO administrators why a new record does not keep the id it is sent with; once it does, delete it in FOLIO and load this file again',
    );
    // The guard stands: nothing was added to it, nor approved.
    const state = sb.state();
    expect(state.lines.filter((l) => l.invoiceId === held.id)).toHaveLength(0);
    expect(state.counters.approvals[held.id as string]).toBeUndefined();
  });
});

describe('FOLIO: the creates held back behind one whose id FOLIO did not keep', () => {
  it('are journaled unsent, not pending: a re-run of the whole batch does not wait the settle window for them', async () => {
    sb = await startFolioSandbox({ port: 0, serverIds: true });
    const invoices = folioInvoices(sampleRows());
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    // A fake wall clock that only the engine's sleeps move: every settle wait is counted.
    let wall = 1_700_000_000_000;
    const sleeps: number[] = [];
    const clock: Partial<EngineOptions> = {
      wallNow: () => wall,
      sleep: async (ms) => {
        sleeps.push(ms);
        wall += ms;
      },
    };
    const first = await run(invoices, {}, dir, clock);
    expect(first.stopped?.reason).toBe('ids_not_kept');
    const made = first.results.find((r) => r.error?.code === 'ID_NOT_KEPT')!;
    const entries = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry);
    const numbers = (t: JournalEntry['t']): string[] =>
      entries.flatMap((e) => (e.t === t && (e as { step?: string }).step === 'create' ? [(e as { number: string }).number] : [])).sort();
    // The invoices in flight beside it (concurrency 3) wrote their create's intent, then waited their turn.
    const held = numbers('intent').filter((n) => n !== made.key.number);
    expect(held).toHaveLength(2);
    expect(numbers('unsent')).toEqual(held);
    // Only the create FOLIO answered is without an outcome (a re-run's look-up finds it at once).
    const pending = [...foldJournal(entries)].filter(([, st]) => st.createPending).map(([k]) => k.split('\u0000')[1]);
    expect(pending).toEqual([made.key.number]);
    expect(sb.state().invoices).toHaveLength(1);

    sleeps.length = 0;
    const again = await run(invoices, {}, dir, clock);
    expect(again.results.find((r) => r.key.number === made.key.number)).toMatchObject({ status: 'failed', error: { step: 'lookup', code: 'ID_NOT_KEPT' } });
    expect(sleeps, 'no settle wait for a create that was never sent').toEqual([]);
  });
});

describe('FOLIO: an approval whose answer was lost is never sent twice in a run', () => {
  it('a slow approval (FOLIO keeps the invoice Open while its finance work runs) is watched, not sent again; a re-run finds it approved', async () => {
    let clock = 1_000_000;
    sb = await startFolioSandbox({ port: 0, now: () => clock, approvalMs: 120_000, faults: [{ step: 'process', kind: 'lost_after', match: 'EBS-7001' }] });
    const invoices = folioInvoices(sampleRows()).filter((i) => i.key.number === 'EBS-7001');
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const first = await run(invoices, {}, dir);
    const id = invoiceIdOf(CREDENTIALS.tenant, invoices[0]!.key);
    expect(first.results[0]).toMatchObject({ status: 'failed', error: { step: 'process', code: 'OUTCOME_UNKNOWN' } });
    // The run's request timeout is 1 s: watched 1 + 10 s.
    expect(first.results[0]!.error!.message).toMatch(
      /^approval outcome unknown: FOLIO did not answer the approval \(.+\), and the invoice still showed Open 11 s later; it was not sent again, as a second approval could be a second financial transaction — run the same command again to check it: it reads the invoice first$/,
    );
    expect(sb.state().counters.approvals[id]).toBe(1);
    expect(sb.state().counters.reapprovals).toBe(0);
    // FOLIO finishes its work; the same command again reads the invoice and sends nothing.
    clock += 120_000;
    const again = await run(invoices, {}, dir);
    expect(again.results[0]).toMatchObject({ status: 'loaded', workflowStatus: 'Approved' });
    expect(sb.state().counters.requests['PUT process']).toBe(1);
    expectOnce(sb.state(), invoices, true);
  });

  it('an approval answered 5xx that FOLIO did not apply is not sent again in the run; the re-run reads it once and sends it, once', async () => {
    sb = await startFolioSandbox({ port: 0, faults: [{ step: 'process', kind: 'error_before', match: 'EBS-7001' }] });
    const invoices = folioInvoices(sampleRows()).filter((i) => i.key.number === 'EBS-7001');
    const dir = mkdtempSync(join(tmpdir(), 'folio-target-'));
    dirs.push(dir);
    const first = await run(invoices, {}, dir);
    expect(first.results[0]!.error).toMatchObject({ step: 'process', code: 'OUTCOME_UNKNOWN', http_status: 500 });
    expect(sb.state().counters.requests['PUT process']).toBe(1);
    const reads = sb.state().counters.requests['GET poll'] ?? 0;
    const again = await run(invoices, {}, dir);
    expect(again.results[0]).toMatchObject({ status: 'loaded', workflowStatus: 'Approved' });
    // The first run watched it whole: the re-run reads it once, then approval's own read, PUT and read — no second watch.
    expect((sb.state().counters.requests['GET poll'] ?? 0) - reads).toBe(3);
    expect(sb.state().counters.requests['PUT process']).toBe(2);
    expectOnce(sb.state(), invoices, true);
  });
});
