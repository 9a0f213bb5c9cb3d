/**
 * The `preflight` object of the report document (additive: present only for
 * `--dry-run --online`) and its human rendering. Pure; built by src/targets/alma/preflight.ts.
 */
import type { Style } from './human.js';

export interface PreflightEstimate {
  /** Invoices that passed every check, offline and online: what a load would send. */
  invoices: number;
  lines: number;
  requests: {
    /** Invoice look-ups before create, as measured by the preflight with the load's own strategy. */
    lookups: number;
    create: number;
    lines: number;
    process: number;
    /** Expected reads of the invoice after `op=process_invoice` (one each; see `requests_if_slow`). */
    polls: number;
    /** Files sent with the invoices (FOLIO's documents: one POST each); absent where the estimate does not count them. */
    attachments?: number | undefined;
    total: number;
  };
  /** The total if Alma took the whole `--poll-timeout` to process every invoice. */
  requests_if_slow: number;
  /** `--rate`, requests per second. */
  rate: number;
  /** `requests.total / rate`: the least time the load can take. */
  seconds: number;
  /** The smallest `X-Exl-Api-Remaining` among the preflight's answers; absent when none carried it. */
  api_remaining?: number | undefined;
  /** `requests.total / api_remaining` (0..1, may exceed 1); absent without `api_remaining`. */
  share_of_remaining?: number | undefined;
}

export interface PreflightReport {
  target: string;
  /** Read-only requests the preflight itself sent (retries included). */
  requests: number;
  /** Distinct things looked up (each fetched once per run). */
  checked: { vendors: number; funds: number; po_lines: number; code_tables: number; invoices: number };
  /** What could not be checked, and why (a code table the institution does not have, a failed look-up). */
  unchecked: { what: string; reason: string }[];
  estimate: PreflightEstimate;
}

/**
 * The estimate without invoices held back after it was made (a load's own look-ups found them in
 * the target with another total, engine/existing.ts): each takes its create, lines, files, process
 * and status reads with it, and its share of the slow-processing reads. Pure.
 */
export function estimateWithout(e: PreflightEstimate, removed: { invoices: number; lines: number; attachments?: number | undefined }): PreflightEstimate {
  if (removed.invoices === 0 || e.invoices === 0) return e;
  const n = Math.min(removed.invoices, e.invoices);
  const r = e.requests;
  // Process and status reads are the same for every invoice, but not one each for every target
  // (FOLIO: read + PUT + read when approving, none with --no-approve, and no status reads).
  const each = (count: number): number => Math.round((count / e.invoices) * n);
  const requests = { ...r, create: r.create - n, lines: r.lines - removed.lines, process: r.process - each(r.process), polls: r.polls - each(r.polls) };
  if (r.attachments !== undefined) requests.attachments = r.attachments - (removed.attachments ?? 0);
  requests.total = requests.lookups + requests.create + requests.lines + (requests.attachments ?? 0) + requests.process + requests.polls;
  // The reads beyond one an invoice if Alma took the whole --poll-timeout, the same for each.
  const slowExtra = Math.round(((e.requests_if_slow - r.total) / e.invoices) * (e.invoices - n));
  const out: PreflightEstimate = { ...e, invoices: e.invoices - n, lines: e.lines - removed.lines, requests, requests_if_slow: requests.total + slowExtra, seconds: requests.total / e.rate };
  if (e.api_remaining !== undefined) out.share_of_remaining = requests.total / Math.max(e.api_remaining, 1);
  return out;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "0.0042 %" — enough digits to be non-zero for a small batch against a large daily budget. */
export function formatShare(share: number): string {
  const pct = share * 100;
  if (pct === 0) return '0 %';
  if (pct >= 1) return `${Math.round(pct * 10) / 10} %`;
  return `${Number(pct.toPrecision(2))} %`;
}

/**
 * `label`: the target's name for people (`Alma`). `brief`: a load's own checks, not a dry run's:
 * what was looked up, in a librarian's words, and what could not be; the code tables and the
 * request estimate are for --verbose.
 */
export function renderPreflight(p: PreflightReport, style: Style, opts: { label?: string | undefined; brief?: boolean | undefined } = {}): string[] {
  const c = p.checked;
  const e = p.estimate;
  const r = e.requests;
  const out: string[] = [];
  const label = opts.label ?? p.target;
  if (opts.brief === true) {
    out.push(`Looked up in ${label}: ${plural(c.vendors, 'vendor')}, ${plural(c.funds, 'fund')}, ${plural(c.po_lines, 'PO line')}, ${plural(c.invoices, 'invoice')}.`);
    for (const u of p.unchecked) out.push(`  ${style.yellow('not checked')} ${u.what}: ${u.reason}`);
    return out;
  }
  out.push(
    style.bold(`Online checks against ${label}`) +
      `: ${plural(c.vendors, 'vendor')}, ${plural(c.funds, 'fund')}, ${plural(c.po_lines, 'PO line')}, ` +
      `${plural(c.code_tables, 'code table')}, ${plural(c.invoices, 'invoice')} looked up; ${plural(p.requests, 'read-only request')}.`,
  );
  for (const u of p.unchecked) out.push(`  ${style.yellow('not checked')} ${u.what}: ${u.reason}`);
  if (e.invoices === 0) {
    out.push('Estimated load: nothing to send (no invoice passed every check).');
    return out;
  }
  out.push(
    `Estimated load of the ${plural(e.invoices, 'invoice')} that passed: ${plural(r.total, 'request')} ` +
      `(${r.lookups} look-up${r.lookups === 1 ? '' : 's'} + ${r.create} create + ${r.lines} line${r.lines === 1 ? '' : 's'} + ` +
      (r.attachments !== undefined && r.attachments > 0 ? `${plural(r.attachments, 'file')} + ` : '') +
      `${r.process} process + ${r.polls} status read${r.polls === 1 ? '' : 's'}; up to ${e.requests_if_slow} if Alma is slow to process), ` +
      `at least ${formatSeconds(e.seconds)} at ${e.rate} requests/s` +
      (e.api_remaining !== undefined && e.share_of_remaining !== undefined
        ? `; ${formatShare(e.share_of_remaining)} of the ${e.api_remaining.toLocaleString('en-US')} API requests left today.`
        : '; the API did not say how many requests are left today.'),
  );
  return out;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(0.1, Math.round(s * 10) / 10)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
