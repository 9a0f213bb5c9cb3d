/**
 * A secret typed where a path or an option belongs is never echoed: the message about it masks
 * it (cli/secrets.ts), on standard error as in the files the run writes; `--api-key` is said to be
 * no option at all, without its value and without commander's "(Did you mean --api-url?)".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { apiKeyFlag } from '../../src/cli/main.js';
import { keyFilesIn, secretVariables } from '../../src/cli/secrets.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';
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
    expect(res.stderr).toContain('the API key is never a flag value; set ALMA_API_KEY, or put the key in a file readable only by you and pass --api-key-file <path>');
    expect(res.stderr).not.toContain('Did you mean');
  });

  it('the key given as an input file', async () => {
    const res = await run(['--region', 'eu', KEY, 'b.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("cannot read '***'");
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it('the key given as a folder of --report', async () => {
    const res = await run(['--region', 'eu', '--report', `${KEY}/`, SAMPLE]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--report ***/');
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
    const res = await run(['--region', 'eu', '--api-key-file', file, '--report', `${KEY}/`, SAMPLE], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--report ***/');
    expect(res.stdout + res.stderr).not.toContain(KEY);
  });

  it("another target's secret from the environment", async () => {
    const res = await run(['--region', 'eu', 'Pass-w0rd!', 'b.csv'], { ALMA_API_KEY: KEY, FOLIO_PASSWORD: 'Pass-w0rd!' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("cannot read '***'");
    expect(res.stderr).not.toContain('Pass-w0rd!');
  });

  it('a short key masks no part of a word', async () => {
    const res = await run(['--region', 'eu', 'workflow-k.csv'], { ALMA_API_KEY: 'k' });
    expect(res.stderr).toContain("cannot read 'workflow-***.csv'");
    const word = await run(['--region', 'eu', 'workflow.csv'], { ALMA_API_KEY: 'k' });
    expect(word.stderr).toContain("cannot read 'workflow.csv'");
  });
});

describe('the files the run writes never hold the key', () => {
  it('a batch file named after the key: the report on stdout, --report and --rejects mask it', async () => {
    const input = join(dir, `${KEY}.csv`);
    copyFileSync(SAMPLE, input);
    writeFileSync(input, readFileSync(input, 'utf8').replace('GOBI,USD,ACCOUNTINGDEPARTMENT,265.45', 'GOBI,USD,ACCOUNTINGDEPARTMENT,not-a-number'));
    const res = await run(['--dry-run', '--json', '--skip-invalid', '--report', 'r.json', '--report-csv', 'r.csv', '--report-html', 'r.html', '--rejects', 'rej.csv', input]);
    expect(res.stdout).toContain('***.csv');
    for (const text of [res.stdout, res.stderr, ...['r.json', 'r.csv', 'r.html', 'rej.csv'].map((f) => readFileSync(join(dir, f), 'utf8'))]) {
      expect(text).not.toContain(KEY);
    }
  });
});

describe('pure helpers', () => {
  it('apiKeyFlag finds --api-key in any spelling before --, never --api-key-file', () => {
    expect(apiKeyFlag(['--api-key', 'x'])).toBe('--api-key');
    expect(apiKeyFlag(['--API_KEY=x'])).toBe('--API_KEY');
    expect(apiKeyFlag(['--apikey'])).toBe('--apikey');
    expect(apiKeyFlag(['--api-key-file', 'f'])).toBeUndefined();
    expect(apiKeyFlag(['--', '--api-key'])).toBeUndefined();
  });

  it('keyFilesIn reads --api-key-file in both spellings', () => {
    expect(keyFilesIn(['--api-key-file', 'a', '--api-key-file=b', '--', '--api-key-file', 'c'])).toEqual(['a', 'b']);
  });

  it("the secret variables: Alma's key and every target's own", () => {
    expect(secretVariables()).toEqual(expect.arrayContaining(['ALMA_API_KEY', 'FOLIO_PASSWORD', 'EXSITED_CLIENT_SECRET', 'ALGUNA_API_KEY']));
  });
});
