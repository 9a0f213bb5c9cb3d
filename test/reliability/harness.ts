/**
 * Shared pieces of the reliability suite: a seeded PRNG, the kill loop (kill -9 runs at chosen
 * moments, then re-run until done), the exactly-once audit of the sandbox's own state against a
 * batch and a report, and a place to record the figures for the README.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startSandbox, type SandboxHandle, type SandboxOptions, type SandboxStateDump } from '../../src/sandbox/index.js';
import { spawnCli, type CliResult } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';
import type { GeneratedBatch } from './generate.js';

export { mulberry32 } from '../../src/sandbox/faults.js';

/** Every run of the suite writes its figures here (one JSON file per test file), for the README. */
export const FIGURES_DIR = process.env.INVOICE_LOAD_FIGURES_DIR ?? join(tmpdir(), 'invoice-load-reliability');

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const path = join(FIGURES_DIR, `${name}.json`);
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    all = {};
  }
  writeFileSync(path, JSON.stringify({ ...all, ...figures }, null, 2) + '\n');
  console.info(`[reliability] ${name}: ${JSON.stringify(figures)}`);
}

export interface Audit {
  /** Invoices, lines and process requests the sandbox holds more than once. */
  duplicates: number;
  /** Invoices missing, lines missing, invoices never processed. */
  losses: number;
  problems: string[];
}

/**
 * Counts what the sandbox holds for the batch, from its own state: each invoice once (created
 * once through the API), each line once (posted once), processed once; and nothing else
 * created through the API. Pure counting, so figures can be recorded before asserting.
 */
export function audit(state: SandboxStateDump, batch: Pick<GeneratedBatch, 'keys'>): Audit {
  const problems: string[] = [];
  let duplicates = 0;
  let losses = 0;
  const wanted = new Set(batch.keys.map((k) => `${k.vendor}|${k.number}`));
  for (const inv of state.invoices) {
    if (inv.origin === 'api' && !wanted.has(`${inv.vendor}|${inv.number}`)) {
      duplicates++;
      problems.push(`${inv.vendor} ${inv.number}: created but not in the batch`);
    }
  }
  for (const k of batch.keys) {
    const who = `${k.vendor} ${k.number}`;
    const stored = state.invoices.filter((s) => s.vendor === k.vendor && s.number === k.number);
    const created = state.counters.created[k.vendor]?.[k.number] ?? 0;
    if (stored.length === 0) {
      losses++;
      problems.push(`${who}: missing`);
      continue;
    }
    if (stored.length > 1 || created > 1) {
      duplicates += Math.max(stored.length, created) - 1;
      problems.push(`${who}: held ${stored.length} times, created ${created} times`);
    }
    for (const s of stored) {
      const posts = state.counters.linePosts[s.id] ?? {};
      for (let n = 1; n <= k.lines; n++) {
        const held = s.lines.filter((l) => l.number === String(n)).length;
        const posted = posts[String(n)] ?? 0;
        if (held === 0) {
          losses++;
          problems.push(`${who}: line ${n} missing`);
        } else if (held > 1 || posted > 1) {
          duplicates += Math.max(held, posted) - 1;
          problems.push(`${who}: line ${n} held ${held} times, posted ${posted} times`);
        }
      }
      const extra = s.lines.filter((l) => !(Number(l.number) >= 1 && Number(l.number) <= k.lines));
      if (extra.length > 0) {
        duplicates += extra.length;
        problems.push(`${who}: unexpected lines ${extra.map((l) => l.number).join(', ')}`);
      }
      const processed = state.counters.processCount[s.id] ?? 0;
      if (processed === 0) {
        losses++;
        problems.push(`${who}: never processed`);
      } else if (processed > 1) {
        duplicates += processed - 1;
        problems.push(`${who}: processed ${processed} times`);
      }
    }
  }
  return { duplicates, losses, problems };
}

/** The report says what the sandbox holds: ids, line ids, workflow statuses and alerts. */
export function expectReportMatchesSandbox(state: SandboxStateDump, report: ReportDocument, batch: Pick<GeneratedBatch, 'keys'>): void {
  expect(report.invoices).toHaveLength(batch.keys.length);
  for (const k of batch.keys) {
    const inv = report.invoices.find((i) => i.vendor === k.vendor && i.number === k.number);
    expect(inv, `${k.number} in the report`).toBeDefined();
    const s = state.invoices.find((x) => x.vendor === k.vendor && x.number === k.number)!;
    const where = `${k.vendor} ${k.number}`;
    expect(['loaded', 'in_review', 'already_loaded'], `${where} status`).toContain(inv!.status);
    expect(inv!.id, `${where} id`).toBe(s.id);
    expect(inv!.workflow_status, `${where} workflow status`).toBe(s.status);
    expect(inv!.approval_status, `${where} approval status`).toBe(s.approval);
    expect(inv!.alerts.map((a) => a.code).sort(), `${where} alerts`).toEqual([...s.alerts].sort());
    if (inv!.status !== 'already_loaded') expect(inv!.status === 'in_review', `${where} in review`).toBe(s.status === 'InReview');
    const held = Object.fromEntries(s.lines.map((l) => [l.number, l.id]));
    expect(Object.fromEntries(inv!.lines.map((l) => [l.number, l.id])), `${where} line ids`).toEqual(held);
  }
}

/**
 * The Alma sandbox a kill test runs against, started before the file's tests and closed after
 * them, with a folder for the batch and the state: duplicates allowed (Alma's
 * invoice_not_unique=true), so a doubled create is stored and counted rather than refused; a
 * `timeout` fault held 1.5 s, past the loader's --timeout 1, so it really is a timeout; no
 * threshold to speak of. The fields are set once the file's beforeAll has run.
 */
export function killSandbox(prefix: string, opts: SandboxOptions): { sandbox: SandboxHandle; dir: string } {
  const held = {} as { sandbox: SandboxHandle; dir: string };
  beforeAll(async () => {
    held.sandbox = await startSandbox({ port: 0, allowDuplicates: true, perSecond: 1000, timeoutHoldMs: 1500, ...opts });
    held.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await held.sandbox?.close();
    if (held.dir) rmSync(held.dir, { recursive: true, force: true });
  });
  return held;
}

/** A sandbox that counts the requests it received: Alma's, or a sibling target's. */
export interface CountsRequests {
  state(): { counters: { requestsTotal: number } };
}

/** Resolves once the sandbox has answered (or at least received) `n` more requests, or `until()` holds. */
export async function waitForRequests(sandbox: CountsRequests, from: number, n: number, until: () => boolean): Promise<void> {
  while (!until() && sandbox.state().counters.requestsTotal < from + n) await new Promise((r) => setTimeout(r, 2));
}

/** One command of the CLI, run again and again against the same state dir. */
export interface KillRun {
  args: string[];
  env: Record<string, string>;
}

export interface Killed {
  kills: number;
  /** Runs started (killed or not). */
  spawned: number;
  /** Exit codes of the runs that ended by themselves, in order (the re-runs append theirs). */
  exits: (number | null)[];
  /** A run that got to the end (exit 0) before it could be killed: nothing is left to kill. */
  finished: CliResult | undefined;
}

/**
 * Starts `run` and SIGKILLs it once `killAt(spawned, exited)` resolves — `spawned` is 1 for the
 * first run — until `kills` runs were killed, a run finished by itself, or 3 × `kills` runs
 * were started. `afterKill` looks at what each kill left (the journal's tail, its pending lines).
 */
export async function killRepeatedly(run: KillRun, kills: number, killAt: (spawned: number, exited: () => boolean) => Promise<void>, afterKill?: () => void): Promise<Killed> {
  const out: Killed = { kills: 0, spawned: 0, exits: [], finished: undefined };
  while (out.kills < kills && out.spawned < kills * 3) {
    out.spawned++;
    const child = spawnCli(run.args, { env: run.env, timeoutMs: 60_000 });
    let exited = false;
    void child.done.then(() => (exited = true));
    await killAt(out.spawned, () => exited);
    if (!exited) child.child.kill('SIGKILL');
    const res = await child.done;
    if (res.signal === 'SIGKILL') {
      out.kills++;
      afterKill?.();
      continue;
    }
    out.exits.push(res.code);
    if (res.code === 0) {
      out.finished = res;
      break;
    }
  }
  return out;
}

/**
 * Runs `run` undisturbed (the sandbox's faults still on) until it exits 0, at most 10 times; 4 —
 * an invoice failed on a fault that outlived its retries, the journal lets the next run finish
 * it — is the only other code allowed. The exit codes are appended to `killed.exits`.
 */
export async function rerunUntilDone(run: KillRun, killed: Killed): Promise<{ report: ReportDocument; reruns: number }> {
  let finished = killed.finished;
  let reruns = 0;
  while (!finished && reruns < 10) {
    reruns++;
    const res = await spawnCli(run.args, { env: run.env, timeoutMs: 120_000 }).done;
    killed.exits.push(res.code);
    expect([0, 4], res.stderr).toContain(res.code);
    if (res.code === 0) finished = res;
  }
  expect(finished, `still not done after ${reruns} re-runs`).toBeDefined();
  return { report: JSON.parse(finished!.stdout) as ReportDocument, reruns };
}
