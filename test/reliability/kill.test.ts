/**
 * kill -9 at seeded random moments, with seeded random faults on the wire, then re-run until
 * done: the sandbox must hold every invoice once, every line once, every invoice processed once,
 * and the last report must say exactly what the sandbox holds.
 *
 * The sandbox runs in this process with `allowDuplicates` (Alma's invoice_not_unique=true), so
 * a doubled create is stored and counted instead of refused: the loader's look-ups and journal
 * are the only thing standing between a kill and a duplicate.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultKind } from '../../src/sandbox/index.js';
import { generateBatch } from './generate.js';
import { audit, expectReportMatchesSandbox, killRepeatedly, killSandbox, mulberry32, recordFigures, rerunUntilDone, waitForRequests } from './harness.js';

const SEED = 20250314;
const KILLS = 24;
const INVOICES = 48;
const FAULT_RATE = 0.05;
// Every kind a healthy Alma can throw at a loader; `business` is a permanent refusal, not a fault to survive.
const FAULT_KINDS: FaultKind[] = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle'];

const world = killSandbox('invoice-load-kill-', { faultRate: FAULT_RATE, faultKinds: FAULT_KINDS, randomSeed: SEED, latencyMs: 4, processDelayMs: 40 });

/**
 * After a kill the journal is whole entries, except at most a last line cut off mid-write (which
 * the next run cuts away). Returns whether the kill left such a torn tail.
 */
function journalTail(stateDir: string): 'none' | 'whole' | 'torn' {
  const jdir = join(stateDir, 'journals');
  if (!existsSync(jdir)) return 'none';
  const files = readdirSync(jdir).filter((f) => f.endsWith('.jsonl'));
  expect(files.length).toBeLessThanOrEqual(1);
  if (files.length === 0) return 'none';
  const lines = readFileSync(join(jdir, files[0]!), 'utf8').split('\n');
  const last = lines.pop()!;
  for (const l of lines) expect(() => JSON.parse(l) as unknown, `journal line ${l}`).not.toThrow();
  return last === '' ? 'whole' : 'torn';
}

describe('kill -9 at random moments under random faults', () => {
  it(`survives ${KILLS} SIGKILLs and resumes to exactly once`, async () => {
    const { sandbox, dir } = world;
    const batch = generateBatch({ seed: SEED, invoices: INVOICES, prefix: 'K' });
    const file = join(dir, 'batch.csv');
    writeFileSync(file, batch.csv);
    const env = { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'kill-test-key', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const args = [file, '--json', '--rate', '150', '--concurrency', '4', '--timeout', '1', '--poll-timeout', '2', '--max-retries', '3'];
    const rnd = mulberry32(SEED);
    const run = { args, env };

    let tornTails = 0;
    const killed = await killRepeatedly(
      run,
      KILLS,
      async (_spawned, exited) => {
        if (rnd() < 0.15) {
          // Now and then a kill by the clock alone: at start-up, while reading, while opening the journal.
          await new Promise((r) => setTimeout(r, 40 + Math.floor(rnd() * 400)));
        } else {
          // Mostly a kill a few requests in, when requests are in flight and journal entries are being written.
          await waitForRequests(sandbox, sandbox.state().counters.requestsTotal, 1 + Math.floor(rnd() * 9), exited);
          await new Promise((r) => setTimeout(r, Math.floor(rnd() * 25)));
        }
      },
      () => {
        if (journalTail(join(dir, 'state')) === 'torn') tornTails++;
      },
    );
    const { kills, spawned, exits } = killed;
    expect(kills, `the batch finished after ${kills} kills: make it larger`).toBeGreaterThanOrEqual(KILLS);
    // Re-run, undisturbed (faults still on), until the loader says everything is loaded.
    const { report, reruns } = await rerunUntilDone(run, killed);

    const state = sandbox.state();
    const result = audit(state, batch);
    recordFigures('kill', {
      seed: SEED,
      invoices: batch.invoices,
      lines: batch.lines,
      kills,
      torn_journal_tails: tornTails,
      runs: spawned + reruns,
      reruns_after_kills: reruns,
      exit_codes: exits,
      fault_rate: FAULT_RATE,
      faults: state.counters.faults,
      faults_total: Object.values(state.counters.faults).reduce((a, b) => a + b, 0),
      requests: state.counters.requestsTotal,
      in_review: state.invoices.filter((i) => i.origin === 'api' && i.status === 'InReview').length,
      duplicates: result.duplicates,
      losses: result.losses,
    });
    expect(result.problems).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.losses).toBe(0);
    expect(report.summary.failed).toBe(0);
    expectReportMatchesSandbox(state, report, batch);
    // The faults really happened, of every kind, and some invoices really went to review.
    for (const k of FAULT_KINDS) expect(state.counters.faults[k], `${k} faults injected`).toBeGreaterThan(0);
    expect(state.invoices.some((i) => i.origin === 'api' && i.status === 'InReview' && i.alerts.length > 0)).toBe(true);
  }, 170_000);
});
