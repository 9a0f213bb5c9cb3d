/**
 * What bench/run.mjs and bench/check.mjs share: running a child with its wall time and peak RSS,
 * and one load cell (a seeded batch loaded by the CLI into a fresh sandbox at a given latency and
 * threshold), measured against the physical ideal.
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLoadBatch } from './gen.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const r1 = (x) => Math.round(x * 10) / 10;
export const r2 = (x) => Math.round(x * 100) / 100;
export const r3 = (x) => Math.round(x * 1000) / 1000;

/**
 * Runs a child to its end: wall time (ms), exit code, stdout, and its peak RSS (MB) — from
 * GNU time when installed, else from `process.resourceUsage()` at the child's exit.
 */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
export async function run(argv, { env = {}, stdout = 'pipe', tmp } = {}) {
  const rssFile = join(tmp, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
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

const batches = new Map();
/** The batch file for these lines, written once; with its needed requests (2 + k an invoice). */
export function batchFor(lines, { tmp, invoices }) {
  const key = `${invoices}x${Array.isArray(lines) ? lines.join('-') : lines}`;
  // The promise is kept, so cells running side by side write each file once.
  if (!batches.has(key)) {
    const file = join(tmp, `load-${key}.csv`);
    batches.set(key, writeLoadBatch(file, { invoices, lines }).then(({ rows }) => ({ file, needed: 2 * invoices + rows, lines: rows })));
  }
  return batches.get(key);
}

/**
 * A sandbox in a child process (bench/sandbox-child.mjs): `{url, counters(), close()}`, the
 * counters being the sandbox's own (`state().counters`).
 */
export async function startChildSandbox(options) {
  const child = fork(join(ROOT, 'bench', 'sandbox-child.mjs'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [first] = await Promise.race([once(child, 'message'), once(child, 'exit').then(() => { throw new Error('the sandbox process ended before listening'); })]);
  const ask = async () => {
    child.send('counters');
    for (;;) {
      const [m] = await once(child, 'message');
      if (m.counters !== undefined) return m.counters;
    }
  };
  return {
    url: first.url,
    counters: ask,
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.send('close');
      await gone;
    },
  };
}

/**
 * One load by the CLI (defaults apart from `--rate`) into a fresh sandbox with this latency and
 * threshold; figures from the sandbox's own counters. `cell`: {id, row, latencyMs, threshold,
 * rate, lines (a number or a [min, max] range)}.
 */
export async function loadCell(cell, { tmp, invoices, processMs = 150, extra = [] }) {
  const batch = await batchFor(cell.lines, { tmp, invoices });
  const sandbox = await startChildSandbox({ port: 0, perSecond: cell.threshold, latencyMs: cell.latencyMs, processDelayMs: processMs });
  const stateDir = mkdtempSync(join(tmp, 'state-'));
  try {
    const res = await run(['bin/invoice-load.js', '--json', '--quiet', '--rate', String(cell.rate), ...extra, batch.file], {
      env: { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'bench', INVOICE_LOAD_STATE_DIR: stateDir },
      tmp,
    });
    const c = await sandbox.counters();
    if (res.code !== 0) throw new Error(`load ${cell.id} exited ${res.code}: ${res.err}`);
    const report = JSON.parse(res.out);
    const s = res.ms / 1000;
    const throttled = c.throttled.perSecond;
    // The physical bound: every needed request at the threshold, then the last answer's
    // latency, the processing time and one confirming read.
    const tail = (2 * cell.latencyMs + processMs) / 1000;
    const ideal = batch.needed / Math.min(cell.rate, cell.threshold) + tail;
    return {
      id: cell.id,
      row: cell.row,
      latencyMs: cell.latencyMs,
      threshold: cell.threshold,
      rate: cell.rate,
      invoices,
      lines: batch.lines,
      seconds: r2(s),
      idealSeconds: r2(ideal),
      /** Ideal time ÷ time taken. */
      ofIdeal: r3(ideal / s),
      requests: c.requestsTotal,
      neededRequests: batch.needed,
      /** Requests Alma accepted per second (all of them, look-ups and reads included), against the threshold. */
      acceptedPerSecond: r1((c.requestsTotal - throttled) / s),
      ofThreshold: r3((c.requestsTotal - throttled) / s / cell.threshold),
      throttled,
      throttledShare: r3(throttled / c.requestsTotal),
      extraPerInvoice: r2((c.requestsTotal - batch.needed) / invoices),
      byStep: c.requests,
      outcome: report.summary,
      machineLoad: loadavg().map(r2),
    };
  } finally {
    await sandbox.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

