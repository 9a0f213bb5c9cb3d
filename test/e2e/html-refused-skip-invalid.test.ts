/**
 * The HTML report's red "the file was refused" banner (report/html.ts refusedBanner) shows only
 * when the file's error really stops the batch: a row with an invoice number and no vendor is
 * left behind by --skip-invalid, which loads the valid invoices (README "What is checked before
 * anything is sent"), and a dry run's page must not say that load would be refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(async () => w?.close());

const HEADER = 'vendor,invoice_number,invoice_date,currency,total_amount,line_number,price,quantity,fund_code';
const SEVEN = Array.from({ length: 7 }, (_, i) => `EBSCO,NV-${i + 1},2025-03-01,USD,${10 + i}.00,1,${10 + i}.00,1,HIST`);

const load = (args: string[]) => runCli(['--rate', '200', ...args], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir } });
const page = (name: string): string => readFileSync(join(w.dir, name), 'utf8');

describe('a valid 7-invoice file and one row with no vendor, in an HTML report', () => {
  it('--dry-run --skip-invalid: no "would be refused" banner; the load with --skip-invalid sends all 7 and has none either; without it, refused', async () => {
    const path = join(w.dir, 'nv.csv');
    writeFileSync(path, [HEADER, ...SEVEN, ',NV-99,2025-03-01,USD,5.00,1,5.00,1,HIST'].join('\n') + '\n');
    const dry = await load(['--dry-run', '--skip-invalid', path, '--report-html', join(w.dir, 'd.html')]);
    expect(dry.stderr).not.toContain('Nothing was sent');
    expect(page('d.html')).not.toContain('id="refused"');
    expect(page('d.html')).not.toContain('would be refused');

    const refused = await load([path, '--report-html', join(w.dir, 'r.html')]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(page('r.html')).toContain('<b>Nothing was sent: the file was refused.</b>');
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);

    const sent = await load(['--skip-invalid', path, '--report-html', join(w.dir, 's.html')]);
    expect(sent.stderr).not.toContain('Nothing was sent');
    const html = page('s.html');
    // Sent, each one (no PO line: Alma puts them in review).
    expect(html).toContain('<div class="card in_review" data-count="in_review"><b>7</b>');
    expect(html).not.toContain('id="refused"');
  });
});
