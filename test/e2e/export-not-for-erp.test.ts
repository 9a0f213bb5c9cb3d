/**
 * `export` leaves out what Alma's own finance export leaves out (FIN-EXPORT, docs/alma.md "The
 * hand-over to finance"): internal copies, and prepaid invoices not marked Export to ERP. They
 * are not written to the hand-over nor marked (an internal copy marked would wait for a payment
 * no ERP confirms), and the report names them in one `not_for_erp` warning.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const loop = loopbackPerTest();

const WAITING = { value: 'Waiting to be Sent', desc: 'Ready to be Paid' };

const invoice = (id: string, number: string, payment: Record<string, unknown> | undefined, status: unknown = WAITING) => ({
  id,
  number,
  vendor: { value: 'ACME', desc: 'ACME Inc.' },
  total_amount: 10,
  currency: { value: 'USD' },
  invoice_workflow_status: status,
  ...(payment !== undefined ? { payment: { payment_status: { value: 'NOT_PAID' }, ...payment } } : {}),
  invoice_lines: { total_record_count: 1, invoice_line: [{ id: `L${id}`, number: '1', type: { value: 'REGULAR' }, price: 10, quantity: 1 }] },
});

/**
 * Invoices waiting to be sent with each combination of the flags (JSON booleans and strings, as
 * samples 01 and 03 have them), one In Review (the listing ignores the status filter), and one
 * listed briefly — no lines, no payment — whose full read shows it an internal copy. A mark moves
 * an invoice to Ready to be Paid. The requests it saw.
 */
async function alma(): Promise<{ url: string; seen: string[] }> {
  const all = new Map(
    [
      invoice('1', 'W-1', { prepaid: false, internal_copy: false }),
      invoice('2', 'IC-2', { prepaid: false, internal_copy: true, export_to_erp: false }),
      invoice('3', 'PP-3', { prepaid: 'true', internal_copy: 'false', export_to_erp: 'false' }),
      invoice('4', 'PE-4', { prepaid: true, internal_copy: false, export_to_erp: true }),
      invoice('5', 'PX-5', { prepaid: true, internal_copy: false }),
      invoice('6', 'U-6', undefined),
      invoice('7', 'R-7', { prepaid: false, internal_copy: false }, { value: 'InReview', desc: 'In Review' }),
      invoice('8', 'IC-8', { prepaid: false, internal_copy: 'true' }),
    ].map((i) => [i.id, i]),
  );
  const brief = new Set(['8']);
  return loop.scripted((req, url, send) => {
    const one = /^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const page = [...all.values()].slice(offset, offset + 100).map((i) => (brief.has(i.id) ? { ...i, payment: undefined, invoice_lines: undefined } : i));
      return send(200, page.length > 0 ? { total_record_count: all.size, invoice: page } : { total_record_count: all.size });
    }
    if (one !== null && all.has(one[1]!)) {
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') all.set(one[1]!, { ...all.get(one[1]!)!, invoice_workflow_status: { value: 'Ready to be Paid', desc: 'Waiting for Payment' } });
      return send(200, all.get(one[1]!));
    }
    return send(400, { errorsExist: true, errorList: { error: [{ errorCode: '402119', errorMessage: 'General error.' }] } });
  });
}

const LEFT_OUT =
  'ACME IC-2 (id 2) is an internal copy, ACME PP-3 (id 3) is prepaid, not marked Export to ERP, ' +
  'ACME PX-5 (id 5) is prepaid, not marked Export to ERP, ACME IC-8 (id 8) is an internal copy';

describe('export leaves out the invoices Alma\'s finance export leaves out', () => {
  it('neither writes nor marks internal copies and prepaid invoices not marked Export to ERP, and names them in one warning', async () => {
    const api = await alma();
    const dir = loop.tempDir('invoice-load-export-erp-');
    const env = { ALMA_API_URL: api.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const out = join(dir, 'to-finance.json');

    // A dry run says so too, and plans only the others; it reads nothing by id, so it goes by
    // what the listing shows (IC-8, listed briefly, is planned).
    const dry = await runCli(['export', '--dry-run', '--rate', '200', '-o', join(dir, 'x.csv')], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      "warning 3 invoices are not for the ERP (Alma's own finance export leaves out internal copies and prepaid invoices not marked Export to ERP); not exported: " +
        'ACME IC-2 (id 2) is an internal copy, ACME PP-3 (id 3) is prepaid, not marked Export to ERP, ACME PX-5 (id 5) is prepaid, not marked Export to ERP [not_for_erp]',
    );
    expect(dry.stdout).toMatch(/^4 invoices: 4 planned\./m);

    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env });
    expect(res.code, res.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as { invoice_id: string }[];
    expect(rows.map((r) => r.invoice_id)).toEqual(['1', '4', '6']);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual([
      'POST /almaws/v1/acq/invoices/1?op=mark_in_erp',
      'POST /almaws/v1/acq/invoices/4?op=mark_in_erp',
      'POST /almaws/v1/acq/invoices/6?op=mark_in_erp',
    ]);
    const doc = JSON.parse(res.stdout) as LifecycleReport;
    expect(doc.summary).toMatchObject({ invoices: 3, marked: 3, failed: 0 });
    expect(doc.invoices.map((i) => i.number)).toEqual(['W-1', 'PE-4', 'U-6']);
    expect(doc.issues).toEqual([
      {
        file: out,
        code: 'other_status',
        severity: 'warning',
        message: 'Alma listed 1 invoice not in Waiting to be Sent when asked for Waiting to be Sent only; not exported: ACME R-7 (id 7) is In Review',
      },
      {
        file: out,
        code: 'not_for_erp',
        severity: 'warning',
        message: `4 invoices are not for the ERP (Alma's own finance export leaves out internal copies and prepaid invoices not marked Export to ERP); not exported nor marked: ${LEFT_OUT}`,
      },
    ]);

    // Still waiting to be sent: the next run leaves them out again, and marks nothing.
    const again = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', join(dir, 'next.json')], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'next.json'), 'utf8'))).toEqual([]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toHaveLength(3);
    expect((JSON.parse(again.stdout) as LifecycleReport).issues.map((p) => p.code)).toEqual(['other_status', 'not_for_erp']);
  });
});
