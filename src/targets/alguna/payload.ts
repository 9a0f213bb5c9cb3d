/**
 * Canonical invoice → Alguna's one-off invoice (`POST /invoices`,
 * https://docs.alguna.io/api-reference/invoices/create): `accountId`, `billingPeriodStart`/`End`
 * and `issueDate` as RFC 3339 timestamps (a plain date is sent as midnight UTC, but a period's end
 * as the end of that day, `periodEnd`), `description` (the
 * memo), `lineItems[]` inline, `autoIssue`. Line items follow the legacy create-line fields
 * (https://docs.alguna.io/api-reference/invoices/createLineItem: `description`, `quantity`,
 * `unitPrice` as decimal strings, optional `productId`). Money is decimal text, never a JS number.
 *
 * The description starts with the invoice's identity, `Invoice <number> from <vendor>`: the request
 * has no field for the vendor's invoice number
 * (https://docs.alguna.io/api-reference/invoices/create), and the idempotency key only lasts 24
 * hours (https://alguna.com/docs/api-reference/v2/idempotency), so this is how a later look-up
 * recognises the invoice.
 *
 * The `Idempotency-Key` is derived from the target and the request itself (vendor, number and
 * body): the same invoice gets the same key in every run that writes the same API generation (a
 * v2 body is another body, so another key; docs/alguna.md, "Idempotency"), so a request whose answer was lost can be
 * sent again and Alguna answers with the invoice it already made
 * (https://alguna.com/docs/api-reference/v2/idempotency: "replay with the same params returns the
 * cached response"); a changed invoice gets another key, and is first found by the look-up.
 */
import { createHash } from 'node:crypto';
import type { Decimal } from 'decimal.js';
import type { Invoice } from '../../domain/model.js';
import { stringifyJson } from '../../common/json.js';

/**
 * A cell of the `timestamp` kind as RFC 3339
 * (https://docs.alguna.io/api-reference/invoices/create): a date is midnight UTC.
 */
export const rfc3339 = (t: string): string => (t.length === 10 ? `${t}T00:00:00Z` : t);

/**
 * The end of a billing period as RFC 3339: a plain date is the END of that day (23:59:59 UTC), so
 * the period's last day is inside it — a period "2025-03-01 to 2025-03-31" ends at
 * `2025-03-31T23:59:59Z`, not at the first instant of its last day. Alguna takes a timestamp
 * (https://docs.alguna.io/api-reference/invoices/create) and says nothing of dates, so this is the
 * loader's reading of a date (docs/alguna.md "Fields"). A timestamp is sent as given.
 */
export const periodEnd = (t: string): string => (t.length === 10 ? `${t}T23:59:59Z` : t);

/**
 * Decimal text with at least two decimals, as Alguna writes money ("100.00",
 * https://docs.alguna.io/api-reference/invoices/create).
 */
const money = (d: Decimal): string => d.toFixed(Math.max(2, d.decimalPlaces()));

/** The identity that starts every description the loader writes. */
export const identityOf = (inv: { key: { vendor: string; number: string } }): string => `Invoice ${inv.key.number} from ${inv.key.vendor}`;

/** Whether an Alguna description was written by the loader for this vendor and number. */
export function describes(description: string, key: { vendor: string; number: string }): boolean {
  const id = identityOf({ key });
  return description === id || description.startsWith(`${id} — `);
}

/**
 * Which of Alguna's two documented APIs the invoice is written for: the legacy camelCase one
 * (https://docs.alguna.io/api-reference/invoices/create, the default) or v2, date-versioned by
 * `Alguna-Version` and snake_case
 * (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice). The target
 * learns it from the look-up's list answer (target.ts).
 */
export type AlgunaGeneration = 'legacy' | 'v2';

export function invoicePayload(inv: Invoice, generation: AlgunaGeneration = 'legacy'): Record<string, unknown> {
  const h = inv.header;
  const note = h.note?.trim();
  const description = note !== undefined && note !== '' ? `${identityOf(inv)} — ${note}` : identityOf(inv);
  if (generation === 'v2') {
    // v2's create: `customer_id`, `currency` (ISO 4217), `billing_period_start`/`_end` and
    // `issue_date` (date-time), `description`, `line_items`, and `status` draft | issued
    // (https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/create-an-invoice). The page
    // does not spell a line item's request fields; these are the names its answers use
    // (description, quantity, unit_price, product_id:
    // https://alguna.com/docs/api-reference/v2/2026-04-01/invoices/update-an-invoice-line-item).
    return {
      customer_id: h.accountId,
      // Required by v2's create; the rules refuse an Alguna invoice without one (rules.ts).
      currency: h.currency,
      billing_period_start: rfc3339(h.billingPeriodStart ?? ''),
      billing_period_end: periodEnd(h.billingPeriodEnd ?? ''),
      description,
      issue_date: rfc3339(h.date),
      line_items: inv.lines.map((l) => ({
        description: l.description,
        quantity: String(l.quantity ?? 1) + '.00',
        unit_price: l.unitPrice === undefined ? undefined : money(l.unitPrice),
        ...(l.productId !== undefined ? { product_id: l.productId } : {}),
      })),
      status: h.autoIssue === true ? 'issued' : 'draft',
    };
  }
  return {
    accountId: h.accountId,
    billingPeriodStart: rfc3339(h.billingPeriodStart ?? ''),
    billingPeriodEnd: periodEnd(h.billingPeriodEnd ?? ''),
    description,
    lineItems: inv.lines.map((l) => ({
      description: l.description,
      quantity: String(l.quantity ?? 1) + '.00',
      unitPrice: l.unitPrice === undefined ? undefined : money(l.unitPrice),
      ...(l.productId !== undefined ? { productId: l.productId } : {}),
    })),
    issueDate: rfc3339(h.date),
    autoIssue: h.autoIssue ?? false,
  };
}

/**
 * `il-alguna-` + 48 hex digits of SHA-256 over the target, the invoice's key and the body (≤ 255
 * chars, https://alguna.com/docs/api-reference/v2/idempotency).
 */
export function idempotencyKey(inv: Invoice, body: Record<string, unknown> = invoicePayload(inv)): string {
  const digest = createHash('sha256')
    .update(stringifyJson({ target: 'alguna', vendor: inv.key.vendor, number: inv.key.number, body }))
    .digest('hex');
  return `il-alguna-${digest.slice(0, 48)}`;
}
