/**
 * The shared-strings reader that replaces exceljs's (src/input/xlsx-strings.ts): texts without
 * phonetic runs, Excel's escapes, one UTF-8 stream across chunks, and a bound on one text's bytes.
 */
import { describe, expect, it } from 'vitest';
import { cutLongTexts, decodeXstring, MAX_TEXT_BYTES, SharedStrings } from '../../src/input/xlsx-strings.js';
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

  it.each([
    ['one_x000D_two', 'one\rtwo'],
    ['A_x005F_x000D_B', 'A_x000D_B'],
    ['_x00e9_', 'é'],
    ['plain_x', 'plain_x'],
  ])('%j reads as %j (ST_Xstring)', (raw, shown) => expect(decodeXstring(raw)).toBe(shown));
});
