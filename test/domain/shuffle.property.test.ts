import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { GroupResult } from '../../src/domain/group.js';
import type { InvoiceLine } from '../../src/domain/model.js';
import { validateRecords } from '../../src/domain/validate.js';
import { records, type Row } from './helpers.js';

const CURRENCIES = [
  ['USD', 2],
  ['JPY', 0],
  ['BHD', 3],
  ['EUR', 2],
] as const;

/** Minor units (an integer) as decimal text for a currency with `places` decimals. */
const text = (minor: number, places: number): string => (places === 0 ? String(minor) : (minor / 10 ** places).toFixed(places));

/** A line: price in minor units, optional quantity, and how it is split across funds. */
const lineArb = fc.record({
  price: fc.integer({ min: 1, max: 100_000 }),
  quantity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  split: fc.constantFrom('single', 'percent', 'amount'),
  funds: fc.integer({ min: 2, max: 3 }),
  numbered: fc.boolean(),
  poLine: fc.boolean(),
});

const invoiceArb = fc.record({
  vendor: fc.constantFrom('ACME', 'BOOKCO'),
  currency: fc.constantFrom(...CURRENCIES),
  date: fc.constantFrom('2024-02-29', '2026-01-15', '2025-12-31'),
  shipment: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 4 }),
  /** Which later rows repeat the invoice-level cells (the first row always has them). */
  repeat: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
});

type GeneratedInvoice = typeof invoiceArb extends fc.Arbitrary<infer T> ? T : never;

/** Rows of a valid batch: one per fund distribution, invoice cells on the first row of each. */
function batchRows(invoices: GeneratedInvoice[]): Row[] {
  const rows: Row[] = [];
  invoices.forEach((inv, i) => {
    const currency = inv.currency[0];
    const places = inv.currency[1];
    let total = inv.shipment ?? 0;
    const invRows: Row[] = [];
    inv.lines.forEach((l, n) => {
      const qty = l.quantity ?? 1;
      total += l.price * qty;
      const line: Row = { price: text(l.price, places), quantity: l.quantity?.toString(), po_line: l.poLine ? `POL-${i}-${n}` : undefined };
      if (l.split === 'single') {
        invRows.push({ ...line, line_number: l.numbered ? String(101 + n) : undefined, fund_code: 'F1' });
        return;
      }
      const lineTotal = l.price * qty;
      for (let f = 0; f < l.funds; f++) {
        const last = f === l.funds - 1;
        const share =
          l.split === 'percent'
            ? { fund_percent: last ? String(100 - 33 * (l.funds - 1)) : '33' }
            : { fund_amount: text(last ? lineTotal - Math.floor(lineTotal / l.funds) * (l.funds - 1) : Math.floor(lineTotal / l.funds), places) };
        // Line-level cells on the first row of the line; later rows inherit them.
        invRows.push({ ...(f === 0 ? line : {}), line_number: String(101 + n), fund_code: `F${f + 1}`, ...share });
      }
    });
    const header: Row = {
      invoice_date: inv.date,
      total_amount: text(total, places),
      currency,
      shipment: inv.shipment === undefined ? undefined : text(inv.shipment, places),
    };
    invRows.forEach((r, k) => rows.push({ vendor: inv.vendor, invoice_number: `N-${i}`, ...(k === 0 || inv.repeat[k % 12] ? header : {}), ...r }));
  });
  return rows;
}

/** What must not depend on row order: invoices by key, lines by content, funds by code. */
function canonical(result: GroupResult) {
  const line = (l: InvoiceLine) =>
    JSON.stringify({
      number: Number(l.number) > 100 ? l.number : '(assigned)',
      price: l.price,
      quantity: l.quantity,
      poLine: l.poLine,
      funds: l.funds.map((f) => `${f.fundCode}:${f.percent?.toFixed() ?? ''}:${f.amount?.toFixed() ?? ''}`).sort(),
    });
  return result.invoices
    .map((g) => ({
      key: `${g.key.vendor}/${g.key.number}`,
      codes: g.problems.map((p) => p.code),
      header: JSON.stringify(g.invoice?.header),
      lines: g.invoice?.lines.map(line).sort(),
      rowCount: g.rows.length,
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

it('gives the same invoices whatever the order of the rows of a valid batch', () => {
  const batch = fc.array(invoiceArb, { minLength: 1, maxLength: 5 }).chain((invoices) => {
    const rows = batchRows(invoices);
    return fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }));
  });
  fc.assert(
    fc.property(batch, ([rows, shuffled]) => {
      const before = validateRecords(records(rows));
      const after = validateRecords(records(shuffled));
      expect(before.issues).toEqual([]);
      // Valid: no problem but the warning of a PO-linked line without quantity (rules.ts quantity_from_po_line).
      expect(before.invoices.every((g) => g.invoice !== undefined && g.problems.every((p) => p.code === 'quantity_from_po_line'))).toBe(true);
      expect(canonical(after)).toEqual(canonical(before));
    }),
    { seed: 20260115, numRuns: 300 },
  );
});
