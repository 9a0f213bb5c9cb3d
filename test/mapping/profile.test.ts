/** The profile format: zod plus semantic checks, every mistake with its JSON path and a plain message. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMappingProfile, type ProfileProblem } from '../../src/input/mapping/profile.js';

const problemsOf = (text: string): ProfileProblem[] => {
  const r = loadMappingProfile(text, 'vendor.json');
  if ('profile' in r) throw new Error('expected problems, the profile loaded');
  return r.problems;
};
const bad = (o: Record<string, unknown>): ProfileProblem[] => problemsOf(JSON.stringify({ version: 1, ...o }));

describe('a bad profile: each mistake at its JSON path, in plain words', () => {
  it.each([
    ['unknown top-level key', { delimiter: ';' }, 'delimiter', /is not a profile setting \(known here: "version", "name", .*"csv"/],
    ['unknown top-level key with a near miss', { constant: { vendor: 'X' } }, 'constant', /did you mean "constants"\?/],
    ['typo inside csv', { csv: { delimter: ';' } }, 'csv.delimter', /did you mean "delimiter"\?/],
    ['delimiter of two characters', { csv: { delimiter: ';;' } }, 'csv.delimiter', /exactly one character/],
    ['skip_lines negative', { csv: { skip_lines: -1 } }, 'csv.skip_lines', /0 or more/],
    ['skip_lines not whole', { csv: { skip_lines: 1.5 } }, 'csv.skip_lines', /whole number/],
    ['delimiter equals quote', { csv: { delimiter: "'", quote: "'" } }, 'csv.delimiter', /quote character/],
    ['decimal mark unknown', { numbers: { decimal: ';' } }, 'numbers.decimal', /must be one of "\.", ",", "auto".*found ";"/],
    ['thousands same as decimal', { numbers: { decimal: ',', thousands: ',' } }, 'numbers.thousands', /cannot be the decimal mark/],
    ['date format with a stray letter', { dates: { format: 'DD.MM.YYYYx' } }, 'dates.format', /not a date format/],
    ['date format missing the year', { dates: { format: 'DD/MM' } }, 'dates.format', /not a date format/],
    ['date format in a list', { dates: { format: ['DD.MM.YYYY', 'MM/DD/YY/DD'] } }, 'dates.format[1]', /two day parts|not a date format/],
    ['rename to an unknown column', { columns: { Etat: 'fund' } }, 'columns.Etat', /"fund" is not a canonical column; did you mean "fund_code"/],
    ['rename keyed awkwardly', { columns: { 'Anteil %': 'fund_pct' } }, 'columns["Anteil %"]', /not a canonical column/],
    ['two headers that are one header', { columns: { 'Invoice No': 'invoice_number', invoice_no: 'invoice_number' } }, 'columns.invoice_no', /same column as "Invoice No"/],
    ['ignored and mapped', { columns: { Titel: 'line_note' }, ignore: ['TITEL'] }, 'ignore[0]', /also mapped/],
    ['constant with a bad currency', { constants: { currency: 'EURO' } }, 'constants.currency', /not an ISO 4217 currency/],
    ['constant for an unknown column', { constants: { vendr: 'X' } }, 'constants.vendr', /did you mean "vendor"/],
    ['constant and default for one column', { constants: { currency: 'EUR' }, defaults: { currency: 'USD' } }, 'defaults.currency', /both constants and defaults/],
    ['constant for a mapped column', { columns: { 'Währung': 'currency' }, constants: { currency: 'EUR' } }, 'constants.currency', /also read from the vendor column "Währung"/],
    ['constant for a JSON-path column', { json: { rows: 'a[*]', columns: { currency: 'a[*].cur' } }, constants: { currency: 'EUR' } }, 'constants.currency', /also read from the JSON path "a\[\*\]\.cur"/],
    ['default invoice number', { defaults: { invoice_number: 'X' } }, 'defaults.invoice_number', /every invoice needs its own number/],
    ['constant line number', { constants: { line_number: '1' } }, 'constants.line_number', /every line needs its own number/],
    ['default boolean that is not one', { defaults: { prepaid: 'ja' } }, 'defaults.prepaid', /not true or false/],
    ['value map for an amount', { values: { price: { map: { a: '1' } } } }, 'values.price', /value maps are for codes/],
    ['value map result not a currency', { values: { currency: { map: { '€': 'Euro' } } } }, 'values.currency.map["€"]', /not an ISO 4217/],
    ['value map without map', { values: { fund_code: { unmapped: 'error' } } }, 'values.fund_code.map', /is missing/],
    ['value map unmapped word', { values: { fund_code: { map: {}, unmapped: 'skip' } } }, 'values.fund_code.unmapped', /must be one of "error", "keep"/],
    ['value map twins', { values: { fund_code: { map: { Chemie: 'CHEM', ' chemie ': 'CHEM' } } } }, 'values.fund_code.map[" chemie "]', /same vendor value/],
    ['encoding unknown', { encoding: 'ebcdic' }, 'encoding', /must be one of "utf-8", "windows-1252"/],
    ['json rows without [*]', { json: { rows: 'invoices', columns: {} } }, 'json.rows', /no \[\*\]/],
    ['json column off the row path', { json: { rows: 'invoices[*].lines[*]', columns: { price: 'invoices[*].items[*].price' } } }, 'json.columns.price', /does not follow the rows path/],
    ['json column deeper than the rows', { json: { rows: 'invoices[*]', columns: { fund_code: 'invoices[*].funds[*].code' } } }, 'json.columns.fund_code', /more \[\*\] than the rows path/],
    ['json path syntax', { json: { rows: 'invoices[*]', columns: { invoice_number: 'invoices[*]..no' } } }, 'json.columns.invoice_number', /empty key/],
    ['json with csv columns', { json: { rows: 'a[*]', columns: {} }, columns: { A: 'vendor' } }, 'columns', /vendor column names do not apply/],
    ['number where text belongs', { name: 5 }, 'name', /must be text/],
    ['a list where an object belongs', { columns: ['a'] }, 'columns', /must be an object/],
  ] as const)('%s → %s', (_label, profile, path, message) => {
    const problems = bad(profile as Record<string, unknown>);
    const hit = problems.find((p) => p.path === path);
    expect(hit, JSON.stringify(problems)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('reports every problem at once, one each, zod and semantic checks together', () => {
    const problems = bad({ csv: { delimiter: 7 }, numbers: { decimal: ',', thousands: ',' }, columns: { Etat: 'fund' }, constants: { currency: 'EURO' } });
    expect(problems.map((p) => p.path).sort()).toEqual(['columns.Etat', 'constants.currency', 'csv.delimiter', 'numbers.thousands']);
  });

  it('a profile without a version says to add it', () => {
    expect(problemsOf('{"columns": {}}')).toEqual([{ path: 'version', message: 'is missing: add "version": 1' }]);
    expect(problemsOf('{"version": 2}')[0]!.message).toMatch(/must be 1 \(the profile format version\) \(found 2\)/);
  });

  it('a JSON syntax error gives its line and column', () => {
    const problems = problemsOf('{\n  "version": 1,\n  "columns": { "A": "vendor", }\n}');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('line 3, column 31');
    expect(problems[0]!.message).toMatch(/not valid JSON/);
  });

  it('a profile that is not an object says so', () => {
    expect(problemsOf('[1, 2]')[0]!.message).toMatch(/must be a JSON object with "version": 1, found a list/);
  });

  it('keys starting with _ are notes anywhere, but vendor values in a map are data', () => {
    const r = loadMappingProfile(
      JSON.stringify({ version: 1, _about: 'x', csv: { _guess: 1, delimiter: ';' }, columns: { _guess: { Etat: 'guess' }, Etat: 'fund_code' }, values: { fund_code: { _todo: 'x', map: { _intern: 'GENMON' } } } }),
      'p.json',
    );
    expect('profile' in r).toBe(true);
    if (!('profile' in r)) return;
    expect([...r.profile.columns.values()].map((c) => c.column)).toEqual(['fund_code']);
    expect(r.profile.values.get('fund_code')!.map.get('_intern')).toBe('GENMON');
  });

  it('numbers in constants keep their exact digits', () => {
    const r = loadMappingProfile('{"version": 1, "constants": {"shipment": 12.50, "fund_percent": 100}}', 'p.json');
    if (!('profile' in r)) throw new Error(JSON.stringify(r.problems));
    expect(r.profile.constants.get('shipment')).toBe('12.50');
  });

  it.each(['harrassowitz-de', 'ebsco-us', 'gobi-portal'])('the shipped profile fixtures/mappings/%s.json is valid', (name) => {
    const text = readFileSync(new URL(`../../fixtures/mappings/${name}.json`, import.meta.url), 'utf8');
    const r = loadMappingProfile(text, name);
    expect('problems' in r ? r.problems : []).toEqual([]);
  });
});
