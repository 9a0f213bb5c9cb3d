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
import { Transform, type Duplex, type Readable, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { formatLimit } from './limits.js';
import { WorkbookRefused, WorkbookTooLarge } from './xlsx-strings.js';

/** An entry of unzipper's Parse stream (unzipper 0.10, lib/parse.js): a PassThrough the inflated bytes are written into. */
export interface ZipEntry extends Readable {
  path: string;
  autodrain(): unknown;
  /** The entry's local file header, as unzipper read it. */
  vars?: { flags: number; crc32: number };
}

/** A PassThrough's own hooks, which `checkCrc` wraps. */
interface TransformHooks {
  _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void;
  _flush?(callback: TransformCallback): void;
}

/** The entries whose bytes did not match their CRC-32, once all of them have passed. */
const DAMAGED = new WeakSet<object>();
/** The entries checked (`checkCrc`): those with their CRC-32 before their bytes. */
const CHECKED = new WeakSet<object>();

/**
 * Checks an entry's bytes, as they pass to whoever reads them, against the CRC-32 its local file
 * header records (PKWARE's APPNOTE.TXT 4.4.7, https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT);
 * unzipper never does: a sheet whose 100 was changed to 900 on the way loaded a total of 900.
 * Hooked as unzipper hands the entry on, before any of its bytes are written into it (it parses
 * ahead of the reader), and read by `verify` once its reader has read it to its end: no entry is
 * held or read twice, and none ends with an error no one may be listening for. An entry whose CRC
 * comes after its bytes (a data descriptor, flag bit 3) is not checked: unzipper reads that only
 * once the entry has ended, and keeps no CRC of it.
 */
export function checkCrc(entry: ZipEntry): void {
  const header = entry.vars;
  if (header === undefined || (header.flags & 0x08) !== 0) return;
  CHECKED.add(entry);
  const hooks = entry as unknown as TransformHooks;
  const pass = hooks._transform;
  let crc = 0;
  hooks._transform = function (this: unknown, chunk, encoding, callback) {
    crc = crc32(chunk, crc);
    pass.call(this, chunk, encoding, callback);
  };
  hooks._flush = (callback) => {
    if (crc >>> 0 !== header.crc32 >>> 0) DAMAGED.add(entry);
    callback();
  };
}

/** Throws when the entry, read to its end, did not match its CRC-32 (`checkCrc`). */
export function verify(entry: ZipEntry): void {
  if (!DAMAGED.has(entry)) return;
  throw new WorkbookRefused(
    `the workbook is damaged: its part ${entry.path} does not match the checksum (CRC-32) stored with it, so its cells may not be what was saved; ` +
      'give the file again as it was sent (a copy or download may have changed it), or save it again from the spreadsheet program',
  );
}


/** The parts read by name (the sheets by SHEET; a sheet's hyperlinks are not read). */
const READ = new Set(['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml']);

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
    // Each part read below is checked against its CRC-32 as its bytes pass, hooked as unzipper hands it on.
    const push = zip.push;
    zip.push = function (this: Duplex, chunk: unknown, encoding?: BufferEncoding) {
      const entry = chunk as ZipEntry | null;
      if (entry !== null && typeof entry === 'object' && typeof entry.path === 'string' && (READ.has(entry.path) || SHEET.test(entry.path))) checkCrc(entry);
      return push.call(this, chunk, encoding);
    };
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
    // Sheets stored before the shared strings (or the workbook's relationships), or with a CRC-32 to check, parked in temporary files until those are read.
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
            verify(entry);
            break;
          case 'xl/workbook.xml':
            await this._parseWorkbook(entry);
            verify(entry);
            break;
          case 'xl/sharedStrings.xml':
            yield* this._parseSharedStrings(entry);
            verify(entry);
            break;
          case 'xl/styles.xml':
            await this._parseStyles(entry);
            verify(entry);
            break;
          default: {
            const sheet = SHEET.exec(entry.path);
            if (sheet !== null) {
              const sheetNo = sheet[1]!;
              // A sheet with its CRC-32 is parked too, and read once checked: read straight from the
              // zip, its rows were handed on before its end showed it damaged, and loaded with --skip-invalid.
              if (this.sharedStrings && this.workbookRels && !CHECKED.has(entry)) {
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
                verify(entry);
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
