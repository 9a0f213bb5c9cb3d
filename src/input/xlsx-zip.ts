/**
 * The parts of a workbook's zip, read as a stream: a replacement for exceljs's
 * `WorkbookReader.prototype.parse` (exceljs 4.4, lib/stream/xlsx/workbook-reader.js) that hands
 * on every entry of the zip (src/input/xlsx.ts `workbookReaderClass`).
 *
 * exceljs read the entries of unzipper's `Parse` stream with its `iterate-stream` helper, which
 * stops at the stream's 'end' event. unzipper's Parse emits 'end' itself once it has parsed the
 * end of the zip (on its own 'finish'), and it parses ahead of the reader: a small entry goes into
 * its stream's buffer unread, and the next one is parsed. While the reader was busy with one entry
 * (writing a sheet to its temporary file, reading the styles), the parse could reach the end of the
 * zip, and the entries it had parsed but not yet handed on were dropped. exceljs's own writer
 * stores `xl/workbook.xml` last: dropped, the reader failed on the first sheet with "Cannot read
 * properties of undefined (reading 'sheets')" — an `invalid_workbook` for a valid workbook, now
 * and then, more often under load (https://github.com/exceljs/exceljs/issues/3064). LibreOffice
 * stores the workbook's relationships and shared strings after the sheets: dropped, its workbook
 * read as "the workbook has no sheets".
 *
 * Node's own async iterator of the stream (`zipEntries`) takes every entry in its buffer before
 * it ends. Everything else is exceljs's `parse` as it was.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Duplex, type Readable } from 'node:stream';
import { formatLimit } from './limits.js';
import { WorkbookTooLarge } from './xlsx-strings.js';

/** An entry of unzipper's Parse stream (unzipper 0.10, lib/parse.js). */
export interface ZipEntry extends Readable {
  path: string;
  autodrain(): unknown;
}

type IterateStream = (stream: unknown) => AsyncIterable<unknown>;
type TmpFile = (cb: (err: Error | null, path: string, fd: number, cleanup: () => void) => void) => void;

/** What `parse` uses of exceljs's WorkbookReader. */
interface ReaderParts {
  input: unknown;
  options: unknown;
  stream?: unknown;
  sharedStrings?: unknown;
  workbookRels?: unknown;
  _getStream(input: unknown): Readable;
  _parseRels(entry: ZipEntry): Promise<void>;
  _parseWorkbook(entry: ZipEntry): Promise<void>;
  _parseSharedStrings(entry: ZipEntry): AsyncIterable<unknown>;
  _parseStyles(entry: ZipEntry): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<unknown>;
  _parseHyperlinks(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<unknown>;
}

/**
 * The entries of unzipper's Parse stream, every one, in stored order. Node's async iterator ends
 * only when the stream's buffer is empty and the stream has ended, so the 'end' unzipper emits
 * while entries still wait in its buffer loses none of them.
 */
export async function* zipEntries(zip: Readable): AsyncGenerator<ZipEntry, void, undefined> {
  for await (const entry of zip) yield entry as ZipEntry;
}

/**
 * Bytes of sheet XML parked in temporary files, all sheets of a workbook together. A 2 MB workbook
 * whose 2 GB sheet is stored before the workbook part wrote 2 GB to the temporary directory (a zip
 * bomb: deflate packs a repeated text a thousand to one). 1 GiB is some 4 million rows of 25
 * filled cells, more than the 1,048,576 rows a sheet can have (Excel's specifications and limits,
 * https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3).
 */
export const MAX_PARKED_BYTES = 1024 * 1024 * 1024;

const SHEET = /xl\/worksheets\/sheet(\d+)[.]xml/;
const SHEET_RELS = /xl\/worksheets\/_rels\/sheet(\d+)[.]xml.rels/;

/**
 * exceljs's `parse`, reading the zip with `zipEntries`. Its helpers are exceljs's own, passed in:
 * unzipper's `Parse`, its `iterate-stream` (for an entry's bytes: an entry's stream ends as
 * streams do), and tmp's `file`.
 */
export function workbookPartsReader(unzipParse: (opts: { forceStream: boolean }) => Duplex, iterateStream: IterateStream, tmpFile: TmpFile, maxParked = MAX_PARKED_BYTES) {
  return async function* (this: ReaderParts, input?: unknown, options?: unknown): AsyncGenerator<unknown, void, undefined> {
    if (options) this.options = options;
    const stream = this._getStream(input || this.input);
    this.stream = stream;
    const zip = unzipParse({ forceStream: true });
    // A read error of the file (EIO) ends the entry being read and the zip with it: `pipe` does not
    // pass it on, so the zip waited for bytes that never came, and the error, heard by no one,
    // ended the process (exit 1, no report).
    let reading: ZipEntry | undefined;
    stream.on('error', (err) => {
      reading?.destroy(err);
      zip.destroy(err);
    });
    // A zip that ends in the middle of an entry (a file still being copied): unzipper emits
    // FILE_ENDED on the zip but never ends the entry, so whoever reads the entry (a sheet's
    // parse, its copy to a temporary file) waited for ever and the process exited 13 with no
    // report. The entry is ended with the error: the workbook is then "cut short", as a cut
    // between entries already was (xlsx.ts notAWorkbook).
    let ended: Error | undefined;
    zip.on('error', (err: Error) => {
      ended ??= err;
      if (reading === undefined || reading.readableEnded || reading.destroyed) return;
      // Its reader hears the error (a listener is there whoever reads it): none is thrown unheard.
      reading.on('error', () => {});
      reading.destroy(err);
    });
    stream.pipe(zip);
    // Sheets stored before the shared strings (or the workbook's relationships), parked in temporary files until those are read.
    const waiting: { sheetNo: string; path: string; cleanup: () => void }[] = [];
    let parked = 0;
    try {
      for await (const entry of zipEntries(zip)) {
        // An entry handed on after the zip failed is one whose bytes were still coming: it never ends.
        if (ended !== undefined) throw ended;
        reading = entry;
        switch (entry.path) {
          case '_rels/.rels':
            break;
          case 'xl/_rels/workbook.xml.rels':
            await this._parseRels(entry);
            break;
          case 'xl/workbook.xml':
            await this._parseWorkbook(entry);
            break;
          case 'xl/sharedStrings.xml':
            yield* this._parseSharedStrings(entry);
            break;
          case 'xl/styles.xml':
            await this._parseStyles(entry);
            break;
          default: {
            const sheet = SHEET.exec(entry.path);
            if (sheet !== null) {
              const sheetNo = sheet[1]!;
              if (this.sharedStrings && this.workbookRels) {
                yield* this._parseWorksheet(iterateStream(entry), sheetNo);
              } else {
                await new Promise<void>((resolve, reject) => {
                  tmpFile((err, path, _fd, cleanup) => {
                    if (err) return reject(err);
                    waiting.push({ sheetNo, path, cleanup });
                    const file = createWriteStream(path);
                    file.on('error', reject);
                    entry.on('error', reject);
                    // Failed while the temporary file was being made (a zip cut short): its error is past.
                    if (entry.errored !== null) return reject(entry.errored);
                    // Counted as it is copied: past the bound, the copy stops (the file is removed below).
                    const counted = new Transform({
                      transform(chunk: Buffer, _enc, done) {
                        parked += chunk.length;
                        if (parked <= maxParked) return done(null, chunk);
                        done(
                          new WorkbookTooLarge(
                            `the workbook's sheets unpack to more than the ${formatLimit(maxParked)} bytes the loader reads of one workbook: more than any batch, so the file is damaged or made to fill the disk; save the batch again from the spreadsheet program, or as CSV UTF-8`,
                          ),
                        );
                      },
                    });
                    counted.on('error', (err) => {
                      entry.unpipe(counted);
                      file.destroy();
                      reject(err);
                    });
                    entry.pipe(counted).pipe(file);
                    file.on('finish', resolve);
                  });
                });
              }
              break;
            }
            const rels = SHEET_RELS.exec(entry.path);
            if (rels !== null) yield* this._parseHyperlinks(iterateStream(entry), rels[1]!);
            break;
          }
        }
        entry.autodrain();
      }
      reading = undefined;
      while (waiting.length > 0) {
        const { sheetNo, path } = waiting[0]!;
        yield* this._parseWorksheet(createReadStream(path), sheetNo);
        waiting.shift()!.cleanup();
      }
    } finally {
      // A workbook refused or failed part-way: its parked sheets are removed now, not at the process's exit.
      for (const { cleanup } of waiting.splice(0)) cleanup();
    }
  };
}
