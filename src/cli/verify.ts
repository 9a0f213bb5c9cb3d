/**
 * `invoice-load verify <files...>`: reads only. For each invoice of a batch already loaded, finds
 * it in the target (the id this batch's journal recorded, else a look-up by vendor and number),
 * reads it back in full and compares it with what the batch says — the canary's comparison
 * (engine/canary.ts; Alma's targets/alma/compare.ts, Exsited's custom attributes), for every
 * invoice. `--target` as for a load; a target without `readBack` cannot be verified. Nothing is
 * written: not even the journal, which is only read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { outputClaim, type Config } from './config.js';
import type { Terminal } from './terminal.js';
import { readBatch } from './batch.js';
import { batchStoppers } from '../plan/plan.js';
import { readKeyFile, stoppersClause } from './load.js';
import { journalPath as journalPathOf } from './journals.js';
import { readMappingProfile } from './mapping-command.js';
import { openTarget } from './open-target.js';
import { onStopSignals } from './interrupts.js';
import { foldJournal, parseJournal } from '../engine/journal.js';
import { stopDetail, stopMessage, type StopDetail } from '../engine/events.js';
import { keyString, type Invoice } from '../domain/model.js';
import { targetNamed } from '../targets/registry.js';
import { adoptable } from '../targets/matches.js';
import { WithdrawnInvoiceError } from '../targets/target.js';
import { ApiError, runStopOf, UsageError } from '../common/errors.js';
import { buildVerifyReport, readBackStatus, renderVerify, shownVerifyReport, verifyExitCode, type VerifyInvoice, type VerifyReport } from '../report/verify.js';
import { writeOutputFile } from '../common/fs.js';
import { writeJson } from '../common/json.js';
import { checkReportPath } from './outputs.js';

/**
 * What verify says of an invoice whose read failed with `err`. Not found — Alma's 412400, a 400
 * with a code (docs/alma.md#errors-error-codes-and-alerts); the other targets' 404 — for the id
 * this batch's journal recorded: `missing`, the invoice the journal says was loaded is not in the
 * target now (deleted there, or the journal is of another environment). For an id a look-up just
 * gave: `not_found`. Anything else — 412400 in Alma's error document under a 2xx too — `failed`,
 * with the target's code and words.
 */
export function unreadInvoice(err: ApiError, target: string, label: string, journaled: string | undefined, id: string | undefined): Pick<VerifyInvoice, 'status' | 'id' | 'error'> {
  // Never from an error document under a 2xx (`inSuccess`): no proof of absence, the read failed (docs/alma.md#errors-error-codes-and-alerts).
  const notFound = !err.inSuccess && (target === 'alma' ? err.code === '412400' : err.httpStatus === 404);
  if (notFound && journaled !== undefined && id === journaled) {
    return {
      status: 'missing',
      id,
      error: {
        code: err.code,
        message: `missing in ${label}: this batch's journal recorded it as loaded (id ${id}), but ${label} holds no such invoice now (${err.code}: ${err.message}) — deleted there, or the journal is of another ${label}; load the batch again to create it anew`,
      },
    };
  }
  if (notFound) return { status: 'not_found' };
  return { status: 'failed', ...(id !== undefined ? { id } : {}), error: { code: err.code, message: err.message } };
}

/**
 * What verify says of an invoice the target holds only as deleted or withdrawn
 * (`RemoteInvoice.withdrawn`: Exsited `DELETED` or `VOID`, Alguna `void` or `canceled`): `missing`, as one
 * gone altogether — it was loaded and is no longer the vendor's invoice there — with a message
 * that says it was deleted or voided in the target, not compared field by field.
 */
export function withdrawnInvoice(err: WithdrawnInvoiceError, label: string, id: string): Pick<VerifyInvoice, 'status' | 'id' | 'error'> {
  const shown = err.status !== undefined ? ` (${label} shows it ${err.status})` : '';
  return {
    status: 'missing',
    id,
    error: {
      code: 'WITHDRAWN',
      message: `withdrawn in ${label}: the invoice (id ${id}) was deleted or voided in ${label} since it was loaded${shown}; its fields were not compared — load the batch again to create it anew, or take it out of the file`,
    },
  };
}

export async function runVerify(cfg: Config, term: Terminal): Promise<number> {
  checkReportPath(cfg);
  const definition = targetNamed(cfg.targetName);
  const profile = definition.profile();
  const mapping = cfg.mappingPath !== undefined ? readMappingProfile(cfg.mappingPath, cfg.mappingPath) : undefined;
  const plan = await readBatch(cfg.files, { encoding: cfg.encoding, stdin: process.stdin, mapping, rules: profile.rules(process.cwd()), sheet: cfg.sheet });
  // A problem of a file, not of one invoice (a header with a column twice, a file not read whole,
  // one with no vendor column), stops the whole batch as it stops a load (plan.ts
  // batchStoppers): no load sent this batch as it reads now, so nothing is looked up — the file's
  // problems are said, every invoice is `invalid` (not looked up), exit 3 (README "invoice-load
  // verify"). Before, the invoices were read back and one that differed made it exit 4.
  const stoppers = batchStoppers(plan);
  if (stoppers.length > 0) {
    const out: VerifyInvoice[] = plan.entries.map((e) => ({ vendor: e.key.vendor, number: e.key.number, status: 'invalid', differences: [], issues: e.problems, rows: e.rows }));
    const report: VerifyReport = shownVerifyReport({ ...buildVerifyReport(profile.name, out, plan.issues, 0), ...(cfg.target?.kind === 'sandbox' ? { sandbox: true } : {}) });
    emitVerify(cfg, term, report);
    process.stderr.write(term.errStyle.red(`Nothing was looked up: ${cfg.json ? 'fix the problems listed in the report (its issues)' : 'fix the problems above'} (${stoppersClause(stoppers)} the whole batch).`) + '\n');
    return verifyExitCode(report);
  }
  const hard = new AbortController();
  setMaxListeners(0, hard.signal);
  // Ctrl-C, SIGTERM (cron, `timeout`) or SIGHUP: the reads in flight are abandoned at the first —
  // nothing is written, so nothing is lost — and the report says so, exit 130 (README "Exit codes").
  let signalled: NodeJS.Signals | undefined;
  const stopListening = onStopSignals((signal) => {
    signalled ??= signal;
    hard.abort();
  });
  const info = (line: string): void => {
    if (!cfg.quiet) process.stderr.write(term.errStyle.dim(line) + '\n');
  };
  // A stop (unreachable, key refused, daily threshold) ends the other invoices' retries too.
  const halt = new AbortController();
  let opened: Awaited<ReturnType<typeof openTarget>>;
  try {
    opened = await openTarget(definition, cfg, { signal: hard.signal, halt: halt.signal, onEvent: () => undefined, info, env: process.env, readKeyFile, purpose: 'verify' });
  } catch (err) {
    // Not opened (a key file missing, a sandbox's state unreadable): the command ends here, and
    // its listeners with it, as the finally below removes them once it is open.
    stopListening();
    throw err;
  }
  const out: VerifyInvoice[] = [];
  let stopped: string | undefined;
  let detail: StopDetail | undefined;
  try {
    const target = opened.target;
    const readBack = target.readBack;
    if (readBack === undefined) {
      throw new UsageError(`verify cannot check ${profile.label}: it reads each invoice back to compare it with the batch, and the ${profile.label} target has no read-back (see the README, "invoice-load verify")`);
    }
    // The ids this batch's journal recorded, read only (a run in progress may hold its lock).
    const journalPath = journalPathOf(cfg.stateDir, opened.journalName, opened.endpoint, plan.batchId);
    const ids = new Map<string, string>();
    if (existsSync(journalPath)) {
      const { entries } = parseJournal(readFileSync(journalPath, 'utf8'), { endpoint: opened.endpoint, batch: plan.batchId }, journalPath);
      for (const [k, st] of foldJournal(entries)) if (st.id !== undefined) ids.set(k, st.id);
    }
    const one = async (inv: Invoice): Promise<VerifyInvoice> => {
      const base = { vendor: inv.key.vendor, number: inv.key.number, differences: [], issues: [], rows: inv.rows };
      const journaled = ids.get(keyString(inv.key));
      let id = journaled;
      try {
        if (id === undefined) {
          const found = await target.findInvoices(inv.key, { fresh: true, invoice: inv });
          // The one a load adopts (targets/matches.ts).
          id = adoptable(found)[0]?.id;
        }
        if (id === undefined) return { ...base, status: 'not_found' };
        const differences = await readBack(id, inv);
        return { ...base, id, status: readBackStatus(differences), differences };
      } catch (err) {
        if (err instanceof WithdrawnInvoiceError && id !== undefined) return { ...base, ...withdrawnInvoice(err, profile.label, id) };
        if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
        return { ...base, ...unreadInvoice(err, profile.name, profile.label, journaled, id) };
      }
    };
    const entries = plan.entries;
    const results = new Array<VerifyInvoice>(entries.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < entries.length; i = next++) {
        const e = entries[i]!;
        results[i] = e.invoice === undefined ? { vendor: e.key.vendor, number: e.key.number, status: 'invalid', differences: [], issues: e.problems, rows: e.rows } : await one(e.invoice);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(cfg.concurrency, 8)) }, worker));
    } catch (err) {
      // A signal aborts the reads in flight (`hard`): a stop like the others, exit 130 (README "Exit
      // codes (for cron)"), not an internal error for the abort it caused.
      if (hard.signal.aborted && runStopOf(err) === undefined) {
        stopped = 'interrupted';
        halt.abort(err);
        process.stderr.write(term.errStyle.red(`invoice-load verify: interrupted (${signalled === 'SIGINT' || signalled === undefined ? 'Ctrl-C' : signalled})`) + '\n');
      } else {
        const reason = runStopOf(err);
        if (reason === undefined) throw err;
        stopped = reason;
        // What the load's report keeps of the stop (`stop_detail`): a gateway down is "later", not "the address".
        detail = stopDetail(reason, err);
        halt.abort(err);
        // The load's words for the same stop (engine/events.ts).
        process.stderr.write(term.errStyle.red(`invoice-load verify: ${stopMessage(reason, err, profile.label)}`) + '\n');
      }
    }
    for (let i = 0; i < entries.length; i++) if (results[i] !== undefined) out.push(results[i]!);
  } finally {
    stopListening();
    await opened.close();
  }
  const report: VerifyReport = shownVerifyReport({ ...buildVerifyReport(profile.name, out, plan.issues, opened.requestCount(), stopped, detail), ...(cfg.target?.kind === 'sandbox' ? { sandbox: true } : {}) });
  emitVerify(cfg, term, report);
  return stopped === 'auth' ? 5 : verifyExitCode(report);
}

/** The report: `--report`'s file, and `--json`'s document or the table on standard output. */
function emitVerify(cfg: Config, term: Terminal, report: VerifyReport): void {
  if (cfg.reportPath !== undefined) {
    writeOutputFile(
      cfg.reportPath,
      (write) => {
        writeJson(report, 2, write, { plain: true });
        write('\n');
      },
      { claim: outputClaim(cfg, cfg.reportPath) },
    );
  }
  if (cfg.json) {
    writeJson(report, 2, (t) => process.stdout.write(t), { plain: true });
    process.stdout.write('\n');
  } else process.stdout.write(renderVerify(report, term.outStyle));
}
