/**
 * A seeded generator of valid canonical CSV batches built from fixtures/sandbox-seed.json: its
 * material-supplier vendors, their active accounts and currencies, active funds and PO lines,
 * so every invoice passes validation and the sandbox accepts every write. Totals are computed
 * in integer minor units, so they add up exactly.
 *
 * Some invoices are meant to end In Review (an unlinked OTHER line → NOT_LINKED_LINES, a price
 * that differs from the PO line → DIFF_PRICE_THAN_POLINE), so the report's alerts and
 * workflow statuses are exercised, not only the happy status.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../src/sandbox/faults.js';
import { ROOT } from '../helpers/cli.js';

interface SeedAccount {
  code: string;
  status?: string;
  payment_methods: string[];
}
interface SeedVendor {
  code: string;
  material_supplier?: boolean;
  currencies: string[];
  accounts: SeedAccount[];
}
interface SeedPoLine {
  number: string;
  vendor: string;
  vendor_account?: string;
  type: string;
  price: number;
  currency: string;
  fund_code: string;
}
interface Seed {
  vendors: SeedVendor[];
  funds: { code: string; status?: string }[];
  po_lines: SeedPoLine[];
  invoices: { number: string }[];
}

export const SEED = JSON.parse(readFileSync(join(ROOT, 'fixtures/sandbox-seed.json'), 'utf8')) as Seed;

const HEADER = [
  'invoice_number', 'invoice_date', 'vendor', 'vendor_account', 'currency', 'payment_method', 'total_amount',
  'shipment', 'discount', 'invoice_note', 'line_number', 'line_type', 'po_line', 'price', 'quantity',
  'subscription_from_date', 'subscription_to_date', 'fund_code', 'fund_percent', 'fund_amount', 'line_note',
] as const;
type Column = (typeof HEADER)[number];

export interface GeneratedBatch {
  csv: string;
  invoices: number;
  lines: number;
  /** vendor → numbers, for checks that want to walk the batch without parsing it. */
  keys: { vendor: string; number: string; lines: number }[];
}

/** Minor units of the seed's currencies (all two-decimal). */
const cents = (amount: number): number => Math.round(amount * 100);
const money = (c: number): string => `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

export function generateBatch(opts: { seed: number; invoices: number; prefix?: string }): GeneratedBatch {
  const rnd = mulberry32(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const funds = SEED.funds.filter((f) => (f.status ?? 'ACTIVE') === 'ACTIVE').map((f) => f.code);
  // Every vendor that can be invoiced, with the PO lines of each (account, currency) pair it has.
  const options = SEED.vendors
    .filter((v) => v.material_supplier === true)
    .flatMap((v) =>
      v.accounts
        .filter((a) => (a.status ?? 'ACTIVE') === 'ACTIVE')
        .map((a) => {
          const pols = SEED.po_lines.filter((p) => p.vendor === v.code && (p.vendor_account ?? a.code) === a.code && v.currencies.includes(p.currency));
          return { vendor: v.code, account: a, currency: pols[0]?.currency ?? v.currencies[0]!, pols: pols.filter((p) => p.currency === (pols[0]?.currency ?? '')) };
        })
        .filter((o) => o.pols.length > 0),
    );
  const taken = new Set(SEED.invoices.map((i) => i.number));
  const rows: string[] = [HEADER.join(',')];
  const keys: GeneratedBatch['keys'] = [];
  let lineCount = 0;

  for (let i = 0; i < opts.invoices; i++) {
    const o = pick(options);
    let number = `${opts.prefix ?? 'R'}-${o.vendor.slice(0, 3)}-${String(1000 + i)}`;
    while (taken.has(number)) number += 'X';
    taken.add(number);
    const day = String(int(1, 28)).padStart(2, '0');
    const date = `2025-${String(int(1, 12)).padStart(2, '0')}-${day}`;
    const nLines = int(2, 4);
    const lineRows: Partial<Record<Column, string>>[] = [];
    let linesTotal = 0;
    for (let n = 1; n <= nLines; n++) {
      const unlinked = rnd() < 0.08;
      const pol = pick(o.pols);
      const qty = unlinked ? int(1, 3) : 1;
      // Now and then a price other than the PO line's: Alma (and the sandbox) alerts on it.
      const priceCents = unlinked ? int(150, 2500) : rnd() < 0.06 ? cents(pol.price) + int(1, 500) : cents(pol.price);
      const lineTotal = priceCents * qty;
      linesTotal += lineTotal;
      const continuous = /_CO$/.test(pol.type);
      const base: Partial<Record<Column, string>> = {
        line_number: String(n),
        line_type: unlinked ? 'OTHER' : 'REGULAR',
        po_line: unlinked ? '' : pol.number,
        price: money(priceCents),
        quantity: String(qty),
        subscription_from_date: !unlinked && continuous ? '2025-01-01' : '',
        subscription_to_date: !unlinked && continuous ? '2025-12-31' : '',
        line_note: n === 1 && rnd() < 0.2 ? '"Note, with a comma and ""quotes"""' : '',
      };
      const split = rnd();
      if (split < 0.6) {
        lineRows.push({ ...base, fund_code: unlinked ? pick(funds) : pol.fund_code, fund_percent: '100' });
      } else if (split < 0.8) {
        // Two funds by percent, summing to exactly 100.
        const a = int(1, 99);
        const [f1, f2] = twoFunds(funds, pick);
        lineRows.push({ ...base, fund_code: f1, fund_percent: String(a) });
        lineRows.push({ ...base, fund_code: f2, fund_percent: String(100 - a) });
      } else {
        // Two funds by amount, summing to exactly the line total.
        const a = int(1, Math.max(1, lineTotal - 1));
        const [f1, f2] = twoFunds(funds, pick);
        lineRows.push({ ...base, fund_code: f1, fund_amount: money(a) });
        lineRows.push({ ...base, fund_code: f2, fund_amount: money(lineTotal - a) });
      }
    }
    const shipment = rnd() < 0.3 ? int(100, 2000) : 0;
    const discount = rnd() < 0.15 ? int(1, Math.min(500, linesTotal - 1)) : 0;
    const total = linesTotal + shipment - discount;
    const header: Partial<Record<Column, string>> = {
      invoice_number: number,
      invoice_date: date,
      vendor: o.vendor,
      vendor_account: o.account.code,
      currency: o.currency,
      payment_method: pick(o.account.payment_methods),
      total_amount: money(total),
      shipment: shipment ? money(shipment) : '',
      discount: discount ? money(discount) : '',
      invoice_note: rnd() < 0.2 ? `Generated batch ${opts.seed}` : '',
    };
    lineRows.forEach((r, idx) => {
      // Invoice fields on the first row, and repeated (identically) on some later rows.
      const inv = idx === 0 || rnd() < 0.3 ? header : { invoice_number: number, vendor: o.vendor };
      const cells = { ...inv, ...r };
      rows.push(HEADER.map((c) => cells[c] ?? '').join(','));
    });
    keys.push({ vendor: o.vendor, number, lines: nLines });
    lineCount += nLines;
  }
  return { csv: rows.join('\n') + '\n', invoices: opts.invoices, lines: lineCount, keys };
}

function twoFunds(funds: string[], pick: <T>(xs: readonly T[]) => T): [string, string] {
  const a = pick(funds);
  let b = pick(funds);
  while (b === a) b = pick(funds);
  return [a, b];
}
