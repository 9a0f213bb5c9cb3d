/**
 * Every report writer on a report of N invoices (default 1,000,000), built in memory: one in
 * twenty invalid with a problem, the rest planned with one line. Measures the writer alone —
 * no file is read — so it shows whether output scales (README "Reliability"). One writer per
 * process, so each peak resident set is its own. Needs `npm run build`.
 *
 *   node bench/report-writers.mjs [N] [human|json|csv|html]
 */
import { renderHuman, plainStyle } from '../dist/report/human.js';
import { renderCsv } from '../dist/report/csv.js';
import { renderHtml } from '../dist/report/html.js';
import { writeJson } from '../dist/common/json.js';
import { dryRunReport } from '../dist/report/report.js';

const N = Number(process.argv[2] ?? 1_000_000);
const which = process.argv[3] ?? 'human';
const WRITERS = {
  human: (report) => renderHuman(report, plainStyle, {}).length,
  // In pieces, as the CLI writes --json and --report.
  json: (report) => {
    let n = 0;
    writeJson(report, 2, (text) => (n += text.length), { plain: true });
    return n;
  },
  csv: (report) => renderCsv(report).length,
  html: (report) => renderHtml(report, { generatedAt: new Date(), files: ['big.csv'] }).length,
};
if (!(which in WRITERS) || !Number.isSafeInteger(N) || N < 1) {
  process.stderr.write('usage: node bench/report-writers.mjs [N] [human|json|csv|html]\n');
  process.exit(2);
}

const invoices = [];
for (let i = 0; i < N; i++) {
  const inv = { vendor: 'GOBI', number: `B-${i}`, status: 'planned', alerts: [], lines: [{ number: '1' }], issues: [], rows: [{ file: 'big.csv', row: i + 2 }], total: '1.00', currency: 'USD' };
  if (i % 20 === 0) {
    inv.status = 'invalid';
    inv.issues = [{ file: 'big.csv', row: i + 2, column: 'invoice_date', code: 'invalid_date', message: 'invoice_date "2025-02-30" is not a real date (expected YYYY-MM-DD)', severity: 'error' }];
  }
  invoices.push(inv);
}
const report = dryRunReport('alma', invoices, []);
const mb = (bytes) => `${Math.round(bytes / 1048576)} MB`;
const before = process.memoryUsage().rss;
const start = performance.now();
const chars = WRITERS[which](report);
const seconds = (performance.now() - start) / 1000;
process.stdout.write(
  `${which}: ${N.toLocaleString('en-US')} invoices, ${mb(chars)} of text in ${seconds.toFixed(1)} s; ` +
    `resident ${mb(before)} with the report built, peak ${mb(process.resourceUsage().maxRSS * 1024)}\n`,
);
