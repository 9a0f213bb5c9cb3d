/** FOLIO's online preflight against its sandbox: unknown vendor, fund and PO line, an inactive vendor, existing invoices, and the estimate. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyString } from '../../../src/domain/model.js';
import { startFolioSandbox, type FolioSandbox } from '../../../src/sandbox/folio/server.js';
import { runFolioPreflight } from '../../../src/targets/folio/preflight.js';
import { createFolioTarget } from '../../../src/targets/folio/target.js';
import { CREDENTIALS, folioInvoices, keyInByHand, sampleRows } from './helpers.js';

let sb: FolioSandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const target = () => createFolioTarget({ baseUrl: sb!.url, credentials: CREDENTIALS, rate: 2000 });

describe('FOLIO preflight', () => {
  it('catches an unknown vendor, fund and PO line at their rows; the others pass with an estimate', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const rows = sampleRows().map((r, i) =>
      i === 0 || i === 1 ? { ...r, vendor: 'NOSUCH' } : i === 2 ? { ...r, fund_code: 'NOFUND' } : i === 6 ? { ...r, po_line: '99999-1' } : r,
    );
    const invoices = folioInvoices(rows, 'b.csv');
    const t = target();
    const out = await runFolioPreflight(invoices, t, { rate: 10, approve: true });
    const codes = (n: string) => out.problems.get(keyString(invoices.find((i) => i.key.number === n)!.key))!.map((p) => [p.code, p.row, p.column]);
    expect(codes('G-50101')).toEqual([['vendor_not_found', 2, 'vendor']]);
    expect(codes('HA-2025-00512')).toEqual([['fund_not_found', 4, 'fund_code']]);
    expect(codes('EBS-7001')).toEqual([['po_line_not_found', 8, 'po_line']]);
    expect(codes('G-50102')).toEqual([]);
    expect(out.report).toMatchObject({
      target: 'folio',
      checked: { vendors: 4, funds: 5, po_lines: 5, invoices: 3 },
      unchecked: [],
      estimate: { invoices: 1, lines: 1, requests: { create: 1, lines: 1, process: 3 } },
    });
    // One request per kind of record (40 codes each), one invoice search per known vendor, and the login.
    expect(out.report.requests).toBe(t.requestCount());
    expect(sb.state().counters.requests['GET read']).toBe(3);
    await t.close();
  });

  it('with --no-approve an inactive organization is a warning, a non-vendor an error; an invoice already in FOLIO is an error', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const sample = folioInvoices(sampleRows());
    const loader = target();
    await loader.createInvoice(sample.find((i) => i.key.number === 'G-50102')!);
    await loader.close();
    const rows = sampleRows().map((r) => (r.invoice_number === 'HA-2025-00512' ? { ...r, vendor: 'OLDVEN' } : r.invoice_number === 'EBS-7001' ? { ...r, vendor: 'CAMPUS' } : r));
    const invoices = folioInvoices(rows);
    const t = target();
    const out = await runFolioPreflight(invoices, t, { rate: 10, approve: false });
    const codes = (n: string) => out.problems.get(keyString(invoices.find((i) => i.key.number === n)!.key))!.map((p) => p.code);
    expect(codes('HA-2025-00512')).toEqual(['vendor_inactive']);
    // Nothing approved (--no-approve): an inactive vendor's invoice is created, so only a warning.
    expect(out.problems.get(keyString(invoices.find((i) => i.key.number === 'HA-2025-00512')!.key))![0]).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/is Inactive in FOLIO; a load with --no-approve creates the invoice, but it cannot be approved until the organization is active/),
    });
    // Approving, it stays an error: the invoice would be created, then refused approval.
    const approving = await runFolioPreflight(invoices, t, { rate: 10, approve: true });
    expect(approving.problems.get(keyString(invoices.find((i) => i.key.number === 'HA-2025-00512')!.key))).toEqual([
      expect.objectContaining({ code: 'vendor_inactive', severity: 'error', column: 'vendor', message: 'organization "OLDVEN" is Inactive in FOLIO; an invoice of it cannot be approved' }),
    ]);
    expect(codes('EBS-7001')).toEqual(['vendor_not_vendor']);
    expect(codes('G-50102')).toEqual(['invoice_exists']);
    expect(out.problems.get(keyString(invoices.find((i) => i.key.number === 'G-50102')!.key))![0]!.message).toMatch(/a load would skip it as already loaded/);
    expect(out.report.estimate.requests.process).toBe(0);
    await t.close();
  });

  it('an invoice invoice-load did not create (not its id) is said as the load says it: left as it is, this one not sent', async () => {
    sb = await startFolioSandbox({ port: 0 });
    const invoices = folioInvoices(sampleRows());
    const gobi = invoices.find((i) => i.key.number === 'G-50101')!;
    const theirs = await keyInByHand(sb.url, gobi, { lockTotal: 110 });
    const t = target();
    const out = await runFolioPreflight(invoices, t, { rate: 10, approve: true });
    expect(out.problems.get(keyString(gobi.key))).toEqual([
      expect.objectContaining({
        code: 'invoice_exists',
        column: 'invoice_number',
        message: `an invoice G-50101 of vendor GOBI already exists in FOLIO (id ${theirs}, Open) that invoice-load did not create; it was left as it is, and this one was not sent (EXISTS_NOT_OURS) — check it in FOLIO: if it is this invoice, take it out of the file; if not, correct the number in the file`,
      }),
    ]);
    expect(out.report.estimate.invoices).toBe(3);
    await t.close();
  });

  it('a found invoice whose lock total is blank or no number is compared as the load compares it: reported, never an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'folio-lock-'));
    try {
      const statePath = join(dir, 'state.json');
      sb = await startFolioSandbox({ port: 0, statePath });
      const invoices = folioInvoices(sampleRows());
      const blank = invoices.find((i) => i.key.number === 'G-50102')!;
      const odd = invoices.find((i) => i.key.number === 'G-50101')!;
      const loader = target();
      await loader.createInvoice(blank);
      await loader.createInvoice(odd);
      await loader.close();
      await sb.close();
      // FOLIO answering a lock total that is blank, or not a number (a scripted answer: the sandbox's schema would refuse both on a create).
      const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { data: { invoices: { vendorInvoiceNo: string; lockTotal?: unknown }[] } };
      for (const i of saved.data.invoices) i.lockTotal = i.vendorInvoiceNo === blank.key.number ? '' : 'n/a';
      writeFileSync(statePath, JSON.stringify(saved));
      sb = await startFolioSandbox({ port: 0, statePath });
      const t = target();
      const out = await runFolioPreflight(invoices, t, { rate: 10, approve: true });
      // Blank: unknown, not another total — the load adopts it and skips it (matches.ts holdsOtherTotal).
      expect(out.problems.get(keyString(blank.key))).toEqual([expect.objectContaining({ code: 'invoice_exists', message: expect.stringMatching(/a load would skip it as already loaded$/) })]);
      // No number: another invoice, in the words the load uses before its first write.
      expect(out.problems.get(keyString(odd.key))).toEqual([
        expect.objectContaining({ code: 'invoice_exists', column: 'invoice_number', message: expect.stringMatching(/^FOLIO already holds invoice G-50101 of vendor GOBI \(id [^)]+\) with total n\/a, this file says .*\(EXISTS_DIFFERENT\)/) }),
      ]);
      await t.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("counts a POST for each file the load would send as the invoice's documents", async () => {
    sb = await startFolioSandbox({ port: 0 });
    const rows = sampleRows().map((r) => (r.invoice_number === 'G-50102' ? { ...r, attachment: 'g-50102.pdf' } : r.invoice_number === 'G-50101' && r.line_number === '2' ? { ...r, attachment: 'g-50101.pdf' } : r));
    const invoices = folioInvoices(rows);
    const t = target();
    const out = await runFolioPreflight(invoices, t, { rate: 10, approve: false });
    const r = out.report.estimate.requests;
    expect(out.report.estimate.invoices).toBe(4);
    expect(r.attachments).toBe(2);
    expect(r.total).toBe(r.lookups + r.create + r.lines + 2 + r.process);
    await t.close();
  });
});
