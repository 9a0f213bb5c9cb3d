/**
 * Online preflight, the pure part: facts fetched from Alma (src/targets/alma/preflight.ts)
 * → Problems on the rows and columns they are about, plus the load's cost estimate.
 * Each rule names the Alma refusal or alert it heads off (docs/alma.md#what-the-preflight-predicts).
 * A fact that is absent (not looked up) or `unknown` (the look-up failed) proves nothing:
 * the rule is skipped, and a failed look-up is reported once as a warning.
 */
import { Decimal } from 'decimal.js';
import { quote } from '../../domain/cells.js';
import { formatAmount, formatAmountText } from '../../domain/money.js';
import { keyString, type Invoice, type InvoiceLine } from '../../domain/model.js';
import { problem, type Problem, type Severity } from '../../domain/problem.js';
import type { Provenance } from '../../input/record.js';
import type { PreflightEstimate } from '../../report/preflight.js';
import type { RemoteInvoice } from '../target.js';
import { heldText, holdsOtherTotal, oldestFirst, otherTotalText } from '../matches.js';
import { heldDifferences } from './compare.js';
import { invoicePayload } from './payload.js';
import { minorUnits } from '../../domain/currencies.js';
import { addedVat } from '../../domain/rules.js';

/** What a look-up found: the thing, proof that it does not exist, or nothing certain. */
export type Fetched<T> = { kind: 'found'; value: T } | { kind: 'not_found' } | { kind: 'unknown'; reason: string };

export interface VendorAccountFacts {
  code: string;
  /** `ACTIVE` / `INACTIVE`; absent when Alma did not say. */
  status?: string | undefined;
  paymentMethods: string[];
}

export interface VendorFacts {
  code: string;
  status?: string | undefined;
  /** Absent when Alma did not say. */
  materialSupplier?: boolean | undefined;
  currencies: string[];
  accounts: VendorAccountFacts[];
}

export interface FundFacts {
  code: string;
  /** Returned by `mode=POL`: "ready to be used for a PO-Line, allocated and active in the current fiscal period" (OAS). */
  usable: boolean;
  status?: string | undefined;
  type?: string | undefined;
  fiscalPeriod?: string | undefined;
}

export interface PoLineFacts {
  number: string;
  vendor?: string | undefined;
  vendorAccount?: string | undefined;
  status?: string | undefined;
  /** The order type code (`PRINTED_JOURNAL_CO`, …): `_CO`/`_SO` are continuous (subscriptions, standing orders). */
  type?: string | undefined;
  /** `price.sum` and `price.currency` of the PO line, exact decimal text. */
  price?: string | undefined;
  currency?: string | undefined;
  /**
   * The PO line's quantity, the sum of its locations' `quantity` (docs/alma.md#what-the-preflight-predicts);
   * absent when the answer shows no location with a whole quantity.
   */
  quantity?: number | undefined;
}

/**
 * A continuous PO line (subscription or standing order): its type code ends in `_CO` or `_SO`
 * (inferred from Alma's order type codes; docs/alma.md#inferred-not-documented).
 */
export const isContinuous = (type: string | undefined): boolean => type !== undefined && /_(CO|SO)$/.test(type);

/**
 * The alerts a warning predicts: the invoice will be processed and go to review with these
 * (docs/alma.md#what-the-preflight-predicts). The report compares them with Alma's after the load.
 */
export const PREDICTED_ALERTS: Readonly<Record<string, string>> = {
  po_line_other_account: 'DIFFERENT_VENDOR_ACCOUNT',
  po_line_price: 'DIFF_PRICE_THAN_POLINE',
};

/**
 * The alerts Alma will raise when it processes the invoice, as far as the data shows them: a line
 * without a PO line (NOT_LINKED_LINES, sample 01, docs/alma.md#what-the-samples-show), and the PO-line warnings above. Shown per
 * invoice before the load ("will go to review: …") and compared with Alma's after it.
 */
export function predictedAlerts(inv: Invoice, problems: readonly Problem[]): string[] {
  const out = new Set<string>();
  if (inv.lines.some((l) => l.poLine === undefined || l.poLine === '')) out.add('NOT_LINKED_LINES');
  for (const p of problems) {
    const alert = PREDICTED_ALERTS[p.code];
    if (alert !== undefined) out.add(alert);
  }
  return [...out].sort();
}

export interface CodeTableFacts {
  name: string;
  rows: { code: string; enabled: boolean }[];
}

/** Everything fetched for a batch, keyed by code (vendors, funds, tables), number (PO lines) or `keyString` (invoices). */
export interface PreflightFacts {
  vendors: ReadonlyMap<string, Fetched<VendorFacts>>;
  funds: ReadonlyMap<string, Fetched<FundFacts>>;
  poLines: ReadonlyMap<string, Fetched<PoLineFacts>>;
  tables: ReadonlyMap<string, Fetched<CodeTableFacts>>;
  existing: ReadonlyMap<string, Fetched<RemoteInvoice[]>>;
}

/**
 * The code tables values are checked against
 * (docs/alma.md#the-json-shape-list-naming-amounts-dates; XSD-INV/XSD-LINE name the tables of
 * `currency`, `payment_method` and line `type`). The reporting-code table names come from Ex
 * Libris' list of code tables quoted there.
 */
export const TABLES = {
  currency: 'Currency_CT',
  payment_method: 'PaymentMethod',
  line_type: 'InvoiceLinesTypes',
  reporting_code: 'HFundsTransactionItem.reportingCode',
  secondary_reporting_code: 'SecondReportingCode',
  tertiary_reporting_code: 'ThirdReportingCode',
} as const;
export type TableColumn = keyof typeof TABLES;

/** Each code-table value of an invoice, with where it was given. */
export function codeValues(inv: Invoice): { column: TableColumn; value: string; at: Provenance | undefined }[] {
  const out: { column: TableColumn; value: string; at: Provenance | undefined }[] = [];
  const first = inv.rows[0];
  const add = (column: TableColumn, value: string | undefined, at: Provenance | undefined): void => {
    if (value !== undefined && value !== '') out.push({ column, value, at });
  };
  add('currency', inv.header.currency, first);
  add('payment_method', inv.header.paymentMethod, first);
  for (const line of inv.lines) {
    const at = line.rows[0];
    add('line_type', line.type, at);
    add('reporting_code', line.reportingCode, at);
    add('secondary_reporting_code', line.secondaryReportingCode, at);
    add('tertiary_reporting_code', line.tertiaryReportingCode, at);
  }
  return out;
}

/** PO line statuses against which Alma will not invoice as usual (the line is finished). */
const FINISHED_PO_LINE = new Set(['CLOSED', 'CANCELLED', 'DELETED']);

const INACTIVE = 'INACTIVE';

/** Every online problem of one (offline-valid) invoice. */
export function preflightProblems(inv: Invoice, facts: PreflightFacts): Problem[] {
  const out: Problem[] = [];
  // Invoice-level cells repeat on each row or sit on the first one (README, canonical layout).
  const head: Provenance = inv.rows[0] ?? { file: '', row: 0 };
  const add = (at: Provenance | undefined, column: string, code: string, message: string, severity: Severity = 'error'): void => {
    out.push(problem(at ?? head, code, message, { column, severity }));
  };
  const h = inv.header;
  const failed = new Set<string>();
  const lookupFailed = (at: Provenance | undefined, column: string, what: string, fact: { kind: 'unknown'; reason: string }): void => {
    // One warning per thing per invoice: fifty rows with the same fund need not say it fifty times.
    if (failed.has(what)) return;
    failed.add(what);
    add(at, column, 'preflight_lookup_failed', `could not check ${what} in Alma: ${fact.reason}`, 'warning');
  };

  // ---- vendor (GET /acq/vendors/{code}; vendor requirements, docs/alma.md#what-the-preflight-predicts)
  const vendor = facts.vendors.get(h.vendor);
  if (vendor?.kind === 'not_found') {
    // 401871/402880 "Vendor X not found" (docs/alma.md#errors-error-codes-and-alerts); Alma would
    // refuse the create.
    add(head, 'vendor', 'vendor_not_found', `vendor ${quote(h.vendor)} does not exist in Alma`);
  } else if (vendor?.kind === 'unknown') {
    lookupFailed(head, 'vendor', `vendor ${quote(h.vendor)}`, vendor);
  } else if (vendor?.kind === 'found') {
    out.push(...vendorProblems(inv, vendor.value, head));
  }

  // ---- the invoice itself (docs/alma.md#look-ups-and-how-fresh-they-are: word search or vendor
  // listing, post-filtered for an exact match)
  const existing = facts.existing.get(keyString(inv.key));
  if (existing?.kind === 'found' && existing.value.length > 0) {
    add(head, 'invoice_number', 'invoice_exists', existsMessage(inv, existing.value));
  } else if (existing?.kind === 'unknown') {
    lookupFailed(head, 'invoice_number', `whether invoice ${quote(inv.key.number)} already exists`, existing);
  }

  // ---- lines: PO lines and funds
  for (const line of inv.lines) {
    const at = line.rows[0];
    if (line.poLine !== undefined && line.poLine !== '') {
      const pol = facts.poLines.get(line.poLine);
      if (pol?.kind === 'not_found') {
        // 60248 "Invoice line's PO Line not found" (OAS).
        add(at, 'po_line', 'po_line_not_found', `${lineName(line)}: PO line ${quote(line.poLine)} does not exist in Alma`);
      } else if (pol?.kind === 'unknown') {
        lookupFailed(at, 'po_line', `PO line ${quote(line.poLine)}`, pol);
      } else if (pol?.kind === 'found') {
        out.push(...poLineProblems(inv, line, pol.value, at ?? head));
      }
    }
    for (const f of line.funds) {
      const fund = facts.funds.get(f.fundCode);
      if (fund?.kind === 'not_found') {
        // 60254 "Fund code not valid" (OAS).
        add(f.source, 'fund_code', 'fund_not_found', `fund ${quote(f.fundCode)} does not exist in Alma`);
      } else if (fund?.kind === 'unknown') {
        lookupFailed(f.source, 'fund_code', `fund ${quote(f.fundCode)}`, fund);
      } else if (fund?.kind === 'found' && !fund.value.usable) {
        const v = fund.value;
        if (v.status === INACTIVE) {
          add(f.source, 'fund_code', 'fund_inactive', `fund ${quote(f.fundCode)} is inactive in Alma; an invoice line cannot be charged to it`);
        } else {
          const what = [v.type !== undefined ? `type ${v.type}` : '', v.fiscalPeriod !== undefined ? `fiscal period ${v.fiscalPeriod}` : '']
            .filter((s) => s !== '')
            .join(', ');
          add(
            f.source,
            'fund_code',
            'fund_not_usable',
            `fund ${quote(f.fundCode)} exists${what !== '' ? ` (${what})` : ''} but is not an active allocated fund of the current fiscal period, so it cannot be charged`,
          );
        }
      }
    }
  }

  out.push(...poLineQuantityProblems(inv, facts));

  // ---- code-table values (Alma's own message for a bad code does not name the field,
  // docs/alma.md#errors-error-codes-and-alerts)
  for (const { column, value, at } of codeValues(inv)) {
    const table = facts.tables.get(TABLES[column]);
    if (table?.kind !== 'found' || table.value.rows.length === 0) continue; // not available: said once, in `unchecked`
    const row = table.value.rows.find((r) => r.code === value);
    if (row?.enabled === true) continue;
    const near = table.value.rows.find((r) => r.enabled && r.code.toLowerCase() === value.toLowerCase());
    const why = row !== undefined ? 'is disabled in' : 'is not in';
    const hint = near !== undefined ? `; did you mean ${quote(near.code)}?` : row === undefined ? `; Alma has ${listCodes(table.value)}` : '';
    add(at, column, 'code_not_in_table', `${column} ${quote(value)} ${why} Alma's ${table.value.name} code table${hint}`);
  }
  // One wrong cell, one finding: an unknown account or payment method also makes the PO-line
  // account and the account's method list disagree, which would only repeat it.
  const has = (code: string, column: string): boolean => out.some((p) => p.code === code && p.column === column);
  const unknownAccount = has('vendor_account_unknown', 'vendor_account');
  const unknownMethod = has('code_not_in_table', 'payment_method');
  return out.filter((p) => !(unknownAccount && p.code === 'po_line_other_account') && !(unknownMethod && p.code === 'vendor_payment_method'));
}

function vendorProblems(inv: Invoice, v: VendorFacts, head: Provenance): Problem[] {
  const out: Problem[] = [];
  const h = inv.header;
  const add = (column: string, code: string, message: string, severity: Severity = 'error'): void => {
    out.push(problem(head, code, message, { column, severity }));
  };
  const name = `vendor ${quote(v.code)}`;
  if (v.status === INACTIVE) add('vendor', 'vendor_inactive', `${name} is inactive in Alma`);
  // 60242 "vendor not material supplier" (OAS).
  if (v.materialSupplier === false) {
    add('vendor', 'vendor_not_material_supplier', `${name} is not a material supplier in Alma, so it cannot be invoiced for material`);
  }
  // 60243 "vendor currency not supported". Without a currency Alma uses the institution's, which
  // the loader does not know; an empty list says nothing either.
  if (h.currency !== undefined && v.currencies.length > 0 && !v.currencies.includes(h.currency)) {
    add('currency', 'vendor_currency', `${name} does not take currency ${quote(h.currency)} in Alma (it takes ${v.currencies.join(', ')})`);
  }
  // 60237 "Invoice vendor account not valid". No account given: Alma uses the vendor's default (HARVARD).
  // A vendor answer without accounts says nothing (an Alma vendor has at least one): not checked.
  if (h.vendorAccount !== undefined && h.vendorAccount !== '' && v.accounts.length > 0) {
    const account = v.accounts.find((a) => a.code === h.vendorAccount);
    if (account === undefined) {
      const known = v.accounts.map((a) => a.code);
      add(
        'vendor_account',
        'vendor_account_unknown',
        `${name} has no account ${quote(h.vendorAccount)} in Alma` + (known.length > 0 ? ` (it has ${known.join(', ')})` : ''),
      );
    } else {
      if (account.status === INACTIVE) {
        add('vendor_account', 'vendor_account_inactive', `account ${quote(account.code)} of ${name} is inactive in Alma`);
      }
      // Accounts list their payment methods (sample 05, docs/alma.md#what-the-samples-show); that Alma refuses another one (60238)
      // is unverified (docs/alma.md#inferred-not-documented), so this is a warning, not an error.
      const method = h.paymentMethod;
      if (method !== undefined && method !== '' && account.paymentMethods.length > 0 && !account.paymentMethods.includes(method)) {
        add(
          'payment_method',
          'vendor_payment_method',
          `account ${quote(account.code)} of ${name} does not list payment method ${quote(method)} (it lists ${account.paymentMethods.join(', ')}); Alma may refuse it`,
          'warning',
        );
      }
    }
  }
  return out;
}

function poLineProblems(inv: Invoice, line: InvoiceLine, pol: PoLineFacts, at: Provenance): Problem[] {
  const out: Problem[] = [];
  const name = `${lineName(line)}: PO line ${quote(pol.number)}`;
  const add = (code: string, message: string, severity: Severity = 'error'): void => {
    out.push(problem(at, code, message, { column: 'po_line', severity }));
  };
  if (pol.vendor !== undefined && pol.vendor !== inv.key.vendor) {
    add('po_line_other_vendor', `${name} belongs to vendor ${quote(pol.vendor)}, not ${quote(inv.key.vendor)}`);
    return out; // its account and status say nothing more about this invoice
  }
  // Alma does not invoice a finished PO line (the sandbox answers 60248; which code Alma uses is
  // not documented: docs/alma.md#what-the-preflight-predicts).
  if (pol.status !== undefined && FINISHED_PO_LINE.has(pol.status)) {
    add('po_line_closed', `${name} is ${pol.status.toLowerCase()} in Alma, so no invoice line can be linked to it`);
    return out;
  }
  const currency = inv.header.currency;
  if (currency !== undefined && pol.currency !== undefined && pol.currency !== '' && pol.currency !== currency) {
    add('po_line_currency', `${name} is in ${pol.currency}, the invoice in ${currency}; Alma will not link them`);
  }
  // 60249 "Invoice line subscription from/to dates not found": a continuous PO line with the
  // overlap check on (XSD-LINE: the default) needs both dates, unless additional_info is given.
  if (isContinuous(pol.type) && line.checkSubscriptionDateOverlap !== false) {
    const missing = [line.subscriptionFromDate === undefined ? 'subscription_from_date' : '', line.subscriptionToDate === undefined ? 'subscription_to_date' : ''].filter((c) => c !== '');
    if (missing.length > 0 && (line.additionalInfo === undefined || line.additionalInfo === '')) {
      out.push(
        problem(at, 'po_line_subscription_dates', `${name} is a continuous order (${pol.type}): Alma refuses the line without ${missing.join(' and ')} (60249 "Invoice line subscription from/to dates not found")`, {
          column: missing[0]!,
          severity: 'error',
        }),
      );
    }
  }
  // DIFF_PRICE_THAN_POLINE: a price other than the PO line's sends the invoice to review.
  if (line.price !== undefined && pol.price !== undefined && !safeEquals(pol.price, line.price)) {
    const money = (d: Decimal): string => formatAmount(d, inv.header.currency);
    // `name` already names the line: said once (`line "1" costs 12.00; its PO line "POL-1" costs 10.00`).
    add(
      'po_line_price',
      `${lineName(line)} costs ${money(line.price)}; its PO line ${quote(pol.number)} costs ${formatAmountText(String(pol.price), inv.header.currency)}: will go to review: DIFF_PRICE_THAN_POLINE`,
      'warning',
    );
  }
  // Alma's alert DIFFERENT_VENDOR_ACCOUNT sends the invoice to review (sample 01, docs/alma.md#what-the-samples-show;
  // docs/alma.md#errors-error-codes-and-alerts).
  const account = inv.header.vendorAccount;
  if (account !== undefined && account !== '' && pol.vendorAccount !== undefined && pol.vendorAccount !== '' && pol.vendorAccount !== account) {
    add(
      'po_line_other_account',
      `${name} is ordered on vendor account ${quote(pol.vendorAccount)}, the invoice is on ${quote(account)}: will go to review: DIFFERENT_VENDOR_ACCOUNT`,
      'warning',
    );
  }
  return out;
}

/**
 * A PO-linked line without a quantity takes the PO line's (rest_invoice_line `quantity`: "Default
 * is the PO line quantity"; docs/alma.md#what-the-preflight-predicts). The offline rules counted 1
 * (`quantity_from_po_line`, src/domain/rules.ts); with each such PO line's quantity read, the
 * invoice total (lines + charges, plus the VAT of a Line Exclusive invoice, as `checkTotal` adds
 * it) and the line's fund amounts are checked again. Where they no longer add up Alma would send
 * the invoice to review (or the line's funds would not cover it): an error on the line's row,
 * column `quantity` — the cell to fill. Anything not known (a PO line not read, no quantity or
 * price on it, a VAT given by code only) leaves the check to the offline warning.
 */
function poLineQuantityProblems(inv: Invoice, facts: PreflightFacts): Problem[] {
  const polOf = (line: InvoiceLine): PoLineFacts | undefined => {
    const f = line.poLine === undefined || line.poLine === '' ? undefined : facts.poLines.get(line.poLine);
    return f?.kind === 'found' ? f.value : undefined;
  };
  // The lines whose quantity Alma takes from a PO line other than 1: only they change anything.
  const taken = inv.lines.filter((l) => l.quantity === undefined && l.poLine !== undefined && l.poLine !== '' && (polOf(l)?.quantity ?? 1) !== 1);
  if (taken.length === 0) return [];
  const out: Problem[] = [];
  const money = (d: Decimal): string => formatAmount(d, inv.header.currency);
  const quantityOf = (l: InvoiceLine): number | undefined => l.quantity ?? (l.poLine === undefined || l.poLine === '' ? 1 : polOf(l)?.quantity);
  const priceOf = (l: InvoiceLine): Decimal | undefined => {
    if (l.price !== undefined) return l.price;
    const text = polOf(l)?.price;
    return text === undefined ? undefined : safeDecimal(text);
  };
  const totalOf = (l: InvoiceLine): Decimal | undefined => {
    const price = priceOf(l);
    const quantity = quantityOf(l);
    return price === undefined || quantity === undefined ? undefined : price.times(quantity);
  };
  const said = (l: InvoiceLine): string => {
    const pol = polOf(l)!;
    return `${lineName(l)} has no quantity, so Alma takes PO line ${quote(pol.number)}'s, ${pol.quantity}`;
  };

  // Each line's fund amounts against its total with the PO line's quantity.
  for (const l of taken) {
    const total = totalOf(l);
    const amounts = l.funds.map((f) => f.amount);
    if (total === undefined || amounts.length === 0 || amounts.some((a) => a === undefined)) continue;
    const sum = amounts.reduce((s: Decimal, a) => s.plus(a!), new Decimal(0));
    if (!sum.eq(total)) {
      out.push(
        problem(l.funds[0]!.source, 'po_line_quantity', `${said(l)}: its total is ${money(total)}, and its fund amounts add up to ${money(sum)}; give the quantity invoiced or correct the fund amounts`, {
          column: 'quantity',
          severity: 'error',
        }),
      );
    }
  }

  // The invoice total.
  const totals = inv.lines.map(totalOf);
  if (totals.some((t) => t === undefined)) return out;
  const lines = (totals as Decimal[]).reduce((s, t) => s.plus(t), new Decimal(0));
  const c = inv.header.charges;
  const charges = new Decimal(0)
    .plus(c.shipment ?? 0)
    .plus(c.overhead ?? 0)
    .plus(c.insurance ?? 0)
    .minus(c.discount ?? 0);
  const h = inv.header;
  const places = (h.currency === undefined ? undefined : minorUnits(h.currency)) ?? Math.max(2, h.totalAmount.decimalPlaces());
  const added = addedVat(
    {
      type: h.vat.type ?? 'INCLUSIVE',
      perLine: h.vat.perInvoiceLine === true,
      amount: h.vat.amount,
      percentage: h.vat.percentage,
      code: h.vat.code !== undefined && h.vat.code !== '',
      lines: inv.lines.map((l, i) => ({ total: totals[i]!, amount: l.vat.amount, percentage: l.vat.percentage, code: l.vat.code !== undefined && l.vat.code !== '' })),
    },
    lines.plus(charges),
    places,
  );
  if (added.vat === undefined) return out;
  const expected = lines.plus(charges).plus(added.vat);
  if (expected.eq(h.totalAmount)) return out;
  const first = taken[0]!;
  out.push(
    problem(
      first.rows[0] ?? inv.rows[0] ?? { file: '', row: 0 },
      'po_line_quantity',
      `${taken.map(said).join('; ')}: the lines come to ${money(lines)} and the invoice to ${money(expected)}, not total_amount ${money(h.totalAmount)}. ` +
        `Alma would send the invoice to review; give the quantity invoiced or correct the total`,
      { column: 'quantity', severity: 'error' },
    ),
  );
  return out;
}

function safeDecimal(text: string): Decimal | undefined {
  try {
    return new Decimal(text);
  } catch {
    return undefined;
  }
}

function existsMessage(inv: Invoice, found: RemoteInvoice[]): string {
  // The match a load adopts, compared as the load compares (targets/matches.ts).
  const sorted = oldestFirst(found);
  const first = sorted[0]!;
  if (holdsOtherTotal(first, inv)) return otherTotalText(inv, first, 'Alma');
  const ids = sorted.map((f) => f.id).join(', ');
  const base = `invoice ${quote(inv.key.number)} of vendor ${quote(inv.key.vendor)} already exists in Alma (id ${ids}${first.workflowStatus !== undefined ? `, ${first.workflowStatus}` : ''})`;
  if (first.totalAmount === undefined) return `${base}; a load would not create it again`;
  // Alma's JSON number drops the zeros (114 for 114.00): amounts are shown at the currency's minor units.
  const skip = `${base} with the same total ${formatAmountText(first.totalAmount, inv.header.currency)}; a load would skip it as already loaded`;
  // What a load would leave as Alma holds it (engine.ts `#compareHeld` says the same after a load).
  const differences = first.held === undefined ? [] : heldDifferences(invoicePayload(inv), first.held);
  if (differences.length === 0) return `${skip} — is this file sent twice?`;
  return `${skip}, leaving Alma's values where the file has others: ${heldText(differences, 'Alma')} — change them in Alma if the file is right`;
}

function safeEquals(text: string, amount: Decimal): boolean {
  try {
    return new Decimal(text).equals(amount.toString());
  } catch {
    return false;
  }
}

const lineName = (line: InvoiceLine): string => `line ${quote(line.number)}`;

function listCodes(t: CodeTableFacts): string {
  const codes = t.rows.filter((r) => r.enabled).map((r) => r.code);
  return codes.length <= 12 ? codes.join(', ') : `${codes.slice(0, 12).join(', ')} … (${codes.length} in all)`;
}

// ------------------------------------------------------------------------------- cost estimate

/** The engine's poll schedule (`DEFAULT_POLL`, src/targets/target.ts). */
export interface PollSchedule {
  initialMs: number;
  maxIntervalMs: number;
}

/**
 * How many times the engine reads an invoice before giving up at `timeoutMs`: the same
 * doubling-then-capped waits as `waitForProcessing`.
 */
export function maxPolls(schedule: PollSchedule, timeoutMs: number): number {
  let waited = 0;
  let interval = schedule.initialMs;
  let polls = 0;
  for (;;) {
    waited += interval;
    polls++;
    if (waited >= timeoutMs) return polls;
    interval = Math.min(interval * 2, schedule.maxIntervalMs, Math.max(1, timeoutMs - waited));
  }
}

export interface EstimateInput {
  /** The invoices a load would send (those that passed every check). */
  invoices: readonly Invoice[];
  /** Invoice look-up requests, measured by running the load's own look-up strategy. */
  lookups: number;
  rate: number;
  poll: PollSchedule;
  pollTimeoutMs: number;
  remaining?: number | undefined;
}

/**
 * Requests of a clean load: per invoice one create, one POST per line (BLOG-CREATE: "adds a single
 * invoice line"), one `op=process_invoice`, and the reads until processing shows. Processing is
 * asynchronous (XSD-INV, docs/alma.md#processing-and-workflow-statuses): the engine reads the
 * invoice once after `initialMs`, which is enough for the sandbox and, we expect, for Alma (the
 * README's sample run: 4 look-ups + 7 + 14 + 7 + 7 reads = 39); `requests_if_slow` is the bound
 * when every invoice takes the whole `--poll-timeout`. Retries are not foreseeable and not counted.
 */
export function estimateLoad(input: EstimateInput): PreflightEstimate {
  const invoices = input.invoices.length;
  const lines = input.invoices.reduce((n, inv) => n + inv.lines.length, 0);
  const fixed = input.lookups + invoices * 2 + lines;
  const total = fixed + invoices;
  const slow = fixed + invoices * maxPolls(input.poll, input.pollTimeoutMs);
  const remaining = input.remaining;
  return {
    invoices,
    lines,
    requests: { lookups: input.lookups, create: invoices, lines, process: invoices, polls: invoices, total },
    requests_if_slow: slow,
    rate: input.rate,
    seconds: total / input.rate,
    // A spent budget (0) still gives a finite share (> 1 means the load cannot finish today).
    ...(remaining !== undefined ? { api_remaining: remaining, share_of_remaining: total / Math.max(remaining, 1) } : {}),
  };
}
