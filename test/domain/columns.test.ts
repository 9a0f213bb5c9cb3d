/** Telling a title above the header from the header (domain/columns.ts), as both readers do. */
import { describe, expect, it } from 'vitest';
import { isHeaderLine, isTitleLine } from '../../src/domain/columns.js';

describe('a title line and a header line', () => {
  it.each([
    [['GOBI invoices March 2025'], true, false],
    [['Invoices', ' March 2025', '', ''], true, false],
    [['Generated 2025-03-31'], true, false],
    // Four cells of text are a row or a header of other names, not a title.
    [['a', 'b', 'c', 'd'], false, false],
    // A cell naming a canonical column: not a title.
    [['Vendor'], false, false],
    [['vendor', 'Invoice Number', 'price'], false, true],
    [['invoice-number', 'total amount'], false, true],
    // Canonical names without vendor or invoice_number cannot group invoices: not taken as a header.
    [['price', 'quantity'], false, false],
    [['vendor', 'invoice_number', 'colour'], false, false],
    [['', '', ''], false, false],
  ])('%j: title %s, header %s', (cells, title, header) => {
    expect(isTitleLine(cells)).toBe(title);
    expect(isHeaderLine(cells)).toBe(header);
  });
});
