/** `mapping init`: what it sniffs and guesses from a sample, and that the result loads. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initProfile, guessDates, guessNumbers } from '../../src/input/mapping/init.js';
import { loadMappingProfile } from '../../src/input/mapping/profile.js';
import { readMapped } from './helpers.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/mappings/${name}`, import.meta.url)));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The profile as `mapping init` writes it, loaded back: it must always be valid as written. */
function written(name: string, bytes: Uint8Array): { raw: Obj; text: string } {
  const raw = initProfile(name, bytes, true).profile as Obj;
  const text = JSON.stringify(raw, null, 2);
  const r = loadMappingProfile(text, name);
  expect('problems' in r ? r.problems : []).toEqual([]);
  return { raw, text };
}

describe('mapping init on the shipped samples', () => {
  it('European export: windows-1252, semicolons, decimal comma, DD.MM.YYYY, German headers', () => {
    const { raw } = written('harrassowitz-de.csv', fixture('harrassowitz-de.csv'));
    expect(raw.encoding).toBe('windows-1252');
    expect(raw._guess_encoding).toMatch(/not UTF-8 \(near line 1\)/);
    expect(raw.csv).toMatchObject({ delimiter: ';', skip_lines: 0 });
    expect(raw.numbers).toMatchObject({ decimal: ',', thousands: '.' });
    expect(raw.dates.format).toBe('DD.MM.YYYY');
    expect(raw.columns).toMatchObject({
      'Rechnungsnr.': 'invoice_number',
      'Fällig am': 'invoice_due_date',
      'Rechnungsbetrag (€)': 'total_amount',
      Etat: 'fund_code',
      'Anteil %': 'fund_percent',
      'Bezugszeitraum bis': 'subscription_to_date',
    });
    expect(raw.columns._guess.Etat).toMatch(/^guess: fund_code/);
    expect(raw.ignore).toEqual(['Titel']);
    expect(raw._todo.join(' ')).toMatch(/no vendor column/);
    expect(raw.values.fund_code._todo).toMatch(/Chemie, Geschichte, Allgemeine Monographien/);
  });

  it('US export: finds the header under the title block, 1,234.56 and MM/DD/YYYY', () => {
    const { raw } = written('ebsco-us.csv', fixture('ebsco-us.csv'));
    expect(raw.encoding).toBeUndefined();
    expect(raw.csv).toMatchObject({ delimiter: ',', skip_lines: 4 });
    expect(raw.csv._guess).toMatch(/header \(18 fields\) is on line 5/);
    expect(raw.numbers).toMatchObject({ decimal: '.', thousands: ',' });
    expect(raw.dates.format).toBe('MM/DD/YYYY');
    expect(raw.columns).toMatchObject({ 'Invoice #': 'invoice_number', 'Order #': 'po_line', 'Unit Price': 'price', 'Fund %': 'fund_percent', 'Service Charge': 'overhead' });
  });

  it('nested portal JSON: the deepest chain of lists is the rows, keys guessed per level', () => {
    const { raw } = written('gobi-portal.export.json', fixture('gobi-portal.export.json'));
    expect(raw.json.rows).toBe('invoices[*].items[*].allocations[*]');
    expect(raw.json.columns).toMatchObject({
      vendor: 'exportInfo.vendorCode',
      invoice_number: 'invoices[*].invoiceId',
      total_amount: 'invoices[*].amounts.grandTotal',
      vendor_account: 'invoices[*].billingAccount.code',
      price: 'invoices[*].items[*].unitPrice',
      quantity: 'invoices[*].items[*].copies',
      fund_code: 'invoices[*].items[*].allocations[*].fundName',
      fund_percent: 'invoices[*].items[*].allocations[*].percent',
    });
    expect(raw.json._unmapped).toContain('invoices[*].items[*].product.isbn');
    expect(raw.dates.format).toBe('YYYY-MM-DD');
  });

  it('the US guess, with the constants and fund map a person adds, reads the sample exactly as the shipped profile does', async () => {
    const { raw } = written('ebsco-us.csv', fixture('ebsco-us.csv'));
    const shipped = JSON.parse(readFileSync(new URL('../../fixtures/mappings/ebsco-us.json', import.meta.url), 'utf8')) as Obj;
    const edited = { ...raw, constants: shipped.constants, values: shipped.values };
    const a = loadMappingProfile(JSON.stringify(edited), 'guess.json');
    const b = loadMappingProfile(JSON.stringify(shipped), 'shipped.json');
    if (!('profile' in a) || !('profile' in b)) throw new Error('profiles must load');
    const got = await readMapped('ebsco-us.csv', fixture('ebsco-us.csv'), a.profile);
    const want = await readMapped('ebsco-us.csv', fixture('ebsco-us.csv'), b.profile);
    expect(got.records).toEqual(want.records);
    expect(got.records).toHaveLength(4);
  });
});

describe('what the sample cannot tell is left "auto", with a note', () => {
  it('dates whose day and month are all up to 12 are not guessed', () => {
    const { raw } = written('x.csv', utf8('Invoice No,Date,Total\nA,03/04/2025,1.50\nB,01/02/2025,2.00\n'));
    expect(raw.dates.format).toBe('auto');
    expect(raw.dates._guess).toMatch(/DD\/MM\/YYYY and MM\/DD\/YYYY both fit/);
  });

  it('a title block with commas in it is still found, and a ",,,," spacer is not the header', () => {
    const { raw } = written('x.csv', utf8('Report, page 1\n,,,\n\nInvoice No,Date,Total,Fund\nA,2025-01-02,1.50,X\n'));
    expect(raw.csv.skip_lines).toBe(3);
    expect(raw.columns).toMatchObject({ 'Invoice No': 'invoice_number', Date: 'invoice_date', Total: 'total_amount', Fund: 'fund_code' });
  });

  it('a PDF is refused with what it is, not guessed at', () => {
    expect(() => initProfile('inv.pdf', Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0xe2]), true)).toThrow(/^inv\.pdf: this is a PDF document/);
  });

  it("Excel's sep= first line names the delimiter and is no title block (the reader skips it)", () => {
    const { raw } = written('x.csv', utf8('sep=;\nInvoice No;Date;Total;Note\nA;2025-01-02;1,50;a, b, c, d, e\n'));
    expect(raw.csv).toMatchObject({ delimiter: ';', skip_lines: 0 });
    expect(raw.csv._guess).toMatch(/first line \(sep=;\) names it/);
    expect(raw.columns).toMatchObject({ 'Invoice No': 'invoice_number', Date: 'invoice_date', Total: 'total_amount' });
  });

  it('a semicolon file with a comma on every line (in a column\'s name and values) is read by its semicolons', () => {
    const { raw } = written('x.csv', utf8('Invoice No;Date;Total;Title, Author\nA;2025-01-02;1.50;Nature, Smith\nB;2025-01-03;2.50;Science, Jones\n'));
    expect(raw.csv).toMatchObject({ delimiter: ';', skip_lines: 0 });
    expect(raw.columns).toMatchObject({ 'Invoice No': 'invoice_number', Date: 'invoice_date', Total: 'total_amount' });
  });

  it('currencies written as signs or names get a value map: the unambiguous ones filled, "$" left to do', () => {
    const euro = written('x.csv', utf8('Invoice No;Date;Total;Währung\nA;02.01.2025;1,50;€\nB;03.01.2025;2,50;EUR\nC;03.01.2025;2,50;Euro\n')).raw;
    expect(euro.values.currency).toMatchObject({ map: { '€': 'EUR', Euro: 'EUR' }, unmapped: 'keep' });
    expect(euro.values.currency._todo).toMatch(/signs or names \(€, Euro\): mapped to their ISO 4217 codes here; check them/);
    const dollar = written('x.csv', utf8('Invoice No,Date,Total,Currency\nA,2025-01-02,1.50,$\n')).raw;
    expect(dollar.values.currency).toMatchObject({ map: {} });
    expect(dollar.values.currency._todo).toMatch(/as "\$", not as ISO 4217 codes: map each/);
    // ISO codes alone: no map.
    expect(written('x.csv', utf8('Invoice No,Date,Total,Currency\nA,2025-01-02,1.50,USD\n')).raw.values?.currency).toBeUndefined();
  });

  it('an unrecognised header is ignored with a note; a second header for a taken column too', () => {
    const { raw } = written('x.csv', utf8('Invoice,Rechnungsnummer,Colour\nA,B,red\n'));
    expect(raw.columns).toMatchObject({ Invoice: 'invoice_number' });
    expect(raw.ignore).toEqual(['Rechnungsnummer', 'Colour']);
    expect(raw.columns._guess.Rechnungsnummer).toMatch(/also looks like invoice_number, which "Invoice" is mapped to/);
    expect(raw.columns._guess.Colour).toMatch(/no canonical column recognised/);
  });

  it('plain UTF-8 is not flagged; UTF-16 with a BOM is named', () => {
    expect(written('x.csv', utf8('Invoice,Total\nA,1\n')).raw.encoding).toBeUndefined();
    const u16 = new Uint8Array([0xff, 0xfe, ...[...'Invoice\tTotal\nA\t1\n'].flatMap((c) => [c.charCodeAt(0), 0])]);
    const { raw } = written('x.txt', u16);
    expect(raw.encoding).toBe('utf-16le');
    expect(raw.csv.delimiter).toBe('\t');
  });

  it('an empty file is refused', () => {
    expect(() => initProfile('x.csv', utf8('\n\n'), true)).toThrow(/empty/);
  });
});

describe('style sniffers', () => {
  it.each([
    [['1.234,56', '12,50'], { decimal: ',', thousands: '.' }],
    [['1,234.56', '12.50'], { decimal: '.', thousands: ',' }],
    [['12,50', '3,00'], { decimal: ',', thousands: '.' }],
    [['1 234,56'], { decimal: ',', thousands: ' ' }],
    [["1'234.50"], { decimal: '.', thousands: "'" }],
    [['1,234', '5'], { decimal: 'auto' }],
    [['1.234,56', '1,234.56'], { decimal: 'auto' }],
  ])('%j → %j', (values, expected) => {
    expect(guessNumbers(values).section).toMatchObject(expected);
  });

  it.each([
    [['14.03.2025', '01.02.2025'], 'DD.MM.YYYY'],
    [['01.02.2025'], 'DD.MM.YYYY'],
    [['3/14/2025', '12/1/2025'], 'M/D/YYYY'],
    [['14/03/2025'], 'DD/MM/YYYY'],
    [['2025-03-14'], 'YYYY-MM-DD'],
    [['14/03/25'], 'DD/MM/YY'],
    [['03/04/2025'], 'auto'],
    [['14/03/2025', '03/14/2025'], 'auto'],
  ])('%j → %s', (values, expected) => {
    expect(guessDates(values).section.format).toBe(expected);
  });
});

describe('mapping init on other JSON shapes', () => {
  it('a list of flat objects gets a columns mapping; nested keys are ignored, and the result reads the file', async () => {
    const bytes = utf8('[{"InvoiceNo": "A-1", "InvoiceDate": "14.03.2025", "Total": "1.234,50", "Supplier": "V", "tags": ["x"]},\n {"InvoiceNo": "A-2", "InvoiceDate": "01.04.2025", "Total": "10,00", "Supplier": "V", "tags": []}]');
    const { raw, text } = written('flat.json', bytes);
    expect(raw.json).toBeUndefined();
    expect(raw.columns).toMatchObject({ InvoiceNo: 'invoice_number', InvoiceDate: 'invoice_date', Total: 'total_amount', Supplier: 'vendor' });
    expect(raw.ignore).toEqual(['tags']);
    expect(raw.numbers).toMatchObject({ decimal: ',', thousands: '.' });
    const r = loadMappingProfile(text, 'flat.json');
    if (!('profile' in r)) throw new Error('must load');
    const got = await readMapped('flat.json', bytes, r.profile);
    expect(got.records.map((x) => [x.source.row, x.fields])).toEqual([
      [1, { invoice_number: 'A-1', invoice_date: '2025-03-14', total_amount: '1234.50', vendor: 'V' }],
      [2, { invoice_number: 'A-2', invoice_date: '2025-04-01', total_amount: '10.00', vendor: 'V' }],
    ]);
    expect(got.records.every((x) => x.problems === undefined)).toBe(true);
  });

  it.each(['\n', '\r'])('JSON Lines of nested invoices (lines ending %j): the row path starts inside each line', (eol) => {
    const { raw } = written('n.jsonl', utf8(`{"invoiceNumber":"A","vendor":"V","lines":[{"price":"12.50","fund":"F"}]}${eol}{"invoiceNumber":"B","vendor":"V","lines":[]}${eol}`));
    expect(raw.json.rows).toBe('lines[*]');
    expect(raw.json.columns).toMatchObject({ invoice_number: 'invoiceNumber', vendor: 'vendor', price: 'lines[*].price', fund_code: 'lines[*].fund' });
  });
});

describe('mapping init refuses what the load refuses', () => {
  const csv = 'invoice_number,vendor,price\nG-1,GOBI,10.00\n';
  it.each([
    ['NUL bytes', new Uint8Array(600_000), /^z\.csv: the file is full of NUL bytes: it is not a text file/],
    ['UTF-16BE without a byte-order mark', Uint8Array.from([...csv].flatMap((c) => [0, c.charCodeAt(0)])), /^z\.csv: every other character is NUL: the file looks like UTF-16BE/],
    ['UTF-16BE with its byte-order mark', Uint8Array.from([0xfe, 0xff, ...[...csv].flatMap((c) => [0, c.charCodeAt(0)])]), /^z\.csv: the file starts with a UTF-16BE byte-order mark/],
    ['UTF-32LE', Uint8Array.from([0xff, 0xfe, 0, 0, ...[...csv].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])]), /^z\.csv: the file starts with a UTF-32LE byte-order mark/],
    ['a byte windows-1252 has no character for', Uint8Array.from([...utf8(csv), 0xe9, 0x81, 0x0a]), /^z\.csv: the file is not UTF-8 \(near line 3\), and byte 0x81 on line 3 is not a windows-1252 character/],
  ])('%s', (_name, bytes, message) => {
    expect(() => initProfile('z.csv', bytes, true)).toThrow(message);
  });

  it('lists at most 20 ignored columns in the summary, the rest counted; the profile keeps them all', () => {
    const header = ['invoice_number', 'vendor', ...Array.from({ length: 500 }, (_, i) => `c${i}`)];
    const r = initProfile('w.csv', utf8(`${header.join(',')}\n${header.map(() => 'x').join(',')}\n`), true);
    const line = r.summary.find((l) => l.startsWith('columns:'))!;
    expect(line).toBe(`columns: 2 of 502 mapped by name, ignored: ${Array.from({ length: 20 }, (_, i) => `c${i}`).join(', ')}, … and 480 more`);
    expect((r.profile as Obj).ignore ?? Object.keys((r.profile as Obj).columns._guess)).toHaveLength(500);
  });
});
