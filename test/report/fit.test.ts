import { describe, expect, it } from 'vitest';
import { columnWidths, cutToWidth, fitLastColumn, leaveOutIfNarrow, padToWidth, rowsNotWhole, visibleWidth, wrapLine } from '../../src/report/fit.js';
import { plainStyle, table } from '../../src/report/human.js';

const rows = (): string[][] => [
  ['status', 'number', 'outcome'],
  ['loaded', 'G-1', 'Waiting to be Sent'],
  ['FAILED', 'E-300', 'create: 60237 Invoice vendor account not valid (tracking id E01-2106115205-AKV2X)'],
];

describe('fitLastColumn', () => {
  it.each([
    // other columns take 6+2 + 6+2 = 16; the outcome gets the rest
    [40, 'create: 60237 Invoice v…'],
    [60, 'create: 60237 Invoice vendor account not va…'],
  ])('width %i cuts the long cell to fit, with …', (width, expected) => {
    const r = rows();
    const cut = fitLastColumn(r, width);
    expect(r[2]![2]).toBe(expected);
    expect(16 + [...r[2]![2]!].length).toBe(width);
    expect(cut).toEqual(new Map([[2, rows()[2]![2]]]));
    expect(r[1]![2]).toBe('Waiting to be Sent');
  });

  it('leaves everything whole when it fits, or when the window is too narrow to help', () => {
    for (const width of [200, 20, 0, Number.NaN]) {
      const r = rows();
      expect(fitLastColumn(r, width).size).toBe(0);
      expect(r).toEqual(rows());
    }
  });

  it('counts characters, not UTF-16 units, and never cuts the header', () => {
    const r = [['a', 'header that is very long indeed, longer than the room'], ['b', '€'.repeat(40)]];
    fitLastColumn(r, 23);
    expect(r[0]![1]).toBe('header that is very long indeed, longer than the room');
    expect(r[1]![1]).toBe('€'.repeat(19) + '…');
  });
});

describe('wrapLine', () => {
  const line = '  row 21 currency: error currency "XYZ" is not an ISO 4217 currency code (e.g. USD, EUR) [invalid_currency]';
  it.each([
    ['a line that fits, as it is', 200, '', [line]],
    ['broken at spaces, the rest under its start', 40, '      ', ['  row 21 currency: error currency "XYZ"', '      is not an ISO 4217 currency code', '      (e.g. USD, EUR) [invalid_currency]']],
    ['no width: as it is', 0, '', [line]],
  ])('%s', (_what, width, indent, rows) => {
    const got = wrapLine(line, width, indent);
    expect(got).toEqual(rows);
    if (width > 0) for (const r of got) expect(visibleWidth(r)).toBeLessThanOrEqual(width);
    // Nothing lost or added but the breaks.
    expect(got.map((r, i) => (i === 0 ? r : r.slice(indent.length))).join(' ')).toBe(line);
  });

  it('leaves a word wider than a row whole, and colour codes take no room', () => {
    expect(wrapLine('tracking id E01-2106115205-AKV2X-AWAE1 end', 12)).toEqual(['tracking id', 'E01-2106115205-AKV2X-AWAE1', 'end']);
    const red = '\x1b[31merror\x1b[39m';
    expect(visibleWidth(`a ${red} b`)).toBe(9);
    expect(wrapLine(`row 8: ${red} total_amount`, 12)).toEqual([`row 8: ${red}`, 'total_amount']);
  });
});

describe('rowsNotWhole', () => {
  it('counts the rows, not the header, whose last cell is wider than the room the others leave', () => {
    const rows = [['status', 'number', 'outcome'], ['loaded', 'G-1', 'Waiting to be Sent'], ['in review', 'G-2', 'InReview: NOT_LINKED_LINES']];
    // before the last column: 9 + 2 + 6 + 2 = 19
    expect(rowsNotWhole(rows, 19 + 26)).toBe(0);
    expect(rowsNotWhole(rows, 19 + 25)).toBe(1);
    expect(rowsNotWhole(rows, 19 + 17)).toBe(2);
  });
});

describe("fitLastColumn keeping a cell's end", () => {
  it('cuts from the left, so a place keeps its row number', () => {
    const r = [['status', 'rows'], ['planned', 'fixtures/sample-batch.csv:15']];
    const cut = fitLastColumn(r, 9 + 20, 2, 'end');
    expect(r[1]![1]).toBe('…sample-batch.csv:15');
    expect(cut.get(1)).toBe('fixtures/sample-batch.csv:15');
  });
});

describe('leaveOutIfNarrow', () => {
  it('leaves the column out only when that shows more last cells whole, and holds a million rows', () => {
    const rows = (n: number, outcome: string): string[][] => [['status', 'number', 'id', 'outcome'], ...Array.from({ length: n }, (_, i) => ['loaded', `G-${i}`, '53100000050004146', outcome])];
    const keep = rows(2, 'Sent');
    expect(leaveOutIfNarrow(keep, 2, 80)).toBe(false);
    expect(keep[0]).toEqual(['status', 'number', 'id', 'outcome']);
    const many = rows(1_000_000, 'Waiting to be Sent');
    // 6 + 2 + 8 + 2 + 17 + 2 = 37 columns before the outcome: 13 of 50 left, 30 without the id.
    expect(leaveOutIfNarrow(many, 2, 50)).toBe(true);
    expect(many).toHaveLength(1_000_001);
    expect(many[0]).toEqual(['status', 'number', 'outcome']);
    expect(many[1_000_000]).toEqual(['loaded', 'G-999999', 'Waiting to be Sent']);
  });
});

describe('terminal columns, not characters', () => {
  // A Japanese vendor (丸善雄松堂, Maruzen Yushodo) takes two columns a character on a terminal.
  it.each([
    ['GOBI', 4],
    ['丸善雄松堂', 10],
    ['📦 box', 6],
    ['e\u0301te\u0301', 3], // letters with combining accents: the accents take no room
    ['\x1b[31mFAILED\x1b[39m', 6],
  ])('%j is %i columns wide', (text, width) => {
    expect(visibleWidth(text)).toBe(width);
  });

  it('cuts between whole characters to the columns, never past them', () => {
    expect(cutToWidth('丸善雄松堂 MARUZEN', 8)).toBe('丸善雄…'); // 7 columns: 松 would make 9
    expect(cutToWidth('丸善雄松堂 MARUZEN', 8, 'end')).toBe('…MARUZEN');
    expect(cutToWidth('e\u0301'.repeat(10), 5)).toBe('e\u0301'.repeat(4) + '…');
    expect(cutToWidth('丸善', 4)).toBe('丸善');
  });

  it('pads and cuts table cells so that the columns line up', () => {
    const rows = [
      ['status', 'vendor', 'outcome'],
      ['loaded', '丸善雄松堂', 'Waiting to be Sent'],
      ['FAILED', 'GOBI', 'create: 60237 Invoice vendor account not valid'],
    ];
    expect(columnWidths(rows)).toEqual([6, 10, 46]);
    expect(padToWidth('丸善', 6)).toBe('丸善  ');
    const lines = table(rows, plainStyle);
    // Every outcome starts in the same terminal column.
    const starts = lines.map((l, i) => visibleWidth(l.slice(0, l.indexOf(rows[i]![2]!))));
    expect(starts).toEqual([20, 20, 20]);
    const wide = [['a', 'x'], ['b', '丸'.repeat(30)]];
    fitLastColumn(wide, 23);
    expect(wide[1]![1]).toBe('丸'.repeat(9) + '…');
    expect(3 + visibleWidth(wide[1]![1]!)).toBeLessThanOrEqual(23);
  });
});
