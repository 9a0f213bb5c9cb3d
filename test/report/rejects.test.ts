import { describe, expect, it } from 'vitest';
import { csvLine, leftOutClause, rejectedRowOwners, rejectedRows, rejectsLayout, rejectsRow, rowKey, rerunLeftOut } from '../../src/report/rejects.js';
import type { ReportDocument, ReportInvoice } from '../../src/report/report.js';

const inv = (o: Partial<ReportInvoice>): ReportInvoice => ({ vendor: 'V', number: 'N', status: 'loaded', alerts: [], lines: [], issues: [], rows: [], ...o });
const doc = (invoices: ReportInvoice[], issues: ReportDocument['issues'] = []) => ({ invoices, issues }) as unknown as ReportDocument;

describe('rejectedRowOwners: rows several records share (JSON on one line)', () => {
  const one = [{ file: 'b.json', row: 1 }];
  const owned = (o: { batch?: unknown; invoices: Map<string, unknown> } | undefined) => ({ batch: o?.batch, invoices: Object.fromEntries(o?.invoices ?? []) });

  it("the rejected invoices' own records, each with its own reason; a loaded one's stay out", () => {
    const report = doc([
      inv({ number: 'A-1', status: 'loaded', rows: one }),
      inv({ number: 'A-2', status: 'invalid', rows: one, issues: [{ file: 'b.json', row: 1, code: 'total_mismatch', message: 'the lines add up to 10', severity: 'error' }] }),
      inv({ number: 'A-3', status: 'failed', rows: one, error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid.' } }),
    ]);
    expect(owned(rejectedRowOwners(report).get(rowKey('b.json', 1)))).toEqual({
      batch: undefined,
      invoices: {
        'V\u0000A-2': { code: 'total_mismatch', message: 'the lines add up to 10' },
        'V\u0000A-3': { code: '60237', message: 'Invoice vendor account not valid.' },
      },
    });
  });

  it("a row a batch error names takes every record under that reason, a rejected invoice's with its own after it", () => {
    const report = doc(
      [
        inv({ number: 'A-1', status: 'planned', rows: one }),
        inv({ number: 'A-2', status: 'invalid', rows: one, issues: [{ file: 'b.json', row: 1, code: 'invalid_date', message: 'bad date', severity: 'error' }] }),
      ],
      [{ file: 'b.json', row: 1, code: 'duplicate_key', message: 'a key twice', severity: 'error' }],
    );
    expect(owned(rejectedRowOwners(report).get(rowKey('b.json', 1)))).toEqual({
      batch: { code: 'duplicate_key', message: 'a key twice' },
      invoices: { 'V\u0000A-2': { code: 'invalid_date', message: 'bad date' } },
    });
  });

  it("an accepted invoice a batch error names on one of its rows comes back whole: its rows on a shared line too", () => {
    const report = doc(
      [
        inv({ number: 'A-1', status: 'planned', rows: [{ file: 'b.json', row: 1 }, { file: 'b.json', row: 2 }] }),
        inv({ number: 'B-1', status: 'invalid', rows: one, issues: [{ file: 'b.json', row: 1, code: 'total_mismatch', message: 'off', severity: 'error' }] }),
      ],
      [{ file: 'b.json', row: 2, code: 'invalid_value', message: 'not a single value', severity: 'error' }],
    );
    expect(owned(rejectedRowOwners(report).get(rowKey('b.json', 1)))).toEqual({
      batch: undefined,
      invoices: {
        'V\u0000A-1': { code: 'invalid_value', message: 'row 2: not a single value' },
        'V\u0000B-1': { code: 'total_mismatch', message: 'off' },
      },
    });
  });
});

describe("an invalid invoice with no error of its own: its file's error (a file without a column every invoice needs)", () => {
  it("each of its rows goes back with the file's missing_column, not 'the invoice is invalid'", () => {
    const missing = { file: 'n.csv', column: 'total_amount', code: 'missing_column', message: 'the file has no total_amount column', severity: 'error' as const };
    const report = doc(
      [inv({ number: 'A', status: 'invalid', rows: [{ file: 'n.csv', row: 2 }] }), inv({ number: 'B', status: 'invalid', rows: [{ file: 'n.csv', row: 3 }] })],
      [missing, { file: 'other.csv', code: 'missing_column', message: 'not this file', severity: 'error' }],
    );
    const owners = rejectedRowOwners(report);
    for (const [row, number] of [[2, 'A'], [3, 'B']] as const) {
      expect(Object.fromEntries(owners.get(rowKey('n.csv', row))!.invoices)).toEqual({ [`V\u0000${number}`]: { code: 'missing_column', message: 'the file has no total_amount column' } });
    }
  });

  it("a row with an error of its own carries the file's missing_column too, after its own; its invoice's other row after the invoice's", () => {
    const missing = { file: 'n.csv', column: 'total_amount', code: 'missing_column', message: 'the file has no total_amount column', severity: 'error' as const };
    const currency = { file: 'n.csv', row: 2, column: 'currency', code: 'invalid_currency', message: 'currency "XYZ" is not an ISO 4217 currency code', severity: 'error' as const };
    const report = doc([inv({ number: 'A', status: 'invalid', rows: [{ file: 'n.csv', row: 2 }, { file: 'n.csv', row: 3 }], issues: [currency] })], [missing]);
    const owners = rejectedRowOwners(report);
    expect(Object.fromEntries(owners.get(rowKey('n.csv', 2))!.invoices)).toEqual({
      'V\u0000A': { code: 'invalid_currency missing_column', message: 'currency "XYZ" is not an ISO 4217 currency code; the file has no total_amount column' },
    });
    expect(Object.fromEntries(owners.get(rowKey('n.csv', 3))!.invoices)).toEqual({
      'V\u0000A': { code: 'invalid_currency missing_column', message: 'row 2: currency "XYZ" is not an ISO 4217 currency code; the file has no total_amount column' },
    });
  });
});

describe('rejectedRows', () => {
  it('every row of invalid and failed invoices; a row its own errors, else the invoice errors; failures with the tracking id', () => {
    const m = rejectedRows(
      doc([
        inv({ status: 'loaded', rows: [{ file: 'b.csv', row: 2 }] }),
        inv({
          status: 'invalid',
          rows: [{ file: 'b.csv', row: 3 }, { file: 'b.csv', row: 4 }],
          issues: [
            { file: 'b.csv', row: 4, code: 'invalid_date', message: 'bad date', severity: 'error' },
            { file: 'b.csv', row: 3, code: 'unknown_x', message: 'a warning', severity: 'warning' },
          ],
        }),
        inv({ status: 'failed', rows: [{ file: 'b.csv', row: 5 }], error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid.', tracking_id: 'E01-1' } }),
      ]),
    );
    expect([...m.keys()]).toEqual([rowKey('b.csv', 3), rowKey('b.csv', 4), rowKey('b.csv', 5)]);
    expect(m.get(rowKey('b.csv', 3))).toEqual({ code: 'invalid_date', message: 'row 4: bad date' });
    expect(m.get(rowKey('b.csv', 4))).toEqual({ code: 'invalid_date', message: 'bad date' });
    expect(m.get(rowKey('b.csv', 5))).toEqual({ code: '60237', message: 'Invoice vendor account not valid. (tracking id E01-1)' });
  });

  it("a line the target refused: its rows name the line and say so; the invoice's other rows say they are held back for it", () => {
    const m = rejectedRows(
      doc([
        inv({
          status: 'failed',
          rows: [{ file: 'b.csv', row: 2 }, { file: 'b.csv', row: 3 }, { file: 'b.csv', row: 4 }, { file: 'b.csv', row: 5 }],
          error: {
            step: 'lines',
            http_status: 400,
            code: '60254',
            message: 'Fund code not valid.',
            tracking_id: 'E01-2',
            line: { number: '2', po_line: 'POL-1004', funds: ['NOFUND', 'HIST'], rows: [{ file: 'b.csv', row: 3 }, { file: 'b.csv', row: 4 }] },
          },
        }),
      ]),
    );
    expect(m.get(rowKey('b.csv', 3))).toEqual({ code: '60254', message: 'line 2 (rows 3, 4) was refused: Fund code not valid. (tracking id E01-2)' });
    expect(m.get(rowKey('b.csv', 4))).toEqual(m.get(rowKey('b.csv', 3)));
    for (const row of [2, 5]) {
      expect(m.get(rowKey('b.csv', row))).toEqual({ code: '60254', message: 'held back with its invoice: line 2 (rows 3, 4) was refused, not this row: Fund code not valid. (tracking id E01-2)' });
    }
  });

  it('a transient failure (a timeout, a 5xx, a lost answer) is not a row to correct: left out and counted as finished by the same command; a refusal and an invalid invoice stay', () => {
    const report = doc([
      inv({ number: 'T-1', status: 'failed', rows: [{ file: 'b.csv', row: 2 }], error: { step: 'create', http_status: 503, code: 'HTTP_503', message: 'Service Unavailable' } }),
      inv({ number: 'T-2', status: 'failed', rows: [{ file: 'b.csv', row: 3 }], error: { step: 'process', http_status: 0, code: 'OUTCOME_UNKNOWN', message: 'process outcome unknown' } }),
      inv({ number: 'B-1', status: 'failed', rows: [{ file: 'b.csv', row: 4 }], error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid.' } }),
      inv({ number: 'I-1', status: 'invalid', rows: [{ file: 'b.csv', row: 5 }], issues: [{ file: 'b.csv', row: 5, code: 'invalid_date', message: 'bad date', severity: 'error' }] }),
      inv({ number: 'S-1', status: 'failed', rows: [{ file: 'b.csv', row: 6 }], error: { step: 'create', http_status: 0, code: 'NOT_STARTED', message: 'not started' } }),
    ]);
    const m = rejectedRows(report);
    expect([...m.keys()]).toEqual([rowKey('b.csv', 4), rowKey('b.csv', 5)]);
    const left = rerunLeftOut(report, m);
    expect(left).toEqual({ stopped: 1, transient: 2 });
    expect(leftOutClause(left)).toBe('; 1 invoice the run stopped on and 2 that failed for a passing cause (a timeout, a 5xx, no answer) are not in it: the same command finishes them');
    expect(leftOutClause({ stopped: 0, transient: 1 })).toBe('; 1 invoice that failed for a passing cause (a timeout, a 5xx, no answer) is not in it: the same command finishes it');
    expect(leftOutClause({ stopped: 2, transient: 0 })).toBe('; 2 invoices the run stopped on are not in it: the same command finishes them');
    expect(leftOutClause({ stopped: 0, transient: 0 })).toBe('');
  });

  it('the invoice the run stopped on with its own 4xx (the key refused: 401 UNAUTHORIZED) is the stop, not a row to correct: left out, counted as stopped', () => {
    const report = doc([
      inv({ number: 'K-1', status: 'failed', rows: [{ file: 'b.csv', row: 2 }], error: { step: 'create', http_status: 401, code: 'UNAUTHORIZED', message: 'API-key not defined' } }),
      inv({ number: 'B-1', status: 'failed', rows: [{ file: 'b.csv', row: 3 }], error: { step: 'create', http_status: 400, code: '60237', message: 'Invoice vendor account not valid.' } }),
    ]);
    const m = rejectedRows(report);
    expect([...m.keys()]).toEqual([rowKey('b.csv', 3)]);
    expect(rerunLeftOut(report, m)).toEqual({ stopped: 1, transient: 0 });
  });

  it("a row the batch's own errors name (no vendor: in no invoice) is rejected too, its own error first", () => {
    const m = rejectedRows(
      doc(
        [inv({ status: 'invalid', rows: [{ file: 'b.csv', row: 4 }], issues: [{ file: 'b.csv', row: 4, code: 'missing_value', message: 'invoice_date is empty', severity: 'error' }] })],
        [
          { file: 'b.csv', row: 3, column: 'vendor', code: 'missing_value', message: 'vendor is empty', severity: 'error' },
          { file: 'b.csv', row: 4, code: 'cut_short', message: 'the file ends inside this row', severity: 'error' },
          { file: 'b.csv', row: 5, code: 'hidden_rows', message: 'a warning', severity: 'warning' },
          { file: 'b.csv', code: 'unknown_columns', message: 'a file', severity: 'error' },
        ],
      ),
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k.replace('\u0000', ':'), v]))).toEqual({
      'b.csv:3': { code: 'missing_value', message: 'vendor is empty' },
      'b.csv:4': { code: 'cut_short missing_value', message: 'the file ends inside this row; invoice_date is empty' },
    });
  });

  it('a file cut inside a row: the cut row says its cut_short once, though it is both the batch\'s error there and its invoice\'s (its file\'s error)', () => {
    const cut = { file: 'c.csv', row: 16, code: 'cut_short', message: 'the file ends inside this row', severity: 'error' as const };
    const m = rejectedRows(doc([inv({ number: 'G', status: 'invalid', rows: [{ file: 'c.csv', row: 15 }, { file: 'c.csv', row: 16 }] })], [cut]));
    expect(Object.fromEntries([...m].map(([k, v]) => [k.replace('\u0000', ':'), v]))).toEqual({
      'c.csv:15': { code: 'cut_short', message: 'row 16: the file ends inside this row' },
      'c.csv:16': { code: 'cut_short', message: 'the file ends inside this row' },
    });
  });

  it("a row the batch's errors name in an otherwise valid invoice brings that invoice's other rows", () => {
    const m = rejectedRows(
      doc(
        [inv({ status: 'planned', rows: [{ file: 'b.csv', row: 5 }, { file: 'b.csv', row: 6 }] }), inv({ number: 'M', status: 'planned', rows: [{ file: 'b.csv', row: 7 }] })],
        [{ file: 'b.csv', row: 5, code: 'extra_cells', message: 'a value past the header', severity: 'error' }],
      ),
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k.replace('\u0000', ':'), v]))).toEqual({
      'b.csv:5': { code: 'extra_cells', message: 'a value past the header' },
      'b.csv:6': { code: 'extra_cells', message: 'row 5: a value past the header' },
    });
  });

  it('a rejected row short of cells (short_row, a warning) gives that reason first; a short row of an accepted invoice stays out', () => {
    const short = (row: number) => ({ file: 'b.csv', row, code: 'short_row', message: 'this row has 3 cells', severity: 'warning' as const });
    const m = rejectedRows(
      doc(
        [
          inv({ number: 'A', status: 'invalid', rows: [{ file: 'b.csv', row: 2 }, { file: 'b.csv', row: 3 }], issues: [{ file: 'b.csv', row: 3, code: 'invalid_date', message: 'bad date', severity: 'error' }] }),
          inv({ number: 'B', status: 'planned', rows: [{ file: 'b.csv', row: 6 }] }),
        ],
        [short(2), short(3), { file: 'b.csv', row: 4, column: 'vendor', code: 'missing_value', message: 'vendor is empty', severity: 'error' }, short(4), short(6)],
      ),
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k.replace('\u0000', ':'), v]))).toEqual({
      'b.csv:2': { code: 'short_row invalid_date', message: 'this row has 3 cells; row 3: bad date' },
      'b.csv:3': { code: 'short_row invalid_date', message: 'this row has 3 cells; bad date' },
      'b.csv:4': { code: 'short_row missing_value', message: 'this row has 3 cells; vendor is empty' },
    });
  });

  it('csvLine quotes only what needs it, with any delimiter', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'x\ny'])).toBe('a,"b,c","say ""hi""","x\ny"\n');
    expect(csvLine(['a;b', 'c,d'], ';')).toBe('"a;b";c,d\n');
  });
});

describe('rejectsLayout: the header of a rejects file', () => {
  it.each([
    [['a', 'b'], ['a', 'b', 'error_code', 'error_message'], [2, 3]],
    [['a', 'error_code', 'error_message', 'b'], ['a', 'error_code', 'error_message', 'b'], [1, 2]],
    [['a', ' Error_Message', 'ERROR_CODE'], ['a', ' Error_Message', 'ERROR_CODE'], [2, 1]],
    [['a', 'error_code'], ['a', 'error_code', 'error_message'], [1, 2]],
    [[], ['error_code', 'error_message'], [0, 1]],
  ])('%j → %j', (header, out, at) => {
    const layout = rejectsLayout(header);
    expect(layout).toEqual({ header: out, at });
    const row = rejectsRow(layout, header.map((_, i) => `v${i}`), { code: 'c', message: 'm' });
    expect(row).toHaveLength(out.length);
    expect([row[at[0]!], row[at[1]!]]).toEqual(['c', 'm']);
  });
});
