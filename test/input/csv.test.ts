import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { excelSeparator, sniffDelimiter } from '../../src/input/csv.js';
import { readRecords } from '../../src/input/read.js';
import type { SourceRecord } from '../../src/input/record.js';
import { codes, fixture, pieces, read, rows, utf8 } from './helpers.js';

describe('CSV: the row of a record is the line it starts on', () => {
  it.each([
    ['LF', 'a\n1\n2\n', [2, 3]],
    ['CRLF', 'a\r\n1\r\n2\r\n', [2, 3]],
    ['CR only (old Mac)', 'a\r1\r2', [2, 3]],
    ['mixed line breaks', 'a\r\n1\n2\r3\r\n', [2, 3, 4]],
    ['no final line break', 'a\n1\n2', [2, 3]],
    ['blank lines between records count', 'a\n\n1\n\n\n2\n', [3, 6]],
    ['blank CRLF lines count', 'a\r\n\r\n1\r\n\r\n\r\n2\r\n', [3, 6]],
    ['blank lines before the header count', '\n\na\n1\n', [4]],
    ['quoted LF', 'a,b\n1,"x\ny"\n2,z\n', [2, 4]],
    ['quoted CRLF (csv-parse alone counts these twice)', 'a,b\r\n1,"x\r\ny\r\nz"\r\n2,z\r\n3,z\r\n', [2, 5, 6]],
    ['quoted blank line', 'a,b\n1,"x\n\ny"\n2,z\n', [2, 5]],
    ['two multi-line records in a row', 'a,b\n1,"x\ny"\n2,"p\nq\nr"\n3,z\n', [2, 4, 7]],
    ['multi-line quoted header', '"a\nb",c\n1,2\n', [3]],
    ['a row of only delimiters is an empty line', 'a,b\n,\n1,2\n', [3]],
    ['a row of only blanks is an empty line', 'a\n   \n1\n', [3]],
    ['after a skipped bad record', 'a,b\n1,x"y\n2,3\n"4\n5",6\n', [3, 4]],
  ])('%s', async (_name, text, expected) => {
    expect(rows(await read('t.csv', text))).toEqual(expected);
  });

  it('crlf.csv: rows 2, 3, 6, 9 and quoted line breaks kept (as LF)', async () => {
    const r = await read('crlf.csv', await readFile(fixture('crlf.csv')));
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.source.row, x.fields['line_note']])).toEqual([
      [2, 'plain'],
      [3, 'two\nlines'],
      [6, 'three\nlines\nhere'],
      [9, 'last'],
    ]);
  });

  it('quoted.csv: quoted commas, doubled quotes and line breaks, with start lines', async () => {
    const r = await read('quoted.csv', await readFile(fixture('quoted.csv')));
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => ({ row: x.source.row, file: x.source.file, ...x.fields }))).toEqual([
      { row: 2, file: 'quoted.csv', invoice_number: 'INV-1', vendor: 'ACME, Inc.', line_note: 'He said "hi"', price: '10.00' },
      { row: 3, file: 'quoted.csv', invoice_number: 'INV-1', vendor: 'ACME', line_note: 'line one\nline two\nline three', price: '5.00' },
      { row: 8, file: 'quoted.csv', invoice_number: 'INV-2', vendor: 'Smith, Jones & Co', line_note: undefined, price: '7' },
      { row: 9, file: 'quoted.csv', invoice_number: 'INV-3', vendor: 'quoted "and" comma, here', line_note: 'x\n', price: '1' },
      { row: 11, file: 'quoted.csv', invoice_number: 'INV-4', vendor: undefined, line_note: undefined, price: undefined },
    ]);
  });
});

describe('CSV: records for a consumer told the columns (onColumns)', () => {
  it('carry cells by position and the same fields, built once when read (both lanes)', async () => {
    // Plain lines (the fast lane), a duplicate and a blank column, a short row, empty cells, and
    // a quoted line break (csv-parse from there on).
    const text = 'Vendor,b,vendor,,price\nACME,1,X,,10\nACME,,,\n"Smith\nJones",2,Y,,\nZ,3\n';
    const plain = await read('t.csv', text);
    const records: SourceRecord[] = [];
    let columns: readonly string[] = [];
    const onColumns = (_file: string, names: readonly string[]): void => {
      columns = names;
    };
    for await (const e of readRecords({ name: 't.csv', bytes: pieces(utf8(text)) }, { encoding: 'utf-8', onColumns })) if (e.kind === 'record') records.push(e.record);
    expect(columns).toEqual(['vendor', 'b', '', '', 'price']);
    expect(records.map((r) => r.cells)).toEqual([
      ['ACME', '1', 'X', '', '10'],
      ['ACME', '', '', ''],
      ['Smith\nJones', '2', 'Y', '', ''],
      ['Z', '3'],
    ]);
    expect(records.map((r) => r.source)).toEqual(plain.records.map((r) => r.source));
    expect(records.map((r) => ({ ...r.fields }))).toEqual(plain.records.map((r) => r.fields));
    expect(records.every((r) => r.fields === r.fields)).toBe(true);
  });
});

describe('CSV: header and cells', () => {
  it('trims and lower-cases header names, keeps values as read, empty cells are undefined', async () => {
    const r = await read('t.csv', ' Invoice_Number ,VENDOR,Total_Amount\nINV-1,  ACME  ,\n');
    expect(r.records[0]?.fields).toEqual({ invoice_number: 'INV-1', vendor: '  ACME  ', total_amount: undefined });
  });

  it('spaces or hyphens between words stand for underscores when that names a canonical column', async () => {
    const r = await read('t.csv', 'Invoice Number,vendor,TOTAL  AMOUNT,Line-Number,Colour Code,line note\nINV-1,ACME,1.00,1,2,x\n');
    expect(r.problems).toEqual([]);
    // "colour code" names no canonical column: it stays as written, for the unknown-columns warning.
    expect(r.records[0]?.fields).toEqual({ invoice_number: 'INV-1', vendor: 'ACME', total_amount: '1.00', line_number: '1', 'colour code': '2', line_note: 'x' });
  });

  it('two header cells that name one column are one error, quoting both as written', async () => {
    const r = await read('t.csv', 'invoice_number,vendor,Invoice Number\nINV-1,ACME,INV-2\n');
    expect(r.problems.map((p) => [p.code, p.row, p.message])).toEqual([
      ['duplicate_column', 1, `column 'invoice_number' appears twice in the header (columns 1 and 3, written "invoice_number" and "Invoice Number")`],
    ]);
    expect(r.records[0]?.fields).toEqual({ invoice_number: 'INV-1', vendor: 'ACME' });
  });

  it('a short row leaves the missing cells undefined, with a short_row warning (see "a row with fewer cells")', async () => {
    const r = await read('t.csv', 'a,b,c\n1\n');
    expect(codes(r)).toEqual(['short_row@2']);
    expect(r.problems[0]?.severity).toBe('warning');
    expect(r.records[0]?.fields).toEqual({ a: '1', b: undefined, c: undefined });
  });

  it('a row with more cells than the header is an error, and still a record', async () => {
    const r = await read('t.csv', 'a,b\n1,2,3,4\n5,6\n');
    expect(codes(r)).toEqual(['extra_cells@2']);
    expect(r.problems[0]?.message).toContain('4 cells but the header has 2 columns');
    expect(r.records.map((x) => x.fields)).toEqual([{ a: '1', b: '2' }, { a: '5', b: '6' }]);
  });

  it('a header of one column is "1 column", not "1 columns"', async () => {
    const r = await read('t.csv', 'a\n1,2\n');
    expect(r.problems[0]?.message).toBe('this row has 2 cells but the header has 1 column; the cells after column 1 are not read');
    const short = await read('t.csv', 'a,b\n1\n');
    expect(short.problems[0]?.message).toContain('this row has 1 cell but the header has 2 columns;');
  });

  it('empty extra cells (a trailing delimiter) are ignored', async () => {
    const r = await read('t.csv', 'a,b\n1,2,\n');
    expect(r.problems).toEqual([]);
    expect(r.records[0]?.fields).toEqual({ a: '1', b: '2' });
  });

  it('a duplicated header name is an error on line 1 naming the column; the first column wins', async () => {
    const r = await read('t.csv', 'vendor,Vendor ,price\nA,B,1\n');
    expect(r.problems).toEqual([
      { file: 't.csv', row: 1, column: 'vendor', code: 'duplicate_column', message: "column 'vendor' appears twice in the header (columns 1 and 2)", severity: 'error' },
    ]);
    expect(r.records[0]?.fields).toEqual({ vendor: 'A', price: '1' });
  });

  it('a blank header cell is a warning and the column is ignored', async () => {
    const r = await read('t.csv', 'a,,b\n1,,2\n3,  ,4\n');
    expect(r.problems.map((p) => [p.code, p.severity, p.row])).toEqual([['blank_column', 'warning', 1]]);
    expect(r.records.map((x) => x.fields)).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }]);
  });

  it('unnamed columns empty throughout (a spreadsheet\'s trailing cells): one warning naming them all', async () => {
    const r = await read('t.csv', 'a,,b,,,,\n1,,2,,,,\n3,,4,,,,\n');
    expect(r.problems.map((p) => [p.code, p.severity, p.row, p.message])).toEqual([
      ['blank_column', 'warning', 1, 'columns 2, 4–7 have no name in the header and no values; they are ignored'],
    ]);
    expect(r.records.map((x) => x.fields)).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }]);
  });

  it('a blank header cell with a value under it is an error at that row, once', async () => {
    const r = await read('t.csv', 'a,,b\n1,,2\n3,x,4\n5,y,6\n');
    expect(r.problems.map((p) => [p.code, p.severity, p.row])).toEqual([['blank_column', 'error', 3]]);
  });

  it('a header-only file gives no records and no problem', async () => {
    expect((await read('h.csv', await readFile(fixture('header-only.csv')))).events).toEqual([]);
    expect((await read('h.csv', 'a,b')).events).toEqual([]);
  });

  it('a row that repeats the header (two files joined) is one warning and not read; the rows after it are', async () => {
    const r = await read('t.csv', 'vendor,invoice_number,price\nA,1,2\nvendor,invoice_number,price\nB,3,4\n');
    expect(r.problems).toEqual([
      { file: 't.csv', row: 3, code: 'repeated_header', message: 'this row repeats the header (line 1), as when two files are joined into one; it is not read', severity: 'warning' },
    ]);
    expect(r.records.map((x) => [x.source.row, x.fields['vendor']])).toEqual([[2, 'A'], [4, 'B']]);
  });

  it.each([
    ['with its own byte-order mark (each "CSV UTF-8" export has one)', 'Vendor,Number\nA,1\n\ufeffVendor,Number\nB,2\n'],
    ['with trailing delimiters or spaces', 'Vendor,Number\nA,1\nVendor, Number ,,\nB,2\n'],
    ['without the empty cells of a blank header column', 'Vendor,Number,\nA,1,\nVendor,Number\nB,2\n'],
    ['quoted', 'Vendor,Number\nA,1\n"Vendor","Number"\nB,2\n'],
  ])('a repeated header %s is found too', async (_name, text) => {
    const r = await read('t.csv', text);
    // (A blank header column is its own warning, blank_column on line 1.)
    expect(codes(r).filter((c) => c !== 'blank_column@1')).toEqual(['repeated_header@3']);
    expect(r.records).toHaveLength(2);
  });

  it('a header in another case is a repeated header too', async () => {
    expect(codes(await read('t.csv', 'a,b\n1,2\nA,B\n'))).toEqual(['repeated_header@3']);
  });

  it.each([
    ['the same names in another order', 'a,b\n1,2\nb,a\n3,4\n', 3],
    ['canonical names in another order (cat2.csv: price and quantity swapped)', 'invoice_number,vendor,price,quantity\nC-1,GOBI,10,1\ninvoice_number,vendor,quantity,price\nC-2,GOBI,1,20\n', 3],
    ['canonical names the first header lacks', 'vendor,invoice_number\nGOBI,1\n\ufeffVendor,Invoice Number,Price\nGOBI,2,5\n', 3],
  ])('a second header with %s is a file error on its row, said as a row', async (_name, text, line) => {
    const r = await read('t.csv', text);
    // (The rows under it keep their own errors: a wider row is extra_cells.)
    expect(r.problems.filter((p) => p.code !== 'extra_cells')).toEqual([
      {
        file: 't.csv',
        row: line,
        code: 'second_header',
        severity: 'error',
        message: `this row is a second header (its cells are column names, in another order or with other columns than the header on line 1), as when two files are joined into one; the rows under it would be read in the first header's columns: load the files one by one, or put their rows in one header's column order`,
      },
    ]);
    expect(r.records.map((x) => x.source.row)).not.toContain(line);
  });

  it.each([
    ['its first cell only', 'a,b\n1,2\na,3\n'],
    ['one name alone', 'vendor,note\nGOBI,x\n,price\n'],
  ])('a row with %s is a row', async (_name, text) => {
    const r = await read('t.csv', text);
    expect(r.problems).toEqual([]);
    expect(r.records).toHaveLength(2);
  });

  describe('a title above the header, as spreadsheets and vendor portals export it', () => {
    const rowsOf = (r: Awaited<ReturnType<typeof read>>) => r.records.map((x) => [x.source.row, x.fields['vendor'], x.fields['invoice_number']]);

    it.each([
      ['one line, a blank line, the header', 'GOBI invoices March 2025\n\nvendor,invoice_number\nGOBI,1\nGOBI,2\n', 'line 1 is above the header (line 3)', [[4, 'GOBI', '1'], [5, 'GOBI', '2']]],
      ['two lines, semicolons (the title has none to tell the delimiter)', 'Rechnungen März\nErstellt 2025-03-31\nVendor;Invoice Number\nGOBI;1\n', 'lines 1–2 are above the header (line 3)', [[4, 'GOBI', '1']]],
      ["with Excel's trailing delimiters, CRLF", 'GOBI invoices,,\r\nvendor,invoice_number,price\r\nGOBI,1,5\r\n', 'line 1 is above the header (line 2)', [[3, 'GOBI', '1']]],
      ['a comma in the title above semicolons', 'Rechnungen, März 2025;;\nvendor;invoice_number;price\nGOBI;1;5,50\n', 'line 1 is above the header (line 2)', [[3, 'GOBI', '1']]],
    ])('%s: one warning, and the rows as the editor numbers them', async (_name, text, said, rows) => {
      for (const cuts of [[], [...utf8(text).keys()]]) {
        const r = await read('t.csv', text, { cuts });
        expect(r.problems).toEqual([{ file: 't.csv', row: 1, code: 'title_rows', message: `${said}, a title rather than rows; not read`, severity: 'warning' }]);
        expect(rowsOf(r)).toEqual(rows);
      }
    });

    it.each([
      ['a one-column file', 'notes\nx\ny\n'],
      ['a title then rows without a header', 'GOBI invoices\nGOBI,1\nGOBI,2\n'],
      ['six title-like lines, then a header', 'a\nb\nc\nd\ne\nf\nvendor,invoice_number\n'],
    ])('%s: the first line is the header, as before', async (_name, text) => {
      const r = await read('t.csv', text);
      expect(r.problems.map((p) => p.code)).not.toContain('title_rows');
      const header = text.split('\n')[0]!.toLowerCase();
      expect(r.records[0]?.source.row).toBe(2);
      expect(Object.keys(r.records[0]!.fields)).toEqual([header]);
    });
  });

  it('a "__proto__" column cannot change the record prototype', async () => {
    const r = await read('t.csv', '__proto__,a\nx,2\n');
    expect(Object.getPrototypeOf(r.records[0]?.fields)).toBe(Object.prototype);
    expect(r.records[0]?.fields).toEqual({ a: '2' });
  });
});

describe('CSV: delimiters', () => {
  it.each([
    ['a,b;c', ','],
    ['a;b;c', ';'],
    ['a\tb\tc', '\t'],
    ['a;b\tc\td', '\t'],
    ['single', ','],
    // A comma in a column's name does not make a semicolon header comma-separated.
    ['invoice_number;vendor;price;Title, Author', ';'],
    ['Rechnungsnr.;Betrag (netto, EUR);Etat', ';'],
    // Nor does one in quotes; a semicolon in a comma header's name stays text.
    ['"Title, Author";vendor;price', ';'],
    ['invoice_number,vendor,Amount (EUR; net)', ','],
  ])('header %j → %j', (line, expected) => {
    expect(sniffDelimiter(line)).toBe(expected);
  });

  it('semicolon.csv: a comma inside a value is just text', async () => {
    const r = await read('semicolon.csv', await readFile(fixture('semicolon.csv')));
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.fields)).toEqual([
      { invoice_number: 'INV-1', total_amount: '10,50', invoice_note: 'a, b' },
      { invoice_number: 'INV-2', total_amount: '3,00', invoice_note: undefined },
    ]);
  });

  it.each([
    ['sep=;', ';'],
    ['SEP=,', ','],
    ['sep=\t', '\t'],
    ['sep=|  ', '|'],
    ['sep=;;', undefined],
    ['sep=', undefined],
    ['sep=";"', undefined],
    ['"sep=;"', undefined],
    ['a,sep=;', undefined],
  ])('Excel separator line %j → %j', (line, expected) => {
    expect(excelSeparator(line)).toBe(expected);
  });

  it.each([
    ['first line', 'sep=;\ninvoice_number;total_amount\nINV-1;10,50\n', [3]],
    ['after blank lines', '\n\nsep=;\ninvoice_number;total_amount\nINV-1;10,50\n', [5]],
    ['CRLF', 'sep=;\r\ninvoice_number;total_amount\r\nINV-1;10,50\r\n', [3]],
    ['then a value over two lines', 'sep=;\ninvoice_number;total_amount\n"INV\n-1";10,50\nINV-2;1\n', [3, 5]],
  ])("Excel's sep= line names the delimiter and is no row (%s)", async (_name, text, expected) => {
    const r = await read('t.csv', text);
    expect(r.problems).toEqual([]);
    expect(rows(r)).toEqual(expected);
    expect(r.records[0]?.fields['total_amount']).toBe('10,50');
  });

  it("a sep= line is read only as the file's first line, and a profile's delimiter wins over it", async () => {
    const later = await read('t.csv', 'a,b\nsep=;,x\n');
    expect(later.records.map((x) => x.fields)).toEqual([{ a: 'sep=;', b: 'x' }]);
    const tsv = await read('t.tsv', 'sep=;\na\tb;c\n1\t2;3\n');
    expect(tsv.records.map((x) => [x.source.row, x.fields])).toEqual([[3, { a: '1', 'b;c': '2;3' }]]);
  });

  it('.tsv is always tab-separated', async () => {
    const r = await read('x.tsv', 'a,b\tc\n1,2\t3\n');
    expect(r.records[0]?.fields).toEqual({ 'a,b': '1,2', c: '3' });
  });
});

describe('CSV: syntax errors', () => {
  it('an unclosed quote is csv_syntax at the line where the record starts, with the code', async () => {
    const r = await read('t.csv', 'a,b\n1,2\n3,"oops\n4,5\n');
    expect(rows(r)).toEqual([2]);
    expect(codes(r)).toEqual(['csv_syntax@3']);
    expect(r.problems[0]?.message).toContain('CSV_QUOTE_NOT_CLOSED');
    expect(r.problems[0]?.severity).toBe('error');
  });

  it('a bad quote skips that record and parsing goes on', async () => {
    const r = await read('t.csv', 'a,b\n1,x"y\n2,3\n');
    expect(codes(r)).toEqual(['csv_syntax@2']);
    expect(r.problems[0]?.message).toContain('INVALID_OPENING_QUOTE');
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([[3, { a: '2', b: '3' }]]);
  });

  it('an invalid closing quote is reported with its line', async () => {
    const r = await read('t.csv', 'a,b\n1,2\n3,"x\ny"z\n');
    expect(codes(r)[0]).toBe('csv_syntax@3');
    expect(r.problems[0]?.message).toContain('(CSV_INVALID_CLOSING_QUOTE) on line 4 (in the record starting on line 3)');
  });

  // csv-parse read on inside the quotes after the bad one: every row up to the next quote in the
  // file was one skipped record (the rest of the file when no other cell was quoted), and the
  // message named the file's last line.
  it.each([
    ['the file has no other quote', 'a,b\n1,"x"y\n2,z\n3,w\n', [3, 4], 'on line 2'],
    ['a later cell is quoted', 'a,b\n1,"x"y,q\n2,z\n3,"w"\n4,v\n', [3, 4, 5], 'on line 2'],
    ['a quote follows the text after it', 'a,b\n1,"x"y"z"\n2,z\n3,w\n', [3, 4], 'on line 2'],
    ['at the end of a multi-line value', 'a,b\n1,"x\ny"z\n2,z\n3,w\n', [4, 5], 'on line 3 (in the record starting on line 2)'],
  ])('text after a closing quote (%s) skips that record alone', async (_name, text, kept, where) => {
    const r = await read('t.csv', text);
    expect(rows(r)).toEqual(kept);
    expect(r.problems.map((p) => [p.code, p.row, p.message.replace(/:.*/s, '')])).toEqual([['csv_syntax', 2, `CSV syntax error (CSV_INVALID_CLOSING_QUOTE) ${where}`]]);
  });

  it('a runaway record stops the file instead of swallowing memory', async () => {
    const r = await read('t.csv', 'a,b\n1,"' + 'x'.repeat(1_100_000) + '\n2,3\n');
    expect(codes(r)).toEqual(['csv_syntax@2']);
    expect(r.problems[0]?.message).toContain('CSV_MAX_RECORD_SIZE');
  });
});

describe('CSV: a file that stops inside a row', () => {
  const CUT =
    'the file ends inside this row, with no line break after it and 2 of the header\'s 3 cells: it looks cut short (was it still being copied or downloaded?); its last value "POL-10" may be incomplete; ' +
    'if the file is whole, save it again from the spreadsheet or end it with a line break';
  it.each([
    ['LF', 'a,b,c\n1,2,3\n4,POL-10', 3],
    ['CRLF', 'a,b,c\r\n1,2,3\r\n4,POL-10', 3],
    ['after csv-parse took over (a value over two lines)', 'a,b,c\n1,"x\ny",3\n4,POL-10', 4],
    ['a quoted last value', 'a,b,c\n1,2,3\n4,"POL-10"', 3],
  ])('is a cut_short error on that row, naming its last value (%s)', async (_name, text, row) => {
    for (const cuts of [[], [text.length - 3], [text.length - 1]]) {
      const r = await read('t.csv', text, { cuts });
      expect(r.problems.map((p) => [p.code, p.row, p.severity, p.message])).toEqual([['cut_short', row, 'error', CUT]]);
      expect(r.records).toHaveLength(2); // still read
    }
  });
  it.each([
    ['a line break after the short row', 'a,b,c\n1,2,3\n4,POL-10\n', ['short_row@3']],
    ['a CRLF after it', 'a,b,c\r\n1,2,3\r\n4,POL-10\r\n', ['short_row@3']],
    ['an old Mac CR after it', 'a,b,c\r1,2,3\r4,POL-10\r', ['short_row@3']],
    ['a whole last row without a line break', 'a,b,c\n1,2,3\n4,5,6', []],
    ['a last row with its empty cells written', 'a,b,c\n1,2,3\n4,5,', []],
    ['a short row ended, then a line of blanks without a break', 'a,b,c\n1,2,3\n4,POL-10\n   ', ['short_row@3']],
    ['a short row ended, then a line of delimiters', 'a,b,c\n1,2,3\n4,POL-10\n,,', ['short_row@3']],
  ])('is not said with %s (a short row is then short_row, a warning)', async (_name, text, expected) => {
    expect(codes(await read('t.csv', text))).toEqual(expected);
  });
  it('a header ending in a delimiter (an unnamed last column) over rows without one is whole', async () => {
    const r = await read('t.csv', 'a,b,c,\n1,2,3\n4,5,6');
    expect(r.problems.map((p) => p.code)).toEqual(['blank_column']);
    // Short of the named columns it is cut, and says their count.
    expect((await read('t.csv', 'a,b,c,\n1,2,3\n4,POL-10')).problems.map((p) => [p.code, p.message.match(/\d of the header's \d cells/)?.[0]])).toEqual([
      ['cut_short', "2 of the header's 3 cells"],
      ['blank_column', undefined],
    ]);
  });
});

/**
 * A quote still open when the file ends (csv-parse's CSV_QUOTE_NOT_CLOSED, said only at the end):
 * a file cut inside a quoted value — every value quoted, the download stopped at `"G-24140","` —
 * read as a stray quote ("this record is skipped"), the rest loading. With no line break after it
 * and no whole row inside the open value it is cut_short, the file not read whole (`partial`); a
 * stray quote in the middle of a file, which takes the rows after it into its value, stays
 * csv_syntax, as does one closed later (text after its closing quote).
 */
describe('CSV: a file that stops inside a quoted value', () => {
  const partial = (r: Awaited<ReturnType<typeof read>>) => r.events.flatMap((e) => (e.kind === 'problem' && e.partial === true ? [e.problem.code] : []));
  it.each([
    ['cut right after the opening quote', 'a,b,c\n1,2,3\n"G-1","', 3, 2, ''],
    ['cut inside the value', 'a,b,c\n1,2,3\n"G-1","POL-10', 3, 2, '; its last value "POL-10" may be incomplete'],
    ['CRLF, every value quoted', '"a","b","c"\r\n"1","2","3"\r\n"4","5","PO', 3, 3, '; its last value "PO" may be incomplete'],
    ['inside a value over two lines', 'a,b,c\n1,2,3\n4,"Two copies\none, dam', 3, 2, '; its last value "Two copies\\none, dam" may be incomplete'],
  ])('is cut_short on its row (%s), however the chunks fall', async (_name, text, row, cell, value) => {
    for (const cuts of [[], [text.length - 3], [text.length - 1]]) {
      const r = await read('t.csv', text, { cuts });
      const message =
        `the file ends inside this row, inside a quoted value (cell ${cell} of the header's 3) with no closing quote and no line break after it: it looks cut short (was it still being copied or downloaded?)${value}; ` +
        'if the file is whole, save it again from the spreadsheet or close the quote';
      expect(r.problems.map((p) => [p.code, p.row, p.severity, p.message.replaceAll('\n', '\\n')])).toEqual([['cut_short', row, 'error', message]]);
      expect(partial(r)).toEqual(['cut_short']);
      expect(rows(r)).toEqual([2]);
    }
  });
  it('a header cut inside a quoted name is cut_short for the file', async () => {
    const r = await read('t.csv', '"invoice_number","invoice_date","vend');
    expect(r.problems.map((p) => [p.file, p.row, p.code, p.severity, p.message])).toEqual([
      [
        't.csv',
        undefined,
        'cut_short',
        'error',
        'the file ends inside its header line, inside a quoted name with no closing quote and no line break after it, and no rows: it looks cut short (was it still being copied or downloaded?); ' +
          'if the file is whole, close the quote and end its header line with a line break',
      ],
    ]);
    expect(partial(r)).toEqual(['cut_short']);
  });
  it('a short row before the cut one is not the one the file ends in', async () => {
    const r = await read('t.csv', 'a,b,c\n1,2\n"G-1","');
    expect(codes(r)).toEqual(['short_row@2', 'cut_short@3']);
  });
  // Beside each, the same file but for what tells them apart, cut short. (A stray quote closed
  // later is CSV_INVALID_CLOSING_QUOTE: "text after a closing quote" above.)
  it.each([
    ["a line break after it (the last row's stray quote)", 'a,b,c\n1,2,3\n4,"5,6\n', 3, 'on line 3', 'a,b,c\n1,2,3\n4,"5,6'],
    ['a stray quote mid-file taking the whole rows after it (no line break at the end)', 'a,b,c\n1,"2,3\n4,5,6\n7,8,9', 2, 'on line 4 (in the record starting on line 2)', 'a,b,c\n1,"2,3\n4,5'],
  ])('stays a stray quote with %s: csv_syntax, the record skipped, the file read whole', async (_name, text, row, where, cutText) => {
    const r = await read('t.csv', text);
    expect(r.problems.map((p) => [p.code, p.row, p.message])).toEqual([
      ['csv_syntax', row, `CSV syntax error (CSV_QUOTE_NOT_CLOSED) ${where}: a quoted field is never closed; check for a stray " character; this record is skipped`],
    ]);
    expect(partial(r)).toEqual([]);
    const cut = await read('t.csv', cutText);
    expect([codes(cut), partial(cut)]).toEqual([[`cut_short@${row}`], ['cut_short']]);
  });
});

describe('CSV: a file that stops inside its header line', () => {
  const HEADER = 'invoice_number,invoice_date,vendor,vendor_account,currency,payment_method,total_amount,shipment,overhead';
  const cutMessage = (name: string): string =>
    `the file ends inside its header line, with no line break after it and no rows, and its last column name "${name}" is not one the layout knows: it looks cut short (was it still being copied or downloaded?); ` +
    'if the file is whole, end its header line with a line break';
  it('is a cut_short error for the file when its last name is no column (head -c 100 of the sample: `over`), however the chunks fall', async () => {
    const text = HEADER.slice(0, -4); // …,shipment,over
    for (const cuts of [[], [text.length - 3], [text.length - 1], [10]]) {
      const r = await read('t.csv', text, { cuts });
      expect(r.problems.map((p) => [p.file, p.row, p.code, p.severity, p.message])).toEqual([['t.csv', undefined, 'cut_short', 'error', cutMessage('over')]]);
      expect(r.records).toEqual([]);
    }
  });
  it.each([
    ['a whole header without a line break (its last name a column)', HEADER],
    ['a whole header, spelt as a person types it', 'Invoice Number,Vendor,Total Amount'],
    ['a header of a payments file', 'invoice_number,vendor,payment_status,voucher_number,note'],
    ['a line break after a header with an unknown last name', `${HEADER.slice(0, -4)}\n`],
    ['a CRLF after it', `${HEADER.slice(0, -4)}\r\n`],
    ['a line of delimiters after it, without a break', `${HEADER.slice(0, -4)}\n,,`],
    ['no name the layout knows (another kind of file: the layout check says so)', 'a,b'],
  ])('is not said with %s: a header-only file as before', async (_name, text) => {
    expect(codes(await read('t.csv', text))).toEqual([]);
  });
  it('is a cut_short error when the header is cut right after a delimiter (head -c 96 of the sample: `…,shipment,`), at every such cut of the sample header', async () => {
    const sample = (await readFile(new URL('../../fixtures/sample-batch.csv', import.meta.url), 'utf8')).split('\n')[0]!;
    const cuts = [...sample].flatMap((c, i) => (c === ',' ? [i + 1] : []));
    expect(cuts.length).toBe(22);
    const endMessage =
      'the file ends inside its header line, with no line break after it and no rows, and it ends in a delimiter, with no column name after it: it looks cut short (was it still being copied or downloaded?); ' +
      'if the file is whole, end its header line with a line break';
    for (const at of cuts) {
      const r = await read('t.csv', sample.slice(0, at));
      expect(r.problems.filter((p) => p.code === 'cut_short').map((p) => [p.file, p.row, p.severity, p.message]), sample.slice(0, at)).toEqual([['t.csv', undefined, 'error', endMessage]]);
    }
  });
  it.each([
    ['rows under it, the last without a line break', `${HEADER},\nG-1,2025-03-03,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,10.00,,,\nG-2,2025-03-03,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,5.00,,,`],
    ['rows under it', `${HEADER},\nG-1,2025-03-03,GOBI,GOBI,USD,ACCOUNTINGDEPARTMENT,10.00,,\n`],
    ['a line break after it (a whole header-only file)', `${HEADER},\n`],
    ['a CRLF after it', `${HEADER},\r\n`],
  ])('a header ending in an unnamed column is whole with %s', async (_name, text) => {
    expect((await read('t.csv', text)).problems.filter((p) => p.code === 'cut_short')).toEqual([]);
  });
  it('under a mapping profile, the names the profile maps or ignores are known', async () => {
    const { profileOf, readMapped } = await import('../mapping/helpers.js');
    const profile = profileOf({ columns: { 'Rechnungsnr.': 'invoice_number', Lieferant: 'vendor', Betrag: 'total_amount' }, ignore: ['Titel'] });
    expect((await readMapped('v.csv', 'Rechnungsnr.;Lieferant;Betrag', profile)).problems).toEqual([]);
    expect((await readMapped('v.csv', 'Rechnungsnr.;Lieferant;Titel', profile)).problems).toEqual([]);
    expect((await readMapped('v.csv', 'Rechnungsnr.;Lieferant;Bet', profile)).problems.map((p) => [p.code, p.message])).toEqual([['cut_short', cutMessage('Bet')]]);
  });
});

describe('CSV: a row with fewer cells than the header', () => {
  const TAIL =
    'A line break in a cell without quotes (a note over two lines) splits a row in two: if this line and the one before or after it are one row, join them or put the cell in quotes; ' +
    'if the cells are empty on purpose, nothing is missing';
  // A note with a line break, written without quotes: one row became lines 2 and 3.
  const SPLIT = 'invoice_number,vendor,invoice_note,price,fund_code\nA-1,GOBI,March\napproval plan,10.00,BIO\nA-2,GOBI,,5.00,HIST\n';

  it('is a short_row warning on each half of a row split by an unquoted line break, naming the columns it lacks, however the chunks fall', async () => {
    for (let cut = 0; cut <= SPLIT.length; cut++) {
      const r = await read('t.csv', SPLIT, { cuts: [cut] });
      expect(r.problems.map((p) => [p.file, p.row, p.code, p.severity, p.message])).toEqual([
        ['t.csv', 2, 'short_row', 'warning', `this row has 3 cells but the header has 5 columns; "price" and "fund_code" (columns 4–5) are read as empty. ${TAIL}`],
        ['t.csv', 3, 'short_row', 'warning', `this row has 3 cells but the header has 5 columns; "price" and "fund_code" (columns 4–5) are read as empty. ${TAIL}`],
      ]);
      // Still read, as before: the rules judge what the cells hold.
      expect(rows(r)).toEqual([2, 3, 4]);
    }
  });

  it('in csv-parse\'s lane too (after a quoted value over two lines), with the row it starts on', async () => {
    const r = await read('t.csv', 'a,b,c\n1,"x\ny",3\n4,5\n6,7,8\n');
    expect(codes(r)).toEqual(['short_row@4']);
    expect(r.problems[0]?.message).toMatch(/^this row has 2 cells but the header has 3 columns; "c" \(column 3\) is read as empty\. /);
  });

  it('names the columns as the header writes them, the first three and the last when there are more than four', async () => {
    const r = await read('t.csv', 'Invoice Number,Vendor,Invoice Date,Total Amount,Price,Fund Code\nA-1\n');
    expect(r.problems[0]?.message).toMatch(/^this row has 1 cell but the header has 6 columns; "Vendor", "Invoice Date", "Total Amount" … "Fund Code" \(columns 2–6\) are read as empty\. /);
  });

  it('does not count columns without a name (they are not read); lacking only those is no short row', async () => {
    expect((await read('t.csv', 'a,,b,\n1\n')).problems.map((p) => [p.code, p.message])).toEqual([
      ['short_row', 'this row has 1 cell but the header has 4 columns; "b" (column 3) is read as empty. ' + TAIL],
      ['blank_column', 'columns 2, 4 have no name in the header and no values; they are ignored'],
    ]);
    expect(codes(await read('t.csv', 'a,b,\n1,2\n'))).toEqual(['blank_column@1']);
  });

  it('is not said of whole rows, empty rows (only delimiters) or trailing empty lines', async () => {
    expect((await read('t.csv', 'a,b,c\n1,2,3\n,,\n\n4,5,6\n,,\n,\n\n\n')).problems).toEqual([]);
  });
});

describe('CSV: a cell past the cell limit', () => {
  it("is its row's problem (the grouper files it under that row's invoice), read as empty, and the file goes on", async () => {
    const long = 'n'.repeat(100_001);
    for (const onColumns of [undefined, () => {}]) {
      const events = [];
      for await (const e of readRecords({ name: 'long.csv', bytes: pieces(utf8(`vendor,invoice_number,invoice_note\nV,A,${long}\nV,B,short\n`)) }, { encoding: 'utf-8', onColumns })) events.push(e);
      const records = events.flatMap((e) => (e.kind === 'record' ? [e.record as SourceRecord] : []));
      expect(events.filter((e) => e.kind === 'problem')).toEqual([]);
      expect(records.map((r) => [r.fields['invoice_number'], r.fields['invoice_note'], (r.problems ?? []).map((p) => [p.row, p.column, p.code, p.message])])).toEqual([
        ['A', undefined, [[2, 'invoice_note', 'too_long', 'invoice_note is 100,001 characters long; a cell may hold at most 100,000']]],
        ['B', 'short', []],
      ]);
    }
  });
});
