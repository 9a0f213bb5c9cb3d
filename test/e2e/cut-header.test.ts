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
import { parse } from 'csv-parse/sync';
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
    // Every name quoted, cut inside one (`"invoice_number","invoice_date","ve`): the same, not a stray quote.
    const quoted = join(dir, 'quoted.csv');
    writeFileSync(quoted, '"invoice_number","invoice_date","ve');
    const inQuote = await runCli(['--json', quoted], { env });
    expect(inQuote.code, inQuote.stderr).toBe(3);
    expect((JSON.parse(inQuote.stdout) as ReportDocument).issues.filter((p) => p.severity === 'error').map((p) => [p.code, p.row])).toEqual([['cut_short', undefined]]);
    const ok = await runCli(['--json', whole], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as ReportDocument).issues.map((p) => p.code)).toEqual(['no_rows']);
  }, 30_000);
});

/**
 * A file not read whole — cut inside a row, JSON that stops — had its invoices read so far
 * `planned` beside the file's error in a dry run's report (exit 3 all the same), as if they
 * would be loaded; what was read of them may lack their end. The load and the dry run now both
 * report them `invalid`, the file's error saying why; another file's invoices stay `planned`.
 */
describe('a file not read whole', () => {
  it.each([
    ['a CSV cut inside its last row', 'cut.csv', (s: Buffer) => s.subarray(0, s.length - 70)],
    // Every value quoted (CRLF), the download stopped at `"G-24140","`: csv-parse's quote never
    // closed, which read as a stray quote, the rest planned.
    ['a CSV cut inside a quoted value', 'qcut.csv', (s: Buffer) => {
      const quoted = Buffer.from(s.toString('utf8').trim().split('\n').map((l) => l.split(',').map((c) => `"${c}"`).join(',')).join('\r\n') + '\r\n');
      const cut = quoted.subarray(0, quoted.length - 135);
      expect(cut.toString('utf8').endsWith('"G-24140","')).toBe(true);
      return cut;
    }],
    ['JSON that stops inside a value', 'cut.json', (s: Buffer) => {
      const rows = (s.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(',')));
      const header = s.toString('utf8').split('\n')[0]!.split(',');
      const text = JSON.stringify(rows.map((r) => Object.fromEntries(header.flatMap((h, i) => (r[i] ? [[h, r[i]]] : [])))), null, 1);
      return Buffer.from(text.slice(0, Math.floor(text.length * 0.6)));
    }],
  ])('%s: its invoices are invalid in the dry run as in the load, not planned', async (_name, name, cut) => {
    dir = mkdtempSync(join(tmpdir(), 'partial-'));
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    const file = join(dir, name);
    writeFileSync(file, cut(sample));
    const whole = join(dir, 'whole.csv');
    writeFileSync(whole, sample.toString('utf8').replaceAll(/^([A-Z]+[-/][^,]*),/gm, 'W$1,'));
    const env = { ALMA_API_URL: `http://127.0.0.1:${await closedPort()}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const statuses = (out: string) => {
      const report = JSON.parse(out) as ReportDocument;
      return report.invoices.map((i) => [i.rows[0]!.file === file ? 'cut' : 'whole', i.status]);
    };
    const dry = await runCli(['--dry-run', '--json', file, whole], { env });
    expect(dry.code, dry.stderr).toBe(3);
    const load = await runCli(['--json', file, whole], { env });
    expect(load.code, load.stderr).toBe(3);
    const said = statuses(dry.stdout);
    expect(said.filter(([f]) => f === 'cut').length).toBeGreaterThan(2);
    expect(said.filter(([f]) => f === 'cut').every(([, s]) => s === 'invalid')).toBe(true);
    expect(said.filter(([f]) => f === 'whole').every(([, s]) => s === 'planned')).toBe(true);
    expect(statuses(load.stdout)).toEqual(said);
  }, 30_000);
});

/**
 * The rejects file of a CSV cut inside its last row: the cut row is both where the batch's
 * cut_short is and a row of an invoice whose reason is its file's error — that same cut_short.
 * It said `cut_short cut_short` and the message twice.
 */
describe('--rejects of a CSV cut inside its last row', () => {
  it('gives the cut row its cut_short once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cut-rejects-'));
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    const file = join(dir, 'cut.csv');
    writeFileSync(file, sample.subarray(0, sample.length - 45));
    const rejects = join(dir, 'rj.csv');
    const env = { ALMA_API_URL: `http://127.0.0.1:${await closedPort()}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const res = await runCli(['--dry-run', file, '--rejects', rejects], { env });
    expect(res.code, res.stderr).toBe(3);
    const rows = parse(readFileSync(rejects, 'utf8'), { bom: true }) as string[][];
    const [code, message] = rows.at(-1)!.slice(-2);
    expect(rows.at(-1)!.slice(0, 3)).toEqual(['G-24140', '', 'GOBI']);
    expect(code).toBe('cut_short');
    expect(message).toMatch(/^the file ends inside this row/);
    expect(message!.split('the file ends inside this row').length).toBe(2);
  }, 30_000);
});

/**
 * A file read from standard input (`-`) is `standard input` wherever the run names it: the line
 * naming the problem that stops the batch said `— - row 16 [cut_short] —` under the problems
 * listed for `standard input`.
 */
describe('a file cut short, read from standard input', () => {
  it('the stopping line names it standard input, as the problems above do', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cut-stdin-'));
    const sample = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    const env = { ALMA_API_URL: `http://127.0.0.1:${await closedPort()}`, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') };
    const res = await runCli(['-'], { env, input: sample.subarray(0, sample.length - 45) });
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain('(one problem — standard input row 16 [cut_short] — is the file\'s, not one invoice\'s, and stops the whole batch');
    expect(res.stderr).not.toContain('— - ');
  }, 30_000);
});
