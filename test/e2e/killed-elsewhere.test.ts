/**
 * A nightly job killed (kill -9) mid-load, then the next night's file — another batch, another
 * journal — loaded: that load warns on stderr of the killed run (its file, its invoice, what to
 * do), under --quiet too, its exit code unchanged; the killed run's file loaded again resumes it,
 * and no load warns of it after (README "A killed batch another file's run tells of").
 * The kill is placed by test/helpers/kill-preload.cjs: SIGKILL right after the journal records
 * the first invoice created, before any of its lines — no timers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';

const KILL = fileURLToPath(new URL('../helpers/kill-preload.cjs', import.meta.url));
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The invoices the journals record created, as `vendor number`. */
function created(stateDir: string): string[] {
  const dir = join(stateDir, 'journals');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{"t":"invoice"'))
    .map((l) => JSON.parse(l) as { vendor: string; number: string })
    .map((e) => `${e.vendor} ${e.number}`);
}

describe('a load killed after its first create, then a load of another file', () => {
  it('warns of the killed run by its file and invoice; the killed file run again resumes it and the warning is gone', async () => {
    w = await world();
    const first = sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv');
    const second = sampleSubset(w.dir, ['HARRAS'], 'nightly-2.csv');

    const killed = await w.load([first, '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"invoice"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [half] = created(w.stateDir);
    expect(half).toMatch(/^GOBI G-/);

    const next = await w.load([second, '--quiet']);
    expect(next.code, next.stderr).toBe(0);
    const warning = next.stderr.split('\n').filter((l) => l.includes('an earlier load'));
    expect(warning, next.stderr).toHaveLength(1);
    expect(warning[0]).toContain(first);
    expect(warning[0]).toContain(`invoice ${half},`);
    expect(warning[0]).toContain("Load that run's file again");
    // On stderr alone: the report document does not grow (README says so).
    expect(JSON.stringify(next.report)).not.toContain('earlier load');

    const resumed = await w.load([first]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain('an earlier load');

    const after = await w.load([second]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('an earlier load');
  });

  it('another key on the same address (another institution) is not warned of the killed run', async () => {
    w = await world();
    const first = sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv');
    const second = sampleSubset(w.dir, ['HARRAS'], 'nightly-2.csv');
    const killed = await w.load([first, '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"invoice"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const other = await w.load([second], { key: 'another-institution-key' });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).not.toContain('an earlier load');
    const same = await w.load([sampleSubset(w.dir, ['EBSCO'], 'nightly-3.csv')]);
    expect(same.stderr).toContain('an earlier load');
  });

  it('a load of another file holding the half-built invoice finishes it, and later loads no longer warn of it', async () => {
    w = await world();
    const first = sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv');
    const killed = await w.load([first, '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"invoice"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [half] = created(w.stateDir);
    const other = await w.load([sampleSubset(w.dir, ['BLACKWELL'], 'nightly-2.csv')]);
    expect(other.stderr).toContain(`invoice ${half},`);
    // The vendor's whole batch, GOBI's invoices with it: its run finishes the half-built one, and
    // (its own batch's) does not warn of it.
    const whole = await w.load([sampleSubset(w.dir, ['GOBI', 'HARRAS'], 'corrected.csv')]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stderr).not.toContain('an earlier load');
    const next = await w.load([sampleSubset(w.dir, ['EBSCO'], 'nightly-3.csv')]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('an earlier load');
  });

  it("a run that ended with an invoice refused (a line's fund, its processing) is not told of by the next load: it said so itself", async () => {
    for (const step of ['line', 'process'] as const) {
      w = await world({ faults: [{ step, kind: 'business', match: 'G-24118', times: 1000 }] });
      const refused = await w.load([sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv')]);
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.report!.invoices.find((i) => i.number === 'G-24118')?.status).toBe('failed');
      const next = await w.load([sampleSubset(w.dir, ['HARRAS'], 'nightly-2.csv'), '--quiet']);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr, step).not.toContain('an earlier load');
      await w.close();
      w = undefined;
    }
  });

  it('a run stopped by the daily threshold with an invoice half-built is told of as a run that ended without finishing it, not as one killed', async () => {
    // The 8th request of the day is refused: after GOBI's first create, before its lines.
    w = await world({ daily: 8 });
    const first = sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv');
    const stopped = await w.load([first, '--concurrency', '1']);
    expect(stopped.report?.stopped, stopped.stderr).toBe('daily_limit');
    const [half] = created(w.stateDir);
    expect(half).toMatch(/^GOBI G-/);
    w.sandbox.configure({ daily: 100_000 });
    const next = await w.load([sampleSubset(w.dir, ['HARRAS'], 'nightly-2.csv'), '--quiet']);
    expect(next.code, next.stderr).toBe(0);
    const warning = next.stderr.split('\n').filter((l) => l.includes('an earlier load'));
    expect(warning, next.stderr).toHaveLength(1);
    expect(warning[0]).toContain(`ended without finishing invoice ${half} (it was stopped first, or a write to it went unanswered or failed for a time)`);
    expect(warning[0]).toContain('the load takes up where that run left off');
    expect(warning[0]).toContain('load a copy of that batch instead');
    expect(warning[0]).not.toContain('killed');
  });

  it('a load of another file that finishes the half-built invoice and is killed before it ends still settles it', async () => {
    w = await world();
    const first = sampleSubset(w.dir, ['GOBI'], 'nightly-1.csv');
    const killed = await w.load([first, '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"invoice"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [half] = created(w.stateDir);
    // GOBI's and HARRAS's 5 invoices, the half-built one among them: killed (kill -9) right after
    // the journal records the last settled, before the run's `end` entry.
    const whole = await w.load([sampleSubset(w.dir, ['GOBI', 'HARRAS'], 'corrected.csv'), '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"settled"', KILL_N: '5' } });
    expect(whole.signal, whole.stderr).toBe('SIGKILL');
    const [vendor, number] = half!.split(' ');
    // Finished in Alma: processed once.
    const inAlma = w.sandbox.state().invoices.find((i) => i.vendor === vendor && i.number === number)!;
    expect(w.sandbox.state().counters.processCount[inAlma.id]).toBe(1);
    const next = await w.load([sampleSubset(w.dir, ['EBSCO'], 'nightly-3.csv')]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('an earlier load');
  });
});
