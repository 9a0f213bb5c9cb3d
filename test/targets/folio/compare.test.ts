/** Whether a line FOLIO holds is the line the loader sent (compare.ts): the fields that make the line, table-driven. */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../src/common/json.js';
import { lineDifferences } from '../../../src/targets/folio/compare.js';

const INV = '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3';
const PO = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70004';
const sent = {
  id: '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0',
  invoiceId: INV,
  description: 'Journal of Library History (2027)',
  invoiceLineStatus: 'Open',
  subTotal: new Decimal('500.00'),
  quantity: 1,
  releaseEncumbrance: true,
  poLineId: PO,
  fundDistributions: [
    { fundId: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d404', code: 'GENRL', distributionType: 'percentage', value: new Decimal(60) },
    { fundId: '7b1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d403', code: 'ENG', distributionType: 'percentage', value: new Decimal(40) },
  ],
};
/** The line as FOLIO answers it: its own fields added, amounts as JSON numbers. */
const stored = (patch: Record<string, unknown> = {}, drop: string[] = []) => {
  const o: Record<string, unknown> = {
    ...JSON.parse(JSON.stringify(sent)),
    subTotal: 500,
    invoiceLineNumber: '10004-1',
    invoiceLineStatus: 'Approved',
    total: 495,
    adjustmentsTotal: -5,
    description: 'edited in FOLIO',
    ...patch,
  };
  (o['fundDistributions'] as Record<string, unknown>[]).forEach((f) => (f['value'] = Number(f['value'])));
  for (const k of drop) delete o[k];
  return parseJson(JSON.stringify(o));
};

describe('FOLIO: a line held as sent, or not', () => {
  const CASES: [string, ReturnType<typeof stored>, { field: string; sent: string; stored: string }[]][] = [
    ['as sent (FOLIO\'s own fields, the free text and the amount\'s digits aside)', stored(), []],
    ['the invoice id in capitals is the same id', stored({ invoiceId: INV.toUpperCase() }), []],
    ['the fund distributions in another order are the same', stored({ fundDistributions: [...sent.fundDistributions].reverse().map((f) => ({ ...f, value: Number(f.value) })) }), []],
    ['stored without its PO line link (a 5xx half done)', stored({}, ['poLineId']), [{ field: 'line 1 poLineId', sent: `"${PO}"`, stored: 'nothing' }]],
    ['another amount', stored({ subTotal: 50 }), [{ field: 'line 1 subTotal', sent: '500', stored: '50' }]],
    ['another quantity', stored({ quantity: 2 }), [{ field: 'line 1 quantity', sent: '1', stored: '2' }]],
    ['the encumbrance kept', stored({ releaseEncumbrance: false }), [{ field: 'line 1 releaseEncumbrance', sent: 'true', stored: 'false' }]],
    [
      'a fund distribution missing',
      stored({ fundDistributions: [{ ...sent.fundDistributions[0], value: 60 }] }),
      [{ field: 'line 1 fundDistributions', sent: 'GENRL percentage 60; ENG percentage 40', stored: 'GENRL percentage 60' }],
    ],
    ['nothing at all', parseJson('{}'), [
      { field: 'line 1 invoiceId', sent: `"${INV}"`, stored: 'nothing' },
      { field: 'line 1 poLineId', sent: `"${PO}"`, stored: 'nothing' },
      { field: 'line 1 subTotal', sent: '500', stored: 'nothing' },
      { field: 'line 1 quantity', sent: '1', stored: 'nothing' },
      { field: 'line 1 releaseEncumbrance', sent: 'true', stored: 'nothing' },
      { field: 'line 1 fundDistributions', sent: 'GENRL percentage 60; ENG percentage 40', stored: 'nothing' },
    ]],
  ];
  for (const [name, held, differences] of CASES) {
    it(name, () => {
      expect(lineDifferences('1', sent, held)).toEqual(differences);
    });
  }

  it('a PO line link FOLIO holds that was not sent differs too', () => {
    const { poLineId: _, ...without } = sent;
    expect(lineDifferences('1', without, stored())).toEqual([{ field: 'line 1 poLineId', sent: 'nothing', stored: `"${PO}"` }]);
  });
});
