import { describe, expect, it } from 'vitest';
import { fileArgs, newStyleTally, styleOf, styleProblem, tallyStyle } from '../../src/domain/style.js';

describe('styleOf: a refused cell written in a style a mapping profile reads', () => {
  it.each([
    // [code, text, style]
    ['invalid_number', '12,50', 'decimal_comma'],
    ['invalid_number', '1.212,50', 'decimal_comma'],
    ['invalid_number', '1 212,5', 'decimal_comma'],
    ['invalid_number', '-0,99', 'decimal_comma'],
    ['invalid_number', '1,212.50', 'thousands'],
    ['invalid_number', '12,000', 'thousands'],
    ['invalid_number', '1,234,567', 'thousands'],
    ['invalid_date', '03.03.2025', 'date_order'],
    ['invalid_date', '3/13/2025', 'date_order'],
    ['invalid_date', '31-12-25', 'date_order'],
    // Not a style a profile reads: said cell by cell only.
    ['invalid_number', '12,5000', undefined],
    ['invalid_number', '€12,50', undefined],
    ['invalid_number', '12.50 EUR', undefined],
    ['invalid_number', 'n/a', undefined],
    ['invalid_number', '1,2,3', undefined],
    ['invalid_date', '2025/03/03', undefined],
    ['invalid_date', '03.03/2025', undefined],
    ['invalid_date', 'March 3, 2025', undefined],
    // Another code: a percentage or a date is not an amount, an amount not a date.
    ['invalid_date', '12,50', undefined],
    ['invalid_number', '03.03.2025', undefined],
    ['invalid_quantity', '1,000', undefined],
  ] as const)('%s %j → %s', (code, text, style) => {
    expect(styleOf(code, text)).toBe(style);
  });
});

describe('styleProblem: one warning for the file, with the command that writes a profile', () => {
  it('counts each style, names its first cell, and gives the commands with the file as one shell word', () => {
    const tally = newStyleTally();
    tallyStyle(tally, 'date_order', '03.03.2025', 2);
    tallyStyle(tally, 'decimal_comma', '1.212,50', 2);
    tallyStyle(tally, 'decimal_comma', '9,99', 3);
    tallyStyle(tally, 'date_order', '04.03.2025', 3);
    tallyStyle(tally, 'decimal_comma', '1,00', 4);
    expect(styleProblem("in/harrassowitz mär'z.csv", tally, 3)).toEqual({
      file: "in/harrassowitz mär'z.csv",
      code: 'mapping_needed',
      severity: 'warning',
      message:
        '3 amounts are written with a decimal comma ("1.212,50" on row 2) and 2 dates are written with the year last ("03.03.2025" on row 2), ' +
        'which the canonical layout does not read; a mapping profile reads those styles: ' +
        "`invoice-load mapping init 'in/harrassowitz mär'\\''z.csv' -o 'harrassowitz mär'\\''z.mapping.json'` writes one from this file " +
        "(check its \"_guess\" notes), then run again with --mapping 'harrassowitz mär'\\''z.mapping.json'",
    });
  });

  it('one cell: singular; standard input: save it to a file first; nothing seen: no warning', () => {
    const tally = newStyleTally();
    tallyStyle(tally, 'thousands', '1,212.50', 7);
    expect(styleProblem('-', tally, 1)?.message).toBe(
      '1 amount is written with thousands separators ("1,212.50" on row 7), which the canonical layout does not read; a mapping profile reads that style: ' +
        'save the input to a file and run `invoice-load mapping init <file> -o vendor.mapping.json` to write one',
    );
    expect(styleProblem('b.csv', newStyleTally(), 1)).toBeUndefined();
  });

  it('said only when at least half of the rows had such a cell: one "1,00" among canonical amounts is a cell to correct', () => {
    const tally = newStyleTally();
    tallyStyle(tally, 'decimal_comma', '1,00', 5);
    tallyStyle(tally, 'decimal_comma', '2,00', 5);
    tallyStyle(tally, 'date_order', '01.02.2026', 9);
    expect(tally.rows).toBe(2);
    expect(styleProblem('b.csv', tally, 4)?.code).toBe('mapping_needed');
    expect(styleProblem('b.csv', tally, 5)).toBeUndefined();
  });
});

describe('fileArgs: a file as the problems name it, as the words of a command that reads it', () => {
  it.each([
    ['batch.csv', 'batch.csv'],
    ['in/my batch.csv', "'in/my batch.csv'"],
    // A workbook's sheet (input/xlsx.ts sheetSource): the workbook, then --sheet.
    ['book.xlsx:Summary', 'book.xlsx --sheet Summary'],
    ['in/Rechnungen 2025.XLSX:Tabelle 1', "'in/Rechnungen 2025.XLSX' --sheet 'Tabelle 1'"],
    // Not a sheet: a colon elsewhere stays in the one word.
    ['c:batch.csv', 'c:batch.csv'],
  ])('%s → %s', (name, words) => {
    expect(fileArgs(name)).toBe(words);
  });
  it('the mapping_needed warning of a sheet gives a command that runs', () => {
    const tally = newStyleTally();
    tallyStyle(tally, 'decimal_comma', '1,00', 2);
    expect(styleProblem('book.xlsx:Lines', tally, 1)?.message).toContain('`invoice-load mapping init book.xlsx --sheet Lines -o book.mapping.json`');
  });
});
