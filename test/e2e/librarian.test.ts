/**
 * The smaller things a librarian trips over (issue 15, item 8), each through the built CLI as
 * a user runs it: what the terminal says, the counts, the exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { startSandbox } from '../../src/sandbox/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-librarian-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (): Record<string, string> => ({ INVOICE_LOAD_STATE_DIR: join(dir, 'state') });
const sample = (): string => readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8');

describe('a windows-1252 file read without --encoding', () => {
  it('gives the hint and the file’s real counts, not a false total mismatch on a half-read invoice', async () => {
    // "Zwei Bücher" in the second row of G-24118 (line 3): its first line is read before the bad byte.
    const file = join(dir, 'cp1252.csv');
    writeFileSync(file, Buffer.from(sample().replace('Two copies', 'Zwei Bücher'), 'latin1'));
    const r = await runCli(['--dry-run', file], { env: env() });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('row 3: error byte 0xFC on line 3 is not valid UTF-8; if the file was saved by Excel on Windows, run again with --encoding windows-1252 [invalid_encoding]');
    expect(r.stdout).not.toContain('total_mismatch');
    expect(r.stdout).toMatch(/^7 invoices, 14 lines: .*\(1 error, 0 warnings\)\. Dry run: nothing was sent\.$/m);
    const good = await runCli(['--dry-run', '--json', '--encoding', 'windows-1252', file], { env: env() });
    expect(good.code, good.stderr).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(report.summary).toMatchObject({ invoices: 7, lines: 14, planned: 7 });
    expect(report.issues).toEqual([]);
  });
});

describe('invoice-load sandbox on a port already taken', () => {
  it('is a usage error naming the port (exit 2), not an internal error', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as AddressInfo).port;
      const r = await runCli(['sandbox', '--port', String(port)], { env: env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`invoice-load: port ${port} is in use (another sandbox, or another program): choose another with --port, or --port 0 for any free one`);
      expect(r.stderr).not.toMatch(/internal error/);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});

describe('invoice-load sandbox --target with an option only Alma\'s sandbox has', () => {
  it('is refused naming each flag (exit 2) instead of a sandbox that silently ignores them', async () => {
    const r = await runCli(['sandbox', '--target', 'folio', '--port', '0', '--drop-field', 'note', '--allow-duplicates', '--daily', '5'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invoice-load: --daily, --allow-duplicates, --drop-field: not taken by the FOLIO sandbox; only the Alma sandbox (the default) has every option');
    const key = join(dir, 'key.txt');
    writeFileSync(key, 'k\n');
    const exsited = await runCli(['sandbox', '--target', 'exsited', '--port', '0', '--api-key-file', key], { env: env() });
    expect(exsited.code).toBe(2);
    expect(exsited.stderr).toContain('--api-key-file: not taken by the Exsited sandbox');
  });
});

describe('one file named twice (a glob and its own name)', () => {
  it('is refused with both names, exit 2, nothing read; by a load and by payments', async () => {
    const file = join(dir, 'twice.csv');
    writeFileSync(file, sample());
    const same = await runCli(['--dry-run', file, file], { env: env() });
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`${file} is named twice: name each file once`);
    expect(same.stdout).toBe('');
    const other = `${dir}/sub/../twice.csv`;
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const spelt = await runCli(['payments', '--dry-run', file, other], { env: env() });
    expect(spelt.code).toBe(2);
    expect(spelt.stderr).toContain(`${file} and ${other} are the same file: name each file once`);
  });
});

describe('an invalid invoice shows its lines and total', () => {
  it('in the table, the JSON report and the summary’s line count, as the file gives them', async () => {
    const human = await runCli(['--dry-run', 'fixtures/defects.csv'], { env: env() });
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^INVALID +ACME +D-1 +2 +100\.00 USD +fixtures\/defects\.csv:2$/m);
    expect(human.stdout).toContain('17 invoices, 20 lines: 17 invalid');
    const json = await runCli(['--dry-run', '--json', 'fixtures/defects.csv'], { env: env() });
    const d2 = JSON.parse(json.stdout).invoices.find((i: { number: string }) => i.number === 'D-2');
    expect(d2).toMatchObject({ status: 'invalid', total: '250.00', currency: 'USD', lines: [{ number: '1' }, { number: '2' }] });
  });
});

describe('invoice-load help', () => {
  it('prints the help (exit 0), not "no target"; help <command> prints that command’s', async () => {
    const r = await runCli(['help'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: invoice-load \[options\] \[command\] \[files\.\.\.\]/);
    expect(r.stdout).toContain('help [command]');
    expect(r.stderr).not.toContain('no target');
    const config = await runCli(['help', 'config'], { env: env() });
    expect(config.code).toBe(0);
    expect(config.stdout).toMatch(/^Usage: invoice-load config \[options\]/);
  });
});

describe('the API key file', () => {
  const SECRET = 'SECRET-librarian-4d3c2b1a';

  it('config exits 2 when the configured key file is missing, after showing the settings', async () => {
    const r = await runCli(['config', '--region', 'eu', '--api-key-file', join(dir, 'no-such.key')], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^api_key +- +file .*no-such\.key \(missing; flag --api-key-file\)$/m);
    expect(r.stderr).toContain(`invoice-load: the API key file ${join(dir, 'no-such.key')} is missing: a load with these settings would stop (exit 2)`);
    const json = await runCli(['config', '--json', '--region', 'eu', '--api-key-file', join(dir, 'no-such.key')], { env: env() });
    expect(json.code).toBe(2);
    expect(Object.keys(JSON.parse(json.stdout))).toEqual(['config_file', 'settings']);
  });

  it('a key file every user can read: config says so, a load warns once; the key is never printed', async () => {
    const key = join(dir, 'open.key');
    writeFileSync(key, SECRET + '\n', { mode: 0o644 });
    chmodSync(key, 0o644); // whatever the umask
    const config = await runCli(['config', '--region', 'eu', '--api-key-file', key], { env: env() });
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toContain(`file ${key} (readable by others: chmod 600 ${key}; flag --api-key-file)`);
    const sandbox = await startSandbox({ port: 0, latencyMs: 0, processDelayMs: 20, perSecond: 1000 });
    try {
      const run = await runCli(['--dry-run', '--online', '--api-key-file', key, 'fixtures/sample-batch.csv'], { env: { ...env(), ALMA_API_URL: sandbox.url } });
      expect(run.code, run.stderr).toBe(0);
      const warning = `invoice-load: warning: the API key file ${key} can be read by every user of this machine (mode 644); make it yours alone: chmod 600 ${key}`;
      expect(run.stderr.split('\n').filter((l) => l === warning)).toHaveLength(1);
      expect(run.stdout + run.stderr + config.stdout + config.stderr).not.toContain(SECRET);
      chmodSync(key, 0o600);
      const quiet = await runCli(['--dry-run', '--online', '--api-key-file', key, 'fixtures/sample-batch.csv'], { env: { ...env(), ALMA_API_URL: sandbox.url } });
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toContain('warning: the API key file');
    } finally {
      await sandbox.close();
    }
  });
});

describe('export and payments into the embedded sandbox', () => {
  it('their summaries say "the alma sandbox", like a load’s', async () => {
    const e = { INVOICE_LOAD_STATE_DIR: join(dir, 'lifecycle-state') };
    const exp = await runCli(['export', '--sandbox', '-o', join(dir, 'to-finance.csv')], { env: e });
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout.trimEnd().split('\n').pop()).toMatch(/ \d+ requests? to the Alma sandbox\.$/);
    const pay = await runCli(['payments', '--sandbox', '--json', 'fixtures/round-trip/payments.csv'], { env: e });
    expect(JSON.parse(pay.stdout)).toMatchObject({ target: 'alma', sandbox: true, command: 'payments' });
    const payHuman = await runCli(['payments', '--sandbox', 'fixtures/round-trip/payments.csv'], { env: e });
    expect(payHuman.stdout.trimEnd().split('\n').pop()).toMatch(/ \d+ requests? to the Alma sandbox\.$/);
  });
});

describe('npm install -g . on a fresh clone (prepare without TypeScript)', () => {
  it('says to run npm ci first when dist/ is not built, uses a built dist/ as it is', () => {
    // A folder like a fresh clone after `npm install -g .` installed only the runtime dependencies.
    const clone = join(dir, 'clone');
    mkdirSync(join(clone, 'scripts'), { recursive: true });
    copyFileSync(join(ROOT, 'scripts/prepare.mjs'), join(clone, 'scripts/prepare.mjs'));
    writeFileSync(join(clone, 'package.json'), JSON.stringify({ name: 'invoice-load', type: 'module' }));
    const run = () => spawnSync(process.execPath, [join(clone, 'scripts/prepare.mjs')], { encoding: 'utf8' });
    const bare = run();
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain('Run `npm ci` in this folder first (it installs TypeScript and builds dist/), then `npm install -g .` again.');
    expect(bare.stderr).not.toContain('tsc: not found');
    mkdirSync(join(clone, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(clone, 'dist', 'cli', 'bin.js'), '');
    const built = run();
    expect(built.status, built.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.prepare).toBe('node scripts/prepare.mjs');
  });
});

describe('a reordered file is the same batch', () => {
  it('rows in reverse order (lines and fund splits too) give the same batch id, so a re-run resumes from the journal', async () => {
    const { readBatch } = await import('../../src/cli/batch.js');
    const [header, ...rows] = sample().trimEnd().split('\n');
    const reversed = join(dir, 'reversed.csv');
    writeFileSync(reversed, [header, ...rows.reverse()].join('\n') + '\n');
    const opts = { encoding: 'utf-8' as const, stdin: process.stdin };
    const [a, b] = await Promise.all([readBatch([join(ROOT, 'fixtures/sample-batch.csv')], opts), readBatch([reversed], opts)]);
    expect(b.entries.map((e) => e.key.number)).not.toEqual(a.entries.map((e) => e.key.number));
    expect(b.batchId).toBe(a.batchId);
    // A changed amount is another batch.
    const changed = join(dir, 'changed.csv');
    writeFileSync(changed, sample().replace('189.95', '189.96').replace('265.45', '265.46'));
    expect((await readBatch([changed], opts)).batchId).not.toBe(a.batchId);
  });
});
