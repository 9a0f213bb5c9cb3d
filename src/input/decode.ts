/**
 * Bytes → text, streamed, refusing bytes that are not valid in the chosen encoding.
 *
 * Mojibake must never reach the domain: a vendor name or note with a wrong character would be
 * loaded into Alma as is. So UTF-8 (the default) and UTF-16LE decode with `fatal: true`; on
 * the first invalid byte the complete lines before it are handed on, then
 * `InvalidEncodingError` is thrown with the byte and its line, and the file stops there —
 * or, with `onInvalid`, the error is handed to it and the rest of the file is decoded with
 * U+FFFD for each bad sequence, so that a reader still sees every row: a file in another
 * encoding then has its real invoice and line counts and no half-read invoice whose lines
 * seem not to add up to its total. The caller must then keep that text from being sent (the
 * CLI reports the error for the file, which blocks the load).
 */
import { findInvalidUtf16le, findInvalidUtf8, utf16lePendingLength, utf8PendingLength } from './unicode.js';

export type Encoding = 'utf-8' | 'windows-1252' | 'latin1' | 'utf-16le';

export class InvalidEncodingError extends Error {
  constructor(
    /** 1-based line of the bad byte (counting LF line breaks). */
    readonly line: number,
    /** The first byte of the invalid sequence. */
    readonly byte: number,
    readonly encoding: 'utf-8' | 'utf-16le',
    /** The file ended in the middle of a character. */
    readonly atEnd: boolean,
    /**
     * UTF-16LE: the code unit that is invalid (an unpaired surrogate); undefined for a lone last
     * byte. Its first byte (`byte`) is its low half, which says nothing (0x00 for U+DC00).
     */
    readonly unit?: number | undefined,
    message = invalidEncodingMessage(line, byte, encoding, atEnd, unit),
  ) {
    super(message);
    this.name = 'InvalidEncodingError';
  }
}

/** The file's first bytes say it is a known kind of file that is not text (`signatureOf`). */
export class NotTextError extends Error {
  /** What the file is: callers tell a case apart by it, never by the message's words. */
  readonly kind: FileKind;
  constructor(signature: FileSignature) {
    super(signature.message);
    this.name = 'NotTextError';
    this.kind = signature.kind;
  }
}

/** Whether the file's first bytes are this signature. */
export const startsWith = (head: Uint8Array, sig: readonly number[]): boolean => head.length >= sig.length && sig.every((b, i) => head[i] === b);

/** A zip archive's local file header, as every .xlsx starts (PKWARE's APPNOTE, 4.3.7; xlsx.ts notAWorkbook). */
export const ZIP_SIGNATURE: readonly number[] = [0x50, 0x4b, 0x03, 0x04];

/** An OLE2 compound file: the old Office formats, and an encrypted .xlsx (xlsx.ts notAWorkbook). */
export const OLE2_SIGNATURE: readonly number[] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** The kinds of file `signatureOf` knows by their first bytes. */
export type FileKind = 'pdf' | 'zip' | 'ods' | 'old_office' | 'gzip' | 'png' | 'jpeg';

/** What a file's first bytes say it is, and the sentence that says so to a person. */
export interface FileSignature {
  readonly kind: FileKind;
  readonly message: string;
}

const ODS: FileSignature = {
  kind: 'ods',
  message: 'this is an OpenDocument spreadsheet (.ods, as LibreOffice saves by default), which is not read: save it as "Excel 2007-365 (.xlsx)" or as "Text CSV" (UTF-8) and give that file',
};

/**
 * Files people give by mistake, by their first bytes (each format's published magic number):
 * an invoice's PDF beside the batch (`invoice-load vendor/*`), a workbook or archive under a
 * text name, an old Office file, a compressed download, a scanned page. Read as text, a PDF
 * gave 848 CSV errors; each is one sentence naming what the file is instead.
 * https://en.wikipedia.org/wiki/List_of_file_signatures
 */
const SIGNATURES: readonly [readonly number[], FileSignature][] = [
  [[0x25, 0x50, 0x44, 0x46, 0x2d], { kind: 'pdf', message: 'this is a PDF document, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them (an invoice\'s PDF is attached through the batch\'s attachment column)' }],
  [ZIP_SIGNATURE, { kind: 'zip', message: 'this is a zip archive, as an Excel workbook is: if it is one, name it .xlsx; otherwise unpack it and give the CSV, Excel or JSON file inside' }],
  [OLE2_SIGNATURE, { kind: 'old_office', message: 'this is an old Office file (an .xls workbook or a .doc): save the workbook as .xlsx (Excel Workbook) or as CSV UTF-8 and give that file' }],
  [[0x1f, 0x8b], { kind: 'gzip', message: 'this is a gzip-compressed file: decompress it (gunzip, or zcat FILE | invoice-load -) and give the file inside' }],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], { kind: 'png', message: 'this is a PNG image, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them' }],
  [[0xff, 0xd8, 0xff], { kind: 'jpeg', message: 'this is a JPEG image, not a batch of invoices: give the CSV, Excel (.xlsx) or JSON file that lists them' }],
];

/** What a file's first bytes say it is, when that is a kind of file that is not a batch's text (`SIGNATURES`). */
export function signatureOf(head: Uint8Array): FileSignature | undefined {
  if (isOpenDocument(head)) return ODS;
  for (const [sig, signature] of SIGNATURES) if (startsWith(head, sig)) return signature;
  return undefined;
}

/** `signatureOf`'s sentence alone, for a caller that only says it. */
export const fileSignature = (head: Uint8Array): string | undefined => signatureOf(head)?.message;

/** Said of a zip archive given on standard input, where no file name tells a workbook. */
export const STDIN_ZIP_MESSAGE = 'this is a zip archive, as an Excel workbook is: a workbook is read from its file, not from standard input; give its path (invoice-load batch.xlsx)';

/**
 * An OpenDocument file starts with a zip entry named `mimetype`, stored uncompressed, holding its
 * media type (OASIS OpenDocument 1.2, Part 3, §3.3): for a spreadsheet
 * `application/vnd.oasis.opendocument.spreadsheet`. The entry's name starts at byte 30 of the
 * zip's first local header (PKWARE APPNOTE 4.3.7), after which come its extra field and data.
 */
function isOpenDocument(head: Uint8Array): boolean {
  if (!startsWith(head, ZIP_SIGNATURE) || head.length < 38) return false;
  const nameLength = head[26]! | (head[27]! << 8);
  const extraLength = head[28]! | (head[29]! << 8);
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (nameLength !== 8 || ascii(30, 38) !== 'mimetype') return false;
  const data = 38 + extraLength;
  return ascii(data, data + 46).startsWith('application/vnd.oasis.opendocument.spreadsheet');
}

const hex = (n: number, digits: number): string => '0x' + n.toString(16).toUpperCase().padStart(digits, '0');

/**
 * Where the encoding a file is read in was set, for advice that changes it: the `--encoding`
 * option (or its default), or a `--mapping` profile's "encoding", which wins over the option
 * (README "Vendor layouts: mapping profiles") — so asking for the option would change nothing.
 */
export interface EncodingOrigin {
  /** The `--mapping` profile in use, if any (its path, for messages). */
  profile?: string | undefined;
  /** The encoding is that profile's "encoding". */
  fromProfile?: boolean | undefined;
}

/** The advice to read the file as `enc`: the option, or the profile's "encoding" where that set it. */
export function readAs(enc: string, origin: EncodingOrigin = {}): string {
  if (origin.fromProfile === true) return `set "encoding" to "${enc}" in the mapping profile${origin.profile !== undefined ? ` ${origin.profile}` : ''} (it wins over --encoding)`;
  if (origin.profile !== undefined) return `run again with --encoding ${enc} (or set the mapping profile's "encoding" to "${enc}")`;
  return `run again with --encoding ${enc}`;
}

/** The option, or the profile's "encoding" where that set it, named as the thing to check. */
const encodingSetting = (origin: EncodingOrigin): string =>
  origin.fromProfile === true ? `the mapping profile's "encoding"${origin.profile !== undefined ? ` (${origin.profile})` : ''}, which wins over --encoding,` : 'the --encoding option';

function invalidEncodingMessage(line: number, byte: number, encoding: 'utf-8' | 'utf-16le', atEnd: boolean, unit: number | undefined, origin: EncodingOrigin = {}): string {
  if (encoding === 'utf-16le') return invalidUtf16leMessage(line, byte, atEnd, unit, origin);
  const what = atEnd ? `the file ends in the middle of a character (byte ${hex(byte, 2)} on line ${line})` : `byte ${hex(byte, 2)} on line ${line} is not valid UTF-8`;
  return `${what}; if the file was saved by Excel on Windows, ${readAs('windows-1252', origin)}`;
}

/**
 * UTF-16LE goes wrong in two ways: a code unit that is half of a surrogate pair without the other
 * half (a character beyond U+FFFF, an emoji or a rare CJK letter, cut in two where the file was
 * written, or text that is not UTF-16LE at all), or a last byte without its pair. The code unit
 * is named as a number (0xDC00), its bytes in file order after it: the first byte alone (0x00)
 * named nothing a person could look for.
 */
function invalidUtf16leMessage(line: number, byte: number, atEnd: boolean, unit: number | undefined, origin: EncodingOrigin = {}): string {
  const hint = `check ${encodingSetting(origin)} (the file may not be UTF-16LE)`;
  if (unit === undefined) return `the file ends in the middle of a character (one byte, ${hex(byte, 2)}, after the last two-byte unit on line ${line}): it may be cut short; ${hint}`;
  const units = `code unit ${hex(unit, 4)} (bytes ${hex(unit & 0xff, 2)} ${hex(unit >> 8, 2)})`;
  const half = unit >= 0xdc00 ? 'the second half of a surrogate pair without the first half before it' : 'the first half of a surrogate pair without the second half after it';
  if (atEnd) return `the file ends in the middle of a character: ${units} on line ${line} is ${half}; it may be cut short; ${hint}`;
  return `${units} on line ${line} is ${half}, which is not valid UTF-16LE (a character such as an emoji cut in two where the file was written?); correct that character and save the file again, or ${hint}`;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * What a byte-order mark of an encoding this tool does not read says (the load's and `mapping
 * init`'s words): UTF-32 (FF FE 00 00, 00 00 FE FF) — checked before UTF-16's, as FF FE also
 * starts UTF-32LE's, whose text read as UTF-16 was every other character NUL and was called
 * UTF-16BE — and UTF-16BE (FE FF), which read as UTF-8 failed on its first byte with the
 * windows-1252 advice. Undefined for any other start.
 */
export function unreadBom(head: Uint8Array): string | undefined {
  const utf32 = startsWith(head, [0xff, 0xfe, 0x00, 0x00]) ? 'UTF-32LE' : startsWith(head, [0x00, 0x00, 0xfe, 0xff]) ? 'UTF-32BE' : undefined;
  const [name, bytes] =
    utf32 !== undefined ? [utf32, utf32 === 'UTF-32LE' ? '0xFF 0xFE 0x00 0x00' : '0x00 0x00 0xFE 0xFF'] : head[0] === 0xfe && head[1] === 0xff ? ['UTF-16BE', '0xFE 0xFF'] : [];
  if (name === undefined) return undefined;
  return `the file starts with a ${name} byte-order mark (bytes ${bytes}), an encoding this tool does not read; save it as "CSV UTF-8" (or as UTF-16LE, "Unicode Text")`;
}

/** Longest unfinished line held back between chunks (characters). */
const MAX_CARRY = 1 << 20;

/**
 * A byte-order mark overrides the label: WHATWG Encoding "decode" (§6, BOM sniffing) does the
 * same, because a BOM cannot begin text in any other encoding we accept. This is what makes
 * Excel's "Unicode Text" (UTF-16LE with BOM) and "CSV UTF-8" (with BOM) work without a flag.
 */
function sniffBom(head: Uint8Array, label: Encoding): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === UTF8_BOM[0] && head[1] === UTF8_BOM[1] && head[2] === UTF8_BOM[2]) return 'utf-8';
  return label;
}

/**
 * Advice for text whose start is full of NUL characters, which no CSV or JSON file holds:
 * UTF-16 read as UTF-8 (every other character NUL), or not text at all (a spreadsheet, a PDF,
 * /dev/zero). Undefined when NULs are rare (a stray one is the value checks' business).
 */
export function nulHint(text: string, origin: EncodingOrigin = {}): string | undefined {
  const n = Math.min(text.length, 4096);
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  if (even + odd === 0 || (even + odd) * 8 < n) return undefined;
  const half = n / 2;
  if (odd >= half * 0.4 && even <= odd / 10) {
    return `every other character is NUL: the file looks like UTF-16LE without a byte-order mark; ${readAs('utf-16le', origin)}`;
  }
  if (even >= half * 0.4 && odd <= even / 10) {
    return 'every other character is NUL: the file looks like UTF-16BE, an encoding this tool does not read; save it as "CSV UTF-8"';
  }
  return 'the file is full of NUL bytes: it is not a text file (a spreadsheet, a PDF, an archive?); save it as CSV or JSON';
}

/**
 * Advice for text read as UTF-16LE that is not: a UTF-8 or windows-1252 file so read pairs its
 * bytes into characters such as "湩潶捩" (U+2000–U+7E7E, both bytes printable ASCII) and has
 * no line break, comma or other ASCII character, which every CSV or JSON file in UTF-16LE has
 * (its ASCII characters are a byte and a 0x00). Undefined when the text has an ASCII character
 * among its first 4,096, or fewer than 8 characters.
 */
export function notUtf16leHint(text: string, origin: EncodingOrigin = {}): string | undefined {
  const n = Math.min(text.length, 4096);
  if (n < 8) return undefined;
  let paired = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) return undefined;
    const [hi, lo] = [c >> 8, c & 0xff];
    if (hi >= 0x09 && hi <= 0x7e && lo >= 0x09 && lo <= 0x7e) paired++;
  }
  if (paired * 10 < n * 9) return undefined;
  return `read as UTF-16LE the file has no line break, comma or other ASCII character, only characters such as "${text.slice(0, 4)}" made of two ASCII bytes each: it is not UTF-16LE (UTF-8 or windows-1252?); ${
    origin.fromProfile === true ? `remove "encoding": "utf-16le" from the mapping profile${origin.profile !== undefined ? ` ${origin.profile}` : ''} (it wins over --encoding)` : 'run again without --encoding utf-16le'
  }`;
}

/** Counts LF characters in `text` (the line number of later text is this + 1). */
function countLf(text: string): number {
  let n = 0;
  let i = text.indexOf('\n');
  while (i !== -1) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Decodes `bytes` as `encoding` and yields text chunks (BOM stripped). Throws
 * `InvalidEncodingError` after yielding the complete lines before an invalid byte.
 *
 * Ctrl-Z characters (U+001A) at the very end of the text are dropped: the end-of-file marker of
 * CP/M and MS-DOS text files, which some Windows programs still append to exports (`copy /a`,
 * older accounting and EDI systems). Read as data it was a last row with an empty vendor, an
 * error no editor shows a cause for (https://en.wikipedia.org/wiki/Substitute_character).
 * Anywhere else it is text like any other character.
 */
export async function* decodeText(
  bytes: AsyncIterable<Uint8Array>,
  encoding: Encoding,
  onInvalid?: (err: InvalidEncodingError) => void,
  /** Where `encoding` was set, for the advice in its errors. */
  origin: EncodingOrigin = {},
): AsyncGenerator<string, void, undefined> {
  let held = ''; // trailing Ctrl-Z characters of the text so far: dropped if nothing follows them
  for await (const chunk of decodeChunks(bytes, encoding, onInvalid, origin)) {
    const text = held.length > 0 ? held + chunk : chunk;
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0x1a) end--;
    held = end === text.length ? '' : text.slice(end);
    if (end > 0) yield end === text.length ? text : text.slice(0, end);
  }
}

async function* decodeChunks(
  bytes: AsyncIterable<Uint8Array>,
  encoding: Encoding,
  onInvalid: ((err: InvalidEncodingError) => void) | undefined,
  origin: EncodingOrigin,
): AsyncGenerator<string, void, undefined> {
  const source = bytes[Symbol.asyncIterator]();
  try {
    // Gather at least 8 bytes first so a BOM or a file signature split over tiny chunks is still seen.
    let head: Uint8Array = new Uint8Array(0);
    while (head.length < 8) {
      const r = await source.next();
      if (r.done) break;
      head = concat(head, r.value);
    }
    if (head.length === 0) return;
    const signature = signatureOf(head);
    if (signature !== undefined) throw new NotTextError(signature);
    const unread = unreadBom(head);
    if (unread !== undefined) throw new InvalidEncodingError(1, head[0]!, 'utf-8', false, undefined, unread);
    const enc = sniffBom(head, encoding);
    if (enc === 'utf-8' || enc === 'utf-16le') {
      yield* decodeStrict(head, source, enc, onInvalid, origin);
      return;
    }
    // Single-byte encodings map every byte (WHATWG windows-1252 index; "latin1" is a label of
    // the same decoder in the Encoding standard), so there is nothing to validate — but a file
    // that is UTF-8 (a vendor's export that moved to UTF-8 under a profile naming windows-1252)
    // decodes without a complaint into "CafÃ©": it is watched for.
    const dec = new TextDecoder(enc);
    const utf8 = new Utf8Watch();
    const unmapped = new UnmappedByteWatch();
    utf8.see(head);
    unmapped.see(head);
    let text = dec.decode(head, { stream: true });
    if (text.length > 0) yield text;
    for (let r = await source.next(); !r.done; r = await source.next()) {
      utf8.see(r.value);
      unmapped.see(r.value);
      text = dec.decode(r.value, { stream: true });
      if (text.length > 0) yield text;
    }
    text = dec.decode();
    if (text.length > 0) yield text;
    // UTF-8 after all says more than its bytes 0x81 …: a UTF-8 letter may hold one ("Á" is C3 81).
    const err = utf8.verdict(enc, origin) ?? unmapped.verdict(enc, origin);
    if (err !== undefined) {
      if (onInvalid === undefined) throw err;
      onInvalid(err);
    }
  } finally {
    // Closes the file when the reader stops early (an error, or the consumer breaks off).
    await source.return?.();
  }
}

/** The five bytes windows-1252 assigns no character (WHATWG Encoding's index-windows-1252 maps them to the C1 controls U+0081 …). */
const UNMAPPED_1252 = [0x81, 0x8d, 0x8f, 0x90, 0x9d] as const;

/**
 * The first byte of UNMAPPED_1252 in a file read as windows-1252 (or latin1, the same decoder):
 * such a byte never stands for a character in real Windows text, and decoded it is an invisible
 * control character that would be loaded into a note (`a\u0081b`). It says the file is in
 * another encoding (a Cyrillic or Central European code page, Mac Roman, …).
 */
class UnmappedByteWatch {
  #lines = 0;
  #first: { line: number; byte: number } | undefined;

  see(chunk: Uint8Array): void {
    if (this.#first !== undefined) return;
    let at = -1;
    for (const b of UNMAPPED_1252) {
      const i = chunk.indexOf(b);
      if (i !== -1 && (at === -1 || i < at)) at = i;
    }
    const upTo = at === -1 ? chunk.length : at;
    for (let i = chunk.indexOf(10); i !== -1 && i < upTo; i = chunk.indexOf(10, i + 1)) this.#lines++;
    if (at !== -1) this.#first = { line: this.#lines + 1, byte: chunk[at]! };
  }

  verdict(enc: string, origin: EncodingOrigin): InvalidEncodingError | undefined {
    if (this.#first === undefined) return undefined;
    const { line, byte } = this.#first;
    return new InvalidEncodingError(
      line,
      byte,
      'utf-8',
      false,
      undefined,
      `byte ${hex(byte, 2)} on line ${line} is not a ${enc} character (windows-1252 has none at 0x81, 0x8D, 0x8F, 0x90 and 0x9D): is the file in another encoding? Save it as "CSV UTF-8" and ${readAs('utf-8', origin)}`,
    );
  }
}

/**
 * Whether bytes read in a single-byte encoding are UTF-8 after all: every byte valid UTF-8, and
 * at least one character of more than one byte (ASCII alone reads the same either way). Text in
 * windows-1252 or Latin-1 with accented letters almost never is valid UTF-8 (an accented letter
 * is one byte there, a lone lead or continuation byte in UTF-8), so such a file is refused with
 * the encoding to use rather than loaded with every accented letter doubled.
 */
class Utf8Watch {
  readonly #dec = new TextDecoder('utf-8', { fatal: true });
  #valid = true;
  #lines = 0;
  /** The first character beyond ASCII, and its line. */
  #first: { line: number; char: string } | undefined;

  see(chunk: Uint8Array): void {
    if (!this.#valid) return;
    let text: string;
    try {
      text = this.#dec.decode(chunk, { stream: true });
    } catch {
      this.#valid = false;
      return;
    }
    if (this.#first !== undefined) return;
    // The decoder hands on whole characters only, so the first one beyond ASCII is whole here.
    const at = text.search(/[^\x00-\x7f]/);
    this.#lines += countLf(at === -1 ? text : text.slice(0, at));
    if (at !== -1) this.#first = { line: this.#lines + 1, char: String.fromCodePoint(text.codePointAt(at)!) };
  }

  verdict(enc: string, origin: EncodingOrigin): InvalidEncodingError | undefined {
    if (!this.#valid || this.#first === undefined) return undefined;
    try {
      this.#dec.decode();
    } catch {
      return undefined;
    }
    const { line, char } = this.#first;
    const bytes = new TextEncoder().encode(char);
    const asRead = new TextDecoder(enc).decode(bytes);
    return new InvalidEncodingError(
      line,
      bytes[0]!,
      'utf-8',
      false,
      undefined,
      `the file is read as ${enc}, but it is UTF-8: "${char}" (line ${line}) would be loaded as "${asRead}", and so every such letter; ` +
        readAs('utf-8', origin),
    );
  }
}

async function* decodeStrict(
  firstChunk: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
  enc: 'utf-8' | 'utf-16le',
  onInvalid: ((err: InvalidEncodingError) => void) | undefined,
  origin: EncodingOrigin,
): AsyncGenerator<string, void, undefined> {
  const dec = new TextDecoder(enc, { fatal: true });
  const findInvalid = enc === 'utf-8' ? findInvalidUtf8 : findInvalidUtf16le;
  let lines = 0; // LF line breaks in the text yielded so far
  let offset = 0; // bytes consumed before the current chunk
  let pending: Uint8Array = new Uint8Array(0); // bytes of a character split across chunks
  let carry = ''; // decoded text after the last line break, not handed on yet
  let chunk: Uint8Array | undefined = firstChunk;
  while (chunk !== undefined) {
    let text: string;
    try {
      text = dec.decode(chunk, { stream: true });
    } catch {
      yield* failAt(concat(pending, chunk), offset - pending.length, false);
      return;
    }
    if (text.length > 0) {
      lines += countLf(text);
      // Hand on whole lines only, so that what a reader has seen when an error stops the file
      // does not depend on where the chunks happened to end. (A line longer than MAX_CARRY
      // goes on as is: memory must not grow with a file that has no line breaks.)
      const all = carry.length > 0 ? carry + text : text;
      const cut = all.lastIndexOf('\n') + 1;
      if (cut === 0 && all.length < MAX_CARRY) carry = all;
      else if (cut === 0 || cut === all.length) {
        carry = '';
        yield all;
      } else {
        carry = all.slice(cut);
        yield all.slice(0, cut);
      }
    }
    // Remember the unfinished character, if any, to locate an error that completes it badly.
    const window = chunk.length >= 4 ? chunk : concat(pending, chunk);
    const windowStart = offset + chunk.length - window.length;
    const p = enc === 'utf-8' ? utf8PendingLength(window) : utf16lePendingLength(window, windowStart);
    pending = new Uint8Array(window.subarray(window.length - p)); // a copy: a Buffer's slice() is a view
    offset += chunk.length;
    const r = await rest.next();
    chunk = r.done ? undefined : r.value;
  }
  let tail: string;
  try {
    tail = dec.decode();
  } catch {
    yield* failAt(pending, offset - pending.length, true);
    return;
  }
  if (carry.length + tail.length > 0) yield carry + tail;

  /**
   * `bytes` begins where the decoder's state began (a character boundary at absolute byte
   * `start`). Yields the text of the complete lines before the bad byte, then throws.
   */
  async function* failAt(bytes: Uint8Array, start: number, final: boolean): AsyncGenerator<string, void, undefined> {
    let bad = findInvalid(bytes, 0, final);
    if (bad === -1) bad = 0; // cannot happen when the decoder failed; still report something
    const unit = enc === 'utf-8' ? 1 : 2;
    let lastLf = -1;
    let lfs = 0;
    for (let i = 0; i + unit - 1 < bad; i += unit) {
      if (bytes[i] === 10 && (unit === 1 || bytes[i + 1] === 0)) {
        lfs++;
        lastLf = i;
      }
    }
    // A fresh decoder: the failed one's state is spent. Strip a BOM only at the file start.
    const ignoreBOM = start !== 0;
    if (lastLf >= 0) {
      const prefix = new TextDecoder(enc, { fatal: true, ignoreBOM }).decode(bytes.subarray(0, lastLf + unit));
      yield carry + prefix;
      carry = '';
    }
    // UTF-16LE: the code unit at `bad` (absent for a last odd byte), little end first.
    const codeUnit = enc === 'utf-16le' && bad + 1 < bytes.length ? bytes[bad]! | (bytes[bad + 1]! << 8) : undefined;
    const err = new InvalidEncodingError(lines + lfs + 1, bytes[bad] ?? 0, enc, final, codeUnit, invalidEncodingMessage(lines + lfs + 1, bytes[bad] ?? 0, enc, final, codeUnit, origin));
    if (onInvalid === undefined) throw err;
    onInvalid(err);
    // The rest, each bad sequence as U+FFFD (WHATWG's replacement), the line breaks where they are.
    const lossy = new TextDecoder(enc, { ignoreBOM: lastLf >= 0 || ignoreBOM });
    let text = carry + lossy.decode(bytes.subarray(lastLf + unit), { stream: !final });
    if (!final) {
      for (let r = await rest.next(); !r.done; r = await rest.next()) {
        if (text.length > 0) yield text;
        text = lossy.decode(r.value, { stream: true });
      }
      text += lossy.decode();
    }
    if (text.length > 0) yield text;
  }
}
