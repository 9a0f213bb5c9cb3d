/**
 * `invoice-load sandbox --api-key-file k` takes that key alone: its try-line reads the key from
 * the same file (`--api-key-file k`; Alguna's, `--credentials-file k`), never says `…_API_KEY=any`
 * (a load with it was refused), and never shows the key. The line, run as it is, loads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';

const KEY = 'l7xxTRYLINEKEY0123456789abc';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-try-line-'));
  writeFileSync(join(dir, 'sandbox key'), `${KEY}\n`, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The sandbox's try-line (stderr), its URL; the sandbox is stopped after `use`. */
async function withSandbox(args: string[], use: (tryLine: string, url: string) => Promise<void>): Promise<void> {
  const { child, done } = spawnCli(['sandbox', '--port', '0', ...args], { cwd: dir, env: { HOME: dir } });
  let err = '';
  let out = '';
  child.stdout.on('data', (d: Buffer | string) => (out += String(d)));
  const tryLine = await new Promise<string>((resolve) => {
    child.stderr.on('data', (d: Buffer | string) => {
      err += String(d);
      const m = /^try: .*$/m.exec(err);
      if (m !== null) resolve(m[0]);
    });
    child.on('close', () => resolve(err));
  });
  try {
    await use(tryLine, /listening on (\S+)/.exec(out)?.[1] ?? '');
  } finally {
    child.kill('SIGTERM');
    await done;
  }
}

describe('the sandbox try-line with --api-key-file', () => {
  it('Alma: names the key file, not ALMA_API_KEY=any, never the key; run as it is, the load is taken', async () => {
    await withSandbox(['--api-key-file', 'sandbox key'], async (line, url) => {
      expect(line).toBe(`try: ALMA_API_URL=${url} invoice-load --api-key-file 'sandbox key' fixtures/sample-batch.csv`);
      expect(line).not.toContain(KEY);
      const res = await runCli(['--api-key-file', join(dir, 'sandbox key'), '--dry-run', '--online', join(ROOT, 'fixtures/sample-batch.csv')], {
        cwd: dir,
        env: { HOME: dir, ALMA_API_URL: url, INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
      });
      expect(res.stderr).not.toContain('refused');
      expect(res.code, res.stderr).toBe(0);
    });
  });

  it('Alma without a key file: any key, as before', async () => {
    await withSandbox([], async (line, url) => {
      expect(line).toBe(`try: ALMA_API_URL=${url} ALMA_API_KEY=any invoice-load fixtures/sample-batch.csv`);
    });
  });

  it('Alguna: the key file as its --credentials-file', async () => {
    await withSandbox(['--target', 'alguna', '--api-key-file', 'sandbox key'], async (line, url) => {
      expect(line).toBe(`try: ALGUNA_API_URL=${url} invoice-load --target alguna --credentials-file 'sandbox key' fixtures/alguna-sample.csv`);
      expect(line).not.toContain(KEY);
    });
  });
});
