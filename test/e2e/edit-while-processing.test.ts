/**
 * The reviewer's case, against the sandbox over loopback: run 1's process requests answered and
 * journaled, Alma still processing (the sandbox's clock held, so its `processDelayMs` never runs
 * out until the test moves it); a note corrected (a new batch, a new journal) and the file run
 * again at once. Alma shows each invoice In Review without alerts, as before its process request,
 * so only the other journal says it was requested: every invoice processed once, by the
 * sandbox's own counters (README "An edited file is a new batch").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('a file edited and run again at once while Alma still processes what its first run sent', () => {
  it('sends no process request a second time: processCount 1 for every invoice', async () => {
    let t = Date.parse('2026-12-07T10:00:00Z');
    w = await world({ processDelayMs: 20_000, now: () => t });
    const file = join(w.dir, 'b.csv');
    copyFileSync(join(ROOT, 'fixtures/sample-batch.csv'), file);
    const first = await w.load([file, '--poll-timeout', '1']);
    expect(first.code, first.stderr).toBe(0);
    const count = (): Record<string, number> => w!.sandbox.state().counters.processCount;
    expect(first.report!.invoices.map((i) => [i.number, i.status, i.issues.some((x) => x.code === 'not_finished')])).toEqual(
      first.report!.invoices.map((i) => [i.number, 'loaded', true]),
    );
    const ids = first.report!.invoices.map((i) => i.id!);
    expect(ids).toHaveLength(7);
    expect(Object.values(count())).toEqual(ids.map(() => 1));

    const text = readFileSync(file, 'utf8');
    const edited = text.replaceAll('Shared e-book licence', 'Shared e-book licence (corrected)');
    expect(edited, 'the file has the note to correct').not.toBe(text);
    writeFileSync(file, edited);
    const second = await w.load([file, '--poll-timeout', '1']);
    expect(second.code, second.stderr + JSON.stringify([second.report?.issues, second.report?.invoices.map((i) => i.issues)])).toBe(0);
    expect(Object.keys(count()).sort()).toEqual([...ids].sort());
    expect(Object.values(count()), 'process requests per invoice').toEqual(ids.map(() => 1));
    // Nothing sent by this run: already loaded (an earlier run loaded it), its processing not shown yet.
    expect(second.report!.invoices.map((i) => [i.number, i.status, i.id, i.issues.map((x) => x.code)])).toEqual(
      first.report!.invoices.map((i) => [i.number, 'already_loaded', i.id, ['not_finished']]),
    );

    // Alma finishes; the edited file's journal knows its invoices processed now, without the other one.
    t += 60_000;
    const third = await w.load([file, '--poll-timeout', '1']);
    expect(third.code, third.stderr).toBe(0);
    expect(Object.values(count())).toEqual(ids.map(() => 1));
  }, 60_000);
});
