/** Canonical invoices for the Alma target tests. */
import { Decimal } from 'decimal.js';
import type { Invoice, InvoiceLine } from '../../../src/domain/model.js';

const src = { file: 'batch.csv', row: 2 };
const d = (s: string): Decimal => new Decimal(s);

export function line(number: string, over: Partial<InvoiceLine> = {}): InvoiceLine {
  return { number, funds: [{ fundCode: 'BOOKS', percent: d('100'), source: src }], vat: {}, rows: [src], ...over };
}

export function invoice(number: string, vendor = 'ACME', over: Partial<Invoice['header']> = {}, lines: InvoiceLine[] = [line('1', { price: d('10.00') })]): Invoice {
  return {
    key: { vendor, number },
    header: { number, date: '2026-01-15', vendor, totalAmount: d('10.00'), vat: {}, charges: {}, payment: {}, ...over },
    lines,
    rows: [src],
  };
}

/** Every field the payload builder knows, set. */
export function fullInvoice(): Invoice {
  return invoice(
    'INV-2026/001',
    'ACME',
    {
      vendorAccount: 'ACME-MAIN',
      totalAmount: d('1234.10'),
      currency: 'EUR',
      dueDate: '2026-02-14',
      paymentMethod: 'ACCOUNTINGDEPARTMENT',
      referenceNumber: 'REF 42',
      owner: 'MAIN',
      vat: { type: 'EXCLUSIVE', percentage: d('7.70'), perInvoiceLine: false, expendedFromFund: true, reportTax: false },
      charges: { useProRata: true, shipment: d('12.50'), overhead: d('0'), insurance: d('1.05'), discount: d('-3.00') },
      payment: { prepaid: false, internalCopy: false, exportToErp: true },
      note: 'Batch 7 "spring"',
    },
    [
      line('1', {
        type: 'REGULAR',
        poLine: 'POL-0001',
        price: d('1000.10'),
        quantity: 1,
        priceNote: 'list price',
        note: 'vol. 1',
        funds: [
          { fundCode: 'BOOKS', percent: d('60'), source: src },
          { fundCode: 'SERIALS', percent: d('40.0'), source: src },
        ],
        subscriptionFromDate: '2026-01-01',
        subscriptionToDate: '2026-12-31',
        checkSubscriptionDateOverlap: true,
        reportingCode: 'MONO',
        secondaryReportingCode: 'SEC',
        tertiaryReportingCode: 'TER',
        vat: { code: 'STD', percentage: d('7.7'), note: 'VAT included' },
      }),
      line('2', {
        type: 'SHIPMENT',
        price: d('0.10'),
        quantity: 2,
        funds: [{ fundCode: 'BOOKS', amount: d('0.20'), source: src }],
        additionalInfo: 'freight',
        fullyInvoiced: false,
        releaseRemainingEncumbrance: true,
        vat: { amount: d('0.01') },
      }),
    ],
  );
}
