/**
 * `npm run bench`: the performance figures of the README's "Performance" section, measured
 * side by side in one run (the machine may be shared: only ratios within a run mean much).
 *
 * 1. Checking: a seeded 1,000,000-row canonical CSV (~100k invoices). The real CLI path,
 *    `node bin/invoice-load.js --dry-run --json FILE > /dev/null`, against a bare csv-parse pass
 *    over the same file (bench/parse-only.mjs), each a child process, interleaved over a few
 *    rounds. Reports both wall times, their ratio and the dry run's peak RSS.
 * 2. Loading: 200 invoices × 3 lines into a sandbox with a 25 requests/s threshold and 100 ms
 *    latency, by the CLI (`--rate 25`, journal fsync on); against the ideal time (create + lines +
 *    process = 5 requests an invoice, ÷ 25/s) and a sequential baseline (bench/baseline.mjs:
 *    one request at a time, 100 ms pause after each) over the same batch, on a fresh sandbox.
 * 3. Adaptation: the same load against a sandbox whose threshold (10/s) is below `--rate 25`.
 *
 * Writes bench/out/latest.json and bench/out/latest.md (git-ignored); prints the table.
 *
 *   npm run bench                      everything (~8 minutes on 2 cores)
 *   npm run bench -- --only dry,load   some parts (dry, load, baseline, adapt)
 *   npm run bench -- --rows 100000     a smaller checking file; --rounds N (default 5)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSandbox } from '../dist/sandbox/index.js';
import { writeBigBatch, writeLoadBatch } from './gen.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'dry,load,baseline,adapt' },
    rows: { type: 'string', default: '1000000' },
    // Five interleaved rounds: on a shared machine one busy spell can move a round by ×0.5.
    rounds: { type: 'string', default: '5' },
    invoices: { type: 'string', default: '200' },
    tmp: { type: 'string', default: join(tmpdir(), 'invoice-load-bench') },
  },
});
const parts = new Set(args.only.split(','));
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const INVOICES = Number(args.invoices);
const LINES = 3;
const TMP = args.tmp;
mkdirSync(TMP, { recursive: true });
const log = (s) => process.stderr.write(s + '\n');

/**
 * Runs a child to its end: wall time (ms), exit code, stdout, and its peak RSS (MB) — from
 * GNU time when installed, else from `process.resourceUsage()` at the child's exit.
 */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
async function run(argv, { env = {}, stdout = 'pipe' } = {}) {
  const rssFile = join(TMP, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const cmd = GNU_TIME ? GNU_TIME : process.execPath;
  const cmdArgs = GNU_TIME
    ? ['-f', '%M', '-o', rssFile, process.execPath, ...argv]
    : ['--import', `data:text/javascript,process.on('exit',()=>require('node:fs').writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS)))`, ...argv];
  const t0 = performance.now();
  const child = spawn(cmd, cmdArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const ms = performance.now() - t0;
  let rssKb = NaN;
  try {
    rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    rmSync(rssFile);
  } catch {
    // no figure: left NaN
  }
  return { ms, code, out, err, rssMb: rssKb / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;

const results = {
  date: new Date().toISOString(),
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
    const parse = await run(['bench/parse-only.mjs', file]);
    const dry = await run(['bin/invoice-load.js', '--dry-run', '--json', file], { stdout: 'ignore' });
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
    targets: { ratio: 2.0, peakRssMb: 1024 },
  };
}

// ------------------------------------------------------------------------- 2. and 3. loading
const loadFile = join(TMP, `load-${INVOICES}x${LINES}.csv`);
if (parts.has('load') || parts.has('adapt') || parts.has('baseline')) await writeLoadBatch(loadFile, { invoices: INVOICES, lines: LINES });
const NEEDED = INVOICES * (1 + LINES + 1);

/** One load by the CLI into a fresh sandbox with this threshold; figures from the sandbox's own counters. */
async function load(perSecond, rate, extra = []) {
  const sandbox = await startSandbox({ port: 0, perSecond, latencyMs: 100, processDelayMs: 150 });
  const stateDir = mkdtempSync(join(TMP, 'state-'));
  try {
    const res = await run(['bin/invoice-load.js', '--json', '--quiet', '--rate', String(rate), ...extra, loadFile], {
      env: { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'bench', INVOICE_LOAD_STATE_DIR: stateDir },
    });
    const c = sandbox.state().counters;
    const report = JSON.parse(res.out);
    if (res.code !== 0) throw new Error(`load exited ${res.code}: ${res.err}`);
    const s = res.ms / 1000;
    const throttled = c.throttled.perSecond;
    return {
      threshold: perSecond,
      rate,
      seconds: r2(s),
      idealSeconds: r2(NEEDED / perSecond),
      /** Ideal time ÷ time taken: 1.0 is every strictly needed request at the threshold, nothing else. */
      ofIdeal: r3(NEEDED / perSecond / s),
      requests: c.requestsTotal,
      neededRequests: NEEDED,
      /** Requests Alma accepted per second (all of them, look-ups and polls included), against the threshold. */
      acceptedPerSecond: r1((c.requestsTotal - throttled) / s),
      ofThreshold: r3((c.requestsTotal - throttled) / s / perSecond),
      throttled,
      throttledShare: r3(throttled / c.requestsTotal),
      extraPerInvoice: r2((c.requestsTotal - NEEDED) / INVOICES),
      byStep: c.requests,
      outcome: report.summary,
    };
  } finally {
    await sandbox.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (parts.has('load')) {
  log('loading at the threshold (25/s, --rate 25)…');
  results.load = await load(25, 25);
  log(`  ${results.load.seconds} s for ${INVOICES} invoices: ${r1(results.load.ofIdeal * 100)} % of ideal, ${results.load.throttled} × 429`);
}

if (parts.has('baseline')) {
  log('sequential baseline (one request at a time, 100 ms pause after each)…');
  const sandbox = await startSandbox({ port: 0, perSecond: 25, latencyMs: 100, processDelayMs: 150 });
  try {
    const res = await run(['bench/baseline.mjs', sandbox.url, loadFile]);
    if (res.code !== 0) throw new Error(`baseline failed: ${res.err}`);
    const b = JSON.parse(res.out);
    results.baseline = { seconds: r2(res.ms / 1000), requests: b.requests, failed: b.failed, throttled: sandbox.state().counters.throttled.perSecond };
    if (results.load) results.baseline.speedup = r2(results.baseline.seconds / results.load.seconds);
  } finally {
    await sandbox.close();
  }
  log(`  ${results.baseline.seconds} s${results.baseline.speedup ? ` (the loader is ×${results.baseline.speedup} faster)` : ''}`);
}

if (parts.has('adapt')) {
  log('adaptation: threshold 10/s, --rate 25…');
  results.adapt = await load(10, 25);
  log(`  ${results.adapt.seconds} s: ${results.adapt.acceptedPerSecond}/s accepted, ${results.adapt.throttled} × 429 (${r1(results.adapt.throttledShare * 100)} %)`);
}

// ------------------------------------------------------------------------------------ report
const rowsOut = [];
const m = results.machine;
if (results.dry) {
  const d = results.dry;
  rowsOut.push(['checking', `dry run of ${(d.rows / 1e6).toFixed(d.rows >= 1e6 ? 0 : 1)}M rows (${d.fileMb} MB), median of ${d.rounds.length}`, `${d.dryS} s vs bare csv-parse ${d.parseS} s`, `×${d.ratio} (best ×${d.bestRatio})`, '≤ ×2.0']);
  rowsOut.push(['', 'peak RSS of the dry run', `${d.peakRssMb} MB`, '', '< 1024 MB']);
}
if (results.load) {
  const l = results.load;
  rowsOut.push(['loading', `${INVOICES} invoices × ${LINES} lines, threshold 25/s, 100 ms latency`, `${l.seconds} s (ideal ${l.idealSeconds} s)`, `${r1(l.ofIdeal * 100)} % of ideal`, '≥ 90 %']);
  rowsOut.push(['', 'requests accepted per second', `${l.acceptedPerSecond}/s of 25`, `${r1(l.ofThreshold * 100)} %`, '']);
  rowsOut.push(['', '429 answers', `${l.throttled} of ${l.requests}`, `${r1(l.throttledShare * 100)} %`, '< 2 %']);
  rowsOut.push(['', 'requests beyond the 5 needed per invoice', `${l.requests - l.neededRequests}`, `${l.extraPerInvoice} per invoice`, '≤ 2']);
}
if (results.baseline) {
  const b = results.baseline;
  rowsOut.push(['baseline', 'sequential, 100 ms pause after each request', `${b.seconds} s`, b.speedup ? `loader ×${b.speedup} faster` : '', '']);
}
if (results.adapt) {
  const a = results.adapt;
  rowsOut.push(['adaptation', `threshold 10/s, --rate 25`, `${a.seconds} s, ${a.acceptedPerSecond}/s accepted`, `${r1(a.ofThreshold * 100)} % of threshold`, 'near 100 %']);
  rowsOut.push(['', '429 answers', `${a.throttled} of ${a.requests}`, `${r1(a.throttledShare * 100)} %`, '']);
}
const table = [
  '| part | what | measured | ratio | target |',
  '|---|---|---|---|---|',
  ...rowsOut.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const machine = `${m.cpus} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}; ${results.date.slice(0, 16).replace('T', ' ')} UTC`;
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'out', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(ROOT, 'bench', 'out', 'latest.md'), `${table}\n\n${machine}\n`);
process.stdout.write(`\n${table}\n\n${machine}\n(bench/out/latest.json, bench/out/latest.md)\n`);
