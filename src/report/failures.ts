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
import { refusalKind } from '../engine/result.js';
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
  '60260': { means: 'Alma could not start processing the invoice (its workflow)', fix: "open the invoice in Alma to see why, or run the same command again later" },
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
    means: "Alma did not answer the invoice's last step (FOLIO: its approval), and the invoice did not show it done while the loader watched; it was not sent a second time, which could have been a second financial transaction",
    fix: 'run the same command again: it reads the invoice first, and sends the step again only if Alma still does not show it done',
  },
  ID_NOT_KEPT: {
    means: 'Alma made the record under an id of its own, not the one invoice-load gave it (in this run, which then stopped and sent nothing more, or in an earlier one); invoice-load relies on its ids to never send anything twice, so it continues no such record: nothing was added to it, nothing approved',
    fix: 'ask the administrators of Alma why a new record does not keep the id it is sent with; the error above says what was made under the other id and what to do about it before loading again',
  },
  '60288': { means: 'an invoice with this vendor and number already exists and Alma does not allow duplicates', fix: 'check the invoice in Alma; if it is another invoice, correct the number in the file' },
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
 * codes (CANARY_MISMATCH, EXISTS_DIFFERENT, EXISTS_NOT_OURS, OUTCOME_UNKNOWN, ID_NOT_KEPT) in any, naming the target.
 */
function explain(code: string, step: string, report: Pick<ReportDocument, 'target'>, label: string): FailureGroup['explanation'] {
  // A step's own words for a code first (`lines:EXISTS_DIFFERENT`), then the code's.
  const t = ERROR_TEXT[`${step}:${code}`] ?? ERROR_TEXT[code];
  if (t === undefined) return undefined;
  if (/^\d+$/.test(code)) return report.target === 'alma' ? t : undefined;
  return { means: t.means.replaceAll('Alma', label), fix: t.fix.replaceAll('Alma', label) };
}

/** Failed invoices grouped by step and code, largest group first (then in input order); `label`: the target's name for people. */
export function groupFailures(report: ReportDocument, label = 'Alma'): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const inv of report.invoices) {
    if (inv.status !== 'failed') continue;
    const e = inv.error;
    const code = e?.code ?? 'unknown';
    const key = `${e?.step ?? ''}\u0000${code}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { step: e?.step ?? 'create', code, message: e?.message ?? 'the invoice did not finish', kind: failureKind(e), invoices: [], rows: [], explanation: explain(code, e?.step ?? 'create', report, label) };
      groups.set(key, g);
    }
    g.invoices.push(inv);
    for (const r of inv.rows) g.rows.push(r);
  }
  return [...groups.values()].sort((a, b) => b.invoices.length - a.invoices.length);
}

/**
 * When running again can finish a run that stopped (the report's `stopped`): the same command at
 * once cannot reach an address that is wrong, nor pass a refused key or a spent daily threshold.
 */
const RERUN_WHEN: Record<string, string> = {
  unreachable: 'once the address or the network is put right (above), ',
  auth: 'once the API key is put right (above), ',
  daily_limit: "after the institution's midnight, ",
  retry_after: 'after the wait the API asked for (above), ',
};

/** When to run again after a run that stopped this way: a clause to put before "run", or nothing. */
export function rerunWhen(stopped: string | undefined): string {
  return (stopped !== undefined ? RERUN_WHEN[stopped] : undefined) ?? '';
}

/** What to do after a run with failures, by their kinds and by why the run stopped, if it did. */
export function failureAdvice(groups: readonly FailureGroup[], stopped?: string, label = 'Alma'): string | undefined {
  if (groups.length === 0) return undefined;
  const business = groups.some((g) => g.kind === 'business');
  const transient = groups.some((g) => g.kind === 'transient');
  const fix = `fix the file (or the setting in ${label}) as each group says and load it again — --rejects <file> writes just those rows, with the reason`;
  const rerun = (which: string): string => `${rerunWhen(stopped)}run the same command again to finish ${which}: the journal resumes them, nothing is sent twice`;
  if (business && transient) return `Next: ${fix}; ${rerun('the others')}.`;
  return business ? `Next: ${fix}. Running the same command again would be refused the same way.` : `Next: ${rerun('them')}.`;
}
