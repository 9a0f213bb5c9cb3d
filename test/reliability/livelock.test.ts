/**
 * A cron job with a time limit: every run is killed (SIGKILL) 8 s after its first request, and process
 * requests are lost on the wire. Each such invoice leaves a process intent without an outcome;
 * the next run must find out whether it took effect (Alma documents no completion time, so it
 * watches for `unknownMs`, 10 s) before sending it again. That wait must not hold a worker slot,
 * and the time already passed since an earlier run sent the request must count, or a handful of
 * such invoices — first in the batch — stall every run behind them and the batch never finishes.
 * Checked from the sandbox's own counters: every killed run has more of the batch's writes
 * (invoices, lines, process requests) take effect than the one before, and the batch ends exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { spawnCli } from '../helpers/cli.js';
import { generateBatch } from './generate.js';
import { audit, recordFigures, waitForRequests } from './harness.js';

const SEED = 20260412;
const INVOICES = 36;
const KILL_AFTER_MS = 8_000;
// More lost process requests than the default six slots.
const LOST_PROCESS = 8;

let sandbox: SandboxHandle;
let dir: string;
beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    latencyMs: 2,
    processDelayMs: 40,
    perSecond: 1000,
    randomSeed: SEED,
    // The first process requests vanish before Alma sees them: the loader cannot tell whether they took effect.
    faults: [{ step: 'process', kind: 'drop_before', times: LOST_PROCESS }],
  });
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-livelock-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes that took effect in the sandbox: invoices held, lines held, invoices processed. */
const stepsDone = (keys: { vendor: string; number: string }[]): { steps: number; processed: number } => {
  const state = sandbox.state();
  let steps = 0;
  let processed = 0;
  for (const k of keys) {
    const s = state.invoices.find((i) => i.vendor === k.vendor && i.number === k.number);
    if (s === undefined) continue;
    const p = (state.counters.processCount[s.id] ?? 0) > 0 ? 1 : 0;
    processed += p;
    steps += 1 + s.lines.length + p;
  }
  return { steps, processed };
};

describe('every run killed after 8 s', () => {
  it('moves the batch forward in every run, even when lost process answers pile up first in the batch', async () => {
    const batch = generateBatch({ seed: SEED, invoices: INVOICES, prefix: 'LL' });
    const file = join(dir, 'batch.csv');
    writeFileSync(file, batch.csv);
    const env = { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'livelock-key', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    // Slow enough (--rate 8) that no single 8-second run can finish the batch.
    const args = [file, '--json', '--rate', '8', '--timeout', '2', '--poll-timeout', '5'];

    const progress: number[] = [];
    const processed: number[] = [];
    let finishedIn: number | undefined;
    for (let run = 1; run <= 12 && finishedIn === undefined; run++) {
      const sent = sandbox.state().counters.requestsTotal;
      const child = spawnCli(args, { env, timeoutMs: 120_000 });
      let exited = false;
      void child.done.then(() => (exited = true));
      // The 8 s count from the run's first request the sandbox sees, not from the spawn: on a busy
      // machine node's start-up alone can take seconds, and a run killed before it sends anything
      // cannot move the batch forward.
      await waitForRequests(sandbox, sent, 1, () => exited);
      const timer = setTimeout(() => child.child.kill('SIGKILL'), KILL_AFTER_MS);
      const res = await child.done;
      clearTimeout(timer);
      const now = stepsDone(batch.keys);
      progress.push(now.steps);
      processed.push(now.processed);
      if (res.signal === 'SIGKILL') {
        const before = progress.length > 1 ? progress[progress.length - 2]! : 0;
        expect(progress.at(-1)!, `run ${run} (killed after 8 s) moved nothing forward (writes that took effect after each run): ${progress.join(' → ')}`).toBeGreaterThan(before);
      } else {
        expect(res.code, res.stderr).toBe(0);
        finishedIn = run;
      }
    }
    const state = sandbox.state();
    const result = audit(state, batch);
    recordFigures('livelock', {
      seed: SEED,
      invoices: INVOICES,
      kill_after_ms: KILL_AFTER_MS,
      lost_process_requests: state.counters.faults.drop_before,
      steps_after_each_run: progress,
      processed_after_each_run: processed,
      finished_in_run: finishedIn,
      duplicates: result.duplicates,
      losses: result.losses,
    });
    expect(state.counters.faults.drop_before).toBe(LOST_PROCESS);
    expect(processed[0], 'the first run was killed before the batch was done: the test needs that').toBeLessThan(INVOICES);
    expect(finishedIn, `not finished: ${progress.join(' → ')}`).toBeDefined();
    expect(result.problems).toEqual([]);
  }, 240_000);
});
