/**
 * The canary, end to end: the built CLI against a sandbox that drops or alters a field on write.
 * The first invoice is read back before any other is created; a difference stops the run there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';
import { closedPort } from '../helpers/cli.js';
import type { SandboxStateDump } from '../../src/sandbox/index.js';

const SAMPLE = 'fixtures/sample-batch.csv';
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const created = (state: SandboxStateDump): number => Object.values(state.counters.created).reduce((n, byNumber) => n + Object.values(byNumber).reduce((a, b) => a + b, 0), 0);

describe('the canary: the first invoice read back before any other is created', () => {
  it('a sandbox that drops the invoice note: the run stops after the first invoice, naming the field, and nothing else is created', async () => {
    w = await world({ dropFields: ['note'] });
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(4);
    const report = res.report!;
    expect(report.stopped).toBe('canary');
    const canary = report.canary!;
    expect(canary.status).toBe('failed');
    expect(canary.differences).toEqual([{ field: 'note', sent: expect.stringMatching(/^".+"$/), stored: 'nothing' }]);
    // One message: the invoice, the field, the value sent, the value stored, what to do.
    const line = res.stderr.split('\n').find((l) => l.includes('did not read back as sent'))!;
    expect(line).toContain(`${canary.vendor} ${canary.number} (id ${canary.id})`);
    expect(line).toContain(`note: sent ${canary.differences[0]!.sent}, stored nothing`);
    expect(line).toMatch(/run the same command again \(--no-canary skips this check\)/);
    // The sandbox holds exactly one new invoice, the canary, not processed, with the lines read
    // back: G-24118's first line, and its second, the one with a line note; not its third.
    expect(line).toContain('with 2 of its 3 lines');
    const state = w.sandbox.state();
    expect(created(state)).toBe(1);
    const held = state.invoices.filter((i) => i.origin === 'api');
    expect(held.map((i) => i.id)).toEqual([canary.id]);
    expect(held[0]!.notes).toEqual([]);
    expect(state.counters.linePosts[canary.id]).toEqual({ '1': 1, '2': 1 });
    expect(state.counters.processCount[canary.id] ?? 0).toBe(0);
    const first = report.invoices.find((i) => i.id === canary.id)!;
    expect(first.status).toBe('failed');
    expect(first.error).toMatchObject({ code: 'CANARY_MISMATCH' });
    expect(report.invoices.filter((i) => i !== first).every((i) => i.status === 'failed' && i.error?.code === 'NOT_STARTED')).toBe(true);

    // The same command again adds its third line, reads it back in full and stops again on it, creating nothing.
    const again = await w.load([SAMPLE]);
    expect(again.code).toBe(4);
    expect(again.report!.canary).toMatchObject({ id: canary.id, status: 'failed' });
    expect(again.stderr).toContain('with its lines, not processed');
    expect(created(w.sandbox.state())).toBe(1);
    expect(w.sandbox.state().counters.linePosts[canary.id]).toEqual({ '1': 1, '2': 1, '3': 1 });

    // --no-canary loads the rest, exactly once, the canary included.
    const anyway = await w.load(['--no-canary', SAMPLE]);
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(anyway.report!.canary).toBeUndefined();
    expectExactlyOnce(w.sandbox.state(), anyway.report!);
  });

  it('a line price altered on write is named with both values', async () => {
    w = await world({ alterFields: ['line.price'] });
    const res = await w.load([SAMPLE]);
    expect(res.code).toBe(4);
    const d = res.report!.canary!.differences;
    expect(d.length).toBeGreaterThan(0);
    for (const x of d) expect(x.field).toMatch(/^line \d+ price$/);
    const [sent, stored] = [d[0]!.sent, d[0]!.stored].map(Number);
    expect(stored! - sent!).toBeCloseTo(1);
    expect(created(w.sandbox.state())).toBe(1);
  });

  it('without the switch the canary passes silently', async () => {
    w = await world();
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.canary).toMatchObject({ status: 'passed', differences: [] });
    expect(res.stderr).not.toMatch(/read back|canary/i);
    expectExactlyOnce(w.sandbox.state(), res.report!);
    // The report says whether the alerts foreseen before sending held.
    const review = res.report!.invoices.find((i) => i.number === 'G-24140')!;
    expect(review.prediction).toEqual({ alerts: ['NOT_LINKED_LINES'], held: true });
    expect(res.report!.invoices.every((i) => i.prediction?.held === true)).toBe(true);
  });
});

describe('a target that cannot be reached: one line and a stop', () => {
  it.each([[[]], [['--check', 'none']]])('nothing listening (ECONNREFUSED), checks %j: exit 4, one line naming the cause, no failure per invoice', async (extra) => {
    const { runCli } = await import('../helpers/cli.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-unreachable-'));
    try {
      const res = await runCli(['--json', '--max-retries', '1', ...extra, SAMPLE], {
        env: { ALMA_API_URL: `http://127.0.0.1:${await closedPort()}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir },
      });
      expect(res.code, res.stderr).toBe(4);
      const report = JSON.parse(res.stdout) as { stopped?: string; summary: { requests: number } };
      expect(report.stopped).toBe('unreachable');
      const lines = res.stderr.split('\n').filter((l) => /ECONNREFUSED/.test(l));
      expect(lines, res.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/cannot reach Alma: ECONNREFUSED/);
      expect(res.stderr).not.toMatch(/FAILED/);
      // The wave before the first write — the sample's 4 look-ups first, then the checks — tried
      // and retried once each until the first stop (measured 6-11), never a request per invoice step.
      expect(report.summary.requests).toBeLessThanOrEqual(16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('invoice-load verify: the same comparison for a batch already loaded, reads only', () => {
  const verify = async (world: World, stateDir = world.stateDir) => {
    const { runCli } = await import('../helpers/cli.js');
    const res = await runCli(['verify', '--json', SAMPLE], { env: { ALMA_API_URL: world.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: stateDir } });
    return { ...res, report: JSON.parse(res.stdout || 'null') as unknown };
  };
  it('every invoice matches after a clean load: exit 0, and not one write', async () => {
    w = await world();
    expect((await w.load([SAMPLE])).code).toBe(0);
    const before = JSON.stringify(writesOf(w.sandbox.state()));
    const res = await verify(w);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report as unknown as { command: string; summary: Record<string, number>; invoices: { status: string; id?: string }[] };
    expect(report.command).toBe('verify');
    expect(report.summary).toMatchObject({ invoices: 7, matches: 7, differs: 0, not_found: 0 });
    expect(JSON.stringify(writesOf(w.sandbox.state()))).toBe(before);
  });

  it('a note Alma dropped is named on every invoice that had one (exit 4), by the journal and, without it, by look-ups', async () => {
    w = await world({ dropFields: ['note'] });
    expect((await w.load(['--no-canary', SAMPLE])).code).toBe(0);
    for (const stateDir of [w.stateDir, `${w.dir}/no-journal`]) {
      const res = await verify(w, stateDir);
      expect(res.code, res.stderr).toBe(4);
      const report = res.report as unknown as { summary: Record<string, number>; invoices: { status: string; differences: { field: string; stored: string }[] }[] };
      expect(report.summary.differs).toBeGreaterThan(0);
      expect(report.summary.differs! + report.summary.matches!).toBe(7);
      for (const inv of report.invoices.filter((i) => i.status === 'differs')) expect(inv.differences).toEqual([expect.objectContaining({ field: 'note', stored: 'nothing' })]);
    }
    // Not loaded at all: not found, exit 4.
    w.sandbox.reset();
    const gone = await verify(w, `${w.dir}/fresh`);
    expect(gone.code).toBe(4);
    expect((gone.report as unknown as { summary: Record<string, number> }).summary.not_found).toBe(7);
  });

  it('an Alma that cannot be reached: the load\'s one line for it, exit 4', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-verify-unreachable-'));
    try {
      const res = await runCli(['verify', '--json', '--max-retries', '1', '--concurrency', '4', SAMPLE], {
        env: { ALMA_API_URL: `http://127.0.0.1:${port}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir },
      });
      expect(res.code, res.stderr).toBe(4);
      expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^invoice-load verify: cannot reach Alma: ECONNREFUSED \(.*\) — check the address .*; nothing more will be sent$/)]);
      // 4 invoices at once, 2 attempts each at most; no invoice taken up after the stop.
      const doc = JSON.parse(res.stdout) as { summary: { requests: number }; stopped?: string; stop_detail?: unknown };
      expect(doc.summary.requests).toBeLessThanOrEqual(8);
      // The code behind the stop, as a load's report keeps it (stop_detail): the summary's advice follows it.
      expect(doc).toMatchObject({ stopped: 'unreachable', stop_detail: { code: 'ECONNREFUSED' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stopped with every invoice read before the stop invalid: exit 4 (the others were not verified), not 3', async () => {
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { ROOT, runCli } = await import('../helpers/cli.js');
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-verify-invalid-stop-'));
    try {
      // First an invoice with a date that is none (invalid, never looked up), then the sample: its
      // first invoice's look-up finds no Alma. (A row in no invoice would stop verify before its
      // first request, as it stops a load: test/e2e/verify-file-error.test.ts.)
      const [head, ...rows] = readFileSync(join(ROOT, SAMPLE), 'utf8').trimEnd().split('\n');
      const file = join(dir, 'b.csv');
      const bad = 'X-1,not-a-date,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,10.00,,,,,,1,REGULAR,POL-1002,10.00,1,,,BIO,100,,';
      writeFileSync(file, [head, bad, ...rows].join('\n') + '\n');
      const res = await runCli(['verify', '--json', '--max-retries', '1', '--concurrency', '1', file], {
        env: { ALMA_API_URL: `http://127.0.0.1:${port}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
      });
      const doc = JSON.parse(res.stdout) as { summary: { invoices: number; invalid: number }; stopped?: string };
      expect(doc.stopped).toBe('unreachable');
      expect(doc.summary).toMatchObject({ invoices: 1, invalid: 1 });
      expect(res.code, res.stderr).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function writesOf(state: SandboxStateDump): unknown {
  return [state.counters.created, state.counters.linePosts, state.counters.processCount, state.invoices.length];
}

describe('a line Alma refuses anyway: the report names it', () => {
  it('number, file row, PO line, fund, the code and the fix (R-CONT: a continuous PO line without dates, 60249)', async () => {
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/cli.js');
    w = await world({ seed: join(ROOT, 'fixtures/alma-rules/sandbox-seed.json') });
    const batch = join(ROOT, 'fixtures/alma-rules/batch.csv');
    const res = await w.load(['--check', 'none', '--no-canary', batch]);
    expect(res.code).toBe(4);
    const inv = res.report!.invoices.find((i) => i.number === 'R-CONT')!;
    expect(inv.error).toMatchObject({ step: 'lines', code: '60249', line: { number: '1', po_line: 'POL-1010', funds: ['SERIALS'], rows: [{ file: batch, row: 2 }] } });
    // The summary for people: the line, and what to do about the code.
    const { runCli } = await import('../helpers/cli.js');
    const text = await runCli(['--check', 'none', '--no-canary', batch], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: `${w.dir}/text` } });
    expect(text.stdout).toMatch(/line 1 of EBSCO R-CONT \(row .*batch\.csv:2, PO line POL-1010, fund SERIALS\)/);
    expect(text.stdout).toMatch(/fix: fill subscription_from_date and subscription_to_date/);
  });
});

describe('--max-errors: no storm of identical refusals', () => {
  it('after 2 refusals with the same code in a row no new invoice starts (exit 4, one line why); 0 sends them all', async () => {
    w = await world({ faults: [{ step: 'create', kind: 'business', times: 100 }] });
    const res = await w.load(['--concurrency', '1', '--max-errors', '2', SAMPLE]);
    expect(res.code).toBe(4);
    expect(res.report!.stopped).toBe('max_errors');
    expect(res.stderr.split('\n').filter((l) => l.includes('--max-errors 2'))).toHaveLength(1);
    expect(res.stderr).toMatch(/refused 2 invoices in a row with 60237/);
    const codes = res.report!.invoices.map((i) => i.error?.code);
    expect(codes.filter((c) => c === '60237')).toHaveLength(2);
    expect(codes.filter((c) => c === 'NOT_STARTED')).toHaveLength(5);
    expect(w.sandbox.state().counters.requests['POST create']).toBe(2);

    const all = await w.load(['--concurrency', '1', '--max-errors', '0', SAMPLE], { stateDir: `${w.dir}/unlimited` });
    expect(all.report!.stopped).toBeUndefined();
    expect(all.report!.invoices.filter((i) => i.error?.code === '60237')).toHaveLength(7);
  });
});
