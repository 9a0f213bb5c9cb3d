/**
 * The built CLI with `--target folio` against the FOLIO sandbox on loopback: the README's
 * command, re-runs, a lost journal, `--no-approve`, the dry run with `--online`, credentials
 * from a file, and a fault of each kind at each step — every invoice, line and approval once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { world, type TargetWorld } from '../helpers/target-worlds.js';
import type { ReportDocument } from '../../src/report/report.js';
import { foldJournal, type JournalEntry } from '../../src/engine/journal.js';
import { startFolioSandbox, type FolioSandbox, type FolioSandboxOptions, type FolioSandboxState } from '../../src/sandbox/folio/server.js';
import { folioInvoices, keyInByHand, sampleRows } from '../targets/folio/helpers.js';

const SAMPLE = 'fixtures/folio-sample.csv';
const PASSWORD = 'e2e-Folio-pw-7c1d';

let w: TargetWorld<FolioSandbox> | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function folioWorld(opts: FolioSandboxOptions = {}): Promise<TargetWorld<FolioSandbox>> {
  const sandbox = await startFolioSandbox({ port: 0, perSecond: 1000, ...opts });
  return world(sandbox, 'folio', (url) => ({ FOLIO_API_URL: url, FOLIO_TENANT: 'diku', FOLIO_USERNAME: 'diku_admin', FOLIO_PASSWORD: PASSWORD }));
}

/** FOLIO's promise from the sandbox's own counters: each invoice stored once, each line posted once, each approved once, none approved twice. */
export function expectFolioOnce(state: FolioSandboxState, report: ReportDocument, approved = true): void {
  for (const inv of report.invoices) {
    if (inv.status === 'invalid' || inv.status === 'planned') continue;
    const stored = state.invoices.filter((s) => s.vendorCode === inv.vendor && s.vendorInvoiceNo === inv.number);
    if (inv.status === 'failed' && stored.length === 0) continue;
    expect(stored, `${inv.vendor} ${inv.number} held once`).toHaveLength(1);
    expect(state.counters.created[inv.vendor]?.[inv.number], `${inv.number} created once`).toBe(1);
    if (inv.status === 'failed') continue;
    const s = stored[0]!;
    expect(inv.id).toBe(s.id);
    const posted = state.counters.linesPosted[s.id as string] ?? {};
    expect(Object.values(posted).every((n) => n === 1), `${inv.number} each line posted once`).toBe(true);
    expect(inv.lines.map((l) => l.id).sort()).toEqual(Object.keys(posted).sort());
    expect(inv.workflow_status).toBe(approved ? 'Approved' : 'Open');
    expect(state.counters.approvals[s.id as string] ?? 0, `${inv.number} approved once`).toBe(approved ? 1 : 0);
  }
  expect(state.counters.reapprovals, 'no invoice approved twice').toBe(0);
}

describe('load into FOLIO', () => {
  it('--show-payloads on a real run prints, without --json, the invoice id its JSON shows (the one sent), not the dry run\'s placeholder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'folio-payloads-'));
    try {
      const json = await runCli(['--sandbox', '--target', 'folio', '--json', '--show-payloads', SAMPLE], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'a') } });
      expect(json.code, json.stderr).toBe(0);
      const shown = (JSON.parse(json.stdout) as { invoices: { number: string; payload: { invoice: { id: string } } }[] }).invoices;
      const id = shown.find((i) => i.number === 'EBS-7001')!.payload.invoice.id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const human = await runCli(['--sandbox', '--target', 'folio', '--show-payloads', SAMPLE], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'b') } });
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain(`"id": "${id}"`);
      expect(human.stdout).toContain(`PUT /invoice/invoices/${id}`);
      expect(human.stdout).not.toContain('{invoice id}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the README command loads and approves the sample in the embedded sandbox; a re-run sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'folio-readme-'));
    try {
      const env = { INVOICE_LOAD_STATE_DIR: dir };
      const res = await runCli(['--sandbox', '--target', 'folio', SAMPLE], { env });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/4 invoices, 6 lines: 4 loaded\. \d+ requests to the FOLIO sandbox/);
      expect(res.stdout).toMatch(/loaded\s+EBSCO\s+EBS-7001\s+[0-9a-f-]{36}\s+2\s+Approved/);
      const again = await runCli(['--sandbox', '--target', 'folio', SAMPLE], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/4 already loaded\.\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the sample: FOLIO ids, statuses and totals in the report; the password nowhere', async () => {
    w = await folioWorld();
    const res = await w.load([SAMPLE, '--report', join(w.dir, 'report.json')]);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report!;
    expect(report.target).toBe('folio');
    expect(report.summary).toMatchObject({ invoices: 4, loaded: 4, failed: 0, lines: 6 });
    expect(report.invoices.find((i) => i.number === 'EBS-7001')).toMatchObject({ status: 'loaded', workflow_status: 'Approved', total: '740.00', amounts: { total: '740' } });
    const state = w.sandbox.state();
    expectFolioOnce(state, report);
    expect(report.summary.requests).toBe(state.counters.requestsTotal);
    expect(res.stdout + res.stderr).not.toContain(PASSWORD);
    // Nor in the journal, the lock or the report file.
    const files = readdirSync(w.dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8'), f.name).not.toContain(PASSWORD);
    const again = await w.load([SAMPLE]);
    expect(again.report!.summary).toMatchObject({ already_loaded: 4, requests: 0 });
  });

  it('with an empty state dir the look-ups find every invoice: nothing is created or approved again', async () => {
    w = await folioWorld();
    const first = await w.load([SAMPLE]);
    const res = await w.load([SAMPLE], { stateDir: join(w.dir, 'other') });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary.already_loaded).toBe(4);
    expect(res.report!.invoices.map((i) => [i.id, i.lines])).toEqual(first.report!.invoices.map((i) => [i.id, i.lines]));
    expectFolioOnce(w.sandbox.state(), res.report!);
  });

  it('--no-approve leaves the invoices Open; a later run without it (same state dir) approves them, once', async () => {
    w = await folioWorld();
    const open = await w.load([SAMPLE, '--no-approve']);
    expect(open.code, open.stderr).toBe(0);
    expectFolioOnce(w.sandbox.state(), open.report!, false);
    // The Open run's journal must not answer for an approving run: it keeps its own.
    const approved = await w.load([SAMPLE]);
    expect(approved.code, approved.stderr).toBe(0);
    expectFolioOnce(w.sandbox.state(), approved.report!, true);
  });

  it('credentials from --credentials-file {"tenant","username","password"}; refused ones exit 5 without echoing the password', async () => {
    w = await folioWorld();
    const file = join(w.dir, 'folio.json');
    writeFileSync(file, JSON.stringify({ tenant: 'diku', username: 'diku_admin', password: PASSWORD }));
    const env = { FOLIO_TENANT: undefined, FOLIO_USERNAME: undefined, FOLIO_PASSWORD: undefined };
    const ok = await w.load([SAMPLE, '--credentials-file', file], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await w.load([SAMPLE], { env: { FOLIO_TENANT: 'nope' }, stateDir: join(w.dir, 'bad') });
    expect(bad.code).toBe(5);
    expect(bad.stdout + bad.stderr).not.toContain(PASSWORD);
  });

  it('the dry run with --online catches an unknown vendor, fund and PO line, each at its row (exit 3)', async () => {
    w = await folioWorld();
    const csv = `invoice_number,invoice_date,vendor,total_amount,currency,payment_method,line_number,po_line,price,quantity,fund_code,fund_percent
X-1,2026-11-02,NOSUCH,10.00,USD,EFT,1,10001-1,10.00,1,HIST,100
X-2,2026-11-02,GOBI,10.00,USD,EFT,1,10001-1,10.00,1,NOFUND,100
X-3,2026-11-02,GOBI,10.00,USD,EFT,1,99999-9,10.00,1,HIST,100
X-4,2026-11-02,GOBI,10.00,USD,EFT,1,10001-1,10.00,1,HIST,100
`;
    const file = join(w.dir, 'check.csv');
    writeFileSync(file, csv);
    const res = await w.load(['--dry-run', '--online', file]);
    expect(res.code, res.stderr).toBe(3);
    const problems = Object.fromEntries(res.report!.invoices.map((i) => [i.number, i.issues.map((p) => [p.code, p.row, p.column])]));
    expect(problems).toEqual({
      'X-1': [['vendor_not_found', 2, 'vendor']],
      'X-2': [['fund_not_found', 3, 'fund_code']],
      'X-3': [['po_line_not_found', 4, 'po_line']],
      'X-4': [],
    });
    expect(res.report!.preflight).toMatchObject({ target: 'folio', estimate: { invoices: 1 } });
    expect(w.sandbox.state().counters.requests['POST create']).toBeUndefined();
  });
});

describe('an invoice in FOLIO with the batch\'s vendor and number that invoice-load did not create', () => {
  it('is a problem before the first write (exit 3, nothing sent); with --skip-invalid the others load and it is left as it is', async () => {
    w = await folioWorld();
    const gobi = folioInvoices(sampleRows()).find((i) => i.key.number === 'G-50101')!;
    // Keyed in by hand with the same lock total: only its id says it is not ours.
    const theirs = await keyInByHand(w.sandbox.url, gobi, { lockTotal: 110 });
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain("Nothing was written to FOLIO: it already holds 1 invoice that invoice-load did not create (listed in the report's invoices' issues)");
    const issue = res.report!.invoices.find((i) => i.number === 'G-50101')!.issues[0]!;
    expect(issue).toMatchObject({ code: 'invoice_exists', column: 'invoice_number', row: 2 });
    expect(issue.message).toContain(`already exists in FOLIO (id ${theirs}, Open) that invoice-load did not create; it was left as it is`);
    expect(w.sandbox.state().counters.requests['POST create']).toBe(1);
    expect(w.sandbox.state().counters.requests['POST line']).toBe(1);

    const skip = await w.load([SAMPLE, '--skip-invalid']);
    expect(skip.code, skip.stderr).toBe(4);
    expect(skip.stderr).toContain('1 invoice will not be sent: FOLIO already holds 1 invoice that invoice-load did not create (--skip-invalid)');
    expect(skip.report!.summary).toMatchObject({ loaded: 3 });
    const state = w.sandbox.state();
    expect(state.invoices.find((i) => i.id === theirs)!.status).toBe('Open');
    expect(state.lines.filter((l) => l.invoiceId === theirs)).toHaveLength(1);
    expect(state.counters.approvals[theirs]).toBeUndefined();
    expect(state.counters.created['GOBI']?.['G-50101']).toBe(1);
  });
});

describe('an invoice FOLIO\'s acquisitions units keep the user from approving', () => {
  it('fails alone with FOLIO\'s code (exit 4, not 5 as refused credentials); the others load', async () => {
    w = await folioWorld({ acqRestricted: ['EBS-7001'] });
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(4);
    expect(res.report!.stopped).toBeUndefined();
    expect(res.report!.summary).toMatchObject({ loaded: 3, failed: 1 });
    expect(res.report!.invoices.find((i) => i.number === 'EBS-7001')!.error).toMatchObject({ step: 'process', http_status: 403, code: 'userHasNoPermission' });
    expect(res.stdout + res.stderr).toContain("FOLIO's acquisitions units do not allow user diku_admin to change this record");
    expectFolioOnce(w.sandbox.state(), res.report!);
  });
});

describe('a FOLIO that does not keep the ids invoice-load gives', () => {
  it('stops the run after the first create, saying so and what to do (exit 4); nothing else is written', async () => {
    w = await folioWorld({ serverIds: true });
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).toContain('FOLIO did not keep the id invoice-load gave invoice');
    expect(res.stderr).toContain('nothing more will be sent');
    expect(res.report!.stopped).toBe('ids_not_kept');
    expect(res.report!.invoices.filter((i) => i.error?.code === 'ID_NOT_KEPT')).toHaveLength(1);
    const state = w.sandbox.state();
    expect(state.invoices).toHaveLength(1);
    expect(state.lines).toHaveLength(0);
    expect(state.counters.approvals).toEqual({});

    // The others' creates, held back behind it, never left: journaled so (`unsent`), not pending,
    // so a re-run does not look for them across the settle window. Only the one FOLIO answered is.
    const dir = join(w.stateDir, 'journals');
    const entries = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEntry));
    const pending = [...foldJournal(entries).entries()].filter(([, st]) => st.createPending).map(([k]) => k.split('\u0000')[1]);
    const made = res.report!.invoices.find((i) => i.error?.code === 'ID_NOT_KEPT')!;
    expect(pending).toEqual([made.number]);
    expect(entries.filter((e) => e.t === 'unsent').length).toBeGreaterThan(0);

    // The same command again: that invoice is the loader's, made under FOLIO's id — said so, and
    // still left alone. Only its create is taken for one whose answer was lost (its look-up finds
    // it at once): none of the others is looked for across the settle window.
    const again = await w.load([SAMPLE]);
    expect(again.stderr.split('\n').filter((l) => l.includes('whether it took effect'))).toEqual([expect.stringContaining(` ${made.number}: an earlier run sent its create and never learned whether it took effect;`)]);
    expect(again.code, again.stderr).toBe(4);
    const r = again.report!.invoices.find((i) => i.number === made.number)!;
    // (The report names the look-up step `create`.)
    expect(r.error).toMatchObject({ step: 'create', code: 'ID_NOT_KEPT', http_status: 0 });
    expect(r.error!.message).toContain(`(id ${state.invoices[0]!.id as string}, Open) was created by an earlier run of invoice-load, but FOLIO made it under an id of its own`);
    expect(again.stderr).toContain('was created by an earlier run of invoice-load');
    expect(again.stderr).not.toContain('did not create');
    const after = w.sandbox.state();
    expect(after.lines).toHaveLength(0);
    expect(after.counters.approvals).toEqual({});
  });
});

const KINDS = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle', 'business'] as const;
const BUSINESS = {
  lookup: { code: 'badRequest', http_status: 400 },
  create: { code: 'organizationIsNotVendor', http_status: 422 },
  line: { code: 'incorrectFundDistributionTotal', http_status: 422 },
  process: { code: 'budgetNotFoundByFundId', http_status: 400 },
} as const;

describe('FOLIO: a fault at each step, of each kind (the fault matrix)', () => {
  for (const step of ['lookup', 'create', 'line', 'process'] as const) {
    for (const kind of KINDS) {
      it(`${kind} at ${step}`, async () => {
        w = await folioWorld({ timeoutHoldMs: 3_000, faults: [{ step, kind, match: step === 'lookup' ? undefined : 'EBS-7001', times: kind === 'business' ? 1000 : 1 }] });
        const res = await w.load([SAMPLE, '--timeout', '1'], { timeoutMs: 40_000 });
        const state = w.sandbox.state();
        expect(state.counters.faults[kind], 'the fault was injected').toBeGreaterThan(0);
        const report = res.report!;
        if (kind === 'business') {
          expect(res.code).toBe(4);
          const failed = report.invoices.filter((i) => i.status === 'failed');
          expect(failed.length).toBeGreaterThan(0);
          expect(failed[0]!.error).toMatchObject({ ...BUSINESS[step] });
        } else if (step === 'process' && (kind === 'error_before' || kind === 'drop_before')) {
          // An approval without an answer that FOLIO did not apply reads Open however long it is
          // watched (--timeout 1: 11 s): never sent again in the run; the same command sends it.
          expect(res.code, res.stderr).toBe(4);
          const failed = report.invoices.filter((i) => i.status === 'failed');
          expect(failed.map((i) => [i.number, i.error?.step, i.error?.code])).toEqual([['EBS-7001', 'process', 'OUTCOME_UNKNOWN']]);
          expect(res.stdout + res.stderr).toContain('run the same command again');
          expect(state.counters.approvals[failed[0]!.id!]).toBeUndefined();
          const again = await w.load([SAMPLE, '--timeout', '1'], { timeoutMs: 40_000 });
          expect(again.code, again.stderr).toBe(0);
          expect(again.report!.invoices.find((i) => i.number === 'EBS-7001')).toMatchObject({ status: 'loaded', workflow_status: 'Approved' });
          expectFolioOnce(w.sandbox.state(), again.report!);
          return;
        } else {
          expect(res.code, res.stderr).toBe(0);
          expect(report.invoices.every((i) => i.status === 'loaded')).toBe(true);
        }
        expectFolioOnce(state, report);
      });
    }
  }
});
