/**
 * The `Written:` line after the summary: on a terminal broken to the window's width, as the
 * summary's prose is (report/fit.ts proseText) — not left for the terminal to break mid-word
 * (`(the report a` / `s HTML)`), and never inside a path, which may hold spaces and is copied
 * whole; in a pipe one line, for grep.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitReport, writtenLines } from '../../src/cli/load.js';
import { terminalOf } from '../../src/cli/terminal.js';
import type { Config } from '../../src/cli/config.js';
import type { ReportDocument } from '../../src/report/report.js';

const report: ReportDocument = {
  target: 'alma',
  dry_run: false,
  summary: { invoices: 0, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 0 },
  issues: [],
  invoices: [],
};

describe('the Written: line', () => {
  let dir = '';
  let out: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-written-'));
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const emit = async (columns: number | undefined): Promise<string[]> => {
    const stream = { isTTY: columns !== undefined, columns };
    const term = terminalOf({ NO_COLOR: '1' }, true, stream, stream);
    const cfg = { target: 'alma', files: [], quiet: false, json: false, reportPath: join(dir, 'r.json'), reportCsvPath: join(dir, 'r.csv'), reportHtmlPath: join(dir, 'r.html') } as unknown as Config;
    expect(await emitReport(cfg, term, report)).toEqual([]);
    const text = out.join('');
    return text.slice(text.indexOf('Written: ')).trimEnd().split('\n');
  };
  const whole = (): string => `Written: ${join(dir, 'r.json')} (the report), ${join(dir, 'r.csv')} (the report as CSV), ${join(dir, 'r.html')} (the report as HTML).`;

  it('is broken between words on an 80-column terminal, no row wider than the window', async () => {
    const rows = await emit(80);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(row.length, row).toBeLessThanOrEqual(80);
    expect(rows.join(' ')).toBe(whole());
  });

  it('is one line in a pipe', async () => {
    expect(await emit(undefined)).toEqual([whole()]);
  });

  // 'room for the first path and the second's first word': where a break at every space split the second path.
  it.each(['room for the first path and the second\'s first word', 'narrower than a path'])('never breaks a path that holds spaces (%s): each is on one row, to be copied whole', async (window) => {
    mkdirSync(join(dir, 'My Reports'));
    const paths = ['batch report.json', 'batch report.csv', 'batch report.html'].map((f) => join(dir, 'My Reports', f));
    const columns = window === 'narrower than a path' ? paths[0]!.length - 5 : `Written: ${paths[0]} (the report), ${paths[1]!.slice(0, paths[1]!.indexOf(' '))}`.length;
    const stream = { isTTY: true, columns };
    const term = terminalOf({ NO_COLOR: '1' }, true, stream, stream);
    const cfg = { target: 'alma', files: [], quiet: false, json: false, reportPath: paths[0], reportCsvPath: paths[1], reportHtmlPath: paths[2] } as unknown as Config;
    expect(await emitReport(cfg, term, report)).toEqual([]);
    const text = out.join('');
    const rows = text.slice(text.indexOf('Written:')).trimEnd().split('\n');
    expect(rows.length).toBeGreaterThan(1);
    for (const path of paths) expect(rows.some((row) => row.includes(path)), `${path} in ${JSON.stringify(rows)}`).toBe(true);
    // A path wider than the window is on a row of its own, whole.
    for (const row of rows) expect(row.length <= columns || paths.includes(row), row).toBe(true);
  });
});

describe('writtenLines', () => {
  const files = [
    { path: 'My Reports/batch report.json', what: '(the report)' },
    { path: 'My Reports/batch report.csv', what: '(the report as CSV)' },
    { path: 'My Reports/batch report.html', what: '(the report as HTML)' },
  ];

  it('breaks between the files, never inside a path or a file\'s own words, when each fits a row', () => {
    expect(writtenLines(files, 52)).toEqual(['Written: My Reports/batch report.json (the report),', 'My Reports/batch report.csv (the report as CSV),', 'My Reports/batch report.html (the report as HTML).']);
    expect(writtenLines(files, undefined)).toEqual(['Written: My Reports/batch report.json (the report), My Reports/batch report.csv (the report as CSV), My Reports/batch report.html (the report as HTML).']);
  });

  it('a path wider than the window stays whole on its row; a file\'s long words break after its path and between them', () => {
    const long = { path: 'My Reports/a very long folder name with spaces in it/batch report.json', what: '(the report)' };
    expect(writtenLines([long], 40)).toEqual(['Written:', long.path, '(the report).']);
    const rejects = { path: 'My Reports/rejects.csv', what: '(3 rejected rows; not in it: row 5, row 7, which could not be read as rows)' };
    const rows = writtenLines([rejects], 40);
    expect(rows).toEqual(['Written: My Reports/rejects.csv (3', 'rejected rows; not in it: row 5, row 7,', 'which could not be read as rows).']);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(40);
  });
});
