/**
 * Payment confirmations from the finance system (`invoice-load payments`): records → checked
 * payment requests, every problem with its row and column, before anything is sent. Pure.
 *
 * Columns (README "Payments"): `invoice_id`, or `vendor` + `invoice_number`; `payment_status`
 * (`paid` | `rejected`); `voucher_number`, `voucher_date`, `voucher_amount`, `voucher_currency`;
 * `note` (required for `rejected`: Alma answers 60268 "The invoice note is mandatory" without it).
 */
import { Decimal } from 'decimal.js';
import { CellError, CODECS, namedList, quote, UNKNOWN_LISTED } from './cells.js';
import { FUND_COLUMNS, INVOICE_COLUMNS, LINE_COLUMNS } from './columns.js';
import { minorUnits } from './currencies.js';
import { dotThousands } from './findings.js';
import { formatAmount } from './money.js';
import { problem, type Problem, type Provenance } from './problem.js';
import { fileArgs } from './style.js';

export const PAYMENT_COLUMNS = [
  'invoice_id',
  'vendor',
  'invoice_number',
  'payment_status',
  'voucher_number',
  'voucher_date',
  'voucher_amount',
  'voucher_currency',
  'note',
] as const;
export type PaymentColumn = (typeof PAYMENT_COLUMNS)[number];

export type PaymentStatus = 'paid' | 'rejected';

export interface PaymentRequest {
  /** Alma's invoice id, when the file gives it; else the invoice is found by vendor and number. */
  invoiceId?: string | undefined;
  vendor?: string | undefined;
  invoiceNumber?: string | undefined;
  status: PaymentStatus;
  voucherNumber?: string | undefined;
  voucherDate?: string | undefined;
  voucherAmount?: Decimal | undefined;
  /**
   * `voucher_amount` as the file writes it (`1.200`), for the check against the invoice's currency
   * (`dotThousands`); undefined for a JSON number, which has no thousands separator (SourceRecord.native).
   */
  voucherAmountText?: string | undefined;
  voucherCurrency?: string | undefined;
  note?: string | undefined;
}

/** One row: the request when it is valid, and its problems. */
export interface PaymentEntry {
  /** The journal's and the report's key: `vendor` + `number`, or the id (vendor empty). */
  key: { vendor: string; number: string };
  source: Provenance;
  request?: PaymentRequest | undefined;
  problems: Problem[];
}

export interface PaymentRecord {
  source: Provenance;
  fields: Record<string, string | undefined>;
  /** The columns (as `fields` names them) whose cell was a JSON number written like `1.200` (SourceRecord.native). */
  native?: ReadonlySet<string> | undefined;
  /**
   * The record's own problems from the reader (SourceRecord.problems): a JSON cell refused (`true`
   * as a vendor) or a column given under two keys. The row is invalid with these, its real reason —
   * not "vendor is required" of a value that was there, nor planned on the first key's value.
   */
  problems?: readonly Problem[] | undefined;
}

const KNOWN: ReadonlySet<string> = new Set(PAYMENT_COLUMNS);
const ID = /^\d+$/;

/** The columns of an invoice batch that no payment confirmation has: a load's file given to `payments`. */
const BATCH_ONLY: ReadonlySet<string> = new Set([...INVOICE_COLUMNS, ...LINE_COLUMNS, ...FUND_COLUMNS].filter((c) => !KNOWN.has(c)));
/** The columns only a payment confirmation has: a payments file given to the load (group.ts). */
const PAYMENTS_ONLY: ReadonlySet<string> = new Set(PAYMENT_COLUMNS.filter((c) => c === 'payment_status' || c.startsWith('voucher_')));

/**
 * The columns that make a file the finance system's payment confirmations rather than an
 * invoice batch (`payment_status` and a voucher column), or undefined. The load asks it of a
 * file that gave no invoice a line, so that the person who ran `invoice-load payments.csv` is
 * told which command reads it, not that every row lacks a date, a total and lines.
 */
export function paymentColumnsOf(columns: readonly string[]): string[] | undefined {
  const found = columns.filter((c) => PAYMENTS_ONLY.has(c));
  return found.includes('payment_status') && found.length >= 2 ? found : undefined;
}

/** The problem of a payments file given to the load: the command that reads it. */
export function paymentsFileProblem(file: string, columns: readonly string[]): Problem {
  return problem(
    { file },
    'payments_file',
    `this is a file of payment confirmations, not an invoice batch: it has ${columns.join(', ')} and no invoice lines; load it with \`invoice-load payments ${fileArgs(file)}\``,
  );
}

/**
 * Checks every record; the same invoice twice in the files is an error on the later row.
 * Columns outside the payments layout are one warning per file; a file with no
 * `payment_status` column and an invoice batch's columns is one error naming the command that
 * loads it.
 */
export function checkPayments(records: Iterable<PaymentRecord>): { entries: PaymentEntry[]; issues: Problem[] } {
  const entries: PaymentEntry[] = [];
  const issues: Problem[] = [];
  /** Per file, in order of appearance: its unknown columns with text, and whether it has payment_status. */
  const files = new Map<string, { unknown: string[]; seen: Set<string>; status: boolean }>();
  const seen = new Map<string, Provenance>();
  for (const rec of records) {
    let file = files.get(rec.source.file);
    if (file === undefined) files.set(rec.source.file, (file = { unknown: [], seen: new Set(), status: false }));
    const f: Record<string, string | undefined> = {};
    let number = false; // voucher_amount was a JSON number: 1.200 is 1.2 (RFC 8259 §6)
    // The key each payments column was read from: a JSON record's `voucher_amount` and
    // `Voucher_Amount` are one column, which kept the last silently, where a CSV header with
    // both is `duplicate_column` (input/csv.ts). An error on the record, as the load's JSON
    // reader says it of its own columns (input/shape.ts `flat`).
    const named = new Map<string, string>();
    const twice: Problem[] = [];
    for (const [name, value] of Object.entries(rec.fields)) {
      const col = name.trim().toLowerCase();
      if (KNOWN.has(col)) {
        const before = named.get(col);
        if (before !== undefined) {
          twice.push(problem(rec.source, 'duplicate_column', `keys "${before}" and "${name}" are the same column ${col}; keep one`, { column: col }));
          continue;
        }
        named.set(col, name);
      }
      if (col === 'voucher_amount' && rec.native?.has(name) === true) number = true;
      const text = value?.trim();
      if (col === 'payment_status') file.status = true;
      if (!KNOWN.has(col)) {
        if (text !== undefined && text !== '' && !file.seen.has(col)) {
          file.seen.add(col);
          file.unknown.push(col);
        }
        continue;
      }
      if (text !== undefined && text !== '') f[col] = text;
    }
    const entry = checkOne(rec.source, f, number);
    const own = rec.problems ?? [];
    if (own.length > 0) {
      // A column the reader refused a value of is not "required": its refusal says why it is empty.
      const refusedCols = new Set(own.map((p) => p.column).filter((c) => c !== undefined));
      entry.problems = [...own, ...entry.problems.filter((p) => !(p.code === 'missing_value' && p.column !== undefined && refusedCols.has(p.column)))];
      if (own.some((p) => p.severity === 'error')) entry.request = undefined;
    }
    if (twice.length > 0) {
      entry.problems.unshift(...twice);
      entry.request = undefined;
    }
    const k = `${entry.key.vendor}\u0000${entry.key.number}`;
    const first = seen.get(k);
    if (first !== undefined && entry.key.number !== '') {
      entry.problems.push(
        problem(rec.source, 'duplicate_payment', `this invoice is already confirmed on row ${first.row ?? '?'}; each invoice is paid or rejected once`, {
          column: entry.request?.invoiceId !== undefined ? 'invoice_id' : 'invoice_number',
        }),
      );
      entry.request = undefined;
    } else seen.set(k, rec.source);
    entries.push(entry);
  }
  for (const [name, file] of files) {
    if (file.unknown.length === 0) continue;
    const batch = file.unknown.filter((c) => BATCH_ONLY.has(c));
    if (!file.status && batch.length >= 2) {
      issues.push(problem({ file: name }, 'invoice_batch_file', `this is an invoice batch, not payment confirmations: it has ${namedList(batch, 4)} and no payment_status column; load it with \`invoice-load ${fileArgs(name)}\``));
      continue;
    }
    issues.push(problem({ file: name }, 'unknown_columns', `columns not in the payments layout are ignored: ${namedList(file.unknown, UNKNOWN_LISTED)}`, { severity: 'warning' }));
  }
  return { entries, issues };
}


function checkOne(at: Provenance, f: Partial<Record<PaymentColumn, string>>, numberAmount = false): PaymentEntry {
  const problems: Problem[] = [];
  const err = (column: PaymentColumn, code: string, message: string): void => void problems.push(problem(at, code, message, { column }));
  const value = <T>(column: PaymentColumn, codec: (t: string, c: string) => T | CellError): T | undefined => {
    const t = f[column];
    if (t === undefined) return undefined;
    const v = codec(t, column);
    if (v instanceof CellError) {
      err(column, v.code, v.message);
      return undefined;
    }
    return v;
  };

  const invoiceId = f.invoice_id;
  if (invoiceId !== undefined && !ID.test(invoiceId)) err('invoice_id', 'invalid_invoice_id', `invoice_id ${quote(invoiceId)} is not an Alma invoice id (digits only)`);
  if (invoiceId === undefined) {
    if (f.vendor === undefined) err('vendor', 'missing_value', 'vendor is required when invoice_id is not given (the invoice is found by vendor and invoice_number)');
    if (f.invoice_number === undefined) err('invoice_number', 'missing_value', 'invoice_number is required when invoice_id is not given');
  }
  const key = invoiceId !== undefined ? { vendor: '', number: invoiceId } : { vendor: f.vendor ?? '', number: f.invoice_number ?? '' };

  const statusText = f.payment_status?.toLowerCase();
  let status: PaymentStatus | undefined;
  if (statusText === undefined) err('payment_status', 'missing_value', 'payment_status is required: paid or rejected');
  else if (statusText === 'paid' || statusText === 'rejected') status = statusText;
  else err('payment_status', 'invalid_payment_status', `payment_status ${quote(f.payment_status ?? '')} is not paid or rejected`);

  const voucherDate = value('voucher_date', CODECS.date as (t: string, c: string) => string | CellError);
  const currency = value('voucher_currency', CODECS.currency as (t: string, c: string) => string | CellError);
  const amountText = value('voucher_amount', CODECS.money as (t: string, c: string) => string | CellError);
  let voucherAmount: Decimal | undefined;
  if (amountText !== undefined) {
    voucherAmount = new Decimal(amountText);
    // A negative voucher is a credit note's: checked against the invoice's total once it is found (checkLocated).
    const places = currency !== undefined ? minorUnits(currency) : undefined;
    // `1.200` EUR: 1,200 or 1.2? Refused, not guessed (domain/findings.ts `dotThousands`; a payments file takes no mapping profile).
    // A JSON number is not asked (`numberAmount`): it has no thousands separator, `1.200` is 1.2.
    const ambiguous = places === undefined || numberAmount ? undefined : dotThousands(f.voucher_amount ?? '', currency!, places, false);
    if (ambiguous !== undefined) err('voucher_amount', 'ambiguous_number', `voucher_amount ${quote(f.voucher_amount ?? '')} ${ambiguous}`);
    else if (places !== undefined && voucherAmount.decimalPlaces() > places) {
      err('voucher_amount', 'too_many_decimals', `voucher_amount ${quote(f.voucher_amount ?? '')} has more decimals than ${currency} has (${places})`);
    }
  }
  if (status === 'paid') {
    // The payment GIST-ERP sends (docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments): number, date and amount.
    if (f.voucher_number === undefined) err('voucher_number', 'missing_value', 'voucher_number is required for a paid invoice');
    if (f.voucher_date === undefined) err('voucher_date', 'missing_value', 'voucher_date is required for a paid invoice');
    if (f.voucher_amount === undefined) err('voucher_amount', 'missing_value', 'voucher_amount is required for a paid invoice');
  }
  if (status === 'rejected' && f.note === undefined) {
    err('note', 'missing_note', 'note is required for a rejected invoice: the finance system\'s reason (Alma refuses a rejection without one, 60268)');
  }
  const request: PaymentRequest | undefined =
    problems.length > 0 || status === undefined
      ? undefined
      : {
          invoiceId,
          vendor: f.vendor,
          invoiceNumber: f.invoice_number,
          status,
          voucherNumber: f.voucher_number,
          voucherDate,
          voucherAmount,
          voucherAmountText: voucherAmount === undefined || numberAmount ? undefined : f.voucher_amount,
          voucherCurrency: currency,
          note: f.note,
        };
  return { key, source: at, request, problems };
}

/** What a row's invoice is in the target, as far as these checks need: found, or why not. */
export type LocatedInvoice = { id: string; number: string; vendor: string; currency?: string | undefined; totalAmount?: string | undefined } | { code: string; message: string };

/**
 * The rows against the invoices they name, found before anything is sent (every problem before
 * the first write): an invoice not found or found twice is an error on its row; two rows that
 * name one invoice — by id on one, by vendor and number on the other — are `duplicate_payment`;
 * a voucher below zero is `negative_amount` unless the invoice's total is too (a credit note);
 * a voucher in another currency than the invoice's is `currency_differs`; one in the invoice's
 * currency (or with none given) may not have more decimals than that currency, and one whose amount is not the invoice's total is said (a warning: a bank's charge
 * or a discount can make them differ). Returns the problems by entry; pure.
 */
export function checkLocated(entries: readonly PaymentEntry[], located: ReadonlyMap<PaymentEntry, LocatedInvoice>): Map<PaymentEntry, Problem[]> {
  const out = new Map<PaymentEntry, Problem[]>();
  const add = (e: PaymentEntry, p: Problem): void => void out.set(e, [...(out.get(e) ?? []), p]);
  const byId = new Map<string, PaymentEntry>();
  for (const e of entries) {
    const req = e.request;
    const inv = located.get(e);
    if (req === undefined || inv === undefined) continue;
    const column = req.invoiceId !== undefined ? 'invoice_id' : 'invoice_number';
    if (!('id' in inv)) {
      add(e, problem(e.source, inv.code === 'AMBIGUOUS' ? 'invoice_ambiguous' : 'invoice_not_found', inv.message, { column }));
      continue;
    }
    const first = byId.get(inv.id);
    if (first !== undefined) {
      const named = (x: PaymentEntry): string => (x.request?.invoiceId !== undefined ? `by id ${x.request.invoiceId}` : `as ${x.request?.vendor ?? ''} ${x.request?.invoiceNumber ?? ''}`);
      add(
        e,
        problem(e.source, 'duplicate_payment', `this is invoice ${inv.vendor} ${inv.number} (id ${inv.id}), already confirmed on row ${first.source.row ?? '?'} (named ${named(first)}); each invoice is paid or rejected once`, { column }),
      );
      continue;
    }
    byId.set(inv.id, e);
    const amount = req.voucherAmount;
    // Loads take negative totals (credit notes): only such an invoice's payment is below zero.
    const invoiceTotal = decimalOrUndefined(inv.totalAmount);
    if (amount !== undefined && amount.isNegative() && !(invoiceTotal?.isNegative() ?? false)) {
      // With the currency's decimals, as amount_differs (-12.50 EUR, not -12.5; 120.00, not Alma's JSON number 120).
      const money = (d: Decimal, currency: string | undefined): string => `${formatAmount(d, currency)}${currency !== undefined ? ` ${currency}` : ''}`;
      const shown = invoiceTotal !== undefined ? money(invoiceTotal, inv.currency) : 'not given';
      add(
        e,
        problem(e.source, 'negative_amount', `voucher_amount ${money(amount, req.voucherCurrency ?? inv.currency)} is below zero, and the invoice's total (${shown}) is not: only a credit note's payment is negative`, {
          column: 'voucher_amount',
        }),
      );
      continue;
    }
    const currency = inv.currency;
    if (req.status !== 'paid' || amount === undefined || currency === undefined) continue;
    // op=paid carries the voucher's amount and currency as given (the payment object of
    // docs/alma.md#after-the-load-attachments-hand-over-to-finance-payments), and no source says
    // Alma converts it: JPY 340 on a USD invoice would close it paid with the wrong money.
    if (req.voucherCurrency !== undefined && req.voucherCurrency !== currency) {
      add(
        e,
        problem(e.source, 'currency_differs', `voucher_currency ${req.voucherCurrency} is not the invoice's currency, ${currency}: a payment is in the invoice's currency; nothing is sent for this row`, {
          column: 'voucher_currency',
        }),
      );
      continue;
    }
    const places = minorUnits(currency);
    const text = req.voucherAmountText;
    const ambiguous = places === undefined || text === undefined ? undefined : dotThousands(text, currency, places, false);
    if (ambiguous !== undefined) {
      add(e, problem(e.source, 'ambiguous_number', `voucher_amount ${quote(text!)} ${ambiguous} (${currency} is the invoice's currency)`, { column: 'voucher_amount' }));
      continue;
    }
    if (places !== undefined && amount.decimalPlaces() > places) {
      add(e, problem(e.source, 'too_many_decimals', `voucher_amount ${amount.toFixed()} has more decimals than ${currency}, the invoice's currency, has (${places})`, { column: 'voucher_amount' }));
      continue;
    }
    const total = invoiceTotal;
    if (total !== undefined && !amount.equals(total)) {
      add(
        e,
        // With the currency's decimals (876.40 EUR, not 876.4): Alma answers a total as a JSON number, which drops them.
        problem(e.source, 'amount_differs', `voucher_amount ${formatAmount(amount, currency)} ${currency} is not the invoice's total, ${formatAmount(total, currency)} ${currency}; sent as given`, {
          column: 'voucher_amount',
          severity: 'warning',
        }),
      );
    }
  }
  return out;
}

const decimalOrUndefined = (text: string | undefined): Decimal | undefined => {
  if (text === undefined || text === '') return undefined;
  try {
    return new Decimal(text);
  } catch {
    return undefined;
  }
};
