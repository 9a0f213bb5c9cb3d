/**
 * A file cut inside its header line (`head -c 100` of the sample: the last name `over`, no line
 * break, no rows) used to read as a header-only file — warnings no_rows and unknown_columns,
 * exit 0 — and a cron script that archives on exit 0 dropped the upload. It is cut_short: exit 3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, ROOT, runCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a file cut inside its header line', () => {
  it('is cut_short: exit 3, nothing sent; the whole header alone stays exit 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cut-header-'));
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    const cut = join(dir, 'cut.csv');
    writeFileSync(cut, sample.subarray(0, 100));
    const whole = join(dir, 'header.csv');
    writeFileSync(whole, sample.subarray(0, sample.indexOf(0x0a)));
    // Nothing may be sent: an Alma that cannot be reached would show it.
    const env = { ALMA_API_URL: `http://127.0.0.1:${await closedPort()}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const res = await runCli(['--json', cut], { env });
    expect(res.code, res.stderr).toBe(3);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.issues.map((p) => [p.code, p.severity])).toEqual([
      ['cut_short', 'error'],
      ['no_rows', 'warning'],
      ['unknown_columns', 'warning'],
    ]);
    expect(res.stderr).toContain('[cut_short]');
    // Cut right after a delimiter (`…,shipment,`): the same.
    const comma = join(dir, 'comma.csv');
    writeFileSync(comma, sample.subarray(0, 96));
    const atComma = await runCli(['--json', comma], { env });
    expect(atComma.code, atComma.stderr).toBe(3);
    expect((JSON.parse(atComma.stdout) as ReportDocument).issues.filter((p) => p.code === 'cut_short').map((p) => p.severity)).toEqual(['error']);
    const ok = await runCli(['--json', whole], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as ReportDocument).issues.map((p) => p.code)).toEqual(['no_rows']);
  }, 30_000);
});
