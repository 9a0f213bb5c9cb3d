/**
 * A working directory removed under the shell: the run says so, exit 2 (README "Exit codes"),
 * instead of Node's raw ENOENT stack trace and exit 1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the CLI from a folder that the shell removes just before starting it. */
function runInGoneFolder(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const top = mkdtempSync(join(tmpdir(), 'invoice-load-gone-'));
  dirs.push(top);
  const gone = join(top, 'gone');
  const env = { PATH: process.env.PATH ?? '', HOME: top, NO_COLOR: '1', INVOICE_LOAD_STATE_DIR: join(top, 'state'), GONE: gone, NODE: process.execPath, BIN };
  const child = spawn('sh', ['-c', 'mkdir "$GONE" && cd "$GONE" && rmdir "$GONE" && exec "$NODE" "$BIN" "$@"', 'sh', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a working directory that no longer exists', () => {
  it.each([
    ['a load', ['--sandbox', join(ROOT, 'fixtures/sample-batch.csv')]],
    ['a dry run', ['--dry-run', join(ROOT, 'fixtures/sample-batch.csv')]],
    ['config', ['config']],
  ])('%s: exit 2 with words to cd somewhere, no stack trace', async (_name, args) => {
    const res = await runInGoneFolder(args);
    expect(res.stderr).toBe('invoice-load: the working directory no longer exists; cd somewhere and run again\n');
    expect(res.code).toBe(2);
  });
});
