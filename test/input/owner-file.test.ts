/**
 * A spreadsheet program's lock file beside an open document (`~$march.xlsx` from Excel,
 * `.~lock.march.xlsx#` from LibreOffice) that a glob took in: known by its name and its layout,
 * left out with a warning when its document is read too (the batch, and its identity, as
 * without it), an error that says what it is when it came alone — not an unreadable workbook
 * or a "UTF-16LE" CSV that stopped the whole batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readBatch } from '../../src/cli/batch.js';
import { readOwnerFile } from '../../src/input/owner-file.js';
import { batchStoppers } from '../../src/plan/plan.js';
import { ROOT } from '../helpers/cli.js';
import { excelOwnerFile, workbookFromCsv } from '../helpers/workbook.js';

const LIBRE = ',jane,jane-pc,07.12.2026 09:14,file:///home/jane/.config/libreoffice/4;';

describe('readOwnerFile', () => {
  it("reads Excel's layout and its owner, in any script", () => {
    expect(readOwnerFile('drop/~$march.xlsx', excelOwnerFile('Jane Librarian'))).toEqual({ program: 'Excel', of: 'march.xlsx', owner: 'Jane Librarian' });
    expect(readOwnerFile('~$b.csv', excelOwnerFile('Zoë'))).toEqual({ program: 'Excel', of: 'b.csv', owner: 'Zoë' });
  });

  it("reads LibreOffice's line: the name from its options, else the system user", () => {
    expect(readOwnerFile('.~lock.march.xlsx#', Buffer.from(LIBRE))).toEqual({ program: 'LibreOffice', of: 'march.xlsx', owner: 'jane' });
    expect(readOwnerFile('drop/.~lock.b.csv#', Buffer.from(`Jane Librarian${LIBRE}\n`))).toMatchObject({ program: 'LibreOffice', of: 'b.csv', owner: 'Jane Librarian' });
  });

  it('an owner file of the right size without a readable name has no owner', () => {
    expect(readOwnerFile('~$march.xlsx', Buffer.alloc(165, 0))).toEqual({ program: 'Excel', of: 'march.xlsx', owner: undefined });
  });

  it('never by its name alone: a batch named like one, or a large file, is read as the batch', () => {
    const csv = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'));
    expect(readOwnerFile('~$march.csv', csv)).toBeUndefined();
    expect(readOwnerFile('~$march.csv', Buffer.from('vendor,invoice_number\nGOBI,1\n'))).toBeUndefined();
    expect(readOwnerFile('.~lock.x.csv#', Buffer.from('vendor,invoice_number\nGOBI,1\n'))).toBeUndefined();
    // Excel's sizes (162, 165) name it only when the bytes are not text.
    for (const size of [162, 165]) {
      const text = Buffer.from('vendor,invoice_number,invoice_date,total_amount\n'.padEnd(size - 1, 'x') + '\n');
      expect(text.length).toBe(size);
      expect(readOwnerFile('~$march.csv', text)).toBeUndefined();
    }
    expect(readOwnerFile('march.xlsx', excelOwnerFile('Jane'))).toBeUndefined();
    expect(readOwnerFile('~$march.xlsx', Buffer.concat([excelOwnerFile('Jane'), Buffer.alloc(5000)]))).toBeUndefined();
  });
});

describe('a lock file among the inputs', () => {
  let dir: string;
  let workbook: string;
  let csv: string;
  const opts = { encoding: 'utf-8' as const, stdin: Readable.from([]), today: '2026-12-07' };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-owner-'));
    const text = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8');
    workbook = join(dir, 'march.xlsx');
    await workbookFromCsv(workbook, text);
    writeFileSync(join(dir, '~$march.xlsx'), excelOwnerFile('Jane Librarian'));
    csv = join(dir, 'b.csv');
    writeFileSync(csv, text);
    writeFileSync(join(dir, '~$b.csv'), excelOwnerFile('Jane Librarian'));
    writeFileSync(join(dir, '.~lock.b.csv#'), LIBRE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('beside its workbook: left out with a warning, the same batch as without it', async () => {
    const lock = join(dir, '~$march.xlsx');
    const alone = await readBatch([workbook], opts);
    const both = await readBatch([lock, workbook], opts);
    expect(batchStoppers(both)).toEqual([]);
    expect(both.issues.map((p) => [p.file, p.code, p.severity, p.message])).toEqual([
      [lock, 'lock_file', 'warning', "this is Excel's lock file for march.xlsx (it is open in Excel by Jane Librarian): left out; march.xlsx itself is read, without any change not yet saved in Excel"],
    ]);
    expect(both.entries.filter((e) => e.invoice !== undefined)).toHaveLength(7);
    expect(both.batchId).toBe(alone.batchId);
  });

  it("beside its CSV: Excel's and LibreOffice's, each left out", async () => {
    const plan = await readBatch([join(dir, '.~lock.b.csv#'), csv, join(dir, '~$b.csv')], opts);
    expect(batchStoppers(plan)).toEqual([]);
    expect(plan.issues.map((p) => [p.code, p.severity])).toEqual([
      ['lock_file', 'warning'],
      ['lock_file', 'warning'],
    ]);
    expect(plan.issues[0]!.message).toMatch(/^this is LibreOffice's lock file for b\.csv \(it is open in LibreOffice by jane\): left out/);
    expect(plan.batchId).toBe((await readBatch([csv], opts)).batchId);
  });

  it('alone: one error that says what it is and what to do, not an unreadable workbook', async () => {
    const lock = join(dir, '~$march.xlsx');
    const plan = await readBatch([lock], opts);
    expect(batchStoppers(plan).map((p) => [p.file, p.code, p.message])).toEqual([[lock, 'lock_file', "this is Excel's lock file for march.xlsx (it is open in Excel by Jane Librarian); leave it out"]]);
    const csvLock = await readBatch([join(dir, '~$b.csv')], opts);
    expect(csvLock.issues.map((p) => [p.code, p.message])).toEqual([['lock_file', "this is Excel's lock file for b.csv (it is open in Excel by Jane Librarian); leave it out"]]);
  });
});
