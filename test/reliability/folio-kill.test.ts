/**
 * FOLIO: kill -9 at seeded random moments, with seeded random faults on the wire, then re-run
 * until done. The sandbox's own counters must show every invoice stored once, every line posted
 * once, every invoice approved once and never approved again, and the last report must name
 * exactly what the sandbox holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { startFolioSandbox, type FolioSandbox } from '../../src/sandbox/folio/server.js';
import type { FaultKind } from '../../src/sandbox/faults.js';
import { killRepeatedly, mulberry32, recordFigures, rerunUntilDone, waitForRequests } from './harness.js';

const SEED = 20261203;
const KILLS = 16;
const INVOICES = 36;
const FAULT_RATE = 0.05;
const FAULT_KINDS: FaultKind[] = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle'];

const VENDORS = ['GOBI', 'HARRAS', 'EBSCO'];
const FUNDS = ['HIST', 'CHEM', 'ENG', 'GENRL'];
const PO_LINES = ['10001-1', '10001-2', '10002-1', '10003-1', '10003-2', '10004-1', '10004-2', '10004-3'];

/** A seeded batch of valid FOLIO invoices built from the sandbox seed's vendors, funds and PO lines. */
function generate(seed: number, invoices: number): { csv: string; lines: number; keys: { vendor: string; number: string; lines: number }[] } {
  const rnd = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const rows: string[] = ['invoice_number,invoice_date,vendor,total_amount,currency,payment_method,shipment,line_number,po_line,price,quantity,fund_code,fund_percent'];
  const keys: { vendor: string; number: string; lines: number }[] = [];
  let lineCount = 0;
  for (let i = 1; i <= invoices; i++) {
    const vendor = pick(VENDORS);
    const number = `FK-${String(i).padStart(4, '0')}`;
    const n = 1 + Math.floor(rnd() * 3);
    const shipment = rnd() < 0.3 ? new Decimal(Math.floor(rnd() * 1000)).div(100) : undefined;
    const lines = Array.from({ length: n }, (_, j) => ({ no: j + 1, po: rnd() < 0.8 ? pick(PO_LINES) : '', price: new Decimal(100 + Math.floor(rnd() * 20000)).div(100), qty: 1 + Math.floor(rnd() * 3), split: rnd() < 0.3 }));
    const total = lines.reduce((s, l) => s.plus(l.price.times(l.qty)), shipment ?? new Decimal(0));
    for (const l of lines) {
      const head = `${number},2026-11-02,${vendor},${total.toFixed(2)},USD,EFT,${shipment?.toFixed(2) ?? ''},${l.no},${l.po},${l.price.toFixed(2)},${l.qty}`;
      if (l.split) {
        const k = Math.floor(rnd() * FUNDS.length);
        rows.push(`${head},${FUNDS[k]},60`, `${head},${FUNDS[(k + 1) % FUNDS.length]},40`);
      } else rows.push(`${head},${pick(FUNDS)},100`);
    }
    keys.push({ vendor, number, lines: n });
    lineCount += n;
  }
  return { csv: rows.join('\n') + '\n', lines: lineCount, keys };
}

let sandbox: FolioSandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await startFolioSandbox({ port: 0, faultRate: FAULT_RATE, faultKinds: FAULT_KINDS, randomSeed: SEED, latencyMs: 25, perSecond: 1000, timeoutHoldMs: 1500 });
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-folio-kill-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('FOLIO: kill -9 at random moments under random faults', () => {
  it(`survives ${KILLS} SIGKILLs and resumes to exactly once: 0 duplicates, 0 double approvals`, async () => {
    const batch = generate(SEED, INVOICES);
    const file = join(dir, 'batch.csv');
    writeFileSync(file, batch.csv);
    const env = { FOLIO_API_URL: sandbox.url, FOLIO_TENANT: 'diku', FOLIO_USERNAME: 'kill', FOLIO_PASSWORD: 'kill-test-pw', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const args = ['--target', 'folio', file, '--json', '--rate', '150', '--concurrency', '4', '--timeout', '1', '--max-retries', '3'];
    const rnd = mulberry32(SEED);
    const run = { args, env };
    const killed = await killRepeatedly(run, KILLS, async (_spawned, exited) => {
      if (rnd() < 0.15) await new Promise((r) => setTimeout(r, 40 + Math.floor(rnd() * 400)));
      else {
        // Each run starts with about five reads (login, organizations, the vendors' invoices): most kills land after them, among the writes.
        await waitForRequests(sandbox, sandbox.state().counters.requestsTotal, 4 + Math.floor(rnd() * 14), exited);
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 25)));
      }
    });
    const { kills, spawned, exits } = killed;
    expect(kills, `the batch finished after ${kills} kills: make it larger`).toBeGreaterThanOrEqual(KILLS);
    const { report, reruns } = await rerunUntilDone(run, killed);
    const state = sandbox.state();

    let duplicates = 0;
    let losses = 0;
    let doubleLines = 0;
    let doubleApprovals = state.counters.reapprovals;
    for (const k of batch.keys) {
      const held = state.invoices.filter((i) => i.vendorCode === k.vendor && i.vendorInvoiceNo === k.number);
      if (held.length === 0) losses++;
      duplicates += Math.max(0, held.length - 1);
      const inv = held[0];
      if (inv === undefined) continue;
      const posted = state.counters.linesPosted[inv.id as string] ?? {};
      if (Object.keys(posted).length !== k.lines) losses++;
      doubleLines += Object.values(posted).filter((n) => n > 1).length;
      const approvals = state.counters.approvals[inv.id as string] ?? 0;
      if (approvals !== 1 || inv.status !== 'Approved') losses++;
      doubleApprovals += Math.max(0, approvals - 1);
      const r = report.invoices.find((x) => x.vendor === k.vendor && x.number === k.number)!;
      expect(r.id, `${k.number} id in the report`).toBe(inv.id);
      expect(r.workflow_status).toBe('Approved');
      expect(r.lines.map((l) => l.id).sort()).toEqual(Object.keys(posted).sort());
    }
    recordFigures('folio-kill', {
      seed: SEED,
      invoices: INVOICES,
      lines: batch.lines,
      kills,
      runs: spawned + reruns,
      exit_codes: exits,
      fault_rate: FAULT_RATE,
      faults: state.counters.faults,
      faults_total: Object.values(state.counters.faults).reduce((a, b) => a + b, 0),
      requests: state.counters.requestsTotal,
      logins: state.counters.logins,
      duplicate_id_refusals: state.counters.duplicateIds,
      version_conflicts: state.counters.conflicts,
      duplicates,
      double_lines: doubleLines,
      double_approvals: doubleApprovals,
      losses,
    });
    expect({ duplicates, doubleLines, doubleApprovals, losses }).toEqual({ duplicates: 0, doubleLines: 0, doubleApprovals: 0, losses: 0 });
    expect(report.summary.invoices).toBe(INVOICES);
  }, 600_000);
});
