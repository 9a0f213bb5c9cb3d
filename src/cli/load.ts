/**
 * The default command: read → validate and group → plan → (dry run: stop) → engine ⇄ target
 * → report. This is the I/O edge: files, stdin, signals, the journal's lock, the terminal.
 */
import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { readBatch } from './batch.js';
import { buildReport, type ReportDocument } from '../report/report.js';
import { renderHuman } from '../report/human.js';
import { hasErrors, validInvoices, type Plan } from '../plan/plan.js';
import { DEFAULT_POLL, runInvoices, type RunOutcome } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { acquireLock } from '../engine/lock.js';
import type { EngineEvent } from '../engine/events.js';
import { createAlmaTarget, type AlmaTarget } from '../targets/alma/target.js';
import { invoicePayload, linePayload } from '../targets/alma/payload.js';
import { startSandbox } from '../sandbox/server.js';
import { writeFileAtomic } from '../shared/fs.js';
import { stringifyJson } from '../shared/json.js';
import { UsageError } from '../shared/errors.js';

// The only target so far; Exsited and Alguna come behind the same seam.
const targetName = 'alma';

export async function runLoad(cfg: Config, term: Terminal): Promise<number> {
  const plan = await readBatch(cfg.files, { encoding: cfg.encoding, stdin: process.stdin });


  const blocked = hasErrors(plan) && (!cfg.skipInvalid || plan.issues.some((p) => p.severity === 'error'));
  if (cfg.dryRun || blocked || validInvoices(plan).length === 0) {
    const report = buildReport({ target: targetName, dryRun: cfg.dryRun, plan, requests: 0 });
    emitReport(cfg, term, report, plan);
    if (!cfg.dryRun && blocked && !cfg.quiet) {
      process.stderr.write(
        term.errStyle.red('Nothing was sent: fix the problems above') +
          (plan.issues.some((p) => p.severity === 'error')
            ? ' (problems that cannot be tied to one invoice stop the whole batch, even with --skip-invalid).\n'
            : ', or pass --skip-invalid to load the valid invoices only.\n'),
      );
    }
    return exitCodeForReport(report, { sent: false });
  }
  return load(cfg, term, plan);
}

async function load(cfg: Config, term: Terminal, plan: Plan): Promise<number> {
  const target = cfg.target!;
  const progress = createProgress({ stream: process.stderr, interactive: term.interactive && !cfg.quiet, quiet: cfg.quiet, verbose: cfg.verbose, style: term.errStyle });
  const soft = new AbortController(); // first Ctrl-C: no new work
  const hard = new AbortController(); // second Ctrl-C: abandon requests in flight
  const cleanups: (() => Promise<void> | void)[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!soft.signal.aborted) {
      soft.abort();
      progress.info(term.errStyle.yellow(`${signal}: finishing the requests in flight, then stopping (again to stop at once)`));
    } else {
      hard.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cleanups.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  let alma: AlmaTarget | undefined;
  let journal: Journal | undefined;
  let outcome!: RunOutcome; // assigned in the try; an exception skips every use below
  try {
    let baseUrl: string | undefined;
    let apiKey: string;
    if (target.kind === 'sandbox') {
      // The in-process sandbox keeps its state beside the journals, so a re-run sees what an earlier run created.
      const sandbox = await startSandbox({ port: 0, statePath: target.statePath, latencyMs: 0 });
      cleanups.push(() => sandbox.close());
      baseUrl = sandbox.url;
      apiKey = 'sandbox';
      progress.info(term.errStyle.dim(`loading into the embedded sandbox (state in ${target.statePath})`));
    } else {
      baseUrl = target.baseUrl;
      apiKey = 'file' in target.apiKeySource ? readKeyFile(target.apiKeySource.file) : (process.env.ALMA_API_KEY ?? '');
    }
    const emit = (e: EngineEvent): void => progress.onEvent(e);
    alma = createAlmaTarget({
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(target.kind === 'alma' && target.region !== undefined ? { region: target.region } : {}),
      apiKey,
      rate: cfg.rate,
      timeoutMs: cfg.timeoutMs,
      maxRetries: cfg.maxRetries,
      signal: hard.signal,
      onEvent: (event) => emit({ type: 'target', event }),
    });
    cleanups.push(() => alma?.close());

    // The in-process sandbox listens on a new port each run; its identity is its state file.
    const endpoint = target.kind === 'sandbox' ? `sandbox:${target.statePath}` : alma.endpoint;
    const journalPath = join(cfg.stateDir, 'journals', `${targetName}-${hash(endpoint)}-${plan.batchId}.jsonl`);
    mkdirSync(join(cfg.stateDir, 'journals'), { recursive: true });
    const release = acquireLock(journalPath + '.lock');
    cleanups.push(release);
    journal = Journal.open({ path: journalPath, target: targetName, endpoint, batch: plan.batchId, sync: cfg.fsync });
    cleanups.push(() => journal?.close());
    if (cfg.verbose) progress.info(term.errStyle.dim(`journal: ${journalPath}`));

    outcome = await runInvoices(validInvoices(plan), {
      target: alma,
      journal,
      concurrency: cfg.concurrency,
      emit,
      stopSignal: soft.signal,
      sleep: (ms) => delay(ms, undefined, { signal: hard.signal }).catch(() => undefined),
      poll: { ...DEFAULT_POLL, timeoutMs: cfg.pollTimeoutMs, unknownMs: Math.min(DEFAULT_POLL.unknownMs, cfg.pollTimeoutMs) },
      maxWriteAttempts: 3,
    });
  } finally {
    progress.stop();
    for (const c of cleanups.reverse()) await c();
  }
  const report = buildReport({
    target: targetName,
    dryRun: false,
    plan,
    results: outcome.results,
    requests: alma?.requestCount() ?? 0,
    stopped: outcome.stopped?.reason,
  });
  emitReport(cfg, term, report, plan);
  return exitCodeForReport(report, { sent: true });
}

function emitReport(cfg: Config, term: Terminal, report: ReportDocument, plan: Plan): void {
  if (cfg.reportPath) writeFileAtomic(cfg.reportPath, JSON.stringify(report, null, 2) + '\n');
  if (cfg.json) {
    const doc = cfg.showPayloads ? withPayloads(report, plan) : report;
    process.stdout.write(stringifyJson(doc, 2) + '\n');
    return;
  }
  process.stdout.write(renderHuman(report, term.outStyle));
  if (cfg.showPayloads) {
    for (const inv of validInvoices(plan)) {
      process.stdout.write(`\n# ${inv.key.vendor} ${inv.key.number}: POST /almaws/v1/acq/invoices\n${stringifyJson(invoicePayload(inv), 2)}\n`);
      for (const line of inv.lines) {
        process.stdout.write(`# line ${line.number}: POST /almaws/v1/acq/invoices/{id}/lines\n${stringifyJson(linePayload(line), 2)}\n`);
      }
    }
  }
}

function withPayloads(report: ReportDocument, plan: Plan): unknown {
  const byKey = new Map(validInvoices(plan).map((inv) => [`${inv.key.vendor}\u0000${inv.key.number}`, inv]));
  return {
    ...report,
    invoices: report.invoices.map((r) => {
      const inv = byKey.get(`${r.vendor}\u0000${r.number}`);
      return inv ? { ...r, payload: { invoice: invoicePayload(inv), lines: inv.lines.map(linePayload) } } : r;
    }),
  };
}

function readKeyFile(path: string): string {
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read the API key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (key === '') throw new UsageError(`the API key file ${path} is empty`);
  return key;
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
