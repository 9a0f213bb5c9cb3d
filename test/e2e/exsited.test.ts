/**
 * The built CLI with `--target exsited` against the Exsited sandbox on loopback: the sample batch,
 * re-runs, a lost journal, tokens that expire or are revoked mid-run, refused credentials, a kill,
 * cancel/reactivate, and every fault kind at every step — exactly once throughout.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { CLIENT_SECRET, EXSITED_SAMPLE, exsitedWorld, expectExsitedOnce, type TargetWorld } from '../helpers/target-worlds.js';
import type { ExsitedSandbox } from '../../src/sandbox/exsited.js';
import type { ReportDocument } from '../../src/report/report.js';

let w: TargetWorld<ExsitedSandbox> | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const writes = (s: ExsitedSandbox): number => {
  const r = s.state().counters.requests;
  return (r['POST create'] ?? 0) + (r['POST line'] ?? 0) + (r['POST process'] ?? 0);
};

describe('load into Exsited', () => {
  it('one command from the README loads the sample into the embedded sandbox; a re-run sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exsited-readme-'));
    try {
      const env = { INVOICE_LOAD_STATE_DIR: dir };
      const res = await runCli(['--sandbox', '--target', 'exsited', EXSITED_SAMPLE], { env });
      expect(res.code, res.stderr).toBe(0);
      // 14: the probe of how soon a look-up shows the first invoice (a fresh look-up) reads it by id,
      // as a purchase order's own list shows no custom attributes (docs/exsited.md).
      expect(res.stdout).toMatch(/4 invoices, 3 notes: 4 loaded\. 14 requests to the Exsited sandbox in \d+\.\d s\./);
      expect(res.stdout).toMatch(/loaded\s+HARRAS\s+HA-2025-00412\s+PI-HARRAS01-0001\s+1\s+ACTIVE/);
      const again = await runCli(['--sandbox', '--target', 'exsited', EXSITED_SAMPLE], { env });
      expect(again.stdout).toMatch(/4 already loaded\.\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the sample: purchase invoices from their purchase orders, notes with their files, Exsited\'s ids and totals', async () => {
    w = await exsitedWorld();
    const res = await w.load([EXSITED_SAMPLE]);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report!;
    expect(report.target).toBe('exsited');
    expect(report.summary).toMatchObject({ invoices: 4, loaded: 4, failed: 0, lines: 3 });
    const ha = report.invoices.find((i) => i.number === 'HA-2025-00412')!;
    expect(ha).toMatchObject({ id: 'PI-HARRAS01-0001', workflow_status: 'ACTIVE', total: '1320.00', amounts: { subtotal: '1200.00', tax: '120.00', total: '1320.00' } });
    expect(report.invoices.find((i) => i.number === 'G-24131')!.lines).toEqual([]);
    const state = w.sandbox.state();
    expectExsitedOnce(state, report);
    expect(report.summary.requests).toBe(state.counters.requestsTotal);
    const stored = state.invoices.find((i) => i.number === 'HA-2025-00412')!;
    expect(stored.custom_attributes).toEqual([
      { name: 'vendor_invoice_number', value: 'HA-2025-00412' },
      { name: 'vendor', value: 'HARRAS' },
      { name: 'cost_centre', value: 'LIB-ACQ' },
      { name: 'fiscal_year', value: '2025' },
    ]);
    const pdf = readFileSync(join(ROOT, 'fixtures/exsited-attachments/HA-2025-00412.pdf'));
    expect(stored.notes[0]).toMatchObject({
      note: 'Approval plan invoice for March; scanned invoice attached',
      file: { name: 'HA-2025-00412.pdf', type: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') },
    });
    // The first invoice's create answered with both of the loader's custom attributes: the
    // canary's verdict, without a request more.
    expect(report.canary).toMatchObject({ status: 'passed', compared: 'answers', differences: [] });
    // One token for the whole run: a second would have revoked the first (KB 01).
    expect(state.counters.tokensIssued).toBe(1);
    expect(state.counters.unauthorized).toBe(0);

    const again = await w.load([EXSITED_SAMPLE]);
    expect(again.report!.summary).toMatchObject({ already_loaded: 4, requests: 0 });
  });

  it('an Exsited that drops the custom attributes it does not define: the run stops at its first invoice and says what to define', async () => {
    // vendor_invoice_number and vendor not defined: every invoice would be stored without them,
    // and found by no later look-up (a lost answer, another state dir: a second invoice each).
    w = await exsitedWorld({ customAttributes: ['cost_centre', 'fiscal_year'] });
    const res = await w.load([EXSITED_SAMPLE, '--concurrency', '1']);
    expect(res.code).toBe(4);
    const report = res.report!;
    expect(report.stopped).toBe('canary');
    expect(report.canary).toMatchObject({ number: 'HA-2025-00412', status: 'failed', compared: 'read_back', differences: [{ sent: '"HA-2025-00412", "HARRAS"', stored: 'nothing' }] });
    expect(report.invoices.find((i) => i.number === 'HA-2025-00412')).toMatchObject({ status: 'failed', error: { code: 'CANARY_MISMATCH' } });
    expect(report.invoices.filter((i) => i.number !== 'HA-2025-00412').map((i) => i.error?.code)).toEqual(['NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(res.stderr).toMatch(/custom attributes vendor_invoice_number and vendor: sent "HA-2025-00412", "HARRAS", stored nothing\. They are how a later run finds this invoice, and Exsited keeps only custom attributes defined in it: define both in Exsited as text attributes of purchase invoices, set them on this invoice, then run again\./);
    // The report's difference is a field, not advice (its shape is the report's contract).
    expect(report.canary!.differences).toEqual([{ field: 'custom attributes vendor_invoice_number and vendor', sent: '"HA-2025-00412", "HARRAS"', stored: 'nothing' }]);
    let state = w.sandbox.state();
    expect(state.counters.requests['POST create']).toBe(1);
    expect(state.invoices).toHaveLength(1);
    // Judged before its note: the stopped run wrote no note under an invoice no look-up can find.
    expect(state.invoices[0]!.notes).toEqual([]);
    expect(state.counters.requests['POST line'] ?? 0).toBe(0);
    expect(res.stderr).toMatch(/This one is in Exsited with nothing added under it yet \(that is done once it reads back as sent\), not processed/);

    // The same command before the fix: read back again before the note, and stopped again.
    const again = await w.load([EXSITED_SAMPLE, '--concurrency', '1']);
    expect(again.report!.stopped).toBe('canary');
    state = w.sandbox.state();
    expect(state.invoices).toHaveLength(1);
    expect(state.invoices[0]!.notes).toEqual([]);
  });

  it('with an empty state dir the look-ups find every invoice and its note: nothing is written', async () => {
    w = await exsitedWorld();
    const first = await w.load([EXSITED_SAMPLE]);
    const before = writes(w.sandbox);
    const res = await w.load([EXSITED_SAMPLE], { stateDir: join(w.dir, 'other') });
    expect(res.code, res.stderr).toBe(0);
    expect(writes(w.sandbox)).toBe(before);
    expect(res.report!.summary.already_loaded).toBe(4);
    expect(res.report!.invoices.map((i) => [i.id, i.lines])).toEqual(first.report!.invoices.map((i) => [i.id, i.lines]));
  });

  it('tokens that expire during the run are renewed one at a time; nothing is lost or doubled', async () => {
    w = await exsitedWorld({ tokenTtlSeconds: 1, latencyMs: 50 });
    // 12 requests at 4 a second: the run outlives three tokens.
    const res = await w.load([EXSITED_SAMPLE, '--concurrency', '2', '--rate', '4']);
    expect(res.code, res.stderr).toBe(0);
    const state = w.sandbox.state();
    expect(state.counters.tokensIssued).toBeGreaterThan(1);
    expectExsitedOnce(state, res.report!);
  });

  it('another app taking a token for the same credentials revokes ours: the run renews and goes on', async () => {
    w = await exsitedWorld({ latencyMs: 150 });
    const child = w.spawn([EXSITED_SAMPLE, '--concurrency', '1']);
    let exited = false;
    void child.done.then(() => (exited = true));
    // Once the run holds its token, however long a busy machine takes to start it (a loop capped
    // at 4 s went on regardless, and our token then came first and theirs revoked nothing).
    while (!exited && w.sandbox.state().counters.tokensIssued === 0) await new Promise((r) => setTimeout(r, 20));
    expect(exited, 'the run ended before it took a token').toBe(false);
    // "A new access token for the same credentials ends the previous one" (KB 01).
    const res = await fetch(`${w.sandbox.url}/api/v1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'e2e-client', client_secret: CLIENT_SECRET }),
    });
    expect(res.status).toBe(200);
    const done = await child.done;
    expect(done.code, done.stderr).toBe(0);
    const state = w.sandbox.state();
    expect(state.counters.revokedTokenUse).toBeGreaterThan(0);
    expectExsitedOnce(state, JSON.parse(done.stdout) as ReportDocument);
  });

  it('refused credentials stop the run with exit 5, and the secret appears nowhere', async () => {
    w = await exsitedWorld({ clients: [{ clientId: 'e2e-client', clientSecret: 'the-right-one' }] });
    const res = await w.load([EXSITED_SAMPLE, '--verbose']);
    expect(res.code).toBe(5);
    expect(res.report!.stopped).toBe('auth');
    expect(res.stdout + res.stderr).not.toContain(CLIENT_SECRET);
    expect(w.sandbox.state().counters.requests['POST create'] ?? 0).toBe(0);
  });

  it('killed in the middle (kill -9), the re-run finishes: each invoice and note exactly once', async () => {
    w = await exsitedWorld({ latencyMs: 100 });
    const child = w.spawn([EXSITED_SAMPLE, '--concurrency', '2']);
    let exited = false;
    void child.done.then(() => (exited = true));
    // Killed once two creates reached the sandbox, however long a busy machine takes to get there.
    while (!exited && (w.sandbox.state().counters.requests['POST create'] ?? 0) < 2) await new Promise((r) => setTimeout(r, 10));
    expect(exited, 'the run ended before its second create reached the sandbox').toBe(false);
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    const res = await w.load([EXSITED_SAMPLE]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary.loaded + res.report!.summary.already_loaded).toBe(4);
    expectExsitedOnce(w.sandbox.state(), res.report!);
  });

  it('a missing attachment makes that invoice invalid before anything is sent', async () => {
    w = await exsitedWorld();
    const dir = mkdtempSync(join(tmpdir(), 'exsited-missing-'));
    try {
      const file = join(dir, 'b.csv');
      // Attachment paths are relative to the batch file: they do not exist next to this copy.
      copyFileSync(join(ROOT, EXSITED_SAMPLE), file);
      const bad = await w.load([file]);
      expect(bad.code).toBe(3);
      const codes = bad.report!.invoices.flatMap((i) => i.issues.map((p) => `${i.number}:${p.code}`));
      expect(codes).toEqual(['HA-2025-00412:attachment_unreadable', 'BW/77120:attachment_unreadable']);
      expect(w.sandbox.state().counters.requestsTotal).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Exsited: one invoice per purchase order', () => {
  it('two invoices of a batch on one purchase order are refused before anything is sent, in a dry run too: each would be a purchase invoice for the whole order', async () => {
    w = await exsitedWorld();
    const dir = mkdtempSync(join(tmpdir(), 'exsited-same-po-'));
    try {
      const file = join(dir, 'b.csv');
      writeFileSync(
        file,
        'invoice_number,invoice_date,vendor,total_amount,currency,purchase_order_id\n' +
          'G-1,2025-03-05,GOBI,412.50,AUD,PO-GOBI01-0001\n' +
          'G-2,2025-03-06,GOBI,100.00,AUD,PO-GOBI01-0001\n',
      );
      const res = await w.load([file]);
      expect(res.code).toBe(3);
      const g2 = res.report!.invoices.find((i) => i.number === 'G-2')!;
      expect(g2.status).toBe('invalid');
      expect(g2.issues.map((p) => [p.code, p.row, p.column])).toEqual([['purchase_order_reused', 3, 'purchase_order_id']]);
      expect(g2.issues[0]!.message).toContain('(rows 2 and 3)');
      expect(w.sandbox.state().counters.requestsTotal).toBe(0);
      const dry = await w.load([file, '--dry-run']);
      expect(dry.report!.invoices.find((i) => i.number === 'G-2')!.issues.map((p) => p.code)).toEqual(['purchase_order_reused']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('invoice-load verify --target exsited: the canary\'s comparison for a batch already loaded, reads only', () => {
  type Verified = { target: string; command: string; summary: Record<string, number>; invoices: { number: string; status: string; id?: string; differences: { field: string; stored: string }[] }[] };
  const verify = async (world: TargetWorld<ExsitedSandbox>, stateDir = world.stateDir) => {
    const res = await runCli(['verify', '--target', 'exsited', '--json', EXSITED_SAMPLE], { env: world.env({ stateDir }) });
    return { ...res, report: JSON.parse(res.stdout || 'null') as Verified };
  };

  it('after a clean load every invoice matches, by the journal and by look-ups without it; not one write', async () => {
    w = await exsitedWorld();
    expect((await w.load([EXSITED_SAMPLE])).code).toBe(0);
    const before = writes(w.sandbox);
    for (const stateDir of [w.stateDir, join(w.dir, 'no-journal')]) {
      const res = await verify(w, stateDir);
      expect(res.code, res.stderr).toBe(0);
      expect(res.report).toMatchObject({ target: 'exsited', command: 'verify', summary: { invoices: 4, matches: 4, differs: 0, not_found: 0 } });
      expect(res.report.invoices.find((i) => i.number === 'HA-2025-00412')?.id).toBe('PI-HARRAS01-0001');
    }
    expect(writes(w.sandbox)).toBe(before);
  });

  it('custom attributes Exsited dropped (loaded with --no-canary) are named on every invoice by the journal; without it, none can be found (exit 4)', async () => {
    w = await exsitedWorld({ customAttributes: ['cost_centre', 'fiscal_year'] });
    expect((await w.load([EXSITED_SAMPLE, '--no-canary'])).code).toBe(0);
    const res = await verify(w);
    expect(res.code, res.stderr).toBe(4);
    expect(res.report.summary).toMatchObject({ invoices: 4, differs: 4 });
    expect(res.report.invoices[0]!.differences).toEqual([expect.objectContaining({ field: 'custom attributes vendor_invoice_number and vendor', stored: 'nothing' })]);
    const lost = await verify(w, join(w.dir, 'no-journal'));
    expect(lost.code).toBe(4);
    expect(lost.report.summary).toMatchObject({ invoices: 4, not_found: 4 });
  });

  it('an invoice the journal says was loaded and Exsited no longer holds (404) is missing, in words that say so; without the journal, not found (exit 4)', async () => {
    w = await exsitedWorld();
    expect((await w.load([EXSITED_SAMPLE])).code).toBe(0);
    w.sandbox.reset();
    const res = await verify(w);
    expect(res.code, res.stderr).toBe(4);
    expect(res.report.summary).toMatchObject({ invoices: 4, missing: 4, not_found: 0, failed: 0 });
    const ha = res.report.invoices.find((i) => i.number === 'HA-2025-00412') as unknown as { status: string; id: string; error: { message: string } };
    expect(ha).toMatchObject({ status: 'missing', id: 'PI-HARRAS01-0001' });
    expect(ha.error.message).toMatch(/^missing in Exsited: this batch's journal recorded it as loaded \(id PI-HARRAS01-0001\), but Exsited holds no such invoice now/);
    const lost = await verify(w, join(w.dir, 'no-journal'));
    expect(lost.report.summary).toMatchObject({ invoices: 4, not_found: 4, missing: 0 });
  });

  it('a target without a read-back (Alguna) is refused with exit 2, in words that name it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-alguna-'));
    try {
      const res = await runCli(['verify', '--sandbox', '--target', 'alguna', 'fixtures/alguna-sample.csv'], { env: { INVOICE_LOAD_STATE_DIR: dir } });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/verify cannot check Alguna: it reads each invoice back to compare it with the batch, and the Alguna target has no read-back/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Exsited batch actions: cancel and reactivate', () => {
  it('cancel waits for each 202 event to run; a second cancel sends nothing; reactivate, then cancel again, work', async () => {
    w = await exsitedWorld();
    await w.load([EXSITED_SAMPLE]);
    const cancel = await w.load([EXSITED_SAMPLE, '--action', 'cancel', '--effective-date', '2025-04-01']);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.report).toMatchObject({ action: 'cancel', summary: { loaded: 4 } });
    expect(cancel.report!.invoices.every((i) => i.workflow_status === 'INACTIVE' && i.lines.length === 0)).toBe(true);
    let state = w.sandbox.state();
    expect(state.invoices.every((i) => i.status === 'INACTIVE' && i.events[0]?.effective_date === '2025-04-01')).toBe(true);
    expect(Object.values(state.counters.actions)).toEqual(Array(4).fill({ cancel: 1, reactivate: 0 }));

    const again = await w.load([EXSITED_SAMPLE, '--action', 'cancel']);
    expect(again.report!.summary).toMatchObject({ already_loaded: 4, requests: 0 });

    const reactivate = await w.load([EXSITED_SAMPLE, '--action', 'reactivate']);
    expect(reactivate.code).toBe(0);
    const recancel = await w.load([EXSITED_SAMPLE, '--action', 'cancel']);
    expect(recancel.report!.summary.loaded).toBe(4);
    state = w.sandbox.state();
    expect(Object.values(state.counters.actions)).toEqual(Array(4).fill({ cancel: 2, reactivate: 1 }));
    expect(state.invoices.every((i) => i.status === 'INACTIVE')).toBe(true);
  });

  it('--show-payloads on a cancel shows the cancel request sent, not the create', async () => {
    w = await exsitedWorld();
    await w.load([EXSITED_SAMPLE]);
    const cancel = await w.load([EXSITED_SAMPLE, '--action', 'cancel', '--effective-date', '2025-04-01', '--show-payloads']);
    expect(cancel.code, cancel.stderr).toBe(0);
    for (const inv of cancel.report!.invoices as unknown as { payload: unknown }[]) expect(inv.payload).toEqual({ invoice: { 'purchase-invoice': { effective_date: '2025-04-01' } }, lines: [] });
  });

  it('an invoice that was never loaded is reported, not created', async () => {
    w = await exsitedWorld();
    const res = await w.load([EXSITED_SAMPLE, '--action', 'cancel']);
    expect(res.code).toBe(4);
    expect(res.report!.invoices.every((i) => i.status === 'failed' && i.error?.code === 'NOT_LOADED')).toBe(true);
    expect(w.sandbox.state().counters.requests['POST create'] ?? 0).toBe(0);
  });
});

const KINDS = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle', 'business'] as const;
// A look-up's failure is the create's step in the report (the contract names create, lines, process, poll).
const REPORT_STEP = { lookup: 'create', create: 'create', line: 'lines', process: 'process', poll: 'poll' } as const;
const BUSINESS = { lookup: 'invalid_filter', create: 'purchase_order_not_approved', line: 'attachment_rejected', process: 'payment_applied', poll: 'not_found' } as const;
// The look-up lists a purchase order's invoices, so its faults are matched by purchase order.
const MATCH = { lookup: 'PO-BLACK01-0001', create: 'BW/77120', line: 'BW/77120', process: 'BW/77120', poll: 'BW/77120' } as const;

function expectOutcome(res: { code: number | null; stderr: string; report?: ReportDocument }, step: keyof typeof REPORT_STEP, kind: (typeof KINDS)[number]): void {
  const bw = res.report!.invoices.find((i) => i.number === 'BW/77120')!;
  const others = res.report!.invoices.filter((i) => i.number !== 'BW/77120');
  expect(others.every((i) => i.status === 'loaded'), JSON.stringify(others.map((i) => i.error))).toBe(true);
  if (kind === 'business' && step === 'poll') {
    // The request was accepted: a read of the status refused after it is no failure of the
    // invoice, but a warning with the target's code (engine.ts `statusUnread`).
    expect(res.code, res.stderr).toBe(0);
    expect(bw.status).toBe('loaded');
    expect(bw.issues.find((p) => p.code === 'not_finished')!.message).toMatch(/its status could not be read afterwards \(not_found: /);
  } else if (kind === 'business') {
    expect(res.code).toBe(4);
    expect(bw.status).toBe('failed');
    expect(bw.error).toMatchObject({ step: REPORT_STEP[step], code: BUSINESS[step] });
  } else {
    expect(res.code, res.stderr).toBe(0);
    expect(bw.status).toBe('loaded');
  }
}

describe('Exsited: a fault at each step of a load, of each kind', () => {
  for (const step of ['lookup', 'create', 'line'] as const) {
    for (const kind of KINDS) {
      it(`${kind} at ${step}`, async () => {
        w = await exsitedWorld({ timeoutHoldMs: 3_000, faults: [{ step, kind, match: MATCH[step], times: kind === 'business' ? 1000 : 1 }] });
        const res = await w.load([EXSITED_SAMPLE, '--timeout', '1'], { timeoutMs: 30_000 });
        const state = w.sandbox.state();
        expect(state.counters.faults[kind], 'the fault was injected').toBeGreaterThan(0);
        expectOutcome(res, step, kind);
        expectExsitedOnce(state, res.report!);
      });
    }
  }
});

describe('Exsited: a fault at each step of a cancel, of each kind', () => {
  for (const step of ['process', 'poll'] as const) {
    for (const kind of KINDS) {
      it(`${kind} at ${step}`, async () => {
        w = await exsitedWorld({ timeoutHoldMs: 3_000 });
        expect((await w.load([EXSITED_SAMPLE])).code).toBe(0);
        // A poll fault passes the first read by id, the look-up's (a purchase order's own list shows
        // no custom attributes, so the look-up reads each invoice by id, docs/exsited.md): it hits the wait.
        const after = step === 'poll' ? 1 : 0;
        w.sandbox.setFaults({ faults: [{ step, kind, match: MATCH[step], times: kind === 'business' ? 1000 : 1, after }] });
        const res = await w.load([EXSITED_SAMPLE, '--action', 'cancel', '--timeout', '1'], { timeoutMs: 30_000 });
        const state = w.sandbox.state();
        expect(state.counters.faults[kind], 'the fault was injected').toBeGreaterThan(0);
        expectOutcome(res, step, kind);
        const bw = state.invoices.find((i) => i.number === 'BW/77120')!;
        const cancels = state.counters.actions[bw.id]?.cancel ?? 0;
        if (kind === 'business' && step === 'process') expect(cancels).toBe(0);
        else {
          // Cancelled once, and only re-sent when the first request provably did not take effect.
          expect(bw.status).toBe('INACTIVE');
          expect(cancels).toBe(1);
        }
        for (const other of state.invoices.filter((i) => i.id !== bw.id)) expect(state.counters.actions[other.id]).toEqual({ cancel: 1, reactivate: 0 });
      });
    }
  }
});
