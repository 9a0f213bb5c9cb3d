/**
 * End-to-end worlds for the Exsited and Alguna targets: their sandbox on loopback, the built CLI
 * pointed at it through the environment (as a user would), and the exactly-once check read from
 * the sandbox's own counters.
 */
import { expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExsitedSandbox, type ExsitedSandbox, type ExsitedSandboxOptions, type ExsitedSandboxState } from '../../src/sandbox/exsited.js';
import { startAlgunaSandbox, type AlgunaSandbox, type AlgunaSandboxOptions, type AlgunaSandboxState } from '../../src/sandbox/alguna.js';
import type { ReportDocument } from '../../src/report/report.js';
import { runCli, spawnCli, type CliOptions, type CliResult } from './cli.js';

export const EXSITED_SAMPLE = 'fixtures/exsited-sample.csv';
export const ALGUNA_SAMPLE = 'fixtures/alguna-sample.csv';
export const CLIENT_SECRET = 'e2e-Secret-9f83kd';

export interface TargetWorld<S> {
  sandbox: S;
  dir: string;
  stateDir: string;
  env(o?: { stateDir?: string }): Record<string, string>;
  load(args: string[], opts?: CliOptions & { stateDir?: string }): Promise<CliResult & { report?: ReportDocument }>;
  spawn(args: string[], opts?: CliOptions): ReturnType<typeof spawnCli>;
  close(): Promise<void>;
}

export function world<S extends { url: string; close(): Promise<void> }>(sandbox: S, target: string, targetEnv: (url: string) => Record<string, string>): TargetWorld<S> {
  const dir = mkdtempSync(join(tmpdir(), `invoice-load-${target}-`));
  const stateDir = join(dir, 'state');
  const env = (o: { stateDir?: string } = {}) => ({ ...targetEnv(sandbox.url), INVOICE_LOAD_STATE_DIR: o.stateDir ?? stateDir });
  const args = (a: string[]) => ['--target', target, '--json', '--rate', '200', '--poll-timeout', '5', ...a];
  return {
    sandbox,
    dir,
    stateDir,
    env,
    async load(a, o = {}) {
      const res = await runCli(args(a), { ...o, env: { ...env(o), ...o.env } });
      let report: ReportDocument | undefined;
      try {
        report = JSON.parse(res.stdout) as ReportDocument;
      } catch {
        report = undefined;
      }
      return { ...res, report };
    },
    spawn: (a, o = {}) => spawnCli(args(a), { ...o, env: { ...env(), ...o.env } }),
    async close() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function exsitedWorld(opts: ExsitedSandboxOptions = {}): Promise<TargetWorld<ExsitedSandbox>> {
  const sandbox = await startExsitedSandbox({ port: 0, eventDelayMs: 40, perSecond: 1000, ...opts });
  return world(sandbox, 'exsited', (url) => ({ EXSITED_API_URL: url, EXSITED_CLIENT_ID: 'e2e-client', EXSITED_CLIENT_SECRET: CLIENT_SECRET }));
}

export async function algunaWorld(opts: AlgunaSandboxOptions = {}): Promise<TargetWorld<AlgunaSandbox>> {
  const sandbox = await startAlgunaSandbox({ port: 0, perSecond: 1000, ...opts });
  return world(sandbox, 'alguna', (url) => ({ ALGUNA_API_URL: url, ALGUNA_API_KEY: 'sk_test_e2e' }));
}

/**
 * Exsited's promise, from the sandbox's own counters: every invoice the report says is in
 * Exsited is there exactly once (one purchase invoice created through the API), with its note
 * exactly once when it has one.
 */
export function expectExsitedOnce(state: ExsitedSandboxState, report: ReportDocument): void {
  for (const inv of report.invoices) {
    if (inv.status === 'invalid' || inv.status === 'planned') continue;
    const stored = state.invoices.filter((s) => s.vendor === inv.vendor && s.number === inv.number);
    if (inv.status === 'failed' && stored.length === 0) continue;
    expect(stored, `${inv.vendor} ${inv.number} held once`).toHaveLength(1);
    expect(state.counters.created[inv.vendor]?.[inv.number], `${inv.number} created once`).toBe(1);
    if (inv.status === 'failed') continue;
    const s = stored[0]!;
    expect(inv.id).toBe(s.id);
    const wantsNote = inv.lines.some((l) => l.number === 'note');
    expect(s.notes, `${inv.number} notes`).toHaveLength(wantsNote ? 1 : 0);
    expect(state.counters.notePosts[s.id] ?? 0, `${inv.number} note posted once`).toBe(wantsNote ? 1 : 0);
    if (wantsNote) expect(inv.lines[0]!.id).toBe(s.notes[0]!.uuid);
  }
}

/** Alguna's promise: each invoice created once (the sandbox counts applied creates, replays excluded), with all its line items. */
export function expectAlgunaOnce(state: AlgunaSandboxState, report: ReportDocument): void {
  for (const inv of report.invoices) {
    if (inv.status === 'invalid' || inv.status === 'planned') continue;
    const stored = state.invoices.filter((s) => s.vendor === inv.vendor && s.number === inv.number);
    if (inv.status === 'failed' && stored.length === 0) continue;
    expect(stored, `${inv.vendor} ${inv.number} held once`).toHaveLength(1);
    expect(state.counters.created[inv.vendor]?.[inv.number], `${inv.number} created once`).toBe(1);
    if (inv.status === 'failed') continue;
    const s = stored[0]!;
    expect(inv.id).toBe(s.id);
    expect(inv.lines.map((l) => l.id)).toEqual(s.lineItems.map((l) => l.id));
  }
}

export const posts = (requests: Record<string, number>): number =>
  Object.entries(requests)
    .filter(([k]) => k.startsWith('POST'))
    .reduce((n, [, v]) => n + v, 0);
