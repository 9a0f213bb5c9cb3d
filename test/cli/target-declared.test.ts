/**
 * What a target declares in its definition (options, connection, example) reaches the command
 * line and `invoice-load config` without the CLI naming the target: the load command's help, the
 * option's value in `settings`, the config rows (secrets masked, credentials from a file).
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { describeConfig } from '../../src/cli/config-command.js';
import { apiUrlHelp, credentialsFileHelp, sandboxExamples, targetOptions } from '../../src/cli/target-options.js';
import { resolveConfig, type RawOptions } from '../../src/cli/config.js';

const ENV = { HOME: '/home/x', FOLIO_API_URL: 'https://okapi.example.edu', FOLIO_TENANT: 'diku', FOLIO_USERNAME: 'loader', FOLIO_PASSWORD: 'Pass-w0rd!' };
const view = (flags: RawOptions, env: Record<string, string | undefined> = ENV) => describeConfig({ target: 'folio', ...flags }, env, '/work', undefined, () => 'readable').settings;

describe('options a target declares', () => {
  it('are added to the load command once, named with the target, and their value reaches its settings', async () => {
    expect(targetOptions().map(({ option, owners }) => [option.flags, option.description, owners.map((t) => t.name)])).toEqual([
      ['--no-approve', 'FOLIO: create the invoices and their lines and leave them Open instead of approving them', ['folio']],
    ]);
    let seen: RawOptions | undefined;
    const program = buildProgram(async (_files, opts) => ((seen = opts), 0), async () => 0);
    program.exitOverride();
    await program.parseAsync(['node', 'invoice-load', '--target', 'folio', '--sandbox', '--no-approve', 'b.csv']);
    expect(seen?.approve).toBe(false);
    expect(resolveConfig(['b.csv'], seen!, ENV, '/work').target).toMatchObject({ kind: 'sandbox', approve: false });
    await program.parseAsync(['node', 'invoice-load', '--target', 'folio', '--sandbox', 'b.csv']);
    expect(resolveConfig(['b.csv'], seen!, ENV, '/work').target).toMatchObject({ kind: 'sandbox', approve: true });
  });
});

describe('--help words the targets from their definitions', () => {
  it('--api-url, --credentials-file and the sandbox examples name every target reached that way', () => {
    expect(apiUrlHelp()).toBe('Exsited, Alguna or FOLIO API base URL (or EXSITED_API_URL / ALGUNA_API_URL / FOLIO_API_URL)');
    expect(credentialsFileHelp()).toBe(
      'Exsited client id and secret, the Alguna API key, or FOLIO tenant, username and password, from this file (otherwise EXSITED_CLIENT_ID/_SECRET, ALGUNA_API_KEY, FOLIO_TENANT/_USERNAME/_PASSWORD)',
    );
    expect(sandboxExamples()).toBe(
      '  Try Exsited purchase invoices, Alguna one-off invoices or FOLIO invoices, each in its embedded sandbox:\n' +
        '    $ invoice-load --sandbox --target exsited fixtures/exsited-sample.csv\n' +
        '    $ invoice-load --sandbox --target alguna fixtures/alguna-sample.csv\n' +
        '    $ invoice-load --sandbox --target folio fixtures/folio-sample.csv\n',
    );
  });
});

describe('invoice-load config shows a target\'s own settings', () => {
  it('URL and variables with their source, the password masked, the option and its default', () => {
    const s = view({});
    expect(s.api_url).toEqual({ value: 'https://okapi.example.edu', source: 'env FOLIO_API_URL' });
    expect(s.tenant).toEqual({ value: 'diku', source: 'env FOLIO_TENANT' });
    expect(s.password).toEqual({ value: '***', source: 'env FOLIO_PASSWORD' });
    expect(s.batch_group).toEqual({ value: null, source: "FOLIO's default batch group (FOLIO_BATCH_GROUP not set)" });
    expect(s.approve).toEqual({ value: 'true', source: 'default' });
    expect(JSON.stringify(s)).not.toContain('Pass-w0rd!');
    expect(view({ approve: false }).approve).toEqual({ value: 'false', source: 'flag --no-approve' });
  });

  it('a flag outranks the environment; a credentials file replaces the credential variables; the sandbox needs none', () => {
    const f = view({ apiUrl: 'https://folio.example.org', credentialsFile: 'folio.json' });
    expect(f.api_url).toEqual({ value: 'https://folio.example.org', source: 'flag --api-url' });
    expect(f.credentials_file).toEqual({ value: '/work/folio.json', source: 'flag --credentials-file (readable)' });
    expect([f.tenant, f.username, f.password]).toEqual(Array(3).fill({ value: null, source: 'the credentials file' }));
    const sb = view({ sandbox: true }, { HOME: '/home/x' });
    expect([sb.api_url, sb.tenant, sb.password].map((r) => r?.source)).toEqual(['not needed (sandbox)', 'not needed (sandbox)', 'not needed (sandbox)']);
    expect(view({}, { HOME: '/home/x' }).api_url).toEqual({ value: null, source: 'not set (--api-url or FOLIO_API_URL)' });
  });

  it('Alma shows no other target\'s rows', () => {
    const s = describeConfig({ sandbox: true }, { HOME: '/home/x' }, '/work', undefined, () => 'readable').settings;
    expect(Object.keys(s)).not.toContain('api_url');
    expect(Object.keys(s)).not.toContain('approve');
  });
});
