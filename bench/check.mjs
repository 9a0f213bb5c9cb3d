/**
 * CI's performance regression check (.ci/run): the dry run of a seeded 200,000-row CSV against
 * a bare csv-parse pass over the same file, interleaved over three rounds, in one run. Only the
 * ratio of the two is judged, never a time: CI machines differ and are shared. The bound sits
 * well above what the dry run takes today (×1.4–2.1 per round at this size on 2026-11-21,
 * where start-up weighs more than at a million rows; ×2.4 before that day's work), so it
 * catches a real regression — the ×5–8 of the first version, or most of the day's gains
 * lost — without failing on a noisy neighbour. About 15 s on 2 cores.
 *
 *   node bench/check.mjs [--max-ratio 3] [--rows 200000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBigBatch } from './gen.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'max-ratio': { type: 'string', default: '3' }, rows: { type: 'string', default: '200000' } } });
const maxRatio = Number(values['max-ratio']);
const dir = mkdtempSync(join(tmpdir(), 'invoice-load-check-'));

async function time(argv) {
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  // 3: the file's few invoices with wrong totals, on purpose.
  if (code !== 0 && code !== 3) throw new Error(`${argv.join(' ')} exited ${code}: ${err}`);
  return performance.now() - t0;
}

try {
  const file = join(dir, 'batch.csv');
  await writeBigBatch(file, { rows: Number(values.rows) });
  const ratios = [];
  for (let i = 0; i < 3; i++) {
    const parse = await time(['bench/parse-only.mjs', file]);
    const dry = await time(['bin/invoice-load.js', '--dry-run', '--json', file]);
    ratios.push(dry / parse);
    process.stdout.write(`dry run ${(dry / 1000).toFixed(2)} s, bare csv-parse ${(parse / 1000).toFixed(2)} s: ×${(dry / parse).toFixed(2)}\n`);
  }
  const median = [...ratios].sort((a, b) => a - b)[1];
  process.stdout.write(`median ×${median.toFixed(2)} (at most ×${maxRatio})\n`);
  if (!(median <= maxRatio)) {
    process.stderr.write(`performance regression: the dry run takes ×${median.toFixed(2)} a bare parse of ${values.rows} rows, more than ×${maxRatio}\n`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
