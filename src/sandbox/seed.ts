/**
 * The sandbox's institution: vendors, funds, PO lines, code tables and pre-existing invoices.
 * Loaded from an object or a JSON file (parsed losslessly: amounts keep their digits) and
 * validated with zod, including the references between its parts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { JsonNumber, parseJson, type JsonValue } from '../common/json.js';
import { UsageError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';

/** `fixtures/sandbox-seed.json` of the package: the same depth from `src/sandbox` and `dist/sandbox`. */
export const DEFAULT_SEED_PATH = fileURLToPath(new URL('../../fixtures/sandbox-seed.json', import.meta.url));

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}Z?$/;

/** Money arrives as a JSON number (JsonNumber from the lossless parser, or number) or a string. */
const money = z
  .union([z.string(), z.number(), z.instanceof(JsonNumber)])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(DECIMAL_RE, 'expected a decimal amount'));
const integer = z
  .union([z.number(), z.instanceof(JsonNumber), z.string()])
  .transform((v) => Number(String(v)))
  .pipe(z.number().int().min(0));
const code = z.string().min(1);
const status = z.enum(['ACTIVE', 'INACTIVE']).default('ACTIVE');

const codeRow = z.object({
  code: z.string(),
  description: z.string(),
  default: z.boolean().default(false),
  enabled: z.boolean().default(true),
});

const seedLine = z.object({
  number: z.string().optional(),
  type: code.optional(),
  po_line: z.string().optional(),
  price: money,
  quantity: integer.optional(),
  note: z.string().optional(),
  subscription_from_date: z.string().regex(DATE_RE).optional(),
  subscription_to_date: z.string().regex(DATE_RE).optional(),
  funds: z
    .array(z.object({ code, percent: money.optional(), amount: money.optional() }))
    .default([]),
});

const seedInvoice = z.object({
  number: code,
  vendor: code,
  vendor_account: z.string().optional(),
  invoice_date: z.string().regex(DATE_RE),
  total_amount: money,
  currency: z.string().optional(),
  payment_method: z.string().optional(),
  owner: z.string().optional(),
  reference_number: z.string().optional(),
  shipment: money.optional(),
  overhead: money.optional(),
  insurance: money.optional(),
  discount: money.optional(),
  /** Run op=process_invoice on it (settled at once) when the sandbox is seeded. */
  process: z.boolean().default(false),
  lines: z.array(seedLine).default([]),
});

export const seedSchema = z.object({
  institution: z.object({
    code,
    name: z.string(),
    currency: code,
    /** Alma ids seem to end in an institution-specific suffix (`…0001021` in sample 03 of docs/alma.md's Sources; docs/alma.md#what-the-samples-show). */
    id_suffix: z.string().regex(/^\d{4,8}$/).default('0004146'),
  }),
  libraries: z.array(z.object({ code, name: z.string() })).default([]),
  vendors: z.array(
    z.object({
      code,
      name: z.string(),
      status,
      material_supplier: z.boolean(),
      access_provider: z.boolean().default(false),
      licensor: z.boolean().default(false),
      liable_for_vat: z.boolean().default(false),
      currencies: z.array(code).min(1),
      accounts: z
        .array(
          z.object({
            code,
            description: z.string(),
            status,
            payment_methods: z.array(code).default([]),
          }),
        )
        .min(1),
    }),
  ),
  funds: z.array(
    z.object({
      id: z.string().regex(/^\d+$/),
      code,
      name: z.string(),
      status,
      type: z.enum(['ALLOCATED', 'SUMMARY', 'LEDGER']).default('ALLOCATED'),
      fiscal_period: z.string().default('2025-2026'),
      allocated: money.optional(),
      available: money.optional(),
    }),
  ),
  po_lines: z.array(
    z.object({
      number: code,
      vendor: code,
      vendor_account: z.string().optional(),
      /** Alma PO line type code; `_CO` (continuous) and `_SO` (standing order) need subscription dates. */
      type: code,
      title: z.string(),
      status: z.enum(['ACTIVE', 'CLOSED', 'CANCELLED']).default('ACTIVE'),
      price: money,
      currency: code,
      quantity: integer.default(1),
      fund_code: code,
      owner: z.string().optional(),
    }),
  ),
  vat_codes: z.array(z.object({ code, description: z.string(), percentage: money })).default([]),
  code_tables: z.record(z.string(), z.object({ description: z.string().default(''), rows: z.array(codeRow) })),
  invoices: z.array(seedInvoice).default([]),
});

/** What callers pass (numbers or strings for amounts, defaults omitted). */
export type SandboxSeed = z.input<typeof seedSchema>;
/** The validated, normalised seed (amounts as decimal strings). */
export type Seed = z.output<typeof seedSchema>;

/** Code tables the sandbox validates against; a seed without them is refused. */
export const REQUIRED_CODE_TABLES = [
  'InvoiceLinesTypes',
  'PaymentMethod',
  'InvoiceStatus',
  'InvoiceApprovalStatus',
  'Currency_CT',
  'HFundsTransactionItem.reportingCode',
] as const;

export function loadSeed(seed?: SandboxSeed | string): Seed {
  const path = seed === undefined ? DEFAULT_SEED_PATH : typeof seed === 'string' ? seed : undefined;
  let raw: unknown = seed;
  // A seed file is the user's (`sandbox --seed`): a missing or broken one is a configuration
  // error, exit 2 (README "Exit codes"), naming the file and what to do — not a bug.
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the sandbox seed ${path}: ${pathReason(e) ?? (e as Error).message}; ${SEED_FIX}`, { cause: e });
    }
    try {
      raw = parseJson(text);
    } catch (e) {
      throw new UsageError(`cannot read the sandbox seed ${path}: it is not valid JSON (${(e as Error).message}); ${SEED_FIX}`, { cause: e });
    }
  }
  const r = seedSchema.safeParse(raw);
  if (!r.success) throw new UsageError(`the sandbox seed${path ? ` ${path}` : ''} is not a valid seed: ${oneLineIssues(z.prettifyError(r.error))}; ${SEED_FIX}`);
  checkReferences(r.data, path);
  return r.data;
}

/** What to do about a seed refused: the seed the package ships is the one to start from. */
const SEED_FIX = 'give --seed a seed file like fixtures/sandbox-seed.json, or leave --seed out for that one';

/** zod's pretty report (`✖ message\n  → at path` per issue) on one line, for a one-line error. */
const oneLineIssues = (pretty: string): string =>
  pretty
    .split('✖')
    .map((issue) => issue.replace(/\s+/g, ' ').trim())
    .filter((issue) => issue !== '')
    .join('; ');

/** Cross-references zod cannot see: a PO line's vendor and fund exist, the code tables are there. */
function checkReferences(seed: Seed, path: string | undefined): void {
  const problems: string[] = [];
  for (const t of REQUIRED_CODE_TABLES) if (!seed.code_tables[t]) problems.push(`code table ${t} is missing`);
  const vendors = new Set(seed.vendors.map((v) => v.code));
  const funds = new Set(seed.funds.map((f) => f.code));
  for (const p of seed.po_lines) {
    if (!vendors.has(p.vendor)) problems.push(`PO line ${p.number}: unknown vendor ${p.vendor}`);
    if (!funds.has(p.fund_code)) problems.push(`PO line ${p.number}: unknown fund ${p.fund_code}`);
  }
  if (problems.length > 0) throw new UsageError(`the sandbox seed${path ? ` ${path}` : ''} is not a valid seed: ${problems.join('; ')}; ${SEED_FIX}`);
}

type JsonObject = { [key: string]: JsonValue };

/**
 * A seed invoice as the API bodies that create it, so seeded invoices pass the same
 * validations and processing as the ones a loader creates.
 */
export function seedInvoiceBodies(s: Seed['invoices'][number]): { invoice: JsonObject; lines: JsonObject[] } {
  const num = (v: string | undefined): JsonNumber => new JsonNumber(v ?? '0');
  const invoice: JsonObject = {
    number: s.number,
    vendor: { value: s.vendor },
    invoice_date: s.invoice_date,
    total_amount: num(s.total_amount),
    additional_charges: { shipment: num(s.shipment), overhead: num(s.overhead), insurance: num(s.insurance), discount: num(s.discount) },
  };
  if (s.vendor_account !== undefined) invoice['vendor_account'] = s.vendor_account;
  if (s.currency !== undefined) invoice['currency'] = { value: s.currency };
  if (s.payment_method !== undefined) invoice['payment_method'] = { value: s.payment_method };
  if (s.owner !== undefined) invoice['owner'] = { value: s.owner };
  if (s.reference_number !== undefined) invoice['reference_number'] = s.reference_number;
  const lines = s.lines.map((l) => {
    const line: JsonObject = {
      price: num(l.price),
      fund_distribution: l.funds.map((f) => {
        const fd: JsonObject = { fund_code: { value: f.code } };
        if (f.percent !== undefined) fd['percent'] = num(f.percent);
        if (f.amount !== undefined) fd['amount'] = num(f.amount);
        return fd;
      }),
    };
    if (l.number !== undefined) line['number'] = l.number;
    if (l.type !== undefined) line['type'] = { value: l.type };
    if (l.po_line !== undefined) line['po_line'] = l.po_line;
    if (l.quantity !== undefined) line['quantity'] = num(String(l.quantity));
    if (l.note !== undefined) line['note'] = l.note;
    if (l.subscription_from_date !== undefined) line['subscription_from_date'] = l.subscription_from_date;
    if (l.subscription_to_date !== undefined) line['subscription_to_date'] = l.subscription_to_date;
    return line;
  });
  return { invoice, lines };
}
