/** The built CLI as a librarian runs it to check a file: stdout, stderr and exit codes. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli, spawnCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

const noStack = (s: string): void => expect(s).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);

describe('invoice-load --dry-run', () => {
  it('a valid batch: every invoice planned, exit 0, nothing sent', async () => {
    const res = await runCli(['--dry-run', 'fixtures/sample-batch.csv']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^status\s+vendor\s+number\s+lines\s+total/m);
    expect(res.stdout).toMatch(/planned\s+HARRAS\s+HA-2025-00412\s+2\s+884\.40 EUR\s+fixtures\/sample-batch\.csv:7/);
    expect(res.stdout).toMatch(/7 invoices, 14 lines: 7 planned\. Dry run: nothing was sent\./);
    // Clean offline is not clean in Alma: the last line says what was not looked up, and how to.
    expect(res.stdout).toMatch(/Checked the file only; vendors, funds and PO lines were not looked up in Alma — add --online to check them\.\n$/);
    expect(res.stderr).toBe('');
  });

  it('a file-level problem that stops the whole batch (a column twice): the planned invoices are listed, and a line says a load would send none, as a load says it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-dry-stop-'));
    const [head, ...rows] = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8').trimEnd().split('\n');
    const file = join(dir, 'twice.csv');
    writeFileSync(file, [`${head},line_note`, ...rows.map((r) => `${r},x`)].join('\n') + '\n');
    // --online too: its look-ups run, and the same line follows its report.
    for (const args of [['--dry-run', file], ['--dry-run', '--show-payloads', file], ['--dry-run', '--online', '--sandbox', '--rate', '100', file]]) {
      const res = await runCli(args, { env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
      expect(res.code, args.join(' ')).toBe(3);
      expect(res.stdout).toMatch(/7 planned \(1 error, 0 warnings\)/);
      expect(res.stderr, args.join(' ')).toContain('A load would send nothing: fix the problems above (one problem — ');
      expect(res.stderr).toContain('twice.csv row 1 line_note [duplicate_column] — is the file\'s, not one invoice\'s, and stops the whole batch, even with --skip-invalid).');
    }
    // An invoice's own error stops nothing else: no such line (the valid ones load with --skip-invalid).
    const own = join(dir, 'own.csv');
    writeFileSync(own, [head, ...rows.map((r, i) => (i === 0 ? r.replace(/2025-\d\d-\d\d/, '2025-02-30') : r))].join('\n') + '\n');
    const res = await runCli(['--dry-run', own]);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('[invalid_date]');
    expect(res.stderr).toBe('');
  });

  it('a batch with many defects: every problem with file, row, column and code; exit 3', async () => {
    const res = await runCli(['--dry-run', 'fixtures/defects.csv']);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('fixtures/defects.csv\n');
    expect(res.stdout).toMatch(/row 2 invoice_date: error invoice_date "2026-02-30" is not a real date .*\[invalid_date\]/);
    expect(res.stdout).toMatch(/row 4 total_amount: error total_amount 250\.00 does not match .*220\.00.*\[total_mismatch\]/);
    expect(res.stdout).toMatch(/file: warning .*isbn.*\[unknown_columns\]/);
    noStack(res.stdout + res.stderr);
  });

  it('--json prints the report document with every invoice planned or invalid', async () => {
    const res = await runCli(['--dry-run', '--json', 'fixtures/defects.csv', 'fixtures/valid-small.csv']);
    expect(res.code).toBe(3);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.dry_run).toBe(true);
    expect(new Set(report.invoices.map((i) => i.status))).toEqual(new Set(['planned', 'invalid']));
    expect(report.summary.planned).toBe(3);
    expect(report.summary.requests).toBe(0);
    const d1 = report.invoices.find((i) => i.number === 'D-1')!;
    expect(d1.issues).toContainEqual(
      expect.objectContaining({ file: 'fixtures/defects.csv', row: 2, column: 'invoice_date', code: 'invalid_date', severity: 'error' }),
    );
    expect(d1.rows[0]).toEqual({ file: 'fixtures/defects.csv', row: 2 });
    expect(report.issues).toContainEqual(expect.objectContaining({ code: 'missing_value', row: 14, column: 'vendor' }));
  });

  it('--show-payloads shows the exact JSON that would be sent, amounts exact and dates as Alma writes them', async () => {
    const res = await runCli(['--dry-run', '--show-payloads', 'fixtures/sample-batch.csv']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('# GOBI G-24118: POST /almaws/v1/acq/invoices');
    expect(res.stdout).toMatch(/"total_amount": 265\.45/);
    expect(res.stdout).toMatch(/"invoice_date": "2025-03-03Z"/);
    expect(res.stdout).toMatch(/"vendor": \{\s*"value": "GOBI"\s*\}/);
    expect(res.stdout).toMatch(/"fund_code": \{\s*"value": "EBOOKS"\s*\},\s*"percent": 60/);
  });

  it('reads standard input with -', async () => {
    const res = await runCli(['--dry-run', '-'], { input: readFileSync('fixtures/sample-batch.csv') });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/planned\s+GOBI\s+G-24118\s+3\s+265\.45 USD\s+standard input, row 2/);
  });

  it('reads nested Alma-shaped JSON and JSON Lines', async () => {
    const nested = await runCli(['--dry-run', '--json', 'fixtures/input/nested-alma.json']);
    const report = JSON.parse(nested.stdout) as ReportDocument;
    expect(report.invoices.length).toBeGreaterThan(0);
    const lines = await runCli(['--dry-run', '--json', 'fixtures/input/bad-line.jsonl']);
    expect(lines.code).toBe(3);
    expect((JSON.parse(lines.stdout) as ReportDocument).issues).toContainEqual(expect.objectContaining({ code: 'json_syntax' }));
  });

  it('a problem of the whole file (its layout, or a binary file) is not counted as a row in no invoice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-whole-file-'));
    // The top-level value of a .json file (a line of JSON Lines is a row: test/input/json.test.ts).
    const wrapper = join(dir, 'w.json');
    writeFileSync(wrapper, '{"invoices": [{"invoice_number": "1", "vendor": "A"}]}\n');
    const binary = join(dir, 'b.csv');
    writeFileSync(binary, new Uint8Array(600));
    for (const file of [wrapper, binary]) {
      const res = await runCli(['--dry-run', file]);
      expect(res.code).toBe(3);
      expect(res.stdout).toMatch(/\n {2}file: error /);
      expect(res.stdout).toMatch(/^0 invoices, 0 lines: nothing to do \(1 error, 0 warnings\)\./m);
      expect(res.stdout).not.toContain('in no invoice');
    }
  });

  it('one-line JSON: its records in no invoice, all on row 1, are counted each, and a record without vendor names its number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-one-line-'));
    const file = join(dir, 'one.json');
    const valid = { vendor: 'ACME', invoice_number: 'A-2', invoice_date: '2026-01-15', total_amount: '10.00', currency: 'USD', price: '10.00', fund_code: 'BOOKS' };
    writeFileSync(file, JSON.stringify([{ invoice_number: 'A-1', price: '1.00' }, { vendor: 'ACME', price: '2.00' }, { price: '3.00' }, valid]) + '\n');
    const res = await runCli(['--dry-run', file]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stdout).toContain('no other row of the file has its invoice number "A-1" — fill in the vendor [missing_value]');
    expect(res.stdout).toMatch(/^1 invoice, 1 line: 1 planned, 3 rows in no invoice \(3 errors, 1 warning\)\./m);
  });

  it('names the row of bytes that are not UTF-8 and suggests --encoding; with it, the file reads', async () => {
    const bad = await runCli(['--dry-run', 'fixtures/input/windows-1252.csv']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/row \d+: error .*not valid UTF-8.*--encoding windows-1252.*\[invalid_encoding\]/);
    const good = await runCli(['--dry-run', '--json', '--encoding', 'windows-1252', 'fixtures/input/windows-1252.csv']);
    expect(JSON.stringify(JSON.parse(good.stdout).issues)).not.toContain('invalid_encoding');
  });

  it("a vendor's own layout read without a profile: one error naming the missing columns and the way out, not two a row", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-layout-'));
    const file = join(dir, 'vendor.csv');
    const rows = ['Invoice No,Supplier,Invoice Total'];
    for (let i = 1; i <= 300; i++) rows.push(`V-${i},GOBI,${i}.00`);
    writeFileSync(file, rows.join('\n') + '\n');
    const res = await runCli(['--dry-run', file]);
    expect(res.code).toBe(3);
    const errors = res.stdout.split('\n').filter((l) => / error /.test(l));
    expect(errors).toEqual([
      expect.stringMatching(/^ {2}file: error the header has neither a vendor nor an invoice_number column, so none of the file's 300 rows can be grouped into an invoice; .*invoice-load mapping init .*vendor\.csv.*\[missing_column\]$/),
    ]);
    expect(res.stdout).toMatch(/file: warning columns not in the canonical layout are ignored: invoice no, supplier, invoice total/i);
    expect(res.stdout).toMatch(/nothing to do \(1 error, 1 warning\)/);
  });

  it('a European vendor file (decimal commas, DD.MM.YYYY) ends its errors with the commands that read it; following them, the file checks clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-style-'));
    const file = join(dir, 'harrassowitz.csv');
    const rows = ['invoice_number;invoice_date;vendor;total_amount;currency;line_number;price;quantity;fund_code;po_line'];
    for (let i = 1; i <= 120; i++) rows.push(`HA-${i};03.03.2025;HARRAS;1.${100 + i},50;EUR;1;1.${100 + i},50;1;GERMAN;POL-${i}`);
    writeFileSync(file, rows.join('\r\n') + '\r\n');
    const res = await runCli(['--dry-run', file]);
    expect(res.code).toBe(3);
    const issues = res.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(issues.filter((l) => / error /.test(l))).toHaveLength(360);
    // The last thing said of the file, after its 360 errors: what it is and what to run.
    const last = issues[issues.length - 1]!;
    expect(last).toMatch(/^ {2}file: warning 240 amounts are written with a decimal comma \("1\.101,50" on row 2\) and 120 dates are written with the year last \("03\.03\.2025" on row 2\).*\[mapping_needed\]$/);
    const [init, again] = [/`invoice-load (mapping init \S+ -o \S+)`/.exec(last)![1]!, /run again with (--mapping \S+)/.exec(last)![1]!];
    // As the person would: the two commands it names, from the file's folder.
    const made = await runCli(init.split(' '), { cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    const checked = await runCli(['--dry-run', ...again.split(' '), 'harrassowitz.csv'], { cwd: dir });
    expect(checked.code, checked.stdout).toBe(0);
    expect(checked.stdout).toMatch(/120 invoices, 120 lines: 120 planned\./);
    expect(checked.stdout).toMatch(/planned\s+HARRAS\s+HA-1\s+1\s+1101\.50 EUR/);
  });

  it('the same invoice in two files is an error naming both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dup-'));
    const copy = join(dir, 'copy.csv');
    writeFileSync(copy, readFileSync('fixtures/sample-batch.csv'));
    const res = await runCli(['--dry-run', 'fixtures/sample-batch.csv', copy]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/duplicate_invoice/);
    expect(res.stdout).toContain('fixtures/sample-batch.csv');
  });
});

describe('usage errors: one line, exit 2, no stack trace', () => {
  it.each([
    [['--dry-run', '--frobnicate', 'x.csv'], /unknown option '--frobnicate'/],
    // verify only reads: a --dry-run it would ignore is refused, not taken as a promise.
    [['verify', '--dry-run', 'fixtures/sample-batch.csv'], /unknown option '--dry-run'/],
    [['--dry-run', 'no/such/file.csv'], /cannot read 'no\/such\/file\.csv': no such file/],
    [['--dry-run', '--rate', 'fast', 'fixtures/sample-batch.csv'], /--rate must be a number/],
    [['--dry-run', '--encoding', 'ebcdic', 'fixtures/sample-batch.csv'], /--encoding must be one of/],
    [['fixtures/sample-batch.csv'], /no target: pass --sandbox/],
    [[], /no input files/],
  ])('%j', async (args, message) => {
    const res = await runCli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    // Commander's own errors too begin with the tool's name, not `error:`.
    expect(res.stderr).toMatch(/^invoice-load: /);
    expect(res.stdout).toBe('');
    noStack(res.stderr);
  });

  it('--help shows examples and the exit codes; --version the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--dry-run/);
    expect(help.stdout).toMatch(/Exit codes:\n  0 +all loaded\n/);
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

});

describe('output to a reader that goes away', () => {
  it('both streams into a reader that stops early (2>&1 | head): the run finishes with its own exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-pipe2-'));
    // A load into the embedded sandbox writes progress to stderr after the pipe is gone.
    const { child, done } = spawnCli(['--sandbox', '--rate', '200', 'fixtures/sample-batch.csv'], { env: { INVOICE_LOAD_STATE_DIR: dir } });
    child.stderr.once('data', () => {
      child.stderr.destroy();
      child.stdout.destroy();
    });
    const res = await done;
    expect(res.code).toBe(0);
    // Every invoice loaded once: the run went on to its end after its output had nowhere to go.
    const again = await runCli(['--sandbox', '--json', 'fixtures/sample-batch.csv'], { env: { INVOICE_LOAD_STATE_DIR: dir } });
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as ReportDocument).summary.already_loaded).toBe(7);
  });

  it.skipIf(!existsSync('/dev/full'))('a standard output that fails otherwise (a full disk) is said once, and a run that was a success exits 1', async () => {
    const failed = 'invoice-load: cannot write to standard output (ENOSPC)\n';
    for (const [args, code, said] of [
      [['--dry-run', '--json', 'fixtures/sample-batch.csv'], 1, failed],
      [['--dry-run', 'fixtures/sample-batch.csv'], 1, failed],
      // A run with its own non-zero code keeps it (and its row in no invoice stops a load: said first).
      [['--dry-run', '--json', 'fixtures/defects.csv'], 3, expect.stringMatching(/^A load would send nothing: [^\n]*\ninvoice-load: cannot write to standard output \(ENOSPC\)\n$/)],
    ] as [string[], number, unknown][]) {
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(exit, `${args.join(' ')}: ${stderr}`).toBe(code);
      expect(stderr).toEqual(said);
    }
  });

  it('a reader that stops early (| head) ends the output quietly: exit code of the run, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-pipe-'));
    const file = join(dir, 'big.csv');
    const rows = ['invoice_number,invoice_date,vendor,total_amount,currency,line_number,price,fund_code'];
    for (let i = 1; i <= 3000; i++) rows.push(`INV-${i},2026-01-15,GOBI,10.00,USD,1,10.00,GENMON`);
    writeFileSync(file, rows.join('\n') + '\n');
    const { child, done } = spawnCli(['--dry-run', '--json', file]);
    // The report is ~1 MB, far more than a pipe holds: closing after the first piece makes the
    // CLI's later writes fail with EPIPE, as `| head -1` would.
    child.stdout.once('data', () => child.stdout.destroy());
    const res = await done;
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    noStack(res.stderr);
  });
});
