/**
 * A profile applied in the input layer: renames, ignores, value maps, constants and defaults,
 * dialects, preamble lines, JSON paths. Every problem keeps the file's own row and the
 * canonical column, and names the vendor's column.
 */
import { describe, expect, it } from 'vitest';
import { groupMapped, profileOf, readMapped } from './helpers.js';

const HEADER = 'Rechnungsnr.;Datum;Betrag;Etat;Preis;Menge';

describe('renames and ignored columns', () => {
  it('maps vendor headers ignoring case, spaces and underscores; canonical names pass as they are', async () => {
    const p = profileOf({ columns: { 'Rechnungsnr.': 'invoice_number', 'INVOICE date': 'invoice_date' } });
    const r = await readMapped('a.csv', 'rechnungsnr.,Invoice_Date , VENDOR ,Total Amount\nR-1,2025-03-14,HARRAS,10.00\n', p);
    expect(r.records[0]!.fields).toEqual({ invoice_number: 'R-1', invoice_date: '2025-03-14', vendor: 'HARRAS', total_amount: '10.00' });
  });

  it('ignored columns are dropped without an unknown-column warning; other unknown ones still warn', async () => {
    const p = profileOf({ columns: { Nr: 'invoice_number' }, ignore: ['Titel'], constants: { vendor: 'V' } });
    const g = await groupMapped('a.csv', 'Nr,Titel,ISBN,invoice_date,total_amount\nR-1,Faust,978,2025-03-14,0\n', p);
    expect(g.records[0]!.fields).not.toHaveProperty('titel');
    const unknown = g.problems.filter((x) => x.code === 'unknown_columns');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.message).toContain('isbn');
    expect(unknown[0]!.message).not.toContain('titel');
  });

  it('two vendor columns that map to one canonical column are an error naming both', async () => {
    const p = profileOf({ columns: { Betrag: 'total_amount', Summe: 'total_amount' } });
    const r = await readMapped('a.csv', 'Betrag,Summe\n1,2\n3,4\n', p);
    expect(r.problems.filter((x) => x.code === 'duplicate_column')).toEqual([
      expect.objectContaining({ row: 2, column: 'total_amount', severity: 'error', message: expect.stringMatching(/"Betrag" and "Summe" both map to total_amount/) }),
    ]);
    expect(r.records[0]!.fields.total_amount).toBe('1');
  });

  it('a mapped column missing from the header is an error for the file; a header with none of them mapping_mismatch', async () => {
    const p = profileOf({ columns: { Nr: 'invoice_number', Versand: 'price' } });
    const some = await readMapped('a.csv', 'Nr,vendor\nR-1,V\n', p);
    expect(some.problems).toEqual([
      expect.objectContaining({ code: 'mapped_column_missing', severity: 'error', column: 'price', message: expect.stringMatching(/"Versand" to price, but the file has no such column.*correct the column's name in the profile/) }),
    ]);
    const none = await readMapped('b.csv', 'Nr;vendor\nR-1;V\n', profileOf({ csv: { delimiter: ',' }, columns: { Nr: 'invoice_number', Versand: 'shipment' } }));
    expect(none.problems).toEqual([expect.objectContaining({ code: 'mapping_mismatch', severity: 'error', message: expect.stringMatching(/none of the columns .* "nr;vendor".*csv\.delimiter/) })]);
  });
});

describe('a mapped column the file lacks', () => {
  const p = profileOf({ columns: { Nr: 'invoice_number', Etat: 'fund_code', Kostenstelle: 'fund_code', Preis: 'price', 'Preis netto': 'price' }, constants: { vendor: 'V' } });

  it('one of several names for a canonical column satisfies it, without a warning', async () => {
    const r = await readMapped('a.csv', 'Nr,Kostenstelle,Preis netto\nR-1,F,1\n', p);
    expect(r.problems).toEqual([]);
    expect(r.records[0]!.fields).toMatchObject({ fund_code: 'F', price: '1' });
  });

  it('none of its names in the header: one error for the file naming every name and what to do', async () => {
    const r = await readMapped('a.csv', 'Nr,Kostenstelle,Netto\nR-1,F,1\n', p);
    expect(r.problems).toEqual([
      expect.objectContaining({ code: 'mapped_column_missing', severity: 'error', column: 'price', message: expect.stringMatching(/"Preis" or "Preis netto" to price, but the file has no such column.*correct the column's name in the profile "vendor.json"/) }),
    ]);
  });

  it('flat vendor JSON: a mapped key in no record is the same error, after the last record; one record having it is enough', async () => {
    const q = profileOf({ columns: { Nr: 'invoice_number', Etat: 'fund_code', Anteil: 'fund_percent' }, constants: { vendor: 'V' } });
    const missing = await readMapped('v.json', '[{"Nr": "R-1", "Etat": "F", "Share": 50}, {"Nr": "R-1", "Etat": "G", "Share": 50}]', q);
    expect(missing.problems.map((x) => [x.code, x.severity, x.column])).toEqual([['mapped_column_missing', 'error', 'fund_percent']]);
    const once = await readMapped('v.json', '[{"Nr": "R-1", "Etat": "F"}, {"Nr": "R-1", "Etat": "G", "Anteil": 50}]', q);
    expect(once.problems).toEqual([]);
  });

  it('nested JSON: a json.columns path that matches nothing anywhere is the same error; a null there is a match', async () => {
    const q = profileOf({ json: { rows: 'invoices[*].items[*]', columns: { vendor: 'vendor', invoice_number: 'invoices[*].no', fund_code: 'invoices[*].items[*].fund', price: 'invoices[*].items[*].price' } } });
    const renamed = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1", "items": [{"fundLabel": "F", "price": null}]}]}', q);
    expect(renamed.problems).toEqual([
      expect.objectContaining({ code: 'mapped_column_missing', severity: 'error', column: 'fund_code', message: expect.stringMatching(/path "invoices\[\*\]\.items\[\*\]\.fund" for fund_code \(json.columns\) matches nothing in this file.*correct the path/) }),
    ]);
  });
});

describe('a mapped column missing: an error only where money or funds would change silently', () => {
  it('flat JSON leaving out keys no record has (memo, discount): warnings, "an invoice_note"; price or fund_code: errors', async () => {
    const q = profileOf({ columns: { Nr: 'invoice_number', Memo: 'invoice_note', Discount: 'discount', Preis: 'price', Etat: 'fund_code' }, constants: { vendor: 'V' } });
    const r = await readMapped('v.json', '[{"Nr": "R-1"}]', q);
    expect(r.problems.map((x) => [x.column, x.severity])).toEqual([['invoice_note', 'warning'], ['discount', 'warning'], ['price', 'error'], ['fund_code', 'error']]);
    expect(r.problems[0]!.message).toMatch(/so no row would have an invoice_note; if the file renamed it, correct/);
  });

  it('a column with a profile default is said missing all the same, naming the default that would stand in for every row (a renamed fund column must not load the default), in CSV and nested JSON', async () => {
    const q = profileOf({ columns: { Nr: 'invoice_number', Supplier: 'vendor', PayBy: 'payment_method', Etat: 'fund_code' }, defaults: { payment_method: 'BANKTRANSFER', fund_code: 'F' } });
    const r = await readMapped('v.csv', 'Nr,Supplier\nR-1,V\n', q);
    expect(r.problems.map((x) => [x.code, x.column, x.severity])).toEqual([['mapped_column_missing', 'payment_method', 'warning'], ['mapped_column_missing', 'fund_code', 'error']]);
    expect(r.problems[0]!.message).toMatch(/so every row would have the profile's default "BANKTRANSFER" for payment_method; if the file renamed it/);
    expect(r.problems[1]!.message).toMatch(/so every row would have the profile's default "F" for fund_code; correct the column's name/);
    const j = profileOf({ json: { rows: 'invoices[*]', columns: { vendor: 'vendor', invoice_number: 'invoices[*].no', payment_method: 'invoices[*].pay', invoice_note: 'invoices[*].memo' } }, defaults: { payment_method: 'BANKTRANSFER' } });
    const s = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1"}]}', j);
    expect(s.problems.map((x) => [x.code, x.column, x.severity])).toEqual([['mapped_column_missing', 'payment_method', 'warning'], ['mapped_column_missing', 'invoice_note', 'warning']]);
  });
});

describe('nested JSON: a list empty everywhere is no missing column (README json.rows)', () => {
  const q = profileOf({ json: { rows: 'invoices[*].items[*].allocations[*]', columns: { vendor: 'vendor', invoice_number: 'invoices[*].no', price: 'invoices[*].items[*].price', fund_code: 'invoices[*].items[*].allocations[*].fund', fund_percent: 'invoices[*].items[*].allocations[*].pct' } } });

  it('every item without allocations, or every invoice without items: no mapped_column_missing', async () => {
    const noAlloc = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1", "items": [{"price": "1.00", "allocations": []}]}, {"no": "A-2", "items": [{"price": "2.00", "allocations": []}]}]}', q);
    expect(noAlloc.problems.filter((x) => x.code === 'mapped_column_missing')).toEqual([]);
    const noItems = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1", "items": []}]}', q);
    expect(noItems.problems.filter((x) => x.code === 'mapped_column_missing')).toEqual([]);
  });

  it('allocations that exist and none with the key, or a list key absent from every item: still the error', async () => {
    const renamed = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1", "items": [{"price": "1.00", "allocations": [{"fundName": "F", "pct": 100}]}]}]}', q);
    expect(renamed.problems.map((x) => [x.code, x.column])).toEqual([['mapped_column_missing', 'fund_code']]);
    const noList = await readMapped('v.json', '{"vendor": "V", "invoices": [{"no": "A-1", "items": [{"price": "1.00", "funds": [{"fund": "F", "pct": 100}]}]}]}', q);
    expect(noList.problems.map((x) => [x.code, x.column])).toEqual([['mapped_column_missing', 'fund_code'], ['mapped_column_missing', 'fund_percent']]);
  });
});

describe("the encoding's advice names what set it", () => {
  const utf8File = new TextEncoder().encode('Nr,vendor,invoice_note\nR-1,V,Café\n');
  const win1252File = Uint8Array.from([...new TextEncoder().encode('Nr,vendor,invoice_note\nR-1,V,Caf'), 0xe9, 0x0a]);

  it('a profile\'s "encoding" wins over --encoding: the advice is to change the profile, not the option already given', async () => {
    const p = profileOf({ encoding: 'windows-1252', columns: { Nr: 'invoice_number' } }, 'harras.json');
    const r = await readMapped('a.csv', utf8File, p, { encoding: 'utf-8' });
    expect(r.problems.map((x) => x.message)).toEqual([expect.stringMatching(/is UTF-8: .*; set "encoding" to "utf-8" in the mapping profile harras\.json \(it wins over --encoding\)$/)]);
    const q = profileOf({ encoding: 'utf-8', columns: { Nr: 'invoice_number' } }, 'harras.json');
    const s = await readMapped('a.csv', win1252File, q, { encoding: 'windows-1252' });
    expect(s.problems.map((x) => x.message)).toEqual([expect.stringMatching(/not valid UTF-8; if the file was saved by Excel on Windows, set "encoding" to "windows-1252" in the mapping profile harras\.json \(it wins over --encoding\)$/)]);
  });

  it('a profile without "encoding": the option, or the profile\'s "encoding"; without a profile only the option (input/decode.test.ts)', async () => {
    const p = profileOf({ columns: { Nr: 'invoice_number' } });
    const r = await readMapped('a.csv', utf8File, p, { encoding: 'windows-1252' });
    expect(r.problems.map((x) => x.message)).toEqual([expect.stringMatching(/; run again with --encoding utf-8 \(or set the mapping profile's "encoding" to "utf-8"\)$/)]);
  });
});

describe('value maps', () => {
  const p = profileOf({
    columns: { Nr: 'invoice_number', Etat: 'fund_code', Zahlung: 'payment_method' },
    constants: { vendor: 'HARRAS' },
    values: {
      fund_code: { map: { Chemie: 'CHEM', 'Allgemeine  Monographien': 'GENMON' } },
      payment_method: { map: { Überweisung: 'BANKTRANSFER' }, unmapped: 'keep' },
    },
  });

  it.each([
    ['Chemie', 'CHEM'],
    ['  CHEMIE ', 'CHEM'],
    ['allgemeine monographien', 'GENMON'],
  ])('fund %j → %s (case and spaces do not matter)', async (vendor, code) => {
    const r = await readMapped('a.csv', `Nr,Etat\nR-1,${vendor}\n`, p);
    expect(r.records[0]!.fields.fund_code).toBe(code);
    expect(r.records[0]!.problems).toBeUndefined();
  });

  it('an unmapped value is refused on its row, naming the vendor column; the invoice is invalid, nothing else is said', async () => {
    const csv = 'Nr,Etat,Zahlung,invoice_date,total_amount,line_number,price,fund_percent\nR-1,Chemie,,2025-01-01,5.00,1,5.00,50\nR-1,Physik,,,,1,,50\n';
    const g = await groupMapped('a.csv', csv, p);
    expect(g.codes).toEqual(['unmapped_value@3:fund_code']);
    expect(g.problems[0]!.message).toBe(
      'fund_code "Physik" (vendor column "Etat") is not in the profile\'s value map for fund_code; add it to values.fund_code.map (or set "unmapped": "keep" to pass unlisted values on)',
    );
    expect(g.invoices[0]!.invoice).toBeUndefined();
  });

  it('"unmapped": "keep" passes unlisted values on', async () => {
    const r = await readMapped('a.csv', 'Nr,Zahlung\nR-1,Überweisung\nR-2,CREDITCARD\n', p);
    expect(r.records.map((x) => x.fields.payment_method)).toEqual(['BANKTRANSFER', 'CREDITCARD']);
  });
});

describe('constants and defaults', () => {
  it('a constant applies to every row and replaces a file column of that name (with one warning)', async () => {
    const p = profileOf({ constants: { vendor: 'HARRAS', currency: 'EUR' } });
    const r = await readMapped('a.csv', 'invoice_number,currency\nR-1,USD\nR-2,\n', p);
    expect(r.records.map((x) => [x.fields.vendor, x.fields.currency])).toEqual([
      ['HARRAS', 'EUR'],
      ['HARRAS', 'EUR'],
    ]);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'constant_overrides_column', severity: 'warning', column: 'currency' })]);
  });

  it('an invoice-level default applies to an invoice none of whose rows has a value; a line-level one likewise to a line; given values stand', async () => {
    const p = profileOf({ defaults: { payment_method: 'BANKTRANSFER', line_type: 'REGULAR', fund_percent: '100' } });
    const csv = [
      'vendor,invoice_number,invoice_date,total_amount,currency,payment_method,line_number,line_type,price,fund_code,fund_percent',
      'V,A,2026-04-03,30.00,EUR,,1,,10.00,F1,', // A has no payment method: it gets the default
      'V,A,,,,,2,,20.00,F2,', //         a fund cell is filled on its row
      'V,B,2026-04-03,30.00,EUR,CREDITCARD,1,OTHER,10.00,F1,50', // B gives its own
      'V,B,,,,,1,,,F2,50', //            the second row of B's line 1 inherits OTHER, not the default
      'V,B,,,,,2,,20.00,F3,', //         a new line of B gets the line default
    ].join('\n');
    const r = await readMapped('a.csv', csv + '\n', p);
    expect(r.records.map((x) => x.fields.fund_percent)).toEqual(['100', '100', '50', '50', '100']);
    const g = await groupMapped('a.csv', csv + '\n', p);
    expect(g.codes.filter((c) => c.includes('conflict'))).toEqual([]);
    expect(g.invoices.map((i) => [i.invoice?.header.paymentMethod, i.invoice?.lines.map((l) => l.type)])).toEqual([
      ['BANKTRANSFER', ['REGULAR', 'REGULAR']],
      ['CREDITCARD', ['OTHER', 'REGULAR']],
    ]);
  });

  it('a default does not clash with a value a later row of the invoice or line gives: the file wins', async () => {
    const p = profileOf({ columns: { Pay: 'payment_method', Type: 'line_type' }, constants: { vendor: 'V' }, defaults: { payment_method: 'BANKTRANSFER', line_type: 'REGULAR' } });
    const csv = [
      'invoice_number,invoice_date,total_amount,currency,Pay,line_number,Type,price,fund_code,fund_percent',
      'D-1,2026-04-03,30.00,EUR,,1,,10.00,F1,50',
      'D-1,2026-04-03,30.00,EUR,CREDITCARD,1,OTHER,10.00,F2,50',
      'D-1,2026-04-03,30.00,EUR,,2,,20.00,F1,100',
    ].join('\n');
    const g = await groupMapped('d.csv', csv + '\n', p);
    expect(g.codes.filter((c) => !c.startsWith('unknown_columns'))).toEqual([]);
    expect(g.invoices.map((i) => [i.invoice?.header.paymentMethod, i.invoice?.lines.map((l) => l.type)])).toEqual([['CREDITCARD', ['OTHER', 'REGULAR']]]);
  });
});

describe('dialects in the input layer: canonical text out, problems on the row and column', () => {
  const p = profileOf({
    columns: { 'Rechnungsnr.': 'invoice_number', Datum: 'invoice_date', Betrag: 'total_amount', Etat: 'fund_code', Preis: 'price', Menge: 'quantity' },
    constants: { vendor: 'V' },
    numbers: { decimal: ',', thousands: '.' },
    dates: { format: 'DD.MM.YYYY' },
  });

  it('amounts, quantities and dates become canonical', async () => {
    const r = await readMapped('a.csv', `${HEADER}\nR-1;14.03.2025;1.668,90;F;1.234,50;2,00\n`, p);
    expect(r.records[0]!.fields).toMatchObject({ invoice_date: '2025-03-14', total_amount: '1668.90', price: '1234.50', quantity: '2' });
  });

  it('a refused cell is reported once, on its row and canonical column with the vendor column, and the invoice is invalid', async () => {
    const g = await groupMapped('a.csv', `${HEADER}\nR-1;14.03.2025;12.50;F;12,50;1\nR-1;2025-03-14;;F;1,00;1\n`, p);
    expect(g.codes).toEqual(['invalid_number@2:total_amount', 'invalid_date@3:invoice_date']);
    expect(g.problems[0]!.message).toMatch(/^total_amount "12\.50" \(vendor column "Betrag"\) is not a number with "," as decimal mark/);
    expect(g.problems[1]!.message).toMatch(/^invoice_date "2025-03-14" \(vendor column "Datum"\) is not a date in the format DD\.MM\.YYYY/);
    expect(g.invoices[0]!.invoice).toBeUndefined();
  });

  it('ambiguous dates are refused unless a format is declared', async () => {
    const auto = profileOf({ columns: { Nr: 'invoice_number', Datum: 'invoice_date' }, constants: { vendor: 'V' } });
    const g = await groupMapped('a.csv', 'Nr,Datum,total_amount\nR-1,03/04/2025,0\nR-2,14/04/2025,0\n', auto);
    expect(g.codes).toContain('ambiguous_date@2:invoice_date');
    expect(g.problems.find((x) => x.code === 'ambiguous_date')!.message).toMatch(/"03\/04\/2025" \(vendor column "Datum"\) could be 3 April 2025 .* or 4 March 2025/);
    const us = profileOf({ columns: { Nr: 'invoice_number', Datum: 'invoice_date' }, constants: { vendor: 'V' }, dates: { format: 'MM/DD/YYYY' } });
    const r = await readMapped('a.csv', 'Nr,Datum\nR-1,03/04/2025\n', us);
    expect(r.records[0]!.fields.invoice_date).toBe('2025-03-04');
  });

  it('an ambiguous amount is refused when the number format is "auto"', async () => {
    const auto = profileOf({ columns: { Nr: 'invoice_number' }, constants: { vendor: 'V' } });
    const g = await groupMapped('a.csv', 'Nr,invoice_date,total_amount,price,fund_code,fund_percent\nR-1,2025-01-01,"1,234",1234,F,100\n', auto);
    expect(g.codes.filter((x) => !x.startsWith('mapping_needed'))).toEqual(['ambiguous_number@2:total_amount']);
  });

  it("too many decimals quotes the row's own cell as the vendor wrote it, not the canonical text (which another row may hold)", async () => {
    const cur = profileOf({
      columns: { Nr: 'invoice_number', Betrag: 'total_amount', Preis: 'price', Etat: 'fund_code' },
      constants: { vendor: 'V', invoice_date: '2025-03-14', currency: 'EUR' },
      numbers: { decimal: ',', thousands: '.' },
    });
    // Row 2's "1,234" reads as 1.234; row 3 writes "1.234" (1234), the text the message used to quote.
    const g = await groupMapped('a.csv', 'Nr;Betrag;Preis;Etat\nA-1;1,234;1,234;F\nA-2;1.234;1.234;F\n', cur);
    const tooMany = g.problems.filter((x) => x.code === 'too_many_decimals');
    expect(tooMany.map((x) => [x.row, x.column, x.message])).toEqual([
      [2, 'total_amount', 'total_amount "1,234" (read as 1.234) has 3 decimal places; EUR has 2'],
      [2, 'price', 'price "1,234" (read as 1.234) has 3 decimal places; EUR has 2'],
    ]);
  });

  it('1.200 EUR under a profile that declares "." the decimal mark is 1.2, not the ambiguous_number the canonical layout refuses', async () => {
    const us = profileOf({
      columns: { Nr: 'invoice_number', Betrag: 'total_amount', Preis: 'price', Etat: 'fund_code' },
      constants: { vendor: 'V', invoice_date: '2025-03-14', currency: 'EUR' },
      numbers: { decimal: '.', thousands: ',' },
    });
    const g = await groupMapped('a.csv', 'Nr;Betrag;Preis;Etat\nA-1;1.200;1.200;F\n', us);
    expect(g.codes).toEqual([]);
    expect(g.invoices[0]!.invoice?.header.totalAmount.toFixed()).toBe('1.2');
  });

  // A JSON number has no thousands separator (RFC 8259 §6): the profile's numbers format does not
  // apply to it, and the rules read it as its value (SourceRecord.native), not as ambiguous.
  it('a JSON number 1.200 EUR read through a profile (flat keys or JSON paths) is 1.2; a text "1.200" and a constant are still refused', async () => {
    const consts = { invoice_date: '2025-03-14', currency: 'EUR' };
    const flat = profileOf({ columns: { Nr: 'invoice_number', Betrag: 'total_amount', Preis: 'price', Etat: 'fund_code' }, constants: { vendor: 'V', ...consts } });
    const g = await groupMapped('a.json', '[{"Nr": "A-1", "Betrag": 1.200, "Preis": 1.200, "Etat": "F"},\n {"Nr": "A-2", "Betrag": "1.200", "Preis": 1.200, "Etat": "F"}]', flat);
    expect(g.codes.filter((x) => !x.startsWith('mapping_needed'))).toEqual(['ambiguous_number@2:total_amount']);
    expect(g.invoices[0]!.invoice?.header.totalAmount.toFixed()).toBe('1.2');
    expect(g.records[0]!.fields.total_amount).toBe('1.200');
    const paths = profileOf({ json: { rows: 'lines[*]', columns: { invoice_number: 'no', vendor: 'v', total_amount: 'sum', price: 'lines[*].p', fund_code: 'lines[*].f' } }, constants: consts });
    const n = await groupMapped('n.json', '{"no": "A-1", "v": "V", "sum": 2.400, "lines": [\n{"p": 1.200, "f": "F"},\n{"p": 1.200, "f": "F"}]}', paths);
    expect(n.codes).toEqual([]);
    expect(n.invoices[0]!.invoice?.lines.map((l) => l.price?.toFixed())).toEqual(['1.2', '1.2']);
    // A constant replaces the file's number with a text of the profile: that one is read as a text.
    const constant = profileOf({ columns: { Nr: 'invoice_number', Preis: 'price', Etat: 'fund_code' }, constants: { vendor: 'V', total_amount: '1.200', ...consts } });
    const c = await groupMapped('c.json', '[{"Nr": "A-1", "total_amount": 1.200, "Preis": 1.200, "Etat": "F"}]', constant);
    expect(c.codes.filter((x) => !x.startsWith('mapping_needed'))).toEqual(['constant_overrides_column@-:total_amount', 'ambiguous_number@1:total_amount']);
  });

  it('a refused invoice date is not also reported missing', async () => {
    const g = await groupMapped('a.csv', `${HEADER}\nR-1;31.02.2025;5,00;F;5,00;1\n`, p);
    expect(g.codes).toEqual(['invalid_date@2:invoice_date']);
  });
});

describe('a line or fund cell the dialect refuses is there, not missing', () => {
  const p = profileOf({
    columns: { Nr: 'invoice_number', Betrag: 'total_amount', Pos: 'line_number', Bestellung: 'po_line', Preis: 'price', Menge: 'quantity', Etat: 'fund_code', Anteil: 'fund_percent', Summe: 'fund_amount' },
    constants: { vendor: 'V', invoice_date: '2025-03-14', currency: 'EUR' },
    numbers: { decimal: ',', thousands: '.' },
  });
  const head = 'Nr;Betrag;Pos;Bestellung;Preis;Menge;Etat;Anteil;Summe\n';

  // Only the refusal is said: not what the rules say of a line without the cell (the price was
  // given, just not in the profile's number format). A cell really absent is still reported.
  it.each([
    ['a refused price of a line without po_line: no price_missing', 'R-1;10,00;1;;10.00;1;F;;', ['invalid_number@2:price']],
    ['a refused price of a line with po_line: no "takes the price from the PO line"', 'R-1;10,00;1;POL-1;10.00;1;F;;', ['invalid_number@2:price']],
    ['a refused quantity: the line is not counted as one copy (no total_mismatch)', 'R-1;20,00;1;;10,00;2x;F;;', ['invalid_number@2:quantity']],
    ['a refused fund_percent of a split line: no fund_share_missing', 'R-1;10,00;1;;10,00;1;F;50;\nR-1;;1;;;;G;5O;', ['invalid_number@3:fund_percent']],
    ['a refused fund_amount of a split line: no fund_share_missing', 'R-1;10,00;1;;10,00;1;F;;4,00\nR-1;;1;;;;G;;6.00', ['invalid_number@3:fund_amount']],
    ['a price really absent is still price_missing', 'R-1;10,00;1;;;1;F;;', ['price_missing@2:price']],
    ['a fund share really absent is still fund_share_missing', 'R-1;10,00;1;;10,00;1;F;50;\nR-1;;1;;;;G;;', ['fund_share_missing@3:fund_percent']],
  ])('%s', async (_, rows, codes) => {
    const g = await groupMapped('a.csv', `${head}${rows}\n`, p);
    expect(g.codes).toEqual(codes);
    expect(g.invoices[0]!.invoice).toBeUndefined();
  });
});

describe('the title block above the header', () => {
  const title = ['ACME Books Ltd — Invoice export', 'Run: 03/18/2025', '', 'Customer "DSU", 01DEMO'];
  const p = profileOf({ csv: { skip_lines: 4 }, columns: { 'Invoice #': 'invoice_number' }, constants: { vendor: 'ACME' } });

  it.each([
    ['LF', '\n', []],
    ['CRLF', '\r\n', []],
    ['CR', '\r', []],
    ['CRLF cut between CR and LF in the title block', '\r\n', [14, 15, 16, 31, 32]],
  ] as const)('%s: rows keep their editor line (header on line 5, data from line 6)', async (_l, eol, cuts) => {
    const text = [...title, 'Invoice #;total_amount', 'A-1;1', 'A-2;2', '', 'A-3;3'].join(eol) + eol;
    const bytes = new TextEncoder().encode(text);
    const r = await readMapped('a.csv', bytes, p, { cuts: cuts.length > 0 ? cuts : [text.indexOf(eol) + 1] });
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => [x.source.row, x.fields.invoice_number])).toEqual([
      [6, 'A-1'],
      [7, 'A-2'],
      [9, 'A-3'],
    ]);
  });

  it('a problem in a row after the title block names that row', async () => {
    const q = profileOf({ csv: { skip_lines: 2 }, dates: { format: 'MM/DD/YYYY' }, constants: { vendor: 'V' } });
    const g = await groupMapped('a.csv', 'Title\n\ninvoice_number,invoice_date,total_amount,price,fund_code,fund_percent\nA-1,13/01/2025,1,1,F,100\n', q);
    expect(g.codes).toEqual(['invalid_date@4:invoice_date']);
  });

  it('a row split by an unquoted line break below it is short_row on its editor lines, naming the vendor\'s columns as written', async () => {
    const q = profileOf({ csv: { skip_lines: 2, delimiter: ';' }, columns: { 'Rechnung Nr.': 'invoice_number', Bemerkung: 'invoice_note', 'Betrag (netto, EUR)': 'price' }, constants: { vendor: 'V' } });
    const r = await readMapped('a.csv', 'Rechnungen\n\nRechnung Nr.;Bemerkung;Betrag (netto, EUR)\nR-1;Lieferung\nMärz;10,00\nR-2;;5,00\n', q);
    expect(r.problems.map((x) => [x.row, x.code, x.severity, x.message.replace(/\. A line break.*/s, '')])).toEqual([
      [4, 'short_row', 'warning', 'this row has 2 cells but the header has 3 columns; "Betrag (netto, EUR)" (column 3) is read as empty'],
      [5, 'short_row', 'warning', 'this row has 2 cells but the header has 3 columns; "Betrag (netto, EUR)" (column 3) is read as empty'],
    ]);
    expect(r.records.map((x) => x.source.row)).toEqual([4, 5, 6]);
  });
});

describe('CSV dialect', () => {
  it('uses the declared delimiter and quote character', async () => {
    const p = profileOf({ csv: { delimiter: '|', quote: "'" }, constants: { vendor: 'V' } });
    const r = await readMapped('a.txt', "invoice_number|line_note\nA-1|'a | b, ''c'''\n", p);
    expect(r.records[0]!.fields.line_note).toBe("a | b, 'c'");
  });

  it('reads windows-1252 when the profile says so, whatever --encoding is', async () => {
    const p = profileOf({ encoding: 'windows-1252', columns: { 'Währung (€)': 'currency' } });
    const bytes = new Uint8Array([...new TextEncoder().encode('W'), 0xe4, ...new TextEncoder().encode('hrung ('), 0x80, ...new TextEncoder().encode(')\nEUR\n')]);
    const r = await readMapped('a.csv', bytes, p, { encoding: 'utf-8' });
    expect(r.problems).toEqual([]);
    expect(r.records[0]!.fields).toEqual({ currency: 'EUR' });
  });
});

describe('nested vendor JSON through paths', () => {
  const p = profileOf({
    json: {
      rows: 'data.invoices[*].items[*].split[*]',
      columns: {
        vendor: 'supplier.code',
        invoice_number: 'data.invoices[*].no',
        total_amount: 'data.invoices[*].sum',
        price: 'data.invoices[*].items[*].price',
        line_note: 'data.invoices[*].items[*].notes[0]',
        fund_code: 'data.invoices[*].items[*].split[*].fund',
        fund_percent: 'data.invoices[*].items[*].split[*].pct',
      },
    },
    numbers: { decimal: ',', thousands: '.' },
  });
  const doc = `{
  "supplier": {"code": "V"},
  "data": {"invoices": [
    {"no": "A-1", "sum": "1.234,50",
     "items": [
       {"price": 1234.50, "notes": ["first"],
        "split": [
          {"fund": "F1", "pct": 60},
          {"fund": "F2", "pct": "40"}]},
       {"price": "0,00", "split": []}
     ]},
    {"no": "A-2", "items": [{"price": {"amount": 1}, "split": [{"fund": "F1"}]}]}
  ]}
}`;

  it('one record per innermost element, fields from every level, rows at their object', async () => {
    const r = await readMapped('v.json', doc, p);
    expect(r.problems).toEqual([]);
    expect(r.records.slice(0, 3).map((x) => [x.source.row, x.fields])).toEqual([
      [8, { vendor: 'V', invoice_number: 'A-1', total_amount: '1234.50', price: '1234.50', line_note: 'first', fund_code: 'F1', fund_percent: '60' }],
      [9, { vendor: 'V', invoice_number: 'A-1', total_amount: '1234.50', price: '1234.50', line_note: 'first', fund_code: 'F2', fund_percent: '40' }],
      // An item without fund shares is still a line.
      [10, { vendor: 'V', invoice_number: 'A-1', total_amount: '1234.50', price: '0.00' }],
    ]);
  });

  it('JSON numbers are taken as written (no decimal-comma reading); a nested value where one belongs is refused on its row', async () => {
    const r = await readMapped('v.json', doc, p);
    expect(r.records[0]!.fields.price).toBe('1234.50');
    const a2 = r.records[3]!;
    expect(a2.source.row).toBe(12);
    expect(a2.problems).toEqual([expect.objectContaining({ code: 'invalid_value', row: 12, column: 'price', message: 'price (JSON path data.invoices[*].items[*].price) must be a single value, not an object' })]);
  });

  it('a file without the row path says so; a CSV file is refused', async () => {
    const r = await readMapped('v.json', '{"other": []}', p);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'json_shape', message: expect.stringMatching(/nothing at "data\.invoices\[\*\]\.items\[\*\]\.split\[\*\]"/) })]);
    const c = await readMapped('v.csv', 'a,b\n1,2\n', p);
    expect(c.problems).toEqual([expect.objectContaining({ code: 'mapping_mismatch' })]);
    expect(c.records).toEqual([]);
  });

  it('JSON Lines: each line is a document, rows are its line', async () => {
    const q = profileOf({ json: { rows: 'lines[*]', columns: { invoice_number: 'no', vendor: 'v', price: 'lines[*].p' } } });
    const r = await readMapped('v.jsonl', '{"no":"A","v":"V","lines":[{"p":1},{"p":2.5e1}]}\n\n{"no":"B","v":"V","lines":[{"p":3}]}\n', q);
    expect(r.records.map((x) => [x.source.row, x.fields.invoice_number, x.fields.price])).toEqual([
      [1, 'A', '1'],
      [1, 'A', '25'], // exponent notation in plain digits, as without a profile
      [3, 'B', '3'],
    ]);
  });

  it('JSON Lines whose lines end in a lone CR (or CRLF) have the same rows; a document so written keeps its lines', async () => {
    const q = profileOf({ json: { rows: 'lines[*]', columns: { invoice_number: 'no', vendor: 'v', price: 'lines[*].p' } } });
    for (const eol of ['\r', '\r\n']) {
      const text = ['{"no":"A","v":"V","lines":[{"p":1}]}', '', '{"no":"B","v":"V","lines":[{"p":3}]}', ''].join(eol);
      for (let cut = 0; cut <= text.length; cut++) {
        const r = await readMapped('v.jsonl', text, q, { cuts: [cut] });
        expect(r.problems).toEqual([]);
        expect(r.records.map((x) => [x.source.row, x.fields.invoice_number])).toEqual([
          [1, 'A'],
          [3, 'B'],
        ]);
      }
    }
    const doc = await readMapped('v.json', '{"no":"A","v":"V",\r"lines":[\r{"p":1},\r{"p":2}]}', q);
    expect(doc.records.map((x) => x.source.row)).toEqual([3, 4]);
  });

  it('flat vendor JSON is renamed like CSV columns', async () => {
    const q = profileOf({ columns: { InvoiceNo: 'invoice_number', Amount: 'total_amount' }, constants: { vendor: 'V' }, numbers: { decimal: ',', thousands: '.' } });
    const r = await readMapped('v.json', '[{"InvoiceNo": "A", "Amount": "1.000,00"},\n {"InvoiceNo": "B", "Amount": 12.5}, {"InvoiceNo": "C", "Amount": 1.25e3}]', q);
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([
      [1, { invoice_number: 'A', total_amount: '1000.00', vendor: 'V' }],
      [2, { invoice_number: 'B', total_amount: '12.5', vendor: 'V' }],
      [2, { invoice_number: 'C', total_amount: '1250', vendor: 'V' }],
    ]);
    // B and C start on one line: said once, by the invoices as mapped (the vendor is a constant)
    expect(r.problems.filter((x) => x.code === 'shared_line')).toEqual([
      expect.objectContaining({ row: 2, severity: 'warning', message: expect.stringContaining('invoices V B and V C both start on line 2') }),
    ]);
  });
});

describe('JSON through a profile: a value that is not a text in an identifier column', () => {
  const flat = profileOf({
    columns: { Rechnungsnr: 'invoice_number', Lieferant: 'vendor', Konto: 'vendor_account', Etat: 'fund_code', Bestellung: 'po_line', Bezahlt: 'prepaid', Betrag: 'total_amount' },
  });
  const one = async (column: string, vendorColumn: string, value: string) => {
    const base: Record<string, string> = { Rechnungsnr: '"A-1"', Lieferant: '"V"', [vendorColumn]: value };
    const r = await readMapped('v.json', `[{${Object.entries(base).map(([k, v]) => `"${k}": ${v}`).join(', ')}}]`, flat);
    const rec = r.records[0]!;
    // The profile maps more columns than one record gives: those are mapped_column_missing for the file.
    const file = r.problems.filter((p) => p.code !== 'mapped_column_missing');
    return { problems: [...file, ...(rec.problems ?? [])].map((p) => [p.code, p.row, p.column, p.message]), fields: rec.fields, column };
  };

  it.each([
    ['invoice_number', 'Rechnungsnr', 'true'],
    ['vendor', 'Lieferant', 'false'],
    ['vendor_account', 'Konto', 'true'],
    ['fund_code', 'Etat', 'true'],
    ['po_line', 'Bestellung', 'false'],
  ])('%s (vendor column %s) %s is boolean_cell, as without a profile (it was loaded as the text "true")', async (column, vendorColumn, value) => {
    const r = await one(column, vendorColumn, value);
    expect(r.problems).toEqual([
      ['boolean_cell', 1, column, `${column} (vendor column "${vendorColumn}") is the JSON value ${value}, not a text: write the ${column.replace(/_/g, ' ')} as text, in quotes`],
    ]);
    expect(column in r.fields).toBe(false);
  });

  it.each([
    ['invoice_number', 'Rechnungsnr', '1e5', 'with an exponent', '"100000"'],
    ['invoice_number', 'Rechnungsnr', '12.0', 'with a fraction', '"12.0"'],
    ['vendor', 'Lieferant', '2e400', 'with an exponent', 'in quotes'],
    ['po_line', 'Bestellung', '1.25e3', 'with an exponent', '"1250"'],
    ['fund_code', 'Etat', '3.5', 'with a fraction', '"3.5"'],
  ])('%s (vendor column %s) %s is number_cell: an id is never a computed number', async (column, vendorColumn, value, how, as) => {
    const r = await one(column, vendorColumn, value);
    expect(r.problems).toEqual([
      [
        'number_cell',
        1,
        column,
        `${column} ${value} (vendor column "${vendorColumn}") is a number written ${how} in the file, not a text: an id is never a computed number, so this may not be the vendor's; write ${column.replace(/_/g, ' ')}s as text: ${as}`,
      ],
    ]);
    expect(column in r.fields).toBe(false);
  });

  it('nested JSON paths: refused on the row, the JSON path named', async () => {
    const q = profileOf({ json: { rows: 'lines[*]', columns: { invoice_number: 'no', vendor: 'v', po_line: 'lines[*].po', price: 'lines[*].p' } } });
    const r = await readMapped('v.json', '{"no": 1e5, "v": "V", "lines": [\n{"po": true, "p": 1}]}', q);
    const rec = r.records[0]!;
    expect(rec.problems?.map((p) => [p.code, p.row, p.column, p.message])).toEqual([
      ['number_cell', 2, 'invoice_number', `invoice_number 1e5 (JSON path no) is a number written with an exponent in the file, not a text: an id is never a computed number, so this may not be the vendor's; write invoice numbers as text: "100000"`],
      ['boolean_cell', 2, 'po_line', 'po_line (JSON path lines[*].po) is the JSON value true, not a text: write the po line as text, in quotes'],
    ]);
    expect(rec.fields).toEqual({ vendor: 'V', price: '1' });
  });
});
