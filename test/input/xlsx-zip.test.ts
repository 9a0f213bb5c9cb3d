/**
 * The workbook's zip read to its last entry (src/input/xlsx-zip.ts): unzipper's Parse stream says
 * it has ended once it has parsed the end of the zip, while entries it parsed ahead of the reader
 * still wait in its buffer.
 */
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Readable, type Duplex } from 'node:stream';
import ExcelJS from 'exceljs';
// exceljs's own zip library, as the workbooks of the other tests are written.
import JSZip from 'jszip';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unreadable, WorkbookReader, workbookReaderClass } from '../../src/input/xlsx.js';
import { MAX_PARKED_BYTES, workbookPartsReader, zipEntries } from '../../src/input/xlsx-zip.js';
import { WorkbookTooLarge } from '../../src/input/xlsx-strings.js';

// unzipper as exceljs loads it (src/input/xlsx.ts).
const fromExceljs = createRequire(createRequire(import.meta.url).resolve('exceljs'));
const unzipper = fromExceljs('unzipper') as { Parse: (opts: { forceStream: boolean }) => Duplex };

/** The parts of a workbook in the order exceljs's writer stores them: the sheets first, xl/workbook.xml last. */
const PARTS = [
  '[Content_Types].xml',
  '_rels/.rels',
  'xl/_rels/workbook.xml.rels',
  'xl/worksheets/sheet1.xml',
  'xl/worksheets/sheet2.xml',
  'xl/sharedStrings.xml',
  'xl/theme/theme1.xml',
  'xl/styles.xml',
  'docProps/app.xml',
  'docProps/core.xml',
  'xl/workbook.xml',
];

async function zipOf(parts: readonly string[]): Promise<{ bytes: Buffer; names: string[] }> {
  const zip = new JSZip();
  for (const p of parts) zip.file(p, `<part name="${p}"/>`);
  return { bytes: await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }), names: Object.keys(zip.files) };
}

describe('zipEntries', () => {
  it('hands on every entry, in stored order, when the zip has been parsed to its end while the reader was busy with the first', async () => {
    const { bytes, names } = await zipOf(PARTS);
    const zip = unzipper.Parse({ forceStream: true });
    // unzipper emits 'end' itself (on its 'finish'), whatever is still in its buffer.
    const parsed = once(zip, 'end');
    zip.end(bytes);
    const seen: string[] = [];
    for await (const entry of zipEntries(zip)) {
      seen.push(entry.path);
      entry.autodrain();
      // The reader busy with one entry (a sheet written to its temporary file) until the parse
      // has reached the end of the zip: what a slow event loop does now and then.
      if (seen.length === 1) await parsed;
    }
    expect(seen).toEqual(names);
    expect(seen.at(-1)).toBe('xl/workbook.xml');
  });

  it('hands on every entry when nothing holds the reader up', async () => {
    const { bytes, names } = await zipOf(PARTS);
    const zip = unzipper.Parse({ forceStream: true });
    zip.end(bytes);
    const seen: string[] = [];
    for await (const entry of zipEntries(zip)) {
      seen.push(entry.path);
      entry.autodrain();
    }
    expect(seen).toEqual(names);
  });
});

describe("the workbook reader's zip", () => {
  it('a workbook stored with xl/workbook.xml last is read whole when the zip is parsed to its end while the reader is on its styles', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Invoices').addRows([['invoice_number', 'total_amount'], ['G-1', 12.5]]);
    wb.addWorksheet('Notes').addRows([['checked by'], ['A. Librarian']]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    // As exceljs writes it (the e2e test's workbook too): the sheets, their strings and styles, then the workbook part.
    expect(Object.keys((await JSZip.loadAsync(bytes)).files).at(-1)).toBe('xl/workbook.xml');
    const Reader = (await workbookReaderClass(ExcelJS)) as unknown as new (input: Readable, opts: object) => AsyncIterable<{ name: string } & AsyncIterable<{ values: unknown }>>;
    let parsed: Promise<unknown> | undefined;
    // The reader held up on the styles (a slow event loop) until the zip has been parsed to its end:
    // the zip is the stream the input is piped into, its 'end' the one unzipper emits on 'finish'.
    class Slow extends (Reader as unknown as new (input: Readable, opts: object) => object) {
      _getStream(input: Readable): Readable {
        const pipe = input.pipe.bind(input);
        input.pipe = <T extends NodeJS.WritableStream>(zip: T): T => {
          parsed = once(zip as unknown as Duplex, 'end');
          return pipe(zip);
        };
        return input;
      }

      async _parseStyles(entry: unknown): Promise<void> {
        await parsed;
        return (Reader.prototype as unknown as { _parseStyles: (e: unknown) => Promise<void> })._parseStyles.call(this, entry);
      }
    }
    const reader = new Slow(Readable.from([bytes]), { sharedStrings: 'cache', styles: 'cache', worksheets: 'emit', hyperlinks: 'ignore', entries: 'ignore' }) as unknown as AsyncIterable<
      { name: string } & AsyncIterable<{ values: unknown }>
    >;
    const sheets: [string, unknown[]][] = [];
    for await (const sheet of reader) {
      const rows: unknown[] = [];
      for await (const row of sheet) rows.push(row.values);
      sheets.push([sheet.name, rows]);
    }
    expect(parsed).toBeDefined();
    expect(sheets).toEqual([
      ['Invoices', [[undefined, 'invoice_number', 'total_amount'], [undefined, 'G-1', 12.5]]],
      ['Notes', [[undefined, 'checked by'], [undefined, 'A. Librarian']]],
    ]);
  });
});

describe('a read error of the workbook file', () => {
  /** A workbook of 300 rows, its parts in exceljs's order, or with the sheets after every other part (read straight from the zip, not parked in a file). */
  async function book(sheetsLast: boolean): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Invoices');
    ws.addRow(['invoice_number', 'vendor', 'total_amount']);
    for (let i = 1; i <= 300; i++) ws.addRow([`G-${i}`, `V${i % 7}`, i * 1.25]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    if (!sheetsLast) return bytes;
    const src = await JSZip.loadAsync(bytes);
    const names = Object.keys(src.files).filter((n) => !src.files[n]!.dir);
    const out = new JSZip();
    for (const n of [...names.filter((n) => !n.startsWith('xl/worksheets/')), ...names.filter((n) => n.startsWith('xl/worksheets/'))]) out.file(n, await src.files[n]!.async('uint8array'));
    return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
  }

  it.each([
    ['while the sheet is parked in its temporary file', false],
    ['in the middle of a sheet read straight from the zip', true],
  ])('%s is thrown, as a CSV file\'s is: no invalid_workbook, and no error heard by no one that ends the process', async (_, sheetsLast) => {
    const bytes = await book(sheetsLast);
    // Into the sheet's compressed bytes.
    const cut = bytes.indexOf('xl/worksheets/sheet1.xml') + 400;
    async function* failing(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < cut; at += 1024) yield bytes.subarray(at, Math.min(at + 1024, cut));
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const events: string[] = [];
    const reading = (async () => {
      for await (const batch of new WorkbookReader('book.xlsx', {}).read(failing())) for (const e of batch) events.push(e.kind === 'problem' ? e.problem.code : e.kind);
    })();
    await expect(reading).rejects.toMatchObject({ code: 'EIO' });
    expect(events).toEqual([]);
  });
});

describe('sheets parked in temporary files (stored before the shared strings)', () => {
  // A fuzz review's 2 MB workbook whose 2 GB sheet is stored first wrote 2 GB to $TMPDIR.
  const iterateStream = fromExceljs('exceljs/lib/utils/iterate-stream.js') as (s: unknown) => AsyncIterable<unknown>;
  /** A zip of a sheet of `sheetBytes` bytes stored before the shared strings, read by workbookPartsReader with `maxParked`: the sheets' texts read, the temporary files left, the error. */
  async function parse(sheetBytes: number, maxParked: number): Promise<{ sheets: string[]; left: string[]; err?: unknown }> {
    const zip = new JSZip();
    zip.file('xl/_rels/workbook.xml.rels', '<r/>');
    zip.file('xl/worksheets/sheet1.xml', `<x>${'a'.repeat(sheetBytes - 7)}</x>`);
    zip.file('xl/worksheets/sheet2.xml', '<x>b</x>');
    zip.file('xl/sharedStrings.xml', '<sst/>');
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-parked-'));
    let n = 0;
    const tmpFile = (cb: (err: Error | null, path: string, fd: number, cleanup: () => void) => void) => {
      const path = join(dir, `sheet${++n}`);
      writeFileSync(path, '');
      cb(null, path, -1, () => rmSync(path, { force: true }));
    };
    const drain = async (entry: AsyncIterable<unknown>) => {
      for await (const _ of entry) void _;
    };
    const self = {
      input: Readable.from([bytes]),
      options: {},
      _getStream: (input: Readable) => input,
      _parseRels: async function (this: { workbookRels?: unknown }, entry: AsyncIterable<unknown>) {
        await drain(entry);
        this.workbookRels = [];
      },
      _parseWorkbook: drain,
      _parseStyles: drain,
      _parseSharedStrings: async function* (this: { sharedStrings?: unknown }, entry: AsyncIterable<unknown>) {
        await drain(entry);
        this.sharedStrings = [];
      },
      _parseWorksheet: async function* (iterator: AsyncIterable<Buffer | string>) {
        let text = '';
        for await (const c of iterator) text += c.toString();
        yield text.length > 20 ? `${text.slice(0, 4)}…${text.length}` : text;
      },
      _parseHyperlinks: function* () {},
    };
    const read = workbookPartsReader((opts) => unzipper.Parse(opts), iterateStream, tmpFile, maxParked);
    const sheets: string[] = [];
    let err: unknown;
    try {
      for await (const s of read.call(self as never)) sheets.push(String(s));
    } catch (e) {
      err = e;
    }
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    return { sheets, left, ...(err !== undefined ? { err } : {}) };
  }

  it('up to the bound are read, and their files removed', async () => {
    expect(await parse(200_000, 200_008)).toEqual({ sheets: ['<x>a…200000', '<x>b</x>'], left: [] });
  });

  it('past the bound stop the read with WorkbookTooLarge, said plainly, and the file written so far is removed', async () => {
    const { sheets, left, err } = await parse(200_000, 100_000);
    expect([sheets, left]).toEqual([[], []]);
    expect(err).toBeInstanceOf(WorkbookTooLarge);
    expect(unreadable(err)).toBe(
      "the workbook's sheets unpack to more than the 100,000 bytes the loader reads of one workbook: more than any batch, so the file is damaged or made to fill the disk; save the batch again from the spreadsheet program, or as CSV UTF-8",
    );
  });

  it('the bound is 1 GiB', () => expect(MAX_PARKED_BYTES).toBe(1024 ** 3));
});
