/**
 * A key pasted where an option's value belongs (`--target <the key>`, `--region <the key>`) is
 * never echoed by the usage error about it (README.md, "Messages never show the key"): not by
 * commander's "argument '…' is invalid", nor by the loader's own "must be one of …, not …". A key
 * the run knows (ALMA_API_KEY) is masked whatever the target named; a value that looks like a key
 * (long, letters and digits) is not shown even when the run does not know it; a mistyped name is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { printedAndWritten } from '../helpers/seen.js';
import { looksLikeSecret, maskQuotedSecrets } from '../../src/common/mask.js';

const KEY = 'l7xxSECRETSECRETSECRET0123';
/** A key the heuristic cannot tell from a word: only knowing it masks it. */
const WORDY = 'correcthorsebatterystaple';
const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secrets-wrong-place-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state'), ...env } });

const seen = (res: { stdout: string; stderr: string }): string[] => printedAndWritten(dir, res);

describe('a key typed as an option value is not echoed', () => {
  it.each([
    [['--target', KEY, 'b.csv'], {}],
    [[`--target=${KEY}`, 'b.csv'], {}],
    [['--target', KEY, 'b.csv'], { ALMA_API_KEY: KEY }],
    [['--region', KEY, 'b.csv'], {}],
    [['verify', '--target', KEY, 'b.csv'], {}],
    [['--sandbox', '--rate', KEY, '--report', 'r.json', SAMPLE], {}],
    [['--sandbox', '--check', KEY, SAMPLE], {}],
    [[`--${KEY}`, 'b.csv'], {}],
    [['b.csv'], { INVOICE_LOAD_TARGET: KEY }],
    // Known, if not key-like: ALMA_API_KEY is masked even though the target named is none.
    [['--target', WORDY, 'b.csv'], { ALMA_API_KEY: WORDY }],
    [['b.csv'], { INVOICE_LOAD_TARGET: WORDY, ALMA_API_KEY: WORDY }],
    [['--target', WORDY, 'b.csv'], { EXSITED_CLIENT_SECRET: WORDY }],
  ])('%j %j', async (args, env) => {
    const res = await run(args, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('***');
    for (const text of seen(res)) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(WORDY);
    }
  });

  it('a mistyped name is still shown as typed', async () => {
    const res = await run(['--target', 'exsitted', 'b.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("argument 'exsitted' is invalid");
    const region = await run(['--sandbox', '--rate', 'fast', SAMPLE]);
    expect(region.stderr).toContain('--rate must be a number above zero, not "fast"');
  });
});

describe('looksLikeSecret, maskQuotedSecrets', () => {
  it.each([
    [KEY, true],
    ['l7xx0123456789abcdef', true],
    ['exsitted', false],
    ['correcthorsebatterystaple', false],
    ['2026-01-31', false],
    ['batch-2026-01-31.csv', false],
    ['out/2026/report-01.json', false],
    ['1234567890123456789', false],
  ])('%s: %s', (value, want) => {
    expect(looksLikeSecret(value)).toBe(want);
  });

  it("commander's quoted words", () => {
    expect(maskQuotedSecrets(`error: option '--target <name>' argument '${KEY}' is invalid.`)).toBe("error: option '--target <name>' argument '***' is invalid.");
    expect(maskQuotedSecrets(`error: unknown option '--key=${KEY}'`)).toBe("error: unknown option '--key=***'");
    expect(maskQuotedSecrets(`error: unknown option '--${KEY}'`)).toBe("error: unknown option '***'");
    expect(maskQuotedSecrets("error: unknown option '--sandbx'")).toBe("error: unknown option '--sandbx'");
  });
});
