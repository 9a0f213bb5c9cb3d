/**
 * `--dry-run --online --sandbox` through the built CLI: read-only look-ups against the
 * embedded sandbox (fixtures/sandbox-seed.json: invoice G-23987 of GOBI already exists, fund
 * GIFT-OLD is inactive, JSTOR is not a material supplier), each finding with its row, column
 * and code; and the cost estimate of a clean batch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { sampleSubset } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh state dir: the in-process sandbox keeps its state there, starting from the seed. */
function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invoice-load-preflight-'));
  dirs.push(dir);
  return dir;
}

const HEADER = 'invoice_number,invoice_date,vendor,vendor_account,currency,payment_method,total_amount,line_number,line_type,po_line,price,quantity,fund_code,fund_percent';
const BAD_BATCH = [
  HEADER,
  // row 2: already in the sandbox seed (G-23987, total 57.50)
  'G-23987,2025-01-14,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,45.00,1,REGULAR,POL-1001,45.00,1,GENMON,100',
  // row 3: a PO line the sandbox does not have
  'G-30001,2025-03-20,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,10.00,1,REGULAR,POL-9999,10.00,1,GENMON,100',
  // row 4: a wrong fund code
  'G-30002,2025-03-20,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,5.00,1,OTHER,,5.00,1,GENMOM,100',
  // row 5: an inactive fund
  'G-30003,2025-03-20,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,5.00,1,OTHER,,5.00,1,GIFT-OLD,100',
  // row 6: a vendor that is not a material supplier, and a line type Alma does not have
  'J-1,2025-03-20,JSTOR,JSTOR,USD,ACCOUNTINGDEPARTMENT,5.00,1,FREIGHT,,5.00,1,SERIALS,100',
  // row 7: fine
  'G-30004,2025-03-20,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,18.00,1,REGULAR,POL-1005,18.00,1,GENMON,100',
].join('\n');

describe('invoice-load --dry-run --online --sandbox', () => {
  it('reports a wrong fund, an unknown PO line and an invoice already in Alma with row, column and code; exit 3', async () => {
    const dir = fresh();
    const batch = join(dir, 'batch.csv');
    writeFileSync(batch, BAD_BATCH + '\n');
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state') };

    const human = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', batch], { env });
    expect(human.code).toBe(3);
    // Held with another total: the load's own words for it.
    expect(human.stdout).toMatch(/row 2 invoice_number: error Alma already holds invoice G-23987 of vendor GOBI \(id \d+.*\) with total .*; a load leaves Alma's invoice unchanged and does not send this one .*\[invoice_exists\]/);
    expect(human.stdout).toMatch(/row 3 po_line: error line "1": PO line "POL-9999" does not exist in Alma \[po_line_not_found\]/);
    expect(human.stdout).toMatch(/row 4 fund_code: error fund "GENMOM" does not exist in Alma \[fund_not_found\]/);
    expect(human.stdout).toMatch(/row 5 fund_code: error fund "GIFT-OLD" is inactive .*\[fund_inactive\]/);
    expect(human.stdout).toMatch(/row 6 vendor: error vendor "JSTOR" is not a material supplier .*\[vendor_not_material_supplier\]/);
    expect(human.stdout).toMatch(/row 6 line_type: error line_type "FREIGHT" is not in Alma's InvoiceLinesTypes code table.*\[code_not_in_table\]/);
    expect(human.stdout).toMatch(/planned\s+GOBI\s+G-30004/);
    expect(human.stdout).toMatch(/6 invoices, 6 lines: 1 planned, 5 invalid \(6 errors, 0 warnings\)\. Dry run: nothing was written \(\d+ read-only requests to the Alma sandbox\)\./);

    const json = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', '--json', batch], { env });
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout) as ReportDocument;
    const issues = report.invoices.flatMap((i) => i.issues.map((p) => `${p.code}@${p.row}:${p.column}`));
    expect(issues).toEqual(
      expect.arrayContaining(['invoice_exists@2:invoice_number', 'po_line_not_found@3:po_line', 'fund_not_found@4:fund_code', 'fund_inactive@5:fund_code']),
    );
    expect(report.summary).toMatchObject({ invalid: 5, planned: 1 });
    expect(report.summary.requests).toBe(report.preflight!.requests);
    expect(report.preflight!.checked).toMatchObject({ vendors: 2, funds: 4, po_lines: 3 });
    // the estimate covers only the invoice that passed: G-30004, one line
    expect(report.preflight!.estimate).toMatchObject({ invoices: 1, lines: 1 });
  });

  it('the sample batch passes every online check: exit 0, with the cost of loading it', async () => {
    const dir = fresh();
    const res = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', 'fixtures/sample-batch.csv'], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/7 invoices, 14 lines: 7 planned\. Dry run: nothing was written/);
    expect(res.stdout).toMatch(/Online checks against Alma: 4 vendors, 7 funds, 13 PO lines, 3 code tables, 7 invoices looked up; \d+ read-only requests\./);
    // the README's sample load: 4 look-ups + 7 create + 14 lines + 7 process + 7 reads = 39 requests
    expect(res.stdout).toMatch(
      /Estimated load of the 7 invoices that passed: 39 requests \(4 look-ups \+ 7 create \+ 14 lines \+ 7 process \+ 7 status reads; up to \d+ if Alma is slow to process\), at least 0\.4 s at 100 requests\/s; [\d.]+ % of the [\d,]+ API requests left today\./,
    );
    expect(res.stderr).toMatch(/checking 7 invoices \(read-only\) against the embedded sandbox/);

    // the JSON report carries the same estimate as an additive `preflight` object
    const json = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', '--json', 'fixtures/sample-batch.csv'], { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
    const report = JSON.parse(json.stdout) as ReportDocument;
    expect(report.preflight!.estimate.requests).toEqual({ lookups: 4, create: 7, lines: 14, process: 7, polls: 7, total: 39 });
    expect(report.preflight!.estimate.api_remaining).toBeGreaterThan(0);
    expect(report.summary.planned).toBe(7);
  });

  it('after a load, the same batch is found in Alma: every invoice exists', async () => {
    const dir = fresh();
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const batch = sampleSubset(dir, ['HARRAS', 'BLACKWELL']);
    const before = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', batch], { env });
    expect(before.code).toBe(0);
    const load = await runCli(['--sandbox', '--rate', '100', '--poll-timeout', '5', batch], { env });
    expect(load.code).toBe(0);
    const again = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', '--json', batch], { env });
    expect(again.code).toBe(3);
    const report = JSON.parse(again.stdout) as ReportDocument;
    expect(report.invoices).toHaveLength(3);
    for (const inv of report.invoices) {
      expect(inv.status).toBe('invalid');
      // Money at the currency's minor units, as the file writes it (Alma's JSON says 884.4, 147.8).
      expect(inv.issues).toContainEqual(expect.objectContaining({ code: 'invoice_exists', column: 'invoice_number', message: expect.stringMatching(new RegExp(`same total ${inv.total!.replace('.', '\\.')}; .*skip it`)) }));
    }
    // Held back by the online checks, each still shows its lines and total.
    expect(report.invoices.map((i) => [i.number, i.lines.length, i.total, i.currency])).toEqual([
      ['HA-2025-00412', 2, '884.40', 'EUR'],
      ['HA-2025-00430', 2, '147.80', 'USD'],
      ['BW/77120', 2, '178.24', 'GBP'],
    ]);
    expect(report.summary.lines).toBe(6);
  });
});

describe('a PO-linked line without quantity: Alma takes the PO line\'s (quantity "Default is the PO line quantity", docs/alma.md)', () => {
  // POL-1004 in the sandbox seed: price 22.50, quantity 2. Alma would make the line 45.00.
  const FILE = [
    'invoice_number,invoice_date,vendor,currency,payment_method,total_amount,line_number,line_type,po_line,price,fund_code,fund_amount',
    'QTY-1,2025-03-03,GOBI,USD,ACCOUNTINGDEPARTMENT,22.50,1,REGULAR,POL-1004,22.50,HIST,22.50',
  ].join('\n');

  it('the dry run warns that the totals counted 1; --online and the load refuse it with row and column before the first write: exit 3', async () => {
    const dir = fresh();
    const batch = join(dir, 'qty.csv');
    writeFileSync(batch, FILE + '\n');
    const env = { INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const codes = (doc: ReportDocument) => doc.invoices.flatMap((i) => i.issues.map((p) => `${p.code}@${p.file.split('/').pop()}:${p.row}:${p.column}:${p.severity}`));

    const offline = await runCli(['--dry-run', '--json', batch], { env });
    expect(offline.code).toBe(0);
    expect(codes(JSON.parse(offline.stdout) as ReportDocument)).toEqual(['quantity_from_po_line@qty.csv:2:quantity:warning']);

    const online = await runCli(['--dry-run', '--online', '--sandbox', '--rate', '100', '--json', batch], { env });
    expect(online.code).toBe(3);
    expect(codes(JSON.parse(online.stdout) as ReportDocument)).toEqual([
      'quantity_from_po_line@qty.csv:2:quantity:warning',
      'po_line_quantity@qty.csv:2:quantity:error',
      'po_line_quantity@qty.csv:2:quantity:error',
    ]);

    const load = await runCli(['--sandbox', '--rate', '100', '--json', batch], { env });
    expect(load.code).toBe(3);
    const report = JSON.parse(load.stdout) as ReportDocument;
    expect(report.invoices.map((i) => [i.status, i.id ?? null])).toEqual([['invalid', null]]);
    const said = report.invoices[0]!.issues.filter((p) => p.code === 'po_line_quantity').map((p) => p.message);
    expect(said).toEqual([expect.stringMatching(/PO line "POL-1004"'s, 2: its total is 45\.00, and its fund amounts add up to 22\.50/), expect.stringMatching(/PO line "POL-1004"'s, 2: .* not total_amount 22\.50/)]);
  });
});

describe('--online usage errors: exit 2', () => {
  it.each([
    [['--online', '--sandbox', 'fixtures/sample-batch.csv'], /--online .* use it with --dry-run/],
    [['--dry-run', '--online', 'fixtures/sample-batch.csv'], /--online needs somewhere to look/],
  ])('%j', async (args, message) => {
    const res = await runCli(args, { env: { INVOICE_LOAD_STATE_DIR: join(fresh(), 'state') } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it('a refused key ends the online checks with exit 5', async () => {
    // a sandbox that accepts one key only, reached through ALMA_API_URL
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const sandbox = await startSandbox({ port: 0, latencyMs: 0, apiKeys: ['right'] });
    try {
      const res = await runCli(['--dry-run', '--online', 'fixtures/valid-small.csv'], {
        env: { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'wrong', INVOICE_LOAD_STATE_DIR: join(fresh(), 'state') },
      });
      expect(res.code).toBe(5);
      expect(res.stderr).toMatch(/API key was refused/);
      expect(res.stderr).not.toContain('wrong');
    } finally {
      await sandbox.close();
    }
  });

  it('a spent daily threshold ends the online checks with exit 4 and when to run them again', async () => {
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const sandbox = await startSandbox({ port: 0, latencyMs: 0, daily: 2 });
    try {
      const res = await runCli(['--dry-run', '--online', 'fixtures/sample-batch.csv'], {
        env: { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'any', INVOICE_LOAD_STATE_DIR: join(fresh(), 'state') },
      });
      expect(res.code, res.stderr).toBe(4);
      expect(res.stderr).toMatch(/daily API threshold is used up; run the online checks again after midnight/);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await sandbox.close();
    }
  });
});
