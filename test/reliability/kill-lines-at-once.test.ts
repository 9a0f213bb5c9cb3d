/**
 * kill -9 while the lines of a few large invoices are on their way several at once (the engine's
 * `addLines` with slots to spare), with seeded random faults on the wire, then re-run until done:
 * every invoice once, every line posted once, every invoice processed once. The journal then
 * holds several lines of one invoice pending at the kill, and the next run must settle each.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultKind } from '../../src/sandbox/index.js';
import { audit, killRepeatedly, killSandbox, mulberry32, rerunUntilDone, waitForRequests } from './harness.js';

const SEED = 20261205;
const KILLS = 10;
const VENDORS = ['GOBI', 'HARRAS', 'EBSCO'];
const LINES = 60;
// The faults that leave a line's outcome to be settled; `timeout` applies the line and holds its
// answer past --timeout, so a kill in that spell leaves a line Alma has and the journal does not.
// No 429s: an injected one early in a run reads as a low threshold and slows the whole run down.
const FAULT_KINDS: FaultKind[] = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout'];

const world = killSandbox('invoice-load-kill-lines-', { faultRate: 0.08, faultKinds: FAULT_KINDS, randomSeed: SEED, latencyMs: 10, processDelayMs: 20 });

/** The most lines of one invoice the journal holds as sent without an answer (its `intent`s without a `line`). */
function pendingLines(stateDir: string): number {
  const jdir = join(stateDir, 'journals');
  if (!existsSync(jdir)) return 0;
  const pending = new Map<string, Set<string>>();
  for (const f of readdirSync(jdir).filter((x) => x.endsWith('.jsonl'))) {
    for (const raw of readFileSync(join(jdir, f), 'utf8').split('\n')) {
      let e: { t?: string; step?: string; line?: string; vendor?: string; number?: string };
      try {
        e = JSON.parse(raw) as typeof e;
      } catch {
        continue; // a line cut off by the kill
      }
      const k = `${e.vendor}|${e.number}`;
      if (e.t === 'intent' && e.step === 'line' && e.line !== undefined) pending.set(k, (pending.get(k) ?? new Set()).add(e.line));
      if (e.t === 'line' && e.line !== undefined) pending.get(k)?.delete(e.line);
    }
  }
  return Math.max(0, ...[...pending.values()].map((s) => s.size));
}

describe('kill -9 while lines of one invoice are on their way at once', () => {
  it(`survives ${KILLS} SIGKILLs among lines sent together and resumes to exactly once`, async () => {
    const { sandbox, dir } = world;
    const rows = ['invoice_number,invoice_date,vendor,currency,total_amount,line_number,line_type,price,quantity,fund_code,fund_percent'];
    const keys = VENDORS.map((vendor, i) => ({ vendor, number: `WIDE-${i + 1}`, lines: LINES }));
    for (const k of keys) for (let n = 1; n <= LINES; n++) rows.push(`${k.number},2025-03-03,${k.vendor},USD,${LINES * 10}.00,${n},REGULAR,10.00,1,GENMON,100`);
    const file = join(dir, 'wide.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const env = { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'kill-lines-key', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    // 8 slots for 3 invoices: their lines go 2 and more at once.
    const args = [file, '--json', '--rate', '300', '--concurrency', '8', '--timeout', '1', '--poll-timeout', '2', '--max-retries', '3', '--no-canary'];
    const rnd = mulberry32(SEED);
    const run = { args, env };

    let mostPending = 0;
    const killed = await killRepeatedly(
      run,
      KILLS,
      async (spawned, exited) => {
        // A kill some requests in, among the lines. The first run goes past its checks and the
        // three creates first: an invoice whose create was cut off is found by look-up on the next
        // run, and a found invoice's lines are always listed — the journal alone must carry the others.
        const after = spawned === 1 ? 24 + Math.floor(rnd() * 8) : 6 + Math.floor(rnd() * 12);
        await waitForRequests(sandbox, sandbox.state().counters.requestsTotal, after, exited);
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 15)));
      },
      () => (mostPending = Math.max(mostPending, pendingLines(join(dir, 'state')))),
    );
    expect(killed.kills, `the batch finished after ${killed.kills} kills: make it larger`).toBeGreaterThanOrEqual(KILLS);
    // Some kill came while several lines of one invoice were sent and not yet answered.
    expect(mostPending).toBeGreaterThanOrEqual(2);
    const { report } = await rerunUntilDone(run, killed);
    const result = audit(sandbox.state(), { keys });
    expect(result.problems).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.losses).toBe(0);
    expect(report.summary.failed).toBe(0);
    expect(sandbox.state().invoices.filter((i) => i.number.startsWith('WIDE-')).map((i) => i.lines.length)).toEqual([LINES, LINES, LINES]);
  }, 170_000);
});
