/**
 * Which invoices the target already holds with another total, decided before the first write
 * (engine/existing.ts): a pure table.
 */
import { describe, expect, it } from 'vitest';
import { existingProblems } from '../../src/engine/existing.js';
import { holdsOtherTotal } from '../../src/targets/matches.js';
import { keyString } from '../../src/domain/model.js';
import type { RemoteInvoice } from '../../src/targets/target.js';
import { makeInvoice } from '../helpers/fake-target.js';

const inv = makeInvoice('ACME', 'INV-1', 2, '114.00');
const remote = (id: string, totalAmount?: string, workflowStatus?: string): RemoteInvoice => ({
  id,
  number: 'INV-1',
  vendor: 'ACME',
  alerts: [],
  processed: false,
  inReview: false,
  ...(totalAmount !== undefined ? { totalAmount } : {}),
  ...(workflowStatus !== undefined ? { workflowStatus } : {}),
});

describe('holdsOtherTotal', () => {
  it.each([
    ['the same total as Alma answers it (a double drops the zeros)', '114', false],
    ['the same total with its zeros', '114.00', false],
    ['a double beyond its 15 significant digits', '114.000000000000001', false],
    ['another total', '115.00', true],
    ['a cent more', '114.01', true],
    ['a total that is not a number', 'n/a', true],
  ])('%s', (_what, total, other) => {
    expect(holdsOtherTotal(remote('1', total), inv)).toBe(other);
  });

  it('no total in the answer: nothing to compare, so not another invoice', () => {
    expect(holdsOtherTotal(remote('1'), inv)).toBe(false);
  });

  it('a blank total (an answer with "total_amount": "") is unknown, not another invoice', () => {
    expect(holdsOtherTotal(remote('1', ''), inv)).toBe(false);
    expect(holdsOtherTotal(remote('1', ' '), inv)).toBe(false);
  });
});

describe('existingProblems', () => {
  const found = (...matches: RemoteInvoice[]) => new Map([[keyString(inv.key), matches]]);

  it('nothing for an invoice not found, found with its total, or not looked up', () => {
    expect(existingProblems([inv], found(), 'Alma').size).toBe(0);
    expect(existingProblems([inv], found(remote('1', '114')), 'Alma').size).toBe(0);
    expect(existingProblems([inv], new Map(), 'Alma').size).toBe(0);
  });

  it('nothing for an invoice found with a blank total: unknown is not another total', () => {
    expect(existingProblems([inv], found(remote('1', '')), 'Alma').size).toBe(0);
  });

  it('one error at the invoice\'s first row and invoice_number, saying both totals, the id and what happens', () => {
    const problems = existingProblems([inv], found(remote('53100000030004146', '95', 'In Review')), 'Alma');
    expect(problems.get(keyString(inv.key))).toEqual([
      {
        file: 't.csv',
        row: 2,
        column: 'invoice_number',
        code: 'invoice_exists',
        severity: 'error',
        message:
          'Alma already holds invoice INV-1 of vendor ACME (id 53100000030004146, In Review) with total 95.00, this file says 114.00; ' +
          "a load leaves Alma's invoice unchanged and does not send this one (EXISTS_DIFFERENT) — check it in Alma, or fix the file",
      },
    ]);
  });

  it('matches the target marks as not made by the loader (FOLIO: not its id) are held back whatever their total; beside ours, ours decides', () => {
    const theirs = (id: string, total?: string): RemoteInvoice => ({ ...remote(id, total, 'Open'), notOurs: true });
    const one = existingProblems([inv], found(theirs('00000000-0000-4000-8000-000000000001')), 'FOLIO').get(keyString(inv.key));
    expect(one).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'invoice_number',
        code: 'invoice_exists',
        severity: 'error',
        message:
          'an invoice INV-1 of vendor ACME already exists in FOLIO (id 00000000-0000-4000-8000-000000000001, Open) that invoice-load did not create; ' +
          'it was left as it is, and this one was not sent (EXISTS_NOT_OURS) — check it in FOLIO: if it is this invoice, take it out of the file; if not, correct the number in the file',
      }),
    ]);
    // The same total changes nothing: only the id tells ours.
    expect(existingProblems([inv], found(theirs('a', '114')), 'FOLIO').get(keyString(inv.key))![0]!.message).toMatch(/^an invoice INV-1 .* did not create/);
    expect(existingProblems([inv], found(theirs('a', '114'), theirs('b')), 'FOLIO').get(keyString(inv.key))![0]!.message).toMatch(
      /^2 invoices INV-1 of vendor ACME already exist in FOLIO \(id a, Open; b, Open\) that invoice-load did not create; they were left as they are/,
    );
    // Ours beside theirs: ours is adopted, theirs left alone (the load warns several_found).
    expect(existingProblems([inv], found(theirs('0', '95'), remote('z', '114')), 'FOLIO').size).toBe(0);
    expect(existingProblems([inv], found(theirs('0', '114'), remote('z', '95')), 'FOLIO').get(keyString(inv.key))![0]!.message).toMatch(/\(id z\) with total 95\.00/);
  });

  it('among several matches (invoice_not_unique), the oldest decides, as the load adopts it', () => {
    // 9… is older than 10…: ids compare by length, then text, never as numbers.
    expect(existingProblems([inv], found(remote('10000000000000000002', '95'), remote('9000000000000000001', '114')), 'Alma').size).toBe(0);
    expect(existingProblems([inv], found(remote('10000000000000000002', '114'), remote('9000000000000000001', '95')), 'FOLIO').get(keyString(inv.key))![0]!.message).toMatch(
      /^FOLIO already holds invoice INV-1 of vendor ACME \(id 9000000000000000001\) with total 95\.00/,
    );
  });
});
