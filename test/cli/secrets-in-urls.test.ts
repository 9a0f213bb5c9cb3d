/**
 * A URL refused for not being one was echoed whole — with the `?apikey=…` Alma also takes the key
 * as (docs/alma.md), or a `user:password@`: the message shows it without its query, fragment and
 * credentials (common/mask.ts shownUrl), for --alma-url, ALMA_API_URL, `config` and --api-url.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { printedAndWritten } from '../helpers/seen.js';
import { shownUrl } from '../../src/common/mask.js';

const KEY = 'l7xxSECRETSECRETSECRET0123';
const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const NO_SCHEME = `api-eu.hosted.exlibrisgroup.com/almaws/v1/acq/invoices?apikey=${KEY}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secrets-in-urls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state'), ...env } });

const seen = (res: { stdout: string; stderr: string }): string[] => printedAndWritten(dir, res);

describe('a malformed URL carrying the key is not echoed with it', () => {
  it.each([
    [['--alma-url', NO_SCHEME, '--report', 'r.json', SAMPLE], {}],
    [['--report', 'r.json', SAMPLE], { ALMA_API_URL: NO_SCHEME }],
    [['config'], { ALMA_API_URL: NO_SCHEME }],
    [['config', '--json'], { ALMA_API_URL: NO_SCHEME }],
    [['--target', 'exsited', '--api-url', NO_SCHEME, SAMPLE], {}],
    [['--target', 'folio', SAMPLE], { FOLIO_API_URL: `http//folio.example.org/?token=${KEY}` }],
  ])('%j %j', async (args, env) => {
    const res = await run(args, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/not a URL: "[^"]*\?\*\*\*"/);
    for (const text of seen(res)) expect(text).not.toContain(KEY);
  });
});

describe('shownUrl', () => {
  it.each([
    [`host/almaws/v1?apikey=${KEY}`, 'host/almaws/v1?***'],
    [`https://host/x#${KEY}`, 'https://host/x#***'],
    [`https://user:${KEY}@host/x`, 'https://***@host/x'],
    [`user:${KEY}@host`, '***@host'],
    ['https://host/a@b', 'https://host/a@b'],
    ['api-eu.hosted.exlibrisgroup.com', 'api-eu.hosted.exlibrisgroup.com'],
  ])('%s → %s', (url, want) => {
    expect(shownUrl(url)).toBe(want);
  });
});
