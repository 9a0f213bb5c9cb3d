/** Test helpers: start sandboxes that are closed after each test, and call them over real HTTP. */
import { afterEach } from 'vitest';
import { request } from 'undici';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

const open: SandboxHandle[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A sandbox on port 0. Thresholds are lifted unless the test sets them (tests fire requests fast). */
export async function start(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const s = await startSandbox({ perSecond: 100_000, processDelayMs: 0, ...opts });
  open.push(s);
  return s;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** JSON.parse of the body (ids are strings, so nothing is lost for the tests' purposes). */
  // `any`: the tests read many differently shaped answers.
  json: any;
}

export interface CallOptions {
  body?: unknown;
  key?: string | null;
  /** Give up on the answer after this long (an AbortSignal: undici's own timers are coarse). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Calls `path` (under /almaws/v1 unless it starts with /_sandbox) with JSON headers and a key. */
export async function call(s: { url: string }, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const full = path.startsWith('/_sandbox') ? `${s.url}${path}` : `${s.url}/almaws/v1${path}`;
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  if (o.key !== null) headers['authorization'] = `apikey ${o.key ?? 'test-key'}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  }
  const res = await request(full, {
    method: method as 'GET',
    headers,
    body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** A valid invoice body for the default seed (vendor GOBI, USD). */
export function invoiceBody(number: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    number,
    vendor: { value: 'GOBI' },
    vendor_account: 'GOBI',
    invoice_date: '2025-03-03Z',
    total_amount: 45,
    currency: { value: 'USD' },
    payment_method: { value: 'ACCOUNTINGDEPARTMENT' },
    invoice_vat: { vat_per_invoice_line: false, type: { value: 'INCLUSIVE' }, expended_from_fund: false, percentage: 0, vat_amount: 0 },
    ...extra,
  };
}

/** A line linked to POL-1001 (45.00, fund GENMON), matching `invoiceBody`'s total. */
export function lineBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: { value: 'REGULAR' },
    number: '1',
    po_line: 'POL-1001',
    price: 45,
    quantity: 1,
    fund_distribution: [{ fund_code: { value: 'GENMON' }, percent: 100 }],
    ...extra,
  };
}

/** Creates an invoice and returns its id (fails the test on anything but 200). */
export async function createInvoice(s: { url: string }, number: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(s, 'POST', '/acq/invoices', { body: invoiceBody(number, extra) });
  if (r.status !== 200) throw new Error(`create ${number}: ${r.status} ${r.text}`);
  return r.json.id as string;
}

export const errorCode = (a: Answer): string | undefined => a.json?.errorList?.error?.[0]?.errorCode;

/** A manual clock for thresholds and processing delays. */
export function manualClock(start = Date.UTC(2025, 2, 3, 10, 0, 0)): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}
