/**
 * `--rejects <path>`: the rows of every invalid or failed invoice (not one the run stopped on, nor
 * one that failed for a transient cause: report/rejects.ts), re-read from the input files
 * and written atomically, with `error_code` and `error_message` appended, so the user corrects
 * the file and loads it again as it is. CSV input keeps its own layout (its header as written,
 * its column order and delimiter); Excel or JSON input, or CSV files with different headers,
 * give a CSV with the canonical columns (the values after any `--mapping` profile).
 */
import { extname } from 'node:path';
import { Decimal } from 'decimal.js';
import { CANONICAL_COLUMNS, INVOICE_COLUMNS, type CanonicalColumn } from '../domain/columns.js';
import { CsvReader } from '../input/csv.js';
import { decodeText } from '../input/decode.js';
import { PreambleBlanker } from '../input/mapping/reader.js';
import type { MappingProfile } from '../input/mapping/profile.js';
import { detectFormat, openInputFile, readEventBatches, type Encoding, type InputSource } from '../input/read.js';
import { both, csvLine, REJECT_COLUMNS, rejectsLayout, rejectsLine, rejectsRow, rejectedRowOwners, rowKey, rowReasons, rowKeyFile, rowKeyRow, rerunLeftOut, type RejectReason, type RowOwners } from '../report/rejects.js';
import type { ReportDocument } from '../report/report.js';
import { UsageError } from '../common/errors.js';
import { unwrittenReason } from './outputs.js';
import { cellText } from '../domain/cells.js';
import { keyString } from '../domain/model.js';
import { writeOutputFile } from '../common/fs.js';

export interface RejectsOptions {
  path: string;
  files: readonly string[];
  encoding: Encoding;
  mapping?: MappingProfile | undefined;
  sheet?: string | undefined;
  /** The names the file may take when the run named it inside a folder (config.ts outputClaim). */
  claim?: ((n: number) => string) | undefined;
}

interface RawFile {
  header: readonly string[];
  delimiter: string;
  /** The quote character it was read with: `"`, or a `--mapping` profile's `csv.quote`. */
  quote: string;
  /** The file began with Excel's `sep=` line (see `excelSeparator`). */
  sepLine: boolean;
  /**
   * The encoding the file was read in: its byte-order mark's (`bom`), else the profile's or
   * --encoding's (input/decode.ts). A rejects file after a `sep=` line is written in it, and
   * one of a file read in windows-1252 or latin1 without a BOM.
   */
  encoding: Encoding;
  bom: boolean;
  /** The lines a profile's `skip_lines` skipped above the header, as they were. */
  preamble: string;
  rows: { row: number; cells: readonly string[]; reason: RejectReason }[];
}

/**
 * UTF-8 with a byte-order mark: Excel then shows it as UTF-8, and the input layer reads it as
 * UTF-8 even under a profile that names another encoding (a BOM wins over the label,
 * input/decode.ts). Not before Excel's `sep=` line, which Excel reads only as the file's start,
 * nor on a copy of a file read in a one-byte encoding, which is written in it.
 */
const BOM = '\uFEFF';

/**
 * Writes the rejects file: how many rows it holds, whether in the canonical columns rather than
 * the input's layout, and how many rejected rows came from standard input, which is read once
 * and cannot be read again for them (`fromStdin`: they are not in the file), and how many
 * invoices the run stopped on or that failed for a transient cause are left out (`leftOut`: the
 * same command finishes them).
 */
export async function writeRejects(
  report: ReportDocument,
  opts: RejectsOptions,
): Promise<{ path: string; rows: number; canonical: boolean; fromStdin: number; unread: string[]; gone: string[]; leftOut: { stopped: number; transient: number } }> {
  const owners = rejectedRowOwners(report);
  const wanted = rowReasons(owners);
  const fromStdin = [...wanted.keys()].filter((k) => rowKeyFile(k) === '-').length;
  const found = new Set<string>();
  const written = await writeRejectsOf(wanted, opts, found, owners);
  // Rows the reader cannot give back — a CSV record its syntax broke (`csv_syntax`) was never a
  // record — are named, so a count of rejected rows does not pass for all of them. So is a line
  // whose other objects were read back while the one the reader skipped (a key twice, too long)
  // was not: JSON written on one line.
  const skipped = (k: string): boolean => found.has(k) && (owners.get(k)?.batch?.code.split(' ').some((c) => SKIPPED.has(c)) ?? false);
  // A file that could not be opened again for its rows (moved or deleted since it was read) is
  // named once, not as rows that could not be read.
  const gone = written.gone ?? [];
  const isGone = (k: string): boolean => gone.some((f) => rowKeyFile(k) === f || rowKeyFile(k).startsWith(`${f}:`));
  const unread = [...wanted.keys()].filter((k) => rowKeyFile(k) !== '-' && !isGone(k) && (!found.has(k) || skipped(k))).map((k) => `${rowKeyFile(k)} row ${rowKeyRow(k)}`);
  return { ...written, fromStdin, unread, gone, leftOut: rerunLeftOut(report, wanted) };
}

async function writeRejectsOf(
  wanted: ReadonlyMap<string, RejectReason>,
  opts: RejectsOptions,
  found: Set<string>,
  owners: ReadonlyMap<string, RowOwners>,
): Promise<{ path: string; rows: number; canonical: boolean; gone?: string[] }> {
  const filesWithRows = new Set([...wanted.keys()].map(rowKeyFile));
  // A CSV file's own layout when every rejected row comes from CSV files with one header.
  const raw: RawFile[] = [];
  let canonical = false;
  for (const file of opts.files) {
    if (file === '-' || !filesWithRows.has(file) || !isCsv(file)) {
      // Standard input was read once and is gone; a workbook's rows are keyed `file:sheet`.
      if (file !== '-' && [...filesWithRows].some((f) => f === file || f.startsWith(`${file}:`))) canonical = true;
      continue;
    }
    raw.push(await readRawCsv(file, wanted, opts));
    for (const r of raw.at(-1)!.rows) found.add(rowKey(file, r.row));
  }
  const first = raw[0];
  if (!canonical && raw.every((r) => sameHeader(r, first!))) {
    // A rejects file loaded again keeps its one error_code/error_message pair, with new reasons.
    const layout = rejectsLayout(first?.header ?? []);
    const delimiter = first?.delimiter ?? ',';
    // The profile's quote too: a cell holding it (an apostrophe in a note, where the profile
    // quotes with `'`) is quoted and the quote doubled, as the same profile reads it.
    const quote = first?.quote ?? '"';
    const lines = [csvLine(layout.header, delimiter, quote)];
    // The title block a profile skips comes back, so the same --mapping finds the header.
    // Its last line's CR is all of a CRLF the blanker took (input/mapping/reader.ts counts a line
    // at the CR): the LF is put back, or the header followed a lone CR.
    if (first !== undefined && first.preamble !== '') lines.unshift(first.preamble.endsWith('\n') ? first.preamble : `${first.preamble}\n`);
    // Excel's `sep=` line comes back too, so the rejects open in Excel as the input did. No BOM
    // goes before it, so the file is written as the input was — in its encoding, with its own
    // BOM if it had one — and the same command reads it back (a UTF-8 file read under a
    // windows-1252 profile was invalid_encoding).
    // Without it, a file read in a one-byte encoding (windows-1252 or latin1: `--encoding` or a
    // profile's, no byte-order mark) is copied back in that encoding too, without a BOM: the
    // cells were decoded from it, so its bytes come back as they were and the same command
    // refuses what it refused (a UTF-8 file read as windows-1252 came back as UTF-8 with a BOM
    // holding its misread "CafÃ©", and loaded). A data cell the encoding cannot hold — only from
    // another file of the run, read as UTF-8 by its own byte-order mark — puts the whole file in
    // UTF-8 with a BOM, as before, which holds every cell as it was read. README "Rejects".
    const oneByte = raw.find((r) => !r.bom && (r.encoding === 'windows-1252' || r.encoding === 'latin1'));
    const cs = first?.sepLine === true ? charset(first.encoding) : oneByte !== undefined ? charset(oneByte.encoding) : undefined;
    const data = [...lines, ...raw.flatMap((f) => f.rows.flatMap((r) => r.cells))];
    let encode: ((text: string) => Uint8Array) | undefined;
    let errorText = (text: string): string => text;
    if (first?.sepLine === true) {
      lines.unshift(`sep=${delimiter}\n`);
      if (first.bom) lines[0] = BOM + lines[0]!;
    } else if (cs === undefined || !data.every(cs.holds)) lines[0] = BOM + lines[0]!;
    if (cs !== undefined && (first?.sepLine === true || data.every(cs.holds))) {
      encode = cs.encode;
      errorText = cs.errorText(data);
    }
    let n = 0;
    for (const f of raw) {
      for (const r of f.rows) {
        lines.push(rejectsLine(rejectsRow(layout, r.cells, { code: errorText(r.reason.code), message: errorText(r.reason.message) }), delimiter, quote));
        n++;
      }
    }
    return { path: write(opts, lines, encode), rows: n, canonical: false };
  }
  found.clear();
  return { ...(await writeCanonical(wanted, opts, found, owners)), canonical: true };
}

/** Errors of the file whose object the reader left out (input/json.ts): not a record, not in the rejects. */
const SKIPPED: ReadonlySet<string> = new Set(['duplicate_key', 'too_long']);

const isCsv = (file: string): boolean => detectFormat(file) === 'csv' && !/\.xls[xm]?$/i.test(file);

const sameHeader = (a: RawFile, b: RawFile): boolean =>
  a.delimiter === b.delimiter &&
  a.quote === b.quote &&
  a.sepLine === b.sepLine &&
  (!a.sepLine || (a.encoding === b.encoding && a.bom === b.bom)) && a.header.length === b.header.length && a.header.every((h, i) => h === b.header[i]);

/** Writes the lines; the path written (another than `opts.path` when that name in a folder was taken: config.ts outputClaim). */
function write(opts: Pick<RejectsOptions, 'path' | 'claim'>, lines: readonly string[], encode?: (text: string) => Uint8Array): string {
  const path = opts.path;
  try {
    return writeOutputFile(path, (w) => {
      for (const l of lines) w(encode !== undefined ? encode(l) : l);
    }, { claim: opts.claim });
  } catch (err) {
    throw new UsageError(`cannot write the rejects to ${path}: ${unwrittenReason(path, err)}`);
  }
}

/**
 * Text as bytes of `encoding`, as input/decode.ts reads them back; whether it holds every
 * character of a text; and how the error columns are written among the copied cells (`data`).
 * windows-1252 (which `latin1` names too: the WHATWG Encoding Standard,
 * https://encoding.spec.whatwg.org/#names-and-labels) by its decoder's own table, one character
 * for each of the 256 bytes, so a cell decoded in it comes back as its own bytes.
 *
 * The error columns are the tool's words (and a target's), not the file's. In windows-1252 a
 * character it has none for (the rules' `−` and `Σ`, a target's message) becomes `?`, the report
 * keeping the whole message. But when the copied cells' bytes are UTF-8 with letters beyond
 * ASCII — a UTF-8 file misread as windows-1252, refused as invalid_encoding — the error columns
 * are written as UTF-8 bytes: a message's `é` as the one byte 0xE9 was no UTF-8, so the copy
 * read back under the same command passed for windows-1252 and loaded (input/decode.ts reads a
 * file as UTF-8 after all only when every byte is).
 */
function charset(encoding: Encoding): { encode: (text: string) => Uint8Array; holds: (text: string) => boolean; errorText: (data: readonly string[]) => (text: string) => string } {
  const same = (): ((text: string) => string) => (text) => text;
  if (encoding === 'utf-8') return { encode: (text) => Buffer.from(text, 'utf8'), holds: () => true, errorText: same };
  if (encoding === 'utf-16le') return { encode: (text) => Buffer.from(text, 'utf16le'), holds: () => true, errorText: same };
  // All 256 bytes in one streaming decode, one character each: Node 20's decoder drops a lone
  // 0x80 (€) decoded on its own without `stream`.
  const dec = new TextDecoder('windows-1252');
  const table = dec.decode(Uint8Array.from({ length: 256 }, (_, b) => b), { stream: true }) + dec.decode();
  const byChar = new Map<string, number>();
  for (let b = 0; b < table.length; b++) byChar.set(table[b]!, b);
  const encode = (text: string): Uint8Array => {
    const out: number[] = [];
    for (const ch of text) out.push(byChar.get(ch) ?? 0x3f);
    return Uint8Array.from(out);
  };
  const holds = (text: string): boolean => {
    for (const ch of text) if (!byChar.has(ch)) return false;
    return true;
  };
  const isUtf8 = (bytes: Uint8Array): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return bytes.some((b) => b >= 0x80);
    } catch {
      return false;
    }
  };
  return {
    encode,
    holds,
    errorText: (data) =>
      isUtf8(encode(data.join('\n')))
        ? (text) => [...Buffer.from(text, 'utf8')].map((b) => table[b]!).join('')
        : (text) => (holds(text) ? text : [...text].map((ch) => (byChar.has(ch) ? ch : '?')).join('')),
  };
}

/** The file's header and the wanted rows' cells as written, read as the load read it. */
async function readRawCsv(file: string, wanted: ReadonlyMap<string, RejectReason>, opts: RejectsOptions): Promise<RawFile> {
  const profile = opts.mapping;
  const delimiter = profile?.csv.delimiter ?? (extname(file).toLowerCase() === '.tsv' ? '\t' : undefined);
  // Without a profile the load read the canonical layout (a title above the header skipped):
  // this reader must find the same header and rows.
  const quote = profile?.csv.quote ?? '"';
  const reader = new CsvReader(file, delimiter, quote !== '"' ? quote : undefined, () => undefined, profile === undefined);
  const preamble = new PreambleBlanker(profile?.csv.skipLines ?? 0);
  const label = profile?.encoding ?? opts.encoding;
  const out: RawFile = { header: [], delimiter: ',', quote, sepLine: false, encoding: label, bom: false, preamble: '', rows: [] };
  let left = [...wanted.keys()].filter((k) => k.startsWith(`${file}\u0000`)).length;
  const source = await openInputFile(file);
  const take = (): void => {
    for (const e of reader.out) {
      if (e.kind !== 'record') continue;
      const reason = wanted.get(rowKey(file, e.record.source.row));
      if (reason === undefined) continue;
      out.rows.push({ row: e.record.source.row, cells: e.record.cells ?? [], reason });
      left--;
    }
    reader.out.length = 0;
  };
  // The file's first bytes: a byte-order mark wins over the label (input/decode.ts sniffBom).
  let head = true;
  const bytes = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of source.bytes) {
      if (head && chunk.length > 0) {
        head = false;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) [out.encoding, out.bom] = ['utf-8', true];
        else if (chunk[0] === 0xff && chunk[1] === 0xfe) [out.encoding, out.bom] = ['utf-16le', true];
      }
      yield chunk;
    }
  };
  // A byte the encoding does not hold (the load reports invalid_encoding for the file): the copy
  // goes on with U+FFFD for it, as the reader does, rather than stopping the rejects file.
  const text = decodeText(bytes(), label, () => undefined);
  try {
    for await (const chunk of text) {
      await reader.write(preamble.push(chunk));
      take();
      if (left <= 0 || reader.stopped) break;
    }
    if (left > 0 && !reader.stopped) {
      await reader.end();
      take();
    }
  } finally {
    await text.return();
  }
  out.header = reader.headerCells ?? [];
  out.delimiter = reader.usedDelimiter ?? ',';
  out.sepLine = reader.sepLine !== undefined;
  out.preamble = preamble.skipped;
  return out;
}

/**
 * A JSON number written like `1.200` (`SourceRecord.native`) is its value, 1.2 (README
 * "Columns"); in the rejects file, a CSV, its digits would be a text `1.200`, refused as
 * ambiguous when the corrected file is loaded again: it goes there as its value.
 */
function nativeAsValues(fields: Record<string, string | undefined>, native: ReadonlySet<string> | undefined): Record<string, string | undefined> {
  if (native === undefined) return fields;
  const out = { ...fields };
  for (const c of native) {
    const text = out[c];
    if (text === undefined) continue;
    try {
      out[c] = new Decimal(text).toFixed();
    } catch {
      // Not a number after all: left as the file has it, for the person to correct.
    }
  }
  return out;
}

/**
 * A profile's defaults written into the rows as the load applied them (domain/group.ts
 * `applyDefaults`): on the first row of an invoice none of whose rows has a value (of a numbered
 * line, for a line-level one), so the file loaded again without the profile means the same.
 */
function withDefaults(rows: readonly { invoice: string | undefined; fields: Record<string, string | undefined>; defaults?: ReadonlyMap<string, string> | undefined }[]): void {
  const scopes = new Map<string, { fields: Record<string, string | undefined>; column: string; value: string; given: boolean }>();
  for (const r of rows) {
    if (r.defaults === undefined || r.invoice === undefined) continue;
    const line = cellText(r.fields.line_number);
    for (const [column, value] of r.defaults) {
      const scope = (INVOICE_COLUMNS as readonly string[]).includes(column) ? `${r.invoice}\u0001${column}` : line === undefined ? undefined : `${r.invoice}\u0000${line}\u0001${column}`;
      if (scope === undefined) continue;
      const given = cellText(r.fields[column]) !== undefined;
      const s = scopes.get(scope);
      if (s === undefined) scopes.set(scope, { fields: r.fields, column, value, given });
      else if (given) s.given = true;
    }
  }
  for (const s of scopes.values()) if (!s.given) s.fields[s.column] = s.value;
}

/**
 * Excel, JSON, or mixed input: the canonical columns the rejected rows use, read as the load read
 * them. A row is its file and line, and in JSON written on one line (`JSON.stringify`'s way)
 * every object is line 1: where several records share a rejected row, each is taken as
 * `owners` says, with its own invoice's reason (the whole file came back, loaded invoices too,
 * under one reason).
 */
async function writeCanonical(
  wanted: ReadonlyMap<string, RejectReason>,
  opts: RejectsOptions,
  found: Set<string>,
  owners: ReadonlyMap<string, RowOwners>,
): Promise<{ path: string; rows: number; gone: string[] }> {
  const candidates: { key: string; invoice: string | undefined; fields: Record<string, string | undefined>; reason: RejectReason; defaults?: ReadonlyMap<string, string> | undefined }[] = [];
  const perKey = new Map<string, number>();
  // Only the files a rejected row comes from are read again (as writeRejectsOf reads only
  // theirs; a workbook's rows are keyed `file:sheet`): a file gone before its turn, never read
  // (its file_changed error, input/read.ts InputGone), has none. One that cannot be opened now
  // is not the run's failure: its rows are not found, and the summary names them as not in the
  // rejects file (writeRejects `unread`).
  const filesWithRows = new Set([...wanted.keys()].map(rowKeyFile));
  const gone: string[] = [];
  for (const file of opts.files) {
    if (file === '-' || ![...filesWithRows].some((f) => f === file || f.startsWith(`${file}:`))) continue;
    let source: InputSource;
    try {
      source = await openInputFile(file);
    } catch {
      gone.push(file);
      continue;
    }
    for await (const batch of readEventBatches(source, { encoding: opts.encoding, mapping: opts.mapping, sheet: opts.sheet })) {
      for (const e of batch) {
        if (e.kind !== 'record') continue;
        const key = rowKey(e.record.source.file, e.record.source.row);
        const reason = wanted.get(key);
        if (reason === undefined) continue;
        const f = e.record.fields;
        const [vendor, number] = [cellText(f.vendor), cellText(f.invoice_number)];
        // A cell the reader refused (an amount or date it does not read) is left out of the
        // record: its text goes back under its column, for the person to correct. It wins over
        // what the record holds there: a profile's `defaults` fill the emptied column, and the
        // default in its place would load as if the vendor had written it. Not over a profile's
        // constant, which is the column's value whatever the file says.
        const refused = e.record.refused;
        const constants = opts.mapping?.constants;
        const read = refused === undefined ? f : { ...f, ...Object.fromEntries(Object.entries(refused).filter(([k]) => constants?.has(k as CanonicalColumn) !== true)) };
        const fields = nativeAsValues(read, e.record.native);
        candidates.push({ key, invoice: vendor !== undefined && number !== undefined ? keyString({ vendor, number }) : undefined, fields, reason, defaults: e.record.defaults });
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
      }
    }
  }
  const rows: typeof candidates = [];
  for (const c of candidates) {
    const own = perKey.get(c.key)! > 1 ? owners.get(c.key) : undefined;
    if (own === undefined) {
      rows.push(c);
      continue;
    }
    const mine = c.invoice !== undefined ? own.invoices.get(c.invoice) : undefined;
    if (own.batch !== undefined) rows.push({ ...c, reason: mine !== undefined ? both(own.batch, mine) : own.batch });
    else if (mine !== undefined) rows.push({ ...c, reason: mine });
  }
  withDefaults(rows);
  const used = new Set<string>();
  for (const r of rows) {
    found.add(r.key);
    for (const [k, v] of Object.entries(r.fields)) if (v !== undefined) used.add(k);
  }
  const columns = CANONICAL_COLUMNS.filter((c) => used.has(c));
  const lines = [BOM + csvLine([...columns, ...REJECT_COLUMNS])];
  for (const r of rows) lines.push(rejectsLine([...columns.map((c) => r.fields[c] ?? ''), r.reason.code, r.reason.message]));
  return { path: write(opts, lines), rows: rows.length, gone };
}
