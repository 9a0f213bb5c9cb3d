/**
 * A secret of the current target typed where a path or an option belongs is never echoed by the
 * message about it (cli/secrets.ts); `--api-key` is said to be no option at all, without its value.
 * A secret too short or made of digits cannot be told from data and is not looked for: the dry
 * run's --json report is then byte for byte the one without it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { apiKeyFlag, credentialSecrets, flagValues, secretVariables, targetOf } from '../../src/cli/secrets.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';
const PASSWORD = 'Pass-w0rd!long';
const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secrets-echo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = { ALMA_API_KEY: KEY }) => runCli(args, { cwd: dir, env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state'), ...env } });

describe('usage errors never echo the key', () => {
  it.each([
    [['--api-key', KEY, '--region', 'eu', 'b.csv']],
    [[`--api-key=${KEY}`, '--region', 'eu', 'b.csv']],
    [['--region', 'eu', `--apikey=${KEY}`, 'b.csv']],
    [['verify', '--api-key', KEY, 'b.csv']],
  ])('%j: the key is never a flag value, and how to give it', async (args) => {
    const res = await run(args);
    expect(res.code).toBe(2);
    expect(res.stdout + res.stderr).not.toContain(KEY);
    expect(res.stderr).toContain('the API key is never a flag value; set ALMA_API_KEY or use --api-key-file <path>');
    expect(res.stderr).not.toContain('Did you mean');
  });

  it.each([
    [[`--key=${KEY}`, SAMPLE], { ALMA_API_KEY: KEY }, KEY],
    [[`--alma-api-key=${KEY}`, SAMPLE], { ALMA_API_KEY: KEY }, KEY],
    [['--target', 'folio', `--password=${PASSWORD}`, SAMPLE], { FOLIO_PASSWORD: PASSWORD }, PASSWORD],
    [['--target', 'exsited', `--client-secret=${PASSWORD}`, SAMPLE], { EXSITED_CLIENT_SECRET: PASSWORD }, PASSWORD],
  ])("%j: commander's unknown option line masks the value", async (args, env, secret) => {
    const res = await run(args, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown option');
    expect(res.stderr).toContain('=***');
    expect(res.stdout + res.stderr).not.toContain(secret);
  });

  it('the key given as an input file', async () => {
    const res = await run(['--region', 'eu', KEY, 'b.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***');
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it('the key given as a folder of --report', async () => {
    const res = await run(['--region', 'eu', '--report', `${KEY}/r.json`, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***/');
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it('the key given as --api-key-file', async () => {
    const res = await run(['--region', 'eu', '--api-key-file', KEY, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('cannot read the API key file');
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it("the key file's content, typed on the command line", async () => {
    const file = join(dir, 'alma.key');
    writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    const res = await run(['--region', 'eu', '--api-key-file', file, '--report', `${KEY}/r.json`, SAMPLE], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***/');
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it('a named pipe as --api-key-file is not opened to learn what to mask: the run does not wait on it', async () => {
    const fifo = join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    // No writer: opening the pipe would wait for ever (the spawn's fail-safe kills it at 10 s).
    const res = await runCli(['--dry-run', '--api-key-file', fifo, SAMPLE], { cwd: dir, env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, timeoutMs: 10_000 });
    expect(res.signal).toBeNull();
    expect(res.code, res.stderr).toBe(0);
  });

  it("only the current target's secrets: FOLIO's password is FOLIO's", async () => {
    const folio = await run(['--target', 'folio', PASSWORD, 'b.csv'], { FOLIO_PASSWORD: PASSWORD });
    expect(folio.code).toBe(2);
    expect(folio.stdout + folio.stderr).not.toContain(PASSWORD);
    const alma = await run(['--region', 'eu', `${PASSWORD}.csv`], { ALMA_API_KEY: KEY, FOLIO_PASSWORD: PASSWORD });
    expect(alma.stderr).toContain(PASSWORD);
  });
});

describe('a secret that cannot be told from data is not looked for', () => {
  it.each([
    [{ ALMA_API_KEY: 'any' }],
    [{ ALMA_API_KEY: '1' }],
    [{ ALMA_API_KEY: '2026' }],
    [{ ALMA_API_KEY: '123456789012' }],
    [{ INVOICE_LOAD_TARGET: 'folio', FOLIO_PASSWORD: 'USD' }],
  ])('%j: a short or digits-only secret leaves a usage message whole', async (env) => {
    const secret = Object.entries(env).find(([k]) => k !== 'INVOICE_LOAD_TARGET')![1];
    const res = await run(['--dry-run', `invoices ${secret} ${secret}.csv`], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`invoices ${secret} ${secret}.csv`);
    expect(res.stderr).not.toContain('***');
  });

  it.each([
    [{ ALMA_API_KEY: 'any' }, []],
    [{ ALMA_API_KEY: '2' }, []],
    [{ ALMA_API_KEY: '123456789012' }, []],
    [{ FOLIO_PASSWORD: 'USD' }, []],
    [{ FOLIO_PASSWORD: 'USD' }, ['--target', 'folio']],
    [{ FOLIO_PASSWORD: '2' }, ['--target', 'folio']],
  ])(
    '%j %j: the --json dry run of the sample is byte for byte the one without it',
    async (env, target) => {
      const base = await run([...target, '--dry-run', '--json', SAMPLE], {});
      const other = await run([...target, '--dry-run', '--json', SAMPLE], env);
      expect(other.stdout).toContain('USD');
      expect(other.code).toBe(base.code);
      const same = (s: string) => s.replace(/"(started|finished|duration_s)":\s*("[^"]*"|[0-9.]+)/g, '"$1":0');
      expect(same(other.stdout)).toBe(same(base.stdout));
      expect(() => JSON.parse(other.stdout)).not.toThrow();
    },
  );
});

describe('pure helpers', () => {
  it('apiKeyFlag finds --api-key in any spelling before --, never --api-key-file', () => {
    expect(apiKeyFlag(['--api-key', 'x'])).toBe('--api-key');
    expect(apiKeyFlag(['--API_KEY=x'])).toBe('--API_KEY');
    expect(apiKeyFlag(['--apikey'])).toBe('--apikey');
    expect(apiKeyFlag(['--api-key-file', 'f'])).toBeUndefined();
    expect(apiKeyFlag(['--', '--api-key'])).toBeUndefined();
  });

  it('flagValues reads both spellings before --', () => {
    expect(flagValues(['--api-key-file', 'a', '--api-key-file=b', '--', '--api-key-file', 'c'], '--api-key-file')).toEqual(['a', 'b']);
  });

  it("the current target and its own secret variables", () => {
    expect(targetOf(['--target', 'folio'], {})).toBe('folio');
    expect(targetOf(['--target=exsited'], { INVOICE_LOAD_TARGET: 'folio' })).toBe('exsited');
    expect(targetOf([], { INVOICE_LOAD_TARGET: 'folio' })).toBe('folio');
    expect(targetOf([], {})).toBe('alma');
    expect(targetOf(['--target', 'folio', '--target', 'alma'], {})).toBe('alma');
    expect(secretVariables('alma')).toEqual(['ALMA_API_KEY']);
    expect(secretVariables('folio')).toEqual(['FOLIO_PASSWORD']);
    expect(secretVariables('exsited')).toEqual(['EXSITED_CLIENT_SECRET']);
  });

  it("a credentials file's secret values, JSON or NAME=value", () => {
    expect(credentialSecrets('{"client_id":"id1","client_secret":"s3cretvalue"}')).toEqual(['s3cretvalue', 's3cretvalue']);
    expect(credentialSecrets('client_id=id1\nCLIENT_SECRET="s3cretvalue"\n')).toEqual(['s3cretvalue']);
    expect(credentialSecrets('barekeyvalue\n')).toEqual(['barekeyvalue']);
  });
});
