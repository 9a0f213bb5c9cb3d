/**
 * `export` against a scripted Alma (a loopback server answering as each test says): what is
 * handed over to finance, and what is marked.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { LifecycleReport } from '../../src/report/lifecycle.js';

const loop = loopbackPerTest();
let dir: string | undefined;

/** A server answering with `answer` (helpers/loopback.ts `scripted`); the CLI's environment for it, every request it saw. */
async function scripted(answer: Parameters<typeof loop.scripted>[0]): Promise<{ env: Record<string, string>; seen: string[] }> {
  const { url, seen } = await loop.scripted(answer);
  dir = loop.tempDir('invoice-load-export-handover-');
  return { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, seen };
}

const generalError = { errorsExist: true, errorList: { error: [{ errorCode: '402119', errorMessage: 'General error.' }] } };

describe('export --mark-in-erp', () => {
  it.each([
    ['In Review', 'InReview', 'Alma does not mark an invoice that is not approved yet'],
    ['InApproval', 'InApproval', 'Alma does not mark an invoice that is not approved yet'],
    ['Ready to be Paid', 'Ready to be Paid', "those wait for payment (the UI's Waiting for Payment): they were marked already"],
    ['closed', 'CLOSED', 'those are closed: marked or paid already'],
  ])('with --status %s is a usage error (exit 2): nothing asked of Alma, no file', async (status, code, why) => {
    const api = await scripted((_req, _url, send) => send(400, generalError));
    const out = join(dir!, 'to-finance.csv');
    for (const extra of [[], ['--dry-run']]) {
      const res = await runCli(['export', '--mark-in-erp', '--status', status, ...extra, '--json', '-o', out], { env: api.env });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toBe(
        `invoice-load: --mark-in-erp marks invoices waiting to be sent ("Waiting to be Sent", the UI's Ready to be Paid), not ${code}: ${why}. Leave out --mark-in-erp to export them only\n`,
      );
      expect(res.stdout).toBe('');
    }
    expect(api.seen).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

const ACME = { value: 'ACME', desc: 'ACME Inc.' };
const WAITING = { value: 'Waiting to be Sent', desc: 'Ready to be Paid' };
const MARKED = { value: 'Ready to be Paid', desc: 'Waiting for Payment' };
const line = (id: string, n: number) => ({ id: `${id}-L${n}`, number: String(n), type: { value: 'REGULAR' }, price: 10, quantity: 1, fund_distribution: [{ fund_code: { value: 'F' }, percent: 100 }] });
const lines = (id: string, n: number) => Array.from({ length: n }, (_, i) => line(id, i + 1));
const head = (id: string) => ({ id, number: `N-${id}`, vendor: ACME, total_amount: 10, currency: { value: 'USD' }, invoice_workflow_status: WAITING });
const rows = (out: string): string[] =>
  readFileSync(out, 'utf8')
    .trimEnd()
    .split('\r\n')
    .slice(1)
    .map((r) => r.split(',').filter((_, i) => i === 0 || i === 11).join(' '));

describe('export: every line of an invoice, or none of it', () => {
  it('lines a listing leaves out are read apart, page by page; an invoice Alma gives fewer lines of than it has is neither written nor marked', async () => {
    // What Alma holds: 1 has 3 lines, 2 has 1 (though its listing says 999, as sample 02 does),
    // 3 has 2 (its number_of_lines says so; its list's total says 999), 4 has 1.
    const held = new Map<string, Record<string, unknown>>([
      ['1', { ...head('1'), number_of_lines: { value: 3 }, invoice_lines: { total_record_count: 3, invoice_line: lines('1', 3) } }],
      ['2', { ...head('2'), invoice_lines: { total_record_count: 1, invoice_line: lines('2', 1) } }],
      ['3', { ...head('3'), number_of_lines: { value: 2 }, invoice_lines: { total_record_count: 999, invoice_line: lines('3', 2) } }],
      ['4', { ...head('4'), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines('4', 1) } }],
    ]);
    // The listing: 1 with one of its 3 lines, 2 with its one line under a total of 999, 3 whole, 4 brief.
    const listing = [
      { ...head('1'), invoice_lines: { total_record_count: 3, invoice_line: lines('1', 1) } },
      { ...head('2'), invoice_lines: { total_record_count: 999, invoice_line: lines('2', 1) } },
      held.get('3'),
      head('4'),
    ];
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        return send(200, Number(url.searchParams.get('offset')) === 0 ? { total_record_count: 4, invoice: listing } : { total_record_count: 4 });
      }
      const m = /^\/almaws\/v1\/acq\/invoices\/(\d+)(\/lines)?$/.exec(url.pathname);
      const inv = m === null ? undefined : held.get(m[1]!);
      if (inv === undefined) return send(400, generalError);
      if (m![2] !== undefined) {
        // Two a page, whatever the limit: read page by page.
        const all = (inv['invoice_lines'] as { invoice_line: unknown[] }).invoice_line;
        const offset = Number(url.searchParams.get('offset') ?? 0);
        return send(200, { total_record_count: all.length, invoice_line: all.slice(offset, offset + 2) });
      }
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') inv['invoice_workflow_status'] = MARKED;
      return send(200, inv);
    });
    const out = join(dir!, 'to-finance.csv');
    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env: api.env });
    expect(res.code, res.stderr).toBe(4);
    expect(rows(out)).toEqual(['1 1-L1', '1 1-L2', '1 1-L3', '3 3-L1', '3 3-L2', '4 4-L1']);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['1', '3', '4'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
    // 1's lines were listed apart, over two pages; 3's were all in the listing; 4 was read by id.
    expect(api.seen.filter((r) => r.includes('/lines'))).toEqual([
      'GET /almaws/v1/acq/invoices/1/lines?limit=100&offset=0',
      'GET /almaws/v1/acq/invoices/1/lines?limit=100&offset=2',
      'GET /almaws/v1/acq/invoices/2/lines?limit=100&offset=0',
    ]);
    const doc = JSON.parse(res.stdout) as LifecycleReport;
    expect(doc.summary).toMatchObject({ invoices: 4, marked: 3, failed: 1 });
    expect(doc.invoices.find((i) => i.id === '2')).toMatchObject({
      number: 'N-2',
      status: 'failed',
      workflow_status: 'Waiting to be Sent',
      error: {
        code: 'LINES_INCOMPLETE',
        message:
          "the invoice has 999 lines by Alma's count, but Alma gave 1, also when asked for its lines alone (GET /acq/invoices/2/lines): " +
          'not written to the file nor marked, so that finance is not handed part of it; the next run tries again',
      },
    });
  });

  it('an invoice of a run cut short, marked then, that cannot be read whole now stays to be carried into the next file', async () => {
    const held = new Map<string, Record<string, unknown>>(
      ['1', '3'].map((id) => [id, { ...head(id), number_of_lines: { value: 2 }, invoice_lines: { total_record_count: 2, invoice_line: lines(id, 2) } }]),
    );
    let marks = 0;
    let shortOf1 = false;
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        const waiting = [...held.values()].filter((i) => i['invoice_workflow_status'] === WAITING);
        return send(200, Number(url.searchParams.get('offset')) === 0 && waiting.length > 0 ? { total_record_count: waiting.length, invoice: waiting } : { total_record_count: waiting.length });
      }
      const m = /^\/almaws\/v1\/acq\/invoices\/(\d+)(\/lines)?$/.exec(url.pathname);
      const inv = m === null ? undefined : held.get(m[1]!);
      if (inv === undefined) return send(400, generalError);
      const cut = shortOf1 && m![1] === '1';
      if (m![2] !== undefined) return send(200, { total_record_count: cut ? 1 : 2, invoice_line: lines(m![1]!, cut ? 1 : 2) });
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        // The second mark of the first run is refused for the daily threshold: that run stops.
        if (++marks === 2) return send(429, { errorsExist: true, errorList: { error: [{ errorCode: 'DAILY_THRESHOLD', errorMessage: 'Daily threshold exceeded' }] } });
        inv['invoice_workflow_status'] = MARKED;
      }
      return send(200, cut ? { ...inv, invoice_lines: { total_record_count: 2, invoice_line: lines('1', 1) } } : inv);
    });
    const out = join(dir!, 'to-finance.csv');
    const args = ['export', '--mark-in-erp', '--json', '--rate', '200', '--concurrency', '1', '-o', out];
    const cut = await runCli(args, { env: api.env });
    expect((JSON.parse(cut.stdout) as LifecycleReport).stopped, cut.stderr).toBe('daily_limit');
    // 1 is marked; the next run carries it into its file, but Alma gives one of its two lines now.
    shortOf1 = true;
    const next = await runCli(args, { env: api.env });
    expect(next.code, next.stderr).toBe(4);
    expect((JSON.parse(next.stdout) as LifecycleReport).invoices.map((i) => [i.id, i.status, i.error?.code])).toEqual([
      ['3', 'marked', undefined],
      ['1', 'failed', 'LINES_INCOMPLETE'],
    ]);
    expect(rows(out)).toEqual(['3 3-L1', '3 3-L2']);
    // Read whole again, 1 goes into the next file: it was handed over in no file that stayed. Not
    // 3: the run that ended with it in its file (taken) settled it, and it is not handed over twice.
    shortOf1 = false;
    renameSync(out, `${out}.taken`);
    const last = await runCli(args, { env: api.env });
    expect(last.code, last.stderr).toBe(0);
    expect(rows(out)).toEqual(['1 1-L1', '1 1-L2']);
    expect((JSON.parse(last.stdout) as LifecycleReport).summary).toMatchObject({ already_done: 1, failed: 0 });
    // ...and that run settles it: the next has nothing to carry.
    renameSync(out, `${out}.taken`);
    const after = await runCli(args, { env: api.env });
    expect((JSON.parse(after.stdout) as LifecycleReport).summary.invoices, after.stderr).toBe(0);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toEqual(['1', '3', '3'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
  });
});

describe('export: an invoice listed on two pages', () => {
  it('is written once and marked once', async () => {
    const held = new Map<string, Record<string, unknown>>(
      ['1', '2', '3'].map((id) => [id, { ...head(id), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines(id, 1) } }]),
    );
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        // Two a page; between the pages one more was approved, and 2 moved down onto the second.
        const page = Number(url.searchParams.get('offset')) === 0 ? ['1', '2'] : ['2', '3'];
        return send(200, { total_record_count: 4, invoice: page.map((id) => held.get(id)) });
      }
      const inv = held.get(/^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname)?.[1] ?? '');
      if (inv === undefined) return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') inv['invoice_workflow_status'] = MARKED;
      return send(200, inv);
    });
    const out = join(dir!, 'to-finance.csv');
    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env: api.env });
    expect(res.code, res.stderr).toBe(0);
    expect(rows(out)).toEqual(['1 1-L1', '2 2-L1', '3 3-L1']);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['1', '2', '3'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
    expect((JSON.parse(res.stdout) as LifecycleReport).summary).toMatchObject({ invoices: 3, marked: 3 });
  });
});

describe('export: a mark Alma accepts without showing it (asynchronous)', () => {
  it('answered 200 with an empty body and applied later: each invoice marked once, read until it shows', async () => {
    const held = new Map<string, Record<string, unknown>>(
      ['1', '2', '3'].map((id) => [id, { ...head(id), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines(id, 1) } }]),
    );
    // Reads of each invoice since its mark was accepted: the second shows it marked.
    const since = new Map<string, number>();
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        const waiting = [...held.values()].filter((i) => i['invoice_workflow_status'] === WAITING);
        return send(200, { total_record_count: waiting.length, ...(waiting.length > 0 ? { invoice: waiting } : {}) });
      }
      const id = /^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname)?.[1] ?? '';
      const inv = held.get(id);
      if (inv === undefined) return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        // Once: a mark of an invoice already marked (or being marked) is refused, as Alma refuses a wrong status.
        if (since.has(id)) return send(400, { errorsExist: true, errorList: { error: [{ errorCode: '60267', errorMessage: 'Failed to process invoice in ERP.' }] } });
        since.set(id, 0);
        return send(200);
      }
      if (since.has(id)) {
        since.set(id, since.get(id)! + 1);
        if (since.get(id)! >= 2) inv['invoice_workflow_status'] = MARKED;
      }
      return send(200, inv);
    });
    const out = join(dir!, 'to-finance.csv');
    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '--poll-timeout', '10', '-o', out], { env: api.env });
    expect(res.code, res.stderr).toBe(0);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['1', '2', '3'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
    const doc = JSON.parse(res.stdout) as LifecycleReport;
    expect(doc.summary).toMatchObject({ invoices: 3, marked: 3, failed: 0 });
    expect(doc.invoices.map((i) => i.workflow_status)).toEqual(['Ready to be Paid', 'Ready to be Paid', 'Ready to be Paid']);
    expect(rows(out)).toEqual(['1 1-L1', '2 2-L1', '3 3-L1']);
  });
});

/**
 * A Ctrl-C while the hand-over is being confirmed: Alma accepted the mark (an answer without the
 * invoice) and had not shown it when the run was stopped. The journal holds the mark accepted, so
 * the report says so — NOT_CONFIRMED, "accepted" — not that the invoice was never started; the
 * same command then reads it, finds it marked and sends nothing again.
 */
describe('export --mark-in-erp: a Ctrl-C while the mark is confirmed', () => {
  it('reports the mark accepted and not confirmed (not not started); the same command confirms it without a second mark', async () => {
    let marked = false;
    let shown = false;
    let sigint: (() => void) | undefined;
    const whole = { ...head('1'), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines('1', 1) } };
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        if (shown) return send(200, { total_record_count: 0 });
        return send(200, Number(url.searchParams.get('offset')) === 0 ? { total_record_count: 1, invoice: [whole] } : { total_record_count: 1 });
      }
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        marked = true;
        return send(200, {});
      }
      // The first read after the accepted mark: the Ctrl-C comes while the run confirms it.
      if (marked && sigint !== undefined) {
        sigint();
        sigint = undefined;
      }
      return send(200, { ...whole, invoice_workflow_status: shown ? MARKED : WAITING });
    });
    const out = join(dir!, 'to-finance.csv');
    const run = spawnCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env: api.env });
    sigint = () => run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    const report = JSON.parse(res.stdout) as LifecycleReport;
    expect(report.stopped).toBe('interrupted');
    expect(report.invoices).toHaveLength(1);
    expect(report.invoices[0]).toMatchObject({ status: 'failed', error: { code: 'NOT_CONFIRMED' } });
    expect(report.invoices[0]!.error!.message).toBe(
      'Alma accepted op=mark_in_erp (sent by this run); the run was stopped before the invoice showed it: it is not sent again — the same command reads the invoice and confirms it',
    );
    expect(api.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    // Alma shows it marked now: the same command confirms it, and marks nothing again.
    shown = true;
    const again = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env: api.env });
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as LifecycleReport).invoices).toMatchObject([{ id: '1', status: 'marked' }]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });
});

/**
 * A mark whose answer was lost and whose confirming read then failed may be marked in Alma: the
 * run's hand-over record counts it, so the file that holds it is guarded like any hand-over.
 */
describe('export --mark-in-erp: a mark sent without an answer, its invoice then unreadable', () => {
  it('the file still counts it as handed over: a plain export to that path is refused, the file kept', async () => {
    const whole = { ...head('1'), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines('1', 1) } };
    let marked = false;
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        if (marked) return send(200, { total_record_count: 0 });
        return send(200, Number(url.searchParams.get('offset')) === 0 ? { total_record_count: 1, invoice: [whole] } : { total_record_count: 1 });
      }
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        // Applied, its answer lost.
        marked = true;
        req.socket.destroy();
        return;
      }
      // Read back after the lost answer: Alma errs.
      if (marked) return send(400, generalError);
      return send(200, whole);
    });
    const out = join(dir!, 'z.csv');
    const res = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', out], { env: api.env });
    expect(res.code, res.stderr).toBe(4);
    expect((JSON.parse(res.stdout) as LifecycleReport).invoices).toMatchObject([{ id: '1', status: 'failed' }]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    expect(rows(out)).toEqual(['1 1-L1']);
    const plain = await runCli(['export', '--json', '--rate', '200', '-o', out], { env: api.env });
    expect(plain.code, plain.stderr).toBe(2);
    expect(plain.stderr).toMatch(/z\.csv still holds, unchanged, the invoice that the export of .* marked in Alma and handed over to finance/);
    expect(rows(out)).toEqual(['1 1-L1']);
  });
});

/**
 * Two `export --mark-in-erp` runs at once, to two files: each journal's lock covers one file, so
 * the claims (cli/journals.ts claimedElsewhere) keep them apart. The first is held inside its first
 * mark (the server answers it only once the second has ended): no timing.
 */
describe('export --mark-in-erp: two runs at once, to two files', () => {
  it('the second leaves out every invoice the first is handing over, marks none, and says so; each invoice is marked once', async () => {
    const held = new Map<string, Record<string, unknown>>(
      ['1', '2', '3'].map((id) => [id, { ...head(id), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines(id, 1) } }]),
    );
    let inFirstMark: () => void = () => undefined;
    const firstMark = new Promise<void>((resolve) => (inFirstMark = resolve));
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        const waiting = [...held.values()].filter((i) => i['invoice_workflow_status'] === WAITING);
        return send(200, Number(url.searchParams.get('offset')) === 0 && waiting.length > 0 ? { total_record_count: waiting.length, invoice: waiting } : { total_record_count: waiting.length });
      }
      const id = /^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname)?.[1] ?? '';
      const inv = held.get(id);
      if (inv === undefined) return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        const mark = () => {
          inv['invoice_workflow_status'] = MARKED;
          send(200, inv);
        };
        if (++posts > 1) return mark();
        inFirstMark();
        void released.then(mark);
        return;
      }
      return send(200, inv);
    });
    const a = join(dir!, 'a.csv');
    const b = join(dir!, 'b.csv');
    const first = spawnCli(['export', '--mark-in-erp', '--json', '--rate', '200', '--concurrency', '1', '-o', a], { env: api.env });
    await firstMark;
    const second = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', b], { env: api.env });
    release!();
    const firstDone = await first.done;
    expect(second.code, second.stderr).toBe(0);
    const doc = JSON.parse(second.stdout) as LifecycleReport;
    expect(doc.summary.invoices).toBe(0);
    expect(doc.issues.map((p) => [p.code, p.severity])).toEqual([['held_by_other_run', 'warning']]);
    expect(doc.issues[0]!.message).toMatch(/^3 invoices are being handed over by another invoice-load export running now \(pid \d+, started .*\); not exported nor marked here/);
    expect(rows(b)).toEqual([]);
    expect(firstDone.code, firstDone.stderr).toBe(0);
    expect(rows(a)).toEqual(['1 1-L1', '2 2-L1', '3 3-L1']);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['1', '2', '3'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
  });
});

/**
 * Two `payments` runs at once, of two files naming one invoice: each journal's lock covers one
 * file, so the claims keep them apart. The first is held inside its op=paid (answered once the
 * second has ended): no timing.
 */
describe('payments: two files naming one invoice, run at once', () => {
  it('the second fails the row HELD_BY_OTHER_RUN (a contract status, exit 4), sends nothing for it; the invoice is paid once', async () => {
    const inv: Record<string, unknown> = { ...head('1'), invoice_workflow_status: MARKED, payment: { payment_status: { value: 'NOT_PAID' } } };
    let inPay: () => void = () => undefined;
    const paying = new Promise<void>((resolve) => (inPay = resolve));
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const api = await scripted((req, url, send) => {
      if (url.pathname !== '/almaws/v1/acq/invoices/1') return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'paid') {
        inPay();
        void released.then(() => {
          inv['invoice_workflow_status'] = { value: 'CLOSED' };
          inv['payment'] = { payment_status: { value: 'PAID' }, voucher_number: 'V-1' };
          send(200, inv);
        });
        return;
      }
      return send(200, inv);
    });
    // Two confirmations of one invoice (finance sent it twice, with another voucher): two journals.
    const file = (name: string, voucher: string): string => {
      const p = join(dir!, name);
      writeFileSync(p, `invoice_id,payment_status,voucher_number,voucher_date,voucher_amount\n1,paid,${voucher},2026-12-01,10\n`);
      return p;
    };
    const first = spawnCli(['payments', '--json', '--rate', '200', file('p1.csv', 'V-1')], { env: api.env });
    await paying;
    const second = await runCli(['payments', '--json', '--rate', '200', file('p2.csv', 'V-2')], { env: api.env });
    release!();
    const firstDone = await first.done;
    // A failed row: exit 4, as any (README "Exit codes").
    expect(second.code, second.stderr).toBe(4);
    const doc = JSON.parse(second.stdout) as LifecycleReport;
    expect(doc.invoices).toMatchObject([{ id: '1', status: 'failed', error: { code: 'HELD_BY_OTHER_RUN' }, rows: [{ row: 2 }] }]);
    expect(doc.invoices[0]!.error!.message).toMatch(
      /^another run of invoice-load, of another payments file, is at work on invoice N-1 \(id 1\) now \(pid \d+, started .*\); nothing was sent for this row.*Run this file again once that run ends/,
    );
    expect(doc.invoices[0]!.issues).toEqual([]);
    expect(doc.summary).toMatchObject({ invoices: 1, failed: 1 });
    expect(Object.keys(doc.summary).sort()).toEqual(['already_done', 'exported', 'failed', 'invalid', 'invoices', 'marked', 'paid', 'planned', 'rejected', 'requests']);
    expect(firstDone.code, firstDone.stderr).toBe(0);
    expect((JSON.parse(firstDone.stdout) as LifecycleReport).invoices).toMatchObject([{ id: '1', status: 'paid' }]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toEqual(['POST /almaws/v1/acq/invoices/1?op=paid']);
  });
});

/**
 * A mark whose outcome the run could not learn (its answer lost and the read back failed:
 * OUTCOME_UNKNOWN), or that Alma accepted without showing it (NOT_CONFIRMED), counts in the
 * ended run's file as handed over. Once finance took that file, the next run confirms the mark
 * and writes the invoice into no file again.
 */
describe('export --mark-in-erp: a mark not confirmed in a run that ended, its file taken', () => {
  it.each([
    ['its answer lost, the read back failed (OUTCOME_UNKNOWN)', 'lost'],
    ['accepted, not shown before --poll-timeout (NOT_CONFIRMED)', 'accepted'],
  ])('%s: the next run confirms the mark, sends nothing again and writes the invoice into no file', async (_what, how) => {
    const whole: Record<string, unknown> = { ...head('1'), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines('1', 1) } };
    let posted = false;
    let readFails = how === 'lost';
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        if (whole['invoice_workflow_status'] === MARKED) return send(200, { total_record_count: 0 });
        return send(200, Number(url.searchParams.get('offset')) === 0 ? { total_record_count: 1, invoice: [whole] } : { total_record_count: 1 });
      }
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') {
        posted = true;
        if (how === 'accepted') return send(200, {});
        whole['invoice_workflow_status'] = MARKED;
        req.socket.destroy();
        return;
      }
      if (posted && readFails) return send(400, generalError);
      return send(200, whole);
    });
    const out = join(dir!, 'z.csv');
    const args = ['export', '--mark-in-erp', '--json', '--rate', '200', '--poll-timeout', '1', '-o', out];
    const first = await runCli(args, { env: api.env });
    expect(first.code, first.stderr).toBe(4);
    expect((JSON.parse(first.stdout) as LifecycleReport).invoices[0]!.error!.code).toBe(how === 'lost' ? 'OUTCOME_UNKNOWN' : 'NOT_CONFIRMED');
    expect(rows(out)).toEqual(['1 1-L1']);
    // Alma shows it marked now; finance took the file.
    readFails = false;
    whole['invoice_workflow_status'] = MARKED;
    renameSync(out, join(dir!, 'taken.csv'));
    const next = await runCli(args, { env: api.env });
    expect(next.code, next.stderr).toBe(0);
    const doc = JSON.parse(next.stdout) as LifecycleReport;
    expect(doc.invoices.map((i) => [i.id, i.status])).toEqual([['1', 'marked']]);
    expect(doc.issues.map((i) => i.code)).toEqual(['handed_over_before']);
    expect(rows(out)).toEqual([]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });
});

/**
 * Claims come after the listing (export) or the look-up (payments): a run that handed over or
 * paid an invoice and ended in between holds no claim any more. Each invoice is read again after
 * the claim. The second run is held inside its listing or look-up (the server answers it once
 * the first has ended): no timing.
 */
describe('two runs, the first ending between the second one\'s listing or look-up and its claim', () => {
  it('export: the second writes none of the invoices the first handed over, and marks none', async () => {
    const held = new Map<string, Record<string, unknown>>(
      ['1', '2'].map((id) => [id, { ...head(id), number_of_lines: { value: 1 }, invoice_lines: { total_record_count: 1, invoice_line: lines(id, 1) } }]),
    );
    let lists = 0;
    let arrived: () => void = () => undefined;
    const bListing = new Promise<void>((r) => (arrived = r));
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const api = await scripted((req, url, send) => {
      if (req.method === 'GET' && url.pathname === '/almaws/v1/acq/invoices/') {
        const waiting = [...held.values()].filter((i) => i['invoice_workflow_status'] === WAITING).map((i) => structuredClone(i));
        const body = Number(url.searchParams.get('offset')) === 0 && waiting.length > 0 ? { total_record_count: waiting.length, invoice: waiting } : { total_record_count: waiting.length };
        if (++lists === 1) {
          arrived();
          void released.then(() => send(200, body));
          return;
        }
        return send(200, body);
      }
      const inv = held.get(/^\/almaws\/v1\/acq\/invoices\/(\d+)$/.exec(url.pathname)?.[1] ?? '');
      if (inv === undefined) return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'mark_in_erp') inv['invoice_workflow_status'] = MARKED;
      return send(200, inv);
    });
    const a = join(dir!, 'a.csv');
    const b = join(dir!, 'b.csv');
    const second = spawnCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', b], { env: api.env });
    await bListing;
    const first = await runCli(['export', '--mark-in-erp', '--json', '--rate', '200', '-o', a], { env: api.env });
    expect(first.code, first.stderr).toBe(0);
    release();
    const res = await second.done;
    expect(res.code, res.stderr).toBe(0);
    expect(rows(a)).toEqual(['1 1-L1', '2 2-L1']);
    expect(rows(b)).toEqual([]);
    expect((JSON.parse(res.stdout) as LifecycleReport).summary.invoices).toBe(0);
    expect(res.stderr).toMatch(/ACME N-1 \(id 1\) is now .+ \(another run handed it over meanwhile\?\); not exported/);
    expect(api.seen.filter((r) => r.startsWith('POST')).sort()).toEqual(['1', '2'].map((id) => `POST /almaws/v1/acq/invoices/${id}?op=mark_in_erp`));
  });

  it('payments: the second reads the invoice again after its claim and sends no rejection to the invoice the first paid', async () => {
    const inv: Record<string, unknown> = { ...head('1'), invoice_workflow_status: MARKED, payment: { payment_status: { value: 'NOT_PAID' } } };
    let gets = 0;
    let arrived: () => void = () => undefined;
    const bRead = new Promise<void>((r) => (arrived = r));
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const api = await scripted((req, url, send) => {
      if (url.pathname !== '/almaws/v1/acq/invoices/1') return send(400, generalError);
      if (req.method === 'POST' && url.searchParams.get('op') === 'paid') {
        inv['invoice_workflow_status'] = { value: 'CLOSED' };
        inv['payment'] = { payment_status: { value: 'PAID' }, voucher_number: 'V-1' };
        return send(200, inv);
      }
      if (req.method === 'POST') return send(200, inv);
      const snap = structuredClone(inv);
      if (++gets === 1) {
        arrived();
        void released.then(() => send(200, snap));
        return;
      }
      return send(200, inv);
    });
    const file = (name: string, body: string): string => {
      const p = join(dir!, name);
      writeFileSync(p, body);
      return p;
    };
    const second = spawnCli(['payments', '--json', '--rate', '200', file('p2.csv', 'invoice_id,payment_status,note\n1,rejected,duplicate\n')], { env: api.env });
    await bRead;
    const first = await runCli(['payments', '--json', '--rate', '200', file('p1.csv', 'invoice_id,payment_status,voucher_number,voucher_date,voucher_amount\n1,paid,V-1,2026-12-01,10\n')], { env: api.env });
    expect(first.code, first.stderr).toBe(0);
    release();
    const res = await second.done;
    expect((JSON.parse(res.stdout) as LifecycleReport).invoices).toMatchObject([{ id: '1', status: 'failed', error: { code: 'WRONG_STATUS' } }]);
    expect(api.seen.filter((r) => r.startsWith('POST'))).toEqual(['POST /almaws/v1/acq/invoices/1?op=paid']);
  });
});
