/**
 * `export` against an API that does not apply the listing's `invoice_workflow_status` filter (an
 * implementation of the OAS that ignores the parameter): the invoices in other statuses — In
 * Review, Closed, already waiting for payment — are not written to the hand-over nor marked, and
 * the report says which were left out.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const loop = loopbackPerTest();

const invoice = (id: string, number: string, status: unknown) => ({
  id,
  number,
  vendor: { value: 'ACME', desc: 'ACME Inc.' },
  total_amount: 10,
  currency: { value: 'USD' },
  invoice_workflow_status: status,
  invoice_lines: { total_record_count: 1, invoice_line: [{ id: `L${id}`, number: '1', type: { value: 'REGULAR' }, price: 10, quantity: 1 }] },
});

/**
 * Every invoice, whatever the status asked for; a mark moves one to Ready to be Paid, but the
 * `dailyAtMark`th mark (1-based), which is refused for the daily threshold. The requests it saw.
 */
async function unfiltered(dailyAtMark?: number): Promise<{ url: string; seen: string[] }> {
  let marks = 0;
  const all = new Map(
    [
      invoice('1', 'W-1', { value: 'Waiting to be Sent', desc: 'Ready to be Paid' }),
      invoice('2', 'R-2', { value: 'InReview', desc: 'In Review' }),
      invoice('3', 'W-3', 'Waiting to be Sent'),
      invoice('4', 'C-4', { value: 'CLOSED', desc: 'Closed' }),
      invoice('5', 'P-5', { value: 'Ready to be Paid', desc: 'Waiting for Payment' }),
    ].map((i) => [i.id, i]),
  );
  return loop.scripted((req, url, send) => {
    const one = /^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const page = [...all.values()].slice(offset, offset + 100);
      return send(200, page.length > 0 ? { total_record_count: all.size, invoice: page } : { total_record_count: all.size });
    }
    if (one !== null && all.has(one[1]!)) {
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp' && ++marks === dailyAtMark) {
        return send(429, { errorsExist: true, errorList: { error: [{ errorCode: 'DAILY_THRESHOLD', errorMessage: 'Daily threshold exceeded' }] } });
      }
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') all.set(one[1]!, { ...all.get(one[1]!)!, invoice_workflow_status: { value: 'Ready to be Paid', desc: 'Waiting for Payment' } });
      return send(200, all.get(one[1]!));
    }
    return send(400, { errorsExist: true, errorList: { error: [{ errorCode: '402119', errorMessage: 'General error.' }] } });
  });
}

describe('export when the listing ignores the status filter', () => {
  it('hands over and marks only the invoices in the status asked for, and warns of the others', async () => {
    const api = await unfiltered();
    const dir = loop.tempDir('invoice-load-export-status-');
    const env = { ALMA_API_URL: api.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const out = join(dir, 'to-finance.json');

    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env });
    expect(res.code, res.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as { invoice_id: string }[];
    expect(rows.map((r) => r.invoice_id)).toEqual(['1', '3']);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['POST /almaws/v1/acq/invoices/1?op=mark_in_erp', 'POST /almaws/v1/acq/invoices/3?op=mark_in_erp']);
    const doc = JSON.parse(res.stdout) as LifecycleReport;
    expect(doc.summary).toMatchObject({ invoices: 2, marked: 2, failed: 0 });
    expect(doc.issues).toEqual([
      {
        file: out,
        code: 'other_status',
        severity: 'warning',
        message:
          'Alma listed 3 invoices not in Waiting to be Sent when asked for Waiting to be Sent only; not exported: ' +
          'ACME R-2 (id 2) is In Review, ACME C-4 (id 4) is CLOSED, ACME P-5 (id 5) is Ready to be Paid',
      },
    ]);

    // Said as a warning line in the summary too (a dry run: nothing written or marked).
    const dry = await runCli(['export', '--dry-run', '--status', 'In Review', '--rate', '200', '-o', join(dir, 'x.csv')], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/warning Alma listed 4 invoices not in In Review when asked for In Review only; not exported: ACME W-1 \(id 1\) is Ready to be Paid, .* \[other_status\]/);
  });

  it('a run cut short: its marked invoice, listed now in another status, is carried into the next file and not warned of', async () => {
    const api = await unfiltered(2);
    const dir = loop.tempDir('invoice-load-export-status-');
    const env = { ALMA_API_URL: api.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const out = join(dir, 'to-finance.json');
    const args = ['export', '--mark-in-erp', '--json', '--rate', '200', '--concurrency', '1', '-o', out];

    // W-1 is marked, W-3's mark is refused for the daily threshold: the run stops.
    const cut = await runCli(args, { env });
    expect((JSON.parse(cut.stdout) as LifecycleReport).stopped, cut.stderr).toBe('daily_limit');
    // The next run lists W-1 as Ready to be Paid now: it stays in the file that replaces the cut one.
    const res = await runCli(args, { env });
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { invoice_id: string }[]).map((r) => r.invoice_id).sort()).toEqual(['1', '3']);
    const doc = JSON.parse(res.stdout) as LifecycleReport;
    expect(doc.invoices.map((i) => [i.number, i.status])).toEqual([
      ['W-3', 'marked'],
      ['W-1', 'already_done'],
    ]);
    expect(doc.issues.map((p) => p.message)).toEqual([
      'Alma listed 3 invoices not in Waiting to be Sent when asked for Waiting to be Sent only; not exported: ' +
        'ACME R-2 (id 2) is In Review, ACME C-4 (id 4) is CLOSED, ACME P-5 (id 5) is Ready to be Paid',
    ]);
  });
});
