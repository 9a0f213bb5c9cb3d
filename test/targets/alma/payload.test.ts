import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { stringifyJson } from '../../../src/common/json.js';
import { invoicePayload, linePayload } from '../../../src/targets/alma/payload.js';
import { fullInvoice, invoice, line } from './fixtures.js';

describe('invoicePayload', () => {
  it('writes a full invoice exactly (snapshot of the JSON text)', () => {
    expect(stringifyJson(invoicePayload(fullInvoice()), 2)).toBe(`{
  "number": "INV-2026/001",
  "invoice_date": "2026-01-15Z",
  "invoice_due_date": "2026-02-14Z",
  "vendor": {
    "value": "ACME"
  },
  "vendor_account": "ACME-MAIN",
  "total_amount": 1234.1,
  "currency": {
    "value": "EUR"
  },
  "payment_method": {
    "value": "ACCOUNTINGDEPARTMENT"
  },
  "reference_number": "REF 42",
  "owner": {
    "value": "MAIN"
  },
  "invoice_vat": {
    "report_tax": false,
    "vat_per_invoice_line": false,
    "percentage": 7.7,
    "type": {
      "value": "EXCLUSIVE"
    },
    "expended_from_fund": true
  },
  "additional_charges": {
    "use_pro_rata": true,
    "shipment": 12.5,
    "overhead": 0,
    "insurance": 1.05,
    "discount": -3
  },
  "payment": {
    "prepaid": false,
    "internal_copy": false,
    "export_to_erp": true
  },
  "notes": [
    {
      "content": "Batch 7 \\"spring\\""
    }
  ]
}`);
  });

  it('sends only what is set: a minimal invoice', () => {
    expect(stringifyJson(invoicePayload(invoice('A-1')))).toBe(
      '{"number":"A-1","invoice_date":"2026-01-15Z","vendor":{"value":"ACME"},"total_amount":10}',
    );
  });

  it('never loses a digit of an amount, and never uses an exponent', () => {
    const inv = invoice('A-2', 'ACME', { totalAmount: new Decimal('98765432109876543210.0123456789') });
    expect(stringifyJson(invoicePayload(inv))).toContain('"total_amount":98765432109876543210.0123456789');
    const tiny = invoice('A-3', 'ACME', { totalAmount: new Decimal('1e-7') });
    expect(stringifyJson(invoicePayload(tiny))).toContain('"total_amount":0.0000001');
  });

  it('sends a VAT code alone, or the amount when no percentage is given (never both)', () => {
    const coded = invoicePayload(invoice('A-4', 'ACME', { vat: { code: 'STD', percentage: new Decimal('7.7'), amount: new Decimal('1') } }));
    expect(coded['invoice_vat']).toEqual({ vat_code: { value: 'STD' } });
    const amount = invoicePayload(invoice('A-5', 'ACME', { vat: { amount: new Decimal('1.50') } }));
    expect(stringifyJson(amount['invoice_vat'] ?? null)).toBe('{"vat_amount":1.5}');
    const both = invoicePayload(invoice('A-6', 'ACME', { vat: { percentage: new Decimal('5'), amount: new Decimal('1') } }));
    expect(stringifyJson(both['invoice_vat'] ?? null)).toBe('{"percentage":5}');
  });

  it('never sends output-only fields', () => {
    const text = stringifyJson(invoicePayload(fullInvoice()));
    for (const f of ['"id"', 'total_invoice_lines_amount', 'creation_form', 'invoice_status', 'invoice_workflow_status', 'alert', 'number_of_lines']) {
      expect(text).not.toContain(f);
    }
  });
});

describe('linePayload', () => {
  it('writes full lines exactly', () => {
    const [l1, l2] = fullInvoice().lines;
    expect(stringifyJson(linePayload(l1!))).toBe(
      '{"type":{"value":"REGULAR"},"number":"1","po_line":"POL-0001","price":1000.1,"quantity":1,"price_note":"list price","note":"vol. 1",' +
        '"fund_distribution":[{"fund_code":{"value":"BOOKS"},"percent":60},{"fund_code":{"value":"SERIALS"},"percent":40}],' +
        '"subscription_from_date":"2026-01-01Z","subscription_to_date":"2026-12-31Z","check_subscription_date_overlap":true,' +
        '"reporting_code":{"value":"MONO"},"secondary_reporting_code":{"value":"SEC"},"tertiary_reporting_code":{"value":"TER"},' +
        '"invoice_line_vat":{"vat_code":{"value":"STD"}},"vat_note":"VAT included"}',
    );
    expect(stringifyJson(linePayload(l2!))).toBe(
      '{"type":{"value":"SHIPMENT"},"number":"2","price":0.1,"quantity":2,"fund_distribution":[{"fund_code":{"value":"BOOKS"},"amount":0.2}],' +
        '"additional_info":"freight","fully_invoiced":false,"release_remaining_encumbrance":true,"invoice_line_vat":{"vat_amount":0.01}}',
    );
  });

  it('always sends the line number, and only percent or amount per fund', () => {
    const body = linePayload(line('7', { funds: [{ fundCode: 'F', percent: new Decimal('100'), amount: new Decimal('5'), source: { file: 'f', row: 1 } }] }));
    expect(body['number']).toBe('7');
    expect(stringifyJson(body['fund_distribution'] ?? null)).toBe('[{"fund_code":{"value":"F"},"percent":100}]');
    expect(stringifyJson(linePayload(line('8', { funds: [] })))).toBe('{"number":"8"}');
  });
});
