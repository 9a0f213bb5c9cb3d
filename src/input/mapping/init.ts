/**
 * `mapping init`: a starting profile from a sample of a vendor's file. It sniffs the encoding,
 * delimiter, title block, number and date style, and guesses which vendor column is which
 * canonical column. Every guess is written down in a `"_guess"` note beside it (keys starting
 * with `_` are notes a profile may carry), so a person checks them before the first load; what
 * the sample cannot tell (day-first or month-first when no day is over 12) is left `"auto"`,
 * which refuses ambiguous values rather than guess them.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { COLUMN_KIND, UNKNOWN_LISTED, type CellKind } from '../../domain/cells.js';
import { FUND_COLUMNS, INVOICE_COLUMNS, isCanonicalColumn, type CanonicalColumn } from '../../domain/columns.js';
import { JsonSyntaxError, parseJson, type JsonValue } from '../../common/json.js';
import { excelSeparator } from '../csv.js';
import { fileSignature, nulHint, unreadBom } from '../decode.js';
import { detectFormat } from '../read.js';
import { canonicalByHeader, guessColumn } from './names.js';
import { formatPath, isObject, type PathToken } from './paths.js';
import { PROFILE_VERSION } from './profile.js';

/** How much of the file is read to guess from. */
export const SAMPLE_BYTES = 512 * 1024;
export const SAMPLE_ROWS = 500;

export interface InitResult {
  /** The profile as it is written out (notes included). */
  profile: Record<string, unknown>;
  /** One line per guess, for the terminal. */
  summary: string[];
}

export class InitError extends Error {}

/** A starting profile for the file `name` whose first bytes are `sample`. */
export function initProfile(name: string, sample: Uint8Array, complete: boolean): InitResult {
  // The load's checks (src/input/decode.ts, read.ts), so that a profile is never guessed from a
  // file the load refuses: NUL bytes made a 6 MB profile and printed 512 KB of NULs.
  const refused = fileSignature(sample) ?? unreadBom(sample);
  if (refused !== undefined) throw new InitError(`${name}: ${refused}`);
  const { text, encoding, note: encodingNote } = decodeSample(name, sample, complete);
  if (text.trim() === '') throw new InitError(`${name} is empty: nothing to guess a profile from`);
  const notText = nulHint(text.slice(text.search(/\S/)));
  if (notText !== undefined) throw new InitError(`${name}: ${notText}`);
  const format = detectFormat(name, text);
  const base: Record<string, unknown> = {
    version: PROFILE_VERSION,
    name: `${name.replace(/^.*[\\/]/, '')} layout`,
    _about: `Written by "invoice-load mapping init" from ${name}. Check every "_guess" note, then load with --mapping; keys starting with "_" are notes.`,
  };
  if (encoding !== 'utf-8' || encodingNote !== undefined) base.encoding = encoding;
  if (encodingNote !== undefined) base._guess_encoding = encodingNote;
  const body = format === 'csv' ? csvProfile(text) : jsonProfile(text, format === 'jsonl');
  const profile = { ...base, ...body.profile };
  return { profile, summary: [...(encodingNote !== undefined ? [`encoding: ${encoding} (${encodingNote})`] : [`encoding: ${encoding}`]), ...body.summary] };
}

function decodeSample(name: string, sample: Uint8Array, complete: boolean): { text: string; encoding: string; note?: string } {
  if (sample[0] === 0xff && sample[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(sample), encoding: 'utf-16le', note: 'byte-order mark' };
  // A sample cut mid-file may end inside a character: judge the complete lines only.
  let bytes = sample;
  if (!complete) {
    const lf = sample.lastIndexOf(10);
    if (lf > 0) bytes = sample.subarray(0, lf + 1);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text, encoding: 'utf-8' };
  } catch {
    // Name the first line that is not UTF-8, so the note can be checked.
    let line = 1;
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let from = 0; from < bytes.length; line++) {
      const lf = bytes.indexOf(10, from);
      const to = lf === -1 ? bytes.length : lf + 1;
      try {
        strict.decode(bytes.subarray(from, to));
      } catch {
        break;
      }
      from = to;
    }
    // Streaming decode: Node 20's one-shot windows-1252 decode reads 0x80-0x9F as Latin-1
    // controls (0x80 as U+0080, not €); the streaming path, which decode.ts uses, is right.
    const unmapped = [0x81, 0x8d, 0x8f, 0x90, 0x9d].map((b) => bytes.indexOf(b)).filter((i) => i !== -1);
    if (unmapped.length > 0) {
      // The load would refuse the guess (decode.ts): a byte windows-1252 has no character for.
      const at = Math.min(...unmapped);
      const on = bytes.subarray(0, at).filter((b) => b === 10).length + 1;
      throw new InitError(
        `${name}: the file is not UTF-8 (near line ${line}), and byte 0x${bytes[at]!.toString(16).toUpperCase()} on line ${on} is not a windows-1252 character: is it in another encoding? Save it as "CSV UTF-8" and run again`,
      );
    }
    const cp1252 = new TextDecoder('windows-1252');
    return {
      text: cp1252.decode(bytes, { stream: true }) + cp1252.decode(),
      encoding: 'windows-1252',
      note: `guess: the file is not UTF-8 (near line ${line}); windows-1252 is what Excel on Windows writes — check that accented letters and € read right`,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

const DELIMITERS = [',', ';', '\t', '|'] as const;
const delimiterName = (d: string): string => (d === '\t' ? 'tab' : `"${d}"`);

/** Fields in one physical line, counting delimiters outside double quotes. */
const fieldCount = (line: string, d: string): number => fields(line, d).length;

/** The fields of one physical line (quotes respected, not unescaped: enough to count and judge). */
function fields(line: string, d: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === d && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** A header names most of its columns (Excel's ",,,,," spacer line names none). */
const looksLikeHeader = (line: string, d: string, width: number): boolean => {
  const f = fields(line, d);
  return f.length === width && f.filter((x) => x.trim() !== '').length * 2 >= width;
};

/** Names for the terminal: the first UNKNOWN_LISTED, the rest counted (76,479 ignored columns were all printed). The profile keeps every one. */
const listed = (names: readonly string[]): string =>
  names.length <= UNKNOWN_LISTED ? names.join(', ') : `${names.slice(0, UNKNOWN_LISTED).join(', ')}, … and ${(names.length - UNKNOWN_LISTED).toLocaleString('en-US')} more`;

function mode(xs: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = 0;
  let bestN = 0;
  for (const [x, n] of counts) if (n > bestN || (n === bestN && x > best)) [best, bestN] = [x, n];
  return best;
}

function csvProfile(text: string): { profile: Record<string, unknown>; summary: string[] } {
  const lines = text.split(/\r\n|\n|\r/);
  const sample = lines.slice(0, SAMPLE_ROWS + 50);
  // Excel's `sep=;` first line names the delimiter; the reader takes it so (csv.ts), so it is
  // neither a title block nor a line to count fields on.
  const first = sample.findIndex((l) => l.trim() !== '');
  const named = first >= 0 ? excelSeparator(sample[first]!) : undefined;
  if (named !== undefined) sample[first] = '';
  // The delimiter that splits most lines into the same number (>1) of fields; between two that
  // split as many, the one giving more fields (a semicolon file whose "Title, Author" column
  // holds a comma on every line splits into 2 fields by commas, into 12 by semicolons).
  let delimiter = ',';
  let width = 1;
  let agree = 0;
  for (const d of named !== undefined ? [named] : DELIMITERS) {
    const counts = sample.filter((l) => l.trim() !== '').map((l) => fieldCount(l, d));
    const m = mode(counts);
    const n = counts.filter((c) => c === m).length;
    if (m > 1 && (n > agree || (n === agree && m > width))) [delimiter, width, agree] = [d, m, n];
  }
  // The header is the first line that names that many fields: lines above it are a title block.
  let headerAt = sample.findIndex((l) => looksLikeHeader(l, delimiter, width));
  if (headerAt < 0) headerAt = 0;
  const skip = sample.slice(0, headerAt).some((l) => l.trim() !== '') ? headerAt : 0;
  const summary: string[] = [];
  const csv: Record<string, unknown> = { delimiter, quote: '"', skip_lines: skip };
  const guesses: string[] = [named !== undefined ? `delimiter ${delimiterName(delimiter)}: the file's first line (sep=${named}) names it, as Excel reads it` : `delimiter ${delimiterName(delimiter)}: ${agree} lines of the sample have ${width} fields`];
  if (skip > 0) guesses.push(`skip_lines ${skip}: the header (${width} fields) is on line ${headerAt + 1}; the lines above it look like a title block`);
  csv._guess = guesses.join('; ');
  summary.push(`csv: delimiter ${delimiterName(delimiter)}, header on line ${headerAt + 1}${skip > 0 ? ` (${skip} lines of title block skipped)` : ''}`);

  let rows: string[][];
  try {
    rows = parseCsv(lines.slice(headerAt).join('\n'), { delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: true, to: SAMPLE_ROWS + 1 }) as string[][];
  } catch (err) {
    throw new InitError(`cannot read the sample as CSV with delimiter ${delimiterName(delimiter)}: ${(err as Error).message}`);
  }
  const body = columnsProfile(rows, rows);
  return { profile: { csv, ...body.profile }, summary: [...summary, ...body.summary] };
}

/**
 * A starting profile for a workbook's sheet: `rows` are its non-empty rows as cell text (index
 * = column), `typed` the same with number and date cells left out (no dialect applies to them,
 * so only text cells tell the vendor's number and date style).
 */
export function workbookProfile(name: string, sheet: string, rows: string[][], typed: string[][]): InitResult {
  const width = mode(rows.map((r) => r.filter((c) => c !== undefined && c.trim() !== '').length));
  // The header is the first row that names that many cells: rows above it are a title block.
  let headerAt = rows.findIndex((r) => r.filter((c) => c !== undefined && c.trim() !== '').length >= width);
  if (headerAt < 0) headerAt = 0;
  const xlsx: Record<string, unknown> = { sheet, skip_rows: headerAt };
  if (headerAt > 0) xlsx._guess = `skip_rows ${headerAt}: the header (${width} cells) is the ${headerAt + 1}. row with something in it; the rows above it look like a title block`;
  const body = columnsProfile(rows.slice(headerAt), typed.slice(headerAt));
  const profile = {
    version: PROFILE_VERSION,
    name: `${name.replace(/^.*[\\/]/, '')} layout`,
    _about: `Written by "invoice-load mapping init" from ${name}. Check every "_guess" note, then load with --mapping; keys starting with "_" are notes.`,
    xlsx,
    ...body.profile,
  };
  return { profile, summary: [`sheet "${sheet}", header on its ${headerAt + 1}. row with something in it${headerAt > 0 ? ` (${headerAt} rows of title block skipped)` : ''}`, ...body.summary] };
}

/** Columns, number and date style, constants and value maps from a header row and data rows. */
function columnsProfile(rows: string[][], typed: string[][]): { profile: Record<string, unknown>; summary: string[] } {
  const summary: string[] = [];
  const header = Array.from(rows[0] ?? [], (h) => (h ?? '').trim());
  const data = rows.slice(1);
  const textData = typed.slice(1);

  const columns: Record<string, unknown> = {};
  const columnNotes: Record<string, string> = {};
  const ignore: string[] = [];
  const taken = new Map<CanonicalColumn, string>();
  const byIndex = new Map<number, CanonicalColumn>();
  header.forEach((h, i) => {
    if (h === '') return;
    const guess = guessColumn(h);
    if (guess !== undefined && !taken.has(guess)) {
      taken.set(guess, h);
      byIndex.set(i, guess);
      columns[h] = guess;
      if (canonicalByHeader(h) !== guess) columnNotes[h] = `guess: ${guess} (from the name)`;
      return;
    }
    ignore.push(h);
    columnNotes[h] =
      guess !== undefined
        ? `ignored: it also looks like ${guess}, which ${JSON.stringify(taken.get(guess))} is mapped to; swap them if that is wrong`
        : 'ignored: no canonical column recognised; map it in "columns" if it matters';
  });
  if (Object.keys(columnNotes).length > 0) columns._guess = columnNotes;
  summary.push(`columns: ${taken.size} of ${header.filter((h) => h !== '').length} mapped by name${ignore.length > 0 ? `, ignored: ${listed(ignore)}` : ''}`);

  const cellsOf = (pred: (k: CellKind) => boolean): string[] =>
    [...byIndex].filter(([, c]) => pred(COLUMN_KIND[c])).flatMap(([i]) => textData.map((r) => (r[i] ?? '').trim()).filter((v) => v !== ''));
  const numbers = guessNumbers(cellsOf((k) => k === 'money' || k === 'percent'));
  const dates = guessDates(cellsOf((k) => k === 'date'));
  summary.push(`numbers: ${numbers.summary}`, `dates: ${dates.summary}`);

  const fundAt = [...byIndex].find(([, c]) => c === 'fund_code')?.[0];
  const profile: Record<string, unknown> = { numbers: numbers.section, dates: dates.section, columns };
  if (ignore.length > 0) profile.ignore = ignore;
  const at = (c: CanonicalColumn): number | undefined => [...byIndex].find(([, col]) => col === c)?.[0];
  const valuesAt = (i: number | undefined): string[] => (i === undefined ? [] : data.map((r) => (r[i] ?? '').trim()));
  Object.assign(profile, tail(taken, { fund: valuesAt(fundAt), currency: valuesAt(at('currency')) }));
  return { profile, summary: [...summary, ...todos(taken).map((t) => `todo: ${t}`)] };
}

/** Currency signs and names a vendor's file writes, and the ISO 4217 code each stands for unambiguously. */
const CURRENCY_SIGNS: Record<string, string> = { '€': 'EUR', euro: 'EUR', '£': 'GBP', 'us$': 'USD', 'fr.': 'CHF', 'sfr.': 'CHF' };

/** Constants and value maps no sample can tell: left as notes to do. */
function tail(taken: ReadonlyMap<CanonicalColumn, string>, values: { fund?: readonly string[]; currency?: readonly string[] } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const t = todos(taken);
  if (t.length > 0) out._todo = t;
  const maps: Record<string, unknown> = {};
  const names = [...new Set((values.fund ?? []).filter((v) => v !== ''))];
  // Fund names ("Chemie", "Serials - General") rather than codes: Alma needs the codes.
  if (names.length > 0 && names.some((v) => /[a-z\s]/.test(v))) {
    maps.fund_code = {
      map: {},
      unmapped: 'keep',
      _todo: `the file gives fund names (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}): map each to its Alma fund code here, then set "unmapped" to "error"`,
    };
  }
  // A sign or a name ("€", "Euro", "$") where Alma needs an ISO 4217 code: every row would be
  // refused. The unambiguous ones are mapped; "$" (USD, CAD, AUD …) and the rest are to do.
  const currencies = [...new Set((values.currency ?? []).filter((v) => v !== '' && !/^[A-Z]{3}$/.test(v)))];
  if (currencies.length > 0) {
    const map = Object.fromEntries(currencies.flatMap((c) => (CURRENCY_SIGNS[c.toLowerCase()] !== undefined ? [[c, CURRENCY_SIGNS[c.toLowerCase()]!]] : [])));
    const open = currencies.filter((c) => map[c] === undefined);
    maps.currency = {
      map,
      // ISO codes beside the signs pass as they are (and are checked as codes).
      unmapped: 'keep',
      _todo:
        open.length > 0
          ? `the file writes currencies as ${open.map((c) => JSON.stringify(c)).join(', ')}, not as ISO 4217 codes: map each to its code here (e.g. "$": "USD")`
          : `the file writes currencies as signs or names (${currencies.join(', ')}): mapped to their ISO 4217 codes here; check them`,
    };
  }
  if (Object.keys(maps).length > 0) out.values = maps;
  return out;
}

function todos(taken: ReadonlyMap<CanonicalColumn, string>): string[] {
  const out: string[] = [];
  if (!taken.has('vendor')) out.push('the file has no vendor column: add "constants": {"vendor": "<the Alma vendor code>"}');
  if (!taken.has('currency')) out.push('no currency column: add "currency" to "constants" (or "defaults") unless the invoices are in the institution\'s currency');
  for (const c of ['invoice_number', 'invoice_date', 'total_amount'] as const) {
    if (!taken.has(c)) out.push(`no column was recognised as ${c}, which Alma requires: map the vendor's column to it`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Number and date style

interface Guess {
  section: Record<string, unknown>;
  summary: string;
}

/** The number style of the sample's amounts. */
export function guessNumbers(values: readonly string[]): Guess {
  let comma = 0; // evidence that "," is the decimal mark
  let dot = 0;
  let space = 0;
  let apostrophe = 0;
  for (const raw of values) {
    const v = raw.replace(/^[-+\u2212]/, '').replace(/[\u00a0\u202f]/g, ' ');
    if (/^\d{1,3}(\.\d{3})+,\d+$/.test(v) || /^\d+,\d{1,2}$/.test(v) || /^\d+,\d{4,}$/.test(v) || /^\d{1,3}(\.\d{3}){2,}$/.test(v)) comma++;
    else if (/^\d{1,3}(,\d{3})+\.\d+$/.test(v) || /^\d+\.\d{1,2}$/.test(v) || /^\d+\.\d{4,}$/.test(v) || /^\d{1,3}(,\d{3}){2,}$/.test(v)) dot++;
    if (/^\d{1,3}( \d{3})+([.,]\d+)?$/.test(v)) space++;
    if (/^\d{1,3}('\d{3})+([.,]\d+)?$/.test(v)) apostrophe++;
    if (/^\d{1,3}([ ']\d{3})+,\d+$/.test(v)) comma++;
    if (/^\d{1,3}([ ']\d{3})+\.\d+$/.test(v)) dot++;
  }
  if (comma > 0 && dot > 0) {
    return {
      section: { decimal: 'auto', _guess: `the sample mixes "1.234,56" and "1,234.56" styles: "auto" reads each value and refuses ambiguous ones; declare one if the vendor is consistent` },
      summary: 'mixed styles in the sample: decimal "auto"',
    };
  }
  if (comma === 0 && dot === 0) {
    return {
      section: { decimal: 'auto', _guess: 'no amount with decimals in the sample: "auto" reads each value and refuses ambiguous ones such as 1,234; declare the style once known' },
      summary: 'no decimals seen: decimal "auto"',
    };
  }
  const decimal = comma > 0 ? ',' : '.';
  const thousands = space > 0 ? ' ' : apostrophe > 0 ? "'" : decimal === ',' ? '.' : ',';
  const seen = space > 0 || apostrophe > 0 || values.some((v) => (decimal === ',' ? /\d\.\d{3}/ : /\d,\d{3}/).test(v));
  return {
    section: {
      decimal,
      thousands,
      _guess: `guess: ${comma + dot} amounts of the sample are written like 1${thousands}234${decimal}56${seen ? '' : ` (no thousands separator seen; "${thousands}" is the usual one with "${decimal}")`}`,
    },
    summary: `decimal "${decimal}", thousands "${thousands}"`,
  };
}

/** The date style of the sample's dates. */
export function guessDates(values: readonly string[]): Guess {
  let iso = 0;
  let dayFirst = 0;
  let monthFirst = 0;
  let undecided = 0;
  let unpadded = false;
  let shortYear = false;
  const seps = new Map<string, number>();
  for (const raw of values) {
    const v = raw.trim();
    if (/^\d{4}-\d{1,2}-\d{1,2}$/.test(v)) {
      iso++;
      continue;
    }
    const m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$/.exec(v);
    if (m === null) continue;
    const a = Number(m[1]);
    const b = Number(m[3]);
    seps.set(m[2]!, (seps.get(m[2]!) ?? 0) + 1);
    if (m[1]!.length === 1 || m[3]!.length === 1) unpadded = true;
    if (m[4]!.length === 2) shortYear = true;
    if (a > 12 && b <= 12) dayFirst++;
    else if (b > 12 && a <= 12) monthFirst++;
    else undecided++;
  }
  const sep = [...seps].sort((x, y) => y[1] - x[1])[0]?.[0];
  const y = shortYear ? 'YY' : 'YYYY';
  const [d, mo] = unpadded ? ['D', 'M'] : ['DD', 'MM'];
  if (sep === undefined) {
    return iso > 0
      ? { section: { format: 'YYYY-MM-DD' }, summary: 'YYYY-MM-DD' }
      : { section: { format: 'auto', _guess: 'no dates in the sample: "auto" reads YYYY-MM-DD and unambiguous dates, and refuses 03/04/2025' }, summary: 'no dates seen: "auto"' };
  }
  if (dayFirst > 0 && monthFirst > 0) {
    return { section: { format: 'auto', _guess: `the sample has both day-first and month-first dates: "auto" refuses ambiguous ones; declare the format if the vendor is consistent` }, summary: 'mixed: "auto"' };
  }
  if (dayFirst > 0 || monthFirst > 0 || sep === '.') {
    const dayFirstStyle = monthFirst === 0;
    const format = dayFirstStyle ? `${d}${sep}${mo}${sep}${y}` : `${mo}${sep}${d}${sep}${y}`;
    const why =
      dayFirst + monthFirst > 0
        ? `${dayFirst + monthFirst} of ${dayFirst + monthFirst + undecided} dates in the sample have a ${dayFirstStyle ? 'first' : 'second'} part over 12, so that part is the day`
        : 'no day over 12 in the sample; dates with dots are day-first wherever they are used';
    return { section: { format, _guess: `guess: ${why}${shortYear ? '; two-digit years are read as 20YY' : ''}` }, summary: format };
  }
  return {
    section: {
      format: 'auto',
      _guess: `every date in the sample has day and month up to 12, so DD${sep}MM${sep}YYYY and MM${sep}DD${sep}YYYY both fit: declare the vendor's format here; until then "auto" refuses dates like 03${sep}04${sep}2025`,
    },
    summary: `cannot tell DD${sep}MM from MM${sep}DD: "auto" (declare the format)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Nested JSON

const INVOICE_LEVEL: ReadonlySet<string> = new Set(INVOICE_COLUMNS);
const FUND_LEVEL: ReadonlySet<string> = new Set(FUND_COLUMNS);
/** Keys that name a field by their parent: `billingAccount.code`, `fund.name`. */
const GENERIC = new Set(['code', 'value', 'name', 'id', 'text', 'desc', 'description', 'label']);

interface Chain {
  /** Keys leading to each array of the row path, relative to the previous level's element. */
  steps: PathToken[][];
  /** Sample elements of each level (level 0: the document). */
  samples: JsonValue[][];
}

/** The deepest chain of arrays of objects: the vendor's rows (invoices → lines → allocations). */
function findChain(doc: JsonValue): Chain {
  const best: Chain = { steps: [], samples: [[doc]] };
  const explore = (elements: JsonValue[], steps: PathToken[][], samples: JsonValue[][]): void => {
    if (steps.length > best.steps.length) {
      best.steps = steps;
      best.samples = samples;
    }
    if (steps.length >= 6) return;
    const arrays = new Map<string, { tokens: PathToken[]; items: JsonValue[] }>();
    const visit = (v: JsonValue, tokens: PathToken[], depth: number): void => {
      if (Array.isArray(v)) {
        if (v.some(isObject)) {
          const key = formatPath(tokens);
          const a = arrays.get(key) ?? { tokens, items: [] };
          for (const x of v.slice(0, 50)) if (isObject(x)) a.items.push(x);
          arrays.set(key, a);
        }
        return;
      }
      if (!isObject(v) || depth > 4) return;
      for (const [k, x] of Object.entries(v)) visit(x, [...tokens, { key: k }], depth + 1);
    };
    for (const e of elements.slice(0, 50)) {
      if (Array.isArray(e) && steps.length === 0) visit(e, [], 0);
      else if (isObject(e)) for (const [k, x] of Object.entries(e)) visit(x, [{ key: k }], 1);
    }
    for (const a of arrays.values()) explore(a.items, [...steps, a.tokens], [...samples, a.items]);
  };
  explore([doc], [], [[doc]]);
  return best;
}

/** Scalar leaves under the elements of one level (not into arrays: those are further levels). */
function leaves(elements: readonly JsonValue[]): Map<string, { tokens: PathToken[]; values: JsonValue[] }> {
  const out = new Map<string, { tokens: PathToken[]; values: JsonValue[] }>();
  const visit = (v: JsonValue, tokens: PathToken[], depth: number): void => {
    if (Array.isArray(v)) return;
    if (isObject(v)) {
      if (depth < 5) for (const [k, x] of Object.entries(v)) visit(x, [...tokens, { key: k }], depth + 1);
      return;
    }
    if (tokens.length === 0) return;
    const key = formatPath(tokens);
    const leaf = out.get(key) ?? { tokens, values: [] };
    leaf.values.push(v);
    out.set(key, leaf);
  };
  for (const e of elements) visit(e, [], 0);
  return out;
}

function jsonProfile(text: string, jsonLines: boolean): { profile: Record<string, unknown>; summary: string[] } {
  let doc: JsonValue;
  try {
    doc = jsonLines
      ? text
          .split(/\r\n|\n|\r/)
          .filter((l) => l.trim() !== '')
          .slice(0, SAMPLE_ROWS)
          .map((l) => parseJson(l))
      : parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new InitError(`the sample is not valid JSON: ${err.message} (a sample cut short is read in full up to ${SAMPLE_BYTES / 1024} KB)`);
    throw err;
  }
  const chain = findChain(doc);
  if (chain.steps.length === 0) throw new InitError('found no list of objects in the JSON: nothing that looks like invoices or lines');
  if (chain.steps.length === 1 && chain.steps[0]!.length === 0) return flatJsonProfile(chain.samples[1] ?? []);
  const depth = chain.steps.length;
  const rowTokens: PathToken[] = chain.steps.flatMap((s) => [...s, { each: true } as PathToken]);
  // JSON Lines: each line is a document; the rows path starts inside it.
  const rows = formatPath(jsonLines ? rowTokens.slice(1) : rowTokens);
  const columns: Record<string, string> = {};
  const notes: Record<string, string> = {};
  const unmapped: string[] = [];
  const values = new Map<CanonicalColumn, JsonValue[]>();
  const prefix = (level: number): PathToken[] => chain.steps.slice(0, level).flatMap((s) => [...s, { each: true } as PathToken]);
  for (let level = 0; level <= depth; level++) {
    if (jsonLines && level === 0) continue;
    for (const { tokens, values: vs } of leaves(chain.samples[level] ?? []).values()) {
      const full = [...(jsonLines ? prefix(level).slice(1) : prefix(level)), ...tokens];
      const path = formatPath(full);
      const column = guessLeaf(tokens, level, depth);
      if (column === undefined || column in columns) {
        unmapped.push(path);
        continue;
      }
      columns[column] = path;
      notes[column] = `guess: from the key ${JSON.stringify(formatPath(tokens))}`;
      values.set(column, vs);
    }
  }
  const textsOf = (pred: (k: CellKind) => boolean): string[] =>
    [...values].filter(([c]) => pred(COLUMN_KIND[c])).flatMap(([, vs]) => vs.filter((v): v is string => typeof v === 'string'));
  const numbers = guessNumbers(textsOf((k) => k === 'money' || k === 'percent'));
  const dates = guessDates(textsOf((k) => k === 'date'));
  const json: Record<string, unknown> = { rows, columns: { ...columns, _guess: notes }, _guess: `rows: the deepest list of objects (${depth} level${depth === 1 ? '' : 's'})` };
  if (unmapped.length > 0) json._unmapped = unmapped;
  const taken = new Map(Object.entries(columns).map(([c, p]) => [c as CanonicalColumn, p]));
  const fundValues = (values.get('fund_code') ?? []).filter((v): v is string => typeof v === 'string');
  const currencyValues = (values.get('currency') ?? []).filter((v): v is string => typeof v === 'string');
  const profile: Record<string, unknown> = { numbers: numbers.section, dates: dates.section, json, ...tail(taken, { fund: fundValues, currency: currencyValues }) };
  const summary = [
    `json: rows ${rows}; ${Object.keys(columns).length} paths mapped, ${unmapped.length} not`,
    `numbers: ${numbers.summary} (JSON numbers are read as they are)`,
    `dates: ${dates.summary}`,
    ...todos(taken).map((t) => `todo: ${t}`),
  ];
  return { profile, summary };
}

/** A top-level list of flat objects (or flat JSON Lines): its keys are columns, as in a CSV header. */
function flatJsonProfile(rows: readonly JsonValue[]): { profile: Record<string, unknown>; summary: string[] } {
  const keys = [...new Set(rows.flatMap((r) => (isObject(r) ? Object.keys(r) : [])))];
  const columns: Record<string, unknown> = {};
  const notes: Record<string, string> = {};
  const ignore: string[] = [];
  const taken = new Map<CanonicalColumn, string>();
  for (const key of keys) {
    const nested = rows.some((r) => isObject(r) && (Array.isArray(r[key]) || isObject(r[key])));
    const guess = nested ? undefined : guessColumn(splitCamel(key));
    if (guess !== undefined && !taken.has(guess)) {
      taken.set(guess, key);
      columns[key] = guess;
      if (canonicalByHeader(key) !== guess) notes[key] = `guess: ${guess} (from the key)`;
      continue;
    }
    ignore.push(key);
    notes[key] = nested ? 'ignored: it holds a list or an object; a "json" section with paths can read nested values' : 'ignored: no canonical column recognised';
  }
  if (Object.keys(notes).length > 0) columns._guess = notes;
  const texts = (pred: (k: CellKind) => boolean): string[] =>
    [...taken].filter(([c]) => pred(COLUMN_KIND[c])).flatMap(([, k]) => rows.flatMap((r) => (isObject(r) && typeof r[k] === 'string' ? [r[k]] : [])));
  const numbers = guessNumbers(texts((k) => k === 'money' || k === 'percent'));
  const dates = guessDates(texts((k) => k === 'date'));
  const profile: Record<string, unknown> = { numbers: numbers.section, dates: dates.section, columns };
  if (ignore.length > 0) profile.ignore = ignore;
  Object.assign(profile, tail(taken));
  return {
    profile,
    summary: [`json: flat rows; ${taken.size} of ${keys.length} keys mapped`, `numbers: ${numbers.summary}`, `dates: ${dates.summary}`, ...todos(taken).map((t) => `todo: ${t}`)],
  };
}

/** The canonical column a JSON leaf probably is, given how deep it sits in the row path. */
function guessLeaf(tokens: readonly PathToken[], level: number, depth: number): CanonicalColumn | undefined {
  const keys = tokens.flatMap((t) => ('key' in t ? [t.key] : []));
  const last = keys[keys.length - 1];
  const parent = keys[keys.length - 2];
  if (last === undefined) return undefined;
  const candidates = [last, parent !== undefined ? `${parent} ${last}` : undefined, parent !== undefined && GENERIC.has(last.toLowerCase()) ? parent : undefined];
  for (const name of candidates) {
    if (name === undefined) continue;
    const c = guessColumn(splitCamel(name));
    if (c !== undefined && isCanonicalColumn(c) && fits(c, level, depth)) return c;
  }
  return undefined;
}

/** `invoiceNo` → `invoice No`, so camelCase keys meet the spaced names vendors print. */
const splitCamel = (s: string): string => s.replace(/([a-z])([A-Z])/g, '$1 $2');

/** Invoice fields sit on the invoice (or above it), fund fields on the deepest level. */
function fits(c: CanonicalColumn, level: number, depth: number): boolean {
  if (depth <= 1) return true;
  if (INVOICE_LEVEL.has(c)) return level <= 1;
  if (FUND_LEVEL.has(c)) return level === depth;
  return level >= 2 && (level < depth || depth === 2);
}
