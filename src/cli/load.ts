/**
 * The default command: read → validate and group → plan → (dry run: stop) → engine ⇄ target
 * → report. This is the I/O edge: files, stdin, signals, the journal's lock, the terminal.
 */
import { setMaxListeners } from 'node:events';
import { isAbsolute, join, relative } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from './config.js';
import type { Terminal } from './terminal.js';
import { createProgress } from './progress.js';
import { exitCodeForReport } from './exit.js';
import { readBatch, scanBatch } from './batch.js';
import { readMappingProfile } from './mapping-command.js';
import type { MappingProfile } from '../input/mapping/profile.js';
import { runOnlineDryRun } from './preflight.js';
import { buildReport, dryRunReport, reportInvoice, type ReportDocument } from '../report/report.js';
import { renderHuman } from '../report/human.js';
import { hasErrors, validInvoices, type Plan } from '../plan/plan.js';
import { DEFAULT_POLL, runInvoices, type RunOutcome } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { acquireLock } from '../engine/lock.js';
import type { EngineEvent } from '../engine/events.js';
import { createAlmaTarget, type AlmaTarget } from '../targets/alma/target.js';
import { profileOf } from '../targets/profiles.js';
import type { Target } from '../targets/target.js';
import { openOtherTarget, voidJournal, type OpenedTarget } from './open-target.js';
import { startSandbox } from '../sandbox/server.js';
import { writeFileAtomic } from '../shared/fs.js';
import { writeReportFiles } from './report-files.js';
import { stringifyJson, writeJson } from '../shared/json.js';
import { UsageError } from '../shared/errors.js';

export async function runLoad(cfg: Config, term: Terminal): Promise<number> {
  // Alma, or Exsited/Alguna (--target, issue #6): the same pipeline; the profile gives the
  // target's rules, the report's child items and the payloads.
  const profile = profileOf(cfg.targetName, cfg.action);
  const targetName = profile.name;
  const rules = profile.rules(process.cwd());
  // A bad profile stops the run before any input file is read (exit 2, every problem listed).
  const mapping = cfg.mappingPath !== undefined ? readMappingProfile(cfg.mappingPath, shownPath(cfg.mappingPath)) : undefined;
  if (cfg.dryRun && cfg.online !== true && !cfg.showPayloads) return offlineDryRun(cfg, term, mapping);
  const plan = await readBatch(cfg.files, { encoding: cfg.encoding, stdin: process.stdin, mapping, rules });


  // --dry-run --online: the offline checks above, then read-only look-ups in the target.
  if (cfg.dryRun && cfg.online === true) return runOnlineDryRun(cfg, term, plan, { emitReport, readKeyFile });
  const blocked = hasErrors(plan) && (!cfg.skipInvalid || plan.issues.some((p) => p.severity === 'error'));
  if (cfg.dryRun || blocked || validInvoices(plan).length === 0) {
    const report = buildReport({ target: targetName, dryRun: cfg.dryRun, plan, requests: 0, lineKeys: profile.lineKeys, action: cfg.action?.kind });
    emitReport(cfg, term, report, plan);
    if (!cfg.dryRun && blocked) {
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

/**
 * The plain dry run streams: each invoice becomes its report line as soon as it is checked, and
 * the built invoice is dropped. A million-row file then needs memory for its report, not for
 * 100k invoices, and no batch id is computed (nothing is journaled). Same report as a plan gives.
 */
async function offlineDryRun(cfg: Config, term: Terminal, mapping: MappingProfile | undefined): Promise<number> {
  const profile = profileOf(cfg.targetName, cfg.action);
  const { entries, issues } = await scanBatch(cfg.files, { encoding: cfg.encoding, stdin: process.stdin, mapping, rules: profile.rules(process.cwd()) }, (g) =>
    reportInvoice(g, undefined, true, profile.lineKeys),
  );
  const report = dryRunReport(profile.name, entries, issues, cfg.action?.kind);
  emitReport(cfg, term, report);
  return exitCodeForReport(report, { sent: false });
}

async function load(cfg: Config, term: Terminal, plan: Plan): Promise<number> {
  const profile = profileOf(cfg.targetName, cfg.action);
  const progress = createProgress({
    stream: process.stderr,
    interactive: term.interactive && !cfg.quiet,
    quiet: cfg.quiet,
    verbose: cfg.verbose,
    style: term.errStyle,
    targetLabel: profile.label,
    statusWords: cfg.action?.kind === 'cancel' ? { loaded: 'cancelled', already_loaded: 'already cancelled' } : cfg.action?.kind === 'reactivate' ? { loaded: 'reactivated', already_loaded: 'already active' } : undefined,
  });
  const soft = new AbortController(); // first Ctrl-C: no new work
  const hard = new AbortController(); // second Ctrl-C: abandon requests in flight
  // Every request in flight and every limiter wait listens on these; more than Node's default 10 is normal here.
  setMaxListeners(0, soft.signal, hard.signal);
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
  // Exsited or Alguna (open-target.ts); Alma is opened here as before.
  let other: OpenedTarget | undefined;
  let journal: Journal | undefined;
  let outcome!: RunOutcome; // assigned in the try; an exception skips every use below
  try {
    const emit = (e: EngineEvent): void => progress.onEvent(e);
    let runTarget: Target;
    let endpoint: string;
    let journalName: string = profile.name;
    if (profile.name !== 'alma') {
      other = await openOtherTarget(cfg, {
        signal: hard.signal,
        onEvent: (event) => emit({ type: 'target', event }),
        info: (line) => progress.info(term.errStyle.dim(line)),
        env: process.env,
      });
      cleanups.push(() => other?.close());
      runTarget = other.target;
      endpoint = other.endpoint;
      journalName = other.journalName;
    } else {
      const target = cfg.target!;
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
      endpoint = target.kind === 'sandbox' ? `sandbox:${target.statePath}` : alma.endpoint;
      runTarget = alma;
    }
    const journalFile = (name: string): string => join(cfg.stateDir, 'journals', `${name}-${hash(endpoint)}-${plan.batchId}.jsonl`);
    const journalPath = journalFile(journalName);
    mkdirSync(join(cfg.stateDir, 'journals'), { recursive: true });
    // An action voids the opposite action's journal of this batch (open-target.ts voidJournal).
    if (other?.opposite !== undefined) voidJournal(journalFile(other.opposite));
    const release = acquireLock(journalPath + '.lock');
    cleanups.push(release);
    journal = Journal.open({ path: journalPath, target: profile.name, endpoint, batch: plan.batchId, sync: cfg.fsync });
    cleanups.push(() => journal?.close());
    if (cfg.verbose) progress.info(term.errStyle.dim(`journal: ${journalPath}`));

    outcome = await runInvoices(validInvoices(plan), {
      target: runTarget,
      journal,
      concurrency: cfg.concurrency,
      emit,
      stopSignal: soft.signal,
      // The engine only sleeps between reads of an invoice being processed: the first Ctrl-C ends that wait.
      sleep: (ms) => delay(ms, undefined, { signal: soft.signal }).catch(() => undefined),
      poll: { ...DEFAULT_POLL, timeoutMs: cfg.pollTimeoutMs, unknownMs: Math.min(DEFAULT_POLL.unknownMs, cfg.pollTimeoutMs) },
      maxWriteAttempts: 3,
    });
  } finally {
    progress.stop();
    for (const c of cleanups.reverse()) await c();
  }
  const report = buildReport({
    target: profile.name,
    dryRun: false,
    plan,
    results: outcome.results,
    requests: alma?.requestCount() ?? other?.requestCount() ?? 0,
    stopped: outcome.stopped?.reason,
    lineKeys: profile.lineKeys,
    action: cfg.action?.kind,
  });
  emitReport(cfg, term, report, plan);
  return exitCodeForReport(report, { sent: true });
}

/** `plan` is needed for `--show-payloads` only. */
function emitReport(cfg: Config, term: Terminal, report: ReportDocument, plan?: Plan): void {
  if (cfg.reportPath) {
    try {
      writeFileAtomic(cfg.reportPath, JSON.stringify(report, null, 2) + '\n');
    } catch (err) {
      // A path mistake (a directory, a missing or read-only folder), not a bug: exit 2. The journal
      // already holds what was done, so a re-run sends nothing and only writes the file.
      throw new UsageError(`cannot write the report to ${cfg.reportPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  writeReportFiles(cfg, report);
  if (cfg.json) {
    const doc = cfg.showPayloads && plan !== undefined ? withPayloads(report, plan, cfg) : report;
    // In pieces: the report of a million-row file is 100+ MB of JSON.
    // Report documents are plain data (test/shared/write-json.test.ts); payloads are not.
    writeJson(doc, 2, (text) => process.stdout.write(text), { plain: doc === report });
    process.stdout.write('\n');
    return;
  }
  process.stdout.write(renderHuman(report, term.outStyle, { width: term.outColumns, quiet: cfg.quiet }));
  if (cfg.showPayloads && plan !== undefined) {
    for (const inv of validInvoices(plan)) {
      profileOf(cfg.targetName, cfg.action).preview(inv).forEach((p, i) => {
        const heading = i === 0 ? `\n# ${inv.key.vendor} ${inv.key.number}: ${p.heading}` : `# ${p.heading}`;
        process.stdout.write(`${heading}\n${stringifyJson(p.body, 2)}\n`);
      });
    }
  }
}

function withPayloads(report: ReportDocument, plan: Plan, cfg?: Config): unknown {
  const profile = profileOf(cfg?.targetName, cfg?.action);
  const byKey = new Map(validInvoices(plan).map((inv) => [`${inv.key.vendor}\u0000${inv.key.number}`, inv]));
  return {
    ...report,
    invoices: report.invoices.map((r) => {
      const inv = byKey.get(`${r.vendor}\u0000${r.number}`);
      return inv ? { ...r, payload: profile.payloads(inv) } : r;
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

/** A path as the user probably typed it: relative when under the working directory. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
