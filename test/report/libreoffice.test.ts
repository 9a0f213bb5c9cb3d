/**
 * The CSV report opened in a real spreadsheet: LibreOffice (Debian's libreoffice-calc, headless)
 * converts it to .xlsx, and the cells are read back. A 17-digit Alma id, an invoice number with
 * leading zeros and one that looks like a date must come back exactly as written.
 * Without `soffice` (.ci/run installs it) the test is skipped, and says so.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ExcelJS from 'exceljs';
import { renderCsv } from '../../src/report/csv.js';
import { mixedReport } from './fixtures.js';

const soffice = spawnSync('soffice', ['--version'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
if (!soffice) console.warn('test/report/libreoffice.test.ts: skipped — soffice (Debian libreoffice-calc) is not installed; .ci/run installs it');

describe.skipIf(!soffice)('CSV report through LibreOffice', () => {
  it('keeps a 17-digit id, 00123 and a date-like number intact; amounts stay numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-lo-'));
    try {
      const report = mixedReport();
      Object.assign(report.invoices[0]!, { number: '00123', id: '53100000050004146', total: '10.00' });
      Object.assign(report.invoices[1]!, { number: '03-04' });
      const csv = join(dir, 'report.csv');
      writeFileSync(csv, renderCsv(report));
      // Its own profile folder, so parallel runs do not share LibreOffice's lock.
      execFileSync('soffice', [`-env:UserInstallation=${pathToFileURL(join(dir, 'profile')).href}`, '--headless', '--convert-to', 'xlsx', '--outdir', dir, csv], { timeout: 120_000, stdio: 'pipe' });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(join(dir, 'report.xlsx'));
      const sheet = wb.worksheets[0]!;
      const header = (sheet.getRow(1).values as unknown[]).map(String);
      const cell = (row: number, name: string): unknown => {
        const v = sheet.getRow(row).getCell(header.indexOf(name)).value;
        return v !== null && typeof v === 'object' && 'result' in v ? v.result : v;
      };
      expect(cell(2, 'alma_id')).toBe('53100000050004146');
      expect(cell(2, 'number')).toBe('00123');
      expect(cell(3, 'number')).toBe('03-04');
      expect(cell(2, 'total')).toBe(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
