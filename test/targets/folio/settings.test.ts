/** `--target folio`: flags and environment → its settings (pure), and the credentials file. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig, type RawOptions } from '../../../src/cli/config.js';
import { folioCredentials } from '../../../src/targets/folio/index.js';
import { usageMessage } from '../../helpers/usage.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'folio-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ENV = { FOLIO_API_URL: 'https://okapi.example.edu', FOLIO_TENANT: 'diku', FOLIO_USERNAME: 'loader', FOLIO_PASSWORD: 'pw' };
const cfg = (o: RawOptions, env: Record<string, string | undefined> = {}) => resolveConfig(['b.csv'], { target: 'folio', ...o }, { HOME: dir, ...env }, dir);
const usage = usageMessage;

describe('FOLIO settings', () => {
  it('gateway and credentials from the environment; approval unless --no-approve; FOLIO_BATCH_GROUP', () => {
    expect(cfg({}, { ...ENV, FOLIO_BATCH_GROUP: 'Amherst (AC)' }).target).toEqual({ kind: 'folio', baseUrl: 'https://okapi.example.edu', credentials: { env: true }, approve: true, batchGroup: 'Amherst (AC)' });
    expect(cfg({ approve: false }, ENV).target).toMatchObject({ approve: false });
    expect(cfg({ sandbox: true, approve: false }).target).toMatchObject({ kind: 'sandbox', target: 'folio', approve: false, statePath: expect.stringMatching(/sandbox\/folio-state\.json$/) });
  });

  it('refuses a load with nowhere to go or without credentials; a dry run needs neither, --online needs both', () => {
    expect(usage(() => cfg({}))).toMatch(/no FOLIO gateway/);
    expect(usage(() => cfg({}, { FOLIO_API_URL: ENV.FOLIO_API_URL }))).toMatch(/no FOLIO credentials/);
    expect(cfg({ dryRun: true }).target).toBeUndefined();
    expect(usage(() => cfg({ dryRun: true, online: true }))).toMatch(/no FOLIO gateway/);
    expect(cfg({ dryRun: true, online: true }, ENV).target).toMatchObject({ kind: 'folio' });
    expect(usage(() => cfg({ region: 'eu' }, ENV))).toMatch(/--region is for Alma/);
    expect(usage(() => cfg({ apiUrl: 'https://u:p@okapi.example.edu' }, ENV))).toMatch(/must not carry credentials/);
    // a token alone in the user part (https://TOKEN@host) is a credential too
    expect(usage(() => cfg({ apiUrl: 'https://TOKEN@okapi.example.edu' }, ENV))).toMatch(/must not carry credentials/);
  });

  it('the credentials file: JSON {"tenant","username","password"} or KEY=value lines; incomplete ones refused without echoing them', () => {
    const json = join(dir, 'folio.json');
    writeFileSync(json, JSON.stringify({ tenant: 'diku', username: 'loader', password: 's3cr=t' }));
    expect(folioCredentials({ file: json }, {})).toEqual({ tenant: 'diku', username: 'loader', password: 's3cr=t' });
    const lines = join(dir, 'folio.env');
    writeFileSync(lines, '# FOLIO\nFOLIO_TENANT=diku\nFOLIO_USERNAME=loader\nFOLIO_PASSWORD="pw=1"\n');
    expect(folioCredentials({ file: lines }, {})).toEqual({ tenant: 'diku', username: 'loader', password: 'pw=1' });
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ tenant: 'diku', password: 'do-not-echo' }));
    const msg = usage(() => folioCredentials({ file: partial }, {}));
    expect(msg).toMatch(/needs tenant, username and password/);
    expect(msg).not.toContain('do-not-echo');
    expect(cfg({ credentialsFile: json }, { FOLIO_API_URL: ENV.FOLIO_API_URL }).target).toMatchObject({ credentials: { file: json } });
  });

  it.skipIf(process.platform === 'win32')('a credentials file every user can read is said (as Alma\'s key file), without its content; one only its owner reads is not', () => {
    const file = join(dir, 'open.json');
    writeFileSync(file, JSON.stringify({ tenant: 'diku', username: 'loader', password: 'do-not-echo' }), { mode: 0o644 });
    chmodSync(file, 0o644);
    const said: string[] = [];
    folioCredentials({ file }, {}, (l) => said.push(l));
    expect(said).toEqual([`the credentials file ${file} can be read by every user of this machine (mode 644); make it yours alone: chmod 600 ${file}`]);
    chmodSync(file, 0o600);
    said.length = 0;
    folioCredentials({ file }, {}, (l) => said.push(l));
    expect(said).toEqual([]);
  });
});
