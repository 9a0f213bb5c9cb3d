import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkOutputPaths, checkReportPath, exitAfterOutputs, misnamedOutputs, withRunFields } from '../../src/cli/outputs.js';
import { monotonicSince } from '../../src/common/time.js';
import { writeReportFiles } from '../../src/cli/report-files.js';
import type { ReportDocument } from '../../src/report/report.js';
import { terminalOf } from '../../src/cli/terminal.js';
import { sentOpts } from '../../src/cli/outputs.js';
import { usageMessage } from '../helpers/usage.js';

describe('output paths that name another kind of file, or one file twice', () => {
  it.each([
    ['the usual names', { reportPath: 'r.json', reportCsvPath: 'r.csv', reportHtmlPath: 'r.html', rejectsPath: 'rejects.csv' }, []],
    ['names without an ending, or another one', { reportPath: 'report', reportCsvPath: 'r.txt', reportHtmlPath: 'r.xhtml', rejectsPath: 'r.tsv' }, []],
    ['--report under a web page\'s name', { reportPath: 'out/Report.HTML' }, ['--report out/Report.HTML: --report writes the JSON report document, not a web page; --report-html writes that']],
    ['--report under a spreadsheet\'s name', { reportPath: 'r.csv' }, ['--report r.csv: --report writes the JSON report document, not CSV; --report-csv writes that']],
    ['--report-csv as JSON', { reportCsvPath: 'r.json' }, ['--report-csv r.json: --report-csv writes the report as CSV, not JSON; --report writes that']],
    ['--report-html as CSV', { reportHtmlPath: 'r.csv' }, ['--report-html r.csv: --report-html writes the report as a web page, not CSV; --report-csv writes that']],
    ['--rejects as a web page', { rejectsPath: 'bad.htm' }, ['--rejects bad.htm: --rejects writes the rejected rows as CSV, not a web page; --report-html writes that']],
    [
      'one file for two outputs, however it is written',
      { reportPath: 'r.txt', reportHtmlPath: './sub/../r.txt' },
      ['--report-html ./sub/../r.txt: --report writes that file too; give each its own'],
    ],
  ] as [string, Parameters<typeof misnamedOutputs>[0], string[]][])('%s', (_name, paths, problems) => {
    expect(misnamedOutputs(paths)).toEqual(problems);
  });

  it.each([
    ['payments --report as CSV: no --report-csv to name', { reportPath: 'paid.csv' }, [], ['--report'], ['--report paid.csv: --report writes the JSON report document, not CSV; name it .json']],
    ['verify --report as a web page', { reportPath: 'v.html' }, [], ['--report'], ['--report v.html: --report writes the JSON report document, not a web page; name it .json']],
    ['export: -o and --report on one file', { reportPath: 'erp.json' }, [['--output', './erp.json']], ['--report', '--output'], ['--output ./erp.json: --report writes that file too; give each its own']],
    ['export -o under any name is the export file', { reportPath: 'r.json' }, [['--output', 'erp.csv']], ['--report', '--output'], []],
  ] as [string, Parameters<typeof misnamedOutputs>[0], [string, string][], string[], string[]][])('%s', (_name, paths, more, offered, problems) => {
    expect(misnamedOutputs(paths, more, offered)).toEqual(problems);
  });
});

describe('an output path that is an input file of the run', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outputs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const message = usageMessage;

  it('is refused before anything is read, and the file is left as it was', () => {
    const batch = join(dir, 'batch.csv');
    writeFileSync(batch, 'vendor,invoice_number\n');
    expect(message(() => checkOutputPaths({ rejectsPath: batch, files: [batch] }))).toBe(
      `--rejects ${batch} is an input file of this run: writing it would replace that file; name another; nothing was sent`,
    );
    expect(message(() => checkOutputPaths({ reportCsvPath: batch, files: ['-', batch] }))).toContain('is an input file of this run');
    expect(readFileSync(batch, 'utf8')).toBe('vendor,invoice_number\n');
  });

  it('however the path is written: relative, through a symbolic link, a hard link', () => {
    const batch = join(dir, 'batch.csv');
    writeFileSync(batch, 'x\n');
    symlinkSync(batch, join(dir, 'link.csv'));
    linkSync(batch, join(dir, 'hard.csv'));
    for (const other of [relative(process.cwd(), batch), join(dir, 'link.csv'), join(dir, 'hard.csv')]) {
      expect(message(() => checkOutputPaths({ rejectsPath: other, files: [batch] }))).toBe(
        `--rejects ${other} is the input file ${batch} of this run: writing it would replace that file; name another; nothing was sent`,
      );
    }
  });

  it("payments', verify's and export's outputs too; another file, or an input that does not exist, is fine", () => {
    const paid = join(dir, 'paid.csv');
    writeFileSync(paid, 'x\n');
    expect(message(() => checkReportPath({ reportPath: undefined, files: [paid] }, [['--output', paid]]))).toContain(`--output ${paid} is an input file of this run`);
    expect(() => checkOutputPaths({ rejectsPath: join(dir, 'rejects.csv'), files: [paid, join(dir, 'missing.csv')] })).not.toThrow();
  });
});

describe('exitAfterOutputs: what the run did, after a report file could not be written', () => {
  const said = (opts: Parameters<typeof exitAfterOutputs>[4]): string => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      exitAfterOutputs(terminalOf({ NO_COLOR: '1' }, true, { isTTY: false, columns: undefined }, { isTTY: false, columns: undefined }), { json: false }, 4, ['cannot write the report to r.json: the disk is full'], opts);
    } finally {
      spy.mockRestore();
    }
    return lines.join('');
  };

  it('a run that stopped during the checks before sending (only look-ups sent) says nothing was written, not that the journal holds what it sent', () => {
    const text = said({ sent: true, wrote: false, label: 'Alma' });
    expect(text).toContain('invoice-load: cannot write the report to r.json: the disk is full');
    expect(text).toContain('nothing was written to Alma (only look-ups were sent), and the summary above is its record');
    expect(text).not.toContain('what it sent is in the journal');
    // A run that sent keeps its words.
    expect(said({ sent: true })).toContain('The run itself went ahead: what it sent is in the journal, and the summary above is its record');
  });

  it('an engine run that wrote nothing says so: stopped before its first write, or with nothing to write; a run with no request at all is the usage error', () => {
    // A stop before any look-up reached the target does not claim look-ups.
    expect(said({ sent: true, wrote: false, label: 'FOLIO', requests: 0 })).toContain('The run stopped before writing anything: nothing was written to FOLIO (no request reached it)');
    const none = said({ sent: true, wrote: false, stopped: false, label: 'Alma', requests: 3 });
    expect(none).toContain('The run wrote nothing to Alma (only look-ups were sent): its invoices were done already or held back, and the summary above is its record');
    expect(none).not.toContain('what it sent is in the journal');
    expect(none).not.toContain('stopped');
    expect(() => said({ sent: false })).toThrow('cannot write the report to r.json: the disk is full');
  });

  it('export and payments: writes sent and each refused (a read-only key) are said as such; a reason of their own for writing nothing', () => {
    const refused = said({ sent: true, wrote: false, stopped: true, label: 'Alma', requests: 5, refused: true });
    expect(refused).toContain('The run stopped before writing anything: nothing was written to Alma (it refused the writes sent, besides the look-ups)');
    expect(refused).not.toContain('only look-ups were sent');
    const plain = said({ sent: true, wrote: false, stopped: false, label: 'Alma', requests: 1, why: 'without --mark-in-erp an export marks none' });
    expect(plain).toContain('The run wrote nothing to Alma (only look-ups were sent): without --mark-in-erp an export marks none, and the summary above is its record');
  });
});

describe('sentOpts: what an engine run sent, for exitAfterOutputs', () => {
  it.each<[string, Parameters<typeof sentOpts>, ReturnType<typeof sentOpts>]>([
    ['a write began: the run went ahead', [true, false, 12, 'Alma'], { sent: true }],
    ['a write began, then the run stopped: still went ahead', [true, true, 12, 'Alma'], { sent: true }],
    ['stopped before the first write: the stop\'s code stands, nothing written', [false, true, 4, 'Alma'], { sent: true, wrote: false, stopped: true, label: 'Alma', requests: 4 }],
    ['stopped before any request', [false, true, 0, 'Alma'], { sent: true, wrote: false, stopped: true, label: 'Alma', requests: 0 }],
    ['look-ups only, not stopped (every invoice done already)', [false, false, 7, 'FOLIO'], { sent: true, wrote: false, stopped: false, label: 'FOLIO', requests: 7 }],
    ['no request at all (a re-run its journal finished): nothing sent', [false, false, 0, 'Alma'], { sent: false }],
    ['writes sent and each refused, the run stopped (a read-only key)', [false, true, 5, 'Alma', true], { sent: true, wrote: false, stopped: true, label: 'Alma', requests: 5, refused: true }],
    ['writes refused, yet one went through: went ahead', [true, false, 5, 'Alma', true], { sent: true }],
    ['writes sent and each refused, not stopped (every create answered 4xx): not "done already" only', [false, false, 5, 'Alma', true], { sent: true, wrote: false, stopped: false, label: 'Alma', requests: 5, refused: true, why: 'what it did not refuse was done already or held back' }],
  ])('%s', (_, args, expected) => expect(sentOpts(...args)).toEqual(expected));
});

describe("a spreadsheet's lock file among the inputs, set aside unread: not listed as an input", () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outputs-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lockReport = (lock: string): ReportDocument => ({
    target: 'alma',
    dry_run: true,
    summary: { invoices: 0, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 0 },
    issues: [{ file: lock, code: 'lock_file', message: "this is Excel's lock file for batch.csv (it is open in Excel by Jane): left out; batch.csv itself is read", severity: 'warning' }],
    invoices: [],
  });

  it("the report document's inputs and the HTML report's files are the files read", () => {
    const batch = join(dir, 'batch.csv');
    const lock = join(dir, '~$batch.csv');
    writeFileSync(batch, 'vendor,invoice_number\n');
    writeFileSync(lock, Buffer.alloc(165, 0));
    const at = new Date('2026-12-07T10:00:00Z');
    const report = withRunFields(lockReport(lock), { target: undefined, files: [lock, batch], sheet: undefined }, at, at);
    expect(report.inputs).toEqual([{ file: batch, format: 'csv', bytes: 22 }]);
    // The lock file's warning still names it.
    expect(report.issues.map((p) => p.file)).toEqual([lock]);
    const html = join(dir, 'r.html');
    writeReportFiles({ reportCsvPath: undefined, reportHtmlPath: html, files: [lock, batch] }, report, at);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`files: <code>${batch}</code> ·`);
    expect(page).not.toContain(`<code>${lock}</code>,`);
    // A file named like a lock file that the run read (no lock_file problem names it) stays an input.
    const named = join(dir, '~$other.csv');
    writeFileSync(named, 'vendor,invoice_number\n');
    expect(withRunFields({ ...lockReport(lock), issues: [] }, { target: undefined, files: [named], sheet: undefined }, at, at).inputs).toEqual([{ file: named, format: 'csv', bytes: 22 }]);
  });

  it('the duration is the monotonic clock\'s: the wall clock set back an hour during the run gives 5.4 s, not -3594.6 s; started and finished are the wall clock\'s', () => {
    const started = new Date('2026-12-07T10:00:00.000Z');
    const finished = new Date('2026-12-07T09:00:05.400Z');
    // A fake monotonic clock: 5.4 s pass between the start and the report.
    let mono = 1_000;
    const sinceStart = monotonicSince(() => mono);
    mono += 5_400;
    const report = withRunFields({ ...lockReport(join(dir, '~$x.csv')), issues: [] }, { target: undefined, files: [], sheet: undefined, sinceStart }, started, finished);
    expect(report.duration_s).toBe(5.4);
    expect(report.started).toBe('2026-12-07T10:00:00.000Z');
    expect(report.finished).toBe('2026-12-07T09:00:05.400Z');
    const html = join(dir, 'd.html');
    writeReportFiles({ reportCsvPath: undefined, reportHtmlPath: html, files: [] }, report, finished);
    expect(readFileSync(html, 'utf8')).toContain('took 5.4 s');
    // Without a monotonic clock (a caller that gives none): never below zero.
    expect(withRunFields({ ...lockReport(join(dir, '~$x.csv')), issues: [] }, { target: undefined, files: [], sheet: undefined }, started, finished).duration_s).toBe(0);
  });
});
