import { describe, expect, it } from 'vitest';
import { parseCell } from '../../src/domain/cells.js';
import { amountDigitsError, keyError, lineNumberError, lookAlike, textError, visibleName } from '../../src/domain/values.js';

describe('line numbers: positive whole numbers in Alma range, written plainly', () => {
  it.each(['1', '2', '10', '999999999'])('%s is accepted', (t) => expect(lineNumberError(t)).toBeUndefined());
  it.each([
    ['1.0', 'digits only'],
    ['01', 'without leading zeros ("1")'],
    ['0', 'must be 1 or more'],
    ['-1', 'digits only'],
    ['+1', 'digits only'],
    ['1e3', 'digits only'],
    ['99999999999999999999999', 'larger than 999,999,999'],
    ['1000000000', 'larger than 999,999,999'],
    ['x/../../y', 'digits only'],
    ['١', 'digits only'], // an Arabic-Indic one
  ])('%s is refused (%s)', (t, why) => {
    const e = lineNumberError(t);
    expect(e?.code).toBe('invalid_line_number');
    expect(e?.message).toContain(why);
  });
});

describe('key values: nothing invisible, nothing too long', () => {
  it.each(['INV-3', 'G 24131', 'Müller & Söhne', 'BW/77120', '請求書-7', 'x'.repeat(255)])('%j is accepted', (t) =>
    expect(keyError('invoice_number', t)).toBeUndefined(),
  );
  it.each([
    ['INV-\u200b3', 'U+200B ZERO WIDTH SPACE at position 5'],
    ['INV-3\u202e', 'U+202E RIGHT-TO-LEFT OVERRIDE at position 6'],
    ['\ufeffINV-3', 'U+FEFF'],
    ['INV\u00003', 'U+0000 NUL at position 4'],
    ['INV\t3', 'U+0009 TAB'],
    ['INV\u00a03', 'U+00A0 NO-BREAK SPACE'],
    ['INV\u30003', 'U+3000 IDEOGRAPHIC SPACE'],
    ['INV-\ud8003', 'U+D800 half of a surrogate pair'],
    ['IN\u00adV', 'U+00AD SOFT HYPHEN'],
    ['A\u3164B', 'U+3164'],
    ['INV-\ufffd', 'U+FFFD REPLACEMENT CHARACTER'],
    ['A\ue000B', 'U+E000'],
  ])('%j is refused: %s', (t, named) => {
    const e = keyError('invoice_number', t);
    expect(e?.code).toBe('invalid_character');
    expect(e?.message).toContain(named);
  });
  // A file that passed through a spreadsheet: identifiers it damaged are refused, not loaded.
  it.each([
    ['#N/A', 'cell_error'],
    ['#VALUE!', 'cell_error'],
    ['#ref!', 'cell_error'],
    ['#DIV/0!', 'cell_error'],
    ['#NAME?', 'cell_error'],
    ['1.23457E+15', 'number_precision'],
    ['9.78031E+12', 'number_precision'],
    ['1E+15', 'number_precision'],
    ['-1.5e-7', 'number_precision'],
  ])('%j, as a spreadsheet leaves it, is refused (%s)', (t, code) => {
    const e = keyError('po_line', t);
    expect(e?.code).toBe(code);
    expect(e?.message).toMatch(/^po_line ".+" is a /);
  });
  it('a key in decomposed form ("e" and a combining accent) is refused: it looks like the composed one and is another value', () => {
    const e = keyError('invoice_number', 'G-2411e\u0301');
    expect(e?.code).toBe('invalid_character');
    expect(e?.message).toBe('invoice_number "G-2411e\u0301" is written with a combining character at position 8 (U+0301); it looks like "G-2411\u00e9" but is another value; type it again, or save the file with composed characters (NFC)');
    expect(keyError('invoice_number', 'G-2411\u00e9')).toBeUndefined();
    expect(keyError('vendor', 'Mu\u0308ller')?.message).toMatch(/position 3 \(U\+0308\)/);
    expect(keyError('vendor', '請求書-7')).toBeUndefined();
  });
  it.each(['#123', '#N/A-2', 'E-1', 'INV-1E+15', '12E4', '1.2E', 'EBSCO', 'ATE+15'])('%j is an identifier like any other', (t) =>
    expect(keyError('invoice_number', t)).toBeUndefined(),
  );
  it.each([
    ['invoice_number', 'inside an invoice_number)'],
    ['vendor', 'inside a vendor)'],
  ])('the message reads as English for %s', (column, end) => {
    expect(keyError(column, 'A\u200bB')?.message).toMatch(new RegExp(`${end.replace(')', '\\)')}$`));
  });
  // Printable ASCII skips the regex: every ASCII character inside a key is judged as the regex
  // judges it (controls and DEL refused, the plain space and the rest accepted).
  it('judges each ASCII character as the invisible-character rule does', () => {
    for (let c = 0; c < 0x80; c++) {
      const e = keyError('fund_code', `A${String.fromCharCode(c)}B`);
      expect(e?.code, `U+${c.toString(16)}`).toBe(c < 0x20 || c === 0x7f ? 'invalid_character' : undefined);
    }
  });
  it.each([
    ['G\u041eBI', 'vendor "GОBI" mixes Latin letters with "О" (U+041E) at position 2, a letter of another script'],
    ['INV-2025-Harr\u0430s', '"а" (U+0430) at position 14'],
    ['\u0420OL-1002', '"Р" (U+0420) at position 1'],
    ['ΑBC', '"Α" (U+0391)'],
  ])('%j, Latin with a look-alike of another script, is refused', (t, message) => {
    const e = keyError('vendor', t);
    expect(e?.code).toBe('invalid_character');
    expect(e?.message).toContain(message);
  });
  it.each(['ГОБИ', 'ΑΘΗΝΑ-2025', 'Счёт-17', 'RU-Счёт-17', 'INV-Ω1', 'Müller', 'Żabka-3', 'INV-Д7', 'EL-Αθήνα', 'Kırtasiye', 'DOĞAN-Kitapçılık'])('%j, one script or letters no Latin one resembles, is accepted', (t) =>
    expect(keyError('vendor', t)).toBeUndefined(),
  );
  it('a 256-character value is too long', () => {
    expect(keyError('vendor', 'v'.repeat(256))?.message).toBe('vendor is 256 characters long; at most 255 are accepted');
  });
});

describe('a header name that only looks like a column (lookAlike)', () => {
  const canonical = (n: string) => (['price', 'vendor', 'invoice_number', 'po_line'].includes(n) ? n : undefined);
  it.each([
    ['price\u200b', 'price', 'the invisible U+200B ZERO WIDTH SPACE'],
    ['prіce', 'price', '"і" (U+0456)'],
    ['vеndоr', 'vendor', '"е" (U+0435), "о" (U+043E)'],
    ['ρο_line', 'po_line', '"ρ" (U+03C1), "ο" (U+03BF)'],
    ['ｐｒｉｃｅ', 'price', '"ｐ" (U+FF50), "ｒ" (U+FF52), "ｉ" (U+FF49) and 2 more'],
    ['\u00adprice', 'price', 'the invisible U+00AD SOFT HYPHEN'],
  ])('%j looks like %s: %s', (name, column, differs) => expect(lookAlike(name, canonical)).toEqual({ column, differs }));
  it.each(['price', 'colour', 'prix', 'цена', 'pricé'])('%j does not', (name) => expect(lookAlike(name, canonical)).toBeUndefined());
});

describe('free text: only what XML can carry', () => {
  // Tabs and line breaks are a note's own; emoji are pairs, not lone halves.
  it.each(['Two copies', 'line one\nline two\r\nthree', 'a\tb', 'Müller – 請求書 😀', '\u00a0no-break', '\u200bzero width', 'x\u007fy'])('%j is accepted', (t) =>
    expect(textError('line_note', t)).toBeUndefined(),
  );
  it.each([
    ['a\u0007b', 'U+0007 a control character at position 2'],
    ['a\u0000b', 'U+0000 NUL at position 2'],
    ['first\u000bsecond', 'U+000B VERTICAL TAB at position 6, which Alma\'s XML cannot hold; remove it (Word writes a manual line break so: use a plain line break)'],
    ['page\u000c', 'U+000C FORM FEED'],
    ['\u001b[31mred', 'U+001B a control character at position 1'],
    ['😀\ud800', 'U+D800 half of a surrogate pair, not a character at position 2'],
    ['\udc00x', 'U+DC00 half of a surrogate pair'],
    ['x\uffff', 'U+FFFF a noncharacter'],
    ['x\ufffe', 'U+FFFE a noncharacter'],
  ])('%j is refused: %s', (t, named) => {
    const e = textError('line_note', t);
    expect(e?.code).toBe('invalid_character');
    expect(e?.message).toContain(named);
  });
  it('every ASCII control but tab, line feed and carriage return is refused', () => {
    for (let c = 0; c < 0x20; c++) expect(textError('invoice_note', `A${String.fromCharCode(c)}B`)?.code, `U+${c.toString(16)}`).toBe([9, 10, 13].includes(c) ? undefined : 'invalid_character');
  });
  it('a note cell is refused through its codec, with the column named', () => {
    expect(parseCell('line_note', 'a\u000bb')).toMatchObject({ code: 'invalid_character', message: expect.stringMatching(/^line_note "a\\u000bb" contains U\+000B/) });
    expect(parseCell('reference_number', 'R\u0001')).toMatchObject({ code: 'invalid_character' });
    expect(parseCell('invoice_note', 'fine\nnote')).toBe('fine\nnote');
  });
});

describe('amounts a double keeps exactly', () => {
  it.each(['0', '0.01', '999999999999.99', '-999999999999.999', '123456789012.345', '0.000000000000001'])('%s is accepted', (t) =>
    expect(parseCell('total_amount', t)).not.toHaveProperty('code'),
  );
  it.each([
    ['12345678901234567.89', 'too large'],
    ['1000000000000', 'too large'],
    ['1234567890.1234567', '17 significant digits'],
    // the first length a double loses: Number('999999999999.9997') is 999999999999.9998
    ['999999999999.9997', '16 significant digits'],
    ['0.1000000000000000055511151231257827', 'significant digits'],
  ])('%s is refused (%s)', (t, why) => {
    const e = parseCell('total_amount', t) as { code: string; message: string };
    expect(e.code).toBe('amount_out_of_range');
    expect(e.message).toContain(why);
  });
  it('the same bound holds for percentages', () => {
    expect((parseCell('fund_percent', '33.33333333333333333') as { code: string }).code).toBe('amount_out_of_range');
    expect(parseCell('fund_percent', '33.3333333333333')).toBe('33.3333333333333');
  });
  it('counts digits of the canonical text', () => {
    expect(amountDigitsError('price', '-0.5', '-0.50')).toBeUndefined();
  });
});

describe('visibleName: a header name with what cannot be seen written out', () => {
  it.each([
    ['invoice_number', 'invoice_number'],
    ['Rechnungsbetrag (€)', 'Rechnungsbetrag (€)'],
    ['invoice_number\u200b', 'invoice_number<U+200B ZERO WIDTH SPACE>'],
    ['\ufeffvendor', '<U+FEFF ZERO WIDTH NO-BREAK SPACE>vendor'],
    ['po\u00a0line', 'po<U+00A0 NO-BREAK SPACE>line'],
    ['fund\u2064code', 'fund<U+2064>code'],
  ])('%j is shown as %j', (name, shown) => expect(visibleName(name)).toBe(shown));
});

describe('key values past the length limit are refused before anything slower is asked of them', () => {
  // The position of a combining character is found by normalizing each prefix: at a cell's
  // 100,000 characters that took minutes (this test then runs past vitest's time limit).
  it('a 100,000-character key in decomposed form is too_long', () => {
    expect(keyError('invoice_number', 'é'.repeat(100_000) + 'e\u0301')?.code).toBe('too_long');
  });
});

describe('a long value in a message is cut, its length said', () => {
  it('a 40,000-digit amount gives a message of a line, not 40,000 characters', () => {
    const e = parseCell('price', '9'.repeat(40_000)) as { code: string; message: string };
    expect(e.code).toBe('amount_out_of_range');
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toContain(`"${'9'.repeat(80)}"… (40,000 characters)`);
  });

  it('a short value is quoted whole; the cut never splits a character in two', () => {
    expect((parseCell('price', '12.345x') as { message: string }).message).toContain('"12.345x"');
    const e = textError('line_note', `${'a'.repeat(79)}😀${'b'.repeat(100)}\u0001`);
    expect(e?.message).toContain(`"${'a'.repeat(79)}"… (182 characters)`);
  });
});
