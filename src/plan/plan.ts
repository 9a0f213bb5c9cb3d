/**
 * Plan, then execute: the grouped, validated batch becomes a plan — which invoices go, which
 * are held back and why — before anything is sent. The dry run stops here; a load hands the
 * plan's valid invoices to the engine. Pure.
 */
import { createHash } from 'node:crypto';
import type { GroupedInvoice, Invoice, InvoiceKey, WrittenInvoice } from '../domain/model.js';
import { keyString } from '../domain/model.js';
import type { Problem } from '../domain/problem.js';
import type { Provenance } from '../input/record.js';
import { stringifyJson } from '../common/json.js';

export interface PlanEntry {
  key: InvoiceKey;
  rows: Provenance[];
  /** Errors and warnings of this invoice's rows, sorted by file and row. */
  problems: Problem[];
  /** Present when the invoice is valid and will be loaded. */
  invoice?: Invoice | undefined;
  /** When it is not: its lines, total and currency as the file gives them (for the report). */
  written?: WrittenInvoice | undefined;
}

export interface Plan {
  version: 1;
  /**
   * Identity of the batch's content (not of its file names or row order): a hash of the valid
   * invoices. The journal is keyed by it, so a renamed or reordered file resumes where it was.
   */
  batchId: string;
  entries: PlanEntry[];
  /** Problems not tied to one invoice: unreadable files, rows that cannot be grouped, unknown columns. */
  issues: Problem[];
  /**
   * The errors of `issues` that `--skip-invalid` may leave behind, the others being loaded: those
   * of rows with an invoice_number and no vendor, whose invoices are held back
   * (`InvoiceGrouper.skippable`). Every other error of `issues` stops the whole batch.
   */
  skippable?: Problem[] | undefined;
}

export function buildPlan(grouped: readonly GroupedInvoice[], issues: readonly Problem[], skippable: readonly Problem[] = []): Plan {
  const entries: PlanEntry[] = grouped.map((g) => ({ key: g.key, rows: g.rows, problems: g.problems, invoice: g.invoice, ...(g.written !== undefined ? { written: g.written } : {}) }));
  return { version: 1, batchId: batchId(entries), entries, issues: [...issues], ...(skippable.length > 0 ? { skippable: [...skippable] } : {}) };
}

/**
 * The file-level errors that stop the whole batch, with `--skip-invalid` too: every error of
 * `issues` but the `skippable` ones (README "What is checked before anything is sent").
 */
export function batchStoppers(plan: Pick<Plan, 'issues' | 'skippable'>): Problem[] {
  const skippable = new Set(plan.skippable ?? []);
  return plan.issues.filter((p) => p.severity === 'error' && !skippable.has(p));
}

export function batchId(entries: readonly PlanEntry[]): string {
  const hash = createHash('sha256');
  const valid = entries.filter((e) => e.invoice !== undefined).sort((a, b) => cmp(keyString(a.key), keyString(b.key)));
  for (const e of valid) {
    // Provenance is left out on purpose: the same invoices from a renamed file are the same batch.
    // So is row order: lines by number and each line's funds by content, so a reordered file
    // (rows sorted another way by a spreadsheet) is the same batch and resumes from its journal.
    const { rows: _rows, ...invoice } = e.invoice!;
    const lines = invoice.lines
      .map(({ rows: _r, ...l }) => {
        const funds = l.funds.map(({ source: _s, ...f }) => ({ f, text: stringifyJson(f) })).sort((a, b) => cmp(a.text, b.text));
        return { ...l, funds: funds.map((x) => x.f) };
      })
      .sort((a, b) => cmpNumber(a.number, b.number));
    hash.update(stringifyJson({ ...invoice, lines }));
    hash.update('\n');
  }
  return hash.digest('hex').slice(0, 24);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Line numbers as numbers where they are (2 before 10), else as text. */
const cmpNumber = (a: string, b: string): number => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) || cmp(a, b) : cmp(a, b));

export const validInvoices = (plan: Plan): Invoice[] =>
  plan.entries.flatMap((e) => (e.invoice !== undefined ? [e.invoice] : []));

export const hasErrors = (plan: Plan): boolean =>
  plan.issues.some((p) => p.severity === 'error') || plan.entries.some((e) => e.invoice === undefined);
