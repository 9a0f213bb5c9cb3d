/**
 * A nightly run killed by cron's `timeout` (SIGKILL) after creating an invoice and before
 * processing it, then the next night a new file — a new batch, a new journal: the new run says
 * which earlier run and file left which invoices unfinished, and what to do (README "Exactly
 * once": "A run killed and never run again"). The kill is deterministic
 * (test/helpers/kill-preload.cjs: SIGKILL right after the first journal entry of an invoice
 * created).
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

describe('a run killed and never run again', () => {
  it("is named by the next night's run of another file, with its file and invoices, until it is run again", async () => {
    w = await world();
    const night1 = sampleSubset(w.dir, ['GOBI'], 'night-1.csv');
    const night2 = sampleSubset(w.dir, ['HARRAS'], 'night-2.csv');
    // Killed right after the first invoice is recorded as created: it is in the sandbox, unprocessed.
    const killed = await w.load([night1, '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, KILL_PAT: '"t":"invoice"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const made = w.sandbox.state().invoices.filter((i) => i.vendor === 'GOBI' && i.origin === 'api');
    expect(made).toHaveLength(1);
    expect(w.sandbox.state().counters.processCount[made[0]!.id] ?? 0).toBe(0);
    // The journal records the input file as given and as an absolute path.
    const journals = readdirSync(join(w.stateDir, 'journals')).filter((n) => n.endsWith('.jsonl'));
    expect(journals).toHaveLength(1);
    const begin = JSON.parse(readFileSync(join(w.stateDir, 'journals', journals[0]!), 'utf8').split('\n')[0]!) as { files?: unknown };
    expect(begin.files).toEqual([{ name: night1, path: night1 }]);

    const next = await w.load([night2]);
    expect(next.code, next.stderr).toBe(0);
    const said = next.stderr.split('\n').filter((l) => l.includes('warning: an earlier run'));
    expect(said, next.stderr).toHaveLength(1);
    expect(said[0]).toContain(`, file ${night1}) left 1 invoice in Alma created but not finished — lines or processing missing: GOBI ${made[0]!.number}. Run that file again to finish it`);
    const issue = next.report!.issues.find((p) => p.code === 'earlier_run_unfinished');
    expect(issue).toMatchObject({ file: night1, severity: 'warning' });
    expect(next.report!.summary.loaded + next.report!.summary.in_review).toBe(next.report!.invoices.length);

    // A dry run reads no journal and says nothing of it.
    const dry = await w.load([night2, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toContain('earlier run');
    expect(dry.report!.issues).toEqual([]);

    // Run again as said: the killed batch is finished, and the next run says nothing of it.
    const again = await w.load([night1]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('warning: an earlier run');
    const after = await w.load([night2]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('warning: an earlier run');
    expect(after.report!.issues).toEqual([]);
  });
});
