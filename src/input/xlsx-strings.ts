/**
 * A workbook's shared strings (`xl/sharedStrings.xml`), read for exceljs's stream reader in place
 * of its own `_parseSharedStrings`, which keeps the text of an item's LAST `<t>`:
 * - A Japanese workbook stores the reading of text typed through the input method beside it, as
 *   phonetic runs (`<si><t>東京大学</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>`,
 *   ECMA-376 Part 1, 18.4.6 "rPh (Phonetic Run)"). exceljs read such a cell as its reading: a
 *   note "東京大学 図書館" went to Alma as "トショカン", a vendor code GOBI as ゴビ. The reading
 *   is not the cell's text (Excel shows it only above the text, on request): it is dropped.
 * - Excel writes a character XML cannot hold (a carriage return, a control character) as
 *   `_xHHHH_`, and a literal `_x` as `_x005F_x` (ECMA-376 Part 1, 22.9.2.19 "ST_Xstring"):
 *   decoded, as Excel shows the cell.
 * Rich text (`<r>` runs) is the runs' texts joined: the reader keeps text, not fonts.
 */

/** One XML event as exceljs's `parse-sax` yields them (saxes's opentag, text, closetag). */
interface SaxEvent {
  eventType: string;
  value: { name?: string } | string;
}

type ParseSax = (iterable: AsyncIterable<unknown>) => AsyncIterable<SaxEvent[]>;
type IterateStream = (stream: unknown) => AsyncIterable<unknown>;

/** `_xHHHH_` → the UTF-16 code unit it stands for (ST_Xstring). */
export function decodeXstring(text: string): string {
  return text.includes('_x') ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/**
 * The shared strings of a stream of XML events, in order: each the text of its `<si>` without
 * phonetic runs. Pure: `feed` takes one batch of events and returns the items it completed.
 */
export class SharedStrings {
  #parts: string[] = [];
  #phonetic = 0;
  #inText = false;

  feed(batch: readonly SaxEvent[]): string[] {
    const done: string[] = [];
    for (const { eventType, value } of batch) {
      const name = typeof value === 'string' ? undefined : value.name;
      if (eventType === 'opentag') {
        if (name === 'si') this.#parts = [];
        else if (name === 'rPh') this.#phonetic++;
        else if (name === 't') this.#inText = true;
      } else if (eventType === 'text') {
        if (this.#inText && this.#phonetic === 0 && typeof value === 'string') this.#parts.push(value);
      } else if (eventType === 'closetag') {
        if (name === 'rPh') this.#phonetic--;
        else if (name === 't') this.#inText = false;
        else if (name === 'si') done.push(decodeXstring(this.#parts.join('')));
      }
    }
    return done;
  }
}

/**
 * A replacement for exceljs's `WorkbookReader.prototype._parseSharedStrings` (exceljs 4.4,
 * lib/stream/xlsx/workbook-reader.js), for a reader made with `sharedStrings: 'cache'`: fills
 * `this.sharedStrings` as exceljs's does. Its helpers are exceljs's own, passed in.
 */
export function sharedStringsReader(parseSax: ParseSax, iterateStream: IterateStream) {
  return async function* (this: { sharedStrings?: unknown[] }, entry: unknown): AsyncGenerator<never, void, undefined> {
    const out: unknown[] = [];
    this.sharedStrings = out;
    const strings = new SharedStrings();
    // One loop over exceljs's own event batches, as its reader has: nothing more is awaited.
    for await (const batch of parseSax(iterateStream(entry))) for (const text of strings.feed(batch)) out.push(text);
  };
}
