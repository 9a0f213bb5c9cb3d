/**
 * What `payments` and `export` share at the edge: the Alma client (or the embedded sandbox) with
 * the load's transport settings, a journal under its lock, Ctrl-C, and the report's output.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { outputClaim, type Config } from './config.js';
import { readKeyFile } from './load.js';
import type { Journal } from '../engine/journal.js';
import type { OpResult, OpRunOptions, OpState } from '../engine/operations.js';
import { resultLine, type Terminal } from './terminal.js';
import { safe } from '../report/human.js';
import { listenForInterrupts } from './interrupts.js';
import { claimedElsewhere, openLockedJournal, type ClaimedElsewhere } from './journals.js';
import type { InvoiceKey } from '../domain/model.js';
import type { LockInfo } from '../engine/lock.js';
import { createAlmaErp, type AlmaErp } from '../targets/alma/erp.js';
import { almaPlace, type AlmaSettings } from '../targets/alma/index.js';
import { renderLifecycle, shownLifecycleReport, type LifecycleReport } from '../report/lifecycle.js';
import { maskMessage } from '../common/shown-secrets.js';
import { writeOutputFile } from '../common/fs.js';
import { InterruptedError, isAbort, UsageError } from '../common/errors.js';
import { exitAfterOutputs, unwrittenReason, withRunFields, type ExitAfterOutputsOpts } from './outputs.js';

export interface Session {
  erp: AlmaErp;
  /** The journal's identity of the place: the origin, or the sandbox's state file. */
  endpoint: string;
  /**
   * `runOperations`' settings for this journal, the same for every command: at most 8 at once,
   * Ctrl-C, a progress line a row on stderr (`done` says what a row that was sent became), and a
   * stop for Alma's sake (unreachable, key refused, daily threshold) said at once, with the
   * client sending nothing after it.
   */
  runOptions(journal: Journal, done: (r: OpResult<OpState>) => string): OpRunOptions;
  /** The same pace and stop for reads before any write (engine/operations.ts `readEach`). */
  readOptions: Pick<OpRunOptions, 'concurrency' | 'stopSignal' | 'onStop' | 'halt'>;
  info(line: string): void;
  /** Opens this command's journal (one per endpoint and `name`), under its lock. */
  journal(kind: string, name: string): Journal;
  /**
   * Claims `keys` for the journal `kind`/`name` this run opened, against the live runs of the
   * other journals of that kind at this place (another export file, another payments file):
   * the invoices of `keys` one of them claims, by run (journals.ts claimedElsewhere). Each
   * journal's lock covers one file only; this keeps two files naming one invoice apart.
   */
  claim(kind: string, name: string, keys: readonly InvoiceKey[]): ClaimedElsewhere[];
}

/** Runs `fn` with the client open, then closes everything, whatever happens. */
export async function withSession<T>(cfg: Config, term: Terminal, fn: (s: Session) => Promise<T>): Promise<T> {
  const info = (line: string): void => {
    if (!cfg.quiet) process.stderr.write(term.errStyle.dim(line) + '\n');
  };
  const signals = listenForInterrupts((line) => process.stderr.write(term.errStyle.yellow(line) + '\n'));
  const cleanups: (() => Promise<void> | void)[] = [signals.dispose];
  try {
    const target = cfg.target as AlmaSettings | undefined;
    if (target === undefined || cfg.targetName !== 'alma') throw new UsageError('export and payments talk to Alma: say where it is with --sandbox, --alma-url, --region or ALMA_API_URL');
    // The same place as a load: the embedded sandbox (state beside the journals) or Alma with its key.
    const place = await almaPlace(target, { info, env: process.env, readKeyFile }, 'check');
    cleanups.push(() => place.close());
    if (target.kind === 'sandbox') info(`using ${place.where}`);
    const halt = new AbortController();
    const erp = createAlmaErp({ ...place.client, rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal: signals.hard, stop: signals.soft, halt: halt.signal, proxy: cfg.proxy });
    cleanups.push(() => erp.close());
    const endpoint = target.kind === 'sandbox' ? `sandbox:${target.statePath}` : erp.endpoint;
    const heldLocks = new Map<string, LockInfo>();
    const journal = (kind: string, name: string): Journal => {
      const { journal: j, path, held } = openLockedJournal({ stateDir: cfg.stateDir, name: kind, endpoint, batch: name, target: 'alma', fsync: cfg.fsync }, cleanups);
      heldLocks.set(`${kind}\u0000${name}`, held);
      if (cfg.verbose) info(`journal: ${path}`);
      return j;
    };
    const readOptions: Session['readOptions'] = {
      concurrency: Math.min(cfg.concurrency, 8),
      stopSignal: signals.soft,
      onStop: (_reason, message) => process.stderr.write(term.errStyle.red(message) + '\n'),
      halt: (reason) => halt.abort(reason),
    };
    const runOptions: Session['runOptions'] = (j, done) => ({
      ...readOptions,
      journal: j,
      maxWriteAttempts: 3,
      // An operation Alma accepted is read until it shows, as long as a load waits for processing (--poll-timeout).
      confirm: { timeoutMs: cfg.pollTimeoutMs, sleep: (ms) => sleep(ms, undefined, { signal: signals.soft }) },
      onResult: (r, n, total) => {
        const word = r.status === 'done' ? done(r) : r.status.replace('_', ' ');
        if (!cfg.quiet) process.stderr.write(resultLine(term, `[${n}/${total}] ${safe(r.key.vendor)} ${safe(r.key.number)}: ${safe(word)}${r.error ? ` — ${safe(r.error.code)}: ${safe(maskMessage(r.error.message))}` : ''}`));
      },
    });
    const claim: Session['claim'] = (kind, name, keys) => {
      const held = heldLocks.get(`${kind}\u0000${name}`);
      if (held === undefined) throw new Error(`claim before the journal ${kind} ${name} is open`);
      return claimedElsewhere({ stateDir: cfg.stateDir, name: kind, endpoint, batch: name }, held, keys, cleanups);
    };
    try {
      return await fn({ erp, endpoint, runOptions, readOptions, info, journal, claim });
    } catch (err) {
      // A second Ctrl-C abandons the requests in flight: a read outside the journaled operations
      // (export's listing and reads before its file, payments' look-ups) then ends in the
      // platform's AbortError, which is the interrupt the person asked for, not a bug (README
      // "Exit codes": 130). Whatever was sent is journaled; the same command finishes it.
      if (signals.hard.aborted && isAbort(err)) throw new InterruptedError('stopped at once (Ctrl-C twice) before the report could be made; what was sent is in the journal: run the same command again to finish');
      throw err;
    }
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

/**
 * Writes the report file (`--report`) and prints the summary or `--json` document; returns the
 * exit code to end with. A report file that cannot be written is exit 2 only while nothing was
 * sent; once Alma was asked, the run's own code stands (outputs.ts exitAfterOutputs, README
 * "Exit codes"), as for a load, and `opts` (outputs.ts `sentOpts`) says whether marks or
 * payments were written or none. `closing`: a line said on stderr after the summary or document
 * (payments: why nothing was sent), before an unwritable report ends the run — whose usage
 * error (nothing sent) would otherwise leave it unsaid.
 */
export function emitLifecycleReport(cfg: Config, term: Terminal, bare: LifecycleReport, code: number, opts: ExitAfterOutputsOpts, closing?: string): number {
  // The run's fields a load's report has too (version, started, finished, duration_s, inputs).
  // export reads no file (its output stands in cfg.files for the checks of paths).
  const report = shownLifecycleReport(withRunFields(bare, bare.command === 'export' ? { ...cfg, files: [] } : cfg, cfg.startedAt ?? new Date(), new Date()));
  const unwritten: string[] = [];
  if (cfg.reportPath !== undefined) {
    try {
      writeOutputFile(cfg.reportPath, JSON.stringify(report, null, 2) + '\n', { claim: outputClaim(cfg, cfg.reportPath) });
    } catch (err) {
      unwritten.push(`cannot write the report to ${cfg.reportPath}: ${unwrittenReason(cfg.reportPath, err)}`);
    }
  }
  // Nothing sent (a dry run): exit 2 all the same (exitAfterOutputs), with the document on
  // standard output as usual, as README "Exit codes" says of a report found unwritable only after
  // the checks and a load's dry run does.
  if (cfg.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(renderLifecycle(report, term.outStyle, { quiet: cfg.quiet, width: term.outColumns, ascii: term.ascii }));
  if (closing !== undefined) process.stderr.write(closing);
  return exitAfterOutputs(term, cfg, code, unwritten, opts);
}
