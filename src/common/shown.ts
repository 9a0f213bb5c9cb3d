/**
 * Text from outside the program (a file's name, a cell) as it is printed: on one line, and
 * nothing in it the terminal acts on. A file named by a vendor may hold an escape sequence (a
 * colour, a cursor move, a title) or a line break that starts a fake line of the log.
 */

/**
 * Control characters (C0 with tab and line feed, DEL, C1) and the bidirectional embedding,
 * override and isolate controls (U+202A–U+202E, U+2066–U+2069, https://trojansource.codes) as
 * JSON escapes (`\n`, `\t`, `\u001b`): visible, one line, and the name can still be told apart
 * from another.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const j = JSON.stringify(c);
    return j.length === 4 ? j.slice(1, 3) : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The name a run's inputs give standard input (`invoice-load -`), in the report's `file` fields too. */
export const STDIN_FILE = '-';

/**
 * A file's name as people read it: standard input, which has no name, as `standard input` (its
 * `-` read as `-:2` in a row's place, README "The input: canonical layout"); any other `oneLine`.
 */
export const shownFile = (file: string): string => (file === STDIN_FILE ? 'standard input' : oneLine(file));

/** How much of a value a table cell shows. */
export const CELL_MAX = 200;

/**
 * A value as a table shows it: whole up to CELL_MAX characters, else its start and its length
 * (`123…… (5,000,000 characters)`): a 5,000,000-digit invoice number was printed whole, 10 MB.
 * `ascii`: `...` for `…`, on a terminal that may not show it (cli/terminal.ts `asciiOnly`).
 */
export function capped(text: string, max = CELL_MAX, ascii = false): string {
  if (text.length <= max) return text;
  // Not between the two halves of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}${ascii ? '...' : '…'} (${text.length.toLocaleString('en-US')} characters)`;
}
