/**
 * `--rejects` round trips: the rejects file is written, the person corrects the cell the error
 * names, and the corrected file loads with the same command (README "Rejects: correct and load
 * again"). Each case is one where the file used to come back without the cell to correct, or in
 * a form the same command could not read again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import { writeWorkbook, type CellInput } from '../helpers/workbook.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const SAMPLE = readFileSync(join(ROOT, 'fixtures/sample-batch.csv'), 'utf8');
const PROFILES = join(ROOT, 'fixtures/mappings');

describe('--rejects: a refused cell comes back under its column (canonical rejects)', () => {
  it('Excel: a date typed as a day number (45720) is in the file under invoice_date; corrected, the file loads', async () => {
    w = await world();
    const [header, ...rows] = parse(SAMPLE) as string[][];
    const at = (c: string): number => header!.indexOf(c);
    const numbers = new Set(['total_amount', 'shipment', 'price', 'quantity', 'line_number', 'fund_percent']);
    const typed: CellInput[][] = rows
      .filter((r) => r[at('invoice_number')] === 'G-24118')
      .map((r) => r.map((v, i) => (v === '' ? null : numbers.has(header![i]!) ? Number(v) : v)));
    // The first row's date typed where the column has no date format: Excel keeps the day number.
    typed[0]![at('invoice_date')] = 45720;
    const book = join(w.dir, 'x4.xlsx');
    await writeWorkbook(book, [{ name: 'Invoices', rows: [header!, ...typed] }]);
    const rejects = join(w.dir, 'x4-rej.csv');
    const first = await w.load(['--dry-run', '--rejects', rejects, book]);
    expect(first.code, first.stderr).toBe(3);
    const text = readFileSync(rejects, 'utf8');
    const got = parse(text.slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => [r.invoice_number, r.invoice_date, r.error_code])).toEqual([
      ['G-24118', '45720', 'invalid_date'],
      ['G-24118', '', 'invalid_date'],
      ['G-24118', '', 'invalid_date'],
    ]);
    writeFileSync(rejects, text.replace('G-24118,45720,', 'G-24118,2025-03-04,'));
    const again = await w.load([rejects]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary).toMatchObject({ invoices: 1, loaded: 1 });
  });

  it('JSON with a profile: an amount the profile does not read ("117,75") is in the file under total_amount; corrected, the file loads', async () => {
    w = await world();
    const input = join(w.dir, 'g1.json');
    writeFileSync(input, readFileSync(join(PROFILES, 'gobi-portal.export.json'), 'utf8').replace('"grandTotal": "117.75"', '"grandTotal": "117,75"'));
    const rejects = join(w.dir, 'g1-rej.csv');
    const first = await w.load(['--skip-invalid', '--mapping', join(PROFILES, 'gobi-portal.json'), '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(4);
    expect(first.report!.summary).toMatchObject({ invoices: 2, loaded: 1, invalid: 1 });
    const text = readFileSync(rejects, 'utf8');
    const got = parse(text.slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => [r.invoice_number, r.total_amount, r.error_code])).toEqual([
      ['G-25061', '117,75', 'invalid_number'],
      ['G-25061', '117,75', 'invalid_number'],
      ['G-25061', '117,75', 'invalid_number'],
    ]);
    // The canonical rejects load without the profile (the run says so).
    writeFileSync(rejects, text.replaceAll(',"117,75",', ',117.75,'));
    const again = await w.load([rejects]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary).toMatchObject({ invoices: 1, loaded: 1 });
  });

  it("a profile's default for the refused column does not take the refused cell's place: the file has what the vendor wrote", async () => {
    w = await world();
    // The GOBI profile with a default freight (shipment): the refused "9,75" would otherwise come
    // back as the default 0, and the corrected file — the person sees no error there — load freight 0.
    const profile = join(w.dir, 'gobi-def.json');
    writeFileSync(profile, JSON.stringify({ ...JSON.parse(readFileSync(join(PROFILES, 'gobi-portal.json'), 'utf8')), defaults: { shipment: '0' } }));
    const input = join(w.dir, 'g2.json');
    writeFileSync(input, readFileSync(join(PROFILES, 'gobi-portal.export.json'), 'utf8').replace('"freight": 9.75', '"freight": "9,75"'));
    const rejects = join(w.dir, 'g2-rej.csv');
    const first = await w.load(['--dry-run', '--mapping', profile, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    const got = parse(readFileSync(rejects, 'utf8').slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => [r.invoice_number, r.shipment, r.error_code])).toEqual([
      ['G-25061', '9,75', 'invalid_number'],
      ['G-25061', '9,75', 'invalid_number'],
      ['G-25061', '9,75', 'invalid_number'],
    ]);
  });

  it("a profile's defaults come back as the load applied them: on the first row where no row of the invoice (line) has a value, not beside a later row's own", async () => {
    w = await world();
    const profile = join(w.dir, 'd.json');
    writeFileSync(profile, JSON.stringify({ version: 1, columns: { Nr: 'invoice_number', Pay: 'payment_method', Type: 'line_type' }, constants: { vendor: 'ACME' }, defaults: { payment_method: 'BANKTRANSFER', line_type: 'REGULAR' } }));
    const row = (nr: string, line: number, extra: Record<string, string> = {}) => ({ Nr: nr, invoice_date: '2026-01-15', total_amount: '99.00', currency: 'USD', line_number: String(line), price: '10.00', fund_code: 'B', ...extra });
    const input = join(w.dir, 'in.json');
    writeFileSync(input, JSON.stringify([row('D-1', 1), row('D-1', 2, { Pay: 'CREDITCARD', Type: 'OTHER' }), row('D-2', 1)]));
    const rejects = join(w.dir, 'd-rej.csv');
    const first = await w.load(['--dry-run', '--mapping', profile, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    const got = parse(readFileSync(rejects, 'utf8').slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => [r.invoice_number, r.line_number, r.payment_method, r.line_type])).toEqual([
      ['D-1', '1', '', 'REGULAR'],
      ['D-1', '2', 'CREDITCARD', 'OTHER'],
      ['D-2', '1', 'BANKTRANSFER', 'REGULAR'],
    ]);
    expect(got.every((r) => r.error_code === 'total_mismatch')).toBe(true);
  });

  it("a profile's constant for the column keeps its place: the refused cell of a workbook column the constant overrides does not come back instead", async () => {
    w = await world();
    const profile = join(w.dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ version: 1, numbers: { decimal: '.', thousands: ',' }, dates: { format: 'YYYY-MM-DD' }, columns: { Inv: 'invoice_number' }, constants: { shipment: '0' } }));
    const book = join(w.dir, 'c.xlsx');
    await writeWorkbook(book, [
      {
        name: 'S',
        rows: [
          ['vendor', 'Inv', 'invoice_date', 'total_amount', 'currency', 'line_number', 'price', 'quantity', 'fund_code', 'shipment'],
          ['ACME', 'X-1', '2026-01-15', '10.00', 'USD', '1', '10.00', '1', 'B', '9,75'],
        ],
      },
    ]);
    const rejects = join(w.dir, 'c-rej.csv');
    const first = await w.load(['--dry-run', '--mapping', profile, '--rejects', rejects, book]);
    expect(first.code, first.stderr).toBe(3);
    const got = parse(readFileSync(rejects, 'utf8').slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => [r.invoice_number, r.shipment])).toEqual([['X-1', '0']]);
  });

  it('a file with a byte its encoding does not hold (invalid_encoding): the rejects file is written all the same, exit 3', async () => {
    w = await world();
    const input = join(w.dir, 'enc.csv');
    writeFileSync(
      input,
      Buffer.concat([
        Buffer.from('vendor,invoice_number,invoice_date,total_amount,currency,line_number,price,quantity,fund_code\nACME,E-1,2026-01-15,10.00,USD,1,10.00,1,B'),
        Buffer.from([0xe9]),
        Buffer.from('\nACME,E-2,2026-13-15,10.00,USD,1,10.00,1,B\n'),
      ]),
    );
    const rejects = join(w.dir, 'enc-rej.csv');
    const first = await w.load(['--dry-run', '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).not.toMatch(/internal error|a bug/);
    const got = parse(readFileSync(rejects, 'utf8').slice(1), { columns: true }) as Record<string, string>[];
    expect(got.map((r) => r.invoice_number)).toContain('E-2');
  });
});

describe('--rejects under a profile: written as the same profile reads it', () => {
  it("a profile quoting with ' and splitting on tabs: cells holding a tab or an apostrophe, and an error_message with one, read back; corrected, the file loads", async () => {
    w = await world();
    const profile = join(w.dir, 'q1.json');
    writeFileSync(
      profile,
      JSON.stringify({
        version: 1,
        csv: { delimiter: '\t', quote: "'", skip_lines: 0 },
        numbers: { decimal: '.', thousands: ',' },
        dates: { format: 'MM/DD/YYYY' },
        columns: { Inv: 'invoice_number', Date: 'invoice_date', Vend: 'vendor', Note: 'line_note', Total: 'total_amount', Cur: 'currency', PO: 'po_line', Price: 'price', Fund: 'fund_code' },
        values: { fund_code: { map: { BIO: 'BIO', HIST: 'HIST' }, unmapped: 'error' } },
      }),
    );
    const input = join(w.dir, 'q4.tsv');
    // Q-4's total is a cent off (total_mismatch); Q-5's fund is not in the map (unmapped_value,
    // whose message says "the profile's value map"). The notes hold a tab, an apostrophe, a formula.
    writeFileSync(
      input,
      'Inv\tDate\tVend\tNote\tTotal\tCur\tPO\tPrice\tFund\n' +
        "Q-4\t03/14/2025\tGOBI\t'a\tb'\t189.96\tUSD\tPOL-1002\t189.95\tBIO\n" +
        "Q-5\t03/14/2025\tGOBI\t'=O''Brien'\t18.00\tUSD\tPOL-1005\t18.00\tHISTO\n",
    );
    const rejects = join(w.dir, 'q4-rej.tsv');
    const first = await w.load(['--mapping', profile, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    const text = readFileSync(rejects, 'utf8').slice(1);
    const rows = parse(text, { delimiter: '\t', quote: "'", escape: "'" }) as string[][];
    expect(rows.map((r) => [r[0], r[3], r[9]])).toEqual([
      ['Inv', 'Note', 'error_code'],
      ['Q-4', 'a\tb', 'total_mismatch'],
      ['Q-5', "'=O'Brien", 'unmapped_value'],
    ]);
    expect(rows[2]![10]).toContain("profile's value map");
    writeFileSync(rejects, '\uFEFF' + text.replace('\t189.96\t', '\t189.95\t').replace('\tHISTO\t', '\tHIST\t'));
    const again = await w.load(['--mapping', profile, rejects]);
    expect(again.code, again.stderr).not.toBe(3);
    expect(again.report!.issues.filter((p) => p.severity === 'error')).toEqual([]);
    expect(again.report!.invoices.map((i) => [i.number, i.status, i.issues.filter((p) => p.severity === 'error')])).toEqual([
      ['Q-4', 'loaded', []],
      ['Q-5', expect.stringMatching(/loaded|in_review/), []],
    ]);
  });

  it("Excel's sep= line and a windows-1252 profile: the file is written in windows-1252 after the sep= line; corrected, the same --mapping loads it", async () => {
    w = await world();
    const profiles = join(ROOT, 'fixtures/mappings');
    const input = join(w.dir, 'hsep.csv');
    const latin = readFileSync(join(profiles, 'harrassowitz-de.csv'), 'latin1').replace(';Geschichte;', ';Gesch;');
    writeFileSync(input, Buffer.from(`sep=;\r\n${latin}`, 'latin1'));
    const rejects = join(w.dir, 'hsep-rej.csv');
    const mapping = ['--mapping', join(profiles, 'harrassowitz-de.json')];
    const first = await w.load(['--skip-invalid', ...mapping, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(4);
    const bytes = readFileSync(rejects);
    // The sep= line stays the file's first bytes; the rest is the input's own encoding.
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('sep=;\n');
    // (`stream`: Node 20's windows-1252 decoder stops at a 0x80 decoded without it.)
    const text = new TextDecoder('windows-1252').decode(bytes, { stream: true });
    expect(text).toContain('Goethe: Sämtliche Werke');
    expect(text).toContain(';€;');
    const at = bytes.indexOf(';Gesch;');
    writeFileSync(rejects, Buffer.concat([bytes.subarray(0, at), Buffer.from(';Geschichte;'), bytes.subarray(at + ';Gesch;'.length)]));
    const again = await w.load([...mapping, rejects]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary).toMatchObject({ invoices: 1, loaded: 1 });
  });
});

describe('--rejects: a UTF-8 file read as windows-1252 (invalid_encoding)', () => {
  // The file's rows as bytes, each line without its line break.
  const lineBytes = (b: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let at = 0, nl = b.indexOf(10); at < b.length; at = nl + 1, nl = b.indexOf(10, at)) out.push(b.subarray(at, nl === -1 ? b.length : nl).filter((x) => x !== 13) as Buffer);
    return out;
  };

  it('--encoding windows-1252: the rejects hold the rows as the file had them, without a BOM, and the same command refuses them again; --encoding utf-8 loads them', async () => {
    w = await world();
    const input = join(w.dir, 'cafe.csv');
    writeFileSync(input, SAMPLE.replace('March approval plan', 'Café approval plan'));
    const rejects = join(w.dir, 'cafe-rej.csv');
    const cmd = ['--dry-run', '--encoding', 'windows-1252'];
    const first = await w.load([...cmd, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.report!.issues.map((p) => p.code)).toContain('invalid_encoding');
    const bytes = readFileSync(rejects);
    // No UTF-8 byte-order mark (which made the loader read the misread "CafÃ©" as UTF-8), and the
    // refused rows' bytes as the input had them, the error columns after them.
    expect([...bytes.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const [inHeader, ...inRows] = lineBytes(readFileSync(input));
    const [outHeader, ...outRows] = lineBytes(bytes);
    expect(outHeader!.toString('latin1').startsWith(`${inHeader!.toString('latin1')},error_code,error_message`)).toBe(true);
    expect(outRows.length).toBe(3);
    outRows.forEach((r, i) => expect(r.subarray(0, inRows[i]!.length).equals(inRows[i]!)).toBe(true));
    expect(bytes.includes(Buffer.from('Café approval plan', 'utf8'))).toBe(true);
    // The same command: the same verdict, not a clean load of "CafÃ©".
    const again = await w.load([...cmd, rejects]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.report!.issues.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['invalid_encoding']);
    // The advice taken: read as UTF-8, the rejects load.
    const fixed = await w.load(['--dry-run', '--encoding', 'utf-8', rejects]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report!.summary).toMatchObject({ invoices: 1, planned: 1 });
  });

  it("a profile's windows-1252: the rejects are the file's own bytes (no BOM), so the same --mapping refuses them again", async () => {
    w = await world();
    const input = join(w.dir, 'harr-utf8.csv');
    // Harrassowitz's export saved as UTF-8, read under its windows-1252 profile.
    const latin = readFileSync(join(PROFILES, 'harrassowitz-de.csv'));
    writeFileSync(input, new TextDecoder('windows-1252').decode(latin, { stream: true }));
    const rejects = join(w.dir, 'harr-utf8-rej.csv');
    const mapping = ['--dry-run', '--mapping', join(PROFILES, 'harrassowitz-de.json')];
    const first = await w.load([...mapping, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.report!.issues.map((p) => p.code)).toContain('invalid_encoding');
    const bytes = readFileSync(rejects);
    expect([...bytes.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    // The whole copy is UTF-8 (its error columns too), as the input was.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).not.toThrow();
    const [inHeader, ...inRows] = lineBytes(readFileSync(input));
    const [outHeader, ...outRows] = lineBytes(bytes);
    expect(outHeader!.subarray(0, inHeader!.length).equals(inHeader!)).toBe(true);
    expect(outRows.length).toBeGreaterThan(0);
    for (const r of outRows) expect(inRows.some((l) => r.subarray(0, l.length).equals(l) && r[l.length] === 0x3b)).toBe(true);
    const again = await w.load([...mapping, rejects]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.report!.issues.map((p) => p.code)).toContain('invalid_encoding');
  });
});

describe('--rejects: a windows-1252 file, and a character of the error columns windows-1252 has none for', () => {
  it('the file is written in windows-1252 without a BOM, its "ü" one byte; the rule\'s "−" becomes "?"; corrected, the same command loads it', async () => {
    w = await world();
    const input = join(w.dir, 'm.csv');
    const csv = [
      'vendor,invoice_number,invoice_date,currency,total_amount,discount,line_number,price,quantity,fund_code,invoice_note',
      'GOBI,G-1,2025-03-01,USD,45.00,1.00,1,50.00,1,HIST,Müller',
    ].join('\n');
    writeFileSync(input, Buffer.from(`${csv}\n`, 'latin1'));
    const rejects = join(w.dir, 'm-rej.csv');
    const cmd = ['--dry-run', '--encoding', 'windows-1252'];
    const first = await w.load([...cmd, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.report!.invoices.flatMap((i) => i.issues).map((p) => p.message).join('\n')).toContain('(lines 50.00 − discount 1.00)');
    const bytes = readFileSync(rejects);
    const text = bytes.toString('latin1');
    expect(text.startsWith(`${csv.split('\n')[0]},error_code,error_message\n`)).toBe(true);
    expect(text).toContain(',HIST,M\xfcller,total_mismatch,');
    expect(text).toContain('(lines 50.00 ? discount 1.00)');
    writeFileSync(rejects, Buffer.from(text.replace('USD,45.00,', 'USD,49.00,'), 'latin1'));
    const again = await w.load([...cmd, rejects]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary).toMatchObject({ invoices: 1, planned: 1 });
  });
});

describe("--rejects: Excel's sep= line on a UTF-8 file read as windows-1252", () => {
  it('the error columns are written as UTF-8 too, so the copy is still UTF-8 and the same command refuses it again', async () => {
    w = await world();
    const input = join(w.dir, 'sep-cafe.csv');
    writeFileSync(input, `sep=,\r\n${SAMPLE.replace('March approval plan', 'Café approval plan')}`);
    const rejects = join(w.dir, 'sep-cafe-rej.csv');
    const cmd = ['--dry-run', '--encoding', 'windows-1252'];
    const first = await w.load([...cmd, '--rejects', rejects, input]);
    expect(first.code, first.stderr).toBe(3);
    const bytes = readFileSync(rejects);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('sep=,\n');
    // The message quotes "é": as windows-1252's one byte 0xE9 it made the copy no UTF-8.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    expect(text).toContain('Café approval plan');
    expect(text).toContain('would be loaded as ""Ã©""');
    const again = await w.load([...cmd, rejects]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.report!.issues.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['invalid_encoding']);
  });
});

describe('--rejects: the title block a profile skips', () => {
  it('comes back with its own line breaks: its last line ends in CRLF as the input has it, not in a lone CR; corrected, the file loads', async () => {
    w = await world();
    const input = join(w.dir, 'eb.csv');
    writeFileSync(input, readFileSync(join(PROFILES, 'ebsco-us.csv'), 'utf8').replaceAll('"1,613.85"', '"1,613.86"'));
    const rejects = join(w.dir, 'eb-rej.csv');
    const mapping = ['--mapping', join(PROFILES, 'ebsco-us.json')];
    expect((await w.load(['--dry-run', ...mapping, '--rejects', rejects, input])).code).toBe(3);
    const text = readFileSync(rejects, 'utf8');
    expect(text).not.toMatch(/\r(?!\n)/);
    expect(text.split('\r\n').slice(0, 4)).toEqual(readFileSync(input, 'utf8').replace(/^\uFEFF/, '').split('\r\n').slice(0, 4).map((l, i) => (i === 0 ? `\uFEFF${l}` : l)));
    writeFileSync(rejects, text.replaceAll('"1,613.86"', '"1,613.85"'));
    const again = await w.load(['--dry-run', ...mapping, rejects]);
    expect(again.code, again.stderr).toBe(0);
  });
});
