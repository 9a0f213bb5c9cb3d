/**
 * Durable files: the report is replaced atomically (a kill leaves the old file or the new one,
 * never a torn mix, and a failed write leaves no temporary file); a journal the loader cannot
 * trust is refused untouched with one clear line (exit 2), and the run goes on once it is put back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import type { ReportDocument } from '../../src/report/report.js';
import { ROOT, spawnCli } from '../helpers/cli.js';
import { expectExactlyOnce } from '../helpers/sandbox.js';
import { generateBatch } from './generate.js';
import { mulberry32, recordFigures, waitForRequests } from './harness.js';

let sandbox: SandboxHandle | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(invoices: number) {
  sandbox = await startSandbox({ port: 0, perSecond: 1000, processDelayMs: 40 });
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-durable-'));
  const batch = generateBatch({ seed: 99, invoices, prefix: 'D' });
  const file = join(dir, 'batch.csv');
  writeFileSync(file, batch.csv);
  const stateDir = join(dir, 'state');
  const env = { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'durable-test-key', INVOICE_LOAD_STATE_DIR: stateDir };
  return { sb: sandbox, dir, batch, file, env, stateDir, args: [file, '--json', '--rate', '200', '--poll-timeout', '5'] };
}

describe('the report file', () => {
  it('is replaced atomically: SIGKILL while rewriting it leaves a whole old or new version', async () => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-atomic-'));
    const target = join(dir, 'report.json');
    const fsModule = pathToFileURL(join(ROOT, 'dist/shared/fs.js')).href;
    // Each version is ~4 MB, so a kill lands inside a write far more often than between two.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(fsModule)};
      const pad = 'x'.repeat(4 << 20);
      for (let v = 1; ; v++) writeFileAtomic(${JSON.stringify(target)}, JSON.stringify({ v, pad, end: v }) + '\\n');
    `;
    const rnd = mulberry32(77);
    let kills = 0;
    const versions = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 60 + Math.floor(rnd() * 250)));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      kills++;
      if (!existsSync(target)) continue; // killed before the first rename: no report yet, which is fine too
      const doc = JSON.parse(readFileSync(target, 'utf8')) as { v: number; pad: string; end: number };
      expect(doc.end).toBe(doc.v);
      expect(doc.pad.length).toBe(4 << 20);
      versions.add(doc.v);
    }
    expect(versions.size, 'the file really was being rewritten when killed').toBeGreaterThan(1);
    recordFigures('durable', { report_rewrite_kills: kills, report_versions_seen: versions.size });
  }, 60_000);

  it('a report path that cannot be written is a usage error (exit 2), with no temporary file left and nothing lost', async () => {
    const s = await setup(2);
    const blocked = join(s.dir, 'is-a-directory');
    mkdirSync(blocked);
    const res = await spawnCli([...s.args, '--report', blocked], { env: s.env }).done;
    expect(res.code, res.stderr).toBe(2);
    // Checked before the first request (issue 15): nothing is sent, the path is named.
    expect(res.stderr.trim().split('\n').at(-1)).toMatch(/cannot write --report .*is-a-directory: it is a folder; nothing was sent/);
    expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(s.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(s.sb.state().counters.requestsTotal).toBe(0);
    // With a good path the same command loads, each invoice once, and writes the report.
    const good = join(s.dir, 'out', 'report.json');
    const again = await spawnCli([...s.args, '--report', good], { env: s.env }).done;
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(readFileSync(good, 'utf8')) as ReportDocument;
    expect(report.summary.invoices).toBe(2);
    expectExactlyOnce(s.sb.state(), report);
  });
});

describe('the journal', () => {
  it('a corrupted or foreign journal is refused untouched: exit 2, one clear line, nothing sent; put back, the run finishes', async () => {
    const s = await setup(3);
    // Kill the first run a few requests in, so the journal holds intents and outcomes.
    const run = spawnCli(s.args, { env: s.env });
    await waitForRequests(s.sb, 0, 4, () => false);
    run.child.kill('SIGKILL');
    await run.done;
    const jdir = join(s.stateDir, 'journals');
    const path = join(jdir, readdirSync(jdir).find((f) => f.endsWith('.jsonl'))!);
    const whole = readFileSync(path, 'utf8');
    const lines = whole.split('\n');
    const cases = [
      ['corrupted in the middle', [lines[0], 'not json at all', ...lines.slice(1)].join('\n'), /corrupted at line 2.*Move it aside/],
      ['foreign', 'vendor,invoice_number\nGOBI,1\n', /not an invoice-load journal; refusing to use or overwrite it/],
      ['binary', '\u0000\u0001\u0002\n', /not an invoice-load journal/],
      ['from another batch', whole.replace(/"batch":"[^"]+"/, '"batch":"0123456789abcdef01234567"'), /belongs to another batch or target/],
    ] as const;
    for (const [what, text, message] of cases) {
      writeFileSync(path, text);
      const before = s.sb.state().counters.requestsTotal;
      const res = await spawnCli(s.args, { env: s.env }).done;
      expect(res.code, `${what}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr.trim().split('\n'), `${what}: one line`).toHaveLength(1);
      expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(readFileSync(path, 'utf8'), `${what}: untouched`).toBe(text);
      expect(s.sb.state().counters.requestsTotal, `${what}: nothing sent`).toBe(before);
      // The run let go of its lock on the way out.
      expect(readdirSync(jdir).filter((f) => f.endsWith('.lock')), what).toEqual([]);
    }
    writeFileSync(path, whole);
    const res = await spawnCli(s.args, { env: s.env, timeoutMs: 60_000 }).done;
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(s.sb.state(), JSON.parse(res.stdout) as ReportDocument);
  });
});
