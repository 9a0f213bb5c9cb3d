/**
 * `~` at the start of a path option is the home folder for every option that names a file
 * (src/cli/home.ts expandPathOptions), not only the state dir: a shell leaves `--report=~/r.json`
 * as written (no expansion after `=`), and crontab every `~`. Before, such a path was read
 * relative to the working directory, in a folder named `~`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const KEY = 'l7xxHOMEPATHSKEY0123456789';

let dir: string;
let home: string;
let work: string;
let w: World | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'home-paths-'));
  home = join(dir, 'home');
  work = join(dir, 'work');
  mkdirSync(home);
  mkdirSync(work);
});
afterEach(async () => {
  await w?.close();
  w = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const env = (): Record<string, string | undefined> => ({ HOME: home, INVOICE_LOAD_STATE_DIR: join(dir, 'state') });

describe('~/ in a path option given after = is the home folder', () => {
  it('--report, --report-csv, --report-html, --rejects: written in the home folder, no ~ folder in the working directory', async () => {
    const res = await runCli(['--dry-run', '--report=~/r.json', '--report-csv=~/r.csv', '--report-html=~/r.html', '--rejects=~/rej.csv', SAMPLE], { cwd: work, env: env() });
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(home).sort()).toEqual(['r.csv', 'r.html', 'r.json', 'rej.csv']);
    expect(existsSync(join(work, '~'))).toBe(false);
  });

  it('bare ~ names the home folder itself: a report named for the run inside it', async () => {
    const res = await runCli(['--dry-run', '--report=~', SAMPLE], { cwd: work, env: env() });
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(home)).toEqual([expect.stringMatching(/^invoice-load-sample-batch-\d{8}T\d{6}Z\.json$/)]);
  });

  it('mapping init --output=~/… writes the profile at home, and --mapping=~/… reads it', async () => {
    const init = await runCli(['mapping', 'init', SAMPLE, '--output=~/vendor.json'], { cwd: work, env: env() });
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(home, 'vendor.json'))).toBe(true);
    const res = await runCli(['--dry-run', '--mapping=~/vendor.json', SAMPLE], { cwd: work, env: env() });
    expect(res.code, res.stderr).toBe(0);
  });

  it('--api-key-file=~/…: the key is read from the home folder, and masked in messages from the start', async () => {
    w = await world({ apiKeys: [KEY] });
    writeFileSync(join(home, 'alma.key'), `${KEY}\n`, { mode: 0o600 });
    const res = await w.load(['--api-key-file=~/alma.key', SAMPLE], { cwd: work, env: { ...env(), ALMA_API_KEY: undefined } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report?.invoices.length).toBeGreaterThan(0);
    // The key typed where a folder goes: the message shows *** for it.
    const typo = await runCli(['--region', 'eu', '--api-key-file=~/alma.key', '--report', `${KEY}/r.json`, SAMPLE], { cwd: work, env: env() });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('***/r.json');
    expect(typo.stderr).not.toContain(KEY);
  });

  it('--config=~/…: the settings file at home is read', async () => {
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ region: 'eu', rate: 3 }));
    const res = await runCli(['config', '--json', '--config=~/settings.json'], { cwd: work, env: env() });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).config_file).toBe(join(home, 'settings.json'));
  });

  it('export --output=~/…: the hand-over file is written at home', async () => {
    const res = await runCli(['export', '--sandbox', '--output=~/to-finance.csv'], { cwd: work, env: env() });
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(join(home, 'to-finance.csv'))).toBe(true);
    expect(existsSync(join(work, '~'))).toBe(false);
  });

  it('sandbox --api-key-file=~/…: the key file at home is read', async () => {
    writeFileSync(join(home, 'sandbox.key'), `${KEY}\n`, { mode: 0o600 });
    const { child, done } = spawnCli(['sandbox', '--port', '0', '--api-key-file=~/sandbox.key'], { cwd: work, env: env() });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer | string) => {
        out += String(d);
        if (out.includes('listening on')) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGTERM');
    const res = await done;
    expect(res.stderr).not.toContain('cannot read');
    expect(res.stdout).toContain('listening on');
  });
});
