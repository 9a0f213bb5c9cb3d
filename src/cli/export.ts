/**
 * `invoice-load export [--status S] [--mark-in-erp] -o <file>`: the hand-over to the finance
 * system (BLOG-ERP, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): the invoices in a workflow status (default
 * `Waiting to be Sent`, "Ready to be Paid" in the UI) written to a CSV or JSON file, one row per
 * line and fund distribution; then, with `--mark-in-erp`, each marked `op=mark_in_erp`.
 *
 * Exactly once under kills:
 * - nothing is marked before the file is durably written (temporary file, fsync, rename): a kill
 *   before that leaves every invoice unmarked, and the next run lists them again;
 * - the journal records each invoice of a written file, under the run that wrote it, before its
 *   mark; a re-run writes those not yet marked into its file again (with the ones newly
 *   waiting), and every invoice of a run that did not end (killed, stopped) — marked or not —
 *   whose file is still in place, since its file is replaced: the file in place always holds
 *   every invoice whose mark may have been sent, and none a finished run handed over (a run is
 *   finished when its hand-over record says `ended`, which comes before its `batch_done`);
 * - an invoice counted as handed over in a file that was put in place and is gone since (finance
 *   took it) — every one of a run cut short, each whose mark may have been sent of one that
 *   ended — is never written into another file: the next run only confirms its mark;
 * - the hand-over record of a file is journaled before the file is renamed into place: a kill at
 *   any point leaves the file in place named by a record (refuseToReplace reads them all);
 *   it lists the file's invoices and carries, and names the run's own temporary file: killed
 *   between the rename and their entries (temporary file gone), the next run journals them
 *   (journalRenamed), so none is written into a second file once finance took the first;
 * - two runs to two files (two journals, two locks) are kept apart by claims, as two loads are
 *   (README "One run per invoice at a time"): an invoice a live run claims is left to it;
 * - an invoice in another file put in place by a marking run cut short and not finished since
 *   is held by that file (heldByCutShort), live run or not: left out of this file and its marks,
 *   and named with the command that finishes that file — a run to a new name (README's dated
 *   files) would otherwise hand it over in a second file;
 * - an invoice seen marked that a read by id shows waiting to be sent again (finance rejected it,
 *   it was approved again) starts a new round under a key of its own (REOPEN, currentKey): it is
 *   written into the next file and marked again, and named in a warning; so does one whose mark
 *   was only sent (accepted, or its answer lost) when this loader's payments rejected it after
 *   that mark left and saw the rejection take effect (rejectedSince);
 * - the journal's key is the invoice's id as well as its number: an institution with
 *   `invoice_not_unique=true` holds one number twice, and each is marked;
 * - each mark is the operations runner's: read first (already marked → `already_done`), journal
 *   intent and outcome, after a lost answer read again before sending again, and after an answer
 *   that does not show the mark (accepted: Alma marks asynchronously) read until it shows.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { outputClaim, outputPath, type Config } from './config.js';
import type { InvoiceKey } from '../domain/model.js';
import { foldJournal, type Journal, type JournalEntry } from '../engine/journal.js';
import type { Terminal } from './terminal.js';
import { exitCodeForReport } from './exit.js';
import { checkReportPath, isSandboxRun, sentOpts } from './outputs.js';
import { emitLifecycleReport, withSession } from './lifecycle.js';
import { doneOpTimes, atAddressUnderOtherKeys, journalPath, peekJournal, placeJournals, readLockedJournal, shortHash, type ClaimedElsewhere } from './journals.js';
import { lockHolder, type LockInfo } from '../engine/lock.js';
import { hostname } from 'node:os';
import { outputIdentity } from './output-identity.js';
import { lifecycleSummary, type LifecycleInvoice, type LifecycleReport } from '../report/lifecycle.js';
import { CLOSED, notForErp, WAITING_FOR_PAYMENT, WAITING_TO_BE_SENT, type AlmaErp, type InvoiceState } from '../targets/alma/erp.js';
import { runOperations } from '../engine/operations.js';
import type { StopDetail } from '../engine/events.js';
import { exportRows, lineCounts, toCsv, toJsonRows, withLines } from '../report/export-file.js';
import type { ReportError } from '../report/report.js';
import { workflowLabel } from '../report/alerts.js';
import { writeFileAtomic } from '../common/fs.js';
import { UsageError } from '../common/errors.js';
import { problem, type Problem } from '../domain/problem.js';
import { namedList } from '../domain/cells.js';
import { utcMinute } from '../common/time.js';

export interface ExportOptions {
  output: string;
  status: string;
  format?: 'csv' | 'json' | undefined;
  markInErp: boolean;
  /** Replace a file that still holds the invoices an earlier run marked (`--replace`). */
  replace?: boolean | undefined;
}

/** The journal's op for "in a written file, to be marked". */
const IN_FILE = 'export';
/**
 * The journal's op for "carried from a file that a later run's replaced, and left out of that
 * run's file": in no file in place, so carried into the next (its `batch`: the replacing run).
 */
const CARRY = 'carry';
/**
 * The journal's op for "handed over before, back in the status exported since" (rejected by
 * finance and approved again, say): recorded under the invoice's key of that cycle, whose
 * entries it then stands for no more; its `batch` names the key of the next cycle (currentKey).
 */
const REOPEN = 'reopen';

export async function runExport(given: Config, term: Terminal, o: ExportOptions): Promise<number> {
  // -o <folder> (one that exists, or a path ending in /): a file named for the run inside it,
  // `invoice-load-export-<UTC time>.csv`, claimed as a load's outputs in a folder are (config.ts
  // outputPath, outputClaim): never another run's file replaced, `-2`, `-3`, … when it is taken.
  const resolved = resolve(o.output);
  const named = outputPath('--output', o.output, process.cwd(), ['export'], given.startedAt ?? new Date());
  const inFolder = named !== resolved;
  const ext = inFolder ? '' : extname(o.output).toLowerCase();
  const format = o.format ?? (inFolder ? 'csv' : ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : undefined);
  if (format === undefined) throw new UsageError(`cannot tell the format of ${o.output}: name it .csv or .json, or pass --format csv|json`);
  const notMarkable = o.markInErp ? markInErpRefusal(o.status) : undefined;
  if (notMarkable !== undefined) throw new UsageError(notMarkable);
  // A hand-over is guarded by its file's name (a re-run replaces the file a run cut short left,
  // refuseToReplace): a new name each run would leave that file beside the next, its invoices in two.
  if (inFolder && o.markInErp) {
    throw new UsageError(`--mark-in-erp -o ${o.output}: a hand-over marked in Alma needs a file name, not a folder (a run cut short is finished by the same command to the same file); give -o ${shellWord(join(o.output, `to-finance.${format}`))}; nothing was sent`);
  }
  const output = inFolder ? `${named}.${format}` : resolved;
  // A --report folder's file, named for this export file in a folder (reportBeside), then for
  // the name its write took.
  let cfg = inFolder ? reportBeside(given, output) : given;
  // The file as the person named it: the folder as given, and the name the run took in it (after the write).
  let shown = inFolder ? join(o.output, basename(output)) : o.output;
  // The journals' key: one for every spelling of the file's path (a symlinked folder, another
  // letter case on a case-insensitive disk), or the guard below would not see the other's. In a
  // folder, the folder's: each run names a new file there.
  const identity = outputIdentity(output);
  // Before Alma is read or marked (--mark-in-erp): the export file and --report, writable and apart.
  // It reads no file (its `files` only stand in for the list a load checks): no input to protect.
  checkReportPath({ reportPath: cfg.reportPath, files: [] }, [['--output', inFolder ? output : o.output]]);
  return withSession(cfg, term, async (session) => {
    const { erp } = session;
    // One journal per place, status and output file: a re-run of the same command resumes it.
    // None in a folder: each run names a new file there, which no earlier run's can be, and
    // --mark-in-erp, which needs them, is refused with a folder (above). Keyed by the folder, two
    // plain exports into it at once were refused as one ("another run is working on this export file").
    const journaled = !cfg.dryRun && !inFolder;
    const journal = journaled ? session.journal('export', exportKey(o.status, identity)) : undefined;
    // And one per place and output file whatever the status: the file it last handed over.
    const handover = journaled ? session.journal('handover', shortHash(identity)) : undefined;
    // Every file this path was given, oldest first: the one in place may be an earlier run's
    // than the last recorded (a kill between a record and its rename, below).
    let files: FileEntry[] = [...(handover?.files ?? [])];
    if (journal !== undefined && identity !== output && !inFolder) {
      // Loaders before the identity named these journals by the path as resolved (`output`): read
      // those of this spelling too, so that a file handed over before an upgrade is still guarded
      // and the invoices of a run cut short before it are still carried into the next file.
      const legacy = (name: string, batch: string): JournalEntry[] => readLockedJournal({ stateDir: cfg.stateDir, name, endpoint: session.endpoint, batch }) ?? [];
      const journaled = new Set(journal.opRecords(IN_FILE).map((e) => e.id));
      for (const e of legacyCarried(legacy('export', exportKey(o.status, output)), journaled)) journal.append(e);
      files = mergeRuns(legacy('handover', shortHash(output)).filter((e): e is FileEntry => e.t === 'file'), files);
    }
    if (handover !== undefined && o.replace !== true) {
      // The hand-overs recorded for this file at this address under another key (one replaced),
      // or by a version before journals were kept per key: guarded too, never carried — they may
      // be another institution's (journals.ts atAddressUnderOtherKeys). Taken as ended: this
      // run does not finish them.
      const underOtherKeys = atAddressUnderOtherKeys({ stateDir: cfg.stateDir, name: 'handover', endpoint: session.endpoint, batch: shortHash(identity) })
        .flat()
        .filter((e): e is FileEntry => e.t === 'file')
        .map((f) => ({ ...f, ended: true }));
      refuseToReplace(mergeRuns(underOtherKeys, files), output, o);
    }
    // A run killed after renaming its file into place and before journaling its invoices under
    // it: journaled now, from its record, or the next run would not know they were in a file
    // that was put in place (and perhaps taken since) and would hand them over again.
    if (journal !== undefined) journalRenamed(journal, files, o.status);
    // The invoices in other files whose marking runs were cut short and not finished since: held
    // by those files, left out of this one (heldByCutShort).
    const heldBy = journal !== undefined && handover !== undefined && o.markInErp ? heldByCutShort({ stateDir: cfg.stateDir, endpoint: session.endpoint, status: o.status, handoverName: shortHash(identity) }) : new Map<string, CutShortFile>();
    // Which runs' files the one in place stands for (filesInPlace).
    const placed = handover !== undefined ? filesInPlace(files, output) : { batches: new Set<string>() };
    const { invoices: listed, others } = await erp.listByStatus(o.status);
    const base = (s: InvoiceState, status: LifecycleInvoice['status']): LifecycleInvoice => ({
      vendor: s.vendor,
      number: s.number,
      status,
      id: s.id,
      workflow_status: s.workflowStatus,
      alerts: s.alerts,
      issues: [],
      rows: [],
    });
    // Listed in another status (the server did not apply the filter): not handed over, and said.
    // One carried from an earlier file (below) is in the file after all. And those left out as
    // not for the ERP (`leftOut`, below), said in one warning too.
    const issues = (carried: readonly InvoiceState[], leftOut: readonly InvoiceState[]): Problem[] => {
      const handedOver = new Set(carried.map((s) => s.id));
      const ws = [otherStatusWarning(others.filter((s) => !handedOver.has(s.id)), o.status, shown), notForErpWarning(leftOut, shown, o.markInErp)];
      return ws.filter((w): w is Problem => w !== undefined);
    };
    // Alma's own finance export leaves out internal copies and prepaid invoices not marked Export
    // to ERP (FIN-EXPORT, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments):
    // so does this one, and it never marks them — marked, an internal copy would wait for a
    // payment the finance system never confirms. Not one carried already marked (by a loader
    // before this rule): handed over, it stays in the file that replaces its run's.
    const leaveOut = (s: InvoiceState): boolean => s.workflowStatus === o.status && notForErp(s) !== undefined;
    const report = (invoices: LifecycleInvoice[], written: boolean, problems: Problem[], stopped?: string, detail?: StopDetail): LifecycleReport => ({
      target: 'alma',
      sandbox: isSandboxRun(cfg),
      command: 'export',
      dry_run: cfg.dryRun,
      ...(stopped !== undefined ? { stopped } : {}),
      ...(stopped !== undefined && detail !== undefined ? { stop_detail: detail } : {}),
      ...(written ? { output: shown } : {}),
      summary: lifecycleSummary(invoices, erp.requestCount()),
      issues: problems,
      invoices,
    });
    if (cfg.dryRun) {
      const doc = report(listed.filter((s) => !leaveOut(s)).map((s) => base(s, 'planned')), false, issues([], listed.filter(leaveOut)));
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: false }), { sent: false });
    }

    // This run's name in the journal: its file's invoices are recorded under it.
    const batch = new Date().toISOString();
    // The order of one run's writes: its file to a temporary name; its hand-over record
    // (`ended` false); the rename that puts the file in place; each invoice of it journaled
    // (IN_FILE, under this run); the marks; the record with `ended` true; batch_done. So an
    // IN_FILE entry says its run's file was put in place. That file may since have been taken by
    // finance (moved away), or replaced by a later run of the same command, which carried its
    // invoices into its own file (their IN_FILE then names that run) or recorded those it left
    // out (CARRY).
    // Invoices of an earlier run's file that go into this one too: those whose mark is not
    // recorded, and every one of a run that was cut short (no `ended`) whose file this one
    // replaces — or would have, but for a run that did and left them out (CARRY) — so that
    // the invoices it did mark are in a file in place.
    const carried: InvoiceState[] = [];
    // Invoices handed over in a file that was put in place and is gone (finance took it): never
    // written into another file; only their marks are confirmed (`confirmOnly`).
    const confirmOnly: InvoiceState[] = [];
    const handedOver = new Set<string>();
    // Invoices carried from the file in place that this run's file must hold: those it leaves
    // out are recorded as CARRY once its file is in place, for the next run to carry.
    const fromPlace: Extract<JournalEntry, { t: 'op' }>[] = [];
    const seen = new Set(listed.map((s) => s.id));
    const listedIds = new Set(seen);
    const interrupted = new Set<string>();
    // Handed over before and back in this status since: finance rejected it (payments, op=rejected:
    // In Review) and a librarian approved it again. Its journal says marked, so it would be left
    // out (its file taken) or written and never marked (already done). A cycle is over when its
    // mark took effect and was undone since: a mark a read showed done (its record names the
    // marked status, not only an accepted answer: the listing may lag the mark), or a mark only
    // sent (accepted, or its answer lost, never seen) after which this loader's payments sent a
    // rejection that took effect (rejectedSince: Alma rejects only an invoice handed over, so it
    // was handed over after that mark left). Without either, a mark accepted and not seen may
    // still be at work in Alma, and the invoice is in the file finance has: not handed over
    // again. A new cycle starts only once a read by id (up to date, docs/alma.md) shows it back
    // in this status: journaled REOPEN, it is handed over again under the next cycle's key.
    const reopened: InvoiceState[] = [];
    if (o.markInErp && journal !== undefined) {
      let rejected: Map<string, number[]> | undefined;
      for (const s of listed) {
        if (s.workflowStatus !== o.status || leaveOut(s)) continue;
        const k = currentKey(journal, s);
        const st = journal.state(k);
        const mark = st.ops.get('mark_in_erp');
        const seenMarked = mark !== undefined && (mark.workflow_status === WAITING_FOR_PAYMENT || mark.workflow_status === CLOSED);
        const sentAt = mark === undefined ? st.opsSentAt.get('mark_in_erp') : undefined;
        if (!seenMarked) {
          if (sentAt === undefined) continue;
          rejected ??= rejectedSince({ stateDir: cfg.stateDir, endpoint: session.endpoint });
          if (!(rejected.get(s.id) ?? []).some((t) => t > sentAt)) continue;
        }
        const now = await erp.read(s.id);
        if (now === undefined || now.workflowStatus !== o.status) continue;
        journal.append({ t: 'op', ...k, op: REOPEN, id: s.id, outcome: 'done', batch });
        reopened.push(s);
      }
    }
    // Each invoice's entries of its current cycle only.
    const inFile = journal === undefined ? [] : journal.opRecords(IN_FILE).filter((e) => !journal.state(e).ops.has(REOPEN));
    // A run ended when its hand-over record says so, batch_done or not: killed between the two,
    // its file is settled all the same, and carrying its invoices again would hand them over twice.
    const ended = new Set(files.filter((f) => f.ended).map((f) => f.batch));
    const recorded = new Set(files.map((f) => f.batch));
    const inPlace = placed.batches;
    // Which of two runs came later: by their hand-over records' order, never by their names (runLater).
    const later = runLater(files);
    if (o.markInErp && journal !== undefined) {
      const M = 'mark_in_erp';
      const gone: typeof inFile = [];
      const rest: typeof inFile = [];
      for (const e of inFile) {
        const st = journal.state({ vendor: e.vendor, number: e.number });
        const left = st.ops.get(CARRY)?.batch;
        const outOfFile = left !== undefined && e.batch !== undefined && later(left, e.batch);
        // Its run's file was put in place (recorded, and an IN_FILE entry follows the rename)
        // and is no longer there, nor replaced by a run of ours: finance took it.
        if (!outOfFile && e.batch !== undefined && recorded.has(e.batch) && !inPlace.has(e.batch)) {
          // Counted in that file (its record's `invoices`): every invoice of a run cut short;
          // of one that ended, each whose mark may have been sent (mayBeMarked, below).
          const counted = !ended.has(e.batch) || st.ops.has(M) || st.opsPending.has(M) || st.opsAccepted.has(M) || st.opsLost.has(M);
          if (counted) {
            handedOver.add(e.id);
            if (!st.ops.has(M)) gone.push(e);
            continue;
          }
        }
        rest.push(e);
        if (!outOfFile && e.batch !== undefined && !journal.doneBatches.has(e.batch) && !ended.has(e.batch)) interrupted.add(e.batch);
      }
      for (const e of gone) {
        const s = listed.find((l) => l.id === e.id) ?? (await erp.read(e.id));
        seen.add(e.id);
        if (s !== undefined && (s.workflowStatus === o.status || s.workflowStatus === WAITING_FOR_PAYMENT || s.workflowStatus === CLOSED)) confirmOnly.push(s);
        else session.info(`${e.vendor} ${s?.number ?? numberOf(e.number)} (id ${e.id}) was handed over in an earlier export but is now ${s?.workflowStatus !== undefined ? workflowLabel(s.workflowStatus) : 'gone'}; not exported again`);
      }
      for (const e of rest) {
        const marked = journal.state({ vendor: e.vendor, number: e.number }).ops.has(M);
        const left = journal.state({ vendor: e.vendor, number: e.number }).ops.get(CARRY)?.batch;
        const outOfFile = left !== undefined && e.batch !== undefined && later(left, e.batch);
        if (marked && !outOfFile && (e.batch === undefined || !interrupted.has(e.batch))) continue;
        if (seen.has(e.id)) {
          // Listed, it is in this run's file by the listing; but left out of it (held, lines
          // short) it must be journaled as carried (CARRY) all the same, or once this run's file
          // is taken the next would count it handed over in its earlier run's file, replaced.
          if (listedIds.has(e.id) && !fromPlace.some((f) => f.id === e.id)) fromPlace.push(e);
          continue;
        }
        seen.add(e.id);
        const s = await erp.readFull(e.id);
        // Still to be marked, or marked (by this loader, or by a request whose answer was lost): in the file.
        if (s !== undefined && (s.workflowStatus === o.status || s.workflowStatus === WAITING_FOR_PAYMENT || s.workflowStatus === CLOSED)) {
          carried.push(s);
          fromPlace.push(e);
        } else session.info(`${e.vendor} ${s?.number ?? numberOf(e.number)} (id ${e.id}) was in an earlier export but is now ${s?.workflowStatus !== undefined ? workflowLabel(s.workflowStatus) : 'gone'}; not exported again`);
      }
    }
    // A listing may leave the lines out, or carry only some: each invoice goes into the file with
    // every line it has, or not at all (nor is it marked).
    const full: InvoiceState[] = [];
    const partial: LifecycleInvoice[] = [];
    const leftOut: InvoiceState[] = [];
    for (const s of [...listed.filter((l) => !handedOver.has(l.id)), ...carried]) {
      if (leaveOut(s)) {
        leftOut.push(s);
        continue;
      }
      const whole = await everyLine(erp, s);
      if ('short' in whole) partial.push({ ...base(s, 'failed'), error: whole.short });
      // Read by id for its lines, it may show the flags the listing did not.
      else if (leaveOut(whole)) leftOut.push(whole);
      else full.push(whole);
    }
    // In another file put in place by a marking run cut short and not finished since: that file
    // holds it, and only its marks are missing — its own command finishes it (heldByCutShort).
    // Not one of this file's own (carried, confirmed, or in this journal's current round).
    const own = new Set([...carried, ...confirmOnly].map((s) => s.id).concat(inFile.map((e) => e.id)));
    const inCutShort = full.filter((s) => !own.has(s.id) && heldBy.has(s.id));
    for (const s of inCutShort) full.splice(full.indexOf(s), 1);
    // Another --mark-in-erp run to another file handing some of these over at this moment: each
    // journal's lock covers one file, so both files would hold them and both runs mark them.
    // Claimed before the file is written (journals.ts claimedElsewhere, as a load claims its
    // invoices), those a live run claims are left out of this file, not marked, and said.
    const claims = o.markInErp ? session.claim('export', exportKey(o.status, identity), [...full, ...confirmOnly].map(journalKeyOf)) : [];
    const claimed = new Set(claims.flatMap((c) => c.shared.map(keyOf)));
    const held = full.filter((s) => claimed.has(keyOf(journalKeyOf(s))));
    for (const s of held) full.splice(full.indexOf(s), 1);
    // Those whose file's run is live now are being handed over by it: said as the claimed ones are.
    for (const s of inCutShort.filter((c) => heldBy.get(c.id)!.live !== undefined)) {
      held.push(s);
      const holder = heldBy.get(s.id)!.live!;
      if (!claims.some((c) => c.holder.pid === holder.pid && c.holder.host === holder.host && c.holder.started === holder.started)) claims.push({ holder, shared: [] });
    }
    // One handed over before that another run marks now: left to it (its mark is confirmed there).
    for (const s of confirmOnly.filter((c) => claimed.has(keyOf(journalKeyOf(c))))) confirmOnly.splice(confirmOnly.indexOf(s), 1);
    // Claimed only now, after the listing: a run that marked one of these and ended in between
    // holds no claim any more, and the listing is stale. So each listed invoice is read again
    // after the claim (one GET each, the mark's first read below): one no longer waiting was
    // handed over by that run, and goes into neither this file nor a mark. Carried ones are this
    // journal's own.
    const fresh = new Map<string, InvoiceState>();
    if (o.markInErp) {
      const ours = new Set([...carried, ...confirmOnly].map((s) => s.id));
      for (const s of full.filter((f) => !ours.has(f.id))) {
        const now = await erp.read(s.id);
        if (now !== undefined && now.workflowStatus === o.status) {
          fresh.set(s.id, now);
          continue;
        }
        full.splice(full.indexOf(s), 1);
        session.info(`${s.vendor} ${s.number} (id ${s.id}) is now ${now?.workflowStatus !== undefined ? workflowLabel(now.workflowStatus) : 'gone'} (another run handed it over meanwhile?); not exported`);
      }
    }
    // A carried invoice left out may be marked already: its run's file is not settled by this one.
    const carriedLeftOut = [...partial, ...held].some((p) => carried.some((c) => c.id === p.id));

    const rows = exportRows(full.map((s) => s.raw));
    const content = format === 'csv' ? toCsv(rows) : toJsonRows(rows);
    const file = { t: 'file' as const, batch, sha256: sha256(content), status: o.status, ...(placed.head !== undefined ? { replaces: placed.head } : {}) };
    // Carried from the file this one replaced, and left out of it (lines short, held): in no file
    // in place once this one is, so the next run carries them, marked or not (CARRY, below).
    const inThisFile = new Set(full.map((s) => s.id));
    const carries = o.markInErp ? fromPlace.filter((e) => !inThisFile.has(e.id)) : [];
    // This run's own temporary name (its pid and start), which no later run writes: still there,
    // this run died before the rename; gone, the file was put in place (journalRenamed).
    const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.${batch.replace(/\D/g, '')}.tmp`);
    // Recorded before the file takes its place, not after: killed between the rename and the
    // record, the file in place (holding invoices marked by a run cut short) would match no
    // record and the next export of any kind would replace it. Killed before the rename, the
    // file in place is still the one an earlier record names (refuseToReplace reads them all).
    // A run cut short leaves a file of invoices that may be marked, which only the same command
    // (it carries them into its file) may replace.
    // Recorded when it replaces a file in place too, even empty: a later run then knows that file
    // was replaced by this one, not taken by finance.
    // The record holds what the entries after the rename journal (IN_FILE, CARRY) and the
    // temporary file's name: killed between the rename and those entries, the next run journals
    // them (journalRenamed). Recorded when it carries some out of every file, too.
    const written = writeFileAtomic(output, content, {
      tmp,
      // In a folder: the first of its names no other run's file holds (common/fs.ts claimName).
      ...(inFolder ? { claim: outputClaim({ inFolder: [output] }, output)! } : {}),
      beforeRename: () => {
        if (o.markInErp && journal !== undefined && handover !== undefined && (full.length > 0 || placed.head !== undefined || carries.length > 0)) {
          const in_file = full.map((s) => ({ ...currentKey(journal, s), id: s.id, workflow_status: s.workflowStatus }));
          handover.append({ ...file, invoices: full.length, ended: false, tmp, in_file, carries: carries.map((e) => ({ vendor: e.vendor, number: e.number, id: e.id })) });
        }
      },
    });
    if (inFolder) {
      shown = join(o.output, basename(written));
      cfg = reportBeside(given, written);
    }
    // Durable now: only from here may an invoice be marked. Journaled only when marking: a file
    // without marks carries nothing over to the next run. Every invoice of the file is journaled
    // under this run, those an earlier run's file held too: they are in this run's file now, so
    // this run's end settles them (`ended`, above) even if it is killed before batch_done.
    for (const e of carries) journal?.append({ t: 'op', vendor: e.vendor, number: e.number, op: CARRY, id: e.id, outcome: 'done', batch });
    const toJournal = o.markInErp ? full : [];
    for (const s of toJournal) {
      journal?.append({ t: 'op', ...currentKey(journal, s), op: IN_FILE, id: s.id, outcome: 'done', workflow_status: s.workflowStatus, batch });
    }
    if (!o.markInErp) {
      const doc = report([...full.map((s) => base(s, 'exported')), ...partial], true, issues([], leftOut));
      // Alma was only read: an unwritable report says so, not that the journal holds what it sent.
      const read = { ...sentOpts(false, false, erp.requestCount(), 'Alma'), why: 'without --mark-in-erp an export marks none' };
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: true }), read);
    }
    // Marking: its journals are open (a folder, which keeps none, is refused with --mark-in-erp).
    if (journal === undefined || handover === undefined) throw new Error('export --mark-in-erp without its journals');
    // Handed over in a file finance took: their marks are confirmed (read; sent only per the
    // operation's rules), and they are in no file of this run's.
    const outcome = await runOperations(
      [...full, ...confirmOnly].map((s) => ({
        key: { vendor: s.vendor, number: s.number },
        journalKey: currentKey(journal, s),
        op: 'mark_in_erp',
        read: async () => {
          // The first read: the one after the claim, above; later ones ask again.
          const first = fresh.get(s.id);
          fresh.delete(s.id);
          return first ?? (await erp.read(s.id)) ?? { step: 'lookup' as const, http_status: 0, code: 'NOT_FOUND', message: `Alma no longer holds invoice ${s.id}` };
        },
        // Marked: it waits for payment, or was closed (handle_invoice_payment, BLOG-ERP).
        done: (now: InvoiceState) => now.workflowStatus === WAITING_FOR_PAYMENT || now.workflowStatus === CLOSED,
        refuse: (now: InvoiceState) =>
          now.workflowStatus === o.status
            ? undefined
            : { step: 'erp' as const, http_status: 0, code: 'WRONG_STATUS', message: `invoice ${now.number} is now ${now.workflowStatus !== undefined ? workflowLabel(now.workflowStatus) : 'in an unknown status'}, not ${workflowLabel(o.status)}; not marked` },
        send: (id: string) => erp.markInErp(id),
      })),
      session.runOptions(journal, () => 'marked'),
    );
    // Every mark this run began is settled: its file, and those of the cut-short runs it took
    // over, need not be carried into the next one.
    // The hand-over journal says which file this run left: the next export to that path, of
    // any status, does not replace it while it is there as written (refuseToReplace).
    // First: killed between the two, the record's `ended` settles the run all the same (every
    // invoice of its file is journaled under it), so its file is neither replaced nor handed over again.
    if (outcome.stopped === undefined) {
      // Every invoice whose mark may have been sent counts, not only those seen marked: one whose
      // answer was lost and whose read then failed may be marked in Alma, and a file said to
      // hold none would be replaced by the next export, losing it from the hand-over.
      const mayBeMarked = full.filter((s, i) => {
        const r = outcome.results[i]!;
        if (r.status === 'done' || r.status === 'already_done') return true;
        const st = journal.state(currentKey(journal, s));
        return st.ops.has('mark_in_erp') || st.opsPending.has('mark_in_erp') || st.opsAccepted.has('mark_in_erp') || st.opsLost.has('mark_in_erp');
      }).length;
      handover.append({ ...file, invoices: mayBeMarked, ended: true });
      for (const b of [batch, ...(carriedLeftOut ? [] : interrupted)]) journal.append({ t: 'batch_done', batch: b });
    }
    const invoices = [...full, ...confirmOnly].map((s, i): LifecycleInvoice => {
      const r = outcome.results[i]!;
      const status = r.status === 'done' ? 'marked' : r.status === 'not_started' ? 'failed' : r.status;
      return { ...base(s, status), workflow_status: r.workflowStatus ?? s.workflowStatus, alerts: r.alerts, ...(r.error !== undefined ? { error: r.error } : {}) };
    });
    const heldWarning = heldElsewhereWarning(held, claims, o.output);
    const earlier = handedOverWarning(confirmOnly, o.output);
    const again = handedOverAgainWarning(reopened.filter((r) => full.some((f) => f.id === r.id)), o.output);
    const cutShortWarnings = heldByCutShortWarnings(inCutShort.filter((s) => heldBy.get(s.id)!.live === undefined).map((s) => ({ s, by: heldBy.get(s.id)! })), o.output);
    const warnings = [heldWarning, ...cutShortWarnings, earlier, again].filter((w): w is Problem => w !== undefined);
    const doc = report([...invoices, ...partial], true, [...issues([...carried, ...confirmOnly], leftOut), ...warnings], outcome.stopped, outcome.detail);
    // What the marks did: none sent (every invoice marked already, a stop first) or each refused
    // is said as nothing written to Alma, when the report cannot be written.
    const sent = sentOpts(outcome.writes.wrote, outcome.stopped !== undefined, erp.requestCount(), 'Alma', outcome.writes.refused);
    return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: true }), sent);
  });
}

/**
 * The run's config with a `--report` given as a folder named for the export file `file` that
 * `-o <folder>` chose: `<its name>-report.json` beside any other folder's files, claimed as they
 * are (config.ts outputClaim). Named for the folder `-o` gave (`invoice-load-<folder>-<time>.json`),
 * `-o export/ --report export/ --format json` named the export file's own name twice, and was refused.
 */
function reportBeside(cfg: Config, file: string): Config {
  const report = cfg.reportPath;
  if (report === undefined || cfg.inFolder?.includes(report) !== true) return cfg;
  const path = join(dirname(report), `${basename(file, extname(file))}-report.json`);
  return { ...cfg, reportPath: path, inFolder: [...cfg.inFolder.filter((p) => p !== report), path] };
}

/**
 * Why `--mark-in-erp` cannot go with this `--status`, or undefined when it can. The mark is the
 * hand-over of an invoice waiting to be sent (BLOG-ERP, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments):
 * Alma refuses it for an invoice In Review or In Approval, and one waiting for payment or closed
 * was handed over already — its "mark" would be recorded as a hand-over that never happened.
 */
export function markInErpRefusal(status: string): string | undefined {
  if (status === WAITING_TO_BE_SENT) return undefined;
  const why =
    status === WAITING_FOR_PAYMENT
      ? 'those wait for payment (the UI\'s Waiting for Payment): they were marked already'
      : status === CLOSED
        ? 'those are closed: marked or paid already'
        : 'Alma does not mark an invoice that is not approved yet';
  return `--mark-in-erp marks invoices waiting to be sent ("${WAITING_TO_BE_SENT}", the UI's Ready to be Paid), not ${status}: ${why}. Leave out --mark-in-erp to export them only`;
}

/** How many invoices left out a warning names; the rest are counted. */
const OTHERS_NAMED = 20;

/**
 * The warning for invoices a listing by workflow status gave in another status, which are not
 * exported (`file`: the hand-over they are left out of). Undefined when there are none.
 */
export function otherStatusWarning(others: readonly InvoiceState[], status: string, file: string): Problem | undefined {
  if (others.length === 0) return undefined;
  const n = others.length === 1 ? '1 invoice' : `${others.length.toLocaleString('en-US')} invoices`;
  const named = namedList(
    others.map((s) => `${s.vendor} ${s.number} (id ${s.id}) is ${s.workflowStatus !== undefined ? workflowLabel(s.workflowStatus) : 'in no workflow status'}`),
    OTHERS_NAMED,
  );
  return problem({ file }, 'other_status', `Alma listed ${n} not in ${workflowLabel(status)} when asked for ${workflowLabel(status)} only; not exported: ${named}`, { severity: 'warning' });
}

/**
 * The warning for invoices left out as not for the ERP (notForErp: an internal copy, or prepaid
 * and not marked Export to ERP), which are not exported, nor marked when `marking`. Undefined when
 * there are none.
 */
export function notForErpWarning(leftOut: readonly InvoiceState[], file: string, marking: boolean): Problem | undefined {
  if (leftOut.length === 0) return undefined;
  const n = invoicesAre(leftOut.length);
  const named = namedList(
    leftOut.map((s) => `${s.vendor} ${s.number} (id ${s.id}) is ${notForErp(s) === 'internal_copy' ? 'an internal copy' : 'prepaid, not marked Export to ERP'}`),
    OTHERS_NAMED,
  );
  return problem(
    { file },
    'not_for_erp',
    `${n} not for the ERP (Alma's own finance export leaves out internal copies and prepaid invoices not marked Export to ERP); not exported${marking ? ' nor marked' : ''}: ${named}`,
    { severity: 'warning' },
  );
}

/**
 * The warning for invoices left out because another live `export --mark-in-erp` run (to another
 * file) claims them: that run hands them over. Undefined when there are none.
 */
export function heldElsewhereWarning(held: readonly InvoiceState[], claims: readonly ClaimedElsewhere[], file: string): Problem | undefined {
  if (held.length === 0) return undefined;
  const n = invoicesAre(held.length);
  const runs = claims.map((c) => `pid ${c.holder.pid}, started ${c.holder.started}${c.holder.host !== hostname() ? ` on host ${c.holder.host}` : ''}`).join('; ');
  const named = namedInvoices(held);
  return problem(
    { file },
    'held_by_other_run',
    `${n} being handed over by another invoice-load export running now (${runs}); not exported nor marked here, so that no invoice is in two files or marked twice: ${named}. Those it does not hand over are listed by the next run`,
    { severity: 'warning' },
  );
}

/**
 * The warning for invoices handed over in an earlier run's file that is no longer in place
 * (finance took it): not written into this file, their marks only confirmed. Undefined when none.
 */
export function handedOverWarning(confirmed: readonly InvoiceState[], file: string): Problem | undefined {
  if (confirmed.length === 0) return undefined;
  const n = invoicesAre(confirmed.length, 'past');
  const named = namedInvoices(confirmed);
  return problem(
    { file },
    'handed_over_before',
    `${n} handed over in an earlier export's file, taken since; not written into this file again, only marked (or the mark confirmed): ${named}`,
    { severity: 'warning' },
  );
}

/**
 * The warning for invoices handed over in an earlier export, marked, and back waiting to be sent
 * since (rejected by finance, approved again in Alma): written into this file and marked again.
 * Undefined when none.
 */
export function handedOverAgainWarning(again: readonly InvoiceState[], file: string): Problem | undefined {
  if (again.length === 0) return undefined;
  const n = invoicesAre(again.length, 'past');
  const named = namedInvoices(again);
  return problem(
    { file },
    'handed_over_before',
    `${n} handed over before, and rejected or reset in Alma since (${workflowLabel(WAITING_TO_BE_SENT)} again): handed over again in this file: ${named}`,
    { severity: 'warning' },
  );
}

/**
 * The runs whose files the file at `path` stands for: the run whose record has its digest (the
 * latest such), and each run whose file that one replaced (`replaces`), and so on — a run killed
 * right after the rename journaled none of its invoices, which are then still those of the
 * run before. Empty when there is no file, or one no record names. `head`: that first run.
 */
function filesInPlace(files: readonly FileEntry[], path: string): { batches: Set<string>; head?: string } {
  const batches = new Set<string>();
  let now: string;
  try {
    now = sha256(readFileSync(path));
  } catch {
    return { batches }; // none there (taken), or unreadable: the write says why
  }
  let f = files.findLast((x) => x.sha256 === now);
  const head = f?.batch;
  while (f !== undefined && !batches.has(f.batch)) {
    batches.add(f.batch);
    const before = files.findLast((x) => x.batch === f!.batch && x.replaces !== undefined)?.replaces;
    f = before === undefined ? undefined : files.findLast((x) => x.batch === before);
  }
  return head !== undefined ? { batches, head } : { batches };
}

/**
 * For the last run of this status, when cut short (no record says `ended`) and its record names its temporary
 * file and that file is gone — the rename happened — the IN_FILE and CARRY entries its record
 * lists, under that run, for each invoice that has none of that run or a later one: killed
 * between the rename and those entries, its file was put in place all the same. Its temporary file
 * still there: killed before the rename, its file was never in place, and nothing is journaled.
 */
function journalRenamed(journal: Journal, files: readonly FileEntry[], status: string): void {
  const ended = new Set(files.filter((f) => f.ended).map((f) => f.batch));
  const later = runLater(files);
  const hasSince = (op: string, k: InvoiceKey, batch: string): boolean => {
    const b = journal.state(k).ops.get(op)?.batch;
    return b !== undefined && (b === batch || later(b, batch));
  };
  // A later run of this status recorded its file after journaling this (it calls this first): so
  // only the run recorded last is judged (the journal's order: a batch names a run's start by the
  // clock, which may have been set back between two runs), and a temporary file deleted since misleads none.
  const last = files.findLast((f) => f.status === status)?.batch;
  for (const f of files) {
    if (f.batch !== last || ended.has(f.batch) || f.status !== status || f.tmp === undefined || existsSync(f.tmp)) continue;
    for (const e of f.carries ?? []) {
      if (!hasSince(CARRY, e, f.batch)) journal.append({ t: 'op', vendor: e.vendor, number: e.number, op: CARRY, id: e.id, outcome: 'done', batch: f.batch });
    }
    for (const e of f.in_file ?? []) {
      if (!hasSince(IN_FILE, e, f.batch)) journal.append({ t: 'op', vendor: e.vendor, number: e.number, op: IN_FILE, id: e.id, outcome: 'done', workflow_status: e.workflow_status, batch: f.batch });
    }
  }
}

/**
 * The rejections this loader's `payments` sent at this place that took effect, by invoice id: for
 * each, when its first request left (journal.ts `opsSentAt`; the payments journals of this place,
 * read without their locks). A rejection takes effect only on an invoice handed over and waiting
 * for payment (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments), so one sent
 * after a mark left says that the invoice was handed over after that mark, and rejected since.
 * Entries written before sends were timed have no time, and count for nothing.
 */
function rejectedSince(at: { stateDir: string; endpoint: string }): Map<string, number[]> {
  return doneOpTimes(at, 'payments', 'rejected');
}

/** The output file a run's record names, from its temporary file (`.<file>.<pid>.<start>.tmp`, beside it). */
const outputOfTmp = (tmp: string): string | undefined => {
  const m = /^\.(.+)\.\d+\.\d+\.tmp$/.exec(basename(tmp));
  return m === null ? undefined : join(dirname(tmp), m[1]!);
};

/** A path as a shell word (quoted when it has more than letters, digits and `/._-+:@,`). */
const shellWord = (p: string): string => (/^[\w/.+:@,-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/** A file put in place by a `--mark-in-erp` run cut short and not finished since: its path, and when that run started. */
interface CutShortFile {
  output: string;
  started: string;
  /** The run that holds that file's journal now (lockHolder), if one does: it hands them over. */
  live?: LockInfo | undefined;
  /** Held for a mark that run sent and never saw done (it ended), not for the run cut short. */
  unseen?: boolean | undefined;
}

/**
 * The invoices (by id) held by another file of the same place and status: each listed in the
 * hand-over record (`in_file`, `carries`) of a `--mark-in-erp` run to that file that put its file
 * in place (its temporary file gone, and its entries after the rename journaled or its file still
 * there as written), never recorded `ended`, and was not finished since — no
 * later run of that file ended (its record's `ended`, or its export journal's batch_done).
 * Live or killed: the file holds them (finance may have taken it), and only some may be marked;
 * another file must not hold them too, nor its run mark them (`live`: that file's run holding its
 * journal's lock now, named as a claiming run is). The same command to that file
 * finishes them (it carries them into its file, or only confirms the marks once finance took
 * it). Not held: one whose round in that file is over — its mark there recorded done (waiting
 * for payment, closed), or only sent and rejected by this loader's payments after it left
 * (rejectedSince) — so that an invoice finance rejected and Alma approved again (a new round,
 * REOPEN) is not held by an old round's record forever. A record from a loader that did not name
 * its temporary file cannot name its file, and is passed over.
 */
function heldByCutShort(at: { stateDir: string; endpoint: string; status: string; handoverName: string }): Map<string, CutShortFile> {
  const held = new Map<string, CutShortFile>();
  const M = 'mark_in_erp';
  let rejected: Map<string, number[]> | undefined;
  // A rejection of the invoice this loader's payments sent after the mark (first) left, and saw take effect.
  const rejectedAfter = (id: string, sentAt: number | undefined): boolean => {
    if (sentAt === undefined) return false;
    rejected ??= rejectedSince(at);
    return (rejected.get(id) ?? []).some((t) => t > sentAt);
  };
  const mine = journalPath(at.stateDir, 'handover', at.endpoint, at.handoverName);
  for (const { path, batch: name } of placeJournals({ stateDir: at.stateDir, name: 'handover', endpoint: at.endpoint }, mine)) {
    const files = (peekJournal(path, at.endpoint, name) ?? []).filter((e): e is FileEntry => e.t === 'file' && e.status === at.status);
    const output = files.map((f) => (f.tmp !== undefined ? outputOfTmp(f.tmp) : undefined)).findLast((x) => x !== undefined);
    if (output === undefined) continue;
    const key = exportKey(at.status, outputIdentity(output));
    const entries = peekJournal(journalPath(at.stateDir, 'export', at.endpoint, key), at.endpoint, key) ?? [];
    // Finished: every run up to the last that ended (record or batch_done), in the journals'
    // order — not by the batch's text, a run's start by the clock (finishedRuns).
    const finished = finishedRuns(files, entries);
    const states = foldJournal(entries);
    // A run to that file holding its journal's lock now (as the lock module judges it; never taken here).
    const live = lockHolder(`${path}.lock`) ?? lockHolder(`${journalPath(at.stateDir, 'export', at.endpoint, key)}.lock`);
    for (const f of files) {
      if (finished.has(f.batch)) continue;
      // Killed before its rename: its file never took its place, and it marked none. Its temporary
      // file gone, the rename happened — as the file's own finishing run reads it
      // (`journalRenamed`): a run killed between the rename and its first IN_FILE entry, its file
      // taken by finance, has no other evidence, and read as "not renamed" here its invoices went
      // into a second file (review of 4a93ff4). The price is the documented one: a temporary file
      // deleted by hand after a kill before the rename reads as renamed (README, export).
      if (f.tmp === undefined || existsSync(f.tmp)) continue;
      const started = new Date(f.batch);
      const by = { output: outputOfTmp(f.tmp) ?? output, started: Number.isNaN(started.getTime()) ? f.batch : utcMinute(started), live };
      for (const k of [...(f.in_file ?? []), ...(f.carries ?? [])]) {
        const st = states.get(`${k.vendor}\u0000${k.number}`);
        const mark = st?.ops.get(M);
        if (mark !== undefined && (mark.workflow_status === WAITING_FOR_PAYMENT || mark.workflow_status === CLOSED)) continue;
        // Its mark only sent (never seen done), and rejected by this loader's payments after it
        // left (rejectedSince): it was handed over and is back since — its round there is over too.
        if (rejectedAfter(k.id, st?.opsSentAt.get(M))) continue;
        if (!held.has(k.id)) held.set(k.id, by);
      }
    }
    // After those (held for the run cut short, whose command finishes them): a run to that file
    // that ended with a mark sent and never seen done (pending, accepted, its answer lost:
    // OUTCOME_UNKNOWN, NOT_CONFIRMED) counted the invoice as handed over in its file, which
    // finance may have: that file's next run only confirms the mark (README "invoice-load
    // export"), and no other file holds it — unless this loader's payments rejected it after that
    // mark was sent (rejectedSince: it was handed over, and is back since).
    for (const st of states.values()) {
      if (st.ops.has(REOPEN) || st.ops.has(M)) continue;
      const rec = st.ops.get(IN_FILE);
      if (rec === undefined || !(st.opsPending.has(M) || st.opsAccepted.has(M) || st.opsLost.has(M))) continue;
      if (rejectedAfter(rec.id, st.opsSentAt.get(M))) continue;
      const started = new Date(rec.batch ?? '');
      if (!held.has(rec.id)) held.set(rec.id, { output, started: Number.isNaN(started.getTime()) ? (rec.batch ?? 'an earlier run') : utcMinute(started), live, unseen: true });
    }
  }
  return held;
}


/**
 * The warnings (`held_by_other_run`, one per file) for invoices left out because another file,
 * put in place by a `--mark-in-erp` run cut short and not finished since, holds them
 * (heldByCutShort): named with the command that finishes that file.
 */
export function heldByCutShortWarnings(held: readonly { s: InvoiceState; by: CutShortFile }[], file: string): Problem[] {
  const byFile = new Map<string, { by: CutShortFile; invoices: InvoiceState[] }>();
  for (const { s, by } of held) {
    const k = `${by.output}\u0000${by.unseen === true ? 'unseen' : ''}`;
    const g = byFile.get(k) ?? { by, invoices: [] };
    g.invoices.push(s);
    byFile.set(k, g);
  }
  return [...byFile.values()].map(({ by, invoices }) => {
    const n = invoicesAre(invoices.length);
    const named = namedInvoices(invoices);
    const how = by.unseen === true ? `handed over by an export --mark-in-erp of ${by.started} whose mark (mark_in_erp) was sent and never seen done` : `put in place by an export --mark-in-erp of ${by.started} that was cut short and not finished since`;
    return problem(
      { file },
      'held_by_other_run',
      `${n} in ${by.output}, ${how}; not exported nor marked here, so that no invoice is in two files: ${named}. ` +
        `Finish that file with the same command to it — invoice-load export --mark-in-erp -o ${shellWord(by.output)} (with this run's Alma options; it only confirms the marks if finance took the file)`,
      { severity: 'warning' },
    );
  });
}

/** "1 invoice is" / "12 invoices are" (`past`: "was" / "were"), to open a warning. */
const invoicesAre = (n: number, tense?: 'past'): string =>
  n === 1 ? `1 invoice ${tense === 'past' ? 'was' : 'is'}` : `${n.toLocaleString('en-US')} invoices ${tense === 'past' ? 'were' : 'are'}`;

/** The invoices a warning names, by vendor, number and id (the rest counted: namedList). */
const namedInvoices = (list: readonly InvoiceState[]): string => namedList(list.map((s) => `${s.vendor} ${s.number} (id ${s.id})`), OTHERS_NAMED);

/** A journal key as claims name it. */
const keyOf = (k: InvoiceKey): string => `${k.vendor}\u0000${k.number}`;

/** The name of the export journal of a status and an output file (its identity, or the path as resolved by loaders before it). */
const exportKey = (status: string, file: string): string => shortHash(`${status}\u0000${file}`);

type FileEntry = Extract<JournalEntry, { t: 'file' }>;

/**
 * The file records of the hand-over journal named the old way (`legacy`, by the path as resolved)
 * and of the one named by the file's identity (`now`), each kept in its own journal's order — the
 * order its runs wrote them in, one at a time under the journal's lock. A batch names its run's
 * start by the clock, which may have been set back between two runs: so it orders nothing within a
 * journal, and only where the two journals' records interleave (an older loader that ran since
 * the upgrade) is the clock all there is to go by.
 */
export function mergeRuns(legacy: readonly FileEntry[], now: readonly FileEntry[]): FileEntry[] {
  const out: FileEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < legacy.length || j < now.length) {
    if (j >= now.length || (i < legacy.length && legacy[i]!.batch <= now[j]!.batch)) out.push(legacy[i++]!);
    else out.push(now[j++]!);
  }
  return out;
}

/**
 * Whether run `a` came after run `b`, by the order of their first records in the hand-over
 * journal (`files`, in journal order): runs to one file write it one at a time, under its lock.
 * Not by the batches' text, each run's start by the clock: set back between two runs, the later
 * run's name sorts first. A run without a record (written by a loader before them) counts as
 * before every run with one.
 */
export function runLater(files: readonly FileEntry[]): (a: string, b: string) => boolean {
  const order = new Map<string, number>();
  files.forEach((f, i) => {
    if (!order.has(f.batch)) order.set(f.batch, i);
  });
  return (a, b) => a !== b && (order.get(a) ?? -1) > (order.get(b) ?? -1);
}

/**
 * The runs to one file (its hand-over `files` of one status, in journal order, and its export
 * journal's `entries`) that are finished: each that ended (its record's `ended`, or its
 * batch_done), and each before a run that ended — a later run of the same command carries every
 * invoice of a run cut short into its own file. "Before" by the hand-over journal's order
 * (runLater), never by the batches' text: a clock set back between two runs made a run cut short
 * read as older than a run that ended before it, and its invoices went into a second file. A run
 * that recorded no file (it only confirmed the marks of a file finance took) finishes none but
 * itself: an invoice whose mark it could not confirm stays in the file finance has.
 */
export function finishedRuns(files: readonly FileEntry[], entries: readonly JournalEntry[]): Set<string> {
  const later = runLater(files);
  const ended = [...files.filter((f) => f.ended).map((f) => f.batch), ...entries.flatMap((e) => (e.t === 'batch_done' ? [e.batch] : []))];
  const out = new Set<string>();
  for (const f of files) if (ended.some((b) => b === f.batch || later(b, f.batch))) out.add(f.batch);
  return out;
}

/**
 * Of an export journal named the old way (by the path as resolved), what the journal named by the
 * file's identity must hold for the next run to carry what that one would have: each invoice not
 * yet marked, or of a run cut short, with its `export` record, its mark if any, and its run's
 * `batch_done` if that run ended — as runExport reads them. None already in the new journal
 * (`journaled`, by id): read again, it adds nothing.
 */
export function legacyCarried(entries: readonly JournalEntry[], journaled: ReadonlySet<string>): JournalEntry[] {
  const states = [...foldJournal(entries).values()];
  const done = new Set(entries.flatMap((e) => (e.t === 'batch_done' ? [e.batch] : [])));
  const marked = new Set(states.flatMap((s) => s.ops.get('mark_in_erp')?.id ?? []));
  const out: JournalEntry[] = [];
  const ended = new Set<string>();
  for (const s of states) {
    const e = s.ops.get(IN_FILE);
    if (e === undefined || journaled.has(e.id)) continue;
    if (marked.has(e.id) && (e.batch === undefined || done.has(e.batch))) continue;
    out.push(e);
    const mark = s.ops.get('mark_in_erp');
    if (mark !== undefined) out.push(mark);
    if (e.batch !== undefined && done.has(e.batch) && !ended.has(e.batch)) {
      ended.add(e.batch);
      out.push({ t: 'batch_done', batch: e.batch });
    }
  }
  return out;
}

/** Of the text as written (UTF-8), or of the bytes read back: the same digest for the same file. */
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The file a `--mark-in-erp` run left is the hand-over: its invoices are marked in Alma (or may
 * be, when the run was cut short) and no later export lists them. While it is in place exactly as
 * written, the finance system has not taken it (or reads it in place): replacing it would lose
 * them from the hand-over, so that takes `--replace` — but for the same command after a run cut
 * short, which carries every invoice of that file into its own. Checked before Alma is asked.
 */
function refuseToReplace(files: readonly FileEntry[], path: string, o: ExportOptions): void {
  if (files.length === 0 || !existsSync(path)) return;
  let now: string;
  try {
    now = sha256(readFileSync(path));
  } catch {
    return; // unreadable: the write below says why, as before
  }
  // The record of the file in place: the latest with its digest. Not always the last record: a
  // run killed after recording its file and before renaming it into place left the one before.
  const last = files.findLast((f) => f.sha256 === now);
  if (last === undefined || last.invoices === 0) return;
  if (!last.ended && o.markInErp && o.status === last.status) return;
  const n = last.invoices === 1 ? 'the invoice' : `the ${last.invoices} invoices`;
  // The batch is the run's start as an ISO time: shown to the minute.
  const started = new Date(last.batch);
  const when = Number.isNaN(started.getTime()) ? last.batch : utcMinute(started);
  const what = last.ended
    ? `${n} that the export of ${when} marked in Alma and handed over to finance`
    : `${n} that the export of ${when} (status ${last.status}) was marking in Alma when it was cut short — run it again to finish it`;
  throw new UsageError(
    `${o.output} still holds, unchanged, ${what}: if the finance system has not taken it, replacing it loses them. Move it away, or pass --replace if the finance system reads it where it is`,
  );
}

/**
 * An exported invoice's key in the journal: with `invoice_not_unique=true` one vendor holds a
 * number twice (docs/alma.md#look-ups-and-how-fresh-they-are), so the number alone would let the mark of
 * one stand for both; the id tells them apart.
 */
const journalKeyOf = (s: Pick<InvoiceState, 'vendor' | 'number' | 'id'>): InvoiceKey => ({ vendor: s.vendor, number: `${s.number} #${s.id}` });
/**
 * The invoice's key in this journal now: journalKeyOf for its first hand-over, and after each
 * REOPEN (handed over, then back waiting to be sent) that key with ` @<the run that reopened it>`,
 * so that the new cycle's file entry and mark are its own. Claims keep journalKeyOf: one invoice,
 * whatever cycle another run's journal is at.
 */
function currentKey(journal: Journal, s: Pick<InvoiceState, 'vendor' | 'number' | 'id'>): InvoiceKey {
  let k = journalKeyOf(s);
  const seen = new Set<string>();
  for (let b = journal.state(k).ops.get(REOPEN)?.batch; b !== undefined && !seen.has(b); b = journal.state(k).ops.get(REOPEN)?.batch) {
    seen.add(b);
    k = { vendor: s.vendor, number: `${s.number} #${s.id} @${b}` };
  }
  return k;
}
/** The invoice number of a journal key (journalKeyOf, currentKey; a journal written before it has the number alone). */
const numberOf = (key: string): string => key.replace(/ #\d+( @\S+)?$/, '');

/**
 * The invoice with every line it has (export-file.ts `lineCounts`): as listed when the listing
 * carries them all; read by id when it carries none (a brief listing); its lines listed apart
 * (`GET /acq/invoices/{id}/lines`, every page) when it carries fewer than it says it has. Still
 * fewer: `short`, the reason it is neither written nor marked — a file with part of an invoice
 * would have finance pay part of it, and the mark would take the rest out of every later export.
 */
async function everyLine(erp: AlmaErp, listed: InvoiceState): Promise<InvoiceState | { short: ReportError }> {
  let s = listed;
  let { stated, inline } = lineCounts(s.raw);
  if (inline === undefined) {
    s = (await erp.readFull(s.id)) ?? s;
    ({ stated, inline } = lineCounts(s.raw));
  }
  if (stated === undefined || (inline ?? 0) >= stated) return s;
  const lines = await erp.listLines(s.id);
  if (lines.length >= stated) return { ...s, raw: withLines(s.raw, lines) };
  const got = Math.max(inline ?? 0, lines.length);
  return {
    short: {
      step: 'lookup',
      http_status: 0,
      code: 'LINES_INCOMPLETE',
      message: `the invoice has ${stated} lines by Alma's count, but Alma gave ${got}, also when asked for its lines alone (GET /acq/invoices/${s.id}/lines): not written to the file nor marked, so that finance is not handed part of it; the next run tries again`,
    },
  };
}
