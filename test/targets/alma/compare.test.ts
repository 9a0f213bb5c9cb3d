import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson, type JsonValue } from '../../../src/common/json.js';
import { invoicePayload, linePayload } from '../../../src/targets/alma/payload.js';
import { compareStored, coveringLines, fieldPaths, hasLines, heldDifferences, heldLineDifferences, NOTHING } from '../../../src/targets/alma/compare.js';
import { fullInvoice } from './fixtures.js';

type Obj = { [k: string]: JsonValue };

/** What Alma answers for the full invoice (or `inv`), built from what was sent, the way Alma writes it back. */
function storedAnswer(inv = fullInvoice()): Obj {
  const sent = parseJson(stringifyJson(invoicePayload(inv))) as Obj;
  const lines = inv.lines.map((l) => parseJson(stringifyJson(linePayload(l))) as Obj);
  // Alma's ways: dates with Z, codes wrapped with desc, notes with more fields, both fund shares, amounts as strings.
  const notes = (sent['notes'] as Obj[]).map((n) => ({ ...n, creation_date: '2026-01-15Z', type: { value: 'GENERAL' } }));
  delete sent['notes'];
  for (const l of lines) {
    l['fund_distribution'] = (l['fund_distribution'] as Obj[]).map((f) => ({
      fund_code: { value: (f['fund_code'] as Obj)['value']!, desc: 'A fund' },
      percent: f['percent'] ?? '100',
      amount: f['amount'] ?? '600.06',
    }));
    l['id'] = '99' + String(l['number']);
  }
  return {
    ...sent,
    id: '5310000000123',
    total_amount: '1234.10',
    currency: { value: 'EUR', desc: 'Euro' },
    note: notes,
    invoice_lines: { total_record_count: String(lines.length), invoice_line: lines },
  };
}

const sent = (): { invoice: ReturnType<typeof invoicePayload>; lines: ReturnType<typeof linePayload>[] } => {
  const inv = fullInvoice();
  return { invoice: invoicePayload(inv), lines: inv.lines.map(linePayload) };
};

const lineOf = (a: Obj, n: number): Obj => ((a['invoice_lines'] as Obj)['invoice_line'] as Obj[])[n]!;

describe('compareStored (the canary and verify)', () => {
  it('finds nothing when Alma stored every field as sent (in its own notation)', () => {
    expect(compareStored(sent(), storedAnswer())).toEqual([]);
  });

  const cases: { name: string; change: (a: Obj) => void; expected: { field: string; sent: string; stored: string; tolerated?: true }[] }[] = [
    { name: 'the note dropped (neither note nor notes)', change: (a) => delete a['note'], expected: [{ field: 'note', sent: '"Batch 7 \\"spring\\""', stored: NOTHING }] },
    {
      name: 'the note under `notes` instead of `note` is the same note',
      change: (a) => {
        a['notes'] = a['note']!;
        delete a['note'];
      },
      expected: [],
    },
    {
      name: 'the note inside its wrapper, as XML has it (notes: {note: [...]}) is the same note',
      change: (a) => {
        a['notes'] = { note: a['note']! };
        delete a['note'];
      },
      expected: [],
    },
    {
      name: 'one note inside its wrapper (notes: {note: {...}}) is the same note',
      change: (a) => {
        a['notes'] = { note: (a['note'] as Obj[])[0]! };
        delete a['note'];
      },
      expected: [],
    },
    { name: 'another note text inside the wrapper', change: (a) => (a['notes'] = { note: [{ content: 'Batch 7' }] }) && delete a['note'], expected: [{ field: 'note', sent: '"Batch 7 \\"spring\\""', stored: '"Batch 7"' }] },
    { name: 'the lines as a plain array under the wrapper name (invoice_lines: [...])', change: (a) => (a['invoice_lines'] = (a['invoice_lines'] as Obj)['invoice_line']!), expected: [] },
    { name: 'another note text', change: (a) => (a['note'] = [{ content: 'Batch 7' }]), expected: [{ field: 'note', sent: '"Batch 7 \\"spring\\""', stored: '"Batch 7"' }] },
    { name: 'a total that differs as a decimal', change: (a) => (a['total_amount'] = '1234.11'), expected: [{ field: 'total_amount', sent: '1234.1', stored: '"1234.11"' }] },
    { name: 'a total written as a JSON number with trailing zeros is the same', change: (a) => (a['total_amount'] = parseJson('1234.100')), expected: [] },
    { name: 'a date a day later', change: (a) => (a['invoice_date'] = '2026-01-16Z'), expected: [{ field: 'invoice_date', sent: '"2026-01-15Z"', stored: '"2026-01-16Z"' }] },
    { name: 'a date without its Z is the same day', change: (a) => (a['invoice_date'] = '2026-01-15'), expected: [] },
    { name: 'a code changed', change: (a) => (a['currency'] = { value: 'USD', desc: 'US Dollar' }), expected: [{ field: 'currency', sent: '"EUR"', stored: '"USD"' }] },
    { name: 'a nested boolean flipped', change: (a) => ((a['payment'] as Obj)['export_to_erp'] = false), expected: [{ field: 'payment.export_to_erp', sent: 'true', stored: 'false' }] },
    { name: 'a nested amount missing', change: (a) => delete (a['additional_charges'] as Obj)['insurance'], expected: [{ field: 'additional_charges.insurance', sent: '1.05', stored: NOTHING }] },
    // A real answer (sample 01) leaves these out although the invoice holds them: absent is no difference, another value is.
    { name: 'vendor_account not shown', change: (a) => delete a['vendor_account'], expected: [] },
    { name: 'payment.export_to_erp not shown', change: (a) => delete (a['payment'] as Obj)['export_to_erp'], expected: [] },
    { name: 'another vendor_account', change: (a) => (a['vendor_account'] = 'OTHER'), expected: [{ field: 'vendor_account', sent: expect.any(String) as unknown as string, stored: '"OTHER"' }] },
    { name: 'a line price', change: (a) => (lineOf(a, 0)['price'] = parseJson('1000.01')), expected: [{ field: 'line 1 price', sent: '1000.1', stored: '1000.01' }] },
    { name: 'a line quantity', change: (a) => (lineOf(a, 1)['quantity'] = parseJson('3')), expected: [{ field: 'line 2 quantity', sent: '2', stored: '3' }] },
    { name: 'a line type', change: (a) => (lineOf(a, 1)['type'] = { value: 'REGULAR', desc: 'Regular' }), expected: [{ field: 'line 2 type', sent: '"SHIPMENT"', stored: '"REGULAR"' }] },
    { name: 'a PO line', change: (a) => (lineOf(a, 0)['po_line'] = 'POL-0002'), expected: [{ field: 'line 1 po_line', sent: '"POL-0001"', stored: '"POL-0002"' }] },
    { name: 'a line number Alma renumbered', change: (a) => (lineOf(a, 1)['number'] = '3'), expected: [{ field: 'line 2', sent: 'line 2', stored: NOTHING }] },
    {
      name: 'a fund percent',
      change: (a) => (((lineOf(a, 0)['fund_distribution'] as Obj[])[1] as Obj)['percent'] = parseJson('50')),
      expected: [{ field: 'line 1 fund_distribution SERIALS percent', sent: '40', stored: '50' }],
    },
    {
      name: 'a fund dropped and another put in its place',
      change: (a) => ((((lineOf(a, 0)['fund_distribution'] as Obj[])[1] as Obj)['fund_code'] as Obj)['value'] = 'OTHER'),
      expected: [
        { field: 'line 1 fund_distribution SERIALS', sent: 'SERIALS 40%', stored: 'BOOKS 60%, OTHER 40%' },
        { field: 'line 1 fund_distribution OTHER', sent: NOTHING, stored: 'OTHER 40%' },
      ],
    },
    { name: 'a fund amount (the share sent) differs', change: (a) => (((lineOf(a, 1)['fund_distribution'] as Obj[])[0] as Obj)['amount'] = '0.21'), expected: [{ field: 'line 2 fund_distribution BOOKS amount', sent: '0.2', stored: '"0.21"' }] },
    // Alma may write its own VAT note (sample 01): a difference there is said, not a stop (`tolerated`).
    { name: 'a line VAT note dropped', change: (a) => delete lineOf(a, 0)['vat_note'], expected: [{ field: 'line 1 vat_note', sent: '"VAT included"', stored: NOTHING, tolerated: true }] },
    {
      name: "a line VAT note in Alma's own words (sample 01), beside a price that differs",
      change: (a) => {
        lineOf(a, 0)['vat_note'] = 'Approximately 0.00 included in line Total Price.';
        lineOf(a, 0)['price'] = parseJson('1000.01');
      },
      expected: [
        { field: 'line 1 price', sent: '1000.1', stored: '1000.01' },
        { field: 'line 1 vat_note', sent: '"VAT included"', stored: '"Approximately 0.00 included in line Total Price."', tolerated: true },
      ],
    },
    { name: 'a subscription date', change: (a) => (lineOf(a, 0)['subscription_to_date'] = ''), expected: [{ field: 'line 1 subscription_to_date', sent: '"2026-12-31Z"', stored: NOTHING }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = storedAnswer();
      c.change(a);
      expect(compareStored(sent(), a)).toEqual(c.expected);
    });
  }

  it('takes the lines from a separate list when the answer has none inline', () => {
    const a = storedAnswer();
    const lines = (a['invoice_lines'] as Obj)['invoice_line'] as Obj[];
    delete a['invoice_lines'];
    expect(compareStored(sent(), a, lines)).toEqual([]);
    expect(compareStored(sent(), a, [])).toEqual([
      { field: 'line 1', sent: 'line 1', stored: NOTHING },
      { field: 'line 2', sent: 'line 2', stored: NOTHING },
    ]);
  });
});

describe('a field the answer leaves out: no difference when what was sent is its default, a difference otherwise', () => {
  type Case = [string, (inv: ReturnType<typeof fullInvoice>) => void, (a: Obj) => void, { field: string; sent: string; stored: string }[]];
  const pay = (a: Obj): Obj => a['payment'] as Obj;
  const vat = (a: Obj): Obj => a['invoice_vat'] as Obj;
  const charges = (a: Obj): Obj => a['additional_charges'] as Obj;
  const keep = (): void => undefined;
  it.each<Case>([
    // Defaults sent, left out (no key, null, blank): the invoice holds what was sent.
    ['prepaid false, no key', keep, (a) => delete pay(a)['prepaid'], []],
    ['internal_copy false, null', keep, (a) => (pay(a)['internal_copy'] = null), []],
    ['report_tax and vat_per_invoice_line false, no keys', keep, (a) => delete vat(a)['report_tax'] && delete vat(a)['vat_per_invoice_line'], []],
    ['a charge of 0, no key', keep, (a) => delete charges(a)['overhead'], []],
    ['a charge of 0, blank', keep, (a) => (charges(a)['overhead'] = ''), []],
    ['line fully_invoiced false, no key', keep, (a) => delete lineOf(a, 1)['fully_invoiced'], []],
    ['line check_subscription_date_overlap true (its documented default), no key', keep, (a) => delete lineOf(a, 0)['check_subscription_date_overlap'], []],
    ['a line VAT percentage of 0, no key', (inv) => (inv.lines[1]!.vat = { percentage: new Decimal('0') }), (a) => delete (lineOf(a, 1)['invoice_line_vat'] as Obj)['percentage'], []],
    ['the whole payment left out: flags off, export_to_erp not always shown', keep, (a) => delete a['payment'], []],
    // Not the default: left out is a difference.
    ['expended_from_fund true, no key', keep, (a) => delete vat(a)['expended_from_fund'], [{ field: 'invoice_vat.expended_from_fund', sent: 'true', stored: NOTHING }]],
    ['use_pro_rata true, null', keep, (a) => (charges(a)['use_pro_rata'] = null), [{ field: 'additional_charges.use_pro_rata', sent: 'true', stored: NOTHING }]],
    ['a charge of 12.5, blank', keep, (a) => (charges(a)['shipment'] = ''), [{ field: 'additional_charges.shipment', sent: '12.5', stored: NOTHING }]],
    ['line release_remaining_encumbrance true, no key', keep, (a) => delete lineOf(a, 1)['release_remaining_encumbrance'], [{ field: 'line 2 release_remaining_encumbrance', sent: 'true', stored: NOTHING }]],
    [
      'line check_subscription_date_overlap false (not its default), no key',
      (inv) => (inv.lines[0]!.checkSubscriptionDateOverlap = false),
      (a) => delete lineOf(a, 0)['check_subscription_date_overlap'],
      [{ field: 'line 1 check_subscription_date_overlap', sent: 'false', stored: NOTHING }],
    ],
    ['the whole additional_charges left out, with charges other than 0', keep, (a) => delete a['additional_charges'], [{ field: 'additional_charges', sent: 'set', stored: NOTHING }]],
    // Shown otherwise: a difference, default or not.
    ['prepaid false sent, true stored', keep, (a) => (pay(a)['prepaid'] = true), [{ field: 'payment.prepaid', sent: 'false', stored: 'true' }]],
    ['use_pro_rata true sent, false stored', keep, (a) => (charges(a)['use_pro_rata'] = false), [{ field: 'additional_charges.use_pro_rata', sent: 'true', stored: 'false' }]],
    ['a charge of 0 sent, 5 stored', keep, (a) => (charges(a)['overhead'] = '5'), [{ field: 'additional_charges.overhead', sent: '0', stored: '"5"' }]],
    ['line fully_invoiced false sent, true stored', keep, (a) => (lineOf(a, 1)['fully_invoiced'] = true), [{ field: 'line 2 fully_invoiced', sent: 'false', stored: 'true' }]],
  ])('%s', (_name, changeSent, changeAnswer, expected) => {
    const inv = fullInvoice();
    changeSent(inv);
    const a = storedAnswer(inv);
    changeAnswer(a);
    expect(compareStored({ invoice: invoicePayload(inv), lines: inv.lines.map(linePayload) }, a)).toEqual(expected);
  });
});

describe('fund distributions: the share sent is what counts (sample 04 answers "percent": null beside the amount)', () => {
  const funds = (a: Obj, line: number): Obj[] => lineOf(a, line)['fund_distribution'] as Obj[];
  it.each<[string, (a: Obj) => void, { field: string; sent: string; stored: string }[]]>([
    ['sent as an amount, answered with percent null and the amount', (a) => (funds(a, 1)[0]!['percent'] = null), []],
    ['sent as a percent, answered with amount null and the percent', (a) => (funds(a, 0)[0]!['amount'] = null), []],
    ['sent as a percent, answered with neither key but the amount', (a) => delete funds(a, 0)[0]!['percent'], [{ field: 'line 1 fund_distribution BOOKS percent', sent: '60', stored: NOTHING }]],
    ['sent as a percent, answered with percent null', (a) => (funds(a, 0)[0]!['percent'] = null), [{ field: 'line 1 fund_distribution BOOKS percent', sent: '60', stored: NOTHING }]],
    ['sent as an amount, answered with amount null', (a) => (funds(a, 1)[0]!['amount'] = null), [{ field: 'line 2 fund_distribution BOOKS amount', sent: '0.2', stored: NOTHING }]],
    ['sent as an amount, another amount answered beside percent null', (a) => Object.assign(funds(a, 1)[0]!, { percent: null, amount: '0.3' }), [{ field: 'line 2 fund_distribution BOOKS amount', sent: '0.2', stored: '"0.3"' }]],
    [
      'another fund in its place, answered with percent null: shown by its amount',
      (a) => (funds(a, 1)[0] = { fund_code: { value: 'HIST' }, percent: null, amount: '0.2' }),
      [
        { field: 'line 2 fund_distribution BOOKS', sent: 'BOOKS 0.2', stored: 'HIST 0.2' },
        { field: 'line 2 fund_distribution HIST', sent: NOTHING, stored: 'HIST 0.2' },
      ],
    ],
  ])('%s', (_name, change, expected) => {
    const a = storedAnswer();
    change(a);
    expect(compareStored(sent(), a)).toEqual(expected);
  });
});

describe('text as a server stores it: line breaks and Unicode form are no difference, other changes are', () => {
  it.each<[string, string, string, boolean]>([
    ['CRLF stored as LF (as an XML parser reads it)', 'Batch 7\r\nspring', 'Batch 7\nspring', false],
    ['a lone CR stored as LF', 'Batch 7\rspring', 'Batch 7\nspring', false],
    ['LF sent, CRLF answered', 'Batch 7\nspring', 'Batch 7\r\nspring', false],
    ['a decomposed é stored composed (NFC)', 'Cafe\u0301 7', 'Caf\u00e9 7', false],
    ['a composed é answered decomposed', 'Caf\u00e9 7', 'Cafe\u0301 7', false],
    ['a line break dropped', 'Batch 7\r\nspring', 'Batch 7 spring', true],
    ['an accent dropped', 'Caf\u00e9 7', 'Cafe 7', true],
    ['the text really changed', 'Batch 7', 'Batch 8', true],
  ])('%s', (_name, ours, theirs, differs) => {
    const inv = fullInvoice();
    inv.header.note = ours;
    inv.header.referenceNumber = ours;
    inv.lines[0]!.note = ours;
    const a = storedAnswer(inv);
    (a['note'] as Obj[])[0]!['content'] = theirs;
    a['reference_number'] = theirs;
    lineOf(a, 0)['note'] = theirs;
    const diffs = compareStored({ invoice: invoicePayload(inv), lines: inv.lines.map(linePayload) }, a);
    expect(diffs.map((d) => d.field)).toEqual(differs ? ['reference_number', 'note', 'line 1 note'] : []);
    // A difference shows the texts as they are, not normalised.
    if (differs) expect(diffs[1]).toEqual({ field: 'note', sent: JSON.stringify(ours), stored: JSON.stringify(theirs) });
  });
});

describe('the lines the canary reads back (coveringLines)', () => {
  const body = (number: string, extra: Record<string, unknown> = {}) => ({ number, price: '10', fund_distribution: [{ fund_code: { value: 'F' }, percent: '100' }], ...extra }) as Obj as ReturnType<typeof linePayload>;
  const cases: { name: string; lines: ReturnType<typeof linePayload>[]; expected: string[] }[] = [
    { name: 'lines alike: the first alone', lines: [body('1'), body('2'), body('3')], expected: ['1'] },
    { name: 'one line', lines: [body('1')], expected: ['1'] },
    { name: 'a later line carries a note the first does not: up to it', lines: [body('1'), body('2'), body('3', { note: 'n' }), body('4')], expected: ['1', '2', '3'] },
    {
      name: 'a fund share as an amount is a field of its own',
      lines: [body('1'), body('2', { fund_distribution: [{ fund_code: { value: 'F' }, amount: '5' }] })],
      expected: ['1', '2'],
    },
    { name: 'a nested field (VAT code) counts', lines: [body('1'), body('2', { invoice_line_vat: { vat_code: { value: 'STD' } } })], expected: ['1', '2'] },
    { name: 'the first carries every field the others do', lines: [body('1', { note: 'n', quantity: 2 }), body('2'), body('3', { note: 'm' })], expected: ['1'] },
    { name: 'no lines', lines: [], expected: [] },
  ];
  for (const c of cases) it(c.name, () => expect(coveringLines(c.lines)).toEqual(c.expected));

  it('names every path to a value, arrays as []', () => {
    expect(fieldPaths(linePayload(fullInvoice().lines[0]!)).sort()).toContain('fund_distribution[].fund_code.value');
    expect(fieldPaths({ a: { b: '1', c: [{ d: true }, { e: 2 }] } } as Obj as ReturnType<typeof linePayload>)).toEqual(['a.b', 'a.c[].d', 'a.c[].e']);
  });

  it('a read-back of only some lines compares only those', () => {
    const a = storedAnswer();
    const all = sent();
    ((a['invoice_lines'] as Obj)['invoice_line'] as Obj[]).splice(1);
    expect(compareStored({ invoice: all.invoice, lines: all.lines.slice(0, 1) }, a)).toEqual([]);
    expect(hasLines(a, ['1'])).toBe(true);
    expect(hasLines(a, ['1', '2'])).toBe(false);
  });
});

describe('heldDifferences (an invoice Alma already holds, against the file)', () => {
  /** A brief answer: the stored invoice without its lines. */
  const held = (change: (a: Obj) => void = () => undefined): Obj => {
    const a = storedAnswer();
    delete a['invoice_lines'];
    change(a);
    return a;
  };
  const body = () => invoicePayload(fullInvoice());

  it.each<[string, (a: Obj) => void, { field: string; sent: string; stored: string }[]]>([
    ['the same invoice, in Alma\'s notation', () => undefined, []],
    ['another note', (a) => (a['note'] = [{ content: 'Batch 6' }]), [{ field: 'note', sent: '"Batch 7 \\"spring\\""', stored: '"Batch 6"' }]],
    ['the note inside its wrapper (notes: {note: [...]})', (a) => (a['notes'] = { note: a['note']! }) && delete a['note'], []],
    ['another note inside its wrapper', (a) => (a['notes'] = { note: [{ content: 'Batch 6' }] }) && delete a['note'], [{ field: 'note', sent: '"Batch 7 \\"spring\\""', stored: '"Batch 6"' }]],
    ['the note among others added in Alma', (a) => (a['note'] = [{ content: 'checked by JS' }, ...(a['note'] as Obj[])]), []],
    ['another invoice date', (a) => (a['invoice_date'] = '2026-01-16Z'), [{ field: 'invoice_date', sent: '"2026-01-15Z"', stored: '"2026-01-16Z"' }]],
    ['another reference number', (a) => (a['reference_number'] = 'REF 41'), [{ field: 'reference_number', sent: '"REF 42"', stored: '"REF 41"' }]],
    ['no reference number held (empty)', (a) => (a['reference_number'] = ''), [{ field: 'reference_number', sent: '"REF 42"', stored: NOTHING }]],
    ['another payment method', (a) => (a['payment_method'] = { value: 'CREDITCARD', desc: 'Credit card' }), [{ field: 'payment_method', sent: '"ACCOUNTINGDEPARTMENT"', stored: '"CREDITCARD"' }]],
    // A brief answer may leave a field out: not compared (the canary is what finds a field dropped).
    ['the note not in the answer', (a) => delete a['note'], []],
    ['the due date not in the answer', (a) => delete a['invoice_due_date'], []],
    // Not compared: the total (another total is another invoice: EXISTS_DIFFERENT), VAT, charges, payment flags.
    ['another total', (a) => (a['total_amount'] = '99'), []],
    ['VAT computed by Alma', (a) => (a['invoice_vat'] = { percentage: '8', vat_amount: '95.03' }), []],
    ['export to ERP changed as the invoice moved on', (a) => (a['payment'] = { export_to_erp: false }), []],
  ])('%s', (_name, change, expected) => {
    expect(heldDifferences(body(), held(change))).toEqual(expected);
  });

  it('a field the file leaves empty is not compared', () => {
    const inv = fullInvoice();
    delete inv.header.referenceNumber;
    expect(heldDifferences(invoicePayload(inv), held((a) => (a['reference_number'] = 'REF 41')))).toEqual([]);
  });
});

describe('heldLineDifferences (the lines Alma holds under a found invoice, against the file)', () => {
  const sentLines = () => fullInvoice().lines.map(linePayload);
  const heldLines = (change: (lines: Obj[]) => void = () => undefined): Obj[] => {
    const lines = ((storedAnswer()['invoice_lines'] as Obj)['invoice_line'] as Obj[]).map((l) => ({ ...l }));
    change(lines);
    return lines;
  };

  it.each<[string, (lines: Obj[]) => void, { field: string; sent: string; stored: string }[]]>([
    ['the same lines, in Alma\'s notation', () => undefined, []],
    ['another fund on line 1', (l) => (l[0]!['fund_distribution'] = [{ fund_code: { value: 'HIST' }, percent: '100', amount: '1000.1' }]), [
      { field: 'line 1 fund_distribution BOOKS', sent: 'BOOKS 60%', stored: 'HIST 100%' },
      { field: 'line 1 fund_distribution SERIALS', sent: 'SERIALS 40%', stored: 'HIST 100%' },
      { field: 'line 1 fund_distribution HIST', sent: NOTHING, stored: 'HIST 100%' },
    ]],
    ['another note on line 1', (l) => (l[0]!['note'] = 'old note'), [{ field: 'line 1 note', sent: '"vol. 1"', stored: '"old note"' }]],
    // A line Alma does not hold yet is the load's to add, not a difference.
    ['line 2 not held yet', (l) => l.splice(1, 1), []],
    // Fields the listing does not carry, and the flags and VAT Alma may set, are not compared.
    ['the price not in the listing', (l) => delete l[0]!['price'], []],
    ['the VAT set otherwise by Alma', (l) => (l[0]!['invoice_line_vat'] = { vat_code: { value: 'RED' }, percentage: '2.5', vat_amount: '25' }), []],
    ['fully invoiced, encumbrance and overlap flags set by Alma', (l) => {
      l[0]!['check_subscription_date_overlap'] = false;
      l[1]!['fully_invoiced'] = true;
      l[1]!['release_remaining_encumbrance'] = false;
    }, []],
  ])('%s', (_name, change, expected) => {
    expect(heldLineDifferences(sentLines(), heldLines(change))).toEqual(expected);
  });
});
