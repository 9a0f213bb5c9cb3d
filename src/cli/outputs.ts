/**
 * The run's output files, checked before anything is read or sent: a report path that cannot be
 * written (a folder that is a file, a read-only folder, a directory given as the file) stops
 * the run with exit 2 and nothing sent — found after a load, it would leave a cron job
 * believing nothing happened. And the fields every report document carries about its run.
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { outputTarget } from '../common/fs.js';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Config } from './config.js';
import type { ReportDocument } from '../report/report.js';
import { UsageError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';
import { version } from './version.js';
import { filesRead } from '../input/owner-file.js';
import { exitCodeWithUnwrittenOutputs } from './exit.js';
import type { Terminal } from './terminal.js';

/** What an error means while making a probe file in the output's folder (else PATH_REASONS). */
const WRITE_REASONS: Record<string, string> = {
  EEXIST: 'a part of the path is a file, not a folder',
};
const why = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return WRITE_REASONS[code] ?? pathReason(err) ?? code;
};

type OutputPaths = Pick<Config, 'reportPath' | 'reportCsvPath' | 'reportHtmlPath' | 'rejectsPath'>;

const outputsOf = (cfg: OutputPaths): [string, string | undefined][] => [
  ['--report', cfg.reportPath],
  ['--report-csv', cfg.reportCsvPath],
  ['--report-html', cfg.reportHtmlPath],
  ['--rejects', cfg.rejectsPath],
];

/** The load's outputs; `payments`, `verify` and `export` offer only `--report`. */
const LOAD_OUTPUTS = ['--report', '--report-csv', '--report-html', '--rejects'];
/** The ending each output's file is named with. */
const OWN_ENDING: Record<string, string> = { '--report': '.json', '--report-csv': '.csv', '--report-html': '.html', '--rejects': '.csv' };

/** What each output writes. */
const WRITES: Record<string, string> = {
  '--report': 'the JSON report document',
  '--report-csv': 'the report as CSV',
  '--report-html': 'the report as a web page',
  '--rejects': 'the rejected rows as CSV',
};
/** File name endings that say another kind of file was meant: what they hold, and the output that writes it. */
const ENDINGS: Record<string, { holds: string; by: Record<string, string> }> = {
  '.json': { holds: 'JSON', by: { '--report-csv': '--report', '--report-html': '--report', '--rejects': '--report' } },
  '.csv': { holds: 'CSV', by: { '--report': '--report-csv', '--report-html': '--report-csv' } },
  '.html': { holds: 'a web page', by: { '--report': '--report-html', '--report-csv': '--report-html', '--rejects': '--report-html' } },
  '.htm': { holds: 'a web page', by: { '--report': '--report-html', '--report-csv': '--report-html', '--rejects': '--report-html' } },
};

/**
 * Output paths that name another kind of file (`--report report.html` wrote JSON under a web
 * page's name, silently, on every cron run), or the same file twice (the second write replaced
 * the first). Pure: one line each.
 */
export function misnamedOutputs(cfg: OutputPaths, more: readonly [string, string | undefined][] = [], offered: readonly string[] = LOAD_OUTPUTS): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [flag, path] of [...outputsOf(cfg), ...more]) {
    if (path === undefined) continue;
    const ending = ENDINGS[extname(path).toLowerCase()];
    const other = ending?.by[flag];
    if (other !== undefined) {
      // The output that writes that kind of file, when this command has one.
      const instead = offered.includes(other) ? `${other} writes that` : `name it ${OWN_ENDING[flag] ?? 'otherwise'}`;
      problems.push(`${flag} ${path}: ${flag} writes ${WRITES[flag]}, not ${ending!.holds}; ${instead}`);
    }
    const key = resolve(path);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${flag} ${path}: ${first} writes that file too; give each its own`);
    else seen.set(key, flag);
  }
  return problems;
}

/**
 * Every output path of the run that names another kind of file or cannot be written, one line
 * each; throws a UsageError listing them. `more`: a command's own outputs (`export -o`);
 * `offered`: the output flags the command has (a hint names another only if it is there).
 */
export function checkOutputPaths(cfg: OutputPaths & { files?: readonly string[] }, more: readonly [string, string | undefined][] = [], offered: readonly string[] = LOAD_OUTPUTS): void {
  const problems: string[] = misnamedOutputs(cfg, more, offered);
  const inputs = inputFiles(cfg.files ?? []);
  for (const [flag, path] of [...outputsOf(cfg), ...more]) {
    if (path === undefined) continue;
    const id = fileId(path);
    const input = id === undefined ? undefined : inputs.find((i) => i.dev === id.dev && i.ino === id.ino);
    if (input !== undefined) {
      problems.push(`${flag} ${path} is ${input.path === path ? 'an input file' : `the input file ${input.path}`} of this run: writing it would replace that file; name another`);
      continue;
    }
    const why = unwritable(path);
    if (why !== undefined) problems.push(`cannot write ${flag} ${path}: ${why}`);
  }
  if (problems.length === 1) throw new UsageError(`${problems[0]}; nothing was sent`);
  if (problems.length > 1) throw new UsageError(`the run's output files; nothing was sent:\n  ${problems.join('\n  ')}`);
}

/**
 * `payments`, `verify` and `export`: their `--report` (and `export`'s `-o`, in `more`) checked
 * as the load's outputs are, the hints naming only the outputs these commands have.
 */
export function checkReportPath(cfg: Pick<Config, 'reportPath' | 'files'>, more: readonly [string, string | undefined][] = []): void {
  checkOutputPaths({ reportPath: cfg.reportPath, files: cfg.files }, more, ['--report', ...more.map(([flag]) => flag)]);
}

/**
 * The run's input files that exist, by device and inode, so that an output given as a symbolic
 * link, a hard link or another spelling of an input's path is caught (`--rejects batch.csv
 * batch.csv`, a slip of tab completion, replaced the vendor's file with its rejected rows).
 */
function inputFiles(files: readonly string[]): { path: string; dev: number; ino: number }[] {
  // A file that cannot be read fails later, with its own message.
  return files.flatMap((path) => {
    const id = path === '-' ? undefined : fileId(path);
    return id === undefined ? [] : [{ path, ...id }];
  });
}

/** The file a path names, by device and inode; undefined when there is none. */
function fileId(path: string): { dev: number; ino: number } | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

/**
 * Why `path` cannot be written (common/fs.ts `outputTarget`: a file or nothing yet atomically,
 * a temp file beside the end of its links; a pipe or a terminal in place), or undefined. A
 * missing folder is refused, not made: `/nonexistent/x.html` made `/nonexistent`.
 */
function unwritable(path: string): string | undefined {
  let target;
  try {
    target = outputTarget(path);
  } catch (err) {
    return why(err);
  }
  if (target.kind === 'refused') return target.reason;
  // A pipe is not opened here: opening it for writing waits for its reader.
  if (target.kind === 'through') return undefined;
  const dir = dirname(target.path);
  try {
    const probe = join(dir, `.${basename(target.path)}.${process.pid}.check`);
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `the folder ${target.path === resolve(path) ? dirname(path) : dir} does not exist (it is not made: create it first)`;
    return why(err);
  }
}

/**
 * Why a file could not be written at `path` after the run, in words: the path's first part that
 * is a file where a folder is needed (`/var/reports/late is not a folder`), "the disk is full",
 * rather than a bare `ENOTDIR` or `ENOSPC`.
 */
export function unwrittenReason(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    // mkdir of the folder met a file: name it.
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
      } catch {
        // not there (or not readable): look further up
      }
    }
  }
  if (code === 'ENOENT') return `the folder ${dirname(path)} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (the folder ${dirname(path)}, or the file)`;
  return pathReason(err) ?? code ?? (err as Error).message;
}

/** What the run sent, for `exitAfterOutputs` (below; `sentOpts` gives it for a run that wrote or not). */
export interface ExitAfterOutputsOpts {
  sent: boolean;
  wrote?: boolean;
  stopped?: boolean;
  label?: string;
  requests?: number;
  refused?: boolean;
  /** Why a run that did not stop wrote nothing (`stopped: false`); by default a load's. */
  why?: string;
}

/**
 * The end of a run whose report files (`unwritten`: one line each) could not all be written.
 * Nothing sent: the usage error (exit 2) it always was. Once something may have been sent, the
 * exit code stays the run's own (README "Exit codes": a success becomes 1, as for standard
 * output), with the lines said on stderr and what the run did: the journal and the output
 * above hold it. A run that wrote nothing to the target (`wrote: false`, `label` its name) is
 * said to have written nothing, not that the journal holds what it sent: one that stopped
 * (`stopped`, the default: a refused key, the daily threshold, Ctrl-C …) before its first write,
 * or one that found nothing to write (`stopped: false`: every invoice done already, or held back
 * by what the look-ups found). `requests`: how many reached the target (0: not even a look-up);
 * `refused`: besides the look-ups, writes were sent and the target refused each (a read-only key).
 */
export function exitAfterOutputs(
  term: Terminal,
  cfg: Pick<Config, 'json'>,
  code: number,
  unwritten: readonly string[],
  opts: ExitAfterOutputsOpts,
): number {
  if (unwritten.length === 0) return code;
  if (!opts.sent) throw new UsageError(unwritten.join('\n'));
  const record = cfg.json ? 'the JSON document on standard output' : 'the summary above';
  const label = opts.label ?? 'Alma';
  const reads = opts.requests === 0 ? 'no request reached it' : opts.refused === true ? 'it refused the writes sent, besides the look-ups' : 'only look-ups were sent';
  for (const line of unwritten) process.stderr.write(term.errStyle.red(`invoice-load: ${line}`) + '\n');
  process.stderr.write(
    term.errStyle.red(
      opts.wrote !== false
        ? `The run itself went ahead: what it sent is in the journal, and ${record} is its record. ` +
            'To have the file, fix that and run the same command again: it writes the reports, and sends nothing again for what this run finished (it shows as already loaded, or already done).'
        : opts.stopped !== false
          ? `The run stopped before writing anything: nothing was written to ${label} (${reads}), and ${record} is its record. ` +
            'To have the file, fix that and run the same command again (once what stopped the run, above, allows): it checks the batch again and sends it.'
          : `The run wrote nothing to ${label} (${reads}): ${opts.why ?? 'its invoices were done already or held back'}, and ${record} is its record. ` +
            'To have the file, fix that and run the same command again: it writes the reports, and sends nothing for what is done already.',
    ) + '\n',
  );
  return exitCodeWithUnwrittenOutputs(code as Parameters<typeof exitCodeWithUnwrittenOutputs>[0]);
}

/**
 * What a run sent, for `exitAfterOutputs`: something written (the run went ahead); a stop
 * before the first write (the stop's exit code stands, and nothing was written); look-ups only
 * (every invoice done already or held back: the run's code stands); or no request at all (a
 * re-run its journal finished: nothing sent, the usage error). `refused`: writes were sent and
 * each refused, so nothing was written. For a load (send.ts: a write step began), and for export
 * and payments (engine/operations.ts `writes`).
 */
export function sentOpts(wrote: boolean, stopped: boolean, requests: number, label: string, refused = false): ExitAfterOutputsOpts {
  if (wrote) return { sent: true };
  if (!stopped && requests === 0) return { sent: false };
  // Not stopped, its writes refused (each create answered 4xx, say): not "done already" only.
  return { sent: true, wrote: false, stopped, label, requests, ...(refused ? { refused, ...(stopped ? {} : { why: 'what it did not refuse was done already or held back' }) } : {}) };
}

/** Where the run went: an embedded sandbox is said so in every report. */
export const isSandboxRun = (cfg: Pick<Config, 'target'>): boolean => cfg.target?.kind === 'sandbox';

const FORMATS: Record<string, string> = { '.xlsx': 'xlsx', '.xlsm': 'xlsx', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/**
 * The report with its run's fields after `target`: `sandbox`, `version`, `started`, `finished`,
 * `duration_s` (seconds, one decimal, by the monotonic clock when `cfg.sinceStart` says) and `inputs` (each file read, as given, its format and size). The
 * invoices are the same array, not copied.
 */
export function withRunFields<R extends Pick<ReportDocument, 'target' | 'version' | 'started' | 'finished' | 'duration_s' | 'inputs' | 'sandbox' | 'issues'>>(
  report: R,
  cfg: Pick<Config, 'target' | 'files' | 'sheet' | 'sinceStart'>,
  started: Date,
  finished: Date,
): R {
  const { target, ...rest } = report;
  // A spreadsheet's lock file among the files (a glob's `~$march.xlsx`) was not read: not an input.
  const inputs = filesRead(cfg.files, report.issues).map((file) => {
    const format = file === '-' ? 'stdin' : (FORMATS[extname(file).toLowerCase()] ?? 'csv');
    let bytes: number | undefined;
    try {
      bytes = file === '-' ? undefined : statSync(file).size;
    } catch {
      bytes = undefined;
    }
    return { file, format, ...(format === 'xlsx' && cfg.sheet !== undefined ? { sheet: cfg.sheet } : {}), ...(bytes !== undefined ? { bytes } : {}) };
  });
  // Before the invoices: a reader of a large report finds them without reading it all.
  return {
    target,
    sandbox: isSandboxRun(cfg),
    version,
    started: started.toISOString(),
    finished: finished.toISOString(),
    // By the monotonic clock (cfg.sinceStart): the wall clock set back during the run gave
    // "duration_s": -3594.6 and 'took -3594.6 s'. `started` and `finished` stay the wall clock's.
    duration_s: Math.round(Math.max(0, cfg.sinceStart?.() ?? finished.getTime() - started.getTime()) / 100) / 10,
    inputs,
    ...rest,
  } as unknown as R;
}
