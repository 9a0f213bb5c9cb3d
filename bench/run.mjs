/**
 * `npm run bench`: the performance figures of the README's "Performance" section, measured
 * side by side in one run (the machine may be shared: only ratios within a run mean much).
 *
 * 1. Checking (`dry`): a seeded 1,000,000-row canonical CSV (~100k invoices). The real CLI path,
 *    `node bin/invoice-load.js --dry-run --json FILE > /dev/null`, against a bare csv-parse pass
 *    over the same file (bench/parse-only.mjs), each a child process, interleaved over a few
 *    rounds. Reports both wall times, their ratio and the dry run's peak RSS.
 * 2. Loading (`matrix`): 200 invoices × 3 lines by the CLI (defaults apart from `--rate`, journal
 *    fsync on) into a fresh sandbox whose threshold is that rate, at each answer latency
 *    (50, 150, 300, 600 ms) × rate (10, 25, 50/s). Each cell: share of the ideal, requests beyond
 *    the 2 + k an invoice of k lines needs, per invoice, and the share of 429 answers. The ideal
 *    is the physical bound: the needed requests ÷ the rate, plus the tail no loader avoids (the
 *    last answer's latency, the sandbox's processing time and one confirming read).
 * 3. `lines`: the same at 25/s with 1–12 lines per invoice, at each latency.
 * 4. `adapt`: threshold 10/s below `--rate 25`, at each latency; the share is of the ideal at
 *    the threshold.
 * 5. `bound`: every matrix cell again with `--no-canary --check none`: what is left when the
 *    two steps before the second invoice that a promise asks for — the checks before the first
 *    write, the canary — are skipped (the look-ups exactly-once needs still run). The gap between
 *    a matrix cell and its bound is what those promises cost there; a bound under 95 % means the
 *    cell cannot reach it without dropping the look-ups too.
 * 6. `baseline` (not in the default run): bench/baseline.mjs, one request at a time with a
 *    100 ms pause after each, at 100 ms latency, against the loader at the same settings.
 * 7. `wide` (not in the default run): 4 invoices × 150 lines at 25/s, at each latency — a
 *    subscription agent's renewals, where an invoice's lines go several at once.
 *
 * Writes bench/out/latest.json and bench/out/latest.md (git-ignored); prints the tables.
 *
 *   npm run bench                          everything but the baseline (~20 minutes on 2 cores)
 *   npm run bench -- --parallel 1          load cells one after another (default 2 side by side)
 *   npm run bench -- --only dry,matrix     some parts: dry, matrix, lines, adapt, bound, baseline, wide
 *   npm run bench -- --only 600x50,300x25  single matrix cells (latency x rate); lines600, adapt150, bound600x50
 *   npm run bench -- --latencies 600       the rows' latencies (default 50,150,300,600)
 *   npm run bench -- --rows 100000         a smaller checking file; --rounds N (default 5)
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBigBatch } from './gen.mjs';
import { batchFor, loadCell, r1, r2, r3, run, startChildSandbox } from './cell.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: npm run bench [-- options]   (or node bench/run.mjs [options], after npm run build)
  --only PARTS        dry, matrix, lines, adapt, bound, baseline, wide (4 invoices × 150 lines),
                      or cells: 600x50, lines600, adapt150, bound600x50, wide300
                      (default dry,matrix,lines,adapt,bound)
  --latencies LIST    answer latencies in ms (default 50,150,300,600)
  --rates LIST        the matrix's rates (default 10,25,50)
  --rows N            rows of the checking file (default 1000000); --rounds N (default 5)
  --invoices N        invoices a load cell sends (default 200)
  --parallel N        load cells side by side (default 2)
  --tmp DIR           where the generated files go
`;
let parsed;
try {
  parsed = parseArgs({
    options: {
      only: { type: 'string', default: 'dry,matrix,lines,adapt,bound' },
      latencies: { type: 'string', default: '50,150,300,600' },
      rates: { type: 'string', default: '10,25,50' },
      rows: { type: 'string', default: '1000000' },
      // Five interleaved rounds: on a shared machine one busy spell can move a round by ×0.5.
      rounds: { type: 'string', default: '5' },
      invoices: { type: 'string', default: '200' },
      // Load cells side by side: each is mostly waiting (at most 50 requests/s; the sandbox in its
      // own process), and one after another they take ~22 minutes of ideal time alone.
      parallel: { type: 'string', default: '2' },
      tmp: { type: 'string', default: join(tmpdir(), 'invoice-load-bench') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n${USAGE}`);
  process.exit(2);
}
const { values: args } = parsed;
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const parts = new Set(args.only.split(','));
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const INVOICES = Number(args.invoices);
const LATENCIES = args.latencies.split(',').map(Number);
const RATES = args.rates.split(',').map(Number);
const PROCESS_MS = 150;
const TMP = args.tmp;
mkdirSync(TMP, { recursive: true });
const log = (s) => process.stderr.write(s + '\n');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = {
  date: new Date().toISOString(),
  /** The machine's load average when the run started and ended: it is shared. */
  load: { start: loadavg().map(r2) },
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
};

// ---------------------------------------------------------------------------------- 1. checking
if (parts.has('dry')) {
  const file = join(TMP, `batch-${ROWS}.csv`);
  if (!existsSync(file) || statSync(file).size === 0) {
    log(`generating ${ROWS} rows into ${file}…`);
    await writeBigBatch(file, { rows: ROWS });
  }
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so a busy spell on a shared machine hits both sides alike.
    const parse = await run(['bench/parse-only.mjs', file], { tmp: TMP });
    const dry = await run(['bin/invoice-load.js', '--dry-run', '--json', file], { stdout: 'ignore', tmp: TMP });
    if (parse.code !== 0) throw new Error(`parse-only failed: ${parse.err}`);
    // Exit 3: the file has a few invoices with wrong totals on purpose (the report lists them).
    if (dry.code !== 0 && dry.code !== 3) throw new Error(`dry run failed (${dry.code}): ${dry.err}`);
    rounds.push({ parseS: parse.ms / 1000, dryS: dry.ms / 1000, ratio: dry.ms / parse.ms, dryRssMb: dry.rssMb, parseRssMb: parse.rssMb });
    log(`dry run round ${i + 1}: parse ${r2(parse.ms / 1000)} s, dry run ${r2(dry.ms / 1000)} s (×${r2(dry.ms / parse.ms)}), peak RSS ${Math.round(dry.rssMb)} MB`);
  }
  results.dry = {
    rows: ROWS,
    fileMb: r1(statSync(file).size / 2 ** 20),
    command: 'node bin/invoice-load.js --dry-run --json FILE > /dev/null',
    rounds: rounds.map((r) => ({ parseS: r2(r.parseS), dryS: r2(r.dryS), ratio: r2(r.ratio), dryRssMb: Math.round(r.dryRssMb) })),
    parseS: r2(median(rounds.map((r) => r.parseS))),
    dryS: r2(median(rounds.map((r) => r.dryS))),
    ratio: r2(median(rounds.map((r) => r.ratio))),
    bestRatio: r2(Math.min(...rounds.map((r) => r.ratio))),
    peakRssMb: Math.round(Math.max(...rounds.map((r) => r.dryRssMb))),
    targets: { ratio: 1.25, peakRssMb: 400 },
  };
}

// ------------------------------------------------------------------------------------ loading
/** The `bound` row's flags: the checks before the first write and the canary skipped. */
const BOUND_FLAGS = ['--no-canary', '--check', 'none'];
/** Which load cells run: whole rows by name, or single cells (600x50, lines300, adapt150, bound600x50). */
const cells = [];
for (const lat of LATENCIES) {
  for (const rate of RATES) cells.push({ id: `${lat}x${rate}`, row: 'matrix', latencyMs: lat, threshold: rate, rate, lines: 3 });
  cells.push({ id: `lines${lat}`, row: 'lines', latencyMs: lat, threshold: 25, rate: 25, lines: [1, 12] });
  cells.push({ id: `adapt${lat}`, row: 'adapt', latencyMs: lat, threshold: 10, rate: 25, lines: 3 });
  // A few large invoices (a subscription agent's renewals): not in the default run.
  cells.push({ id: `wide${lat}`, row: 'wide', latencyMs: lat, threshold: 25, rate: 25, lines: 150, invoices: 4 });
  for (const rate of RATES) cells.push({ id: `bound${lat}x${rate}`, row: 'bound', latencyMs: lat, threshold: rate, rate, lines: 3, extra: BOUND_FLAGS });
}
const chosen = cells.filter((c) => parts.has(c.row) || parts.has(c.id));

const load = (cell) => loadCell(cell, { tmp: TMP, invoices: cell.invoices ?? INVOICES, processMs: PROCESS_MS, extra: cell.extra ?? [] });

const pct = (x) => `${r1(x * 100)} %`;
results.cells = [];
results.parallel = Math.max(1, Number(args.parallel));
{
  // Longest first over the lanes (the 10/s cells take 100 s, the 50/s ones 20 s).
  const expected = (c) => ((c.invoices ?? INVOICES) * (Array.isArray(c.lines) ? 2 + (c.lines[0] + c.lines[1]) / 2 : 2 + c.lines)) / c.threshold;
  const queue = [...chosen].sort((a, b) => expected(b) - expected(a));
  const lane = async () => {
    for (let cell = queue.shift(); cell !== undefined; cell = queue.shift()) {
      log(`${cell.id}: latency ${cell.latencyMs} ms, threshold ${cell.threshold}/s, --rate ${cell.rate}${cell.extra ? ` ${cell.extra.join(' ')}` : ''}, ${Array.isArray(cell.lines) ? cell.lines.join('–') : cell.lines} lines…`);
      const r = await load(cell);
      results.cells.push(r);
      log(`  ${cell.id}: ${r.seconds} s (ideal ${r.idealSeconds} s): ${pct(r.ofIdeal)} of ideal, +${r.extraPerInvoice} requests an invoice, ${r.throttled} × 429 (${pct(r.throttledShare)}); load ${r.machineLoad[0]}`);
    }
  };
  await Promise.all(Array.from({ length: results.parallel }, lane));
  results.cells.sort((a, b) => chosen.findIndex((c) => c.id === a.id) - chosen.findIndex((c) => c.id === b.id));
}

if (parts.has('baseline')) {
  log('sequential baseline (one request at a time, 100 ms pause after each), and the loader at the same settings…');
  const cell = { id: 'baseline100x25', row: 'baseline', latencyMs: 100, threshold: 25, rate: 25, lines: 3 };
  const loader = await load(cell);
  const batch = await batchFor(3, { tmp: TMP, invoices: INVOICES });
  const sandbox = await startChildSandbox({ port: 0, perSecond: 25, latencyMs: 100, processDelayMs: PROCESS_MS });
  try {
    const res = await run(['bench/baseline.mjs', sandbox.url, batch.file], { tmp: TMP });
    if (res.code !== 0) throw new Error(`baseline failed: ${res.err}`);
    const b = JSON.parse(res.out);
    results.baseline = { seconds: r2(res.ms / 1000), requests: b.requests, failed: b.failed, throttled: (await sandbox.counters()).throttled.perSecond, loader };
    results.baseline.speedup = r2(results.baseline.seconds / loader.seconds);
  } finally {
    await sandbox.close();
  }
  log(`  ${results.baseline.seconds} s (the loader: ${loader.seconds} s, ×${results.baseline.speedup} faster)`);
}
results.load.end = loadavg().map(r2);

// ------------------------------------------------------------------------------------ report
const out = [];
const m = results.machine;
if (results.dry) {
  const d = results.dry;
  out.push(
    '| checking | measured | ratio | target |',
    '|---|---|---|---|',
    `| dry run of ${(d.rows / 1e6).toFixed(d.rows >= 1e6 ? 0 : 1)}M rows (${d.fileMb} MB), median of ${d.rounds.length} | ${d.dryS} s vs bare csv-parse ${d.parseS} s | ×${d.ratio} (best ×${d.bestRatio}) | ≤ ×1.25 |`,
    `| peak RSS of the dry run | ${d.peakRssMb} MB |  | < 400 MB |`,
    '',
  );
}
/** One cell: share of the ideal · extra requests an invoice · 429 share. */
const cellText = (r) => (r ? `${pct(r.ofIdeal)} · ${r.extraPerInvoice.toFixed(2)} · ${pct(r.throttledShare)}` : '');
/** The result of a matrix or bound cell. */
const cellOf = (row, lat, rate) => results.cells.find((r) => r.row === row && r.latencyMs === lat && r.rate === rate);
if (results.cells.length > 0) {
  const cols = [
    ...RATES.map((rate) => ({ head: `${rate}/s`, pick: (lat) => cellOf('matrix', lat, rate) })),
    { head: '1–12 lines, 25/s', pick: (lat) => results.cells.find((r) => r.row === 'lines' && r.latencyMs === lat) },
    { head: 'threshold 10/s, --rate 25', pick: (lat) => results.cells.find((r) => r.row === 'adapt' && r.latencyMs === lat) },
    { head: '4 invoices × 150 lines, 25/s', pick: (lat) => results.cells.find((r) => r.row === 'wide' && r.latencyMs === lat) },
  ].filter((c) => LATENCIES.some((lat) => c.pick(lat)));
  out.push(
    `| latency | ${cols.map((c) => c.head).join(' | ')} |`,
    `|---|${cols.map(() => '---|').join('')}`,
    ...LATENCIES.filter((lat) => cols.some((c) => c.pick(lat))).map((lat) => `| ${lat} ms | ${cols.map((c) => cellText(c.pick(lat))).join(' | ')} |`),
    '',
    'Each cell: share of the ideal · requests beyond the 2 + k an invoice of k lines needs, per invoice · share of 429 answers.',
    '',
  );
}
const bound = (lat, rate) => cellOf('bound', lat, rate);
const boundRates = RATES.filter((rate) => LATENCIES.some((lat) => bound(lat, rate)));
if (boundRates.length > 0) {
  /** The bound's cell, and what the two steps cost: the points between it and the default cell of this run. */
  const boundText = (lat, rate) => {
    const b = bound(lat, rate);
    if (!b) return '';
    const d = cellOf('matrix', lat, rate);
    const gap = d ? r1((b.ofIdeal - d.ofIdeal) * 100) : undefined;
    return `${cellText(b)}${gap !== undefined ? ` (${gap >= 0 ? '−' : '+'}${Math.abs(gap)})` : ''}`;
  };
  out.push(
    `| latency | ${boundRates.map((rate) => `${rate}/s, ${BOUND_FLAGS.join(' ')}`).join(' | ')} |`,
    `|---|${boundRates.map(() => '---|').join('')}`,
    ...LATENCIES.filter((lat) => boundRates.some((rate) => bound(lat, rate))).map((lat) => `| ${lat} ms | ${boundRates.map((rate) => boundText(lat, rate)).join(' | ')} |`),
    '',
    'The bound: the same cell without the checks before the first write and the canary (the look-ups exactly-once needs still run); in brackets, the points the defaults lose to those two steps in this run.',
    '',
  );
}
if (results.baseline) {
  const b = results.baseline;
  out.push(`Baseline (100 ms latency, 25/s): sequential with a 100 ms pause ${b.seconds} s, the loader ${b.loader.seconds} s: ×${b.speedup} faster.`, '');
}
const table = out.join('\n');
const machine = `${m.cpus} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}; ${results.date.slice(0, 16).replace('T', ' ')} UTC; load average ${results.load.start[0]} at the start, ${results.load.end[0]} at the end`;
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'out', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(ROOT, 'bench', 'out', 'latest.md'), `${table}\n${machine}\n`);
process.stdout.write(`\n${table}\n${machine}\n(bench/out/latest.json, bench/out/latest.md)\n`);
