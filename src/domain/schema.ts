/**
 * zod 4 schemas: the typed flat row (strings of a `SourceRecord` → typed values) and the
 * canonical invoice of `model.ts`, covering every input field of Alma's `rest_invoice` and
 * `rest_invoice_line` data dictionaries that the canonical layout carries (XSD-INV, XSD-LINE in
 * docs/alma.md#sources). Output-only fields (id, status, alerts, total_price …) and the
 * `op=paid` fields (voucher_*, explicit_ratio) are not input of a load and are left out.
 *
 * Every schema is built once, at module load. Cell schemas wrap the codecs of `cells.ts`, so the
 * grouper (which calls the codecs directly, for speed) and these schemas accept exactly the same
 * text. `problemsFromIssues` is the one place that turns zod issues into our problem codes.
 */
import { Decimal } from 'decimal.js';
import * as z from 'zod';
import type { Provenance, SourceRecord } from '../input/record.js';
import { CANONICAL_COLUMNS, type CanonicalColumn } from './columns.js';
import { CellError, CODECS, COLUMN_KIND, cellText, type CellKind, type KindValue } from './cells.js';

export type { KindValue } from './cells.js';
import type {
  AdditionalCharges,
  FundDistribution,
  Invoice,
  InvoiceHeader,
  InvoiceKey,
  InvoiceLine,
  InvoiceVat,
  LineVat,
  Payment,
} from './model.js';
import { Money } from './money.js';
import { problem, type Problem } from './problem.js';

/** A typed flat row: each canonical column that had a non-blank, valid cell. */
export type TypedRow = { [C in CanonicalColumn]?: KindValue[(typeof COLUMN_KIND)[C]] | undefined };

/** Our code when a codec fails travels in the issue's `params.code`. */
interface CodeParams {
  code: string;
}

function cellSchema(column: CanonicalColumn, kind: CellKind) {
  const codec = CODECS[kind];
  const decimal = kind === 'money' || kind === 'percent';
  return z
    .string()
    .optional()
    .transform((raw, ctx): KindValue[CellKind] | undefined => {
      const t = cellText(raw);
      if (t === undefined) return undefined;
      const v = codec(t, column);
      if (v instanceof CellError) {
        ctx.issues.push({ code: 'custom', message: v.message, input: raw, params: { code: v.code } satisfies CodeParams });
        return z.NEVER;
      }
      return decimal ? new Money(v as string) : v;
    });
}

/** The flat row schema. Unknown keys are dropped here; the grouper reports them once per file. */
export const RowSchema = z.object(
  Object.fromEntries(CANONICAL_COLUMNS.map((c) => [c, cellSchema(c, COLUMN_KIND[c])])) as Record<
    CanonicalColumn,
    ReturnType<typeof cellSchema>
  >,
) as unknown as z.ZodType<TypedRow, Record<string, string | undefined>>;

/** zod's own issue codes (a cell that is not a string, e.g. from a hand-built record) → ours. */
const ZOD_CODES: Readonly<Record<string, string>> = {
  invalid_type: 'invalid_type',
  invalid_format: 'invalid_format',
  invalid_value: 'invalid_value',
  too_big: 'out_of_range',
  too_small: 'out_of_range',
};

/** The one mapping from zod issues to problems: our code from `params.code`, else zod's, renamed. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], at: Provenance): Problem[] {
  return issues.map((issue) => {
    const column = issue.path.length > 0 ? String(issue.path[0]) : undefined;
    const params = (issue as { params?: Partial<CodeParams> }).params;
    const code = params?.code ?? ZOD_CODES[issue.code] ?? 'invalid_value';
    const message = params?.code !== undefined || column === undefined ? issue.message : `${column}: ${issue.message}`;
    return problem(at, code, message, { column });
  });
}

/**
 * Parses one record into typed values with the zod row schema. For whole batches prefer
 * `InvoiceGrouper`, which parses and merges in one pass without building this object.
 */
export function parseRow(record: SourceRecord): { row: TypedRow; problems: Problem[] } {
  const r = RowSchema.safeParse(record.fields);
  return r.success ? { row: r.data, problems: [] } : { row: {}, problems: problemsFromIssues(r.error.issues, record.source) };
}

// ---------------------------------------------------------------------------------------------
// The canonical invoice (model.ts). Each schema is checked against its interface by its type.

const isKind = (kind: CellKind) => (s: string) => !(CODECS[kind](s, kind) instanceof CellError);
const nonBlank = z.string().trim().min(1);
const optText = z.string().optional();
const isoDate = z.string().refine(isKind('date'), { message: 'expected a real date YYYY-MM-DD', params: { code: 'invalid_date' } });
const decimal = z.instanceof(Decimal);
const percent = decimal.refine((d) => d.gte(0) && d.lte(100), { message: 'expected 0 to 100', params: { code: 'percent_out_of_range' } });
const currencyCode = z.string().refine(isKind('currency'), { message: 'expected an ISO 4217 code', params: { code: 'invalid_currency' } });

export const ProvenanceSchema: z.ZodType<Provenance> = z.object({ file: z.string(), row: z.number().int().positive() });

/** `fund_distribution`: fund_code, percent or amount ("should be supplied, but not both"). */
export const FundDistributionSchema: z.ZodType<FundDistribution> = z.object({
  fundCode: nonBlank,
  percent: percent.optional(),
  amount: decimal.optional(),
  source: ProvenanceSchema,
});

/** `invoice_line_vat` (vat_code, percentage, vat_amount) plus the line's `vat_note`. */
export const LineVatSchema: z.ZodType<LineVat> = z.object({
  code: optText,
  percentage: percent.optional(),
  amount: decimal.optional(),
  note: optText,
});

/** `invoice_line`: type, number, po_line, price, price_note, quantity, note, subscription fields,
 *  fully_invoiced, release_remaining_encumbrance, check_subscription_date_overlap, reporting codes,
 *  invoice_line_vat, fund_distribution. */
export const InvoiceLineSchema: z.ZodType<InvoiceLine> = z.object({
  number: nonBlank,
  type: optText,
  poLine: optText,
  price: decimal.optional(),
  quantity: z.number().int().positive().optional(),
  priceNote: optText,
  note: optText,
  funds: z.array(FundDistributionSchema),
  subscriptionFromDate: isoDate.optional(),
  subscriptionToDate: isoDate.optional(),
  additionalInfo: optText,
  fullyInvoiced: z.boolean().optional(),
  releaseRemainingEncumbrance: z.boolean().optional(),
  checkSubscriptionDateOverlap: z.boolean().optional(),
  reportingCode: optText,
  secondaryReportingCode: optText,
  tertiaryReportingCode: optText,
  vat: LineVatSchema,
  rows: z.array(ProvenanceSchema).min(1),
});

/** `invoice_vat`: type, percentage, vat_amount, vat_code, vat_per_invoice_line, expended_from_fund, report_tax. */
export const InvoiceVatSchema: z.ZodType<InvoiceVat> = z.object({
  type: z.enum(['INCLUSIVE', 'EXCLUSIVE', 'LINEEXCLUSIVE']).optional(),
  percentage: percent.optional(),
  amount: decimal.optional(),
  code: optText,
  perInvoiceLine: z.boolean().optional(),
  expendedFromFund: z.boolean().optional(),
  reportTax: z.boolean().optional(),
});

/** `additional_charges`: use_pro_rata, shipment, overhead, insurance, discount. */
export const AdditionalChargesSchema: z.ZodType<AdditionalCharges> = z.object({
  useProRata: z.boolean().optional(),
  shipment: decimal.optional(),
  overhead: decimal.optional(),
  insurance: decimal.optional(),
  discount: decimal.optional(),
});

/** `payment`: prepaid, internal_copy, export_to_erp (payment_status and voucher_* are for op=paid). */
export const PaymentSchema: z.ZodType<Payment> = z.object({
  prepaid: z.boolean().optional(),
  internalCopy: z.boolean().optional(),
  exportToErp: z.boolean().optional(),
});

/** `invoice` header: number, invoice_date, vendor, total_amount (mandatory), and the rest. */
export const InvoiceHeaderSchema: z.ZodType<InvoiceHeader> = z.object({
  number: nonBlank,
  date: isoDate,
  vendor: nonBlank,
  vendorAccount: optText,
  totalAmount: decimal,
  currency: currencyCode.optional(),
  dueDate: isoDate.optional(),
  paymentMethod: optText,
  referenceNumber: optText,
  owner: optText,
  vat: InvoiceVatSchema,
  charges: AdditionalChargesSchema,
  payment: PaymentSchema,
  note: optText,
});

export const InvoiceKeySchema: z.ZodType<InvoiceKey> = z.object({ vendor: nonBlank, number: nonBlank });

export const InvoiceSchema: z.ZodType<Invoice> = z.object({
  key: InvoiceKeySchema,
  header: InvoiceHeaderSchema,
  lines: z.array(InvoiceLineSchema).min(1),
  rows: z.array(ProvenanceSchema).min(1),
});
