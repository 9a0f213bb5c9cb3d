/** Alguna's profile (definition.ts): its rules, line items by number (inline in the create), the one body. */
import { checkAlgunaInvoice } from './rules.js';
import type { TargetProfile } from '../definition.js';
import { idempotencyKey, invoicePayload as algunaInvoice } from './payload.js';

export const ALGUNA_PROFILE: TargetProfile = {
  name: 'alguna',
  label: 'Alguna',
  rules: () => checkAlgunaInvoice,
  // Line items go inline in the create; the report names each with Alguna's line item id.
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => ({ invoice: algunaInvoice(inv), lines: [] }),
  preview: (inv) => [{ heading: `POST /invoices (Idempotency-Key: ${idempotencyKey(inv)})`, body: algunaInvoice(inv) }],
};
