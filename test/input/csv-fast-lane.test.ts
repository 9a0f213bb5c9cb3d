/**
 * The CSV reader's fast lane (regular lines read without csv-parse) must give exactly what
 * csv-parse alone gives: the same records, rows, problems and messages, for any text and any
 * chunking, including the switch to csv-parse in the middle of a file.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { setCsvFastLane, splitQuoted } from '../../src/input/csv.js';
import { read, utf8 } from './helpers.js';

afterEach(() => setCsvFastLane(true));

async function both(name: string, text: string, cuts: number[] = []): Promise<[string, string]> {
  const bytes = utf8(text);
  setCsvFastLane(false);
  const slow = JSON.stringify((await read(name, bytes, { cuts })).events);
  setCsvFastLane(true);
  const fast = JSON.stringify((await read(name, bytes, { cuts })).events);
  return [fast, slow];
}

const CASES: [string, string][] = [
  ['plain', 'a,b,c\n1,2,3\n4,,6\n\n\n7,8\n,,\n9,10,11,12\n'],
  ['quoted', 'a,b\n"x, y","say ""hi"""\n"",""\n"a",b\n1,"2"\n'],
  ['trailing delimiter', 'a,b\n1,\n"x",\n2,""\n'],
  ['multi-line value mid-file', 'a,b\n1,2\n"x\ny",3\n4,5\n'],
  ['stray quote', 'a,b\n1,x"y\n2,3\n'],
  ['text after closing quote', 'a,b\n"x"y,2\n3,4\n'],
  ['unclosed at the end', 'a,b\n1,2\n3,"oops'],
  ['no final line break', 'a,b\n1,2'],
  ['header only', 'a,b'],
  ['blank lines before the header', '\n\n  \na,b\n1,2\n'],
  ['old Mac CR', 'a,b\r1,2\r3,4\r'],
  ['mixed CR', 'a,b\n1,2\r3,4\n'],
  ['semicolons', 'a;b\n"1;5";2\n'],
  ['tabs', 'a\tb\n1\t2\n'],
  ['crlf', 'a,b\r\n1,2\r\n"x\r\ny",3\r\n'],
  ['blank header cell', 'a,,b\n1,2,3\n'],
  ['space before quote', 'a,b\n1, "x"\n'],
  ['quote only', 'a,b\n"\n'],
  ["Excel's sep= line", 'sep=;\na;b\n1;2\n"x\ny";3\n'],
  ["Excel's sep= line after blank lines, CRLF", '\r\n\r\nsep=;\r\na;b\r\n1;2\r\n'],
  ["Excel's sep= line, old Mac CR", 'sep=;\ra;b\r1;2\r'],
  ['a repeated header', 'a,b\n1,2\na,b\n"x\ny",3\na,b\n'],
  ['a title above the header', 'Invoices\n\nvendor;"invoice_number"\n"x\ny";3\n'],
  ['a title, then no header', 'Invoices\n"x\ny",3\n'],
];

describe('CSV fast lane', () => {
  it.each(CASES)('%s', async (_name, text) => {
    const [fast, slow] = await both('t.csv', text);
    expect(fast).toBe(slow);
  });

  it('reads quoted fields as csv-parse does', () => {
    expect(splitQuoted('"a,b","c""d",e,"",', ',', '"')).toEqual(['a,b', 'c"d', 'e', '', '']);
    expect(splitQuoted('"a"b', ',', '"')).toBeUndefined();
    expect(splitQuoted('a"b', ',', '"')).toBeUndefined();
    expect(splitQuoted('"a', ',', '"')).toBeUndefined();
  });

  it('agrees with csv-parse on any text, cut anywhere', async () => {
    const char = fc.constantFrom('a', 'b', ' ', ',', ';', '"', '"', '\n', '\n', '\r', '\r\n', 'é', '😀');
    await fc.assert(
      fc.asyncProperty(fc.array(char, { maxLength: 60 }), fc.array(fc.nat(80), { maxLength: 4 }), async (chars, cuts) => {
        const text = 'h1,h2,h3\n' + chars.join('');
        const [fast, slow] = await both('t.csv', text, [...new Set(cuts)].sort((x, y) => x - y));
        expect(fast).toBe(slow);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with csv-parse on rows of regular and irregular fields', async () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .]{0,6}$/),
      fc.stringMatching(/^[a-z,"\n ]{0,6}$/).map((s) => `"${s.replaceAll('"', '""')}"`),
      fc.constantFrom('"', 'x"', '"x"y', '""', '"a""'),
    );
    const row = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), async (rows, eol) => {
        const [fast, slow] = await both('t.csv', ['a,b,c', ...rows].join(eol) + eol);
        expect(fast).toBe(slow);
      }),
      { numRuns: 400 },
    );
  });
});
