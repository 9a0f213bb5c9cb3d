/**
 * Ctrl-C, SIGTERM and SIGHUP on the built CLI, against a slow sandbox:
 * - the first signal takes no new work, lets the requests in flight finish, journals their
 *   outcomes, writes the partial report (stdout and --report agree) and exits 130;
 * - a second Ctrl-C stops at once (exit 130 with answers still held by the sandbox), the journal still whole;
 * - a stop while Alma is still processing does not sit out the poll timeout;
 * and a re-run afterwards loads everything exactly once.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxOptions } from '../../src/sandbox/index.js';
import type { ReportDocument } from '../../src/report/report.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, ROOT, spawnCli, type CliResult } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import { expectExactlyOnce } from '../helpers/sandbox.js';
import { generateBatch } from './generate.js';
import { audit, expectReportMatchesSandbox, recordFigures, waitForRequests } from './harness.js';

const loop = loopbackPerTest();

const figures: Record<string, unknown> = {};

async function setup(opts: SandboxOptions, invoices: number) {
  const { sb, dir, stateDir, env } = await loop.almaSandbox({ perSecond: 1000, processDelayMs: 40, ...opts }, 'invoice-load-int-', 'interrupt-test-key');
  const batch = generateBatch({ seed: 7 + invoices, invoices, prefix: 'I' });
  const file = join(dir, 'batch.csv');
  writeFileSync(file, batch.csv);
  // The report's folder is made first: invoice-load does not make a missing one (README, reports).
  mkdirSync(join(dir, 'out'));
  const reportPath = join(dir, 'out', 'report.json');
  const args = [file, '--json', '--report', reportPath, '--rate', '100', '--timeout', '5', '--poll-timeout', '20'];
  return { sb, dir, batch, env, args, stateDir, reportPath };
}

function journalOf(stateDir: string): { text: string; entries: JournalEntry[] } {
  const jdir = join(stateDir, 'journals');
  const files = readdirSync(jdir).filter((f) => f.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  const text = readFileSync(join(jdir, files[0]!), 'utf8');
  return { text, entries: text.trimEnd().split('\n').map((l) => JSON.parse(l) as JournalEntry) };
}

/** The interrupted run said so everywhere, with nothing mistaken for a failure or a bug. */
function expectCleanInterrupt(res: CliResult, reportPath: string): ReportDocument {
  expect(res.code, res.stderr).toBe(130);
  expect(res.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
  const report = JSON.parse(res.stdout) as ReportDocument;
  expect(report.stopped).toBe('interrupted');
  // --report is the same document, written whole (no temporary file left beside it).
  expect(JSON.parse(readFileSync(reportPath, 'utf8'))).toEqual(report);
  expect(readdirSync(join(reportPath, '..'))).toEqual(['report.json']);
  for (const inv of report.invoices) {
    if (inv.status === 'failed') expect(['INTERRUPTED', 'NOT_STARTED'], `${inv.number}: ${inv.error?.message}`).toContain(inv.error?.code);
    // Never 'planned' (a dry run's): one the run stopped before reaching, even during the checks, is NOT_STARTED.
    else expect(['loaded', 'in_review']).toContain(inv.status);
  }
  return report;
}

/** Every entry whole and parseable, the last one ended by its newline. */
function expectJournalWhole(stateDir: string): JournalEntry[] {
  const { text, entries } = journalOf(stateDir);
  expect(text.endsWith('\n')).toBe(true);
  expect(entries[0]!.t).toBe('begin');
  // An interruption is not a failure: nothing is journaled as failed.
  expect(entries.filter((e) => e.t === 'failed')).toEqual([]);
  return entries;
}

async function rerunToTheEnd(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  s.sb.configure({ latencyMs: 0, processDelayMs: 40 });
  const res = await spawnCli(s.args, { env: s.env, timeoutMs: 60_000 }).done;
  expect(res.code, res.stderr).toBe(0);
  const report = JSON.parse(res.stdout) as ReportDocument;
  const state = s.sb.state();
  expectExactlyOnce(state, report, { allFromApi: true });
  expect(audit(state, s.batch).problems).toEqual([]);
  expectReportMatchesSandbox(state, report, s.batch);
}

describe('interrupts', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`one ${signal}: in-flight requests finish and are journaled, partial report, exit 130; a re-run finishes exactly once`, async () => {
      const s = await setup({ latencyMs: 250 }, 12);
      const run = spawnCli(s.args, { env: s.env, timeoutMs: 30_000 });
      await waitForRequests(s.sb, 0, 14, () => false);
      const t0 = Date.now();
      run.child.kill(signal);
      const res = await run.done;
      const ms = Date.now() - t0;
      const report = expectCleanInterrupt(res, s.reportPath);
      expect(res.stderr).toContain(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping once the requests already sent are answered`);
      expect(report.summary.failed).toBeGreaterThan(0);
      // In-flight requests were let finish: every write the sandbox applied has its outcome in
      // the journal, so the re-run has nothing to reconcile.
      const entries = expectJournalWhole(s.stateDir);
      const state = s.sb.state();
      const ids = new Set(entries.flatMap((e) => (e.t === 'invoice' ? [e.id] : [])));
      const lineIds = new Set(entries.flatMap((e) => (e.t === 'line' ? [e.id] : [])));
      const processed = new Set(entries.flatMap((e) => (e.t === 'processed' ? [e.id] : [])));
      for (const inv of state.invoices.filter((i) => i.origin === 'api')) {
        expect(ids.has(inv.id), `${inv.number} created and journaled`).toBe(true);
        for (const l of inv.lines) expect(lineIds.has(l.id), `${inv.number} line ${l.number} journaled`).toBe(true);
        if (state.counters.processCount[inv.id]) expect(processed.has(inv.id), `${inv.number} processing journaled`).toBe(true);
      }
      figures[`${signal.toLowerCase()}_exit_ms`] = ms;
      await rerunToTheEnd(s);
    });
  }

  // A closed window or a dropped ssh session: SIGHUP, and the terminal gone (every call on it
  // fails with EIO). Node resets the terminal at exit and aborted when that failed (SIGABRT, 134:
  // src/cli/interrupts.ts releaseHungUpTerminal), after the journal and the report were written.
  it.skipIf(process.platform === 'win32' || spawnSync('python3', ['--version']).status !== 0)(
    'a terminal that hangs up mid-run: exit 130 (not Node\'s abort in ResetStdio), report and journal whole; a re-run finishes exactly once',
    async () => {
      const s = await setup({ latencyMs: 250 }, 12);
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...s.env };
      const child = spawn('python3', [join(ROOT, 'test/helpers/pty-hangup.py'), process.execPath, BIN, ...s.args.filter((a) => a !== '--json')], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.resume();
      let ended = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (ended += d));
      const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await waitForRequests(s.sb, 0, 14, () => false);
      child.stdin.write('hang up\n');
      await done;
      clearTimeout(guard);
      expect(JSON.parse(ended)).toEqual({ exit: 130 });
      const report = JSON.parse(readFileSync(s.reportPath, 'utf8')) as ReportDocument;
      expect(report.stopped).toBe('interrupted');
      expect(readdirSync(join(s.reportPath, '..'))).toEqual(['report.json']);
      expectJournalWhole(s.stateDir);
      await rerunToTheEnd(s);
    },
  );

  it('two SIGINTs during the checks before sending: exit 130, nothing sent, no internal error', async () => {
    const s = await setup({ latencyMs: 1500 }, 12);
    const run = spawnCli([...s.args, '--check', 'all'], { env: s.env, timeoutMs: 30_000 });
    await waitForRequests(s.sb, 0, 1, () => false);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGINT');
    const res = await run.done;
    const report = expectCleanInterrupt(res, s.reportPath);
    expect(report.invoices.every((i) => i.status === 'failed' && i.error?.code === 'NOT_STARTED')).toBe(true);
    expect(s.sb.state().invoices.filter((i) => i.origin === 'api')).toEqual([]);
    await rerunToTheEnd(s);
  });

  it('a second SIGINT stops at once: exit 130 with the answers in flight never received, journal whole; a re-run finishes exactly once', async () => {
    // Every create after the canary's is applied and its answer held for an hour (a `timeout`
    // fault): only a stop that abandons the requests in flight can end this run. --timeout 600
    // keeps the loader's own request timeout from ending them instead, so a second SIGINT that
    // did not stop at once would leave the run to the spawn's fail-safe kill (20 s, well inside the test's 30 s).
    // Nothing here depends on how fast the machine is.
    const s = await setup({ latencyMs: 0, timeoutHoldMs: 3_600_000, faults: [{ step: 'create', kind: 'timeout', after: 1, times: 1000 }] }, 12);
    // --check none: the interrupts land among the writes (the checks before sending have their own test).
    const run = spawnCli([...s.args, '--check', 'none', '--timeout', '600'], { env: s.env, timeoutMs: 20_000 });
    let exited = false;
    void run.done.then(() => (exited = true));
    let stderr = '';
    run.child.stderr.on('data', (d: string) => (stderr += d));
    const created = (): string[] => Object.values(s.sb.state().counters.created).flatMap((byNumber) => Object.keys(byNumber));
    // The canary's create answered, and at least two more applied with their answers held.
    while (created().length < 3) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGINT');
    while (!stderr.includes('Ctrl-C: stopping once')) await new Promise((r) => setTimeout(r, 20));
    // The held answers never come: a run that stopped on the first SIGINT would be gone by now;
    // one that waits as it should is still there, however long this wait.
    await new Promise((r) => setTimeout(r, 300));
    expect(exited, 'the first SIGINT waits for the requests in flight').toBe(false);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.signal, 'ended by itself, not by the fail-safe kill').toBeNull();
    expectCleanInterrupt(res, s.reportPath);
    const entries = expectJournalWhole(s.stateDir);
    // The exit came before the answers: each held create has its intent and no outcome.
    const answered = new Set(entries.flatMap((e) => (e.t === 'invoice' ? [e.number] : [])));
    const held = created().filter((n) => !answered.has(n));
    expect(held.length, 'creates applied whose answers were still held at the exit').toBeGreaterThanOrEqual(2);
    for (const n of held) expect(entries.some((e) => e.t === 'intent' && e.step === 'create' && e.number === n), `${n}'s create intent`).toBe(true);
    s.sb.setFaults({});
    await rerunToTheEnd(s);
  });

  it('a second SIGINT while writes wait for their turn: journaled as not sent, so the re-run sends them at once without looking for them', async () => {
    // 4 requests a second against 300 ms answers: most writes wait at the rate limiter, not on the wire.
    const s = await setup({ latencyMs: 300 }, 12);
    const args = [...s.args, '--check', 'none', '--rate', '4'];
    const run = spawnCli(args, { env: s.env, timeoutMs: 30_000 });
    // Past the canary (its create, line and read-back): the other invoices' creates are queued.
    await waitForRequests(s.sb, 0, 10, () => false);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    run.child.kill('SIGINT');
    expectCleanInterrupt(await run.done, s.reportPath);
    const entries = expectJournalWhole(s.stateDir);
    const unsent = entries.filter((e) => e.t === 'unsent');
    expect(unsent.length, 'writes stopped while they waited for their turn').toBeGreaterThan(0);
    // Each follows its own intent, and none of them reached the sandbox.
    const made = new Set(s.sb.state().invoices.map((i) => i.number));
    for (const e of unsent) {
      expect(entries.some((i) => i.t === 'intent' && i.number === e.number && i.step === e.step)).toBe(true);
      if (e.step === 'create') expect(made.has(e.number), `${e.number} was not created`).toBe(false);
    }
    s.sb.configure({ latencyMs: 0, processDelayMs: 40 });
    const res = await spawnCli(s.args, { env: s.env, timeoutMs: 60_000 }).done;
    expect(res.code, res.stderr).toBe(0);
    // Looked for as a write whose answer was lost, or one an earlier run sent and never learned the outcome of.
    const lost = res.stderr.split('\n').filter((l) => l.includes('whether it took effect'));
    for (const e of unsent) expect(lost.filter((l) => l.includes(` ${e.number}: `))).toEqual([]);
    expectExactlyOnce(s.sb.state(), JSON.parse(res.stdout) as ReportDocument, { allFromApi: true });
  });

  it('a SIGINT while processed invoices wait to be read together: one last read gives each its workflow status', async () => {
    const s = await setup({ latencyMs: 0, processDelayMs: 40 }, 40);
    // 20/s: the watch leaves the processed invoices for one read per vendor at the end.
    const run = spawnCli([...s.args, '--rate', '20'], { env: s.env, timeoutMs: 60_000 });
    while (Object.keys(s.sb.state().counters.processCount).length < 16) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGINT');
    const res = await run.done;
    const report = expectCleanInterrupt(res, s.reportPath);
    const processed = Object.keys(s.sb.state().counters.processCount).length;
    const known = report.invoices.filter((i) => (i.status === 'loaded' || i.status === 'in_review') && i.workflow_status !== undefined);
    const unknown = report.invoices.filter((i) => i.issues.some((p) => p.message.includes('its workflow status was not known yet')));
    // Only an invoice processed in the last moment before that read can still be unknown.
    expect(known.length + unknown.length).toBe(processed);
    expect(unknown.length, `${unknown.length} of ${processed} processed without a status`).toBeLessThanOrEqual(3);
    // In review where Alma put it, not "loaded" for want of a read.
    for (const inv of known) expect(inv.status).toBe(inv.workflow_status === 'InReview' ? 'in_review' : 'loaded');
    expectJournalWhole(s.stateDir);
    await rerunToTheEnd(s);
  });

  it('a SIGINT while Alma is still processing ends the waiting at once; the re-run does not process again', async () => {
    // Processing takes an hour of the sandbox's clock and --poll-timeout is 600 s: a run that sat
    // out the poll wait after the SIGINT would be ended by the spawn's fail-safe kill (no exit
    // code), not exit 130 by itself. The clock is moved on before the re-run, which then finds
    // every invoice processed. Nothing here depends on how fast the machine is.
    const HOUR = 3_600_000;
    let ahead = 0;
    const s = await setup({ latencyMs: 0, processDelayMs: HOUR, now: () => Date.now() + ahead }, 3);
    const run = spawnCli([...s.args, '--poll-timeout', '600'], { env: s.env, timeoutMs: 20_000 });
    // Every invoice sent for processing, then one more request: the loader reading to see whether it is done.
    while (Object.keys(s.sb.state().counters.processCount).length < s.batch.invoices) await new Promise((r) => setTimeout(r, 20));
    await waitForRequests(s.sb, s.sb.state().counters.requestsTotal, 1, () => false);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.signal, 'ended by itself, not by the fail-safe kill').toBeNull();
    const report = expectCleanInterrupt(res, s.reportPath);
    // Processed already: loaded, not failed; only the final workflow status is not known yet.
    expect(report.invoices.map((i) => [i.status, i.error])).toEqual(report.invoices.map(() => ['loaded', undefined]));
    expect(report.summary).toMatchObject({ loaded: 3, failed: 0 });
    for (const inv of report.invoices) {
      expect(inv.issues.map((p) => [p.code, p.message])).toContainEqual([
        'status_unknown',
        'the run stopped while this invoice was being processed: it is loaded; its workflow status was not known yet (a re-run reads it)',
      ]);
    }
    expectJournalWhole(s.stateDir);
    ahead = HOUR;
    const res2 = await spawnCli(s.args, { env: s.env, timeoutMs: 60_000 }).done;
    expect(res2.code, res2.stderr).toBe(0);
    expect((JSON.parse(res2.stdout) as ReportDocument).invoices.every((i) => i.workflow_status !== undefined)).toBe(true);
    const state = s.sb.state();
    for (const id of Object.keys(state.counters.processCount)) expect(state.counters.processCount[id]).toBe(1);
    expectReportMatchesSandbox(state, JSON.parse(res2.stdout) as ReportDocument, s.batch);
    recordFigures('interrupt', figures);
  });
});
