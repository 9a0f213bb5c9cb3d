/** Sandbox helpers for end-to-end tests: start on loopback, check exactly-once from its own state. */
import { expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sandbox/index.js';
import type { SandboxHandle, SandboxOptions, SandboxStateDump } from '../../src/sandbox/index.js';
import type { ReportDocument } from '../../src/report/report.js';
import { ROOT, runCli, type CliOptions, type CliResult } from './cli.js';

export interface World {
  sandbox: SandboxHandle;
  dir: string;
  stateDir: string;
  /** Runs the CLI against this sandbox as `ALMA_API_URL`; `--json` report on stdout. */
  load(args: string[], opts?: CliOptions & { key?: string; stateDir?: string }): Promise<CliResult & { report?: ReportDocument }>;
  close(): Promise<void>;
}

export async function world(opts: SandboxOptions = {}): Promise<World> {
  const sandbox = await startSandbox({ port: 0, latencyMs: 0, processDelayMs: 40, perSecond: 1000, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'invoice-load-e2e-'));
  const stateDir = join(dir, 'state');
  return {
    sandbox,
    dir,
    stateDir,
    async load(args, o = {}) {
      const res = await runCli(['--json', '--rate', '200', '--poll-timeout', '5', ...args], {
        ...o,
        env: {
          ALMA_API_URL: sandbox.url,
          ALMA_API_KEY: o.key ?? 'e2e-test-key',
          INVOICE_LOAD_STATE_DIR: o.stateDir ?? stateDir,
          ...o.env,
        },
      });
      let report: ReportDocument | undefined;
      try {
        report = JSON.parse(res.stdout) as ReportDocument;
      } catch {
        report = undefined;
      }
      return { ...res, report };
    },
    async close() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes the rows of fixtures/sample-batch.csv whose vendor is one of `vendors` to a new file. */
export function sampleSubset(dir: string, vendors: string[], name = 'subset.csv'): string {
  const [header, ...rows] = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8').trimEnd().split('\n');
  const vendorAt = header!.split(',').indexOf('vendor');
  const path = join(dir, name);
  writeFileSync(path, [header, ...rows.filter((r) => vendors.includes(r.split(',')[vendorAt]!))].join('\n') + '\n');
  return path;
}

/**
 * The promise, checked against the sandbox's own counters: every invoice of the report that
 * should be in Alma is there exactly once, every line posted once, processed once.
 */
export function expectExactlyOnce(state: SandboxStateDump, report: ReportDocument, opts: { allFromApi?: boolean } = {}): void {
  for (const inv of report.invoices) {
    if (inv.status === 'invalid' || inv.status === 'planned') continue;
    const stored = state.invoices.filter((s) => s.vendor === inv.vendor && s.number === inv.number);
    if (inv.status === 'failed' && stored.length === 0) continue;
    expect(stored, `${inv.vendor} ${inv.number} held once`).toHaveLength(1);
    const s = stored[0]!;
    if (opts.allFromApi !== false) expect(state.counters.created[inv.vendor]?.[inv.number], `${inv.number} created once`).toBe(1);
    if (inv.status === 'failed') continue;
    expect(inv.id).toBe(s.id);
    const posts = state.counters.linePosts[s.id] ?? {};
    for (const line of inv.lines) expect(posts[line.number], `${inv.number} line ${line.number} posted once`).toBe(1);
    expect(s.lines.map((l) => l.number).sort()).toEqual(inv.lines.map((l) => l.number).sort());
    expect(state.counters.processCount[s.id], `${inv.number} processed once`).toBe(1);
    // Every file the batch names, attached once, under the name the report gives.
    const attached = state.counters.attachmentPosts[s.id] ?? {};
    for (const a of inv.attachments ?? []) expect(attached[a.file], `${inv.number} ${a.file} attached once`).toBe(1);
    expect(s.attachments.map((a) => a.file_name).sort()).toEqual((inv.attachments ?? []).map((a) => a.file).sort());
  }
}

export const writes = (state: SandboxStateDump): number =>
  Object.entries(state.counters.requests)
    .filter(([k]) => k.startsWith('POST'))
    .reduce((n, [, v]) => n + v, 0);

/** Closes a test's own server (a proxy in front of the sandbox), its open connections first: close() alone waits for keep-alive sockets. */
export async function closeServer(server: { closeAllConnections(): void; close(cb: () => void): unknown } | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
