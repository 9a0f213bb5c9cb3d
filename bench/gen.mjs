/**
 * Deterministic, seeded canonical CSV batches for the benchmark (never committed: they are
 * written under the bench's tmp dir and rebuilt when missing).
 *
 * - `writeBigBatch`: exactly `rows` rows (default 1,000,000), about 100,000 invoices of 1–9
 *   lines, a third of the lines split over 2–3 funds, invoice cells given on the first row only
 *   (or repeated, on a quarter of the invoices), quoted notes with commas. About 0.2 % of the
 *   invoices carry a total that does not add up, so the report has issues too.
 * - `writeLoadBatch`: invoices × lines for the sandbox, with the seed's vendors, funds and
 *   PO lines (fixtures/sandbox-seed.json), every invoice valid and accepted.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

// The sandbox's seeded PRNG (like every bench script, this runs over the built dist/).
import { mulberry32 as prng } from '../dist/sandbox/faults.js';

const HEADER = [
  'invoice_number', 'invoice_date', 'vendor', 'vendor_account', 'currency', 'payment_method', 'total_amount',
  'shipment', 'discount', 'invoice_note', 'line_number', 'line_type', 'po_line', 'price', 'quantity',
  'subscription_from_date', 'subscription_to_date', 'fund_code', 'fund_percent', 'fund_amount', 'line_note',
];

const cents = (c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
const csvCell = (s) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** Buffers lines and writes them in ~1 MB chunks, honouring back-pressure. */
class Out {
  constructor(path) {
    this.stream = createWriteStream(path);
    this.buf = [];
    this.size = 0;
  }
  async line(cells) {
    const s = cells.map(csvCell).join(',') + '\n';
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async flush() {
    if (this.buf.length === 0) return;
    const ok = this.stream.write(this.buf.join(''));
    this.buf = [];
    this.size = 0;
    if (!ok) await once(this.stream, 'drain');
  }
  async close() {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

const FUNDS = ['GENMON', 'BIO', 'CHEM', 'HIST', 'LAW', 'SERIALS', 'EBOOKS'];

/** Splits `total` (100 for percents, or cents) into n positive whole shares. */
function split(rand, n, total) {
  const out = [];
  let left = total;
  for (let i = 0; i < n - 1; i++) {
    const v = Math.max(1, Math.min(left - (n - 1 - i), Math.floor(left * (0.3 + 0.4 * rand()))));
    out.push(v);
    left -= v;
  }
  out.push(left);
  return out;
}

/** Writes the big batch; resolves with {rows, invoices, lines}. */
export async function writeBigBatch(path, { rows = 1_000_000, seed = 20250301 } = {}) {
  const rand = prng(seed);
  const out = new Out(path);
  await out.line(HEADER);
  const vendors = Array.from({ length: 60 }, (_, i) => `VEND${String(i + 1).padStart(3, '0')}`);
  let written = 0;
  let invoices = 0;
  let lineCount = 0;
  while (written < rows) {
    const left = rows - written;
    const vendor = vendors[Math.floor(rand() * vendors.length)];
    const number = `INV-${String(invoices + 1).padStart(7, '0')}`;
    const day = 1 + Math.floor(rand() * 28);
    const date = `2025-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    // Lines and funds: 1–8 lines, a third split over 2–3 funds (≈10 rows per invoice).
    let nLines = 1 + Math.floor(rand() * 9);
    const plan = [];
    let planned = 0;
    for (let l = 0; l < nLines; l++) {
      const r = rand();
      const nFunds = r < 0.35 ? 1 : r < 0.7 ? 2 : 3;
      plan.push(nFunds);
      planned += nFunds;
    }
    if (planned >= left || left - planned < 3) {
      // The last invoice takes exactly the rows that remain: one fund per line.
      nLines = left;
      plan.length = 0;
      for (let l = 0; l < nLines; l++) plan.push(1);
    }
    const lines = plan.map((nFunds, l) => {
      const price = 500 + Math.floor(rand() * 20000);
      const quantity = rand() < 0.85 ? 1 : 2 + Math.floor(rand() * 3);
      const subscription = rand() < 0.2;
      const poLine = rand() < 0.8 ? `POL-${String(1 + Math.floor(rand() * 999999)).padStart(6, '0')}` : '';
      return { number: String(l + 1), price, quantity, nFunds, subscription, poLine, byAmount: nFunds > 1 && rand() < 0.3 };
    });
    const shipment = rand() < 0.3 ? 100 + Math.floor(rand() * 2000) : 0;
    const discount = rand() < 0.1 ? Math.floor(rand() * 500) : 0;
    let total = lines.reduce((s, l) => s + l.price * l.quantity, 0) + shipment - discount;
    if (rand() < 0.002) total += 100; // a total that does not add up: total_mismatch
    const repeat = rand() < 0.25;
    const note = rand() < 0.2 ? `Approval plan, ${vendor}, "standing order"` : '';
    let first = true;
    for (const line of lines) {
      const funds = FUNDS.slice(0).sort(() => rand() - 0.5).slice(0, line.nFunds);
      const shares = line.nFunds === 1 ? [100] : split(rand, line.nFunds, line.byAmount ? line.price * line.quantity : 100);
      for (let f = 0; f < line.nFunds; f++) {
        const head = first || repeat;
        await out.line([
          number,
          head ? date : '',
          vendor,
          head ? vendor : '',
          head ? 'USD' : '',
          head ? 'ACCOUNTINGDEPARTMENT' : '',
          head ? cents(total) : '',
          head && shipment ? cents(shipment) : '',
          head && discount ? cents(discount) : '',
          first ? note : '',
          line.number,
          'REGULAR',
          line.poLine,
          cents(line.price),
          String(line.quantity),
          line.subscription ? '2025-01-01' : '',
          line.subscription ? '2025-12-31' : '',
          funds[f],
          line.byAmount ? '' : String(shares[f]),
          line.byAmount ? cents(shares[f]) : '',
          f === 0 && line.number === '1' && note !== '' ? 'Rush, please' : '',
        ]);
        first = false;
        written++;
      }
      lineCount++;
    }
    invoices++;
  }
  await out.close();
  return { rows: written, invoices, lines: lineCount };
}

/**
 * The seed's material suppliers, the account and currency their PO lines are ordered in, and those
 * PO lines: [number, price in cents, continuous] (fixtures/sandbox-seed.json). Continuous PO lines
 * need subscription dates; a PO line of another account or currency would be refused or sent to
 * review by the checks the load runs before sending, so none is used.
 */
const LOAD_VENDORS = [
  { code: 'GOBI', account: 'GOBI', pols: [['POL-1001', 4500], ['POL-1002', 18995], ['POL-1003', 12000], ['POL-1004', 2250], ['POL-1005', 1800]] },
  { code: 'HARRAS', account: 'HARRAS-USD', pols: [['POL-1008', 5400], ['POL-1009', 3990]] },
  { code: 'EBSCO', account: 'EBSCO-SUB', pols: [['POL-1010', 125000, true], ['POL-1011', 34000, true]] },
  { code: 'BLACKWELL', account: 'BLACKWELL', currency: 'GBP', pols: [['POL-1012', 6499], ['POL-1013', 11000]] },
];

/**
 * Writes `invoices` × `lines` valid invoices for the sandbox (`lines` a number, or a [min, max]
 * range drawn per invoice), spread over its vendors; lines are PO-linked at the PO line's price, except one line of every fifth invoice, which is not
 * linked (Alma then sends that invoice to review, as in real batches). Resolves with the rows
 * (one per line: their count is the batch's lines).
 */
export async function writeLoadBatch(path, { invoices = 200, lines = 3, seed = 7 } = {}) {
  const rand = prng(seed);
  // A [min, max] range draws each invoice's count from the same seeded sequence.
  const [min, max] = Array.isArray(lines) ? lines : [lines, lines];
  const out = new Out(path);
  await out.line(HEADER);
  let rows = 0;
  for (let i = 0; i < invoices; i++) {
    const v = LOAD_VENDORS[i % LOAD_VENDORS.length];
    const count = min === max ? min : min + Math.floor(rand() * (max - min + 1));
    const ls = Array.from({ length: count }, (_, l) => {
      if (i % 5 === 4 && l === count - 1) return { number: String(l + 1), pol: '', price: 1000 + Math.floor(rand() * 5000), continuous: false };
      const [pol, price, continuous = false] = v.pols[Math.floor(rand() * v.pols.length)];
      return { number: String(l + 1), pol, price, continuous };
    });
    const total = ls.reduce((s, l) => s + l.price, 0);
    for (const [n, l] of ls.entries()) {
      const fund = FUNDS[(i + n) % FUNDS.length];
      await out.line([
        `BENCH-${String(i + 1).padStart(5, '0')}`, n === 0 ? '2025-03-03' : '', v.code, n === 0 ? v.account : '',
        n === 0 ? (v.currency ?? 'USD') : '', n === 0 ? 'ACCOUNTINGDEPARTMENT' : '', n === 0 ? cents(total) : '', '', '', '',
        l.number, 'REGULAR', l.pol, cents(l.price), '1', l.continuous ? '2025-01-01' : '', l.continuous ? '2025-12-31' : '',
        fund, '100', '', '',
      ]);
      rows++;
    }
  }
  await out.close();
  return { rows, invoices };
}
