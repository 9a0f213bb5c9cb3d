/**
 * Ctrl-C while a plain dry run reads a big workbook whose sheet waits in a temporary file
 * (src/input/xlsx-zip.ts parks a sheet until its CRC-32 is checked): the run ends with exit 130
 * and its report, and the temporary file is removed — Node's own end at the signal left it behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
// exceljs's own zip library: a big sheet written as XML text (exceljs's writer takes half a minute for it).
import JSZip from 'jszip';
import { spawnCli } from '../helpers/cli.js';
import { writeWorkbook } from '../helpers/workbook.js';
import type { ReportDocument } from '../../src/report/report.js';

let dir: string;
let book: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-xlsx-ctrl-c-'));
  book = join(dir, 'big.xlsx');
  const header = ['invoice_number', 'invoice_date', 'vendor', 'currency', 'total_amount', 'line_number', 'po_line', 'price', 'quantity', 'fund_code'];
  await writeWorkbook(book, [{ name: 'S', rows: [header] }]);
  const zip = await JSZip.loadAsync(readFileSync(book));
  const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
  const text = (ref: string, t: string) => `<c r="${ref}" t="inlineStr"><is><t>${t}</t></is></c>`;
  const num = (ref: string, n: number) => `<c r="${ref}"><v>${n}</v></c>`;
  const rows: string[] = [`<row r="1">${header.map((h, i) => text(`${String.fromCharCode(65 + i)}1`, h)).join('')}</row>`];
  // 150,000 one-line invoices: seconds to read, far longer than the signal takes to arrive.
  for (let r = 2; r <= 150_001; r++) {
    rows.push(
      `<row r="${r}">${text(`A${r}`, `B-${r}`)}${text(`B${r}`, '2025-03-03')}${text(`C${r}`, 'GOBI')}${text(`D${r}`, 'USD')}${num(`E${r}`, 10)}` +
        `${num(`F${r}`, 1)}${text(`G${r}`, 'POL-1002')}${num(`H${r}`, 10)}${num(`I${r}`, 1)}${text(`J${r}`, 'BIO')}</row>`,
    );
  }
  zip.file('xl/worksheets/sheet1.xml', xml.replace(/<sheetData[\s\S]*<\/sheetData>|<sheetData\/>/, `<sheetData>${rows.join('')}</sheetData>`));
  writeFileSync(book, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once `ok()` holds, or fails after `ms`: a guard, not a wait. */
const until = async (ok: () => boolean, what: string, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Ctrl-C during a plain dry run of a big workbook', () => {
  it('removes the sheet\'s temporary file and exits 130 with the report ("stopped": "interrupted")', async () => {
    // The run's own temporary directory: its temporary files are the only ones in it.
    const temp = join(dir, 'tmp');
    mkdirSync(temp);
    // A rejects file of an earlier, finished run: an interrupted read checked no row, so it stays.
    const rejects = join(dir, 'rejects.csv');
    writeFileSync(rejects, 'earlier run\n');
    const html = join(dir, 'report.html');
    const run = spawnCli(['--dry-run', '--json', '--rejects', rejects, '--report-html', html, book], { env: { TMPDIR: temp, INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, timeoutMs: 60_000 });
    let exited = false;
    run.child.on('exit', () => (exited = true));
    await until(() => exited || readdirSync(temp).length > 0, 'the sheet parked in a temporary file', 30_000);
    expect(exited, 'the run ended before its sheet was parked').toBe(false);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect([r.code, r.signal], r.stderr).toEqual([130, null]);
    expect(r.stderr).toContain('invoice-load: interrupted while the batch was read; nothing was sent');
    expect(JSON.parse(r.stdout) as ReportDocument).toMatchObject({ dry_run: true, stopped: 'interrupted', summary: { invoices: 0 } });
    expect(readdirSync(temp)).toEqual([]);
    expect(readFileSync(rejects, 'utf8')).toBe('earlier run\n');
    expect(r.stderr).toContain('rejects.csv was not written: the batch was not read to its end');
    // Not "nothing to do", and no journal for a dry run to resume from.
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('interrupted before the batch was read');
    expect(page).toContain('The dry run was interrupted');
    expect(page).not.toContain('nothing to do');
    expect(page).not.toContain('journal');
  }, 120_000);
});
