/**
 * The key in the file the config file names (`api_key_file`) is a secret of the run from its
 * start, as the content of `--api-key-file` is (cli/secrets.ts): a message about the command line
 * that names it — before the run itself reads the file — shows `***`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { printedAndWritten } from '../helpers/seen.js';
import { configKeyFile } from '../../src/cli/secrets.js';

const KEY = 'l7xxSECRETSECRETSECRET0123';
/** Not key-like to look at (cli/secrets-wrong-place.test.ts): only knowing it masks it. */
const WORDY = 'correcthorsebatterystaple';
const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secrets-config-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCli(args, { cwd: dir, env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });

const seen = (res: { stdout: string; stderr: string }): string[] => printedAndWritten(dir, res, (p) => !p.endsWith('.key'));

/** `folder/name` holding `{"region": "eu", "api_key_file": keyFile}`, and the key file beside it. */
function configWithKey(folder: string, name: string, key: string, keyFile = 'alma.key'): string {
  mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, folder, keyFile), `${key}\n`, { mode: 0o600 });
  const path = join(dir, folder, name);
  writeFileSync(path, JSON.stringify({ region: 'eu', api_key_file: keyFile }));
  return path;
}

describe("the config file's key file is masked from the start", () => {
  it('./invoice-load.config.json: the key typed as a folder of --report', async () => {
    configWithKey('.', 'invoice-load.config.json', KEY);
    const res = await run(['--report', `${KEY}/r.json`, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***/');
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });

  it('--config <path>: its api_key_file relative to its own folder', async () => {
    configWithKey('etc', 'settings.json', KEY);
    const res = await run(['--config', 'etc/settings.json', '--report', `${KEY}/r.json`, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***/');
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });

  it('a key that is not key-like to look at, typed as --target', async () => {
    configWithKey('.', 'invoice-load.config.json', WORDY);
    const res = await run(['--target', WORDY, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***');
    for (const text of seen(res)) expect(text).not.toContain(WORDY);
  });

  it('verify, with --config after the command', async () => {
    configWithKey('etc', 'settings.json', KEY);
    const res = await run(['verify', '--config', 'etc/settings.json', '--report', `${KEY}/r.json`, SAMPLE]);
    expect(res.code).toBe(2);
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });
});

describe('configKeyFile', () => {
  it('absolute, relative to the file, none, not JSON', () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ api_key_file: '/etc/k' }));
    expect(configKeyFile(['--config', 'a.json'], dir)).toBe('/etc/k');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.json'), JSON.stringify({ api_key_file: 'k.txt' }));
    expect(configKeyFile(['--config=sub/b.json'], dir)).toBe(join(dir, 'sub', 'k.txt'));
    expect(configKeyFile([], dir)).toBeUndefined();
    writeFileSync(join(dir, 'invoice-load.config.json'), '{not json');
    expect(configKeyFile([], dir)).toBeUndefined();
  });

  it('as config-file.ts reads it: a byte-order mark first, `~/` the home folder', () => {
    writeFileSync(join(dir, 'bom.json'), '\uFEFF' + JSON.stringify({ api_key_file: 'k.txt' }));
    expect(configKeyFile(['--config', 'bom.json'], dir)).toBe(join(dir, 'k.txt'));
    writeFileSync(join(dir, 'home.json'), JSON.stringify({ api_key_file: '~/.config/alma.key' }));
    expect(configKeyFile(['--config', 'home.json'], dir, () => '/home/acq')).toBe('/home/acq/.config/alma.key');
  });
});

describe("the config file's key file, written as the run reads it", () => {
  it('~/ and a byte-order mark: the key typed as a folder of --report is masked', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config'), { recursive: true });
    writeFileSync(join(home, '.config', 'alma.key'), `${KEY}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'invoice-load.config.json'), '\uFEFF' + JSON.stringify({ region: 'eu', api_key_file: '~/.config/alma.key' }));
    const res = await runCli(['--report', `${KEY}/r.json`, SAMPLE], { cwd: dir, env: { HOME: home, INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***/');
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });

  it('--target given twice: the last one is the run\'s, and its key is masked', async () => {
    const res = await runCli(['--region', 'eu', '--target', 'folio', '--target', 'alma', '--report', `${KEY}/r.json`, SAMPLE], {
      cwd: dir,
      env: { ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
    });
    expect(res.code).toBe(2);
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });
});
