/**
 * The sandbox's stored data. Plain JSON (money as exact decimal strings), so the whole state
 * can be persisted with `JSON.stringify` and read back unchanged.
 */

export interface FundRec {
  code: string;
  percent: string;
  amount: string;
}

export interface LineRec {
  id: string;
  number: string;
  type: string;
  /** PO line number ('' = not linked). */
  poLine: string;
  price: string;
  quantity: number;
  totalPrice: string;
  priceNote: string;
  note: string;
  vatNote: string;
  additionalInfo: string;
  checkOverlap: boolean;
  fullyInvoiced: boolean;
  releaseRemaining: boolean;
  subFrom: string | null;
  subTo: string | null;
  reporting: [string, string, string];
  vat: { code: string; percentage: string; amount: string };
  funds: FundRec[];
  /** When it was added (ms since epoch): lists show it once `indexLagMs` has passed. Absent in older state files. */
  addedAt?: number | undefined;
}

export interface InvoiceRec {
  id: string;
  /** Creation order: lists are stable in it. */
  seq: number;
  /** When it was created (ms since epoch): lists show it once `indexLagMs` has passed. Absent in older state files. */
  createdAt?: number | undefined;
  origin: 'seed' | 'api';
  number: string;
  vendor: string;
  vendorAccount: string;
  invoiceDate: string;
  dueDate: string | null;
  totalAmount: string;
  currency: string;
  paymentMethod: string;
  referenceNumber: string;
  owner: string;
  charges: { useProRata: boolean; shipment: string; overhead: string; insurance: string; discount: string };
  vat: {
    reportTax: boolean;
    perLine: boolean;
    code: string;
    percentage: string;
    amount: string;
    type: string;
    expendedFromFund: boolean;
  };
  payment: {
    prepaid: boolean;
    internalCopy: boolean;
    exportToErp: boolean;
    status: string;
    voucherDate: string | null;
    voucherNumber: string;
    voucherAmount: string;
    voucherCurrency: string;
  };
  notes: string[];
  workflow: string;
  approval: string;
  baseStatus: string;
  alerts: string[];
  approvedBy: string;
  approvalDate: string | null;
  /** op=process_invoice was accepted at least once (lines are refused from then on). */
  processRequested: boolean;
  /** When the pending processing settles (ms since epoch), or null when none is pending. */
  settleAt: number | null;
  lines: LineRec[];
  /** Absent in state files written before attachments existed. */
  attachments?: AttachmentRec[] | undefined;
}

export interface AttachmentRec {
  id: string;
  fileName: string;
  size: number;
  /** The file, base64, as it was sent. */
  content: string;
  type: string;
  creationDate: string;
}

export interface ApiCounters {
  created: Record<string, Record<string, number>>;
  linePosts: Record<string, Record<string, number>>;
  processCount: Record<string, number>;
  attachmentPosts: Record<string, Record<string, number>>;
  erpOps: Record<string, Record<string, number>>;
}

/** What `statePath` holds. */
export interface PersistedState {
  version: 1;
  counter: number;
  invoices: InvoiceRec[];
  counters: ApiCounters;
}
