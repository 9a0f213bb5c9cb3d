/**
 * The reports for people (`--report-csv`, `--report-html`): rendered by pure functions from the
 * report document, written atomically so a mail job or a web server never picks up half a file.
 */
import type { Config } from './config.js';
import type { ReportDocument } from '../report/report.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { writeOutputFile } from '../common/fs.js';
import { UsageError } from '../common/errors.js';
import { unwrittenReason } from './outputs.js';
import { targetNamed } from '../targets/registry.js';
import { filesRead } from '../input/owner-file.js';

export function writeReportFiles(cfg: Pick<Config, 'reportCsvPath' | 'reportHtmlPath' | 'files'>, report: ReportDocument, now: Date = new Date()): void {
  const write = (path: string, what: string, text: string): void => {
    try {
      writeOutputFile(path, text);
    } catch (err) {
      // A path mistake, not a bug; the journal already holds what was done, so a re-run only writes the file.
      throw new UsageError(`cannot write the ${what} report to ${path}: ${unwrittenReason(path, err)}`);
    }
  };
  if (cfg.reportCsvPath) write(cfg.reportCsvPath, 'CSV', renderCsv(report, targetNamed(report.target).label));
  if (cfg.reportHtmlPath) write(cfg.reportHtmlPath, 'HTML', renderHtml(report, { generatedAt: now, files: filesRead(cfg.files, report.issues), label: targetNamed(report.target).label }));
}
