/**
 * Payment confirmations from the finance system (`invoice-load payments`): records → checked
 * payment requests, every problem with its row and column, before anything is sent. Pure.
 *
 * Columns (README "Payments"): `invoice_id`, or `vendor` + `invoice_number`; `payment_status`
 * (`paid` | `rejected`); `voucher_number`, `voucher_date`, `voucher_amount`, `voucher_currency`;
 * `note` (required for `rejected`: Alma answers 60268 "The invoice note is mandatory" without it).
 */
import { Decimal } from 'decimal.js';
import { CellError, CODECS, quote } from './cells.js';
import { minorUnits } from './currencies.js';
import { problem, type Problem, type Provenance } from './problem.js';

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
}

const KNOWN: ReadonlySet<string> = new Set(PAYMENT_COLUMNS);
const ID = /^\d+$/;

/** Checks every record; the same invoice twice in the files is an error on the later row. */
export function checkPayments(records: Iterable<PaymentRecord>): { entries: PaymentEntry[]; issues: Problem[] } {
  const entries: PaymentEntry[] = [];
  const issues: Problem[] = [];
  const unknownSeen = new Set<string>();
  const seen = new Map<string, Provenance>();
  for (const rec of records) {
    const f: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(rec.fields)) {
      const col = name.trim().toLowerCase();
      const text = value?.trim();
      if (!KNOWN.has(col)) {
        if (text !== undefined && text !== '' && !unknownSeen.has(`${rec.source.file}\u0000${col}`)) {
          unknownSeen.add(`${rec.source.file}\u0000${col}`);
          issues.push(problem({ file: rec.source.file }, 'unknown_column', `column ${quote(name)} is not a payments column; it is ignored`, { severity: 'warning' }));
        }
        continue;
      }
      if (text !== undefined && text !== '') f[col] = text;
    }
    const entry = checkOne(rec.source, f);
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
  return { entries, issues };
}

function checkOne(at: Provenance, f: Partial<Record<PaymentColumn, string>>): PaymentEntry {
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
    if (voucherAmount.isNegative()) err('voucher_amount', 'negative_amount', `voucher_amount ${quote(f.voucher_amount ?? '')} is below zero`);
    const places = currency !== undefined ? minorUnits(currency) : undefined;
    if (places !== undefined && voucherAmount.decimalPlaces() > places) {
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
          voucherCurrency: currency,
          note: f.note,
        };
  return { key, source: at, request, problems };
}
