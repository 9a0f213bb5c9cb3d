/**
 * Memory bounded by design: the built CLI on files made to exhaust it — one 200 MB line, an
 * endless stream of NUL bytes (/dev/zero), a JSON text value of 200 MB — ends with exit 3 and a
 * problem naming the line and the limit, within seconds and under 400 MB of peak memory (the
 * child's own peak resident set, from the kernel). And a cell longer than the cell limit is an
 * error where it used to be planned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnCli } from '../helpers/cli.js';
import { generateBatch } from './generate.js';
import { recordFigures } from './harness.js';

const PROBE = pathToFileURL(fileURLToPath(new URL('../helpers/rss-probe.mjs', import.meta.url))).href;
const MB = 1024 * 1024;
const PEAK_LIMIT_KB = 400 * 1024;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-limits-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes `head`, then `size` bytes of `fill`, then `tail`, a megabyte at a time. */
function bigFile(name: string, head: string, fill: string, size: number, tail = ''): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  const block = Buffer.alloc(MB, fill);
  for (let left = size; left > 0; left -= MB) writeSync(fd, left >= MB ? block : block.subarray(0, left));
  writeSync(fd, tail);
  closeSync(fd);
  return path;
}

/** Runs the dry run with a time limit; returns exit code, stdout, seconds and peak RSS (kB). */
async function dryRun(file: string, timeoutMs = 30_000) {
  const out = join(dir, `rss-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const res = await spawnCli(['--dry-run', file], {
    env: { NODE_OPTIONS: `--import=${PROBE}`, RSS_PROBE_OUT: out, INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
    timeoutMs,
  }).done;
  const seconds = (performance.now() - started) / 1000;
  const peakKb = existsSync(out) ? Number(readFileSync(out, 'utf8')) : NaN;
  return { ...res, seconds, peakKb };
}

describe('memory bounded by design, whatever one line or value holds', () => {
  const figures: Record<string, unknown> = {};
  afterAll(() => recordFigures('limits', figures));

  it('a 200 MB line without a line break: exit 3 naming line 1 and the record limit, under 400 MB', async () => {
    const file = bigFile('line.csv', '', 'a', 200 * MB);
    const r = await dryRun(file);
    figures.line_200mb = { exit: r.code, seconds: Number(r.seconds.toFixed(2)), peak_mb: Math.round(r.peakKb / 1024) };
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/row 1: error .*longer than 1,000,000 characters/);
    expect(r.peakKb).toBeLessThan(PEAK_LIMIT_KB);
    expect(r.seconds).toBeLessThan(20);
  }, 60_000);

  it('/dev/zero (never ends): exit 3 within seconds, refused as binary, under 400 MB', async () => {
    const r = await dryRun('/dev/zero', 20_000);
    figures.dev_zero = { exit: r.code, seconds: Number(r.seconds.toFixed(2)), peak_mb: Math.round(r.peakKb / 1024) };
    expect(r.signal, 'killed by the time limit').toBeNull();
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/\/dev\/zero\n {2}file: error the file is full of NUL bytes.*\[binary_file\]/);
    expect(r.peakKb).toBeLessThan(PEAK_LIMIT_KB);
  }, 30_000);

  it('a JSON file with one 200 MB text value: exit 3 naming where the value starts and the limit, under 400 MB', async () => {
    const file = bigFile('value.json', '[{"invoice_number": "', 'b', 200 * MB, '"}]');
    const r = await dryRun(file);
    figures.json_value_200mb = { exit: r.code, seconds: Number(r.seconds.toFixed(2)), peak_mb: Math.round(r.peakKb / 1024) };
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/row 1: error JSON error on line 1, column 2: .*longer than 16,777,216 characters.*\[too_long\]/);
    expect(r.peakKb).toBeLessThan(PEAK_LIMIT_KB);
  }, 60_000);

  it('a cell of 150,000 characters is an error naming its row, column and the cell limit', async () => {
    const batch = generateBatch({ seed: 7, invoices: 1, prefix: 'CAP' });
    const [header, row] = batch.csv.split('\n');
    const cols = header!.split(',');
    const cells = row!.split(',');
    cells[cols.indexOf('invoice_note')] = 'n'.repeat(150_000);
    const file = join(dir, 'cell.csv');
    const fd = openSync(file, 'w');
    writeSync(fd, `${header}\n${cells.join(',')}\n`);
    closeSync(fd);
    const r = await dryRun(file);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stdout).toContain('row 2 invoice_note: error invoice_note is 150,000 characters long; a cell may hold at most 100,000 [too_long]');
  });
});
