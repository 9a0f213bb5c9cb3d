/**
 * What Alma accepts and can store, checked per value in the dry run (pure; table-tested in
 * test/domain/values.test.ts). docs/alma.md#values-alma-can-store gives the reasons and
 * sources; README "What is checked before anything is sent" states the policy for users.
 */
import { CellError, quote } from './cells.js';

/**
 * Columns whose values identify something: the invoice (vendor + invoice_number), the vendor
 * account, a fund, a PO line. Two that look the same must be the same, so these refuse every
 * character a reader cannot see or tell apart.
 */
export const KEY_COLUMNS = ['invoice_number', 'vendor', 'vendor_account', 'fund_code', 'po_line'] as const;

/** Longest key value. Alma documents no length; 255 is a common database column size (inferred). */
export const MAX_KEY_CHARS = 255;

/**
 * Control (Cc), format (Cf: zero-width space, bidirectional overrides, byte-order mark, soft
 * hyphen), surrogate (a lone half of a pair), private-use and unassigned (Cn) code points, every
 * separator except the plain space (tab, no-break and other Unicode spaces, line and paragraph
 * separators), the blank-looking fillers that are letters by category, and U+FFFD (text damaged
 * by a wrong decoding before it reached the file). Leading and trailing whitespace (with U+FEFF)
 * is trimmed from every cell before this.
 */
const INVISIBLE = /(?! )[\p{C}\p{Z}\u115F\u1160\u3164\uFFA0\u2800\uFFFD]/u;

const NAMES: Record<number, string> = {
  0x00: 'NUL', 0x09: 'TAB', 0x0b: 'VERTICAL TAB', 0x0c: 'FORM FEED', 0x0a: 'LINE FEED', 0x0d: 'CARRIAGE RETURN', 0xa0: 'NO-BREAK SPACE', 0xad: 'SOFT HYPHEN',
  0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER', 0x200d: 'ZERO WIDTH JOINER', 0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK', 0x202a: 'LEFT-TO-RIGHT EMBEDDING', 0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING', 0x202d: 'LEFT-TO-RIGHT OVERRIDE', 0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER', 0x2066: 'LEFT-TO-RIGHT ISOLATE', 0x2067: 'RIGHT-TO-LEFT ISOLATE', 0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE', 0x3000: 'IDEOGRAPHIC SPACE', 0xfffd: 'REPLACEMENT CHARACTER (the text was damaged by a wrong decoding)', 0xfeff: 'ZERO WIDTH NO-BREAK SPACE (byte-order mark)',
};

/** INVISIBLE, every match (visibleName). */
const EVERY_INVISIBLE = new RegExp(INVISIBLE.source, 'gu');

const codePoint = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** `U+200B ZERO WIDTH SPACE`: the code point and its name when known, without the name's gloss. */
const namedCodePoint = (cp: number): string => `${codePoint(cp)}${NAMES[cp] !== undefined ? ` ${NAMES[cp]!.replace(/ \(.*/, '')}` : ''}`;

/**
 * What a spreadsheet leaves in a cell when the file passed through it and was saved as text (CSV,
 * JSON): the error value of a failed formula (Microsoft's list of Excel error values, e.g.
 * https://support.microsoft.com/en-us/office/how-to-correct-a-n-a-error-a9ec6d94-d1bf-4d9c-bd2c-73b6fd92b1c0),
 * or a long number shown in scientific notation in its General format (`1.23457E+15`: the
 * digits past the sixth are gone). As an identifier either would load an invoice under a number
 * that is not the vendor's.
 */
const SPREADSHEET_ERROR = /^#(?:N\/A|VALUE!|REF!|DIV\/0!|NUM!|NAME\?|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)$/i;
const SCIENTIFIC = /^-?\d(?:\.\d+)?E[+-]\d{1,3}$/i;

/**
 * A header name with each character a reader cannot see written out (`invoice_number<U+200B ZERO
 * WIDTH SPACE>`): a column named so looks canonical and is not, and a message that quotes it as
 * is shows nothing wrong.
 */
export function visibleName(name: string): string {
  if (!/[^\x20-\x7e]/.test(name)) return name;
  return name.replace(EVERY_INVISIBLE, (ch) => {
    const cp = ch.codePointAt(0)!;
    return `<${namedCodePoint(cp)}>`;
  });
}

/**
 * Letters of other scripts that look like Latin ones (after lower-casing): Cyrillic and Greek,
 * from Unicode's confusables list (https://www.unicode.org/Public/security/latest/confusables.txt),
 * only those a reader cannot tell apart in a column name.
 */
const LATIN_LOOK_ALIKES: Record<string, string> = {
  а: 'a', с: 'c', ԁ: 'd', е: 'e', һ: 'h', і: 'i', ј: 'j', ӏ: 'l', о: 'o', р: 'p', ԛ: 'q', ѕ: 's', ԝ: 'w', х: 'x', у: 'y',
  α: 'a', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', υ: 'u', χ: 'x',
};
const LOOK_ALIKE = new RegExp(`[${Object.keys(LATIN_LOOK_ALIKES).join('')}]`, 'gu');
/** The capital letters of the same scripts that look like Latin capitals. */
const CAPITAL_LOOK_ALIKES = 'АВЕЅІЈКМНОРСТХУԚԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧ';
/** One letter of another script that looks Latin (`MIXED_SCRIPT` in keys). */
const ONE_LOOK_ALIKE = new RegExp(`[${Object.keys(LATIN_LOOK_ALIKES).join('')}${CAPITAL_LOOK_ALIKES}]`, 'u');
const LETTERS = /\p{L}+/gu;

/**
 * The canonical column a header name that is not one looks like, and what tells them apart: an
 * invisible character (`invoice_number` and a zero-width space), a letter of another script
 * (`prіce` with a Cyrillic і), a full-width form. `canonical` is the reader's own naming
 * (columns.ts canonicalHeaderName): a name it accepts is not asked about.
 */
export function lookAlike(name: string, canonical: (name: string) => string | undefined): { column: string; differs: string } | undefined {
  if (!/[^\x20-\x7e]/.test(name)) return undefined;
  const plain = name.replace(EVERY_INVISIBLE, '').normalize('NFKC').toLowerCase().replace(LOOK_ALIKE, (ch) => LATIN_LOOK_ALIKES[ch]!);
  const column = canonical(plain);
  if (column === undefined) return undefined;
  const odd = [...new Set([...name].filter((ch) => /[^\x20-\x7e]/.test(ch)))];
  const differs = odd
    .slice(0, 3)
    .map((ch) => {
      const cp = ch.codePointAt(0)!;
      return INVISIBLE.test(ch) ? `the invisible ${namedCodePoint(cp)}` : `"${ch}" (${codePoint(cp)})`;
    })
    .join(', ');
  return { column, differs: odd.length > 3 ? `${differs} and ${odd.length - 3} more` : differs };
}

/** Checks one key value (already trimmed, non-empty): undefined when Alma can take it as it looks. */
export function keyError(column: string, text: string): CellError | undefined {
  // Only a key that starts as these can (#, a digit, a minus): most keys pass on one char code.
  const c0 = text.charCodeAt(0);
  if (text.length <= 16 && (c0 === 35 /* # */ || c0 === 45 /* - */ || (c0 >= 48 && c0 <= 57))) {
    if (SPREADSHEET_ERROR.test(text)) {
      return new CellError('cell_error', `${column} ${quote(text)} is a spreadsheet's error value, not ${/^[aeiou]/.test(column) ? 'an' : 'a'} ${column}: a formula failed before the file was saved; fix the cell in the vendor's file`);
    }
    if (SCIENTIFIC.test(text)) {
      return new CellError(
        'number_precision',
        `${column} ${quote(text)} is a number in scientific notation, as a spreadsheet shows a long number: its last digits are lost; ` +
          `take the value from the vendor's original file (or format the column as Text in the spreadsheet before saving)`,
      );
    }
  }
  // Printable ASCII and the plain space hold nothing INVISIBLE matches: most keys skip the regex.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      ascii = false;
      break;
    }
  }
  const m = ascii ? null : INVISIBLE.exec(text);
  if (m !== null) {
    const cp = m[0].codePointAt(0)!;
    const isSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    const name = NAMES[cp] ?? (isSurrogate ? 'half of a surrogate pair, not a character' : 'an invisible or control character');
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    return new CellError(
      'invalid_character',
      `${column} ${quote(shown)} contains ${codePoint(cp)} ${name} at position ${[...text.slice(0, m.index)].length + 1}; ` +
        `it cannot be seen, so two values that look the same could differ (only the plain space may appear inside ${/^[aeiou]/.test(column) ? 'an' : 'a'} ${column})`,
    );
  }
  if (text.length > MAX_KEY_CHARS) {
    return new CellError('too_long', `${column} is ${text.length.toLocaleString('en-US')} characters long; at most ${MAX_KEY_CHARS} are accepted`);
  }
  // A Latin word with a Cyrillic or Greek letter that looks Latin in it (`GОBI` with a Cyrillic
  // О, as a keyboard layout left on types it) is another value that looks the same. Words wholly
  // in another script (`RU-Счёт-17`), and letters no Latin one resembles, are left alone.
  if (!ascii && /[A-Za-z]/.test(text)) {
    for (const word of text.matchAll(LETTERS)) {
      const other = /[A-Za-z]/.test(word[0]) ? ONE_LOOK_ALIKE.exec(word[0]) : null;
      if (other === null) continue;
      const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
      const at = [...text.slice(0, word.index + other.index)].length + 1;
      return new CellError(
        'invalid_character',
        `${column} ${quote(shown)} mixes Latin letters with "${other[0]}" (${codePoint(other[0].codePointAt(0)!)}) at position ${at}, ` +
          `a letter of another script that looks like a Latin one, so it is another value than the one it looks like; type it again`,
      );
    }
  }
  // "é" may be one code point or "e" and a combining accent (Unicode's canonical equivalence,
  // https://unicode.org/reports/tr15/): the two look the same and are different values, so two
  // rows of one invoice became two invoices. A key must be in the composed form (NFC). After the
  // length check: finding the position normalizes each prefix, which at a cell's 100,000
  // characters took minutes.
  if (!ascii && text.normalize('NFC') !== text) {
    const chars = [...text];
    let prefix = '';
    const at = chars.findIndex((ch) => (prefix += ch).normalize('NFC') !== prefix);
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    return new CellError(
      'invalid_character',
      `${column} ${quote(shown)} is written with a combining character at position ${at + 1} (${codePoint(chars[at]!.codePointAt(0)!)}); ` +
        `it looks like ${quote(text.normalize('NFC'))} but is another value; type it again, or save the file with composed characters (NFC)`,
    );
  }
  return undefined;
}

/**
 * Characters XML 1.0 cannot carry (its `Char` production, https://www.w3.org/TR/xml/#charsets):
 * the C0 controls but tab, line feed and carriage return, U+FFFE, U+FFFF and a lone half of a
 * surrogate pair. Alma's API gives every object as XML too (its schemas are XSDs), so a note
 * holding one cannot be given back as it was sent; whether Alma refuses it or stores it damaged
 * is not documented (*inferred*). Either way it would surface at the write, after other
 * invoices were loaded, so the dry run refuses it. Word writes a manual line break (Shift+Enter)
 * as U+000B, which is how one most often reaches a note.
 */
const NOT_XML = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|\p{Cs}/u;

/** Checks one free-text value (a note, a reference): undefined when XML can carry it. */
export function textError(column: string, text: string): CellError | undefined {
  const m = NOT_XML.exec(text);
  if (m === null) return undefined;
  const cp = m[0].codePointAt(0)!;
  const name = NAMES[cp] ?? (cp >= 0xd800 && cp <= 0xdfff ? 'half of a surrogate pair, not a character' : cp < 0x20 ? 'a control character' : 'a noncharacter');
  const at = [...text.slice(0, m.index)].length + 1;
  return new CellError(
    'invalid_character',
    `${column} ${quote(text)} contains ${codePoint(cp)} ${name} at position ${at}, which Alma's XML cannot hold; ` +
      `remove it${cp === 0x0b ? ' (Word writes a manual line break so: use a plain line break)' : ''}`,
  );
}

/**
 * Alma's line numbers are whole numbers (60306 "Invoice line number is not valid"). The largest
 * it takes is not documented: up to 9 digits stays inside a 32-bit integer (inferred). Written
 * plainly — no sign, no leading zero, no decimal point or exponent — so that the number we journal
 * and match is the number Alma shows.
 */
const LINE_NUMBER = /^[1-9]\d{0,8}$/;
export const MAX_LINE_NUMBER = 999_999_999;

export function lineNumberError(text: string): CellError | undefined {
  if (LINE_NUMBER.test(text)) return undefined;
  const plain = /^\d+$/.test(text);
  const why =
    plain && /^0+$/.test(text)
      ? 'must be 1 or more'
      : plain && text.startsWith('0')
        ? `must be written without leading zeros (${quote(text.replace(/^0+/, ''))})`
        : plain
          ? `is larger than ${MAX_LINE_NUMBER.toLocaleString('en-US')}`
          : 'must be a whole number from 1 up, written with digits only (no sign, decimal point, exponent or letters)';
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return new CellError('invalid_line_number', `line_number ${quote(shown)} ${why}`);
}

/**
 * XSD-LINE types a line's `quantity` as `int`, and XML Schema's `int` stops at 2,147,483,647
 * (docs/alma.md#values-alma-can-store): a larger quantity cannot be stored.
 */
export const MAX_QUANTITY = 2_147_483_647;

/**
 * Alma keeps amounts as double-precision numbers, so an amount comes back exactly as sent only
 * when it has at most 15 significant digits (any decimal of 15 digits survives a round trip
 * through a double). Amounts below 10^12 with their currency's decimals always do.
 */
export const MAX_AMOUNT_INTEGER_DIGITS = 12;
export const MAX_AMOUNT_DIGITS = 15;

/** For a canonical decimal text (`-12.5`, `0.05`, no exponent): undefined when a double keeps it exactly. */
export function amountDigitsError(column: string, canonical: string, original: string): CellError | undefined {
  const t = canonical.charCodeAt(0) === 45 ? canonical.slice(1) : canonical;
  const dot = t.indexOf('.');
  const whole = (dot === -1 ? t : t.slice(0, dot)).replace(/^0+/, '');
  const decimals = dot === -1 ? '' : t.slice(dot + 1);
  if (whole.length > MAX_AMOUNT_INTEGER_DIGITS) {
    return new CellError('amount_out_of_range', `${column} ${quote(original)} is too large: at most ${MAX_AMOUNT_INTEGER_DIGITS} digits before the decimal point (below 1,000,000,000,000)`);
  }
  const significant = (whole + decimals).replace(/^0+/, '').length;
  if (significant > MAX_AMOUNT_DIGITS) {
    return new CellError(
      'amount_out_of_range',
      `${column} ${quote(original)} has ${significant} significant digits; Alma stores amounts as binary floating point, which keeps at most ${MAX_AMOUNT_DIGITS} exactly`,
    );
  }
  return undefined;
}
