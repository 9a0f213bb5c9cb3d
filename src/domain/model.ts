/**
 * The canonical invoice, after validation and grouping: what every target's payload is built from.
 * Money is `Decimal` (never a JS number); ids, codes and numbers are strings; dates are
 * `YYYY-MM-DD` strings that have been checked to be real calendar dates.
 */
import type { Decimal } from 'decimal.js';
import type { Provenance } from '../input/record.js';
import type { Problem } from './problem.js';

export interface FundDistribution {
  fundCode: string;
  /** Exactly one of percent and amount is set once the invoice is valid. */
  percent?: Decimal | undefined;
  amount?: Decimal | undefined;
  source: Provenance;
}

export interface LineVat {
  code?: string | undefined;
  percentage?: Decimal | undefined;
  amount?: Decimal | undefined;
  note?: string | undefined;
}

export interface InvoiceLine {
  /** Explicit line number (given, or assigned in row order when the file has none). */
  number: string;
  type?: string | undefined;
  poLine?: string | undefined;
  price?: Decimal | undefined;
  quantity?: number | undefined;
  priceNote?: string | undefined;
  note?: string | undefined;
  funds: FundDistribution[];
  subscriptionFromDate?: string | undefined;
  subscriptionToDate?: string | undefined;
  additionalInfo?: string | undefined;
  fullyInvoiced?: boolean | undefined;
  releaseRemainingEncumbrance?: boolean | undefined;
  checkSubscriptionDateOverlap?: boolean | undefined;
  reportingCode?: string | undefined;
  secondaryReportingCode?: string | undefined;
  tertiaryReportingCode?: string | undefined;
  vat: LineVat;
  /**
   * Alguna line item: description, unit price and product
   * (https://docs.alguna.io/api-reference/invoices/createLineItem).
   */
  description?: string | undefined;
  unitPrice?: Decimal | undefined;
  productId?: string | undefined;
  /** Every row that contributed to this line (one per fund distribution). */
  rows: Provenance[];
}

export interface InvoiceVat {
  /** INCLUSIVE, EXCLUSIVE or LINEEXCLUSIVE (Alma's VAT type codes). */
  type?: string | undefined;
  percentage?: Decimal | undefined;
  amount?: Decimal | undefined;
  code?: string | undefined;
  perInvoiceLine?: boolean | undefined;
  expendedFromFund?: boolean | undefined;
  reportTax?: boolean | undefined;
}

export interface AdditionalCharges {
  useProRata?: boolean | undefined;
  shipment?: Decimal | undefined;
  overhead?: Decimal | undefined;
  insurance?: Decimal | undefined;
  discount?: Decimal | undefined;
}

export interface Payment {
  prepaid?: boolean | undefined;
  internalCopy?: boolean | undefined;
  exportToErp?: boolean | undefined;
}

export interface InvoiceHeader {
  number: string;
  /** YYYY-MM-DD */
  date: string;
  vendor: string;
  vendorAccount?: string | undefined;
  totalAmount: Decimal;
  /** ISO 4217; absent means the institution's default currency. */
  currency?: string | undefined;
  dueDate?: string | undefined;
  paymentMethod?: string | undefined;
  referenceNumber?: string | undefined;
  owner?: string | undefined;
  vat: InvoiceVat;
  charges: AdditionalCharges;
  payment: Payment;
  note?: string | undefined;
  /**
   * Exsited: the purchase order the purchase invoice is created from
   * (https://developer.exsited.com/purchase-invoice-post-api-documentation).
   */
  purchaseOrderId?: string | undefined;
  purchaseOrderNote?: string | undefined;
  customAttributes?: CustomAttribute[] | undefined;
  /** The first `attachment` cell, as written (relative to the batch file): Exsited's note file. */
  attachment?: string | undefined;
  /** Every file the invoice names in `attachment` (Alma adds each as an invoice attachment), as written, with its row. */
  attachments?: AttachmentRef[] | undefined;
  /**
   * Alguna: the account invoiced, the billing period (YYYY-MM-DD or RFC 3339), autoIssue
   * (https://docs.alguna.io/api-reference/invoices/create).
   */
  accountId?: string | undefined;
  billingPeriodStart?: string | undefined;
  billingPeriodEnd?: string | undefined;
  autoIssue?: boolean | undefined;
}

/** A file named by the batch: the path as written (relative to the batch file's folder, or absolute) and where. */
export interface AttachmentRef {
  path: string;
  source: Provenance;
}

/**
 * Exsited `custom_attributes[]` entry
 * (https://developer.exsited.com/purchase-invoice-post-api-documentation).
 */
export interface CustomAttribute {
  name: string;
  value: string;
}

/** The identity of an invoice in a batch and in Alma: vendor code and vendor's invoice number. */
export interface InvoiceKey {
  vendor: string;
  number: string;
}

export const keyString = (k: InvoiceKey): string => `${k.vendor}\u0000${k.number}`;

export interface Invoice {
  key: InvoiceKey;
  header: InvoiceHeader;
  lines: InvoiceLine[];
  /** Every row of the invoice, in input order. */
  rows: Provenance[];
}

/**
 * What a report line needs of a valid invoice: its key, its header and its line numbers. A plain
 * dry run builds only this (rules.ts `outlineInvoice`), not the lines' typed fields, funds and
 * rows that only a load sends. Every `Invoice` is one.
 */
export interface InvoiceOutline {
  key: InvoiceKey;
  header: InvoiceHeader;
  lines: readonly { number: string }[];
}

/**
 * An invoice as grouping left it: `invoice` is present only when no error was found.
 * `problems` holds errors and warnings for its rows.
 */
export interface GroupedInvoice<I = Invoice> {
  key: InvoiceKey;
  rows: Provenance[];
  invoice?: I | undefined;
  problems: Problem[];
  /** An invalid invoice as the file gives it, for the report: its line numbers, total and currency as written. */
  written?: WrittenInvoice | undefined;
}

export interface WrittenInvoice {
  lines: string[];
  total?: string | undefined;
  currency?: string | undefined;
}
