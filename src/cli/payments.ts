/**
 * `invoice-load payments <files...>`: the finance system's answers loaded back into Alma —
 * `op=paid` with the voucher, `op=rejected` with the reason (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
 * Read (the same input layer as a batch: CSV, JSON, JSON Lines, Excel) → check every row
 * (domain/payments.ts) → plan → (dry run: stop; `--online`: find each invoice, read-only) →
 * each invoice read, then changed once (engine/operations.ts) → report, exit code as a load's.
 */
import { doneOpTimes, journalPath, shortHash, type ClaimedElsewhere } from './journals.js';
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { keyString, type InvoiceKey } from '../domain/model.js';
import type { Config } from './config.js';
import { resultLine, type Terminal } from './terminal.js';
import { exitCodeForReport } from './exit.js';
import { isSandboxRun } from './outputs.js';
import { changedAfterRead, changedAfterReadLine, closeSources, holdInputs, InputGone, isHeldOpen, openInTurn, refuseRepeatedFiles, readEventBatches, type InputSource } from '../input/read.js';
import { setAsideOwnerFiles } from '../input/owner-file.js';
import { refusedSource } from '../input/event.js';
import { checkLocated, checkPayments, type PaymentEntry, type PaymentRecord, type PaymentRequest } from '../domain/payments.js';
import { problem, type Problem, type Provenance } from '../domain/problem.js';
import { foldJournal, parseJournal, type ErrorRecord, type InvoiceJournalState, type JournalEntry } from '../engine/journal.js';
import type { StopDetail } from '../engine/events.js';
import { NOT_STARTED } from '../engine/result.js';
import { lifecycleSummary, type LifecycleInvoice, type LifecycleReport } from '../report/lifecycle.js';
import type { AlmaErp, InvoiceState } from '../targets/alma/erp.js';
import { CLOSED, IN_REVIEW, REJECTED_ALERT, WAITING_FOR_PAYMENT, WAITING_TO_BE_SENT } from '../targets/alma/erp.js';
import { checkReportPath, sentOpts } from './outputs.js';
import { workflowLabel } from '../report/alerts.js';
import { Decimal } from 'decimal.js';
import { formatAmount, formatAmountText } from '../domain/money.js';
import { shownFile } from '../common/shown.js';
import { utcMinute } from '../common/time.js';

/** Reads the files through the input layer and checks every row. */
export async function readPayments(cfg: Config): Promise<{ entries: PaymentEntry[]; issues: Problem[]; modifiedAt: Map<string, number>; sources: InputSource[] }> {
  await refuseRepeatedFiles(cfg.files);
  // A spreadsheet's lock file a glob took in (`~$march.xlsx`) is not read: its problem says what it is.
  const { files, problems: lockFiles } = await setAsideOwnerFiles(cfg.files);
  // Every file looked at before any is read (a missing or unreadable one: exit 2), then read in
  // its turn and closed once read, as the load reads (input/read.ts holdInputs).
  const inputs = await holdInputs(files, process.stdin);
  // Each regular file's modification time (ms), by its name as given (a row's `source.file`): a
  // rejection given again is new only in a file modified after this file's rejection was sent
  // (rejectionAgain). Stdin, a pipe: none.
  const modifiedAt = new Map<string, number>();
  for (const input of inputs) {
    if (isHeldOpen(input)) continue;
    const st = await stat(input).catch(() => undefined);
    if (st !== undefined) modifiedAt.set(input, st.mtimeMs);
  }
  const sources: InputSource[] = [];
  const records: PaymentRecord[] = [];
  const issues: Problem[] = [...lockFiles];
  // The files not read whole (a CSV cut short, JSON that stops inside a value): their rows are
  // invalid beside the file's error, not planned, as a load's invoices of such a file are
  // (input/event.ts refusedSource) — the row read last may be cut inside its voucher number.
  const refused = new Set<string>();
  for (const input of inputs) {
    let source: InputSource;
    try {
      source = await openInTurn(input, files.length);
    } catch (err) {
      // Gone since it was checked: the file's error, the other files read (input/read.ts InputGone).
      if (!(err instanceof InputGone)) throw err;
      issues.push(err.problem);
      continue;
    }
    sources.push(source);
    try {
      for await (const batch of readEventBatches(source, { encoding: cfg.encoding, sheet: cfg.sheet })) {
        for (const ev of batch) {
          if (ev.kind === 'record') records.push({ source: ev.record.source, fields: ev.record.fields, native: ev.record.native, problems: ev.record.problems });
          else {
            issues.push(ev.problem);
            const file = refusedSource(ev);
            if (file !== undefined) refused.add(file);
          }
        }
      }
    } finally {
      // A file opened for its turn is closed once read (its `changed` looks at the path later).
      if (!isHeldOpen(input)) closeSources([source]);
    }
  }
  const checked = checkPayments(records);
  if (refused.size > 0) for (const e of checked.entries) if (refused.has(e.source.file)) e.request = undefined;
  return { entries: checked.entries, issues: [...issues, ...checked.issues], modifiedAt, sources };
}

/**
 * Only an invoice handed over to finance and waiting for its answer (Waiting for Payment, code
 * `Ready to be Paid`) takes `paid` or `rejected`: Ex Libris' payment import checks for Waiting
 * for Payment or Closed, moves the first to Closed (paid) or back to In Review with the alert
 * (rejected), and on a Closed invoice only adds the alert (KB-ERPREJ,
 * docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
 */
const PAYABLE = new Set([WAITING_FOR_PAYMENT]);
/** `payment_status` of a paid invoice (the PaymentStatus table: PAID, NOT_PAID). */
const PAID = 'PAID';

/** The invoice a row names: by id, or by vendor and number (exactly one match). */
async function locate(erp: AlmaErp, req: PaymentRequest): Promise<InvoiceState | ErrorRecord> {
  const missing = (message: string): ErrorRecord => ({ step: 'lookup', http_status: 0, code: 'NOT_FOUND', message });
  if (req.invoiceId !== undefined) return (await erp.read(req.invoiceId)) ?? missing(`Alma holds no invoice with id ${req.invoiceId}`);
  const found = await erp.find({ vendor: req.vendor ?? '', number: req.invoiceNumber ?? '' });
  if (found.length === 0) return missing(`Alma holds no invoice ${req.invoiceNumber ?? ''} from ${req.vendor ?? ''}`);
  if (found.length > 1) {
    // "If multiple matches are found, an error is reported" (FIN-IMPORT, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
    return { step: 'lookup', http_status: 0, code: 'AMBIGUOUS', message: `Alma holds ${found.length} invoices ${req.invoiceNumber ?? ''} from ${req.vendor ?? ''} (ids ${found.map((f) => f.id).join(', ')}); give invoice_id` };
  }
  return found[0]!;
}

/**
 * The invoice's workflow status for a message, as a person reads it (report/alerts.ts
 * workflowLabel: `InReview` is "In Review"), and the UI's label where it differs. The report's
 * `workflow_status` keeps Alma's code.
 */
const statusShown = (s: InvoiceState): string =>
  s.workflowStatus === WAITING_TO_BE_SENT ? `${WAITING_TO_BE_SENT} (the UI's Ready to be Paid)` : s.workflowStatus !== undefined ? workflowLabel(s.workflowStatus) : 'in an unknown status';

/**
 * The operation's effect is visible: closed, paid (`payment_status` PAID, not NOT_PAID) with this
 * voucher; or rejected by the ERP — the alert, on an invoice back In Review, or on a Closed one
 * (where the import only adds the alert, KB-ERPREJ; docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
 */
export function paymentDone(req: PaymentRequest, s: InvoiceState): boolean {
  if (req.status === 'paid') return s.workflowStatus === CLOSED && s.payment.status === PAID && s.payment.voucherNumber === req.voucherNumber;
  return (s.workflowStatus === IN_REVIEW || s.workflowStatus === CLOSED) && s.alerts.some((a) => a.code === REJECTED_ALERT);
}

/**
 * An invoice already closed and paid with the row's voucher number (`paymentDone`) whose payment,
 * as Alma shows it, is not the row's: another amount (compared as numbers: Alma answers 876.4 for
 * 876.40), currency (the row's, or the invoice's that is sent for none) or date — each only where
 * Alma shows one (an unset voucher field reads back empty, sample 01; the payment's fields,
 * docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments). A failure naming both
 * values, as another voucher is (CLOSED_OTHER_VOUCHER): `already_done` would say Alma holds the
 * row's payment, and a corrected file's amount would be lost without a word. Nothing is sent: a
 * payment is recorded once, and which of the two is right only a person can tell.
 */
export function paymentDiffers(req: PaymentRequest, s: InvoiceState): ErrorRecord | undefined {
  if (req.status !== 'paid' || !paymentDone(req, s)) return undefined;
  const p = s.payment;
  const currency = req.voucherCurrency ?? s.currency;
  const differs: string[] = [];
  if (req.voucherAmount !== undefined && p.voucherAmount !== undefined && !sameAmount(p.voucherAmount, req.voucherAmount)) {
    const shown = p.voucherCurrency ?? s.currency;
    const unit = (c: string | undefined): string => (c !== undefined ? ` ${c}` : '');
    differs.push(`voucher_amount ${formatAmountText(p.voucherAmount, shown)}${unit(shown)} where the row has ${formatAmount(req.voucherAmount, currency)}${unit(currency)}`);
  }
  if (currency !== undefined && p.voucherCurrency !== undefined && p.voucherCurrency !== currency) differs.push(`voucher_currency ${p.voucherCurrency} where the row has ${currency}`);
  if (req.voucherDate !== undefined && p.voucherDate !== undefined && p.voucherDate !== req.voucherDate) differs.push(`voucher_date ${p.voucherDate} where the row has ${req.voucherDate}`);
  if (differs.length === 0) return undefined;
  return {
    step: 'erp',
    http_status: 0,
    code: PAYMENT_DIFFERS,
    message: `invoice ${s.number} is already closed and paid with voucher ${req.voucherNumber ?? ''}, but Alma shows ${differs.join(', ')}; left unchanged: correct the payment in Alma, or the row`,
  };
}

/** The loader's code for an invoice paid with the row's voucher but another amount, currency or date (paymentDiffers). */
export const PAYMENT_DIFFERS = 'PAYMENT_DIFFERS';

const sameAmount = (shown: string, amount: Decimal): boolean => {
  try {
    return new Decimal(shown).equals(amount);
  } catch {
    return false;
  }
};

/** Why the invoice's status does not take the answer (checked before anything is sent). */
export function paymentRefusal(req: PaymentRequest, s: InvoiceState): ErrorRecord | undefined {
  if (PAYABLE.has(s.workflowStatus ?? '')) return undefined;
  const refusal = (code: string, message: string): ErrorRecord => ({ step: 'erp', http_status: 0, code, message });
  if (req.status === 'paid' && s.workflowStatus === CLOSED && s.payment.voucherNumber === req.voucherNumber) {
    return refusal('WRONG_STATUS', `invoice ${s.number} is closed with voucher ${req.voucherNumber ?? ''} but not paid (payment status ${s.payment.status ?? 'not given'}); left unchanged`);
  }
  if (req.status === 'paid' && s.workflowStatus === CLOSED) {
    return refusal('CLOSED_OTHER_VOUCHER', `invoice ${s.number} is already closed with voucher ${s.payment.voucherNumber ?? '(none)'}, not ${req.voucherNumber ?? ''}; left unchanged`);
  }
  if (req.status === 'rejected' && s.workflowStatus === CLOSED) {
    // Alma would add the alert and leave it Closed (KB-ERPREJ): a rejection that reopens nothing.
    return refusal('WRONG_STATUS', `invoice ${s.number} is already closed (voucher ${s.payment.voucherNumber ?? '(none)'}); a rejection would not reopen it, only add an alert; left unchanged`);
  }
  if (s.workflowStatus === WAITING_TO_BE_SENT) {
    return refusal('WRONG_STATUS', `invoice ${s.number} is ${statusShown(s)}, not yet handed over to finance; hand it over first: invoice-load export --mark-in-erp`);
  }
  return refusal('WRONG_STATUS', `invoice ${s.number} is ${statusShown(s)}; only an invoice waiting for payment (code Ready to be Paid) can be ${req.status}`);
}

/**
 * The journal's op for "this file's rejection of the invoice took effect, and the invoice was
 * handed over again since" (rejectionAgain): recorded under the key of that round, whose entries
 * it then stands for no more; its `batch` (the run that found it so) names the next round's key
 * (roundKey), as export's REOPEN does for a hand-over.
 */
const AGAIN = 'rejected_again';

/**
 * The row's key in its file's journal now: the row's own for the first round, and after each
 * AGAIN that key with ` @<the run that recorded it>`, so that the rejection given again has
 * entries of its own (its intent, its outcome) and a run killed meanwhile resumes it.
 */
export function roundKey(state: (k: InvoiceKey) => Pick<InvoiceJournalState, 'ops'> | undefined, key: InvoiceKey): InvoiceKey {
  return roundKeys(state, key).at(-1)!;
}

/** Every round's key of the row, the first (its own) first and the one it is in now last (roundKey). */
export function roundKeys(state: (k: InvoiceKey) => Pick<InvoiceJournalState, 'ops'> | undefined, key: InvoiceKey): InvoiceKey[] {
  const keys = [key];
  const seen = new Set<string>();
  for (let b = state(key)?.ops.get(AGAIN)?.batch; b !== undefined && !seen.has(b); b = state(keys.at(-1)!)?.ops.get(AGAIN)?.batch) {
    seen.add(b);
    keys.push({ vendor: key.vendor, number: `${key.number} @${b}` });
  }
  return keys;
}

/**
 * A `rejected` row whose rejection this file's journal records as done (in the round `journaled`)
 * and whose invoice Alma shows waiting for payment (`Ready to be Paid`) again: a new rejection, to
 * be sent. A rejection takes the invoice back In Review (or leaves it Closed, with the alert), and
 * only a new hand-over (op=mark_in_erp) brings it back to Waiting for Payment
 * (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): so it was handed over
 * again after this file's rejection, and finance rejecting it again in a file identical byte for
 * byte (the same note) is a rejection of that new hand-over — if the file was written after the
 * rejection was sent: one whose modification time (`fileModifiedAt`, ms) is not later than the
 * first send of the recorded rejection (journal.ts `opsSentAt`) was there before it, and cannot be
 * finance's answer to a later hand-over (an old file given again: a nightly job re-reading its
 * folder). Its rejection stands, as anywhere else (In Review, Waiting to be Sent, Closed):
 * `already_done`, nothing sent. A file with no modification time (stdin) or a rejection sent before
 * sends were timed cannot be told apart: sent again, with a warning (rejectedAgainWarning).
 */
export function rejectionAgain(
  req: PaymentRequest,
  s: InvoiceState,
  journaled: Pick<InvoiceJournalState, 'ops' | 'opsSentAt'> | undefined,
  fileModifiedAt: number | undefined,
): boolean {
  if (req.status !== 'rejected' || journaled?.ops.has('rejected') !== true || s.workflowStatus !== WAITING_FOR_PAYMENT) return false;
  const sentAt = journaled.opsSentAt.get('rejected');
  return fileModifiedAt === undefined || sentAt === undefined || fileModifiedAt > sentAt;
}

/**
 * A `rejected` row whose rejection this file's journal holds as sent and never seen done —
 * accepted without showing it (`NOT_CONFIRMED`), or its answer lost — whose invoice Alma shows
 * waiting for payment (`Ready to be Paid`) again, and which this loader's `export --mark-in-erp`
 * at the same place marked, and saw marked, after that rejection was first sent (`markedAt`: the
 * invoice's marks' first sends, ms; marksAt). Alma marks only an invoice waiting to be sent, and the rejection was sent to one
 * waiting for payment: the invoice left that hand-over after the rejection and was handed over
 * again — that rejection's round is over, as export counts a mark never seen done and rejected by
 * payments since (README, export). It is journaled as done (`overtakenRejection`), and the row is
 * what rejectionAgain makes of a recorded rejection: an old file `already_done` (with the
 * `rejected_again` warning), a file written after it rejects the new hand-over. Before, the row
 * failed NOT_CONFIRMED on every run of that file (an answer lost: the rejection was sent again to
 * the new hand-over, however old the file). Without such a mark (handed over again in Alma's UI,
 * or by a loader before sends were timed) it is not known here, and stays as it was.
 */
export function rejectionOvertaken(
  req: PaymentRequest,
  s: InvoiceState,
  journaled: Pick<InvoiceJournalState, 'ops' | 'opsAccepted' | 'opsPending' | 'opsLost' | 'opsSentAt'> | undefined,
  markedAt: (id: string) => readonly number[],
): boolean {
  const op = 'rejected';
  if (req.status !== op || journaled === undefined || journaled.ops.has(op) || s.workflowStatus !== WAITING_FOR_PAYMENT) return false;
  if (!(journaled.opsAccepted.has(op) || journaled.opsPending.has(op) || journaled.opsLost.has(op))) return false;
  const sentAt = journaled.opsSentAt.get(op);
  return sentAt !== undefined && markedAt(s.id).some((t) => t > sentAt);
}

/** The journal's entry for a rejection rejectionOvertaken finds over: done, by this loader, in the round `key`. */
export const overtakenRejection = (key: InvoiceKey, s: InvoiceState, batch: string): Extract<JournalEntry, { t: 'op' }> => ({
  t: 'op',
  vendor: key.vendor,
  number: key.number,
  op: 'rejected',
  id: s.id,
  outcome: 'done',
  batch,
});

/** `markedSince`, read once when first asked, as the times of one invoice's marks. */
function marksAt(at: { stateDir: string; endpoint: string }): (id: string) => readonly number[] {
  let marks: Map<string, number[]> | undefined;
  return (id) => (marks ??= markedSince(at)).get(id) ?? [];
}

/**
 * The marks this loader's `export --mark-in-erp` sent at this place and saw done, by invoice id:
 * for each, when its first request left (journal.ts `opsSentAt`; the export journals of this
 * place, read without their locks) — as export reads the rejections of payments (cli/export.ts
 * rejectedSince). Entries written before sends were timed have no time, and count for nothing.
 */
function markedSince(at: { stateDir: string; endpoint: string }): Map<string, number[]> {
  return doneOpTimes(at, 'export', 'mark_in_erp');
}

/**
 * A row rejectionAgain holds back as an old file's (modified no later than this file's rejection
 * was sent) while Alma shows its invoice waiting for payment again: `already_done`, nothing sent —
 * said, as finance's new rejection copied with its old date, or written on a host whose clock is
 * behind, lands here too, and the invoice then waits for an answer already given.
 */
export function heldAsOldWarning(at: Provenance, req: PaymentRequest, s: InvoiceState, journaled: Pick<InvoiceJournalState, 'ops' | 'opsSentAt'> | undefined, fileModifiedAt: number | undefined): Problem | undefined {
  if (req.status !== 'rejected' || journaled?.ops.has('rejected') !== true || s.workflowStatus !== WAITING_FOR_PAYMENT) return undefined;
  if (rejectionAgain(req, s, journaled, fileModifiedAt)) return undefined;
  const sentAt = journaled.opsSentAt.get('rejected');
  return problem(
    at,
    'rejected_again',
    `not rejected again: Alma shows the invoice Ready to be Paid again (handed over again), and this file (modified ${utcMinute(new Date(fileModifiedAt!))}) is older than its rejection, applied ${utcMinute(new Date(sentAt!))}; if finance rejected the new hand-over, give the new file (or touch this one) and run again`,
    { severity: 'warning' },
  );
}

/** The warning on a row rejected again (rejectionAgain): never silent, as an old file given again may be the cause. */
export function rejectedAgainWarning(at: Provenance, appliedAt: number | undefined): Problem {
  const when = appliedAt !== undefined ? `on ${utcMinute(new Date(appliedAt))}` : 'before';
  return problem(at, 'rejected_again', `rejected again: this file's rejection was already applied ${when}; the invoice had been handed over again since`, { severity: 'warning' });
}

/**
 * A round started by rejectionAgain whose rejection was not sent yet (a run killed between
 * journaling the round and the send) and whose invoice is no longer waiting for payment (paid
 * since, say): the round's start was read before the claim, and the invoice moved on. The previous
 * round's recorded rejection stands (`already_done`), not WRONG_STATUS on every later run.
 */
export function roundUnsentAndMovedOn(
  req: PaymentRequest,
  s: InvoiceState,
  round: Pick<InvoiceJournalState, 'ops' | 'opsPending' | 'opsAccepted' | 'opsLost'> | undefined,
  later: boolean,
): boolean {
  if (!later || req.status !== 'rejected' || PAYABLE.has(s.workflowStatus ?? '')) return false;
  const op = req.status;
  return !(round?.ops.has(op) === true || round?.opsPending.has(op) === true || round?.opsAccepted.has(op) === true || round?.opsLost.has(op) === true);
}

/** What this file's journal knows of each invoice (by `keyString`), read only: none when there is no journal yet. */
function readPaymentsJournal(stateDir: string, endpoint: string, identity: string): Map<string, InvoiceJournalState> {
  const path = journalPath(stateDir, 'payments', endpoint, identity);
  if (!existsSync(path)) return new Map();
  const text = readFileSync(path, 'utf8');
  // As Journal.open: empty, or a header torn by a kill, is a journal with nothing in it.
  if (text.length === 0 || (!text.includes('\n') && text.startsWith('{"t":"begin"'))) return new Map();
  return foldJournal(parseJournal(text, { endpoint, batch: identity }, path).entries);
}

/**
 * What the real run (engine/operations.ts runOne) would make of a row, for `--dry-run --online`:
 * an answer this file's journal records as given is `already_done`, nothing read or sent, whatever
 * Alma shows now; one this loader sent before (accepted, or its answer lost) and Alma shows done is
 * the loader's own — the run reports it `paid` or `rejected`, so `planned` here — and one Alma
 * accepted without showing it fails `NOT_CONFIRMED`, never sent again; otherwise, as the invoice
 * is: done by someone else (`already_done`, unless its payment differs), refused, or `planned`.
 */
export function dryRunVerdict(
  req: PaymentRequest,
  s: InvoiceState,
  journaled: Pick<InvoiceJournalState, 'ops' | 'opsAccepted' | 'opsPending' | 'opsLost'> | undefined,
): { status: 'planned' | 'already_done' | 'failed'; error?: ErrorRecord } {
  const op = req.status;
  if (journaled?.ops.has(op) === true) return { status: 'already_done' };
  const accepted = journaled?.opsAccepted.has(op) === true;
  const mine = accepted || journaled?.opsPending.has(op) === true || journaled?.opsLost.has(op) === true;
  if (paymentDone(req, s)) {
    const other = mine ? undefined : paymentDiffers(req, s);
    if (other !== undefined) return { status: 'failed', error: other };
    return { status: mine ? 'planned' : 'already_done' };
  }
  const refused = paymentRefusal(req, s);
  if (refused !== undefined) return { status: 'failed', error: refused };
  if (accepted) {
    return {
      status: 'failed',
      error: {
        step: 'erp',
        http_status: 0,
        // engine/operations.ts NOT_CONFIRMED, named here: that module is loaded by online runs only.
        code: 'NOT_CONFIRMED',
        message: `Alma accepted op=${op} (sent by an earlier run), but the invoice still shows ${s.workflowStatus ?? 'no workflow status'}: it is not sent again, as Alma may still be at work on it and a second could be done twice; the next run reads it again — check the invoice in Alma if it stays so`,
      },
    };
  }
  return { status: 'planned' };
}

/**
 * The line after the summary of a payments run that sent nothing, worded as a load's (cli/load.ts
 * `nothingSent`): a problem of a file's own (an invoice batch given as payments) stops the run with
 * --skip-invalid too, so that flag is not offered then, nor when no row is valid (it was offered
 * to a run given --skip-invalid whose 15 rows were all invalid).
 */
export function notSentText(what: string, o: { json: boolean; files: number; issues: readonly Problem[]; valid: number }): string {
  const fix = o.json ? "fix the problems listed in the report's issues" : 'fix the problems above';
  const stoppers = o.issues.filter((p) => p.severity === 'error');
  if (stoppers.length > 0) {
    const named = stoppers.map((p) => `${shownFile(p.file)}${p.row !== undefined ? ` row ${p.row}` : ''}${p.column !== undefined ? ` ${p.column}` : ''} [${p.code}]`);
    // A problem the reader found on a row (invalid_encoding: a byte the encoding does not hold)
    // is the row's place in reading the file, not the file's as a whole: said so, with its row.
    const onRows = stoppers.some((p) => p.row !== undefined);
    const which =
      named.length === 1
        ? `one problem — ${named[0]} — ${onRows ? 'is in reading the file, not in what one row says' : "is the file's, not one row's"}, and stops`
        : `${named.length} problems — ${named.slice(0, 3).join(', ')}${named.length > 3 ? ', …' : ''} — ${onRows ? (stoppers.every((p) => p.row !== undefined) ? 'are in reading the files' : "are the files' or in reading them") + ', not in what one row says' : "are the files', not one row's"}, and stop`;
    return `${what}: ${fix} (${which} the whole run, even with --skip-invalid).`;
  }
  if (o.valid === 0) return `${what}: no row of the ${o.files === 1 ? 'file' : 'files'} is valid; ${fix}.`;
  return `${what}: ${fix}, or pass --skip-invalid to send the valid rows only.`;
}

/** The error code of a row held by another run (README "invoice-load payments"). */
export const HELD_BY_OTHER_RUN = 'HELD_BY_OTHER_RUN';

/**
 * The error of a row whose invoice another live `payments` run (another file naming it) claims:
 * that run answers it; this one sent nothing for it. `failed`, not a status of its own: the
 * report's statuses are the product's contract (README "invoice-load payments"), and a failed
 * row is what a re-run finishes. The claim records the other run's pid and start, its lock
 * the host (cli/journals.ts claimedElsewhere), not its file.
 */
export function heldPaymentError(s: InvoiceState, claims: readonly ClaimedElsewhere[]): ErrorRecord {
  const by = claims.find((c) => c.shared.some((k) => k.vendor === s.vendor && k.number === `${s.number} #${s.id}`)) ?? claims[0]!;
  const where = by.holder.host !== hostname() ? ` on host ${by.holder.host}` : '';
  return {
    step: 'erp',
    http_status: 0,
    code: HELD_BY_OTHER_RUN,
    message: `another run of invoice-load, of another payments file, is at work on invoice ${s.number} (id ${s.id}) now (pid ${by.holder.pid}, started ${by.holder.started}${where}); nothing was sent for this row, so that it is not paid or rejected twice. Run this file again once that run ends: it reads the invoice again and sends only what is still to do`,
  };
}

export async function runPayments(cfg: Config, term: Terminal): Promise<number> {
  // Before anything is sent: a report that cannot be written, found after Alma took the
  // payments, would end the run with a usage error over work that was done.
  checkReportPath(cfg);
  const { entries, issues, modifiedAt, sources } = await readPayments(cfg);
  const blocked = issues.some((p) => p.severity === 'error') || (entries.some((e) => e.request === undefined) && !cfg.skipInvalid);
  // A row that names its invoice by id is shown by the vendor and number Alma holds, once found.
  const shownAs = new Map<PaymentEntry, { vendor: string; number: string }>();
  const base = (e: PaymentEntry): LifecycleInvoice => ({
    vendor: shownAs.get(e)?.vendor ?? e.request?.vendor ?? e.key.vendor,
    number: shownAs.get(e)?.number ?? e.request?.invoiceNumber ?? e.key.number,
    status: e.request === undefined ? 'invalid' : 'planned',
    ...(e.request?.invoiceId !== undefined ? { id: e.request.invoiceId } : {}),
    alerts: [],
    issues: e.problems,
    rows: [e.source],
  });
  const { emitLifecycleReport } = await import('./lifecycle.js');
  // Why nothing was paid: the problems are above on a terminal, in the document with --json (as load.ts says it).
  const notSentLine = (what: string, valid: number): string => resultLine(term, term.errStyle.red(notSentText(what, { json: cfg.json, files: cfg.files.length, issues, valid })), '');
  const report = (invoices: LifecycleInvoice[], requests: number, dryRun: boolean, stopped?: string, detail?: StopDetail): LifecycleReport => ({
    target: 'alma',
    sandbox: isSandboxRun(cfg),
    command: 'payments',
    dry_run: dryRun,
    ...(stopped !== undefined ? { stopped } : {}),
    ...(stopped !== undefined && detail !== undefined ? { stop_detail: detail } : {}),
    summary: lifecycleSummary(invoices, requests),
    issues,
    invoices,
  });
  if ((cfg.dryRun && cfg.online !== true) || blocked || entries.every((e) => e.request === undefined)) {
    const doc = report(entries.map(base), 0, cfg.dryRun);
    // Said before the report's end: an unwritable report ends the run there (lifecycle.ts).
    const valid = entries.filter((e) => e.request !== undefined).length;
    // With --skip-invalid and no valid row the run is not blocked, and sends nothing all the same: said too.
    const closing = !cfg.dryRun && (blocked || (valid === 0 && entries.length > 0)) ? notSentLine('Nothing was sent', valid) : undefined;
    return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: false }), { sent: false }, closing);
  }

  const { withSession } = await import('./lifecycle.js');
  const { readEach, runOperations } = await import('../engine/operations.js');
  return withSession(cfg, term, async (session) => {
    const { erp } = session;
    // Every row's invoice found before anything is sent (DESIGN: every problem before the first
    // write): one Alma does not hold, or holds twice, one two rows name (by id and by number), a
    // voucher with more decimals than the invoice's currency — each an error on its row.
    const named = entries.filter((e) => e.request !== undefined);
    const read = await readEach(named, (e) => locate(erp, e.request!), session.readOptions);
    if (read.stopped !== undefined) {
      // Alma cannot go on (unreachable, key refused, daily threshold, Ctrl-C): nothing was sent.
      const notStarted: ErrorRecord = { step: 'lookup', http_status: 0, code: NOT_STARTED, message: `not started: the run stopped first (${read.stopped}); a re-run does it` };
      const readOf = new Map(named.map((e, i) => [e, read.results[i]]));
      const invoices = entries.map((e): LifecycleInvoice => {
        if (!readOf.has(e)) return base(e);
        const r = readOf.get(e);
        return { ...base(e), status: 'failed', error: r !== undefined && !('id' in r) ? r : notStarted };
      });
      const doc = report(invoices, erp.requestCount(), cfg.dryRun, read.stopped, read.detail);
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: true }), sentOpts(false, true, erp.requestCount(), 'Alma'));
    }
    const located = new Map(named.map((e, i) => [e, read.results[i]!]));
    for (const [e, st] of located) if (e.request?.invoiceId !== undefined && 'id' in st) shownAs.set(e, { vendor: st.vendor, number: st.number });
    for (const [e, found] of checkLocated(named, located)) {
      e.problems.push(...found);
      if (found.some((p) => p.severity === 'error')) e.request = undefined;
    }
    const valid = entries.filter((e) => e.request !== undefined);
    if (!cfg.dryRun && !cfg.skipInvalid && valid.length < named.length) {
      const doc = report(entries.map(base), erp.requestCount(), false);
      // Look-ups were sent (the invoices found): nothing was written, not nothing sent.
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: false }), { sent: false }, notSentLine('Nothing was written to Alma (only look-ups were sent)', valid.length));
    }
    // One journal per (place, content of the valid rows): a re-run of the same file resumes it.
    const identity = shortHash(JSON.stringify(valid.map((e) => [e.key, e.request])));
    if (cfg.dryRun) {
      // --online: what the same command would do now, nothing changed — this file's journal at
      // this place read (not opened: a run at work may hold its lock), each invoice as found.
      const journaled = readPaymentsJournal(cfg.stateDir, session.endpoint, identity);
      const marked = marksAt({ stateDir: cfg.stateDir, endpoint: session.endpoint });
      const invoices = entries.map((e): LifecycleInvoice => {
        const b = base(e);
        const s = located.get(e);
        if (e.request === undefined || s === undefined || !('id' in s)) return b;
        const roundAt = roundKey((k) => journaled.get(keyString(k)), e.key);
        const found = journaled.get(keyString(roundAt));
        // A rejection sent, never seen done, and the invoice handed over again since by export: its
        // round is over — as the run journals it (rejectionOvertaken), read as recorded done here.
        const round =
          found !== undefined && rejectionOvertaken(e.request, s, found, marked)
            ? { ...found, ops: new Map(found.ops).set('rejected', overtakenRejection(roundAt, s, new Date().toISOString())) }
            : found;
        // Rejected by this file and handed over again since: a new round, nothing journaled of it yet.
        const again = rejectionAgain(e.request, s, round, modifiedAt.get(e.source.file));
        const heldOld = heldAsOldWarning(e.source, e.request, s, round, modifiedAt.get(e.source.file));
        if (heldOld !== undefined) e.problems.push(heldOld);
        const later = roundKeys((k) => journaled.get(keyString(k)), e.key).length > 1;
        const v = !again && roundUnsentAndMovedOn(e.request, s, round, later) ? { status: 'already_done' as const } : dryRunVerdict(e.request, s, again ? undefined : round);
        const warned = again && v.status === 'planned' ? { issues: [...b.issues, rejectedAgainWarning(e.source, round?.opsSentAt.get('rejected'))] } : {};
        return { ...b, ...warned, id: s.id, status: v.status, workflow_status: s.workflowStatus, alerts: s.alerts, ...(v.error !== undefined ? { error: v.error } : {}) };
      });
      const doc = report(invoices, erp.requestCount(), true);
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport({ ...doc, summary: { ...doc.summary, invalid: doc.summary.invalid + doc.summary.failed } }, { sent: false }), { sent: false });
    }
    // The look-ups took seconds after a read of milliseconds: a file still being uploaded whose
    // transfer stalled inside its last value (a voucher number, a rejection note) read whole, and
    // grows only now. Nothing is written from it, as for a load (README "What is checked before
    // anything is sent").
    const changed = await changedAfterRead(sources);
    if (changed.length > 0) {
      for (const p of changed) issues.push(p); // one per file: not spread into one call (the stack)
      const doc = report(entries.map(base), erp.requestCount(), false);
      return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: false }), { sent: false }, resultLine(term, term.errStyle.red(`Nothing was written to Alma (only look-ups were sent): ${changedAfterReadLine(changed, shownFile)}`), ''));
    }
    const journal = session.journal('payments', identity);
    // Another payments run (another file naming one of these invoices) at work now: each
    // journal's lock covers one file, so both would send op=paid. Claimed by the invoice Alma
    // holds (journals.ts claimedElsewhere, as a load claims its invoices), a row whose invoice a
    // live run claims is held: nothing sent for it here, and the row fails HELD_BY_OTHER_RUN.
    const invoiceKey = (e: PaymentEntry): InvoiceKey | undefined => {
      const s = located.get(e);
      return s !== undefined && 'id' in s ? { vendor: s.vendor, number: `${s.number} #${s.id}` } : undefined;
    };
    const claims = session.claim('payments', identity, valid.flatMap((e) => invoiceKey(e) ?? []));
    const claimed = new Set(claims.flatMap((c) => c.shared.map((k) => `${k.vendor}\u0000${k.number}`)));
    const held = new Set(valid.filter((e) => {
      const k = invoiceKey(e);
      return k !== undefined && claimed.has(`${k.vendor}\u0000${k.number}`);
    }));
    const toSend = valid.filter((e) => !held.has(e));
    // Each row's round in the journal: a rejection this file gave that took effect, of an invoice
    // handed over again since, starts a new one (rejectionAgain), which is sent; the runner reads
    // the invoice again first, as for any row.
    const batch = new Date().toISOString();
    const journalKeys = new Map<PaymentEntry, InvoiceKey>();
    // The round before each row's (when it is in a later one): a rejection this run sends in it
    // is said with a warning naming when that round's was sent (rejectedAgainWarning).
    const previousRound = new Map<PaymentEntry, InvoiceKey>();
    const marked = marksAt({ stateDir: cfg.stateDir, endpoint: session.endpoint });
    for (const e of toSend) {
      const rounds = roundKeys((x) => journal.state(x), e.key);
      let k = rounds.at(-1)!;
      const s = located.get(e);
      // Sent, never seen done, and handed over again by export since: over, journaled so (rejectionOvertaken).
      if (s !== undefined && 'id' in s && rejectionOvertaken(e.request!, s, journal.state(k), marked)) journal.append(overtakenRejection(k, s, batch));
      const heldOld = s !== undefined && 'id' in s ? heldAsOldWarning(e.source, e.request!, s, journal.state(k), modifiedAt.get(e.source.file)) : undefined;
      if (heldOld !== undefined) e.problems.push(heldOld);
      if (s !== undefined && 'id' in s && rejectionAgain(e.request!, s, journal.state(k), modifiedAt.get(e.source.file))) {
        journal.append({ t: 'op', ...k, op: AGAIN, id: s.id, outcome: 'done', batch });
        previousRound.set(e, k);
        k = roundKey((x) => journal.state(x), e.key);
      } else if (rounds.length > 1) previousRound.set(e, rounds.at(-2)!);
      journalKeys.set(e, k);
    }
    const outcome = await runOperations(
      toSend.map((e) => {
        const req = e.request!;
        const found = located.get(e);
        // A voucher given no currency is in the invoice's, sent as such: an unset voucher currency
        // reads back empty (sample 01, docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments).
        const currency = req.voucherCurrency ?? (found !== undefined && 'id' in found ? found.currency : undefined);
        return {
          key: e.key,
          journalKey: journalKeys.get(e),
          op: req.status,
          // Every read is made now, the first too (one GET more a row): the look-up above came
          // before the claim, and a run that paid the invoice and ended in between holds no claim
          // any more — sent on that look-up, a rejection would go to an invoice paid and closed.
          read: () => locate(erp, req),
          // A later round not sent yet whose invoice moved on (roundUnsentAndMovedOn): the previous
          // round's rejection stands, already done — read on this fresh read, after the claim.
          done: (s: InvoiceState) => paymentDone(req, s) || roundUnsentAndMovedOn(req, s, journal.state(journalKeys.get(e)!), previousRound.has(e)),
          refuse: (s: InvoiceState) => paymentRefusal(req, s),
          differs: (s: InvoiceState) => paymentDiffers(req, s),
          send: (id: string) =>
            req.status === 'paid'
              ? erp.paid(id, { voucherNumber: req.voucherNumber!, voucherDate: req.voucherDate!, voucherAmount: req.voucherAmount!, voucherCurrency: currency })
              : erp.rejected(id, req.note!),
        };
      }),
      session.runOptions(journal, (r) => valid.find((e) => e.key === r.key)?.request?.status ?? 'done'),
    );
    const byEntry = new Map(toSend.map((e, i) => [e, outcome.results[i]!]));
    const invoices = entries.map((e): LifecycleInvoice => {
      const b = base(e);
      const st = located.get(e);
      if (held.has(e) && st !== undefined && 'id' in st) return { ...b, status: 'failed', id: st.id, workflow_status: st.workflowStatus, alerts: st.alerts, error: heldPaymentError(st, claims) };
      const r = byEntry.get(e);
      if (r === undefined) return b;
      const status = r.status === 'done' ? e.request!.status : r.status === 'not_started' ? 'failed' : r.status;
      const prev = previousRound.get(e);
      const warned = prev !== undefined && status === 'rejected' ? { issues: [...b.issues, rejectedAgainWarning(e.source, journal.state(prev).opsSentAt.get('rejected'))] } : {};
      return { ...b, ...warned, status, id: r.id ?? b.id, workflow_status: r.workflowStatus, alerts: r.alerts, ...(r.error !== undefined ? { error: r.error } : {}) };
    });
    const doc = report(invoices, erp.requestCount(), false, outcome.stopped, outcome.detail);
    // None sent (every invoice paid or rejected already, a stop first) or each refused: said as
    // nothing written to Alma, when the report cannot be written.
    const sent = sentOpts(outcome.writes.wrote, outcome.stopped !== undefined, erp.requestCount(), 'Alma', outcome.writes.refused);
    return emitLifecycleReport(cfg, term, doc, exitCodeForReport(doc, { sent: true }), sent);
  });
}
