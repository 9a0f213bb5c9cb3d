/**
 * Failed invoices grouped by what went wrong — pure. Identical failures (same step, same code)
 * are one group, with a plain explanation and a fix for each Alma error code the loader knows,
 * and the kind of failure: a business refusal (Alma said no: the file or Alma's setup must
 * change) or a transient one (a timeout, a lost connection, a 5xx: running the same command
 * again finishes it). Codes and messages: Ex Libris' Acquisitions API reference for
 * POST /acq/invoices and its lines (https://developers.exlibrisgroup.com/alma/apis/acq/), see
 * docs/alma.md.
 */
import type { Provenance } from '../input/record.js';
import { createUnanswered, NOT_STARTED, refusalKind, STOP_CODE, STOP_CODES } from '../engine/result.js';
import type { StopDetail, StopReason } from '../engine/events.js';
import { GATEWAY_DOWN, NO_ANSWER, NOT_ALMA_API } from '../common/errors.js';
import type { ReportDocument, ReportError, ReportInvoice } from './report.js';

export type FailureKind = 'business' | 'transient';

export interface FailureGroup {
  step: ReportError['step'];
  code: string;
  message: string;
  kind: FailureKind;
  invoices: ReportInvoice[];
  rows: Provenance[];
  explanation?: { means: string; fix: string } | undefined;
}

/** What Alma's error codes mean and what to do, in plain words. */
export const ERROR_TEXT: Record<string, { means: string; fix: string }> = {
  '60233': { means: 'the invoice has no number', fix: 'fill invoice_number' },
  '60234': { means: 'the invoice has no date', fix: 'fill invoice_date (YYYY-MM-DD)' },
  '60235': { means: 'the invoice has no total amount', fix: 'fill total_amount' },
  '60236': { means: "the currency is not in Alma's currency list", fix: 'use an ISO currency code your Alma has active (e.g. USD, EUR)' },
  '60237': { means: "the vendor account is not one of this vendor's accounts in Alma", fix: "use the account code shown on the vendor's record in Alma (Acquisitions > Vendors > Accounts)" },
  '60238': { means: 'the payment method is not in Alma\'s PaymentMethod code table', fix: 'use a payment method code Alma lists (e.g. ACCOUNTINGDEPARTMENT, CREDITCARD, BANKTRANSFER)' },
  '60242': { means: 'the vendor is not a material supplier in Alma', fix: "mark the vendor as a material supplier in Alma, or use the supplier's own vendor code" },
  '60243': { means: "the vendor does not accept the invoice's currency", fix: "use one of the vendor's currencies, or add the currency to the vendor in Alma" },
  '60246': { means: 'the owner is not a library or institution code Alma knows', fix: 'use the code of the library that owns the invoice' },
  '60247': { means: "the line type is not in Alma's InvoiceLinesTypes code table", fix: 'use REGULAR, or another line type your Alma lists' },
  '60248': { means: 'the PO line of an invoice line was not found in Alma', fix: 'check the po_line value against the PO line numbers in Alma (POL-…)' },
  '60249': { means: 'the line is for a subscription (a continuous PO line) and Alma needs its period', fix: 'fill subscription_from_date and subscription_to_date on those lines' },
  '60251': { means: "a reporting code is not in Alma's reporting code table", fix: 'use a reporting code Alma lists, or leave it empty' },
  '60252': { means: 'a percentage and an amount are both given where Alma takes one', fix: 'keep either the percentage or the amount (VAT, or the fund split)' },
  '60253': { means: 'the VAT code is not one Alma knows', fix: 'use a VAT code from Alma, or give a VAT percentage instead' },
  '60254': { means: "a fund code is not an active fund in Alma's current fiscal period", fix: 'use the code of an active fund (Acquisitions > Funds and Ledgers)' },
  '60257': { means: 'a fund distribution has neither a percentage nor an amount', fix: 'fill fund_percent or fund_amount' },
  // Refused at the process step: the invoice and its lines are in Alma, and a re-run sends the
  // process request again (its refused intent is settled: engine/journal.ts `refused`), nothing else.
  '60260': {
    means: 'Alma could not start processing the invoice (its workflow); the invoice and its lines are in Alma',
    fix: 'open the invoice in Alma to see why and put that right, then run the same command again (or just later): it sends only the processing again',
  },
  CANARY_MISMATCH: {
    means: 'Alma stored the first invoice of the run differently from what was sent (the field, both values and the invoice are named above); every invoice would be stored the same way, so no other was sent',
    fix: 'check that invoice in Alma and the field named; once the cause is fixed, or if the difference does not matter, run the same command again (--no-canary skips the check)',
  },
  EXISTS_DIFFERENT: {
    means: 'Alma already holds an invoice with this vendor and number but another total; it was left unchanged and no second one was created',
    fix: 'check that invoice in Alma: if it is this one, correct the total in Alma or in the file; if it is another invoice, correct the number in the file',
  },
  // A line, not the invoice: found after its send went unanswered, held otherwise than sent (engine.ts `#settledAsSent`).
  'lines:EXISTS_DIFFERENT': {
    means: "Alma holds a line of the invoice that a send of it made, with other values than the file (the message above names them): Alma may have stored it and failed before finishing it; it was not taken as the file's line, and nothing more was sent for the invoice",
    fix: 'check that line in Alma: correct it there, or delete it, then run the same command again (it then takes the line, or sends it anew)',
  },
  EXISTS_NOT_OURS: {
    means: 'Alma already holds an invoice with this vendor and number that invoice-load did not create (keyed in by hand, or sent by another tool); it was left as it is: nothing was added to it, nothing approved, and no second one was created',
    fix: 'check that invoice in Alma: if it is this one, take it out of the file; if it is another invoice, correct the number in the file',
  },
  OUTCOME_UNKNOWN: {
    means: "Alma did not answer the invoice's last step (FOLIO: its approval), and the invoice did not show it done while the loader watched; it was not sent again after that watch, as another could have been a second financial transaction",
    fix: 'run the same command again: it reads the invoice first, and sends the step again only if Alma still does not show it done',
  },
  // A hand-over or a payment (step erp: src/engine/operations.ts) sent without an answer — or sent
  // again and refused — and not shown done by the reads after it: it may have been sent more than
  // once, so not the last step's "not sent a second time".
  'erp:OUTCOME_UNKNOWN': {
    means: 'Alma did not answer the request (or its answer was lost), and the invoice did not show it done when the loader read it back; Alma carries these out asynchronously, so it may still take effect',
    fix: 'run the same command again: it reads the invoice first, and sends the request again only if Alma still does not show it done',
  },
  // At the create: refused because the number exists, after a create of it went unanswered, and
  // not found by the search (src/engine/engine.ts `#heldButUnseen`).
  'create:OUTCOME_UNKNOWN': {
    means:
      "Alma refused the create because it holds an invoice with this vendor and number, but its search did not show it while the loader looked; a create of it had been sent earlier without an answer, so it is most likely that one. Nothing was sent for it after that refusal",
    fix: "run the same command again later (once Alma's search shows it): it looks the invoice up and completes it; do not change its number in the file, which would load the invoice twice",
  },
  ID_NOT_KEPT: {
    means: 'Alma made the record under an id of its own, not the one invoice-load gave it (in this run, which then stopped and sent nothing more, or in an earlier one); invoice-load relies on its ids to never send anything twice, so it continues no such record: nothing was added to it, nothing approved',
    fix: 'ask the administrators of Alma why a new record does not keep the id it is sent with; the error above says what was made under the other id and what to do about it before loading again',
  },
  // The journal's invoice, read by id, held only as deleted or withdrawn (src/engine/engine.ts `#notWithdrawn`).
  WITHDRAWN: {
    means: "Alma now holds the invoice only as deleted or withdrawn (Exsited: DELETED or VOID; Alguna: void or canceled; FOLIO: Cancelled), though this file's journal records that invoice-load created it: it was neither reported loaded nor created again",
    fix: "to load it again, load its rows from another file — the --rejects file, or an edited copy (a journal of its own: it is looked for and created anew); not by deleting this file's journal, which also holds what the batch's unfinished invoices need; if it stays withdrawn, take it out of the file",
  },
  '60288': { means: 'an invoice with this vendor and number already exists and Alma does not allow duplicates', fix: 'check the invoice in Alma; if it is another invoice, correct the number in the file' },
  // The run's stop, not the invoice's failure (src/engine/result.ts STOP_CODE, NOT_STARTED): the
  // fix begins with when running again helps, by why the run stopped (`explain`, STOP_NEXT).
  ...Object.fromEntries(
    [...new Set(Object.values(STOP_CODE))].map((code) => [
      code,
      {
        means: 'the run stopped (why is said above) while this invoice was under way; the journal holds how far it got',
        fix: 'run the same command again: it finishes the invoice from where it was, and nothing is sent twice',
      },
    ]),
  ),
  [NOT_STARTED]: {
    means: 'the run stopped (why is said above) before it reached this invoice: nothing of it was sent',
    fix: 'run the same command again: it sends it, and nothing is sent twice',
  },
  // More than one invoice under one group line is said in the plural (MANY_TEXT below).
  // Operations on loaded invoices (export --mark-in-erp, payments: src/engine/operations.ts, src/cli/export.ts, src/cli/payments.ts).
  NOT_CONFIRMED: {
    means: 'Alma accepted the request, but the invoice did not show it done while the loader watched (or the run was stopped first); it was not sent again, as Alma may still be at work on it and a second could be done twice',
    fix: 'run the same command again later: it reads the invoice and confirms it, sending nothing; if Alma keeps showing the old status, check the invoice in Alma',
  },
  LINES_INCOMPLETE: {
    means: 'Alma gave fewer lines of the invoice than it counts, also when asked for its lines alone; it was neither written to the file nor marked, so that finance is not handed part of it',
    fix: "run the same command again later: it tries again; if it stays so, check the invoice's lines in Alma",
  },
  NOT_FOUND: { means: 'Alma holds no such invoice (any more)', fix: 'check the invoice id or the vendor and number in the file against Alma, and correct the row or take it out' },
  AMBIGUOUS: { means: 'Alma holds more than one invoice with this vendor and number, so the row does not say which', fix: 'give the invoice_id of the one meant in the file' },
  WRONG_STATUS: {
    means: "the invoice's status in Alma does not take this action (the message says which it is in); it was left unchanged",
    fix: 'check the invoice in Alma: once it is in the status the action needs, run the same command again; if it was done another way, take the row out of the file',
  },
  CLOSED_OTHER_VOUCHER: {
    means: 'the invoice is already closed with another voucher number; it was left unchanged',
    fix: 'check which payment closed it: correct the voucher number in the file, or take the row out',
  },
  PAYMENT_DIFFERS: {
    means: "the invoice is already closed and paid with this voucher, but with another amount, currency or date than the row's (the message names both); it was left unchanged",
    fix: "check which is right: correct the payment in Alma (its voucher fields), or the row; once they agree, the same command reports it already done",
  },
  NOT_LOADED: { means: 'Alma holds no such invoice to act on: it was never loaded', fix: 'load the batch first, or correct the vendor, number or purchase order in the file' },
  // What the loader checks before a create (FOLIO: src/targets/folio/target.ts); "Alma" reads as the report's target.
  vendor_not_found: { means: 'the vendor code is not an organization code Alma has', fix: "use the organization's code as Alma has it" },
  fund_not_found: { means: 'a fund code is not one Alma has', fix: 'use the code of an active fund in Alma' },
  po_line_not_found: { means: 'a PO line number is not one Alma has', fix: 'check the po_line value against the purchase order lines in Alma' },
  payment_method_missing: { means: "the file gives no payment method and the vendor's organization in Alma has none; Alma requires one", fix: "fill payment_method, or give the organization one in Alma" },
  batchGroupNotFound: { means: 'the batch group invoices go into was not found in Alma', fix: "give a batch group Alma has (the target's configuration), or ask Alma's administrators for one" },
  idConflict: {
    means: 'Alma holds another record under the id invoice-load gives this invoice; it was left unchanged and nothing was sent for the invoice',
    fix: "check that record in Alma (its number is in the message): ask Alma's administrators about it before loading this invoice again",
  },
  // The target could not be reached (src/common/errors.ts): the code an operation on a loaded invoice keeps.
  [GATEWAY_DOWN]: { means: 'Alma, or the way to it, is down: only a gateway or proxy answered, with 502/503/504', fix: 'run the same command again later: nothing is sent twice' },
  [NO_ANSWER]: {
    means: "nothing answered at Alma's address in time: the host takes connections but does not answer",
    fix: 'check the address, the network and proxy — or, if Alma is only slow, give it a longer --timeout — then run the same command again',
  },
  [NOT_ALMA_API]: { means: "the address answered, but not as Alma's API answers: it leads somewhere else", fix: 'put the address right (--alma-url, --region, --api-url), then run the same command again' },
};

/**
 * The words of ERROR_TEXT for a group of more than one invoice, where its singular ("this
 * invoice", "it sends it") would not agree with the group's line ("33 invoices: …"): the run's
 * stop, whose explanation speaks of the invoice in hand.
 */
const MANY_TEXT: Record<string, { means: string; fix: string }> = {
  ...Object.fromEntries(
    [...new Set(Object.values(STOP_CODE))].map((code) => [
      code,
      {
        means: 'the run stopped (why is said above) while these invoices were under way; the journal holds how far each got',
        fix: 'run the same command again: it finishes each invoice from where it was, and nothing is sent twice',
      },
    ]),
  ),
  [NOT_STARTED]: {
    means: 'the run stopped (why is said above) before it reached these invoices: nothing of them was sent',
    fix: 'run the same command again: it sends them, and nothing is sent twice',
  },
};

/** A business refusal: Alma answered 4xx with its own code. Anything else (5xx, timeout, network) passes. */
export function failureKind(e: ReportError | undefined): FailureKind {
  if (e === undefined) return 'transient';
  const kind = (e as ReportError & { kind?: string }).kind;
  if (kind === 'business' || kind === 'transient') return kind;
  return refusalKind(e);
}

/**
 * What a code means, in the words of the report's target (`label`): Alma's numbered codes only
 * in an Alma report (another API may use the same number for something else); the loader's own
 * codes (CANARY_MISMATCH, EXISTS_DIFFERENT, EXISTS_NOT_OURS, OUTCOME_UNKNOWN, ID_NOT_KEPT, WITHDRAWN) in any, naming the target.
 */
function explain(code: string, step: string, report: Pick<ReportDocument, 'target' | 'stopped' | 'stop_detail'>, label: string, many = false): FailureGroup['explanation'] {
  // A step's own words for a code first (`lines:EXISTS_DIFFERENT`), then the code's; a group's plural, if it has one.
  const t = (many ? MANY_TEXT[code] : undefined) ?? ERROR_TEXT[`${step}:${code}`] ?? ERROR_TEXT[code];
  if (t === undefined) return undefined;
  if (/^\d+$/.test(code)) return report.target === 'alma' ? t : undefined;
  // The run's stop: when running again helps, by why it stopped.
  const when = STOP_CODES.has(code) ? rerunWhen(report.stopped, report.stop_detail, label) : '';
  return { means: t.means.replaceAll('Alma', label), fix: `${when}${t.fix.replaceAll('Alma', label)}` };
}

/** Failed invoices grouped by step and code, largest group first (then in input order); `label`: the target's name for people. */
export function groupFailures(report: ReportDocument, label = 'Alma'): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const inv of report.invoices) {
    if (inv.status !== 'failed') continue;
    const e = inv.error;
    const code = e?.code ?? 'unknown';
    // Apart from the ones not created yet: a create of these went without an answer (their words differ, stopped.ts).
    const key = `${e?.step ?? ''}\u0000${code}${createUnanswered(inv) !== undefined ? `\u0000${createUnanswered(inv)}` : ''}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { step: e?.step ?? 'create', code, message: e?.message ?? 'the invoice did not finish', kind: failureKind(e), invoices: [], rows: [], explanation: explain(code, e?.step ?? 'create', report, label) };
      groups.set(key, g);
    }
    g.invoices.push(inv);
    for (const r of inv.rows) g.rows.push(r);
  }
  for (const g of groups.values()) if (g.invoices.length > 1) g.explanation = explain(g.code, g.step, report, label, true);
  return [...groups.values()].sort((a, b) => b.invoices.length - a.invoices.length);
}

/**
 * What a stop means and when running again helps, by the report's `stopped` (and, for
 * `unreachable`, the code behind it: `stop_detail.code`), in one table for every report: the
 * HTML page's banner (`said`), and the clause the terminal, the payments/export and the verify
 * summaries put before "run the same command again" (`when`: empty when at once is right).
 * Texts of the stops' own lines: src/engine/events.ts `stopMessage`, src/common/errors.ts
 * `unreachableText`.
 */
interface StopNext {
  said: (label: string, detail: StopDetail | undefined) => string;
  when: (label: string, detail: StopDetail | undefined) => string;
}

const AGAIN = 'run the same command again to finish: what was done is in the journal, and nothing is sent twice';

/** The stop reasons of src/engine/events.ts `StopReason`, each with its next step. */
export const STOP_NEXT: Readonly<Record<StopReason, StopNext>> = {
  interrupted: {
    said: () => `The run was interrupted. Everything done so far is recorded: ${AGAIN}.`,
    when: () => '',
  },
  daily_limit: {
    said: () => "The institution's daily API limit was reached, so nothing more was sent. Run the same command again after midnight (the institution's time, when the limit resets) to finish: what was done is in the journal, and nothing is sent twice.",
    when: () => "after the institution's midnight, ",
  },
  retry_after: {
    said: (label, d) =>
      d?.code !== undefined
        ? `${label} kept refusing every request for its per-second threshold (${d.code}) though invoice-load slowed down: another application may be using the institution's threshold, so nothing more was sent. ${d.until !== undefined ? `After ${d.until}` : 'Later'}, ${AGAIN}.`
        : `${label} asked to wait longer than invoice-load waits (Retry-After), so nothing more was sent. ${d?.until !== undefined ? `After ${d.until}` : 'After that wait'}, ${AGAIN}.`,
    when: (label, d) =>
      d?.code !== undefined
        ? `later (after ${d.until ?? 'a few minutes'}, when ${label}'s per-second threshold is free), `
        : d?.until !== undefined
          ? `after ${d.until} (the wait ${label} asked for), `
          : `after the wait ${label} asked for (above), `,
  },
  auth: {
    // `code` is set only for a refusal without the API's error document (engine/events.ts
    // stopDetail): a proxy, a firewall or another server answered, not the target — its key is
    // not what to put right.
    said: (label, d) =>
      d?.code !== undefined
        ? `A request was refused (${d.code}) without ${label}'s error document: a proxy, a firewall or a server that is not ${label}'s API answered, so nothing more was sent. Check the address and the network or proxy before the key, then run the same command again.`
        : label === 'Alma'
          ? 'Alma refused the API key. Check the key and its Acquisitions read/write permission, then run the same command again.'
          : `${label} refused the credentials. Check them and their permissions, then run the same command again.`,
    when: (_label, d) => (d?.code !== undefined ? 'once the network or proxy is put right (above), ' : 'once the API key is put right (above), '),
  },
  canary: {
    said: (label) =>
      `The first invoice did not read back from ${label} as it was sent (see its error below), so no other invoice was sent. Check that invoice and the field named; once the cause is fixed, or if the difference does not matter, run the same command again (--no-canary skips the check).`,
    when: () => 'once the difference the first invoice showed is looked into (above), ',
  },
  max_errors: {
    said: (label) =>
      `Too many invoices in a row were refused by ${label} with the same code, or failed without a definite answer (--max-errors), so no new invoice was started. Fix the cause (see the errors below), then run the same command again.`,
    when: () => 'once the cause of the failures in a row is fixed (below), ',
  },
  unreachable: {
    said: (label, d) => {
      switch (d?.code) {
        case GATEWAY_DOWN:
          return `${label}, or the way to it, is down: only a gateway or proxy answered, with 502/503/504. Nothing more was sent. Later, ${AGAIN}.`;
        case NO_ANSWER:
          return `Nothing answered at ${label}'s address in time: the host takes connections but does not answer. Check the address, the network and proxy — or, if ${label} is only slow, give it a longer --timeout — then run the same command again.`;
        case NOT_ALMA_API:
          return `The address answered, but not as ${label}'s API answers: it leads somewhere else. Put the address right (--alma-url, --region, --api-url), then run the same command again.`;
        default:
          return 'The target could not be reached at all (no such host, nothing listening, or a TLS error). Check the address and the network, then run the same command again.';
      }
    },
    when: (label, d) =>
      d?.code === GATEWAY_DOWN
        ? `later, once ${label} is up again, `
        : d?.code === NO_ANSWER
          ? `once the address and the network are checked (or with a longer --timeout, if ${label} is only slow), `
          : 'once the address or the network is put right (above), ',
  },
  journal: {
    said: () =>
      'The journal could not be written (a full disk, or a state dir that cannot be written), so nothing more was sent. Free space or fix the state dir, then run the same command again: the journal as written lets it settle what was sent.',
    when: () => 'once the journal can be written again (free space, or fix the state dir), ',
  },
  ids_not_kept: {
    said: (label) =>
      `${label} did not keep the id invoice-load gave a new record (see the invoice's error below), so it cannot guarantee that nothing is sent twice: nothing more was sent. Ask the administrators of ${label} why, and load again only once it keeps the ids it is sent.`,
    when: (label) => `once ${label} keeps the ids it is sent (ask its administrators), `,
  },
};

const stopNext = (stopped: string | undefined): StopNext | undefined => (stopped !== undefined && Object.hasOwn(STOP_NEXT, stopped) ? STOP_NEXT[stopped as StopReason] : undefined);

/** When to run again after a run that stopped this way: a clause to put before "run", or nothing. */
export function rerunWhen(stopped: string | undefined, detail?: StopDetail, label = 'Alma'): string {
  return stopNext(stopped)?.when(label, detail) ?? '';
}

/** What a stop means and what to do, in sentences (the HTML page's banner); the reason itself for one unknown. */
export function stopText(stopped: string, detail: StopDetail | undefined, label = 'Alma'): string {
  return stopNext(stopped)?.said(label, detail) ?? stopped;
}

/** What to do after a run with failures, by their kinds and by why the run stopped, if it did. */
export function failureAdvice(groups: readonly FailureGroup[], stopped?: string, label = 'Alma', detail?: StopDetail): string | undefined {
  if (groups.length === 0) return undefined;
  // A refusal of the process step is not the file's: the invoice and its lines are in the
  // target, and the same command sends the process request again (engine/journal.ts `refused`
  // settles the refused intent), so it is what finishes them once the cause is put right there.
  const processed = groups.some((g) => g.kind === 'business' && g.step === 'process');
  const business = groups.some((g) => g.kind === 'business' && g.step !== 'process');
  const transient = groups.some((g) => g.kind === 'transient');
  const fix = `fix the file (or the setting in ${label}) as each group says and load it again — --rejects <file> writes just those rows, with the reason`;
  const rerun = (which: string): string => `${rerunWhen(stopped, detail, label)}run the same command again to finish ${which}: the journal resumes them, nothing is sent twice`;
  const process = `for the invoices ${label} did not process (they are in ${label} with their lines), put right in ${label} what their group says, then ${rerunWhen(stopped, detail, label)}run the same command again: it sends only their processing again`;
  if (processed) return `Next: ${[...(business ? [fix] : []), process, ...(transient ? [rerun('the others')] : [])].join('; ')}.`;
  if (business && transient) return `Next: ${fix}; ${rerun('the others')}.`;
  return business ? `Next: ${fix}. Running the same command again would be refused the same way.` : `Next: ${rerun('them')}.`;
}
