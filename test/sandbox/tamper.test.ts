import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/common/json.js';
import { tamper } from '../../src/sandbox/tamper.js';
import { sandboxOptions } from '../../src/cli/sandbox-command.js';

const invoice = parseJson('{"number":"A-1","invoice_date":"2025-03-03Z","total_amount":10.5,"currency":{"value":"USD"},"notes":[{"content":"spring"}],"payment":{"prepaid":false}}');
const line = parseJson('{"number":"1","price":10.5,"quantity":2,"note":"vol. 1","fund_distribution":[{"fund_code":{"value":"BIO"},"percent":100}]}');
const none = { dropFields: [], alterFields: [] };

describe('the sandbox stores a field differently from what was sent (for the canary)', () => {
  it('drops nothing by default', () => {
    expect(tamper(invoice, 'invoice', none)).toBe(invoice);
  });

  it.each([
    ['note drops the note list under either name', { ...none, dropFields: ['note'] }, 'invoice', '{"number":"A-1","invoice_date":"2025-03-03Z","total_amount":10.5,"currency":{"value":"USD"},"payment":{"prepaid":false}}'],
    ['a line field is named line.<key> and leaves the invoice alone', { ...none, dropFields: ['line.note'] }, 'invoice', stringifyJson(invoice)],
    ['alter: a number + 1, a date a day later, a code changed, a note changed, a flag flipped', { ...none, alterFields: ['total_amount', 'invoice_date', 'currency', 'notes', 'payment'] }, 'invoice', '{"number":"A-1","invoice_date":"2025-03-04Z","total_amount":11.5,"currency":{"value":"USD (altered)"},"notes":[{"content":"spring (altered)"}],"payment":{"prepaid":true}}'],
    ['line.price alters the line price only', { ...none, alterFields: ['line.price'] }, 'line', '{"number":"1","price":11.5,"quantity":2,"note":"vol. 1","fund_distribution":[{"fund_code":{"value":"BIO"},"percent":100}]}'],
    ['line.fund_distribution dropped', { ...none, dropFields: ['line.fund_distribution'] }, 'line', '{"number":"1","price":10.5,"quantity":2,"note":"vol. 1"}'],
  ] as const)('%s', (_name, cfg, kind, expected) => {
    expect(stringifyJson(tamper(kind === 'invoice' ? invoice : line, kind, cfg))).toBe(expected);
  });

  it('invoice-load sandbox --drop-field / --alter-field take comma lists', () => {
    expect(sandboxOptions({ dropField: 'note, line.price', alterField: 'total_amount' })).toMatchObject({ dropFields: ['note', 'line.price'], alterFields: ['total_amount'] });
  });
});
