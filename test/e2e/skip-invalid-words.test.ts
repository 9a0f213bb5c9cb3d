/**
 * The line a load refused by the file's own problems ends with (exit 3, nothing sent): it
 * suggests --skip-invalid only when that would load something, and says how many; with
 * --skip-invalid and no valid invoice it still says why nothing was sent (a cron log has only
 * this line and the exit code).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(async () => w?.close());

const HEADER = 'vendor,invoice_number,invoice_date,currency,total_amount,line_number,price,quantity,fund_code';
/** Totals off by 1.00: each invoice is invalid (total_mismatch), and no row is the file's. */
const BAD = ['GOBI,G-1,2025-03-01,USD,51.00,1,50.00,1,HIST', 'EBSCO,E-3,2025-03-01,USD,31.00,1,30.00,1,HIST'];
const GOOD = ['EBSCO,E-4,2025-03-01,USD,30.00,1,30.00,1,HIST', 'EBSCO,E-5,2025-03-01,USD,20.00,1,20.00,1,HIST'];

const load = (args: string[]) => runCli(['--rate', '200', ...args], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir } });
const file = (name: string, rows: string[]): string => {
  const path = join(w.dir, name);
  writeFileSync(path, [HEADER, ...rows].join('\n') + '\n');
  return path;
};
/** The stderr lines that start with "Nothing was sent" (terminal width unknown: not wrapped). */
const nothingSent = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('Nothing was sent'));

describe('nothing was sent: what the last line says', () => {
  it('some invoices valid: --skip-invalid is suggested with how many it would load', async () => {
    const res = await load([file('some.csv', [...BAD, ...GOOD])]);
    expect(res.code, res.stderr).toBe(3);
    expect(nothingSent(res.stderr)).toEqual(['Nothing was sent: fix the problems above, or pass --skip-invalid to load the 2 valid invoices only.']);
    const one = await load([file('one.csv', [...BAD, GOOD[0]!])]);
    expect(nothingSent(one.stderr)).toEqual(['Nothing was sent: fix the problems above, or pass --skip-invalid to load the one valid invoice only.']);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('no invoice valid: --skip-invalid, which would load none, is not suggested', async () => {
    const res = await load([file('none.csv', BAD)]);
    expect(res.code, res.stderr).toBe(3);
    expect(nothingSent(res.stderr)).toEqual(['Nothing was sent: no invoice in the file is valid; fix the problems above.']);
    expect(res.stderr).not.toContain('--skip-invalid');
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('--skip-invalid with no invoice valid: exit 3 and a line saying why, not silence', async () => {
    const res = await load(['--skip-invalid', file('none-skip.csv', BAD)]);
    expect(res.code, res.stderr).toBe(3);
    expect(nothingSent(res.stderr)).toEqual(['Nothing was sent: no invoice in the file is valid; fix the problems above.']);
    // With --json the problems are in the document, not above.
    const json = await load(['--json', '--skip-invalid', join(w.dir, 'none-skip.csv')]);
    expect(json.code, json.stderr).toBe(3);
    expect(nothingSent(json.stderr)).toEqual(["Nothing was sent: no invoice in the file is valid; fix the problems listed in the report (its issues and each invoice's issues)."]);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('a batch with no invoice and no error (a header only) is not refused: exit 0, no such line', async () => {
    const res = await load(['--skip-invalid', file('empty.csv', [])]);
    expect(res.code, res.stderr).toBe(0);
    expect(nothingSent(res.stderr)).toEqual([]);
  });
});

describe('a row with an invoice number and no vendor', () => {
  it('is said once on the terminal, by its row_without_vendor; --json keeps its missing_value too', async () => {
    const path = file('orphan.csv', ['GOBI,G-1,2025-03-01,USD,50.00,1,50.00,1,HIST', ',G-1,2025-03-01,USD,50.00,2,0.00,1,HIST', ...GOOD]);
    const res = await load(['--dry-run', path]);
    expect(res.code, res.stderr).toBe(3);
    const row3 = res.stdout.split('\n').filter((l) => l.startsWith('  row 3'));
    expect(row3).toHaveLength(1);
    expect(row3[0]).toMatch(/^ {2}row 3 vendor: error invoice number "G-1" with no vendor: .* of vendor "GOBI" \(row 2\), .*fill in the row's vendor.* \[row_without_vendor\]$/);
    expect(res.stdout).not.toContain('fill in GOBI?');
    expect(res.stdout).toContain('(1 error, 0 warnings)');
    const json = await load(['--dry-run', '--json', path]);
    const doc = JSON.parse(json.stdout) as { issues: { row: number; code: string; message: string }[]; invoices: { issues: { row: number; code: string }[] }[] };
    expect(doc.issues.map((p) => [p.row, p.code])).toEqual([[3, 'missing_value']]);
    expect(doc.issues[0]!.message).toContain('fill in GOBI?');
    expect(doc.invoices.flatMap((i) => i.issues).map((p) => [p.row, p.code])).toEqual([[3, 'row_without_vendor']]);
  });
});
