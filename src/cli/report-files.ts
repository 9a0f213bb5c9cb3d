/**
 * The reports for people (`--report-csv`, `--report-html`): rendered by pure functions from the
 * report document, written atomically so a mail job or a web server never picks up half a file.
 */
import { outputClaim, type Config } from './config.js';
import type { ReportDocument } from '../report/report.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { writeOutputFile } from '../common/fs.js';
import { UsageError } from '../common/errors.js';
import { unwrittenReason } from './outputs.js';
import { targetNamed } from '../targets/registry.js';
import { filesRead } from '../input/owner-file.js';

/** The paths written (another than the one configured when that name in a folder was taken: config.ts outputClaim). */
export function writeReportFiles(cfg: Pick<Config, 'reportCsvPath' | 'reportHtmlPath' | 'files' | 'inFolder'>, report: ReportDocument, now: Date = new Date()): { csv?: string; html?: string } {
  const write = (path: string, what: string, text: string): string => {
    try {
      return writeOutputFile(path, text, { claim: outputClaim(cfg, path) });
    } catch (err) {
      // A path mistake, not a bug; the journal already holds what was done, so a re-run only writes the file.
      throw new UsageError(`cannot write the ${what} report to ${path}: ${unwrittenReason(path, err)}`);
    }
  };
  const written: { csv?: string; html?: string } = {};
  if (cfg.reportCsvPath) written.csv = write(cfg.reportCsvPath, 'CSV', renderCsv(report, targetNamed(report.target).label));
  if (cfg.reportHtmlPath) written.html = write(cfg.reportHtmlPath, 'HTML', renderHtml(report, { generatedAt: now, files: filesRead(cfg.files, report.issues), label: targetNamed(report.target).label }));
  return written;
}
