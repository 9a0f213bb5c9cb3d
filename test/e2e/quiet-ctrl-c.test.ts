/**
 * `--quiet` hides the progress, not the answer to a person's own Ctrl-C (README, `--quiet`): the
 * load says on stderr that the first Ctrl-C was heard (stopping once the requests in flight are
 * answered) and the second (stopping now), as it does without --quiet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import { stoppingLine, stoppingNowLine } from '../../src/cli/interrupts.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('--quiet and Ctrl-C', () => {
  it('both Ctrl-C lines are said under --quiet; the summary follows, exit 130', async () => {
    // Every create after the first is applied and its answer held for an hour: the run can only
    // end by the second Ctrl-C, which abandons them (--timeout 600 keeps the loader's own timeout out).
    w = await world({ timeoutHoldMs: 3_600_000, faults: [{ step: 'create', kind: 'timeout', after: 1, times: 1000 }] });
    const run = spawnCli(['--quiet', '--check', 'none', '--timeout', '600', '--rate', '200', 'fixtures/sample-batch.csv'], {
      env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w.stateDir },
      timeoutMs: 20_000,
    });
    let exited = false;
    void run.done.then(() => (exited = true));
    let stderr = '';
    run.child.stderr.on('data', (d: string) => (stderr += d));
    const created = (): number => Object.values(w!.sandbox.state().counters.created).flatMap((byNumber) => Object.keys(byNumber)).length;
    // The first create answered, at least one more applied with its answer held.
    while (created() < 2) await delay(20);
    run.child.kill('SIGINT');
    // Said at once; without it, the run would end only by the spawn's fail-safe kill.
    while (!stderr.includes(stoppingLine('SIGINT')) && !exited) await delay(20);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.signal, 'ended by itself, not by the fail-safe kill').toBeNull();
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toContain(stoppingLine('SIGINT'));
    expect(res.stderr).toContain(stoppingNowLine('SIGINT'));
    // Still quiet otherwise: no progress line for an invoice.
    expect(res.stderr).not.toMatch(/^\[\d+\/\d+\]/m);
    expect(res.stdout).toMatch(/: \d+ stopped before done\. /);
  }, 30_000);
});
