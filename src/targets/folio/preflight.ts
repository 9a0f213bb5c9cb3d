/**
 * `--dry-run --online` for FOLIO: read-only look-ups for the invoices that passed the offline
 * checks, through the load's own client, limiter and look-ups (refs.ts, the target's invoice
 * search), so what it finds is what the load would find and its request count is the load's:
 *
 * | code | checked with | why it matters |
 * |---|---|---|
 * | `vendor_not_found` | `GET /organizations/organizations?query=(code==… or …)` | the create needs the organization's id |
 * | `vendor_not_vendor`, `vendor_inactive` | the organization's `isVendor`, `status` | `organizationIsNotVendor`; approval of an inactive vendor's invoice (a warning with `--no-approve`) |
 * | `payment_method_missing` | the batch, else the organization's `paymentMethod` | FOLIO requires `paymentMethod` |
 * | `fund_not_found`, `fund_inactive` | `GET /finance/funds?query=(code==… or …)` | the line needs the fund's id; an inactive fund cannot be paid from |
 * | `po_line_not_found` | `GET /orders/order-lines?query=(poLineNumber==… or …)` | the line needs the PO line's id |
 * | `batch_group_not_found` | `GET /batch-groups?query=name==…` (FOLIO_BATCH_GROUP only) | the create needs its id |
 * | `invoice_exists` | the load's look-up (`vendorId` and `vendorInvoiceNo`) | a dry run answers "can these be created?" |
 *
 * Refused credentials end the preflight (AuthError, exit 5); any other failed look-up is left
 * unchecked and said so, never reported as "not found".
 */
import { keyString, type Invoice } from '../../domain/model.js';
import { problem, type Problem } from '../../domain/problem.js';
import type { PreflightReport } from '../../report/preflight.js';
import { ApiError, runStopOf } from '../../common/errors.js';
import type { FolioTarget } from './target.js';
import { adoptable, holdsOtherTotal, notOursText, otherTotalText } from '../matches.js';

export interface FolioPreflightOutcome {
  problems: Map<string, Problem[]>;
  report: PreflightReport;
}

/** The load's requests per invoice beyond look-ups: create, one per line, one per file, and when approving read + PUT + read. */
export const approveRequests = (approve: boolean): number => (approve ? 3 : 0);

export async function runFolioPreflight(invoices: readonly Invoice[], t: FolioTarget, opts: { rate: number; approve: boolean }): Promise<FolioPreflightOutcome> {
  const start = t.requestCount();
  const unchecked: PreflightReport['unchecked'] = [];
  const tryFetch = async <T>(what: string, f: () => Promise<T>): Promise<T | 'unknown'> => {
    try {
      return await f();
    } catch (err) {
      if (runStopOf(err) !== undefined || !(err instanceof ApiError)) throw err;
      unchecked.push({ what, reason: `the look-up failed (${err.code}: ${err.message})` });
      return 'unknown';
    }
  };
  const vendorCodes = [...new Set(invoices.map((i) => i.key.vendor))];
  const fundCodes = [...new Set(invoices.flatMap((i) => i.lines.flatMap((l) => l.funds.map((f) => f.fundCode))))];
  const poNumbers = [...new Set(invoices.flatMap((i) => i.lines.flatMap((l) => (l.poLine !== undefined ? [l.poLine] : []))))];

  // 1. Reference records, all at once, 40 codes to a request.
  await tryFetch('organizations, funds and PO lines', () => t.refs.prefetch({ organizations: vendorCodes, funds: fundCodes, poLines: poNumbers }));
  const orgs = new Map(await Promise.all(vendorCodes.map(async (c) => [c, await tryFetch(`organization ${c}`, () => t.refs.organization(c))] as const)));
  const funds = new Map(await Promise.all(fundCodes.map(async (c) => [c, await tryFetch(`fund ${c}`, () => t.refs.fund(c))] as const)));
  const pols = new Map(await Promise.all(poNumbers.map(async (n) => [n, await tryFetch(`PO line ${n}`, () => t.refs.poLine(n))] as const)));
  // Why a line is not found: acquisitions units may hide it (refs.ts poLinesMissing).
  const polMissing = new Map(await Promise.all(poNumbers.filter((n) => pols.get(n) === undefined).map(async (n) => [n, await t.refs.poLinesMissing([n])] as const)));
  let batchGroup: string | undefined;
  try {
    await t.refs.batchGroupId();
  } catch (err) {
    if (runStopOf(err) !== undefined) throw err;
    batchGroup = (err as Error).message;
  }

  // 2. The invoices themselves, with the load's own look-up (and so its request count).
  const keys = invoices.map((i) => i.key).filter((k) => orgs.get(k.vendor) !== undefined && orgs.get(k.vendor) !== 'unknown');
  const beforeLookups = t.requestCount();
  await tryFetch('existing invoices', () => t.prepareLookups(keys));
  const existing = new Map(await Promise.all(keys.map(async (k) => [keyString(k), await tryFetch(`invoice ${k.number}`, () => t.findInvoices(k, { fresh: false }))] as const)));
  const lookups = t.requestCount() - beforeLookups;

  // 3. Facts → problems, each at its row and column.
  const problems = new Map<string, Problem[]>();
  const passing: Invoice[] = [];
  for (const inv of invoices) {
    const out: Problem[] = [];
    const at = inv.rows[0] ?? { file: '', row: 0 };
    const org = orgs.get(inv.key.vendor);
    if (org === undefined) out.push(problem(at, 'vendor_not_found', `FOLIO has no organization with code "${inv.key.vendor}"`, { column: 'vendor' }));
    else if (org !== 'unknown') {
      if (!org.isVendor) out.push(problem(at, 'vendor_not_vendor', `organization "${org.code}" (${org.name}) is not a vendor in FOLIO (organizationIsNotVendor)`, { column: 'vendor' }));
      if (org.status !== 'Active') {
        // Only the approval is in doubt: nothing public says FOLIO refuses to create an inactive
        // vendor's invoice, so with --no-approve (nothing approved) it is a warning, as the load
        // sends it (docs/folio.md "Approval").
        const inactive = `organization "${org.code}" is ${org.status || 'not active'} in FOLIO`;
        out.push(
          opts.approve
            ? problem(at, 'vendor_inactive', `${inactive}; an invoice of it cannot be approved`, { column: 'vendor' })
            : problem(at, 'vendor_inactive', `${inactive}; a load with --no-approve creates the invoice, but it cannot be approved until the organization is active`, { column: 'vendor', severity: 'warning' }),
        );
      }
      if ((inv.header.paymentMethod ?? org.paymentMethod ?? '') === '') {
        out.push(problem(at, 'payment_method_missing', `no payment_method, and organization "${org.code}" has none in FOLIO; FOLIO requires one`, { column: 'payment_method' }));
      }
    }
    if (batchGroup !== undefined) out.push(problem(at, 'batch_group_not_found', batchGroup));
    for (const line of inv.lines) {
      const lineAt = line.rows[0] ?? at;
      if (line.poLine !== undefined && pols.get(line.poLine) === undefined) {
        out.push(problem(lineAt, 'po_line_not_found', polMissing.get(line.poLine) ?? `FOLIO has no purchase order line numbered "${line.poLine}"`, { column: 'po_line' }));
      }
      for (const f of line.funds) {
        const fund = funds.get(f.fundCode);
        if (fund === undefined) out.push(problem(f.source, 'fund_not_found', `FOLIO has no fund with code "${f.fundCode}"`, { column: 'fund_code' }));
        else if (fund !== 'unknown' && fund.fundStatus !== 'Active') {
          out.push(problem(f.source, 'fund_inactive', `fund "${f.fundCode}" is ${fund.fundStatus || 'not active'} in FOLIO; it cannot pay this invoice`, { column: 'fund_code' }));
        }
      }
    }
    const found = existing.get(keyString(inv.key));
    if (found !== undefined && found !== 'unknown' && found.length > 0) {
      // The match a load adopts (its own id), as the load picks it (targets/matches.ts); none: the load leaves them as they are.
      const r = adoptable(found)[0];
      if (r === undefined) out.push(problem(at, 'invoice_exists', notOursText(inv, found, 'FOLIO'), { column: 'invoice_number' }));
      // Its lock total compared by the load's own rule and said in the load's words (matches.ts
      // holdsOtherTotal): a blank one is unknown, not another, and one that is no number is
      // another — never an internal error of the dry run.
      else if (holdsOtherTotal(r, inv)) out.push(problem(at, 'invoice_exists', otherTotalText(inv, r, 'FOLIO'), { column: 'invoice_number' }));
      else {
        out.push(
          problem(at, 'invoice_exists', `FOLIO already holds invoice ${inv.key.number} from ${inv.key.vendor} (id ${r.id}, ${r.workflowStatus ?? 'status unknown'}); a load would skip it as already loaded`, {
            column: 'invoice_number',
          }),
        );
      }
    }
    problems.set(keyString(inv.key), out);
    if (!out.some((p) => p.severity === 'error')) passing.push(inv);
  }

  const lines = passing.reduce((n, i) => n + i.lines.length, 0);
  // One POST per file, as the load sends the invoice's documents (target.ts attachments).
  const attachments = passing.reduce((n, i) => n + (t.attachments?.files(i).length ?? 0), 0);
  const process = passing.length * approveRequests(opts.approve);
  const total = lookups + passing.length + lines + attachments + process;
  return {
    problems,
    report: {
      target: 'folio',
      requests: t.requestCount() - start,
      checked: { vendors: orgs.size, funds: funds.size, po_lines: pols.size, code_tables: 0, invoices: keys.length },
      unchecked,
      estimate: {
        invoices: passing.length,
        lines,
        requests: { lookups, create: passing.length, lines, attachments, process, polls: 0, total },
        // Approval is synchronous in FOLIO: nothing to wait for.
        requests_if_slow: total,
        rate: opts.rate,
        seconds: Math.round((total / opts.rate) * 10) / 10,
      },
    },
  };
}
