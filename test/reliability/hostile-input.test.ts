/**
 * Hostile input, property-based (fast-check, seeded and bounded): random bytes, truncated and
 * mutated batches, empty and BOM-only files, duplicated and blank headers, huge cells, very wide
 * rows, deep JSON, wrong types everywhere, formula-looking cells.
 *
 * The promise for any input: no crash and no internal error, no stack trace, every problem
 * named with a stable code, an invalid invoice never handed to the engine (so nothing is sent
 * for it), and the exit code the CLI would give is 3 (invalid input) — or 0 when the input
 * holds no invoice and no error at all (a header-only file: a valid, empty batch).
 *
 * The bulk runs in process through `readBatch` (the CLI's own reading path) for speed; a
 * handful of cases spawn the built CLI against a sandbox and count its requests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { readBatch } from '../../src/cli/batch.js';
import { exitCodeForReport } from '../../src/cli/exit.js';
import { CANONICAL_COLUMNS } from '../../src/domain/columns.js';
import { hasErrors } from '../../src/plan/plan.js';
import type { Encoding } from '../../src/input/decode.js';
import { buildReport, type ReportDocument } from '../../src/report/report.js';
import { renderHuman } from '../../src/report/human.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { spawnCli } from '../helpers/cli.js';
import { generateBatch } from './generate.js';
import { recordFigures } from './harness.js';

const SEED = 4242;
const RUNS = 150;
const STACK = /\n\s+at .+[:(]\d+/;

let dir: string;
let n = 0;
const counts: Record<string, number> = {};
let cliRuns = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-fuzz-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  recordFigures('hostile-input', { seed: SEED, in_process_cases: counts, in_process_total: Object.values(counts).reduce((a, b) => a + b, 0), cli_runs: cliRuns });
});

function write(name: string, bytes: Uint8Array | string): string {
  const d = join(dir, String(n++));
  mkdirSync(d);
  const path = join(d, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * Reads the files the way the CLI does and checks the promise. Returns the exit code the CLI
 * would give without sending anything.
 */
async function check(files: string[], encoding: Encoding = 'utf-8', kind = 'other'): Promise<number> {
  counts[kind] = (counts[kind] ?? 0) + 1;
  const stdin = new PassThrough();
  stdin.end();
  const plan = await readBatch(files, { encoding, stdin });
  const problems = [...plan.issues, ...plan.entries.flatMap((e) => e.problems)];
  for (const p of problems) {
    expect(p.code).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(STACK);
    expect(['error', 'warning']).toContain(p.severity);
  }
  for (const e of plan.entries) {
    // An invoice with an error is never handed to the engine: nothing can be sent for it.
    if (e.problems.some((p) => p.severity === 'error')) expect(e.invoice, `${e.key.vendor} ${e.key.number}`).toBeUndefined();
    // …and one held back says why.
    // (or its file's: one not read whole says so once for all its invoices, domain/group.ts `FileState.refused`)
    if (e.invoice === undefined) {
      const file = e.rows[0]?.file;
      const reason = e.problems.some((p) => p.severity === 'error') || plan.issues.some((p) => p.severity === 'error' && p.file === file);
      expect(reason, `${e.key.number} held back with a reason`).toBe(true);
    }
  }
  const report = buildReport({ target: 'alma', dryRun: false, plan, requests: 0 });
  const code = exitCodeForReport(report, { sent: false });
  // The outputs a user sees are built without trouble and carry no stack trace.
  expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  const human = renderHuman(report);
  expect(human).not.toMatch(STACK);
  if (hasErrors(plan)) {
    expect(code).toBe(3);
    expect(problems.some((p) => p.severity === 'error')).toBe(true);
  } else if (plan.entries.length === 0) {
    expect(code).toBe(0);
  }
  return code;
}

// ---- building blocks ------------------------------------------------------------------------

const HOSTILE_CELLS = [
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://evil.example","click")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '1e-400',
  '-0',
  '0x1F',
  '１２３',
  '12,50',
  '1 000.00',
  ' 12.00 ',
  '9'.repeat(400),
  '0.' + '1'.repeat(300),
  '2025-02-30',
  '2025-13-01',
  '0000-00-00',
  '99999-01-01',
  'true',
  'yes',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '\u0000',
  '\u202eevil',
  '\ud83d\udca5',
  'é',
  '"',
  '""',
  "'",
  '\r',
  '\n',
  ',',
  ';',
  '',
  ' ',
];

const cellArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_CELLS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 100000 }).map(String) },
  { weight: 2, arbitrary: fc.double({ noNaN: false }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('GOBI', 'INV-1', 'USD', 'JPY', 'BHD', '2025-03-01', '100', '10.00', '1', 'REGULAR', 'POL-1001', 'GENMON') },
);

const headerNameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CANONICAL_COLUMNS) },
  { weight: 1, arbitrary: fc.constantFrom(...CANONICAL_COLUMNS).map((c) => ` ${c.toUpperCase()} `) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '__proto__', 'constructor', 'hasOwnProperty', '\ufeffvendor', '"vendor"', "=cmd|' /C calc'!A0") },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const csvCell = (s: string, delimiter: string): string =>
  /["\r\n]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s;

const csvArb = fc
  .record({
    header: fc.array(headerNameArb, { minLength: 1, maxLength: 14 }),
    rows: fc.array(fc.array(cellArb, { maxLength: 16 }), { maxLength: 8 }),
    delimiter: fc.constantFrom(',', ';', '\t'),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    // Cut the text off somewhere (a truncated upload), or not.
    cut: fc.option(fc.nat(), { nil: undefined }),
    // Now and then a raw quote that is not CSV (unbalanced).
    stray: fc.option(fc.nat(), { nil: undefined }),
  })
  .map((c) => {
    const lines = [c.header, ...c.rows].map((r) => r.map((s) => csvCell(s, c.delimiter)).join(c.delimiter));
    let text = (c.bom ? '\ufeff' : '') + lines.join(c.eol) + c.eol;
    if (c.stray !== undefined) {
      const at = c.stray % (text.length + 1);
      text = text.slice(0, at) + '"' + text.slice(at);
    }
    if (c.cut !== undefined) text = text.slice(0, c.cut % (text.length + 1));
    return text;
  });

// JSON values with wrong types everywhere, deep-ish nesting, and numbers JSON.parse would round.
const jsonLeaf = fc.oneof(
  fc.constantFrom(...HOSTILE_CELLS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('1e309', '12345678901234567890.123456789'),
);
const jsonValueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...CANONICAL_COLUMNS, 'invoice_lines', 'number', 'vendor', 'fund_distribution', '__proto__'), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 6 }),
})).value;

const flatRecordArb = fc.dictionary(fc.constantFrom(...CANONICAL_COLUMNS, '__proto__', 'extra'), fc.oneof(jsonLeaf, jsonValueArb), { maxKeys: 12 });
/** One value, one list item, or a list: Alma's JSON writes a single child as an object and several as a list. */
const oneOrMany = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(a, fc.array(a, { maxLength: 3 }), jsonLeaf);
/** Codes come as `{"value": "X", "desc": …}` or as "X" (or as garbage). */
const maybeWrapped = fc.oneof(jsonLeaf, fc.record({ value: fc.oneof(jsonLeaf, jsonValueArb), desc: jsonLeaf }, { requiredKeys: [] }), jsonValueArb);
const fundArb = fc.record(
  { fund_code: maybeWrapped, percent: fc.oneof(jsonLeaf, jsonValueArb), amount: fc.oneof(jsonLeaf, fc.record({ sum: jsonLeaf, currency: maybeWrapped }), jsonValueArb) },
  { requiredKeys: [] },
);
const almaLineArb = fc.record(
  {
    number: jsonLeaf,
    type: maybeWrapped,
    po_line: jsonLeaf,
    price: jsonLeaf,
    quantity: jsonLeaf,
    subscription_from_date: jsonLeaf,
    invoice_line_vat: fc.oneof(fc.record({ vat_code: maybeWrapped, percentage: jsonLeaf, vat_amount: jsonLeaf }, { requiredKeys: [] }), jsonLeaf),
    fund_distribution: fc.oneof(oneOrMany(fundArb), fc.record({ fund_distribution: oneOrMany(fundArb) })),
  },
  { requiredKeys: [] },
);
const almaInvoiceArb = fc.record(
  {
    number: fc.oneof(jsonLeaf, jsonValueArb),
    vendor: maybeWrapped,
    invoice_date: jsonLeaf,
    total_amount: jsonLeaf,
    currency: maybeWrapped,
    invoice_vat: fc.oneof(fc.record({ type: maybeWrapped, percentage: jsonLeaf, vat_amount: jsonLeaf, report_tax: jsonLeaf }, { requiredKeys: [] }), jsonLeaf),
    additional_charges: fc.oneof(fc.record({ shipment: jsonLeaf, discount: jsonLeaf, use_pro_rata: jsonLeaf }, { requiredKeys: [] }), jsonLeaf),
    payment: fc.oneof(fc.record({ prepaid: jsonLeaf, internal_copy: jsonLeaf }, { requiredKeys: [] }), jsonLeaf),
    note: oneOrMany(fc.oneof(fc.record({ content: jsonLeaf }), fc.record({ note_text: jsonLeaf }), jsonLeaf)),
    invoice_lines: fc.oneof(
      oneOrMany(almaLineArb),
      fc.record({ total_record_count: jsonLeaf, invoice_line: oneOrMany(almaLineArb) }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
/** Alma's list response around invoices: `{"total_record_count": N, "invoice": [...] | {...}}`. */
const almaListArb = fc.record({ total_record_count: jsonLeaf, invoice: oneOrMany(almaInvoiceArb) }, { requiredKeys: [] });

const jsonDocArb = fc
  .record({
    doc: fc.oneof(fc.array(fc.oneof(flatRecordArb, almaInvoiceArb, jsonValueArb), { maxLength: 6 }), almaInvoiceArb, almaListArb, jsonValueArb),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ doc, cut }) => {
    const text = JSON.stringify(doc) ?? 'undefined';
    return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
  });


/**
 * Near-miss values for one column, by what the column holds: the shapes a parser is written
 * for, with digits, signs and lengths drawn at random (month 13, day 00, 3 decimals in USD,
 * 101 percent, quantity 0…). These reach the typed parsers and the rules behind them, which
 * arbitrary text rarely does.
 */
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const kindOf = (column: string): 'date' | 'money' | 'percent' | 'quantity' | 'boolean' | 'currency' | 'text' =>
  /date$/.test(column) ? 'date'
    : /percent(age)?$/.test(column) ? 'percent'
      : column === 'quantity' ? 'quantity'
        : /^(price|total_amount|shipment|overhead|insurance|discount|fund_amount|vat_amount|line_vat_amount)$/.test(column) ? 'money'
          : /^(vat_per_invoice_line|expended_from_fund|report_tax|use_pro_rata|prepaid|internal_copy|export_to_erp|fully_invoiced|release_remaining_encumbrance|check_subscription_date_overlap)$/.test(column) ? 'boolean'
            : column === 'currency' ? 'currency'
              : 'text';
const nearMiss = (column: string): fc.Arbitrary<string> => {
  switch (kindOf(column)) {
    case 'date':
      return fc.oneof(
        fc.tuple(digits(4, 4), digits(2, 2), digits(2, 2)).map(([y, m, d]) => `${y}-${m}-${d}`),
        fc.tuple(digits(1, 6), digits(0, 3), digits(0, 3), fc.constantFrom('-', '/', '.', '')).map(([y, m, d, sep]) => `${y}${sep}${m}${sep}${d}`),
      );
    case 'money':
    case 'percent':
      return fc
        .tuple(fc.constantFrom('', '-', '+', ' '), digits(0, 25), fc.constantFrom('', '.', ',', 'e', 'E+'), digits(0, 8))
        .map(([sign, a, dot, b]) => `${sign}${a}${dot}${b}`);
    case 'quantity':
      return fc.oneof(digits(0, 20), fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('1.0', '1e3', '0x10', '2.5'));
    case 'boolean':
      return fc.constantFrom('true', 'TRUE', 'Yes', 'n', '1', '0', '2', 'on', 'off', 't', 'f', '');
    case 'currency':
      return fc.oneof(fc.constantFrom('USD', 'usd', 'JPY', 'BHD', 'XXX', 'US', 'USDD', 'EUR ', '€', ''), fc.string({ minLength: 3, maxLength: 3 }));
    default:
      return fc.oneof(cellArb, fc.constantFrom('GOBI', 'HARRAS', 'POL-1001', 'POL-9999', 'GENMON', 'OTHER', 'REGULAR', '1', '2', '01'));
  }
};

/** A valid generated batch with a few cells replaced by near-misses for their column. */
const mutatedBatchArb = fc
  .record({ seed: fc.integer({ min: 1, max: 1_000_000 }), invoices: fc.integer({ min: 1, max: 5 }), picks: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }) })
  .chain(({ seed, invoices, picks }) => {
    const [header, ...rows] = generateBatch({ seed, invoices, prefix: 'M' }).csv.trimEnd().split('\n');
    const columns = header!.split(',');
    const grid = rows.map((r) => parseCsvLine(r));
    const targets = picks.map(([r, c]) => [r % grid.length, c % columns.length] as const);
    return fc.tuple(...targets.map(([, c]) => nearMiss(columns[c]!))).map((values) => {
      const g = grid.map((r) => [...r]);
      targets.forEach(([r, c], i) => (g[r]![c] = values[i]!));
      return { columns, grid: g };
    });
  });

/** The generator's CSV quotes only the note cell; enough of a reader to take its rows apart. */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cell), (cell = '');
    else cell += ch;
  }
  out.push(cell);
  return out;
}

const params = (numRuns = RUNS) => ({ seed: SEED, numRuns, endOnFailure: true });

// ---- the properties --------------------------------------------------------------------------

describe('hostile input never crashes, names every problem, sends nothing invalid', () => {
  it('random bytes, under every extension and encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom('x.csv', 'x.tsv', 'x.txt', 'x.json', 'x.jsonl', 'x.ndjson', 'x.dat'),
        fc.constantFrom<Encoding>('utf-8', 'windows-1252', 'latin1', 'utf-16le'),
        async (bytes, name, encoding) => {
          await check([write(name, bytes)], encoding, 'random_bytes');
        },
      ),
      params(),
    );
  });

  it('CSV with hostile headers and cells, odd delimiters and line ends, BOMs, stray quotes, cut short', async () => {
    await fc.assert(
      fc.asyncProperty(csvArb, async (text) => {
        await check([write('x.csv', text)], 'utf-8', 'csv_structured');
      }),
      params(200),
    );
  });

  it('a valid generated batch, cut off at any byte or with bytes flipped, deleted or lines repeated', async () => {
    const batch = generateBatch({ seed: SEED, invoices: 6, prefix: 'F' });
    const bytes = Buffer.from(batch.csv);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.nat({ max: bytes.length }).map((cut) => bytes.subarray(0, cut)),
          fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
            const b = Buffer.from(bytes);
            for (const [at, v] of flips) b[at] = v;
            return b;
          }),
          fc.tuple(fc.nat({ max: bytes.length }), fc.nat({ max: 200 })).map(([at, len]) => Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)])),
          fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 4 }).map((picks) => {
            const lines = batch.csv.trimEnd().split('\n');
            for (const p of picks) lines.push(lines[1 + (p % (lines.length - 1))]!);
            return Buffer.from(lines.join('\n') + '\n');
          }),
        ),
        async (b) => {
          await check([write('x.csv', b)], 'utf-8', 'csv_mutated');
        },
      ),
      params(),
    );
  });

  it('a valid batch with near-miss values in typed columns (dates, amounts, percents, quantities, booleans, currencies), as CSV and as JSON', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(mutatedBatchArb, fc.constantFrom('string', 'number', 'mixed'), async ({ columns, grid }, numbers) => {
        const csv = [columns.join(','), ...grid.map((r) => r.map((c) => csvCell(c, ',')).join(','))].join('\n') + '\n';
        if ((await check([write('x.csv', csv)], 'utf-8', 'csv_typed')) === 0) valid++;
        // The same rows as flat JSON; amounts as JSON numbers where they parse as one (exact digits kept by the reader).
        const objects = grid.map((r) =>
          Object.fromEntries(
            columns.map((c, i) => {
              const v = r[i]!;
              const asNumber = numbers !== 'string' && v !== '' && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v) && (numbers === 'number' || i % 2 === 0);
              return [c, v === '' ? null : asNumber ? JSON.parse(v) : v];
            }),
          ),
        );
        await check([write('x.json', JSON.stringify(objects))], 'utf-8', 'json_typed');
      }),
      params(200),
    );
    // The mutations are near misses, not noise: some batches stay valid, most do not.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(200);
  });

  it('JSON and JSON Lines with wrong types everywhere, nested Alma shapes, and cut-off text', async () => {
    await fc.assert(
      fc.asyncProperty(jsonDocArb, fc.array(jsonDocArb, { maxLength: 5 }), async (doc, lines) => {
        await check([write('x.json', doc)], 'utf-8', 'json');
        await check([write('x.jsonl', lines.join('\n'))], 'utf-8', 'jsonl');
      }),
      params(),
    );
  });

  it('the named extremes: empty, BOM only, header only, duplicated and blank headers, 1 MB cell, 10,000 columns, deep JSON, formulas', async () => {
    const valid = generateBatch({ seed: SEED, invoices: 1, prefix: 'E' }).csv.split('\n');
    const header = valid[0]!;
    const row = valid[1]!;
    const cells = header.split(',');
    const at = (col: string, value: string): string => {
      const r = row.split(',');
      r[cells.indexOf(col)] = value;
      return `${header}\n${r.join(',')}\n`;
    };
    const cases: [string, string | Uint8Array, number][] = [
      ['empty.csv', '', 3],
      ['empty.json', '', 3],
      ['bom.csv', '\ufeff', 3],
      ['bom16.csv', Uint8Array.from([0xff, 0xfe]), 3],
      ['blank.csv', ' \r\n\t\n', 3],
      ['header-only.csv', header + '\n', 0],
      ['header-only-bom.csv', '\ufeff' + header, 0],
      ['dup-header.csv', `${header},vendor\n${row},OTHER\n`, 3],
      ['blank-header.csv', `${header},,\n${row},x,y\n`, 3],
      ['all-blank-header.csv', `,,,\n1,2,3,4\n`, 3],
      ['cell-1mb.csv', at('invoice_note', 'x'.repeat(1024 * 1024)), 3],
      ['cell-1mb-quoted.csv', at('invoice_note', `"${'y,'.repeat(512 * 1024)}"`), 3],
      ['wide.csv', `${header},${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${row},${'1,'.repeat(9_999)}1\n`, 3],
      ['wide-cells.csv', `${header}\n${row}${',9'.repeat(10_000)}\n`, 3],
      ['deep.json', '['.repeat(100_000) + ']'.repeat(100_000), 3],
      ['deep-object.json', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), 3],
      ['deep-jsonl.jsonl', `{"invoice_number":"X","vendor":${'['.repeat(20_000)}${']'.repeat(20_000)}}\n`, 3],
      ['formula-number.csv', at('invoice_number', `"=cmd|' /C calc'!A0"`), 3],
      ['formula-total.csv', at('total_amount', `"=cmd|' /C calc'!A0"`), 3],
      ['formula-date.csv', at('invoice_date', '=TODAY()'), 3],
      ['nul.csv', at('vendor', '\u0000'), 3],
      ['proto.json', '[{"__proto__":{"invoice_number":"P"},"constructor":1}]', 3],
      ['numbers.json', '[{"invoice_number":1e400,"vendor":true,"total_amount":[1],"invoice_date":{"a":1}}]', 3],
    ];
    for (const [name, content, expected] of cases) {
      const code = await check([write(name, content)], 'utf-8', 'extremes');
      expect(code, name).toBe(expected);
    }
  }, 60_000);

  it('an unreadable path is a usage error (exit 2), not a crash', async () => {
    const stdin = new PassThrough();
    stdin.end();
    for (const path of [join(dir, 'missing.csv'), dir]) {
      await expect(readBatch([path], { encoding: 'utf-8', stdin })).rejects.toMatchObject({ name: 'UsageError' });
    }
  });
});

// ---- a handful through the built CLI, against a sandbox that counts requests -----------------

describe('the built CLI on hostile files: exit 3 (or 2), the problem named, nothing sent', () => {
  let sandbox: SandboxHandle;
  let cliDir: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, perSecond: 1000 });
    cliDir = mkdtempSync(join(tmpdir(), 'invoice-load-fuzz-cli-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    if (cliDir) rmSync(cliDir, { recursive: true, force: true });
  });

  const run = (args: string[]) => {
    cliRuns++;
    return spawnCli(['--rate', '200', ...args], {
      env: { ALMA_API_URL: sandbox.url, ALMA_API_KEY: 'fuzz-key', INVOICE_LOAD_STATE_DIR: join(cliDir, 'state') },
    }).done;
  };

  it('random bytes, a 1 MB cell, 10,000 columns, deep JSON, formulas, BOM only, a missing file', async () => {
    const valid = generateBatch({ seed: SEED + 1, invoices: 2, prefix: 'C' }).csv;
    const [header, row] = valid.split('\n');
    const rng = fc.sample(fc.uint8Array({ minLength: 500, maxLength: 2000 }), { seed: SEED, numRuns: 1 })[0]!;
    const files: [string, string | Uint8Array, number, RegExp][] = [
      ['random.csv', rng, 3, /\[(invalid_encoding|csv_syntax|missing_value|[a-z_]+)\]/],
      ['big.csv', `${header}\n${row!.replace(/,,(?=[^,]*$)/, ',' + 'z'.repeat(1024 * 1024) + ',')}\n`, 3, /\[csv_syntax\]/],
      ['wide.csv', `${header}${',c'.repeat(10_000)}\n${row}\n`, 3, /\[[a-z_]+\]/],
      ['deep.json', '['.repeat(100_000), 3, /\[json_syntax\]/],
      ['formula.csv', `${header}\n${row!.replace(/^[^,]*/, '"=cmd|\' /C calc\'!A0"').replace(/,[\d.]+,/, ',=1+1,')}\n`, 3, /\[[a-z_]+\]/],
      ['bom.csv', '\ufeff', 3, /\[empty_file\]/],
    ];
    for (const [name, content, expected, named] of files) {
      const path = join(cliDir, name);
      writeFileSync(path, content);
      for (const extra of [[], ['--json'], ['--skip-invalid']]) {
        const res = await run([path, ...extra]);
        const out = res.stdout + res.stderr;
        expect(res.code, `${name} ${extra.join(' ')}: ${res.stderr.slice(0, 300)}`).toBe(expected);
        expect(out).not.toMatch(STACK);
        expect(out).not.toMatch(/internal error/);
        if (extra[0] === '--json') {
          const doc = JSON.parse(res.stdout) as ReportDocument;
          const codes = [...doc.issues, ...doc.invoices.flatMap((i) => i.issues)].map((p) => `[${p.code}]`).join(' ');
          expect(codes, name).toMatch(named);
        } else {
          expect(res.stdout, name).toMatch(named);
        }
      }
    }
    const missing = await run([join(cliDir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv.*no such file/);
    expect(sandbox.state().counters.requestsTotal, 'nothing was sent for any of them').toBe(0);
  }, 90_000);

  it('with --skip-invalid, only the valid invoices are sent; the hostile ones never reach the target', async () => {
    const batch = generateBatch({ seed: SEED + 2, invoices: 3, prefix: 'S' });
    const [header, ...rows] = batch.csv.trimEnd().split('\n');
    const cols = header!.split(',');
    const hostile = (number: string, col: string, value: string): string => {
      const r = rows[0]!.split(',');
      r[cols.indexOf('invoice_number')] = number;
      r[cols.indexOf(col)] = value;
      return r.join(',');
    };
    const bad = [
      hostile('BAD-FORMULA', 'total_amount', '"=cmd|\' /C calc\'!A0"'),
      hostile('BAD-DATE', 'invoice_date', '2025-02-30'),
      hostile('BAD-BIG', 'price', '9'.repeat(500)),
      hostile('BAD-NUL', 'currency', 'U\u0000D'),
    ];
    const path = join(cliDir, 'mixed.csv');
    writeFileSync(path, [header, ...rows, ...bad].join('\n') + '\n');
    const before = sandbox.state();
    const res = await run([path, '--json', '--skip-invalid', '--poll-timeout', '5']);
    expect(res.code, res.stderr).toBe(4);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.summary).toMatchObject({ invalid: 4, failed: 0 });
    const state = sandbox.state();
    const sent = Object.values(state.counters.created).flatMap((byNumber) => Object.keys(byNumber));
    expect(sent.sort()).toEqual(batch.keys.map((k) => k.number).sort());
    expect(state.invoices.filter((i) => i.number.startsWith('BAD-'))).toEqual([]);
    expect(state.counters.requestsTotal).toBeGreaterThan(before.counters.requestsTotal);
    for (const inv of report.invoices.filter((i) => i.number.startsWith('BAD-'))) {
      expect(inv.status).toBe('invalid');
      expect(inv.issues.some((p) => p.severity === 'error' && /^[a-z_]+$/.test(p.code))).toBe(true);
    }
  }, 60_000);
});
