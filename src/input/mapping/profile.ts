/**
 * The mapping profile: a versioned JSON file that says how one vendor's layout becomes the
 * canonical flat layout (README "Vendor layouts: mapping profiles"). Validated with zod plus the
 * checks zod cannot express (canonical column names, values each column accepts, clashes between
 * sections), every mistake at once, each with its JSON path and a plain message.
 *
 * `loadMappingProfile` is pure (text in, profile or problems out) so a config file can default
 * the profile and reuse it; reading the file and the exit code are the CLI's business.
 */
import { z } from 'zod';
import { CANONICAL_COLUMNS, isCanonicalColumn, type CanonicalColumn } from '../../domain/columns.js';
import { CellError, COLUMN_KIND, parseCell, type CellKind } from '../../domain/cells.js';
import { JsonNumber, JsonSyntaxError, parseJson, type JsonValue } from '../../common/json.js';
import type { Encoding } from '../decode.js';
import { compileDateFormat, type DateFormat, type NumberFormat, type ThousandsMark } from './dialect.js';
import { closest, headerKey, valueKey } from './names.js';
import { formatPath, levels, parsePath, sameToken, type PathToken } from './paths.js';

/** One mistake in a profile: where (a JSON path such as `columns["Anteil %"]`) and what. */
export interface ProfileProblem {
  path: string;
  message: string;
}

export interface ColumnRename {
  column: CanonicalColumn;
  /** The vendor header as the profile writes it, for messages. */
  header: string;
}

export interface ValueMap {
  /** By `valueKey` of the vendor value. */
  map: ReadonlyMap<string, string>;
  /** What an unlisted value does: `error` (the default) refuses the row, `keep` passes it on. */
  unmapped: 'error' | 'keep';
}

export interface JsonColumn {
  column: CanonicalColumn;
  /** As written in the profile, for messages. */
  path: string;
  /** How many `[*]` of the row path this column's path shares (0: from the document root). */
  level: number;
  /** Keys and indexes to follow from the element bound at `level`. */
  rest: PathToken[];
}

/** A validated profile, ready for the input layer. */
export interface MappingProfile {
  /** Where it was read from, for messages. */
  source: string;
  name?: string | undefined;
  encoding?: Encoding | undefined;
  csv: { delimiter?: string | undefined; quote: string; skipLines: number };
  /** An .xlsx workbook: the sheet to read (default the first) and the rows above the header. */
  xlsx: { sheet?: string | undefined; skipRows: number };
  numbers: NumberFormat;
  dates: readonly DateFormat[] | 'auto';
  /** By `headerKey` of the vendor header. */
  columns: ReadonlyMap<string, ColumnRename>;
  /** `headerKey`s of vendor columns to drop without an unknown-column warning. */
  ignore: ReadonlySet<string>;
  constants: ReadonlyMap<CanonicalColumn, string>;
  defaults: ReadonlyMap<CanonicalColumn, string>;
  values: ReadonlyMap<CanonicalColumn, ValueMap>;
  json?: { rows: string; levels: PathToken[][]; columns: JsonColumn[] } | undefined;
}

export const PROFILE_VERSION = 1;

const ENCODINGS: Record<string, Encoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  latin1: 'latin1',
  'iso-8859-1': 'latin1',
  'utf-16le': 'utf-16le',
};

const list = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const oneOf = (xs: readonly string[]) => `must be one of ${list(xs)}`;

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or true/false' });
const char = (what: string) =>
  z
    .string({ error: `must be one character in quotes, e.g. "${what === 'delimiter' ? ';' : '"'}"` })
    .refine((s) => [...s].length === 1 && s !== '\n' && s !== '\r', { error: `must be exactly one character (not a line break); use "\\t" for a tab` });

const csvSchema = z.strictObject({
  delimiter: char('delimiter').optional(),
  quote: char('quote').optional(),
  skip_lines: z.number({ error: 'must be a whole number (the lines above the header)' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).max(1000, { error: 'must be at most 1000' }).optional(),
});

const xlsxSchema = z.strictObject({
  sheet: z.string({ error: 'must be the name of a sheet in quotes' }).min(1, { error: 'must not be empty' }).optional(),
  skip_rows: z.number({ error: 'must be a whole number (the rows above the header)' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).max(1000, { error: 'must be at most 1000' }).optional(),
});

const DECIMALS = ['.', ',', 'auto'] as const;
const THOUSANDS = ['.', ',', ' ', "'", 'none'] as const;
const numbersSchema = z.strictObject({
  decimal: z.enum(DECIMALS, { error: `${oneOf(DECIMALS)} ("auto" reads each value and refuses ambiguous ones)` }),
  thousands: z.enum(THOUSANDS, { error: oneOf(THOUSANDS) }).optional(),
});

const datesSchema = z.strictObject({
  format: z.union([z.string(), z.array(z.string(), { error: 'must be a list of date formats' }).min(1, { error: 'must name at least one format' })], {
    error: 'must be a date format such as "DD.MM.YYYY", a list of them, or "auto"',
  }),
});

const valueMapSchema = z.strictObject({
  map: z.record(z.string(), scalar, { error: 'must be an object of vendor value → Alma value' }),
  unmapped: z.enum(['error', 'keep'], { error: `${oneOf(['error', 'keep'])} (what a value missing from the map does)` }).optional(),
});

const stringRecord = (what: string) => z.record(z.string(), z.string({ error: `must be ${what} in quotes` }), { error: 'must be an object' });

const profileSchema = z.strictObject({
  version: z.literal(PROFILE_VERSION, { error: `must be ${PROFILE_VERSION} (the profile format version)` }),
  name: z.string({ error: 'must be text' }).optional(),
  encoding: z.string({ error: 'must be text' }).refine((s) => s.toLowerCase() in ENCODINGS, { error: oneOf(['utf-8', 'windows-1252', 'latin1', 'utf-16le']) }).optional(),
  csv: csvSchema.optional(),
  xlsx: xlsxSchema.optional(),
  numbers: numbersSchema.optional(),
  dates: datesSchema.optional(),
  columns: stringRecord('a canonical column name').optional(),
  ignore: z.array(z.string({ error: 'must be a column name in quotes' }), { error: 'must be a list of vendor column names' }).optional(),
  constants: z.record(z.string(), scalar, { error: 'must be an object of canonical column → value' }).optional(),
  defaults: z.record(z.string(), scalar, { error: 'must be an object of canonical column → value' }).optional(),
  values: z.record(z.string(), valueMapSchema, { error: 'must be an object of canonical column → {"map": {…}}' }).optional(),
  json: z
    .strictObject({
      rows: z.string({ error: 'must be a path such as "invoices[*].lines[*]"' }),
      columns: stringRecord('a JSON path'),
    })
    .optional(),
});
type RawProfile = z.infer<typeof profileSchema>;

/** Keys each object of a profile may have, for "did you mean" on an unknown key. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(profileSchema.shape),
  csv: Object.keys(csvSchema.shape),
  xlsx: Object.keys(xlsxSchema.shape),
  numbers: Object.keys(numbersSchema.shape),
  dates: Object.keys(datesSchema.shape),
  values: Object.keys(valueMapSchema.shape),
  json: ['rows', 'columns'],
};

/** `columns["Anteil %"]`, `values.fund_code.map["Chemie"]`, `ignore[2]`. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p))) out += (out === '' ? '' : '.') + String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === '' ? '(the profile)' : out;
}

/**
 * The profile as plain data: numbers become JS numbers, except where they are cell values
 * (constants, defaults, value-map results), which keep their exact digits as text. Keys that
 * start with `_` are notes (`"_guess"`, `"_comment"`) and are dropped, except among a value
 * map's vendor values, which are data.
 */
function plain(v: JsonValue, path: readonly string[]): unknown {
  if (v instanceof JsonNumber) {
    const cell = path[0] === 'constants' || path[0] === 'defaults' || (path[0] === 'values' && path[2] === 'map');
    return cell ? v.text : Number(v.text);
  }
  if (Array.isArray(v)) return v.map((x, i) => plain(x, [...path, String(i)]));
  if (v === null || typeof v !== 'object') return v;
  const isMap = path.length === 3 && path[0] === 'values' && path[2] === 'map';
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!isMap && k.startsWith('_')) continue;
    if (k === '__proto__') continue;
    out[k] = plain(x, [...path, k]);
  }
  return out;
}

/**
 * The `_todo` notes `mapping init` leaves where a sample cannot tell (no vendor column, fund
 * names instead of codes), each with its JSON path: a profile that still has one is not
 * finished. Notes are found anywhere except among a value map's vendor values (data).
 */
export function todoNotes(text: string): { path: string; note: string }[] {
  let json: JsonValue;
  try {
    json = parseJson(text.replace(/^\ufeff/, ''));
  } catch {
    return []; // not JSON: the validation says so
  }
  const out: { path: string; note: string }[] = [];
  const walk = (v: JsonValue, path: readonly (string | number)[]): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i]));
    if (v === null || typeof v !== 'object' || v instanceof JsonNumber) return;
    const isMap = path.length === 3 && path[0] === 'values' && path[2] === 'map';
    for (const [k, x] of Object.entries(v)) {
      if (!isMap && k === '_todo') {
        const notes = Array.isArray(x) ? x : [x];
        notes.forEach((n, i) => out.push({ path: pathText(Array.isArray(x) ? [...path, k, i] : [...path, k]), note: typeof n === 'string' ? n : JSON.stringify(n) }));
      } else walk(x, [...path, k]);
    }
  };
  walk(json, []);
  return out;
}

const kindName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? `"${v}"` : String(v);

function zodProblems(issues: readonly z.core.$ZodIssue[], raw: unknown): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = issue.path.length === 2 && issue.path[0] === 'values' ? 'values' : String(issue.path[issue.path.length - 1] ?? '');
      const known = KNOWN_KEYS[issue.path.length === 0 ? '' : parent] ?? [];
      for (const key of issue.keys) {
        const guess = closest(key, known);
        const hint = guess !== undefined ? `; did you mean "${guess}"?` : known.length > 0 ? ` (known here: ${list(known)})` : '';
        out.push({ path: pathText([...issue.path, key]), message: `is not a profile setting${hint}` });
      }
      continue;
    }
    const input = 'input' in issue ? issue.input : lookup(raw, issue.path);
    if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
      const what = issue.path[issue.path.length - 1] === 'version' ? ': add "version": 1' : '';
      out.push({ path: pathText(issue.path), message: `is missing${what}` });
      continue;
    }
    const found = input !== undefined && issue.code !== 'custom' ? ` (found ${kindName(input)})` : '';
    out.push({ path: pathText(issue.path), message: plainMessage(issue) + found });
  }
  return out;
}

/** Zod's own wording for the few checks given no message of ours ("Too small: …"). */
function plainMessage(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith('Invalid input') && !issue.message.startsWith('Too ')) return issue.message;
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  return issue.message.replace(/^Invalid input: /, '');
}

function lookup(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kinds a value map may produce: codes and words, never amounts or dates (those are dialect). */
const MAPPABLE: ReadonlySet<CellKind> = new Set(['text', 'boolean', 'currency', 'vatType']);

function canonicalProblem(name: string): string {
  const guess = closest(name, CANONICAL_COLUMNS);
  const near = guess !== undefined ? [guess] : CANONICAL_COLUMNS.filter((c) => name.length >= 3 && c.includes(name.toLowerCase()))
          .sort((a, b) => Number(!a.startsWith(name.toLowerCase())) - Number(!b.startsWith(name.toLowerCase())))
          .slice(0, 3);
  const hint = near.length > 0 ? `; did you mean ${near.map((c) => `"${c}"`).join(' or ')}?` : ' (see "The input: canonical layout" in the README)';
  return `${JSON.stringify(name)} is not a canonical column${hint}`;
}

const cellText = (v: unknown): string => (typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v));

/** A value a profile gives for a column (constant, default, value-map result) must be one the column accepts. */
function cellProblem(column: CanonicalColumn, v: unknown): string | undefined {
  const text = cellText(v);
  if (text.trim() === '') return `is empty; leave the ${column} entry out instead`;
  const r = parseCell(column, text);
  return r instanceof CellError ? `${r.message} (values in a profile are written the canonical way)` : undefined;
}

/**
 * The checks zod cannot express. They read the raw data defensively, so they run (and report)
 * even when zod found other mistakes: every problem comes out in one pass.
 */
function semanticProblems(raw: Record<string, unknown>): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  const add = (path: PropertyKey[], message: string): void => void out.push({ path: pathText(path), message });

  const renamed = new Map<CanonicalColumn, string>();
  const headers = new Map<string, string>();
  // JSON paths read columns too: a constant for one of them would overwrite it.
  if (isRecord(raw.json) && isRecord(raw.json.columns)) {
    for (const [column, path] of Object.entries(raw.json.columns)) if (isCanonicalColumn(column) && typeof path === 'string') renamed.set(column, path);
  }
  if (isRecord(raw.columns)) {
    for (const [header, column] of Object.entries(raw.columns)) {
      const key = headerKey(header);
      if (key === '') add(['columns', header], 'a vendor column name cannot be empty');
      const other = headers.get(key);
      if (other !== undefined && key !== '') {
        add(['columns', header], `is the same column as ${JSON.stringify(other)} (names are compared ignoring case, spaces and underscores)`);
      }
      headers.set(key, header);
      if (typeof column !== 'string') continue;
      if (!isCanonicalColumn(column)) add(['columns', header], canonicalProblem(column));
      else if (!renamed.has(column)) renamed.set(column, header);
    }
  }
  if (Array.isArray(raw.ignore)) {
    raw.ignore.forEach((h, i) => {
      if (typeof h !== 'string') return;
      const mapped = headers.get(headerKey(h));
      if (mapped !== undefined) add(['ignore', i], `${JSON.stringify(h)} is also mapped in columns (as ${JSON.stringify(mapped)}); keep one`);
    });
  }
  const fixed = new Map<CanonicalColumn, 'constants' | 'defaults'>();
  for (const section of ['constants', 'defaults'] as const) {
    const s = raw[section];
    if (!isRecord(s)) continue;
    for (const [column, v] of Object.entries(s)) {
      if (!isCanonicalColumn(column)) {
        add([section, column], canonicalProblem(column));
        continue;
      }
      if (column === 'invoice_number' || column === 'line_number') {
        add([section, column], `every ${column === 'invoice_number' ? 'invoice' : 'line'} needs its own number: map it from the vendor's column instead`);
        continue;
      }
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        const p = cellProblem(column, v);
        if (p !== undefined) add([section, column], p);
      }
      const other = fixed.get(column);
      if (other !== undefined) add([section, column], `${column} is in both constants and defaults; a constant always applies, so keep one`);
      fixed.set(column, section);
      if (section === 'constants' && renamed.has(column)) {
        const from = isRecord(raw.json) ? 'the JSON path' : 'the vendor column';
        add([section, column], `${column} is also read from ${from} ${JSON.stringify(renamed.get(column))}; a constant would overwrite it — use defaults to fill only empty cells`);
      }
    }
  }
  if (isRecord(raw.values)) {
    for (const [column, vm] of Object.entries(raw.values)) {
      if (!isCanonicalColumn(column)) {
        add(['values', column], canonicalProblem(column));
        continue;
      }
      const kind = COLUMN_KIND[column];
      if (!MAPPABLE.has(kind)) {
        add(['values', column], `${column} holds ${kind === 'date' ? 'dates' : 'numbers'}: value maps are for codes and words; use the profile's ${kind === 'date' ? 'dates' : 'numbers'} settings for its format`);
        continue;
      }
      if (fixed.get(column) === 'constants') add(['values', column], `${column} is a constant; a value map would never apply`);
      if (!isRecord(vm) || !isRecord(vm.map)) continue;
      const seen = new Map<string, string>();
      for (const [from, to] of Object.entries(vm.map)) {
        const key = valueKey(from);
        if (key === '') add(['values', column, 'map', from], 'an empty vendor value cannot be mapped (use defaults to fill empty cells)');
        const twin = seen.get(key);
        if (twin !== undefined) add(['values', column, 'map', from], `is the same vendor value as ${JSON.stringify(twin)} (values are compared ignoring case and extra spaces)`);
        seen.set(key, from);
        if (typeof to === 'string' || typeof to === 'number' || typeof to === 'boolean') {
          const p = cellProblem(column, to);
          if (p !== undefined) add(['values', column, 'map', from], p);
        }
      }
    }
  }
  if (isRecord(raw.numbers)) {
    const { decimal, thousands } = raw.numbers;
    if (decimal === thousands && typeof decimal === 'string') add(['numbers', 'thousands'], `cannot be the decimal mark too`);
    if (decimal === 'auto' && thousands !== undefined) add(['numbers', 'thousands'], `is read from each value when decimal is "auto"; leave it out`);
  }
  if (isRecord(raw.dates)) {
    const f = raw.dates.format;
    const formats = typeof f === 'string' ? (f === 'auto' ? [] : [f]) : Array.isArray(f) ? f : [];
    formats.forEach((text, i) => {
      if (typeof text !== 'string') return;
      const c = text === 'auto' ? 'use "auto" on its own, not in a list' : compileDateFormat(text);
      if (typeof c === 'string') add(typeof f === 'string' ? ['dates', 'format'] : ['dates', 'format', i], c);
    });
  }
  if (isRecord(raw.csv)) {
    const { delimiter, quote } = raw.csv;
    if (typeof delimiter === 'string' && delimiter === (quote ?? '"')) add(['csv', 'delimiter'], 'cannot be the quote character too');
  }
  if (isRecord(raw.json)) {
    for (const other of ['columns', 'ignore', 'csv'] as const) {
      if (raw[other] !== undefined) {
        add([other], `a profile with "json" reads nested JSON by paths (json.columns); ${other === 'csv' ? 'CSV settings do not apply' : 'vendor column names do not apply'} — remove it`);
      }
    }
    jsonProblems(raw.json, add);
  }
  return out;
}

function jsonProblems(json: Record<string, unknown>, add: (path: PropertyKey[], message: string) => void): void {
  let rowLevels: PathToken[][] | undefined;
  if (typeof json.rows === 'string') {
    const t = parsePath(json.rows);
    if (typeof t === 'string') add(['json', 'rows'], t);
    else if (!t.some((x) => 'each' in x)) add(['json', 'rows'], `${JSON.stringify(json.rows)} has no [*]: the rows are the elements of an array, e.g. "invoices[*].lines[*]"`);
    else rowLevels = levels(t);
  }
  if (!isRecord(json.columns)) return;
  for (const [column, path] of Object.entries(json.columns)) {
    if (!isCanonicalColumn(column)) add(['json', 'columns', column], canonicalProblem(column));
    if (typeof path !== 'string') continue;
    const t = parsePath(path);
    if (typeof t === 'string') {
      add(['json', 'columns', column], t);
      continue;
    }
    if (rowLevels !== undefined) {
      const p = jsonColumnLevel(t, rowLevels);
      if (typeof p === 'string') add(['json', 'columns', column], p);
    }
  }
}

/**
 * Where a column path hangs on the row path: its `[*]` parts must be the row path's first
 * ones (`invoices[*].number` is per invoice in rows `invoices[*].lines[*]`).
 */
function jsonColumnLevel(tokens: PathToken[], rowLevels: PathToken[][]): { level: number; rest: PathToken[] } | string {
  const colLevels = levels(tokens);
  const level = colLevels.length - 1;
  const rows = formatPath(rowLevels.flatMap((l, i) => (i === 0 ? l : [{ each: true } as PathToken, ...l])));
  if (level > rowLevels.length - 1) return `${JSON.stringify(formatPath(tokens))} has more [*] than the rows path ${JSON.stringify(rows)}; a column gives one value per row`;
  for (let i = 0; i < level; i++) {
    const a = colLevels[i]!;
    const b = rowLevels[i]!;
    if (a.length !== b.length || a.some((x, j) => !sameToken(x, b[j]!))) {
      return `${JSON.stringify(formatPath(tokens))} does not follow the rows path ${JSON.stringify(rows)}: its [*] parts must be the same as the rows path's`;
    }
  }
  return { level, rest: colLevels[level]! };
}

/** Parses and validates a profile. Pure: `path` is only for messages. */
export function loadMappingProfile(text: string, path: string): { profile: MappingProfile } | { problems: ProfileProblem[] } {
  let json: JsonValue;
  try {
    json = parseJson(text.replace(/^\ufeff/, ''));
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return { problems: [{ path: `line ${err.line}, column ${err.column}`, message: `${err.message.replace(/ at line \d+, column \d+$/, '')} (the profile is not valid JSON)` }] };
  }
  const raw = plain(json, []);
  if (!isRecord(raw)) return { problems: [{ path: pathText([]), message: `must be a JSON object with "version": ${PROFILE_VERSION}, found ${kindName(raw)}` }] };
  const parsed = profileSchema.safeParse(raw, { reportInput: true });
  const problems = [...(parsed.success ? [] : zodProblems(parsed.error.issues, raw)), ...semanticProblems(raw)];
  if (problems.length > 0 || !parsed.success) {
    // One problem per path and message, in the order of the file's sections.
    const seen = new Set<string>();
    return { problems: problems.filter((p) => !seen.has(p.path + p.message) && seen.add(p.path + p.message)) };
  }
  return { profile: compile(parsed.data, path) };
}

function compile(p: RawProfile, source: string): MappingProfile {
  const columns = new Map<string, ColumnRename>();
  for (const [header, column] of Object.entries(p.columns ?? {})) columns.set(headerKey(header), { column: column as CanonicalColumn, header });
  const cells = (o: Record<string, string | number | boolean> | undefined) =>
    new Map(Object.entries(o ?? {}).map(([k, v]) => [k as CanonicalColumn, cellText(v).trim()]));
  const values = new Map<CanonicalColumn, ValueMap>();
  for (const [column, vm] of Object.entries(p.values ?? {})) {
    values.set(column as CanonicalColumn, {
      map: new Map(Object.entries(vm.map).map(([k, v]) => [valueKey(k), cellText(v).trim()])),
      unmapped: vm.unmapped ?? 'error',
    });
  }
  const f = p.dates?.format ?? 'auto';
  const dates = f === 'auto' ? 'auto' : (typeof f === 'string' ? [f] : f).map((t) => compileDateFormat(t) as DateFormat);
  const numbers: NumberFormat =
    p.numbers === undefined || p.numbers.decimal === 'auto'
      ? { decimal: 'auto' }
      : {
          decimal: p.numbers.decimal,
          thousands: p.numbers.thousands === undefined || p.numbers.thousands === 'none' ? undefined : (p.numbers.thousands as ThousandsMark),
        };
  let json: MappingProfile['json'];
  if (p.json !== undefined) {
    const rowLevels = levels(parsePath(p.json.rows) as PathToken[]);
    json = {
      rows: p.json.rows,
      levels: rowLevels,
      columns: Object.entries(p.json.columns).map(([column, path]) => {
        const at = jsonColumnLevel(parsePath(path) as PathToken[], rowLevels) as { level: number; rest: PathToken[] };
        return { column: column as CanonicalColumn, path, level: at.level, rest: at.rest };
      }),
    };
  }
  return {
    source,
    name: p.name,
    encoding: p.encoding !== undefined ? ENCODINGS[p.encoding.toLowerCase()] : undefined,
    csv: { delimiter: p.csv?.delimiter, quote: p.csv?.quote ?? '"', skipLines: p.csv?.skip_lines ?? 0 },
    xlsx: { sheet: p.xlsx?.sheet, skipRows: p.xlsx?.skip_rows ?? 0 },
    numbers,
    dates,
    columns,
    ignore: new Set((p.ignore ?? []).map(headerKey)),
    constants: cells(p.constants),
    defaults: cells(p.defaults),
    values,
    json,
  };
}
