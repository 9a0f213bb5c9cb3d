/** `--target`, `--action` and the other targets' settings: flags and environment → Config (pure). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig, type RawOptions } from '../../src/cli/config.js';
import { resolveTargetChoice } from '../../src/cli/target-options.js';
import { exsitedCredentials } from '../../src/targets/exsited/index.js';
import { algunaKey } from '../../src/targets/alguna/index.js';
import { usageMessage } from '../helpers/usage.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'target-options-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (o: RawOptions, env: Record<string, string | undefined> = {}) => resolveConfig(['b.csv'], o, { HOME: dir, ...env }, dir);
const usage = usageMessage;

describe('number options: the message says what a value may be', () => {
  it.each([
    [{ rate: '0' }, '--rate must be a number above zero, not "0"'],
    [{ timeout: 'soon' }, '--timeout must be a number above zero, not "soon"'],
    [{ concurrency: '2.5' }, '--concurrency must be a whole number, 1 or more, not "2.5"'],
    [{ maxRetries: '-1' }, '--max-retries must be a whole number, 0 or more, not "-1"'],
    [{ settle: '-2' }, '--settle must be a number, 0 or more, not "-2"'],
    [{ rate: ' ' }, '--rate must be a number above zero, not " "'],
  ] as [RawOptions, string][])('%j', (o, message) => {
    expect(usage(() => cfg({ sandbox: true, ...o }))).toBe(message);
  });

  it('no input files names every format read', () => {
    expect(usage(() => resolveConfig([], { sandbox: true }, { HOME: dir }, dir))).toBe('no input files: give one or more CSV, Excel (.xlsx), JSON or JSON Lines files (or - for standard input)');
  });
});

describe('--target', () => {
  it('Alma stays the default and is resolved as before', () => {
    const c = cfg({ sandbox: true });
    expect(c.targetName).toBe('alma');
    expect(c.target).toMatchObject({ kind: 'sandbox' });
  });

  it('--sandbox --target exsited|alguna: the embedded sibling, its state beside Alma\'s', () => {
    expect(cfg({ sandbox: true, target: 'exsited' })).toMatchObject({ targetName: 'exsited', target: { kind: 'sandbox', target: 'exsited', statePath: expect.stringMatching(/sandbox\/exsited-state\.json$/) } });
    expect(cfg({ sandbox: true, target: 'alguna' }).target).toMatchObject({ kind: 'sandbox', target: 'alguna' });
  });

  it('Exsited: URL from --api-url or EXSITED_API_URL, credentials from the environment or a file, never a flag', () => {
    const env = { EXSITED_API_URL: 'https://acme.exsited.example', EXSITED_CLIENT_ID: 'id', EXSITED_CLIENT_SECRET: 'secret' };
    expect(cfg({ target: 'exsited' }, env).target).toEqual({ kind: 'exsited', baseUrl: 'https://acme.exsited.example', credentials: { env: true }, apiVersion: undefined });
    expect(usage(() => cfg({ target: 'exsited' }, { EXSITED_API_URL: 'https://x.example' }))).toMatch(/no Exsited credentials/);
    expect(usage(() => cfg({ target: 'exsited' }, {}))).toMatch(/no Exsited instance/);
    expect(cfg({ target: 'exsited', credentialsFile: 'c.json', apiUrl: 'https://y.example' }).target).toMatchObject({ credentials: { file: join(dir, 'c.json') } });
  });

  it('Alguna: default URL, ALGUNA_API_KEY or a file; version header configurable', () => {
    expect(cfg({ target: 'alguna' }, { ALGUNA_API_KEY: 'k', ALGUNA_API_VERSION: '2026-04-01' }).target).toEqual({
      kind: 'alguna',
      baseUrl: undefined,
      apiKey: { env: 'ALGUNA_API_KEY' },
      apiVersion: '2026-04-01',
    });
    expect(usage(() => cfg({ target: 'alguna' }))).toMatch(/no Alguna API key/);
    expect(usage(() => cfg({ target: 'alguna', apiUrl: 'https://u:p@api.alguna.io' }, { ALGUNA_API_KEY: 'k' }))).toMatch(/must not carry credentials/);
  });

  it('Alma\'s own flags are refused with another target; Alma settings from the environment are not', () => {
    expect(usage(() => cfg({ target: 'alguna', almaUrl: 'https://x.example' }, { ALGUNA_API_KEY: 'k' }))).toMatch(/--alma-url is for Alma/);
    expect(usage(() => cfg({ target: 'alguna', apiKeyFile: 'k' }, { ALGUNA_API_KEY: 'k' }))).toMatch(/--api-key-file is for Alma/);
    expect(cfg({ target: 'alguna' }, { ALGUNA_API_KEY: 'k', ALMA_API_URL: 'https://alma.example', ALMA_API_KEY: 'x' }).targetName).toBe('alguna');
    expect(usage(() => cfg({ target: 'koha' }))).toMatch(/--target must be one of alma, exsited, alguna/);
  });

  it('a dry run needs no settings for any target', () => {
    expect(cfg({ target: 'exsited', dryRun: true })).toMatchObject({ targetName: 'exsited', target: undefined });
    expect(cfg({ target: 'alguna', dryRun: true }).target).toMatchObject({ kind: 'alguna' });
  });
});

describe('--action', () => {
  it('cancel or reactivate, Exsited only, effective date today by default or a real date', () => {
    const choice = resolveTargetChoice({ flags: { target: 'exsited', action: 'cancel', sandbox: true }, merged: {}, env: {}, cwd: dir, stateDir: dir }, () => '2025-04-01');
    expect(choice.action).toEqual({ kind: 'cancel', effectiveDate: '2025-04-01' });
    expect(cfg({ sandbox: true, target: 'exsited', action: 'reactivate', effectiveDate: '2025-05-02' }).action).toEqual({ kind: 'reactivate', effectiveDate: '2025-05-02' });
    expect(usage(() => cfg({ sandbox: true, target: 'alguna', action: 'cancel' }))).toMatch(/Exsited batch action/);
    expect(usage(() => cfg({ sandbox: true, action: 'cancel' }))).toMatch(/Exsited batch action/);
    expect(usage(() => cfg({ sandbox: true, target: 'exsited', action: 'cancel', effectiveDate: '2025-02-30' }))).toMatch(/real date/);
    expect(usage(() => cfg({ sandbox: true, target: 'exsited', effectiveDate: '2025-02-01' }))).toMatch(/goes with --action/);
  });
});

describe('credentials files', () => {
  it('Exsited: JSON or KEY=value lines; Alguna: a bare key (even with "=" in it) or JSON', () => {
    const json = join(dir, 'e.json');
    writeFileSync(json, JSON.stringify({ client_id: 'a', client_secret: 'b', redirect_uri: 'https://cb' }));
    expect(exsitedCredentials({ file: json }, {})).toEqual({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://cb' });
    const env = join(dir, 'e.env');
    writeFileSync(env, '# Exsited\nEXSITED_CLIENT_ID=a\nEXSITED_CLIENT_SECRET="b=="\n');
    expect(exsitedCredentials({ file: env }, {})).toMatchObject({ clientId: 'a', clientSecret: 'b==' });
    const key = join(dir, 'k');
    writeFileSync(key, 'sk_live_abc==\n');
    expect(algunaKey({ file: key }, {})).toBe('sk_live_abc==');
    writeFileSync(key, '');
    expect(usage(() => algunaKey({ file: key }, {}))).toMatch(/is empty/);
  });
});
