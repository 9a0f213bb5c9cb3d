/**
 * Ctrl-C during `verify`: the reads in flight are abandoned and the run says it was interrupted,
 * with what it read, and exits 130 (README "Exit codes (for cron)") — it used to end as an
 * internal error (exit 1) on the abort it caused itself. The server never answers, so the signal
 * always lands while a read is in flight, however fast the machine.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawnCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';

const loop = loopbackPerTest();

/**
 * README "Exit codes": 130 for Ctrl-C, SIGTERM (cron, `timeout`, a service manager) or SIGHUP (a
 * closed terminal) alike — without a handler, SIGTERM and SIGHUP ended Node by the signal, with
 * no report.
 */
describe('verify interrupted', () => {
  it.each([
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'SIGTERM'],
    ['SIGHUP', 'SIGHUP'],
  ] as const)('%s while a read waits for its answer: exit 130, stopped "interrupted" in the report, no internal error', async (signal, said) => {
    let seen = 0;
    // Never answers: the read is in flight until the run lets it go.
    const url = await loop.listen(() => void seen++);
    const dir = loop.tempDir('invoice-load-verify-int-');
    const run = spawnCli(['verify', '--json', 'fixtures/sample-batch.csv'], { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, timeoutMs: 20_000 });
    while (seen === 0) await new Promise((r) => setTimeout(r, 20));
    run.child.kill(signal);
    const res = await run.done;
    expect(res.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toContain(`invoice-load verify: interrupted (${said})`);
    const doc = JSON.parse(res.stdout) as { command: string; stopped?: string };
    expect(doc).toMatchObject({ command: 'verify', stopped: 'interrupted' });
  });
});
