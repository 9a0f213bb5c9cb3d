/**
 * Alguna's profile (definition.ts): its rules, line items by number (inline in the create), and
 * what `--show-payloads` shows when nothing is sent (a dry run). The target writes each create in
 * the API generation the account's look-up answered in (target.ts), so a dry run, which lists
 * nothing, cannot know it: it shows the legacy camelCase body and its key, says so, and names the
 * key v2's snake_case body would carry. A real run shows what the target sent (target.ts).
 */
import { checkAlgunaInvoice } from './rules.js';
import type { TargetProfile } from '../definition.js';
import type { Invoice } from '../../domain/model.js';
import { idempotencyKey, invoicePayload } from './payload.js';

const keys = (inv: Invoice): { legacy: string; v2: string } => ({
  legacy: idempotencyKey(inv, invoicePayload(inv, 'legacy')),
  v2: idempotencyKey(inv, invoicePayload(inv, 'v2')),
});

/** Said beside a dry run's body: it is the legacy one, and an account listed v2-style gets v2's. */
export const DRY_RUN_GENERATION_NOTE =
  "the legacy camelCase body: an account whose look-up Alguna answers v2-style ({data, pagination}) is sent v2's snake_case body (customer_id, line_items, status) under idempotency_key_v2";

export const ALGUNA_PROFILE: TargetProfile = {
  name: 'alguna',
  label: 'Alguna',
  rules: () => checkAlgunaInvoice,
  // Line items go inline in the create; the report names each with Alguna's line item id.
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => {
    const k = keys(inv);
    return { invoice: invoicePayload(inv, 'legacy'), lines: [], generation: 'legacy', idempotency_key: k.legacy, idempotency_key_v2: k.v2, note: DRY_RUN_GENERATION_NOTE };
  },
  preview: (inv) => {
    const k = keys(inv);
    return [
      {
        heading: `POST /invoices (Idempotency-Key: ${k.legacy}) — the legacy camelCase body; an account Alguna lists v2-style is sent v2's snake_case body (customer_id, line_items, status) under Idempotency-Key: ${k.v2}`,
        body: invoicePayload(inv, 'legacy'),
      },
    ];
  },
};
