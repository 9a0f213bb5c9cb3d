/**
 * The shared-strings reader that replaces exceljs's (src/input/xlsx-strings.ts): texts without
 * phonetic runs, Excel's escapes, one UTF-8 stream across chunks, and a bound on one text's bytes.
 */
import { describe, expect, it } from 'vitest';
import { cutLongTexts, decodeXstring, fixCells, fixSheetCells, MAX_TEXT_BYTES, quoteEscapes, SHARED_STRING_LIMITS, SharedStrings, sharedStringsReader, WorkbookTooLarge, type SheetWork } from '../../src/input/xlsx-strings.js';
import { unreadable } from '../../src/input/xlsx.js';
import { Readable } from 'node:stream';
import parseSax from 'exceljs/lib/utils/parse-sax.js';
import iterateStream from 'exceljs/lib/utils/iterate-stream.js';
import { MAX_CELL_CHARS } from '../../src/input/limits.js';

async function collect(chunks: (string | Uint8Array)[], max: number): Promise<string> {
  let out = '';
  for await (const t of cutLongTexts((async function* () { yield* chunks; })(), max)) out += t;
  return out;
}

describe('cutLongTexts', () => {
  it('hands on the XML as it is when no text runs past the bound, a character split between chunks included', async () => {
    const xml = Buffer.from('<si><t>Müller 東京</t></si>');
    for (let cut = 1; cut < xml.length; cut++) {
      expect(await collect([xml.subarray(0, cut), xml.subarray(cut)], 100)).toBe('<si><t>Müller 東京</t></si>');
    }
  });

  it('cuts a text past the bound, across chunks, and keeps every tag after it', async () => {
    const long = 'x'.repeat(30);
    const xml = Buffer.from(`<si><t>${long}</t></si><si><t>ok</t></si>`);
    // A run is counted from its `<`: "<t>" and the text.
    expect(await collect([xml], 10)).toBe('<si><t>xxxxxxx</t></si><si><t>ok</t></si>');
    expect(await collect([xml.subarray(0, 12), xml.subarray(12, 20), xml.subarray(20)], 10)).toBe('<si><t>xxxxxxx</t></si><si><t>ok</t></si>');
    // Chunks no longer than the bound (as an inflated part's are): every way through.
    for (const size of [1, 2, 3, 5, 7, 10]) {
      const chunks = Array.from({ length: Math.ceil(xml.length / size) }, (_, i) => xml.subarray(i * size, (i + 1) * size));
      expect(await collect(chunks, 10), String(size)).toBe('<si><t>xxxxxxx</t></si><si><t>ok</t></si>');
    }
  });

  it('a text cut at the bound still holds more than a cell may: its row gets cell_too_long, not a shorter text', async () => {
    for (const ch of ['x', 'é', '東', '😀', '&amp;']) {
      const text = await collect([`<t>${ch.repeat(1_000_000)}</t>`], MAX_TEXT_BYTES);
      const kept = text.slice(3, text.indexOf('</t>'));
      expect(kept.length, ch).toBeGreaterThan(MAX_CELL_CHARS);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_TEXT_BYTES + 8);
    }
  });
});

describe('SharedStrings', () => {
  const open = (name: string) => ({ eventType: 'opentag', value: { name } });
  const close = (name: string) => ({ eventType: 'closetag', value: { name } });
  const text = (t: string) => ({ eventType: 'text', value: t });

  it("an item is its <t> texts joined, without its phonetic runs (rPh) or what lies outside <t>", () => {
    const s = new SharedStrings();
    expect(s.feed([open('si'), open('t'), text('東京大学'), close('t'), open('rPh'), open('t'), text('トウキョウ'), close('t'), close('rPh')])).toEqual([]);
    expect(s.feed([open('phoneticPr'), close('phoneticPr'), close('si')])).toEqual(['東京大学']);
    expect(s.feed([open('si'), open('r'), open('rPr'), close('rPr'), open('t'), text('G-'), close('t'), close('r'), open('r'), open('t'), text('1'), close('t'), close('r'), text('\n'), close('si')])).toEqual(['G-1']);
  });

  // A fuzz review's 12 MB workbook of 300 million <si><t>a</t></si> aborted V8 (exit 133): the count and size are bounded.
  it('more strings than the limit is WorkbookTooLarge, said plainly as the workbook\'s problem', () => {
    const s = new SharedStrings({ count: 3, chars: 1000 });
    const item = [open('si'), open('t'), text('a'), close('t'), close('si')];
    expect(s.feed([...item, ...item, ...item])).toEqual(['a', 'a', 'a']);
    expect(() => s.feed(item)).toThrow(WorkbookTooLarge);
    let err: unknown;
    try {
      new SharedStrings({ count: 1_000, chars: 10_000 }).feed(Array.from({ length: 1_001 }, () => item).flat());
    } catch (e) {
      err = e;
    }
    expect(unreadable(err)).toBe(
      'the workbook holds more than the 1,000 shared strings (the texts of its cells, each kept once) the loader reads of one workbook; split the batch into several workbooks, or save it as CSV UTF-8',
    );
  });

  it('more characters in all than the limit, in one item of many runs too, is WorkbookTooLarge', () => {
    const s = new SharedStrings({ count: 100, chars: 10 });
    expect(s.feed([open('si'), open('t'), text('12345'), close('t'), close('si')])).toEqual(['12345']);
    const runs = [open('si'), open('r'), open('t'), text('1234'), close('t'), close('r'), open('r'), open('t'), text('12'), close('t'), close('r')];
    expect(() => s.feed(runs)).toThrow(/more than the 10 characters the loader reads of one workbook/);
  });

  it('the reader of the shared-strings part keeps to its limits, and the default ones are a real batch\'s many times over', async () => {
    const xml = `<sst>${'<si><t>a</t></si>'.repeat(10)}</sst>`;
    const read = (count: number) => {
      const self: { sharedStrings?: unknown[] } = {};
      const gen = sharedStringsReader(parseSax, iterateStream, { count, chars: 1000 }).call(self, Readable.from([Buffer.from(xml)]));
      return (async () => {
        for await (const _ of gen) void _;
        return self.sharedStrings;
      })();
    };
    expect(await read(10)).toHaveLength(10);
    await expect(read(9)).rejects.toThrow(WorkbookTooLarge);
    expect(SHARED_STRING_LIMITS.count).toBeGreaterThanOrEqual(200_000 * 25);
  });

  it.each([
    ['one_x000D_two', 'one\rtwo'],
    ['A_x005F_x000D_B', 'A_x000D_B'],
    ['_x00e9_', 'é'],
    ['plain_x', 'plain_x'],
  ])('%j reads as %j (ST_Xstring)', (raw, shown) => expect(decodeXstring(raw)).toBe(shown));
});

describe('fixSheetCells: cells exceljs misreads, rewritten whole', () => {
  it.each([
    ['inline rich text: every run, not the last', '<c r="A2" t="inlineStr"><is><r><t>G-</t></r><r><rPr><b/></rPr><t xml:space="preserve">1 </t></r></is></c>', '<c r="A2" t="inlineStr"><is><t xml:space="preserve">G-1 </t></is></c>'],
    ['inline text with a phonetic run', '<c r="B2" t="inlineStr"><is><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></is></c>', '<c r="B2" t="inlineStr"><is><t xml:space="preserve">東京</t></is></c>'],
    ['an ISO date cell', '<c r="C2" s="1" t="d"><v>2025-03-04T00:00:00Z</v></c>', '<c r="C2" s="1" t="str"><v>2025-03-04</v></c>'],
    ['an ISO date cell without a time', '<c r="C3" t="d"><v>2025-03-04</v></c>', '<c r="C3" t="str"><v>2025-03-04</v></c>'],
    // XML allows either quote, and spaces around `=`: the same date cell (was "a number cell whose saved value is not a number").
    ['an ISO date cell with its attributes in single quotes', "<c r='C4' s='1' t='d'><v>2025-03-04T00:00:00Z</v></c>", `<c r='C4' s='1' t="str"><v>2025-03-04</v></c>`],
    ['an ISO date cell with spaces around its type\'s =', '<c r="C5" t = "d"><v>2025-03-04</v></c>', '<c r="C5" t="str"><v>2025-03-04</v></c>'],
    ["a formula whose saved value is an error, its type in single quotes (t='e'): the error", "<c r='G3' t='e'><f>VLOOKUP(A3,X!A:B,2,0)</f><v>#N/A</v></c>", "<c r='G3' t='e'><v>#N/A</v></c>"],
    ['a formula whose saved value is an error: the error', '<c r="G2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c><c r="H2" t="e"><f t="shared" si="0"/><v>#REF!</v></c>', '<c r="G2" t="e"><v>#N/A</v></c><c r="H2" t="e"><v>#REF!</v></c>'],
    ['an empty ISO date or error cell (self-closing) leaves the next cell alone', '<c r="A2" t="d"/><c r="B2" t="d"><v>2025-03-04</v></c><c r="C2" t="e"/><c r="D2"><f>1+1</f><v>2</v></c>', '<c r="A2" t="d"/><c r="B2" t="str"><v>2025-03-04</v></c><c r="C2" t="e"/><c r="D2"><f>1+1</f><v>2</v></c>'],
    ['other cells as they are', '<c r="D2" s="2"><v>45720</v></c><c r="E2" t="s"><v>3</v></c><c r="F2" t="inlineStr"><is><t>x</t></is></c>', '<c r="D2" s="2"><v>45720</v></c><c r="E2" t="s"><v>3</v></c><c r="F2" t="inlineStr"><is><t xml:space="preserve">x</t></is></c>'],
  ])('%s', (_what, xml, fixed) => expect(fixCells(xml)).toBe(fixed));

  it('a number cell whose saved value is no number becomes a text cell of it, its place and text told', () => {
    const bad: [string, string][] = [];
    const xml =
      '<c r="A2" s="3"><v>1234,56</v></c><c r="B2" t="n"><v>12&#44;5</v></c><c r="C2"><f>X2</f><v>NaN</v></c><c r="D2"><v>1E+309</v></c>' +
      '<c r="E2"><v>1.5E3</v></c><c r="F2" t="str"><f>G2</f><v>a,b</v></c><c r="G2" t="s"><v>0</v></c><c r="H2" t="b"><v>1</v></c><c r="I2"><v></v></c>';
    expect(fixCells(xml, undefined, (ref, raw) => bad.push([ref, raw]))).toBe(
      '<c r="A2" s="3" t="inlineStr"><is><t xml:space="preserve">1234,56</t></is></c><c r="B2" t="inlineStr"><is><t xml:space="preserve">12&#44;5</t></is></c>' +
        '<c r="C2" t="inlineStr"><is><t xml:space="preserve">NaN</t></is></c><c r="D2" t="inlineStr"><is><t xml:space="preserve">1E+309</t></is></c>' +
        '<c r="E2"><v>1.5E3</v></c><c r="F2" t="str"><f>G2</f><v>a,b</v></c><c r="G2" t="s"><v>0</v></c><c r="H2" t="b"><v>1</v></c><c r="I2"><v></v></c>',
    );
    expect(bad).toEqual([['A2', '1234,56'], ['B2', '12,5'], ['C2', 'NaN'], ['D2', '1E+309']]);
  });

  it('a cell split between chunks is rewritten once it is whole', async () => {
    const xml = '<row r="2"><c r="A2" t="inlineStr"><is><r><t>G-</t></r><r><t>1</t></r></is></c><c r="B2" t="d"><v>2025-03-04T00:00:00Z</v></c></row></sheetData>';
    for (let cut = 1; cut < xml.length; cut++) {
      let out = '';
      for await (const t of fixSheetCells((async function* () { yield xml.slice(0, cut); yield xml.slice(cut); })())) out += t;
      expect(out, String(cut)).toBe('<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">G-1</t></is></c><c r="B2" t="str"><v>2025-03-04</v></c></row></sheetData>');
    }
  });

  it("names the place of an ISO date cell written with single quotes (t='d', r='C7'), and tells no bad number", () => {
    const dates: string[] = [];
    const bad: string[] = [];
    fixCells("<c r='C7' t='d'><v>2025-03-04</v></c>", (ref) => dates.push(ref), (ref) => bad.push(ref));
    expect([dates, bad]).toEqual([['C7'], []]);
  });

  it('names the place of each ISO date cell it rewrote, in a sheet without r attributes too (numbered first)', async () => {
    const marks = { hidden: new Set<number>(), merged: [], isoDates: new Set<string>() };
    const xml = '<sheetData><row><c t="s"><v>0</v></c><c t="d"><v>2025-03-04T00:00:00</v></c><c t="d"><v>x</v></c></row><row r="5"><c r="B5" s="1" t="d"><v>2025-04-01</v></c></row></sheetData>';
    let out = '';
    for await (const t of fixSheetCells((async function* () { yield xml; })(), marks)) out += t;
    expect(out).toContain('<c r="B1" t="str"><v>2025-03-04</v></c>');
    expect([...marks.isoDates]).toEqual(['B1', 'B5']);
  });
});

describe('fixSheetCells: rows and cells without their r attribute', () => {
  const run = async (parts: string[]): Promise<string> => {
    let out = '';
    for await (const t of fixSheetCells((async function* () { yield* parts; })())) out += t;
    return out;
  };

  it('are numbered in order, each following the one before it, across chunks', async () => {
    const xml = '<sheetData><row spans="1:3"><c t="s"><v>0</v></c><c><v>1</v></c><c/></row><row><c t="inlineStr"><is><t>x</t></is></c></row><row r="7"><c><v>2</v></c><c r="E7"><v>3</v></c><c><v>4</v></c></row></sheetData>';
    const numbered = '<sheetData><row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c><c r="C1"/></row><row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">x</t></is></c></row><row r="7"><c r="A7"><v>2</v></c><c r="E7"><v>3</v></c><c r="F7"><v>4</v></c></row></sheetData>';
    expect(await run([xml])).toBe(numbered);
    expect(await run([xml.slice(0, 40), xml.slice(40, 90), xml.slice(90)])).toBe(numbered);
  });

  it.each([
    // x_emptyc.xlsx and x_c_nor.xlsx of the hostile-input review: "Cannot read properties of undefined (reading 'length')", no rows read.
    ['a row without r after rows with it', '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row><row><c/></row><row><c><v>5</v></c></row>', '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row><row r="4"><c r="A4"><v>5</v></c></row>'], // row 3, empty, dropped
    ['a cell without r after cells with it', '<row r="2"><c r="C2"><v>1</v></c><c><v>2</v></c><c s="1"/></row>', '<row r="2"><c r="C2"><v>1</v></c><c r="D2"><v>2</v></c><c r="E2" s="1"/></row>'],
    ['a row with r between rows without', '<row><c><v>1</v></c></row><row r="9"><c r="B9"><v>2</v></c></row><row><c><v>3</v></c></row>', '<row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="B9"><v>2</v></c></row><row r="10"><c r="A10"><v>3</v></c></row>'],
  ])('%s: each one without is numbered from its place', async (_what, xml, numbered) => {
    expect(await run([xml])).toBe(numbered);
    // An empty row cut between two pieces is left to the library (it reads as no row).
    const rowsWithValues = (x: string) => x.replace(/<row r="\d+"><c r="A\d+"\/><\/row>/g, '');
    for (let cut = 1; cut < xml.length; cut++) expect(rowsWithValues(await run([xml.slice(0, cut), xml.slice(cut)])), String(cut)).toBe(numbered);
  });

  it('a sheet whose cells carry r is handed on as it is', async () => {
    const xml = '<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>2</v></c></row><row r="2"><c r="B2"><v>3</v></c></row></sheetData>';
    expect(await run([xml])).toBe(xml);
  });

  it.each([[1, 'A'], [26, 'Z'], [27, 'AA'], [702, 'ZZ'], [703, 'AAA'], [16384, 'XFD']])('column %i is %s', async (n, letters) => {
    const cells = '<c><v>0</v></c>'.repeat(n);
    expect(await run([`<row>${cells}</row>`])).toContain(`<c r="${letters}1"><v>0</v></c></row>`);
  });
});

describe('fixSheetCells: text without a closed cell is handed on as it comes', () => {
  async function feed(chunks: string[], work?: SheetWork) {
    let out = '';
    for await (const t of fixSheetCells((async function* () { yield* chunks; })(), undefined, work)) out += t;
    return { out };
  }
  const chunked = (xml: string, size: number): string[] => Array.from({ length: Math.ceil(xml.length / size) }, (_, i) => xml.slice(i * size, (i + 1) * size));

  it.each([
    ['empty rows', '<row/>'],
    ['rows of an empty cell', '<row><c/></row>'],
    ['formatted empty cells (Excel\'s self-closing form)', '<row r="R"><c r="AR" s="1"/><c r="LR" s="1"/></row>'],
  ])('%s: at most about a chunk is held, and each chunk is searched once', async (_what, row) => {
    const xml = `<sheetData>${Array.from({ length: 20_000 }, (_, i) => row.replaceAll('R', String(i + 1))).join('')}</sheetData>`;
    const chunks = chunked(xml, 1000);
    const work = { searched: 0, mostHeld: 0 };
    const { out } = await feed(chunks, work);
    // Rows with no value are dropped, but for one cut between two pieces handed on (left to the library).
    expect((out.match(/<row\b/g) ?? []).length).toBeLessThanOrEqual(chunks.length);
    // Held: at most the chunk just come in (the rest of it after its last tag). Before, all of it until the end (no `</c>`).
    expect(work.mostHeld).toBeGreaterThan(0);
    expect(work.mostHeld).toBeLessThanOrEqual(1000);
    // Searched: each chunk with at most the short held text before it — not the whole held text again and again.
    expect(work.searched).toBeGreaterThanOrEqual(xml.length);
    expect(work.searched).toBeLessThan(xml.length + chunks.length * 1000);
  });

  it('self-closing and open cells cut at every place between two chunks come out whole and numbered', async () => {
    const xml = '<sheetData><row r="4"><c r="A4" s="1"/><c s="2"/><c t="inlineStr"><is><r><t>G-</t></r><r><t>1</t></r></is></c><c r="E4" s="1"/></row><row><c/><c t="d"><v>2025-03-04</v></c></row></sheetData>';
    const fixed = '<sheetData><row r="4"><c r="A4" s="1"/><c r="B4" s="2"/><c r="C4" t="inlineStr"><is><t xml:space="preserve">G-1</t></is></c><c r="E4" s="1"/></row><row r="5"><c r="A5"/><c r="B5" t="str"><v>2025-03-04</v></c></row></sheetData>';
    for (let cut = 1; cut < xml.length; cut++) {
      for (const third of [cut + 1, cut + 7, xml.length]) {
        expect((await feed([xml.slice(0, cut), xml.slice(cut, third), xml.slice(third)].filter((c) => c !== ''))).out, `${cut}/${third}`).toBe(fixed);
      }
    }
  });

  it('rows with no value are dropped before the library builds them; a hidden one is still noted, and rows after keep their numbers', async () => {
    const marks = { hidden: new Set<number>(), merged: [], isoDates: new Set<string>() };
    const xml = '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2" hidden="1"/><row><c/><c s="1"/></row><row r="5" ht="20">\n <c r="A5" s="1"/>\n</row><row><c><v>6</v></c></row><row><c/><c><v>7</v></c></row></sheetData>';
    let out = '';
    for await (const t of fixSheetCells((async function* () { yield xml; })(), marks)) out += t;
    expect(out).toBe('<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="6"><c r="A6"><v>6</v></c></row><row r="7"><c r="A7"/><c r="B7"><v>7</v></c></row></sheetData>');
    expect([...marks.hidden]).toEqual([2]);
  });

  it("merged ranges are noted whatever the quotes of their ref (ref='D2:D4', as XML allows)", async () => {
    const marks = { hidden: new Set<number>(), merged: [] as string[], isoDates: new Set<string>() };
    const xml = `<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells count="3"><mergeCell ref="A2:A3"/><mergeCell ref='D2:D4'/><mergeCell ref = "E5:E6"/></mergeCells>`;
    for await (const _ of fixSheetCells((async function* () { yield xml; })(), marks)) void _;
    expect(marks.merged).toEqual(['A2:A3', 'D2:D4', 'E5:E6']);
  });

  it('a cell longer than a chunk is held until it is closed, then rewritten whole', async () => {
    const runs = Array.from({ length: 300 }, (_, i) => `<r><t>${i},</t></r>`).join('');
    const xml = `<row r="2"><c r="A2" s="1"/><c r="B2" t="inlineStr"><is>${runs}</is></c></row><row r="3"/>`;
    const { out } = await feed(chunked(xml, 64));
    expect(out).toBe(`<row r="2"><c r="A2" s="1"/><c r="B2" t="inlineStr"><is><t xml:space="preserve">${Array.from({ length: 300 }, (_, i) => `${i},`).join('')}</t></is></c></row>`);
  });
});

describe('number formats: escaped characters quoted (quoteEscapes)', () => {
  const fmt = (code: string) => `<numFmts count="1"><numFmt numFmtId="164" formatCode="${code}"/></numFmts>`;
  it.each([
    ['#,##0.00\\ \\D\\M', '#,##0.00&quot; &quot;&quot;D&quot;&quot;M&quot;'],
    ['0\\ \\S\\t\\k', '0&quot; &quot;&quot;S&quot;&quot;t&quot;&quot;k&quot;'],
    ['&quot;a\\b&quot; 0', '&quot;a\\b&quot; 0'], // inside quoted text a backslash is text
    ['0\\&amp;', '0&quot;&amp;&quot;'],
    ['0\\&quot;', '0\\&quot;'],
    ['0\\😀', '0&quot;😀&quot;'],
    ['dd/mm/yyyy', 'dd/mm/yyyy'],
  ])('%s becomes %s', (code, quoted) => {
    expect(quoteEscapes(fmt(code))).toBe(fmt(quoted));
  });
  it('leaves the rest of the part alone', () => {
    const xml = '<cellXfs><xf numFmtId="164" applyNumberFormat="1"/></cellXfs><font name="a\\b"/>';
    expect(quoteEscapes(xml)).toBe(xml);
  });
});
