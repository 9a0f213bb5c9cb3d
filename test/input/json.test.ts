import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, parseJson } from '../../src/common/json.js';
import { LfLines } from '../../src/input/json.js';
import { codes, fixture, read, rows, type Result } from './helpers.js';
import { validateRecords } from '../../src/domain/validate.js';
import { found } from '../domain/helpers.js';
import { samplePath } from '../helpers/samples.js';

const sample = samplePath;

describe('parseJson: optional line map', () => {
  it('maps each object and array to the line of its opening bracket', () => {
    const lines = new WeakMap<object, number>();
    const v = parseJson('{\n "a": [\n  {"b": 1},\n\n  {"c": 2}\n ]\n}', lines) as { a: object[] };
    expect(lines.get(v)).toBe(1);
    expect(lines.get(v.a)).toBe(2);
    expect(v.a.map((o) => lines.get(o))).toEqual([3, 5]);
  });

  it('without a map it works as before, keeping number text exactly', () => {
    expect(parseJson('{"id": 15334101100001021}')).toEqual({ id: new JsonNumber('15334101100001021') });
    expect(() => parseJson('{"a" 1}')).toThrow(JsonSyntaxError);
  });
});

describe('JSON: rows of several invoices on one line (shared_line)', () => {
  const warned = (r: { problems: { code: string; row?: number; message: string; severity: string }[] }) => r.problems.filter((p) => p.code === 'shared_line');

  it('a file written on one line is read, with one warning where two invoices first share a line', async () => {
    const text = JSON.stringify([
      { vendor: 'ACME', invoice_number: 'A-1', line_number: '1' },
      { vendor: 'ACME', invoice_number: 'A-1', line_number: '2' },
      { vendor: 'ACME', invoice_number: 'A-2' },
      { vendor: 'ACME', invoice_number: 'A-3' },
    ]);
    const r = await read('b.json', text);
    expect(r.records.map((x) => x.source.row)).toEqual([1, 1, 1, 1]);
    const w = warned(r);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ row: 1, severity: 'warning' });
    expect(w[0]!.message).toContain('invoices ACME A-1 and ACME A-2 both start on line 1');
  });

  it("one invoice's lines and funds on one line, or pretty-printed rows: no warning", async () => {
    const nested = JSON.stringify({
      number: 'A-1',
      vendor: { value: 'ACME' },
      invoice_lines: { invoice_line: [{ number: '1', fund_distribution: [{ fund_code: { value: 'F1' } }, { fund_code: { value: 'F2' } }] }, { number: '2' }] },
    });
    const one = await read('n.json', nested);
    expect(one.records).toHaveLength(3);
    expect(warned(one)).toEqual([]);
    const pretty = await read('p.json', JSON.stringify([{ vendor: 'ACME', invoice_number: 'A-1' }, { vendor: 'ACME', invoice_number: 'A-2' }], null, 2));
    expect(pretty.records.map((x) => x.source.row)).toEqual([2, 6]);
    expect(warned(pretty)).toEqual([]);
  });
});

describe('JSON: flat rows', () => {
  it('flat.json: rows are the opening-brace lines; numbers keep their exact digits', async () => {
    const r = await read('flat.json', await readFile(fixture('flat.json')));
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([
      [
        2,
        {
          invoice_number: 'INV-1',
          vendor: 'ACME',
          total_amount: '0.1000000000000000055511151231257827',
          po_line: '15334101100001021',
          prepaid: 'false',
          invoice_note: undefined,
        },
      ],
      [10, { invoice_number: 'INV-2', vendor: 'ACME', total_amount: '20.00', line_number: '1' }],
      [11, { invoice_number: 'INV-3', vendor: 'Müller & Söhne', total_amount: '100', invoice_note: 'Zürich "quoted" é \\ ]}' }],
    ]);
  });

  it('a number in exponent notation is the same number in plain digits, exactly; a huge exponent stays as written', async () => {
    const r = await read('t.jsonl', ['{"price": 1e1}', '{"price": 2.5E-2}', '{"price": 1.2345678901234567890123e+5}', '{"price": -4e0}', '{"price": 1e400}', '{"price": 12.50}'].join('\n'));
    expect(r.records.map((x) => x.fields['price'])).toEqual(['10', '0.025', '123456.78901234567890123', '-4', '1e400', '12.50']);
  });

  it('an object or list as a value is invalid_value for that column; the record still comes', async () => {
    const r = await read('t.json', '[\n{"vendor": {"value": "X"}, "price": [1], "quantity": "2"}\n]');
    expect(r.problems.map((p) => [p.code, p.row, p.column, p.message])).toEqual([
      ['invalid_value', 2, 'vendor', 'column vendor must be a single value, not an object'],
      ['invalid_value', 2, 'price', 'column price must be a single value, not a list'],
    ]);
    expect(r.records[0]?.fields).toEqual({ quantity: '2' });
  });

  it('keys name columns as CSV header cells do ("Vendor", "Invoice Number"); two keys for one column are duplicate_column', async () => {
    const r = await read('t.json', '[{"Vendor": "V", "Invoice Number": "A-1", "Colour": "red"},\n {"vendor": "V", "VENDOR": "W", "invoice_number": "A-2"}]');
    expect(r.records.map((x) => x.fields)).toEqual([
      { vendor: 'V', invoice_number: 'A-1', Colour: 'red' },
      { vendor: 'V', invoice_number: 'A-2' },
    ]);
    expect(r.problems.map((p) => [p.code, p.row, p.column, p.message])).toEqual([['duplicate_column', 2, 'vendor', 'keys "vendor" ("V") and "VENDOR" ("W") are the same column vendor; keep one']]);
  });

  it("two keys for one column are the record's problem: its invoice is invalid at that row, the other invoice planned", async () => {
    const line = (n: string, more: string) => `{"vendor": "V", "invoice_number": "${n}", "invoice_date": "2026-01-15", "total_amount": "10.00", "currency": "USD", "price": "10.00", "fund_code": "F"${more}}`;
    const r = await read('t.json', `[${line('A-1', ', "Fund Code": "G"')},\n ${line('A-2', '')}]`);
    // Not an event of the file (a row in no invoice), but the record's own.
    expect(r.events.filter((e) => e.kind === 'problem')).toEqual([]);
    expect(r.records[0]!.problems?.map((p) => [p.code, p.row, p.column])).toEqual([['duplicate_column', 1, 'fund_code']]);
    const g = validateRecords(r.records);
    expect(g.issues).toEqual([]);
    expect(g.invoices.map((i) => [i.key.number, i.invoice === undefined ? 'invalid' : 'valid', i.problems.map((p) => `${p.row}:${p.column}:${p.code}`)])).toEqual([
      ['A-1', 'invalid', ['1:fund_code:duplicate_column']],
      ['A-2', 'valid', []],
    ]);
  });

  it('an empty string is an empty cell, as in CSV', async () => {
    const r = await read('t.json', '[{"invoice_number": "A", "vendor": ""}]');
    expect(r.records[0]?.fields).toEqual({ invoice_number: 'A', vendor: undefined });
  });

  it('reads several top-level objects one after another (e.g. JSON Lines on stdin)', async () => {
    const r = await read('-', '{"a": 1}\n{"a": 2}\n\n{"a": 3}\n');
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.source.row, x.fields['a']])).toEqual([
      [1, '1'],
      [2, '2'],
      [4, '3'],
    ]);
  });
});

describe('JSON: nested Alma invoices', () => {
  it('nested-alma.json: one row per fund distribution, at the fund (or line) object line', async () => {
    const r = await read('nested-alma.json', await readFile(fixture('nested-alma.json')));
    expect(r.problems).toEqual([]);
    expect(rows(r)).toEqual([58, 59, 62, 84]);
    const invoice1 = {
      invoice_number: '0501130657',
      invoice_date: '2022-01-12',
      invoice_due_date: '2022-02-12',
      vendor: 'BKHS',
      vendor_account: 'ACCOUNT1',
      total_amount: '0.1000000000000000055511151231257827',
      currency: 'USD',
      payment_method: 'ACCOUNTINGDEPARTMENT',
      owner: 'LAW',
      use_pro_rata: 'false',
      shipment: '0',
      overhead: '0.0',
      insurance: '0',
      discount: '1.50',
      vat_type: 'INCLUSIVE',
      vat_percentage: '17',
      vat_amount: '17.44',
      vat_per_invoice_line: 'true',
      expended_from_fund: 'true',
      report_tax: 'false',
      prepaid: 'false',
      internal_copy: 'false',
      export_to_erp: 'true',
      invoice_note: 'Created by: John Smith',
    };
    const line1 = {
      line_number: '1',
      line_type: 'REGULAR',
      po_line: 'POL-5501',
      price: '239.0',
      quantity: '1',
      line_note: 'Vol.61, No.1-2',
      line_vat_note: 'Approximately 0.00 included',
      subscription_from_date: '2022-01-01',
      subscription_to_date: '2022-12-31',
      fully_invoiced: 'false',
      release_remaining_encumbrance: 'true',
      check_subscription_date_overlap: 'false',
      additional_info: 'see packing slip',
      reporting_code: 'REPCODE',
      tertiary_reporting_code: 'T1',
      line_vat_code: 'S',
      line_vat_percentage: '0.0',
      line_vat_amount: '0',
    };
    expect(r.records.map((x) => x.fields)).toEqual([
      { ...invoice1, ...line1, fund_code: 'ABC', fund_percent: '60.0', fund_amount: '143.40' },
      { ...invoice1, ...line1, fund_code: 'XYZ', fund_percent: '40', fund_amount: '95.60' },
      { ...invoice1, line_number: '2', line_type: 'OTHER', price: '-12.5', quantity: '1' },
      {
        invoice_number: 'INV-2',
        invoice_date: '2022-03-01',
        vendor: 'ACME',
        total_amount: '50.00',
        currency: 'EUR',
        invoice_note: 'Paid by card',
        line_number: '1',
        line_type: 'REGULAR',
        po_line: 'POL-7',
        price: '50.00',
        fund_code: 'GEN',
        fund_amount: '50.00',
      },
    ]);
  });

  it('a single nested invoice object, and one without lines, give rows', async () => {
    const r = await read('one.json', '{\n  "number": "X-1",\n  "vendor": "V",\n  "invoice_date": "2024-05-06Z"\n}\n');
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([[1, { invoice_number: 'X-1', vendor: 'V', invoice_date: '2024-05-06' }]]);
  });

  it('an empty list response gives nothing', async () => {
    expect((await read('l.json', '{"total_record_count": 0}')).events).toEqual([]);
  });

  it('wrong nested types are reported with the canonical column', async () => {
    const r = await read('t.json', '{"number": "X", "vendor": [1], "invoice_lines": [{"number": "1", "price": {"a": 1}}, "oops"]}');
    expect(r.problems.map((p) => [p.code, p.column])).toEqual([
      ['invalid_value', 'vendor'],
      ['invalid_value', 'price'],
      ['json_shape', undefined],
    ]);
    expect(r.records).toHaveLength(1);
  });

  it.skipIf(!existsSync(sample('01_invoice_get_full_waiting_to_be_sent_mit.json')))(
    'Alma sample 01 (GET invoice, 14 lines) flattens into 14 rows',
    async () => {
      const r = await read('01.json', await readFile(sample('01_invoice_get_full_waiting_to_be_sent_mit.json')));
      expect(r.problems).toEqual([]);
      expect(r.records).toHaveLength(14);
      expect(r.records.map((x) => x.fields['line_number'])).toEqual(['14', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13']);
      expect(r.records[1]?.fields).toMatchObject({
        invoice_number: '123456',
        vendor: 'BKHS',
        invoice_date: '2021-09-27',
        total_amount: '4056.07',
        po_line: 'PF0001',
        fund_code: 'ABC',
        fund_amount: '239',
        subscription_to_date: '2022-12-31',
      });
      expect(new Set(r.records.map((x) => x.source.row)).size).toBe(14);
    },
  );

  it.skipIf(!existsSync(sample('02_invoices_list_response_mit.json')))('Alma sample 02 (list response) gives rows for its 5 invoices', async () => {
    const r = await read('02.json', await readFile(sample('02_invoices_list_response_mit.json')));
    // Its invoices set an exchange rate (explicit_ratio), which invoice-load does not load: said, once.
    expect(r.problems.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['unknown_keys', 'warning', 'the key "explicit_ratio" of this invoice is not read (invoice-load does not load it); said once for the file'],
    ]);
    expect(new Set(r.records.map((x) => x.fields['invoice_number']))).toEqual(new Set(['0501130657', '0501130658', '0501130656', '0501130659']));
    expect(r.records[0]?.fields).toMatchObject({ invoice_note: 'Created by: John Smith', fund_amount: '-40.99', invoice_date: '2015-07-20' });
  });
});

describe('JSON: Alma samples 03 and 04', () => {
  it.skipIf(!existsSync(sample('03_invoice_exl_doc_sample_inreview_mit.json')))('sample 03: number_of_attachments is an output-only key, left out without a word', async () => {
    const r = await read('03.json', await readFile(sample('03_invoice_exl_doc_sample_inreview_mit.json')));
    expect(r.problems.filter((p) => p.code === 'unknown_keys').map((p) => p.message)).toEqual([
      'the key "explicit_ratio" of this invoice is not read (invoice-load does not load it); said once for the file',
    ]);
  });

  it('one invoice line on its own (as sample 04, the GET of a line) is said to be a line, not read as an invoice', async () => {
    const line = '{"type":{"value":"REGULAR"},"number":"1","price":100.0,"quantity":1,"invoice_line_vat":{"vat_amount":0},"fund_distribution":[{"fund_code":{"value":"FOO"},"amount":100}]}';
    const r = await read('04.json', line);
    expect(r.records).toEqual([]);
    expect(r.problems.map((p) => [p.row, p.code, p.message])).toEqual([
      [
        1,
        'json_shape',
        'this object is one invoice line (it has "type", "invoice_line_vat", "fund_distribution" and no vendor or invoice_lines), as Alma\'s GET of an invoice line answers, not an invoice: give the invoice with this line in its invoice_lines, or a flat row with the invoice\'s columns',
      ],
    ]);
    // An invoice without lines is still an invoice.
    expect((await read('inv.json', '{"number":"A-1","vendor":"GOBI","total_amount":0}')).records).toHaveLength(1);
  });
});

describe('JSON: a key twice in one object, an over-long value', () => {
  it.each([
    ['JSON', 't.json', '[\n {"invoice_number": "1", "vendor": "ACME",\n  "vendor": "OTHER"}\n]', 'duplicate_key@3'],
    ['JSON Lines', 't.jsonl', '{"invoice_number": "1"}\n{"vendor": "ACME", "vendor": "OTHER"}\n', 'duplicate_key@2'],
    ['nested Alma invoice', 't.json', '[{"number": "1", "invoice_lines": {"invoice_line": [{"number": "1", "number": "2"}]}}]', 'duplicate_key@1'],
  ])('%s: a duplicate key is an error naming the key, not the last value silently', async (_name, file, text, code) => {
    const r = await read(file, text);
    expect(codes(r)).toEqual([code]);
    expect(r.problems[0]?.message).toMatch(/the key "(vendor|number)" appears twice in one object/);
    expect(r.records.every((rec) => rec.fields.vendor !== 'OTHER')).toBe(true);
  });

  it('JSON: only the element with the key twice (or an over-long text) is skipped; the rest of the file is read', async () => {
    const rows = ['{"invoice_number": "1", "vendor": "A"}', '{"invoice_number": "2",\n "vendor": "A", "vendor": "B"}', '{"invoice_number": "3", "vendor": "A"}', `{"invoice_number": "4", "invoice_note": "${'x'.repeat(100_001)}"}`, '{"invoice_number": "5", "vendor": "A"}'];
    const r = await read('t.json', `[\n${rows.join(',\n')}\n]`);
    expect(r.problems.map((p) => [p.code, p.row, p.message.replace(/^.*?: /, '').replace(/.*; /, '')])).toEqual([
      ['duplicate_key', 4, 'the object from line 3 is skipped'],
      ['too_long', 6, 'this object is skipped'],
    ]);
    expect(r.records.map((x) => x.fields['invoice_number'])).toEqual(['1', '3', '5']);
  });

  it('the same key in two different objects is fine', async () => {
    const r = await read('t.json', '[{"vendor": "A"},\n{"vendor": "B"}]');
    expect(codes(r)).toEqual([]);
  });

  it('a text value beyond the cell limit is too_long', async () => {
    const r = await read('t.jsonl', `{"invoice_note": "${'x'.repeat(100_001)}"}\n{"invoice_note": "${'x'.repeat(100_000)}"}\n`);
    expect(codes(r)).toEqual(['too_long@1']);
    expect(r.problems[0]?.message).toContain('longer than 100,000 characters');
  });
});

describe('parseJson options', () => {
  it('keeps the last value without uniqueKeys (answers from APIs), refuses it with', () => {
    expect(parseJson('{"a": "1", "a": "2"}')).toEqual({ a: '2' });
    expect(() => parseJson('{"a": "1",\n "a": "2"}', undefined, { uniqueKeys: true })).toThrow(
      expect.objectContaining({ code: 'duplicate_key', line: 2, column: 2 }),
    );
  });
});

describe('JSON: syntax and shape problems', () => {
  it.each([
    ['bad token on a later line', '[\n  {"a": 1},\n  {"a" 2}\n]', 'json_syntax@3', 'line 3, column 8: expected \':\''],
    ['bad token in a later element on line 1', '[{"a":1}, {"a" 2}]', 'json_syntax@1', 'line 1, column 16'],
    ['missing comma between elements', '[{"a":1}\n {"a":2}]', 'json_syntax@2', "line 2, column 2: expected ',' or ']'"],
    ['trailing comma', '[{"a":1},\n]', 'json_syntax@2', 'line 2, column 1'],
    ['unclosed array', '[{"a":1},\n{"a":2}', 'json_syntax@2', 'the file ends before the array that starts on line 1, column 1 is closed'],
    ['unclosed object', '[\n{"a":', 'json_syntax@2', 'ends inside the value that starts on line 2, column 1'],
    ['stray closing bracket', ']', 'json_syntax@1', "unexpected ']'"],
    ['mismatched brackets', '[{"a":1]}', 'json_syntax@1', 'line 1'],
  ])('%s', async (_name, text, code, message) => {
    const r = await read('t.json', text);
    expect(codes(r)).toEqual([code]);
    expect(r.problems[0]?.message).toContain(message);
  });

  it('stops at a syntax error but keeps what came before', async () => {
    const r = await read('t.json', '[{"a":1},\n{"a":x},\n{"a":3}]');
    expect(rows(r)).toEqual([1]);
    expect(codes(r)).toEqual(['json_syntax@2']);
  });

  it.each([
    ['a comment', '// March invoices\n[{"vendor": "V"}]', 'the file starts with a comment ("// March invoices"); JSON has no comments: remove them'],
    ['an HTML page', '<!DOCTYPE html>\n<html>502 Bad Gateway</html>', 'the file starts with "<!DOCTYPE html>": it is HTML or XML, not JSON (a web page saved in place of the download?)'],
    ['CSV', 'vendor,invoice_number\nV,1\n', 'the file does not start as JSON does (with [ or {) but with "vendor,invoice_number"; if it is CSV, name it .csv'],
    ['NaN', 'NaN', 'the file does not start as JSON does (with [ or {) but with "NaN"; if it is CSV, name it .csv'],
  ])('a .json file that is not JSON (%s) says what it starts with: json_syntax', async (_what, text, message) => {
    const r = await read('t.json', text);
    expect(codes(r)).toEqual(['json_syntax@1']);
    expect(r.problems[0]?.message).toContain(message);
  });

  it('a top-level value that is not an array or object is json_shape, for the whole file (no row: it was counted as a row in no invoice)', async () => {
    for (const text of ['"hello"', '42', '-1', 'true', 'null']) {
      const r = await read('t.json', text);
      expect(codes(r)).toEqual(['json_shape@-']);
    }
  });

  it('array elements that are not objects are json_shape each, and reading goes on', async () => {
    const r = await read('t.json', '[1,\n "x",\n [2],\n {"a": "ok"}]');
    expect(codes(r)).toEqual(['json_shape@1', 'json_shape@2', 'json_shape@3']);
    expect(rows(r)).toEqual([4]);
  });

  it('hostile nesting is json_syntax, not a crash', async () => {
    for (const text of ['[' + '['.repeat(100_000), '[' + '{"a":'.repeat(300) + '1' + '}'.repeat(300) + ']', '{"a":'.repeat(5000)]) {
      const r = await read('t.json', text);
      expect(codes(r)).toEqual([expect.stringMatching(/^json_syntax@1$/)]);
      expect(r.problems[0]?.message).toContain('nesting deeper than 256 levels');
    }
    const lines = await read('t.jsonl', '{"a":1}\n' + '['.repeat(10_000) + '\n{"a":2}\n');
    expect(codes(lines)).toEqual(['json_syntax@2']);
    expect(rows(lines)).toEqual([1, 3]);
  });
});

describe('JSON Lines', () => {
  it('bad-line.jsonl: a bad line is reported and the next lines are read', async () => {
    const r = await read('bad-line.jsonl', await readFile(fixture('bad-line.jsonl')));
    expect(codes(r)).toEqual(['json_syntax@3']);
    expect(r.problems[0]?.message).toContain('line 3, column 42: unexpected character');
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([
      [1, { invoice_number: 'INV-1', total_amount: '10.5' }],
      [4, { invoice_number: 'INV-3', total_amount: '15334101100001021' }],
    ]);
  });

  it('accepts nested invoices per line and a non-object line is json_shape', async () => {
    const r = await read('x.ndjson', '{"number":"N","invoice_lines":[{"number":"1"},{"number":"2"}]}\n[1]\n');
    expect(rows(r)).toEqual([1, 1]);
    expect(codes(r)).toEqual(['json_shape@2']);
  });

  // Lines ended by a lone CR (classic Mac OS) were one line 1: "unexpected text after the JSON value".
  it.each([
    ['lone CR', '\r'],
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('a line ends at %s; rows are the lines an editor shows', async (_name, eol) => {
    const text = ['{"invoice_number": "A-1"}', '', '{"invoice_number": "A-2"}', '{"invoice_number": "A-3", }', '{"invoice_number": "A-4"}'].join(eol) + eol;
    for (let cut = 0; cut <= text.length; cut++) {
      const r = await read('t.jsonl', text, { cuts: [cut] });
      expect(r.records.map((x) => [x.source.row, x.fields.invoice_number])).toEqual([
        [1, 'A-1'],
        [3, 'A-2'],
        [5, 'A-4'],
      ]);
      expect(codes(r)).toEqual(['json_syntax@4']);
    }
  });

  // The decoder hands on whole lines (input/decode.ts), so a reader sees these splits only from
  // standard input or a large chunk's edge: LfLines is given them directly.
  it.each([
    ['a CRLF cut between its CR and LF', ['a\r', '\nb'], 'a\nb'],
    ['the LF of a cut CRLF alone, then another LF', ['a\r', '\n', '\nb'], 'a\n\nb'],
    ['an empty chunk between CR and LF', ['a\r', '', '\nb'], 'a\nb'],
    ['a lone CR at a chunk end', ['a\r', 'b\r\r', 'c'], 'a\nb\n\nc'],
    ['CRLF, CR and LF in one chunk', ['a\r\nb\rc\nd'], 'a\nb\nc\nd'],
  ])('LfLines: %s', (_name, chunks, expected) => {
    const lf = new LfLines();
    expect(chunks.map((c) => lf.push(c)).join('')).toBe(expected);
  });

  it('lone CRs and LFs mixed in one file each end a line', async () => {
    const r = await read('t.jsonl', '{"invoice_number": "A-1"}\r{"invoice_number": "A-2"}\n{"invoice_number": "A-3"}\r\n{"invoice_number": "A-4"}');
    expect(r.problems).toEqual([]);
    expect(rows(r)).toEqual([1, 2, 3, 4]);
  });
});

describe('JSON: a file whose lines end in a lone CR', () => {
  it('gives each object the line an editor shows (all were line 1, with a shared_line warning)', async () => {
    const text = JSON.stringify([{ invoice_number: 'A-1', vendor: 'V' }, { invoice_number: 'A-2', vendor: 'V' }], null, 2).replaceAll('\n', '\r');
    for (let cut = 0; cut <= text.length; cut += 7) {
      const r = await read('t.json', text, { cuts: [cut] });
      expect(r.problems).toEqual([]);
      expect(rows(r)).toEqual([2, 6]);
    }
  });
});

describe('JSON: an Alma invoice with several notes', () => {
  const inv = (notes: string) => `{"number": "INV-2", "vendor": "ACME", "notes": ${notes}, "invoice_lines": [{"number": "1", "price": "5"}]}`;

  it('keeps every note, one per line, and warns that they go as one', async () => {
    const r = await read('n.json', `[${inv('[{"content": "a"}, {"note_text": "b"}, "c", {"content": 5}, {"content": ""}]')}]`);
    expect(r.records[0]?.fields['invoice_note']).toBe('a\nb\nc\n5');
    expect(r.problems.map((p) => [p.code, p.severity, p.row, p.column])).toEqual([['notes_joined', 'warning', 1, 'invoice_note']]);
    expect(r.problems[0]?.message).toContain('invoice INV-2 has 4 notes');
  });

  it('says which note holds no text it reads, not drops it unseen', async () => {
    const r = await read('n.json', `[${inv('[{"content": "a"}, {"text": "c"}, ["d"]]')}]`);
    expect(r.records[0]?.fields['invoice_note']).toBe('a');
    expect(r.problems.map((p) => [p.code, p.message])).toEqual([['invalid_value', 'notes 2, 3 hold no text: a note is a text, or an object with "content" (or "note_text")']]);
  });

  it('one note: no warning', async () => {
    const r = await read('n.json', `[${inv('{"content": "single"}')}]`);
    expect(r.records[0]?.fields['invoice_note']).toBe('single');
    expect(r.problems).toEqual([]);
  });
});

describe('JSON: shapes that hold no invoice, and whole numbers in exponent notation', () => {
  it('{"invoices": [...]} is one json_shape error for the file (no row: it is the layout, not a row in no invoice) naming the layouts read, not "column invoices must be a single value"', async () => {
    const r = await read('w.json', '{"invoices": [{"invoice_number": "1", "vendor": "A"}]}');
    expect(codes(r)).toEqual(['json_shape@-']);
    expect(r.problems[0]?.message).toBe(
      'an object holding the list "invoices" is not a layout invoice-load reads: give the invoices as a list (a top-level array [...]), as Alma\'s list answer {"invoice": [...]}, or as JSON Lines (one object per line)',
    );
  });

  it('the same object as a line of a .jsonl file or an element of an array is a row: json_shape at its row, each time, among rows that load', async () => {
    const line = '{"invoices": [{"invoice_number": "1", "vendor": "A"}]}';
    const row = '{"invoice_number": "2", "vendor": "A", "price": "1"}';
    expect(codes(await read('w.jsonl', `${line}\n`))).toEqual(['json_shape@1']);
    const lines = await read('w.jsonl', `${row}\n${line}\n${row}\n{"lines": [{"invoice_number": "5"}]}\n`);
    expect(codes(lines)).toEqual(['json_shape@2', 'json_shape@4']);
    expect(lines.problems[1]?.message).toContain('an object holding the list "lines" is not a layout invoice-load reads');
    expect(lines.records.map((x) => x.source.row)).toEqual([1, 3]);
    const array = await read('w.json', `[\n${row},\n${line},\n{"lines": [{"invoice_number": "5"}]}\n]`);
    expect(codes(array)).toEqual(['json_shape@3', 'json_shape@4']);
    expect(array.records.map((x) => x.source.row)).toEqual([2]);
  });

  it('an empty object is a warning naming its place, not skipped unsaid', async () => {
    const r = await read('e.json', '[\n{},\n{"invoice_number": "1", "vendor": "A"},\n{}\n]');
    expect(r.problems.map((p) => [p.code, p.severity, p.row, p.message])).toEqual([
      ['empty_object', 'warning', 2, 'object 1 is empty ({}): it holds no invoice row, and is skipped'],
      ['empty_object', 'warning', 4, 'object 3 is empty ({}): it holds no invoice row, and is skipped'],
    ]);
    expect(r.records).toHaveLength(1);
  });

  it('line_number and quantity 1e0 are kept as written (refused as 1.0 is); a price 1e1 is still 10', async () => {
    const r = await read('x.json', '[{"invoice_number": "1", "vendor": "A", "line_number": 1e0, "quantity": 2E0, "price": 1e1}]');
    expect(r.records[0]?.fields).toMatchObject({ line_number: '1e0', quantity: '2E0', price: '10' });
    const alma = await read('a.json', '[{"number": "1", "vendor": "A", "invoice_lines": [{"number": 1e0, "quantity": 1e0, "price": 1}]}]');
    expect(alma.records[0]?.fields).toMatchObject({ line_number: '1e0', quantity: '1e0' });
  });
});

describe('JSON: a value that is not a text in an identifier column', () => {
  const one = async (column: string, value: string) => {
    const base: Record<string, string> = { invoice_number: '"A-1"', vendor: '"V"', [column]: value };
    const r = await read('k.json', `[{${Object.entries(base).map(([k, v]) => `"${k}": ${v}`).join(', ')}}]`);
    return { problems: r.problems.map((p) => [p.code, p.row, p.column, p.message]), fields: r.records[0]?.fields ?? {} };
  };

  it.each([
    ['invoice_number', 'true', 'invoice_number is the JSON value true, not a text: write the invoice number as text, in quotes'],
    ['vendor', 'false', 'vendor is the JSON value false, not a text: write the vendor as text, in quotes'],
    ['vendor_account', 'true', 'vendor_account is the JSON value true, not a text: write the vendor account as text, in quotes'],
    ['fund_code', 'true', 'fund_code is the JSON value true, not a text: write the fund code as text, in quotes'],
    ['po_line', 'false', 'po_line is the JSON value false, not a text: write the po line as text, in quotes'],
  ])('%s %s is boolean_cell, as in a workbook (it was loaded as the text "true")', async (column, value, message) => {
    const r = await one(column, value);
    expect(r.problems).toEqual([['boolean_cell', 1, column, message]]);
    expect(column in r.fields).toBe(false);
  });

  it.each([
    ['invoice_number', '1e5', 'with an exponent', '"100000"'],
    ['invoice_number', '1.5E3', 'with an exponent', '"1500"'],
    ['invoice_number', '12.0', 'with a fraction', '"12.0"'],
    ['vendor', '2e400', 'with an exponent', 'in quotes'],
    ['po_line', '1.25e3', 'with an exponent', '"1250"'],
    ['fund_code', '3.5', 'with a fraction', '"3.5"'],
  ])('%s %s is number_cell: an id is never a computed number', async (column, value, how, as) => {
    const r = await one(column, value);
    expect(r.problems).toEqual([
      ['number_cell', 1, column, `${column} ${value} is a number written ${how} in the file, not a text: an id is never a computed number, so this may not be the vendor's; write ${column.replace(/_/g, ' ')}s as text: ${as}`],
    ]);
  });

  it.each([
    ['invoice_number', '100000', '100000'],
    ['vendor_account', '15334101100001021', '15334101100001021'],
    ['invoice_number', '-7', '-7'],
  ])('%s %s, a whole number, is kept exactly as written', async (column, value, text) => {
    const r = await one(column, value);
    expect(r.problems).toEqual([]);
    expect(r.fields[column]).toBe(text);
  });

  it('other columns are as before: a boolean is "true", an amount 1e1 is 10', async () => {
    const r = await read('o.json', '[{"invoice_number": "A-1", "vendor": "V", "prepaid": true, "price": 1e1, "invoice_note": 12.0}]');
    expect(r.problems).toEqual([]);
    expect(r.records[0]?.fields).toMatchObject({ prepaid: 'true', price: '10', invoice_note: '12.0' });
  });

  it("Alma's nested invoice: number, vendor, vendor_account, po_line and fund_code alike, each at its object's line", async () => {
    const r = await read(
      'n.json',
      '{"number": 1e5, "vendor": {"value": true}, "vendor_account": 42,\n "invoice_lines": [\n {"number": "1", "po_line": 1.0,\n "fund_distribution": [\n {"fund_code": {"value": false}, "percent": 100}]}]}',
    );
    expect(r.problems.map((p) => [p.code, p.row, p.column])).toEqual([
      ['number_cell', 1, 'invoice_number'],
      ['boolean_cell', 1, 'vendor'],
      ['number_cell', 3, 'po_line'],
      ['boolean_cell', 5, 'fund_code'],
    ]);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]?.fields).toMatchObject({ vendor_account: '42', line_number: '1', fund_percent: '100' });
    expect(r.records[0]?.fields['invoice_number']).toBeUndefined();
  });
});

describe('JSON: keys of a nested Alma invoice or line that its shape does not read', () => {
  const nest = `{"invoice":[
{"number":"NE-1","invoice_date":"2025-03-03","vendor":{"value":"GOBI"},"currency":{"value":"USD"},"total_amount":22.50,
 "shipment": 12.50, "invoice_note":"deliver to annex", "delivery_hint": "back door", "explicit_ratio": [{"foreign_currency":{"value":"ILS"},"rate":10}],
 "id": "123", "link": "x", "invoice_workflow_status": {"value": "ACTIVE"},
 "invoice_lines":{"invoice_line":[
  {"number":"1","type":{"value":"REGULAR"},"po_line":"POL-1","price":10.00,"quantity":1,"fund_code":"BIO","fund_percent":100,"line_note":"important","colour":"red","total_price":10},
  {"number":"2","type":{"value":"OTHER"},"price":12.50,"quantity":1,"fund_distribution":[{"fund_code":{"value":"BIO"},"percent":100}],"colour":"blue"}
 ]}}
]}`;

  it("reads a flat column's key as that column (a line's fund_code is its fund), and warns once per level naming the others", async () => {
    const r = await read('nest.json', nest);
    expect(r.records.map((x) => [x.source.row, x.fields['line_number'], x.fields['fund_code'], x.fields['fund_percent'], x.fields['line_note'], x.fields['shipment'], x.fields['invoice_note']])).toEqual([
      [6, '1', 'BIO', '100', 'important', '12.50', 'deliver to annex'],
      [7, '2', 'BIO', '100', undefined, '12.50', 'deliver to annex'],
    ]);
    expect(r.problems.map((p) => [p.row, p.code, p.severity, p.message])).toEqual([
      [2, 'unknown_keys', 'warning', 'the keys "delivery_hint", "explicit_ratio" of this invoice are not read (invoice-load does not load them); said once for the file'],
      [6, 'unknown_keys', 'warning', 'the key "colour" of this invoice line is not read (invoice-load does not load it); said once for the file'],
    ]);
  });

  it('a flat fund_code beside a fund_distribution, or a column given twice, is refused, not one of them dropped', async () => {
    const r = await read(
      't.json',
      '{"number":"N-1","vendor":"V","additional_charges":{"shipment":5},"shipment":6,"invoice_lines":[{"number":"1","price":1,"fund_code":"A","fund_distribution":[{"fund_code":"B","percent":100}]}]}',
    );
    expect(r.records.flatMap((x) => x.problems ?? []).map((p) => [p.code, p.column, p.message])).toEqual([
      ['duplicate_column', 'shipment', 'this invoice gives shipment twice: in its nested form and as the key "shipment"; keep one'],
      ['duplicate_column', 'fund_code', 'this invoice line has both "fund_code" and "fund_distribution": give its funds in one of them'],
    ]);
  });

  it("a line's key for an invoice column is the line's own column where there is one (vat_amount is line_vat_amount), else not read: never the invoice's", async () => {
    const r = await read(
      'n3.json',
      `{"invoice":[{"number":"B1","invoice_date":"2025-03-03","vendor":{"value":"GOBI"},"currency":{"value":"USD"},"total_amount":100,
 "invoice_lines":{"invoice_line":[
  {"number":"1","type":{"value":"REGULAR"},"po_line":"POL-1","price":100,"quantity":1,"vat_amount":10,"currency":"EUR","fund_distribution":[{"fund_code":{"value":"BIO"},"percent":100}]}]}}]}`,
    );
    expect(r.records.map((x) => [x.fields['line_vat_amount'], x.fields['vat_amount'], x.fields['currency']])).toEqual([['10', undefined, 'USD']]);
    expect(r.problems.map((p) => [p.row, p.code, p.severity, p.message])).toEqual([
      [3, 'unknown_keys', 'warning', 'the key "currency" of this invoice line names a column of the invoice, not of a line: not read here (give it on the invoice); said once for the file'],
    ]);
  });

  it("an invoice's key for a line or fund column (fund_code, price, quantity) is not read and not applied to its lines: an error of every invoice that has one", async () => {
    const r = await read(
      'n4.json',
      `{"invoice":[{"number":"B1","invoice_date":"2025-03-03","vendor":{"value":"GOBI"},"currency":{"value":"USD"},"total_amount":30,"fund_code":"BOOKS","price":5,
 "invoice_lines":{"invoice_line":[
  {"number":"1","po_line":"POL-1","price":10,"quantity":1},
  {"number":"2","price":20,"quantity":1,"fund_distribution":[{"fund_code":{"value":"BIO"},"percent":100}]}]}},
 {"number":"B2","invoice_date":"2025-03-03","vendor":{"value":"GOBI"},"total_amount":10,"Fund Code":"BOOKS","quantity":2,
 "invoice_lines":[{"number":"1","po_line":"POL-2","price":10}]}]}`,
    );
    expect(r.records.map((x) => [x.fields['invoice_number'], x.fields['line_number'], x.fields['fund_code'], x.fields['price'], x.fields['quantity']])).toEqual([
      ['B1', '1', undefined, '10', '1'],
      ['B1', '2', 'BIO', '20', '1'],
      ['B2', '1', undefined, '10', undefined],
    ]);
    // On the invoice's first record, so in the invoice: each key, with its row and column, each invoice.
    expect(r.records.map((x) => (x.problems ?? []).map((p) => [p.row, p.column, p.code, p.severity]))).toEqual([
      [
        [1, 'fund_code', 'misplaced_key', 'error'],
        [1, 'price', 'misplaced_key', 'error'],
      ],
      [],
      [
        [5, 'fund_code', 'misplaced_key', 'error'],
        [5, 'quantity', 'misplaced_key', 'error'],
      ],
    ]);
    expect(r.problems.map((p) => p.message)).toEqual([
      `the key "fund_code" of invoice "B1" is a column of an invoice line, not of the invoice: it was not applied to the invoice's lines; give it on each line in invoice_lines, a fund in the line's fund_distribution`,
      `the key "price" of invoice "B1" is a column of an invoice line, not of the invoice: it was not applied to the invoice's lines; give it on each line in invoice_lines`,
      `the key "Fund Code" (fund_code) of invoice "B2" is a column of an invoice line, not of the invoice: it was not applied to the invoice's lines; give it on each line in invoice_lines, a fund in the line's fund_distribution`,
      `the key "quantity" of invoice "B2" is a column of an invoice line, not of the invoice: it was not applied to the invoice's lines; give it on each line in invoice_lines`,
    ]);
  });

  it("an Alma-shaped invoice (number) without invoice_lines whose line keys sit beside it: not read as a line, an error saying so", async () => {
    const r = await read('n5.json', '[{"number":"N-3","invoice_date":"2026-11-01","vendor":"ACME","total_amount":"10.00","currency":"USD","line_number":"1","price":"10.00","fund_code":"F1"}]');
    expect(r.records.map((x) => [x.fields['invoice_number'], x.fields['line_number'], x.fields['price'], x.fields['fund_code']])).toEqual([['N-3', undefined, undefined, undefined]]);
    expect(r.problems.map((p) => [p.row, p.column, p.code, p.severity])).toEqual([
      [1, 'line_number', 'misplaced_key', 'error'],
      [1, 'price', 'misplaced_key', 'error'],
      [1, 'fund_code', 'misplaced_key', 'error'],
    ]);
    expect(r.problems[1]?.message).toBe(
      'the key "price" of invoice "N-3" is a column of an invoice line, not of the invoice, and the invoice has no invoice_lines: it was not read as a line; ' +
        'give each line in invoice_lines, with its price there (or write the invoice as flat rows, its number as invoice_number)',
    );
  });

  it('an empty fund_distribution beside a flat fund_code is no fund distribution: the fund_code is read, nothing refused', async () => {
    const r = await read(
      'n1.json',
      '{"invoice":[{"number":"A1","vendor":"GOBI","currency":"USD","total_amount":10,"invoice_lines":{"invoice_line":[{"number":"1","price":10,"quantity":1,"fund_code":"BIO","fund_distribution":[]},{"number":"2","price":10,"quantity":1,"fund_code":"CHEM","fund_distribution":{"fund_distribution":[]}}]}}]}',
    );
    expect(r.records.flatMap((x) => x.problems ?? [])).toEqual([]);
    expect(r.records.map((x) => [x.fields['line_number'], x.fields['fund_code']])).toEqual([
      ['1', 'BIO'],
      ['2', 'CHEM'],
    ]);
  });

  it("one page of Alma's list (total_record_count above the invoices it holds) is a warning saying so", async () => {
    const page = '{"total_record_count": 57, "invoice":[{"number":"P-1","vendor":"GOBI","invoice_lines":[{"number":"1","price":10}]}]}';
    const r = await read('page.json', page);
    expect(r.problems.map((p) => [p.row, p.code, p.severity, p.message])).toEqual([
      [1, 'partial_list', 'warning', "the file holds one page of Alma's invoice list: 1 of the 57 invoices its total_record_count gives; the others are not in the file and are not loaded (fetch every page: offset and limit)"],
    ]);
    expect(r.records).toHaveLength(1);
    expect((await read('all.json', page.replace('57', '1'))).problems).toEqual([]);
  });
});

/**
 * A JSON number has no thousands separator (RFC 8259 §6): `1.200` is 1.2. The reader says which
 * cells were numbers (SourceRecord.native), their text unchanged, so the rules do not refuse them
 * as `ambiguous_number` (domain/findings.ts `dotThousands`); a text "1.200" still is.
 */
describe('JSON: amounts written as numbers, not texts', () => {
  const marks = (r: Result): [Record<string, string | undefined>, string[]][] => r.records.map((x) => [x.fields, [...(x.native ?? [])].sort()]);

  it('flat rows and JSON Lines: a number written like 1.200 is marked, every number keeps its digits as the file has them; texts are not marked', async () => {
    const flat = await read('f.json', '[{"invoice_number": "A-1", "total_amount": 1.200, "price": "1.200", "shipment": 1234.50, "quantity": 2, "fund_amount": 12345678901234567890.12, "discount": 1e3}]');
    expect(marks(flat)).toEqual([
      [
        { invoice_number: 'A-1', total_amount: '1.200', price: '1.200', shipment: '1234.50', quantity: '2', fund_amount: '12345678901234567890.12', discount: '1000' },
        ['total_amount'], // the others need no note: no text of theirs could be read two ways
      ],
    ]);
    const lines = await read('f.jsonl', '{"invoice_number": "A-1", "total_amount": 1.200}\n{"invoice_number": "A-1", "total_amount": "1.200"}\n');
    expect(marks(lines)).toEqual([
      [{ invoice_number: 'A-1', total_amount: '1.200' }, ['total_amount']],
      [{ invoice_number: 'A-1', total_amount: '1.200' }, []],
    ]);
  });

  it("a nested Alma invoice: the invoice's, its VAT's and charges', each line's and each fund's numbers, copied to every row of the line", async () => {
    const doc = {
      number: 'A-1',
      vendor: { value: 'V' },
      total_amount: 'TOTAL',
      invoice_vat: { vat_amount: 'VAT' },
      additional_charges: { shipment: 'SHIP' },
      invoice_lines: {
        invoice_line: [
          { number: '1', price: 'PRICE', invoice_line_vat: { vat_amount: 'LVAT' }, fund_distribution: [{ fund_code: { value: 'F1' }, amount: 'FUND' }, { fund_code: { value: 'F2' }, amount: '"2.500"' }] },
          { number: '2', price: '"3.000"', vat_amount: 'LVAT' },
        ],
      },
    };
    const text = JSON.stringify(doc).replace(/"(TOTAL|VAT|SHIP|PRICE|LVAT|FUND)"/g, '1.200').replace(/"\\"(.*?)\\""/g, '"$1"');
    const r = await read('n.json', text);
    expect(r.problems).toEqual([]);
    const got = r.records.map((x) => [x.fields['line_number'], x.fields['fund_code'], [...(x.native ?? [])].sort()]);
    const invoice = ['shipment', 'total_amount', 'vat_amount'];
    expect(got).toEqual([
      ['1', 'F1', ['fund_amount', 'line_vat_amount', 'price', ...invoice].sort()],
      ['1', 'F2', ['line_vat_amount', 'price', ...invoice].sort()], // its fund amount is the text "2.500"
      ['2', undefined, ['line_vat_amount', ...invoice].sort()], // its price is the text "3.000"; its flat vat_amount key a number
    ]);
    expect(r.records.every((x) => x.fields['total_amount'] === '1.200')).toBe(true);
  });

  // Read, grouped and checked as the CLI does: the rules see what the reader marked.
  const HEAD = '"invoice_number": "A-1", "invoice_date": "2025-02-20", "vendor": "V", "currency": "EUR", "line_number": "1", "fund_code": "F"';
  it.each<[name: string, body: string, expected: string[], total: string | undefined]>([
    ['numbers 1.200: 1.2', '"total_amount": 1.200, "price": 1.200', [], '1.2'],
    ['numbers 10.000', '"total_amount": 10.000, "price": 10.000', [], '10'],
    ['numbers -1.200 (a credit note)', '"total_amount": -1.200, "price": -1.200', [], '-1.2'],
    // Beside a number 1.200 shipment (refused as ambiguous before), as every case below: what the
    // reader keeps of a number is its digits, whatever they are.
    ['number 1234.50: its text kept', '"total_amount": 1235.70, "price": 1234.50, "shipment": 1.200', [], '1235.7'],
    ['the largest number Alma takes, exactly', '"total_amount": 999999999999.990, "price": 999999999998.790, "shipment": 1.200', [], '999999999999.99'],
    ['number 1e3', '"total_amount": 1001.2, "price": 1e3, "shipment": 1.200', [], '1001.2'],
    ['number 1.234: three decimals that count', '"total_amount": 2.434, "price": 1.234, "shipment": 1.200', ['2:total_amount:too_many_decimals', '2:price:too_many_decimals'], undefined],
    ['number total, text price', '"total_amount": 1.200, "price": "1.200"', ['2:price:ambiguous_number'], undefined],
  ])('EUR, %s', async (_, body, expected, total) => {
    const r = await read('e.json', `[\n{${HEAD}, ${body}}\n]`);
    const g = validateRecords(r.records);
    expect(found(g).filter((c) => !c.endsWith(':mapping_needed'))).toEqual(expected);
    expect(g.invoices[0]!.invoice?.header.totalAmount.toFixed()).toBe(total);
  });

  // Marks are kept by row and column: records that begin on one line of the file share a row.
  it.each<[name: string, text: string]>([
    ['two lines, the second a text', `[{${HEAD}, "total_amount": 2.40, "price": 1.200},{${HEAD.replace('"line_number": "1"', '"line_number": "2"')}, "total_amount": 2.40, "price": "1.200"}]`],
    ['two lines, the first a text', `[{${HEAD}, "total_amount": 2.40, "price": "1.200"},{${HEAD.replace('"line_number": "1"', '"line_number": "2"')}, "total_amount": 2.40, "price": 1.200}]`],
    ['two funds of a nested line', '{"invoice":[{"number":"N-8","invoice_date":"2025-02-20","vendor":{"value":"V"},"total_amount":2.40,"currency":{"value":"EUR"},"invoice_lines":{"invoice_line":[{"number":"1","price":2.40,"quantity":1,"fund_distribution":[{"fund_code":"F1","amount":1.200},{"fund_code":"F2","amount":"1.200"}]}]}}]}'],
  ])('EUR on one line of the file, %s: the text "1.200" is refused, never read as the other record\'s number', async (_, text) => {
    const r = await read('m.json', text);
    const g = validateRecords(r.records);
    expect(found(g).filter((c) => c.endsWith(':ambiguous_number')).length).toBeGreaterThan(0);
    expect(g.invoices[0]!.invoice).toBeUndefined();
  });

  it('a text "1.200" keeps the advice of a --mapping profile; a number never gets it', async () => {
    const r = await read('e.json', `[\n{${HEAD}, "total_amount": "1.200", "price": 1.200}\n]`);
    const messages = validateRecords(r.records).invoices[0]!.problems.map((p) => `${p.column}: ${p.message}`);
    expect(messages).toEqual([
      'total_amount: total_amount "1.200" could be 1,200 (a dot between thousands) or 1.2 (a decimal point and three decimals); EUR has 2: write 1200 or 1.20, ' +
        'or, for a file that writes amounts with a decimal comma, read it with a --mapping profile ("numbers": {"decimal": ",", "thousands": "."})',
    ]);
  });
});
