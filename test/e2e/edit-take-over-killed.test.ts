/**
 * A file edited while Alma still processes what its first run sent: the edited file's run takes
 * over the first run's answered process requests with two journal entries (engine.ts
 * #adoptElsewhere: the request's intent, then `processed`). Killed (SIGKILL) between the two, its
 * journal held the request as sent and unanswered; the same command then watched the invoice for
 * a lost answer's while and, Alma still processing (In Review without alerts, as before the
 * request), sent op=process_invoice a second time. The re-run finishes the take-over from the
 * other journal instead: every invoice processed once, by the sandbox's own counters (README "An
 * edited file is a new batch").
 *
 * Killed earlier — right after the `invoice` entry that records the invoice found, or after any
 * of the `line` entries copied from the other journal, before the take-over's intent — the
 * re-run knew the invoice's id and took nothing over, so it sent op=process_invoice a second
 * time and reported the invoice loaded. The re-run redoes the adoption from the other journal
 * (engine.ts #adoptElsewhere, each step checking before it writes): processed once, already_loaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

const KILL = fileURLToPath(new URL('../helpers/kill-preload.cjs', import.meta.url));

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function killedAndRunAgain(kill: Record<string, string>): Promise<void> {
  let t = Date.parse('2026-12-07T10:00:00Z');
  w = await world({ processDelayMs: 20_000, now: () => t });
  const file = join(w.dir, 'b.csv');
  copyFileSync(join(ROOT, 'fixtures/sample-batch.csv'), file);
  const first = await w.load([file, '--poll-timeout', '1', '--concurrency', '1']);
  expect(first.code, first.stderr).toBe(0);
  const count = (): Record<string, number> => w!.sandbox.state().counters.processCount;
  const ids = first.report!.invoices.map((i) => i.id!);
  expect(Object.values(count())).toEqual(ids.map(() => 1));

  const text = readFileSync(file, 'utf8');
  const edited = text.replaceAll('Shared e-book licence', 'Shared e-book licence (corrected)');
  expect(edited, 'the file has the note to correct').not.toBe(text);
  writeFileSync(file, edited);
  const killed = await w.load([file, '--poll-timeout', '1', '--concurrency', '1'], { env: { NODE_OPTIONS: `--require ${KILL}`, ...kill } });
  expect(killed.signal ?? killed.code, killed.stderr).toBe('SIGKILL');

  // Run again at once, Alma still processing.
  const again = await w.load([file, '--poll-timeout', '1', '--concurrency', '1']);
  expect(again.code, again.stderr).toBe(0);
  expect(Object.keys(count()).sort()).toEqual([...ids].sort());
  expect(Object.values(count()), 'process requests per invoice').toEqual(ids.map(() => 1));
  expect(again.report!.invoices.map((i) => [i.number, i.status, i.id])).toEqual(first.report!.invoices.map((i) => [i.number, 'already_loaded', i.id]));

  // Alma finishes; still once each.
  t += 60_000;
  const third = await w.load([file, '--poll-timeout', '1']);
  expect(third.code, third.stderr).toBe(0);
  expect(Object.values(count())).toEqual(ids.map(() => 1));
}

describe('the edited file\'s run killed while it takes over the first run\'s invoices', () => {
  it('between the two entries that take over a process request: the same command sends no process request a second time', async () => {
    // Killed right after the first take-over's intent is written, before its `processed`.
    await killedAndRunAgain({ KILL_PAT: '"step":"process"' });
  }, 60_000);

  it('right after the `invoice` entry that records the invoice found: no second process request, already_loaded', async () => {
    await killedAndRunAgain({ KILL_PAT: '"t":"invoice"' });
  }, 60_000);

  it.each(['1', '2', '3', '5'])('right after the %s. `line` entry copied from the other journal: no second process request, already_loaded', async (n) => {
    await killedAndRunAgain({ KILL_PAT: '"t":"line"', KILL_N: n });
  }, 60_000);
});
