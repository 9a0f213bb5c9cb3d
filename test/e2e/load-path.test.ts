/**
 * What a run loads before its first request is start-up time at every distance from Alma
 * (README, Performance): a module a given run does not need is loaded only when it does.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';

const PRELOAD = join(ROOT, 'test/helpers/loaded-modules.mjs');

/** The modules a run of the built CLI with these arguments loaded. */
async function loadedBy(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'load-path-'));
  const file = join(dir, 'modules.txt');
  const env: Record<string, string> = { NO_COLOR: '1', LOADED_MODULES_FILE: file, INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) env[k] = process.env[k]!;
  const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'ignore'] });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, modules: readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') };
}

describe('what a run loads', () => {
  it('a CSV file: not the workbook reader (its zip and strings code), exceljs, zod or ora', async () => {
    const { code, modules } = await loadedBy(['--dry-run', '--json', 'fixtures/sample-batch.csv']);
    expect(code).toBe(0);
    // It did load the CSV reader: the list is the run's.
    expect(modules.some((m) => m.endsWith('/dist/input/csv.js'))).toBe(true);
    const unneeded = modules.filter((m) => /\/dist\/input\/xlsx(-strings|-zip)?\.js$|\/node_modules\/(exceljs|zod|ora)\//.test(m));
    expect(unneeded).toEqual([]);
  });
});
