/**
 * The admin/test API under `/_sandbox/` (not Alma; never needs a key): a truthful state dump
 * for tests, and runtime control of faults, settings and the data.
 *   GET  /_sandbox/state    → SandboxStateDump
 *   POST /_sandbox/faults   {faultRate?, faultKinds?, faults?, randomSeed?}  (replaces the config)
 *   POST /_sandbox/config   {perSecond?, daily?, latencyMs?, processDelayMs?, allowDuplicates?, retryAfter?, timeoutHoldMs?,
 *                            handleInvoicePayment?, attachmentMaxBytes?, vendorInvoicesActiveOnly?, …}
 *   POST /_sandbox/reset    back to the seed
 */
import type { ServerResponse } from 'node:http';
import type { InvoiceRec } from './records.js';
import type { FaultConfig, SandboxConfig, StateInvoice } from './types.js';

/** What the admin API drives; every sandbox (Alma's, and each sibling's) answers the same four requests. */
export interface AdminOps<P = Partial<SandboxConfig>> {
  state(): unknown;
  setFaults(config: FaultConfig): void;
  faults(): FaultConfig;
  configure(patch: P): void;
  config(): unknown;
  reset(): void;
}

export function handleAdmin<P>(method: string, what: string, raw: string, res: ServerResponse, ops: AdminOps<P>): void {
  const reply = (status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(body));
  };
  try {
    // Admin bodies hold no money or ids, so plain JSON.parse is enough here.
    const body: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
    switch (`${method} ${what}`) {
      case 'GET state':
        return reply(200, ops.state());
      case 'POST faults':
        ops.setFaults(body as FaultConfig);
        return reply(200, { ok: true, faults: ops.faults() });
      case 'POST config':
        ops.configure(body as P);
        return reply(200, { ok: true, config: ops.config() });
      case 'POST reset':
        ops.reset();
        return reply(200, { ok: true });
      default:
        return reply(404, { error: `unknown sandbox admin request ${method} /_sandbox/${what}` });
    }
  } catch (e) {
    return reply(400, { error: (e as Error).message });
  }
}

/** One invoice as the state dump shows it (amounts as exact strings). */
export function stateInvoice(inv: InvoiceRec): StateInvoice {
  return {
    id: inv.id,
    vendor: inv.vendor,
    number: inv.number,
    vendor_account: inv.vendorAccount,
    currency: inv.currency,
    total_amount: inv.totalAmount,
    status: inv.workflow,
    approval: inv.approval,
    base_status: inv.baseStatus,
    alerts: [...inv.alerts],
    processing: inv.settleAt !== null ? 'pending' : inv.processRequested ? 'settled' : 'not_started',
    origin: inv.origin,
    lines: inv.lines.map((l) => ({
      id: l.id,
      number: l.number,
      type: l.type,
      po_line: l.poLine,
      price: l.price,
      quantity: l.quantity,
      total_price: l.totalPrice,
      funds: l.funds.map((f) => ({ ...f })),
    })),
    attachments: (inv.attachments ?? []).map((a) => ({ id: a.id, file_name: a.fileName, size: a.size })),
    payment: {
      status: inv.payment.status,
      voucher_number: inv.payment.voucherNumber,
      voucher_date: inv.payment.voucherDate,
      voucher_amount: inv.payment.voucherAmount,
      voucher_currency: inv.payment.voucherCurrency,
    },
    notes: [...inv.notes],
  };
}
