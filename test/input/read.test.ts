import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedAfterRead, detectFormat, howChanged, openInputFile, readRecords, type InputEvent, type InputSource } from '../../src/input/read.js';
import { UsageError } from '../../src/common/errors.js';
import { codes, fixture, fixtureBytes, read, utf8 } from './helpers.js';

async function collect(source: InputSource, encoding: 'utf-8' | 'windows-1252' = 'utf-8'): Promise<InputEvent[]> {
  const out: InputEvent[] = [];
  for await (const e of readRecords(source, { encoding })) out.push(e);
  return out;
}

describe('detectFormat', () => {
  it.each([
    ['a.csv', undefined, 'csv'],
    ['A.CSV', undefined, 'csv'],
    ['a.txt', '{', 'csv'],
    ['a.tsv', undefined, 'csv'],
    ['a.json', 'x', 'json'],
    ['dir.v2/a.jsonl', undefined, 'jsonl'],
    ['a.ndjson', undefined, 'jsonl'],
    ['-', '  \n [{"a":1}]', 'json'],
    ['-', '{"a":1}', 'json'],
    ['-', 'invoice_number,vendor', 'csv'],
    ['-', undefined, 'csv'],
    ['invoices.dat', '\ufeff', 'csv'],
    ['invoices', '\n{', 'json'],
  ] as const)('%s with %j → %s', (name, first, expected) => {
    expect(detectFormat(name, first)).toBe(expected);
  });
});

describe('a file that is not a batch', () => {
  it.each([
    ['invoice.pdf', [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0xe2, 0xe3, 0x0a, 0x31, 0x20, 0x30, 0x22], /PDF document/],
    ['batch.csv', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00], /name it \.xlsx/],
    ['-', [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00], /gzip-compressed/],
  ])('%s: one error for the file, naming what it is, and no rows', async (name, content, message) => {
    const r = await read(name, Uint8Array.from(content), { cuts: [2] });
    expect(r.records).toEqual([]);
    expect(r.problems.map((p) => [p.file, p.row, p.code, p.severity])).toEqual([[name, undefined, 'binary_file', 'error']]);
    expect(r.problems[0]!.message).toMatch(message);
  });
});

describe('an OpenDocument spreadsheet, and a workbook on standard input', () => {
  // As LibreOffice writes one: a stored `mimetype` entry first, naming the document's type.
  const openDocument = async (type: string): Promise<Uint8Array> => {
    const zip = new JSZip();
    zip.file('mimetype', type, { compression: 'STORE' });
    zip.file('content.xml', '<office:document-content/>');
    return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
  };
  const ODS = /^this is an OpenDocument spreadsheet \(\.ods, as LibreOffice saves by default\), which is not read: save it as "Excel 2007-365 \(\.xlsx\)"/;
  it.each([
    ['batch.ods', 'binary_file'],
    ['batch.csv', 'binary_file'],
    ['batch.xlsx', 'unsupported_format'], // not "the workbook has no sheets"
  ])('%s is named as one, with how to save it (%s)', async (name, code) => {
    const r = await read(name, await openDocument('application/vnd.oasis.opendocument.spreadsheet'));
    expect(r.problems.map((p) => [p.file, p.code])).toEqual([[name, code]]);
    expect(r.problems[0]!.message).toMatch(ODS);
  });
  it('another OpenDocument (a text) is a zip archive like any other', async () => {
    const r = await read('letter.odt', await openDocument('application/vnd.oasis.opendocument.text'));
    expect(r.problems[0]!.message).toMatch(/^this is a zip archive, as an Excel workbook is: if it is one, name it \.xlsx/);
  });
  it.each([
    ['an OpenDocument text', (z: JSZip) => z.file('mimetype', 'application/vnd.oasis.opendocument.text', { compression: 'STORE' }).file('content.xml', '<x/>')],
    ['any other archive', (z: JSZip) => z.file('notes.txt', 'hello')],
  ])('a zip that holds no workbook, named .xlsx (%s), is a workbook without sheets, not told to be named .xlsx', async (_name, fill) => {
    const r = await read('batch.xlsx', await fill(new JSZip()).generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
    expect(r.problems.map((p) => [p.code, p.message])).toEqual([['sheet_not_found', 'the workbook has no sheets']]);
  });
  it('an OpenDocument spreadsheet on standard input is named as one: it is not a zip archive to be given by its path', async () => {
    const r = await read('-', await openDocument('application/vnd.oasis.opendocument.spreadsheet'));
    expect(r.problems.map((p) => p.code)).toEqual(['binary_file']);
    expect(r.problems[0]!.message).toMatch(ODS);
  });
  it('a zip on standard input is not told to be named .xlsx, but to be given by its path', async () => {
    const r = await read('-', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00]));
    expect(r.problems.map((p) => [p.code, p.message])).toEqual([
      ['binary_file', 'this is a zip archive, as an Excel workbook is: a workbook is read from its file, not from standard input; give its path (invoice-load batch.xlsx)'],
    ]);
  });
});

describe('empty files', () => {
  it.each(['empty.csv', 'bom-only.csv'])('%s is one empty_file error', async (name) => {
    const r = await read(name, await fixtureBytes(name));
    expect(r.problems).toEqual([{ file: name, code: 'empty_file', message: 'the file is empty', severity: 'error' }]);
    expect(r.records).toEqual([]);
  });

  it.each(['x.json', 'x.jsonl', '-'])('%s with nothing but blank lines is empty_file', async (name) => {
    expect(codes(await read(name, ' \r\n\n\t'))).toEqual(['empty_file@-']);
  });
});

describe("a Ctrl-Z (0x1A) after the last row, an old DOS end-of-file marker", () => {
  it.each(['x.csv', 'x.jsonl', 'x.json'])('%s: not a row, not a problem', async (name) => {
    const text = name === 'x.csv' ? 'vendor,invoice_number\r\nGOBI,1\r\nGOBI,2\r\n' : name === 'x.jsonl' ? '{"vendor":"GOBI"}\n{"vendor":"EBSCO"}\n' : '[{"vendor":"GOBI"},\r\n{"vendor":"EBSCO"}]\r\n';
    const r = await read(name, text + '\u001a');
    expect(r.problems).toEqual([]);
    expect(r.records).toHaveLength(2);
  });

  it('a file of nothing else is empty', async () => {
    expect(codes(await read('x.csv', '\u001a'))).toEqual(['empty_file@-']);
  });
});

describe('encodings', () => {
  it('bom.csv: the BOM does not end up in the first column name', async () => {
    const r = await read('bom.csv', await fixtureBytes('bom.csv'));
    expect(r.records.map((x) => x.fields)).toEqual([
      { invoice_number: 'INV-1', vendor: 'ACME', total_amount: '10.00' },
      { invoice_number: 'INV-2', vendor: 'ACME', total_amount: '20.00' },
    ]);
  });

  it('windows-1252.csv read as UTF-8: invalid_encoding on line 4, and every row still read (U+FFFD for the bad bytes)', async () => {
    const r = await read('windows-1252.csv', await fixtureBytes('windows-1252.csv'));
    expect(r.problems).toEqual([
      {
        file: 'windows-1252.csv',
        row: 4,
        code: 'invalid_encoding',
        message: 'byte 0xE9 on line 4 is not valid UTF-8; if the file was saved by Excel on Windows, run again with --encoding windows-1252',
        severity: 'error',
      },
    ]);
    // Every row is read, so the counts are the file's; the problem (an error for the file, not
    // an invoice) keeps the replacement characters from being sent.
    expect(r.records.map((x) => x.source.row)).toEqual([2, 3, 4]);
    expect(r.records[2]!.fields).toMatchObject({ vendor: 'Librairie G\uFFFDn\uFFFDrale', invoice_note: 'prix 30 \uFFFD' });
  });

  it('windows-1252.csv read as windows-1252 gives é and €', async () => {
    const r = await read('windows-1252.csv', await fixtureBytes('windows-1252.csv'), { encoding: 'windows-1252' });
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.source.row)).toEqual([2, 3, 4]);
    expect(r.records[2]?.fields).toEqual({ invoice_number: 'INV-3', vendor: 'Librairie Générale', total_amount: '30.00', invoice_note: 'prix 30 €' });
  });

  it.each(['utf-8', 'utf-16le'] as const)('utf16le-bom.txt (Excel "Unicode Text") reads with --encoding %s', async (encoding) => {
    const r = await read('utf16le-bom.txt', await fixtureBytes('utf16le-bom.txt'), { encoding });
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([
      [2, { invoice_number: 'INV-1', vendor: 'Müller', invoice_note: 'snow ☃ and 😀' }],
      [3, { invoice_number: 'INV-2', vendor: 'Åsa', invoice_note: undefined }],
    ]);
  });
});

describe('stdin', () => {
  it('reads a Readable named "-" and sniffs CSV', async () => {
    const stdin = Readable.from([Buffer.from('invoice_number,vendor\nINV'), Buffer.from('-1,ACME\n')]);
    const events = await collect({ name: '-', bytes: stdin });
    expect(events).toEqual([{ kind: 'record', record: { source: { file: '-', row: 2 }, fields: { invoice_number: 'INV-1', vendor: 'ACME' } } }]);
  });

  it('reads a socket-like stream and sniffs JSON', async () => {
    const stdin = new PassThrough();
    const done = collect({ name: '-', bytes: stdin });
    stdin.write('\n [{"invoice_number": "INV-1", "total_amount": 0.10000000000000000555}]');
    stdin.end();
    const events = await done;
    expect(events).toEqual([
      { kind: 'record', record: { source: { file: '-', row: 2 }, fields: { invoice_number: 'INV-1', total_amount: '0.10000000000000000555' } } },
    ]);
  });
});

describe('howChanged: two looks at a file compared', () => {
  const look = { size: 100, mtimeMs: 1_000, ino: 7, dev: 1 };
  it.each([
    ['the same', look, 'read', undefined],
    ['grown, since the read', { ...look, size: 130 }, 'read', '100 bytes when it was read, 130 now'],
    ['grown, during the read', { ...look, size: 130 }, 'opened', '100 bytes when it was opened, 130 when it had been read'],
    ['another inode', { ...look, ino: 8 }, 'read', 'another file took its name after it was read'],
    ['another device', { ...look, dev: 2 }, 'read', 'another file took its name after it was read'],
    ['no inodes (0): only size and time compared', { ...look, ino: 0 }, 'read', undefined],
    ['touched', { ...look, mtimeMs: 2_000 }, 'opened', 'it was modified after it was opened'],
  ] as const)('%s', (_, after, since, said) => {
    expect(howChanged(look, after, since)).toBe(said);
  });
});

describe('openInputFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'invoice-load-input-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a file for readRecords', async () => {
    const source = await openInputFile(fixture('quoted.csv'));
    expect(source.name).toBe(fixture('quoted.csv'));
    const events = await collect(source);
    expect(events.filter((e) => e.kind === 'record')).toHaveLength(5);
  });

  it('a missing file is a UsageError with a one-line message', async () => {
    const missing = join(dir, 'x.csv');
    await expect(openInputFile(missing)).rejects.toThrow(new UsageError(`cannot read '${missing}': no such file or folder`));
    await expect(openInputFile(missing)).rejects.toBeInstanceOf(UsageError);
  });

  it('a glob that matched nothing, passed on by the shell: said as such (review: cron, item 4)', async () => {
    const pattern = join(dir, 'empty', '*.csv');
    await expect(openInputFile(pattern)).rejects.toThrow(new UsageError(`no file matches ${pattern} (the shell passed the pattern on unexpanded)`));
    // A plain missing file keeps its words.
    await expect(openInputFile(join(dir, 'gone.csv'))).rejects.toThrow(new UsageError(`cannot read '${join(dir, 'gone.csv')}': no such file or folder`));
  });

  it('a directory is a UsageError', async () => {
    await expect(openInputFile(dir)).rejects.toThrow(new UsageError(`cannot read '${dir}': it is a folder`));
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is a UsageError', async () => {
    const locked = join(dir, 'locked.csv');
    await writeFile(locked, 'a\n1\n');
    await chmod(locked, 0o000);
    await expect(openInputFile(locked)).rejects.toThrow(new UsageError(`cannot read '${locked}': permission denied`));
  });

  it('a consumer that stops early closes the file', async () => {
    const big = join(dir, 'big.csv');
    await writeFile(big, 'a\n' + '1\n'.repeat(200_000));
    const source = await openInputFile(big);
    let seen = 0;
    for await (const e of readRecords(source, { encoding: 'utf-8' })) {
      if (e.kind === 'record' && ++seen === 3) break;
    }
    expect((source.bytes as Readable).destroyed).toBe(true);
  });

  describe('a file that changes while it is read (still being copied into a folder a cron job reads)', () => {
    const rowsText = (n: number): string => 'vendor,invoice_number\n' + 'GOBI,1\n'.repeat(n);
    /** Reads `path`, calling `meanwhile` once the first records are in. */
    async function readWhile(path: string, meanwhile: () => Promise<void>): Promise<InputEvent[]> {
      const out: InputEvent[] = [];
      let done = false;
      for await (const e of readRecords(await openInputFile(path), { encoding: 'utf-8' })) {
        out.push(e);
        if (!done && e.kind === 'record') {
          done = true;
          await meanwhile();
        }
      }
      return out;
    }
    const fileProblems = (events: InputEvent[]): string[] => events.flatMap((e) => (e.kind === 'problem' ? [`${e.problem.code}: ${e.problem.message}`] : []));

    it('grown: one file_changed error for the file, after its records', async () => {
      const path = join(dir, 'growing.csv');
      const text = rowsText(20_000); // 140 KB: read in several chunks
      await writeFile(path, text);
      const events = await readWhile(path, () => appendFile(path, 'GOBI,2\n'));
      expect(fileProblems(events)).toEqual([
        `file_changed: the file changed while it was read (${text.length} bytes when it was opened, ${text.length + 7} when it had been read): it may still be being written or copied. Run again once it is complete`,
      ]);
      // The file's, after its rows (no row: it is about the whole file).
      expect(events.at(-1)).toEqual({ kind: 'problem', problem: { file: path, code: 'file_changed', message: expect.any(String), severity: 'error' } });
      expect(events.filter((e) => e.kind === 'record')).toHaveLength(20_001);
    });

    it('rewritten in place with the same size: the modification time says it', async () => {
      const path = join(dir, 'touched.csv');
      await writeFile(path, rowsText(20_000));
      const events = await readWhile(path, () => utimes(path, new Date(), new Date(Date.now() + 60_000)));
      expect(fileProblems(events)).toEqual(['file_changed: the file changed while it was read (it was modified after it was opened): it may still be being written or copied. Run again once it is complete']);
    });

    it('removed (moved away) while read', async () => {
      const path = join(dir, 'moved.csv');
      await writeFile(path, rowsText(20_000));
      const events = await readWhile(path, () => rm(path));
      expect(fileProblems(events)).toEqual([expect.stringContaining('(it cannot be found any more)')]);
    });

    it('left alone: no problem', async () => {
      const path = join(dir, 'still.csv');
      await writeFile(path, rowsText(20_000));
      const events = await readWhile(path, async () => {});
      expect(fileProblems(events)).toEqual([]);
      expect(events).toHaveLength(20_000);
    });
  });

  describe('looked at again after the read (changedAfterRead, just before a load\'s first write)', () => {
    async function readAll(path: string): Promise<{ source: InputSource; events: InputEvent[] }> {
      const source = await openInputFile(path);
      return { source, events: await collect(source) };
    }

    it('an upload that stalled inside its last value reads whole, then grows: file_changed', async () => {
      const path = join(dir, 'uploading.csv');
      await writeFile(path, 'invoice_number,vendor,po_line\nG-1,GOBI,POL-101');
      const { source, events } = await readAll(path);
      expect(events.filter((e) => e.kind === 'problem')).toEqual([]);
      await appendFile(path, '3\n');
      expect(await changedAfterRead([source])).toEqual([
        {
          file: path,
          code: 'file_changed',
          severity: 'error',
          message: 'the file changed after it was read (46 bytes when it was read, 48 now): it is most likely still being copied or uploaded, and what was read may end inside a value. Run again once the transfer is complete',
        },
      ]);
    });

    it('left alone, or standard input (nothing to look at): no problem', async () => {
      const path = join(dir, 'done.csv');
      await writeFile(path, 'invoice_number,vendor\nG-1,GOBI\n');
      const { source } = await readAll(path);
      expect(await changedAfterRead([source, { name: '-', bytes: Readable.from([]) }])).toEqual([]);
    });

    it('replaced by another file of the same size under its name (an upload renamed into place)', async () => {
      const path = join(dir, 'renamed.csv');
      await writeFile(path, 'invoice_number,vendor\nG-1,GOBI\n');
      const { source } = await readAll(path);
      const { mtime } = await stat(path);
      await writeFile(`${path}.part`, 'invoice_number,vendor\nG-2,GOBI\n');
      await utimes(`${path}.part`, mtime, mtime);
      await rename(`${path}.part`, path);
      expect((await changedAfterRead([source])).map((p) => p.message)).toEqual([expect.stringContaining('(another file took its name after it was read)')]);
    });
  });

  it('tells onWait before opening a named pipe (which waits for a writer), never for a plain file', async () => {
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const told: string[] = [];
    const opening = openInputFile(fifo, { onWait: (p) => told.push(p) });
    let opened = false;
    void opening.then(() => (opened = true));
    // Told after a stat, however long a busy machine takes; no writer yet, so the open cannot end.
    while (told.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(told).toEqual([fifo]);
    expect(opened, 'told while the open still waits').toBe(false);
    await writeFile(fifo, 'a\n1\n'); // the writer
    const events = await collect(await opening);
    expect(events.filter((e) => e.kind === 'record')).toHaveLength(1);
    await openInputFile(fixture('quoted.csv'), { onWait: (p) => told.push(p) }).then((s) => (s.bytes as Readable).destroy());
    expect(told).toEqual([fifo]);
  });
});

describe('records are streamed', () => {
  it('the first record arrives before the input ends', async () => {
    const stdin = new PassThrough();
    const it = readRecords({ name: 'x.csv', bytes: stdin }, { encoding: 'utf-8' })[Symbol.asyncIterator]();
    // Canonical names, four columns: a first line without a delimiter would wait for one that
    // has one (csv.ts `delimiterLine`), and short lines of other names for the line after them
    // (a title above the header, `isTitleLine`).
    stdin.write(utf8('vendor,invoice_number,price,quantity\nA,1,1,1\nA,2,2,2\nA,3,3,3\n')); // csv-parse holds back the last few bytes
    const first = await it.next();
    expect(first.value).toMatchObject({ kind: 'record', record: { source: { row: 2 } } });
    stdin.end();
    await it.return(undefined);
  });
});

describe('a file in an encoding other than the one it is read as', () => {
  const csv = 'invoice_number,vendor,price\nG-1,GOBI,10.00\n';
  const le16 = (s: string): Uint8Array => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]));
  const le32 = (s: string): Uint8Array => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0), 0, 0, 0]));

  it('UTF-8 read with --encoding utf-16le: one invalid_encoding error saying it is not UTF-16LE, not a missing vendor column', async () => {
    const r = await read('a.csv', csv, { encoding: 'utf-16le' });
    // For the whole file, without a row: no row of it was read (it was counted as a row in no invoice).
    expect(codes(r)).toEqual(['invalid_encoding@-']);
    expect(r.problems[0]?.message).toMatch(/^read as UTF-16LE the file has no line break, comma or other ASCII character, only characters such as "湩潶捩彥" made of two ASCII bytes each: it is not UTF-16LE \(UTF-8 or windows-1252\?\); run again without --encoding utf-16le/);
    // Real UTF-16LE text, Chinese included, is read as before.
    const real = await read('a.csv', le16('invoice_number,vendor,price,line_note\nG-1,GOBI,10.00,中文\n'), { encoding: 'utf-16le' });
    expect(real.records.map((x) => x.fields['line_note'])).toEqual(['中文']);
    expect(codes(real).filter((c) => c.startsWith('invalid_encoding'))).toEqual([]);
  });

  it.each([
    ['UTF-32LE', [0xff, 0xfe, 0, 0], le32(csv), '0xFF 0xFE 0x00 0x00'],
    ['UTF-32BE', [0, 0, 0xfe, 0xff], Uint8Array.from([...le32(csv)].reverse()), '0x00 0x00 0xFE 0xFF'],
  ])('a %s byte-order mark is named UTF-32, not UTF-16BE', async (name, bom, body, shown) => {
    for (const encoding of ['utf-8', 'utf-16le'] as const) {
      const r = await read('a.csv', Uint8Array.from([...bom, ...body]), { encoding });
      expect(codes(r)).toEqual(['invalid_encoding@1']);
      expect(r.problems[0]?.message).toBe(`the file starts with a ${name} byte-order mark (bytes ${shown}), an encoding this tool does not read; save it as "CSV UTF-8" (or as UTF-16LE, "Unicode Text")`);
    }
  });
});
