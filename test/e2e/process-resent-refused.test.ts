/**
 * The reviewer's case over loopback: the process request's answer lost (applied: Alma processing
 * it, the sandbox's clock held so it does not finish), the one sent again after the watch refused
 * (60260). The invoice fails OUTCOME_UNKNOWN (not 60260), the journal keeps the request pending,
 * and the same command run at once watches the invoice before sending anything: Alma finishes
 * meanwhile (the test moves the sandbox's clock once the re-run reads the invoice), and the
 * invoice is processed once, by the sandbox's own counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const gets = (w: World): number =>
  Object.entries(w.sandbox.state().counters.requests)
    .filter(([k]) => k.startsWith('GET '))
    .reduce((n, [, v]) => n + v, 0);

describe('a lost process answer, and the request sent again refused', () => {
  it('fails OUTCOME_UNKNOWN keeping the refusal in its words; the re-run watches first and sends nothing again: processCount 1', async () => {
    let t = Date.parse('2026-12-07T10:00:00Z');
    w = await world({
      processDelayMs: 60_000,
      now: () => t,
      faults: [
        { step: 'process', kind: 'lost_after', times: 1 },
        { step: 'process', kind: 'business', times: 1, after: 1 },
      ],
    });
    const [header, ...rows] = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8').trimEnd().split('\n');
    const file = join(w.dir, 'one.csv');
    writeFileSync(file, [header, ...rows.filter((r) => r.startsWith('G-24118,'))].join('\n') + '\n');

    const first = await w.load([file, '--poll-timeout', '1']);
    expect(first.code, first.stderr).toBe(4);
    const inv = first.report!.invoices[0]!;
    expect(inv).toMatchObject({ number: 'G-24118', status: 'failed', error: { step: 'process', code: 'OUTCOME_UNKNOWN', http_status: 0 } });
    expect(inv.error!.message).toContain('60260: Failed to start invoice process and workflow.');
    const id = inv.id!;
    const count = (): number | undefined => w!.sandbox.state().counters.processCount[id];
    expect(count()).toBe(1);

    // Faults cleared, run again at once. Alma finishes once the re-run has read the invoice.
    w.sandbox.setFaults({ faults: [] });
    const before = gets(w);
    let done = false;
    const second = w.load([file, '--poll-timeout', '30']).finally(() => {
      done = true;
    });
    while (!done && gets(w) <= before) await new Promise((resolve) => setTimeout(resolve, 10));
    t += 120_000;
    const again = await second;
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.invoices.map((i) => [i.number, i.status, i.id])).toEqual([['G-24118', 'loaded', id]]);
    expect(count(), 'process requests').toBe(1);
  }, 60_000);
});
