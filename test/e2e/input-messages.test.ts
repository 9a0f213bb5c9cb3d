/**
 * Input messages as a librarian reads them on the terminal (README "What is checked before
 * anything is sent", "Exit codes"): the built CLI, a dry run, no target.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import type { ReportDocument } from '../../src/report/report.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'il-input-messages-'));

describe('the wrong kind of file', () => {
  // A Markdown file, as `invoice-load README.md` reads it: one header cell, rows of several.
  const notes = ['# Notes', '', ...Array.from({ length: 400 }, (_, i) => `- item ${i}, with a comma, and another`)].join('\n') + '\n';

  it('says the header problem, one row of the rest, and folds the others into one line; --json keeps each', async () => {
    const file = join(dir(), 'notes.md');
    writeFileSync(file, notes);
    const res = await runCli(['--dry-run', file]);
    expect(res.code).toBe(3);
    const lines = res.stdout.split('\n');
    expect(lines.filter((l) => l.includes('[missing_column]'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('[extra_cells]'))).toEqual([
      '  row 3: error this row has 3 cells but the header has 1 column; the cells after column 1 are not read [extra_cells]',
    ]);
    expect(lines).toContain('  … and 399 more rows with the wrong number of cells (not shown; --json and --report list each)');
    expect(lines.length).toBeLessThan(15);
    const json = await runCli(['--dry-run', '--json', file]);
    const doc = JSON.parse(json.stdout) as ReportDocument;
    expect(doc.issues.filter((p) => p.code === 'extra_cells')).toHaveLength(400);
  });
});

describe('a misspelt command', () => {
  it('after the program\'s options too: named as the command meant, not read as a file (exit 2)', async () => {
    const res = await runCli(['--dry-run', '--encoding', 'latin1', 'verfy', 'x.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("invoice-load: 'verfy' is neither a command nor a file: did you mean `invoice-load verify`? (invoice-load --help lists the commands)\n");
  });
});

describe('a file with a header and no rows', () => {
  it('is still nothing to do (exit 0, as a nightly job on an empty drop expects), with a warning naming it', async () => {
    const file = join(dir(), 'x.csv');
    copyFileSync(join(ROOT, 'fixtures/input/header-only.csv'), file);
    const res = await runCli(['--dry-run', file]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`  file: warning ${file} has a header and no rows, so it holds no invoice (an export that found nothing, or the wrong file?) [no_rows]`);
    expect(res.stdout).toContain('0 invoices, 0 lines: nothing to do (0 errors, 1 warning).');
  });
});

describe('a file name with control characters in an error message', () => {
  // A name with a line feed and an escape sequence (a colour): printed raw, the terminal would
  // colour the rest and the message would break into a fake second line.
  const name = 'a\n\u001b[31mb.csv';

  it('is printed on one line, escaped (src/common/shown.ts oneLine): the same file twice, a file that cannot be read', async () => {
    const d = dir();
    writeFileSync(join(d, name), 'invoice_number,vendor\n');
    const twice = await runCli(['--dry-run', name, `./${name}`], { cwd: d, env: { HOME: d } });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe('invoice-load: a\\n\\u001b[31mb.csv and ./a\\n\\u001b[31mb.csv are the same file: name each file once\n');
    const missing = await runCli(['--dry-run', `no-${name}`], { cwd: d, env: { HOME: d } });
    expect(missing.code).toBe(2);
    // The `[` makes it a pattern the shell left unexpanded.
    expect(missing.stderr).toBe('invoice-load: no file matches no-a\\n\\u001b[31mb.csv (the shell passed the pattern on unexpanded)\n');
    const unread = await runCli(['--dry-run', 'c\u0007\rd.csv'], { cwd: d, env: { HOME: d } });
    expect(unread.code).toBe(2);
    expect(unread.stderr).toMatch(/^invoice-load: cannot read 'c\\u0007\\rd\.csv': [^\n\r\u0007]*\n$/);
  });
});
