import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText, fileSignature, InvalidEncodingError, NotTextError, nulHint, signatureOf, type Encoding, type FileKind } from '../../src/input/decode.js';
import { findInvalidUtf16le, findInvalidUtf8 } from '../../src/input/unicode.js';
import { pieces, utf8 } from './helpers.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...utf8(p)] : p)));

interface Decoded {
  text: string;
  error?: { line: number; byte: number; atEnd: boolean; message: string; unit: number | undefined };
}

async function decode(input: Uint8Array, encoding: Encoding = 'utf-8', cuts: number[] = []): Promise<Decoded> {
  let text = '';
  try {
    for await (const t of decodeText(pieces(input, cuts), encoding)) text += t;
  } catch (err) {
    if (!(err instanceof InvalidEncodingError)) throw err;
    return { text, error: { line: err.line, byte: err.byte, atEnd: err.atEnd, message: err.message, unit: err.unit } };
  }
  return { text };
}

describe('decodeText: valid input', () => {
  it.each([
    ['ASCII', bytes('a,b\n1,2\n'), 'a,b\n1,2\n'],
    ['2-, 3- and 4-byte characters', bytes('é € 😀 ☃\n'), 'é € 😀 ☃\n'],
    ['UTF-8 BOM is stripped', bytes([0xef, 0xbb, 0xbf], 'a\n'), 'a\n'],
    ['only the first BOM is stripped', bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'a'), '\ufeffa'],
    ['a BOM alone is empty text', bytes([0xef, 0xbb, 0xbf]), ''],
    ['empty input', bytes(), ''],
  ])('%s, split at every position', async (_name, input, expected) => {
    for (let cut = 0; cut <= input.length; cut++) {
      expect(await decode(input, 'utf-8', [cut])).toEqual({ text: expected });
    }
    // and one byte at a time
    expect(await decode(input, 'utf-8', [...input.keys()])).toEqual({ text: expected });
  });

  it('decodes windows-1252 (0x80 is €, 0xE9 is é) and treats latin1 the same (WHATWG)', async () => {
    const input = bytes('prix 30 ', [0x80], ' G', [0xe9], 'n', [0xe9], 'rale');
    expect(await decode(input, 'windows-1252')).toEqual({ text: 'prix 30 € Générale' });
    expect(await decode(input, 'latin1')).toEqual({ text: 'prix 30 € Générale' });
  });

  it('a UTF-8 file read as windows-1252 or latin1 is refused after its text, naming the first letter both ways; ASCII alone is not', async () => {
    const input = bytes('vendor,note\nACME,plain\nACME,Café – 10 €\n');
    for (const enc of ['windows-1252', 'latin1'] as const) {
      for (const cuts of [[], [31], [32], [33], [1, 32]]) {
        const r = await decode(input, enc, cuts);
        expect(r.text).toBe('vendor,note\nACME,plain\nACME,CafÃ© â€“ 10 â‚¬\n');
        expect(r.error).toMatchObject({ line: 3, byte: 0xc3 });
        expect(r.error?.message).toBe(
          `the file is read as ${enc}, but it is UTF-8: "é" (line 3) would be loaded as "Ã©", and so every such letter; run again with --encoding utf-8`,
        );
      }
    }
    expect(await decode(bytes('vendor,note\nACME,plain\n'), 'windows-1252')).toEqual({ text: 'vendor,note\nACME,plain\n' });
    // windows-1252 proper, and a file that is mostly UTF-8 with one windows-1252 byte: read as asked.
    expect(await decode(bytes('Caf', [0xe9], ' ', [0x80], '\n'), 'windows-1252')).toEqual({ text: 'Café €\n' });
    expect(await decode(bytes('Café\nM', [0xfc], 'ller\n'), 'windows-1252')).toEqual({ text: 'CafÃ©\nMüller\n' });
  });

  it('decodes UTF-16LE and strips its BOM, also with a character split across chunks', async () => {
    const input = Uint8Array.from(Buffer.from('\ufeffa😀b\n', 'utf16le'));
    for (let cut = 0; cut <= input.length; cut++) {
      expect(await decode(input, 'utf-16le', [cut])).toEqual({ text: 'a😀b\n' });
    }
  });

  it('lets a BOM override the label (WHATWG BOM sniffing)', async () => {
    const utf16 = Uint8Array.from(Buffer.from('\ufeffMüller', 'utf16le'));
    expect(await decode(utf16, 'utf-8')).toEqual({ text: 'Müller' });
    expect(await decode(bytes([0xef, 0xbb, 0xbf], 'Müller'), 'windows-1252')).toEqual({ text: 'Müller' });
  });
});

describe("decodeText: the DOS end-of-file marker (Ctrl-Z, 0x1A) at the very end is dropped", () => {
  it.each([
    ['after the last line break', bytes('a,b\r\n1,2\r\n', [0x1a]), 'a,b\r\n1,2\r\n'],
    ['right after the last cell', bytes('a,b\n1,2', [0x1a]), 'a,b\n1,2'],
    ['several', bytes('a\n', [0x1a, 0x1a, 0x1a]), 'a\n'],
    ['a file of nothing else is empty', bytes([0x1a]), ''],
    ['not when text follows it', bytes('a', [0x1a], 'b\n'), 'a\u001ab\n'],
    ['not when a line break follows it', bytes('a\n', [0x1a], '\n'), 'a\n\u001a\n'],
  ])('%s, split at every position', async (_name, input, expected) => {
    for (let cut = 0; cut <= input.length; cut++) expect(await decode(input, 'utf-8', [cut])).toEqual({ text: expected });
    expect(await decode(input, 'utf-8', [...input.keys()])).toEqual({ text: expected });
  });

  it('in windows-1252 and UTF-16LE too', async () => {
    expect(await decode(bytes('caf', [0xe9], '\r\n', [0x1a]), 'windows-1252')).toEqual({ text: 'café\r\n' });
    expect(await decode(Uint8Array.from(Buffer.from('\ufeffa\n\u001a', 'utf16le')), 'utf-16le')).toEqual({ text: 'a\n' });
  });
});

describe('decodeText: invalid UTF-8 stops with the byte and its line', () => {
  it.each([
    // name, input, line, byte, complete lines handed on before the error
    ['Latin-1 é after two lines', bytes('a\nb\nc', [0xe9], 'x\n'), 3, 0xe9, 'a\nb\n'],
    ['stray continuation byte at the start', bytes([0x80], 'abc'), 1, 0x80, ''],
    ['overlong encoding', bytes('ok\n', [0xc0, 0xaf]), 2, 0xc0, 'ok\n'],
    ['UTF-16 surrogate encoded in UTF-8', bytes('x', [0xed, 0xa0, 0x80]), 1, 0xed, ''],
    ['above U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80]), 1, 0xf4, ''],
    ['0xFF', bytes('1\n2\n3\n', [0xff]), 4, 0xff, '1\n2\n3\n'],
    ['lead byte followed by a line break', bytes('ab', [0xe2], '\ncd'), 1, 0xe2, ''],
    ['UTF-16LE file without its BOM', bytes([0x61, 0x00, 0xe9, 0x00]), 1, 0xe9, ''],
  ])('%s', async (_name, input, line, byte, before) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const r = await decode(input, 'utf-8', [cut]);
      expect(r.error).toMatchObject({ line, byte, atEnd: false });
      // Whole lines only, however the chunks fell: nothing of the bad line is handed on.
      expect(r.text).toBe(before);
    }
  });

  it('reports a character cut off by the end of the file', async () => {
    const input = bytes('ab\nc', [0xe2, 0x82]);
    for (let cut = 0; cut <= input.length; cut++) {
      const r = await decode(input, 'utf-8', [cut]);
      expect(r).toMatchObject({ text: 'ab\n', error: { line: 2, byte: 0xe2, atEnd: true } });
    }
  });

  it('says what to do in the message', async () => {
    const r = await decode(bytes('h\n1\n2\nG', [0xe9], 'n'));
    expect(r.error?.message).toBe('byte 0xE9 on line 4 is not valid UTF-8; if the file was saved by Excel on Windows, run again with --encoding windows-1252');
  });

  // The first byte of U+DC00 is 0x00: the message said "the bytes starting with 0x00", naming nothing.
  const le = (text: string, ...tail: number[][]): Uint8Array => Uint8Array.from([...Buffer.from(text, 'utf16le'), ...tail.flat()]);
  const HINT = 'check the --encoding option (the file may not be UTF-16LE)';
  it.each([
    [
      'a second half without the first',
      le('\ufeffa\nb', [0x00, 0xdc], [0x41, 0x00, 0x0a, 0x00]),
      2,
      0xdc00,
      false,
      `code unit 0xDC00 (bytes 0x00 0xDC) on line 2 is the second half of a surrogate pair without the first half before it, which is not valid UTF-16LE (a character such as an emoji cut in two where the file was written?); correct that character and save the file again, or ${HINT}`,
    ],
    [
      'a first half followed by a letter',
      le('\ufeffinvoice_number\nA-1\nGO', [0x3d, 0xd8], 'BI\n'.split('').flatMap((c) => [c.charCodeAt(0), 0])),
      3,
      0xd83d,
      false,
      `code unit 0xD83D (bytes 0x3D 0xD8) on line 3 is the first half of a surrogate pair without the second half after it, which is not valid UTF-16LE (a character such as an emoji cut in two where the file was written?); correct that character and save the file again, or ${HINT}`,
    ],
    [
      'a first half at the end of the file',
      le('\ufeffa\nb', [0x3d, 0xd8]),
      2,
      0xd83d,
      true,
      `the file ends in the middle of a character: code unit 0xD83D (bytes 0x3D 0xD8) on line 2 is the first half of a surrogate pair without the second half after it; it may be cut short; ${HINT}`,
    ],
    ['an odd last byte', le('ab', [0x41]), 1, undefined, true, `the file ends in the middle of a character (one byte, 0x41, after the last two-byte unit on line 1): it may be cut short; ${HINT}`],
  ])('UTF-16LE: %s is named by its code unit and line, however the chunks fall', async (_name, input, line, unit, atEnd, message) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const r = await decode(input, 'utf-16le', [cut]);
      expect(r.error).toMatchObject({ line, atEnd, message, unit });
    }
  });
});

describe('decodeText with onInvalid: the error is reported once and the rest is still read', () => {
  async function lossy(input: Uint8Array, cuts: number[] = [], encoding: Encoding = 'utf-8'): Promise<{ text: string; errors: { line: number; byte: number }[] }> {
    const errors: { line: number; byte: number }[] = [];
    let text = '';
    for await (const t of decodeText(pieces(input, cuts), encoding, (e) => errors.push({ line: e.line, byte: e.byte }))) text += t;
    return { text, errors };
  }

  it.each([
    ['a windows-1252 ü mid-file', bytes('a\nb\nZwei B', [0xfc], 'cher\nd\n'), 'a\nb\nZwei B\uFFFDcher\nd\n', 3, 0xfc],
    ['two bad lines: the first is reported', bytes('x', [0xe9], '\ny', [0xe9], '\n'), 'x\uFFFD\ny\uFFFD\n', 1, 0xe9],
    ['a character cut off by the end', bytes('ab\nc', [0xe2, 0x82]), 'ab\nc\uFFFD', 2, 0xe2],
    ['a BOM, then a bad byte on line 1', bytes([0xef, 0xbb, 0xbf], 'a', [0x80], '\nb'), 'a\uFFFD\nb', 1, 0x80],
  ])('%s', async (_name, input, text, line, byte) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const r = await lossy(input, [cut]);
      expect(r).toEqual({ text, errors: [{ line, byte }] });
    }
  });

  it('valid text calls nothing; without onInvalid the error is still thrown', async () => {
    expect(await lossy(bytes('é\n'))).toEqual({ text: 'é\n', errors: [] });
    expect((await decode(bytes('a\n', [0xfc]))).error).toMatchObject({ line: 2, byte: 0xfc });
  });
});

describe('UTF-8 / UTF-16LE scanners agree with TextDecoder', () => {
  // Bias towards bytes that matter: ASCII, continuation bytes, leads, invalid bytes.
  const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }));
  const validUtf8 = (b: Uint8Array): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it('findInvalidUtf8 finds an error exactly when TextDecoder refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.array(byte, { maxLength: 12 }), (a, b) => {
        const input = Uint8Array.from([...a, ...b]);
        expect(findInvalidUtf8(input, 0, true) === -1).toBe(validUtf8(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('findInvalidUtf16le finds an error exactly when TextDecoder refuses', () => {
    const unit = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff }));
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 8 }), fc.boolean(), (units, odd) => {
        const input = Uint8Array.from([...units.flatMap((u) => [u & 0xff, u >> 8]), ...(odd ? [0x41] : [])]);
        let ok = true;
        try {
          new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(input);
        } catch {
          ok = false;
        }
        expect(findInvalidUtf16le(input, 0, true) === -1).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeText gives the same text or the same error however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(byte, { maxLength: 40 }), fc.array(fc.nat({ max: 40 }), { maxLength: 6 }), async (arr, cuts) => {
        const input = Uint8Array.from(arr.map((b, i) => (i % 5 === 0 ? 10 : b))); // some line breaks
        const whole = await decode(input);
        const split = await decode(input, 'utf-8', [...cuts].sort((x, y) => x - y));
        expect(split).toEqual(whole);
        expect(whole.error === undefined).toBe(validUtf8(input));
      }),
      { numRuns: 500 },
    );
  });
});

describe('nulHint: text full of NULs is UTF-16 or not text', () => {
  const le = (s: string): string => [...s].map((c) => c + '\u0000').join('');
  const be = (s: string): string => [...s].map((c) => '\u0000' + c).join('');
  it.each([
    ['UTF-16LE read as UTF-8', le('invoice_number,vendor\nA,B\n'), /--encoding utf-16le/],
    ['UTF-16BE read as UTF-8', be('invoice_number,vendor\nA,B\n'), /UTF-16BE/],
    ['only NULs', '\u0000'.repeat(5000), /not a text file/],
    ['NULs and binary', '\u0000\u0001\u0000\u0000\u0003PK\u0000\u0000'.repeat(100), /not a text file/],
  ])('%s', (_name, text, hint) => {
    expect(nulHint(text)).toMatch(hint);
  });
  it.each([
    ['plain text', 'invoice_number,vendor\nA,B\n'],
    ['one stray NUL in a cell', 'invoice_number,vendor\nA\u0000,B\n'],
    ['empty', ''],
  ])('%s: no hint', (_name, text) => {
    expect(nulHint(text)).toBeUndefined();
  });
});

describe('fileSignature: a file that is not text says what it is instead', () => {
  it.each([
    ['a PDF', bytes('%PDF-1.7\n', [0xe2, 0xe3, 0xcf, 0xd3]), /^this is a PDF document/],
    ['a workbook or archive', bytes('PK', [3, 4, 20, 0, 6, 0]), /^this is a zip archive, as an Excel workbook is: if it is one, name it \.xlsx/],
    ['an old .xls', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), /^this is an old Office file/],
    ['gzip', bytes([0x1f, 0x8b, 8, 0]), /^this is a gzip-compressed file/],
    ['a PNG scan', bytes([0x89], 'PNG\r\n', [0x1a, 0x0a, 0]), /^this is a PNG image/],
    ['a JPEG scan', bytes([0xff, 0xd8, 0xff, 0xe0]), /^this is a JPEG image/],
  ])('%s', (_name, head, message) => {
    expect(fileSignature(head)).toMatch(message);
  });

  // Word for word, as people read them: a refactor of how the kind is told must not touch them.
  it.each([
    ['PDF', bytes('%PDF-1.7\n'), 'this is a PDF document, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them (an invoice\'s PDF is attached through the batch\'s attachment column)'],
    ['zip', bytes('PK', [3, 4, 20, 0, 6, 0]), 'this is a zip archive, as an Excel workbook is: if it is one, name it .xlsx; otherwise unpack it and give the CSV, Excel or JSON file inside'],
    [
      'OpenDocument spreadsheet',
      bytes('PK', [3, 4], new Array<number>(22).fill(0), [8, 0, 0, 0], 'mimetypeapplication/vnd.oasis.opendocument.spreadsheet'),
      'this is an OpenDocument spreadsheet (.ods, as LibreOffice saves by default), which is not read: save it as "Excel 2007-365 (.xlsx)" or as "Text CSV" (UTF-8) and give that file',
    ],
    ['old Office', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), 'this is an old Office file (an .xls workbook or a .doc): save the workbook as .xlsx (Excel Workbook) or as CSV UTF-8 and give that file'],
    ['gzip', bytes([0x1f, 0x8b, 8, 0]), 'this is a gzip-compressed file: decompress it (gunzip, or zcat FILE | invoice-load -) and give the file inside'],
    ['PNG', bytes([0x89], 'PNG\r\n', [0x1a, 0x0a]), 'this is a PNG image, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them'],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0]), 'this is a JPEG image, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them'],
  ])('%s: the message in full', async (_name, head, message) => {
    expect(fileSignature(head)).toBe(message);
    await expect(decode(head)).rejects.toMatchObject({ name: 'NotTextError', message });
  });

  // What callers tell cases apart by (read.ts a zip on standard input, xlsx.ts a zip without sheets):
  // the kind, and the error decodeText throws carries it.
  it.each<[FileKind, Uint8Array]>([
    ['pdf', bytes('%PDF-1.7\n')],
    ['zip', bytes('PK', [3, 4, 20, 0, 6, 0])],
    ['ods', bytes('PK', [3, 4], new Array<number>(22).fill(0), [8, 0, 0, 0], 'mimetypeapplication/vnd.oasis.opendocument.spreadsheet')],
    ['zip', bytes('PK', [3, 4], new Array<number>(22).fill(0), [8, 0, 0, 0], 'mimetypeapplication/vnd.oasis.opendocument.text')],
    ['old_office', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])],
    ['gzip', bytes([0x1f, 0x8b, 8, 0])],
    ['png', bytes([0x89], 'PNG\r\n', [0x1a, 0x0a])],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
  ])('kind %s', async (kind, head) => {
    expect(signatureOf(head)).toEqual({ kind, message: fileSignature(head) });
    await expect(decode(head)).rejects.toMatchObject({ name: 'NotTextError', kind });
  });

  it.each([
    ['canonical CSV', bytes('invoice_number,vendor\n')],
    ['UTF-8 BOM', bytes([0xef, 0xbb, 0xbf], 'invoice_number\n')],
    ['UTF-16LE BOM', bytes([0xff, 0xfe, 0x69, 0])],
    ['text that starts like a signature', bytes('%PDF\n')],
    ['PK as text', bytes('PK,invoice\n')],
    ['too short to tell', bytes('%PD')],
  ])('%s: nothing', (_name, head) => {
    expect(fileSignature(head)).toBeUndefined();
  });

  it('decodeText refuses such a file before decoding, however its first bytes are chunked', async () => {
    const pdf = bytes('%PDF-1.4\n%', [0xe2, 0xe3, 0xcf, 0xd3], '\n1 0 obj\n');
    for (const cuts of [[], [1, 2, 3, 4, 5, 6, 7], [3]]) {
      await expect(decode(pdf, 'utf-8', cuts)).rejects.toThrow(NotTextError);
    }
    await expect(decode(pdf, 'windows-1252')).rejects.toThrow(/PDF document/);
  });
});

describe('decodeText: bytes windows-1252 has no character for', () => {
  it.each([0x81, 0x8d, 0x8f, 0x90, 0x9d].map((b) => [b.toString(16).toUpperCase(), b] as const))('byte 0x%s is refused after the text, with its line', async (_hex, b) => {
    const input = bytes('vendor,note\nACME,plain\nACME,a', [b], 'b\n');
    for (const enc of ['windows-1252', 'latin1'] as const) {
      for (const cuts of [[], [24], [26], [1, 25]]) {
        const r = await decode(input, enc, cuts);
        expect(r.text).toBe(`vendor,note\nACME,plain\nACME,a${String.fromCharCode(b)}b\n`);
        expect(r.error).toMatchObject({ line: 3, byte: b });
        expect(r.error?.message).toBe(
          `byte 0x${b.toString(16).toUpperCase()} on line 3 is not a ${enc} character (windows-1252 has none at 0x81, 0x8D, 0x8F, 0x90 and 0x9D): is the file in another encoding? Save it as "CSV UTF-8" and run again with --encoding utf-8`,
        );
      }
    }
  });

  it('the other bytes of 0x80–0x9F are characters (€, ‚, …) and pass', async () => {
    expect(await decode(bytes('a', [0x80, 0x82, 0x8e, 0x9f], '\n'), 'windows-1252')).toEqual({ text: 'a€‚Žŷ\n'.replace('ŷ', 'Ÿ') });
  });
});
