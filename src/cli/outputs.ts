/**
 * The run's output files, checked before anything is read or sent: a report path that cannot be
 * written (a folder that is a file, a read-only folder, a directory given as the file) stops
 * the run with exit 2 and nothing sent — found after a load, it would leave a cron job
 * believing nothing happened. And the fields every report document carries about its run.
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Config } from './config.js';
import type { ReportDocument } from '../report/report.js';
import { UsageError } from '../shared/errors.js';
import { PATH_REASONS, pathReason } from '../shared/path-reasons.js';
import { version } from './version.js';

/** What an error means while creating the output's folder and a probe file in it (else PATH_REASONS). */
const WRITE_REASONS: Record<string, string> = {
  EEXIST: 'a part of the path is a file, not a folder',
  ENOENT: 'the folder cannot be created',
};
const why = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return WRITE_REASONS[code] ?? pathReason(err) ?? code;
};

/** Every output path of the run that cannot be written, one line each; throws a UsageError listing them. */
export function checkOutputPaths(cfg: Pick<Config, 'reportPath' | 'reportCsvPath' | 'reportHtmlPath' | 'rejectsPath'>): void {
  const outputs: [string, string | undefined][] = [
    ['--report', cfg.reportPath],
    ['--report-csv', cfg.reportCsvPath],
    ['--report-html', cfg.reportHtmlPath],
    ['--rejects', cfg.rejectsPath],
  ];
  const problems: string[] = [];
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const why = unwritable(path);
    if (why !== undefined) problems.push(`${flag} ${path}: ${why}`);
  }
  if (problems.length === 1) throw new UsageError(`cannot write ${problems[0]}; nothing was sent`);
  if (problems.length > 1) throw new UsageError(`cannot write the run's output files; nothing was sent:\n  ${problems.join('\n  ')}`);
}

/** Why `path` cannot be written (atomically: a temp file beside it, then a rename), or undefined. */
function unwritable(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return PATH_REASONS['EISDIR'];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return why(err);
  }
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.${basename(path)}.${process.pid}.check`);
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
    return undefined;
  } catch (err) {
    return why(err);
  }
}

/** Where the run went: an embedded sandbox is said so in every report. */
export const isSandboxRun = (cfg: Pick<Config, 'target'>): boolean => cfg.target?.kind === 'sandbox';

const FORMATS: Record<string, string> = { '.xlsx': 'xlsx', '.xlsm': 'xlsx', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/**
 * The report with its run's fields after `target`: `sandbox`, `version`, `started`, `finished`,
 * `duration_s` (seconds, one decimal) and `inputs` (each file as given, its format and size). The
 * invoices are the same array, not copied.
 */
export function withRunFields(report: ReportDocument, cfg: Pick<Config, 'target' | 'files' | 'sheet'>, started: Date, finished: Date): ReportDocument {
  const { target, ...rest } = report;
  const inputs = cfg.files.map((file) => {
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
    duration_s: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    inputs,
    ...rest,
  };
}
