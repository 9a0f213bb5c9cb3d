import { describe, expect, it } from 'vitest';
import { parseJson, type JsonValue } from '../../../src/common/json.js';
import { unlimited } from '../../../src/transport/limiter.js';
import { createAlmaErp, REJECTED_ALERT, toInvoiceState } from '../../../src/targets/alma/erp.js';
import { ORIGIN, mockApi } from '../helpers/mock-api.js';
import { listOf, toRemoteInvoice } from '../../../src/targets/alma/remote.js';

type Obj = { [k: string]: JsonValue };
const json = (text: string): Obj => parseJson(text) as Obj;

describe('listOf: a list under its item name or its wrapper name', () => {
  it.each<[string, string, JsonValue[]]>([
    ['items under the item name (real answers)', '{"alert": [{"value": "A"}, {"value": "B"}]}', [{ value: 'A' }, { value: 'B' }]],
    ['one item under the item name', '{"alert": {"value": "A"}}', [{ value: 'A' }]],
    ['an array under the wrapper name', '{"alerts": [{"value": "A"}, {"value": "B"}]}', [{ value: 'A' }, { value: 'B' }]],
    ['the items inside the wrapper, as XML has them', '{"alerts": {"alert": [{"value": "A"}, {"value": "B"}]}}', [{ value: 'A' }, { value: 'B' }]],
    ['one item inside the wrapper', '{"alerts": {"alert": {"value": "A"}}}', [{ value: 'A' }]],
    ['one item as the wrapper itself', '{"alerts": {"value": "A"}}', [{ value: 'A' }]],
    ['items under both names: all of them', '{"alert": [], "alerts": [{"value": "A"}]}', [{ value: 'A' }]],
    ['an empty wrapper', '{"alerts": {}}', []],
    ['a zero-hit wrapper with only its count', '{"alerts": {"total_record_count": 0}}', []],
    ['an empty list', '{"alert": []}', []],
    ['nothing under either name', '{"id": "1"}', []],
    ['null', '{"alerts": null, "alert": null}', []],
  ])('%s', (_name, answer, expected) => {
    expect(listOf(json(answer), 'alerts', 'alert')).toEqual(expected);
  });
});

describe('alerts in an invoice answer, however the list is named', () => {
  const shapes: [string, string][] = [
    ['alert: [...]', '"alert": [{"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}]'],
    ['alert: {...}', '"alert": {"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}'],
    ['alerts: [...]', '"alerts": [{"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}]'],
    ['alerts: {alert: [...]}', '"alerts": {"alert": [{"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}]}'],
    ['alerts: {alert: {...}}', '"alerts": {"alert": {"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}}'],
  ];
  const answer = (alerts: string): Obj => json(`{"id": "77", "number": "A-1", "invoice_workflow_status": {"value": "InReview"}, ${alerts}}`);
  const expected = [{ code: 'NOT_LINKED_LINES', description: 'Lines not linked' }];

  it.each(shapes)('the load: %s — an invoice In Review with alerts has been processed', (_name, alerts) => {
    expect(toRemoteInvoice(answer(alerts))).toMatchObject({ alerts: expected, processed: true, inReview: true });
  });

  it.each(shapes)('the hand-over and payments: %s', (_name, alerts) => {
    expect(toInvoiceState(answer(alerts))?.alerts).toEqual(expected);
  });

  it('no alert under either name: In Review is not processed yet', () => {
    expect(toRemoteInvoice(answer('"alerts": {}'))).toMatchObject({ alerts: [], processed: false });
  });

  it('an answer without a workflow status proves nothing by itself: processed only when it carries alerts', () => {
    const bare = (alerts: string): Obj => json(`{"id": "77", "number": "A-1", ${alerts}}`);
    expect(toRemoteInvoice(bare('"alert": [{"value": "NOT_LINKED_LINES", "desc": "Lines not linked"}]'))).toMatchObject({ processed: true, inReview: false });
    expect(toRemoteInvoice(bare('"alerts": {}'))).toMatchObject({ alerts: [], processed: false, inReview: false });
  });

  it('out of In Review is processed, alerts or not', () => {
    const waiting = json('{"id": "77", "number": "A-1", "invoice_workflow_status": {"value": "Waiting to be Sent"}}');
    expect(toRemoteInvoice(waiting)).toMatchObject({ alerts: [], processed: true, inReview: false });
  });
});

describe('the total of a found invoice', () => {
  it.each<[string, string, string | undefined]>([
    ['a JSON number', '4056.07', '4056.07'],
    ['a string', '"120"', '120'],
    // Sample 01 answers "voucher_amount": "", sample 03 "total_record_count": "": blank is unknown, not another total.
    ['blank', '""', undefined],
    ['only spaces', '"  "', undefined],
    ['null', 'null', undefined],
  ])('%s', (_name, total, expected) => {
    expect(toRemoteInvoice(json(`{"id": "77", "number": "A-1", "total_amount": ${total}}`))?.totalAmount).toBe(expected);
  });
});

describe('payments: the finance system\'s rejection, read under the wrapper name', () => {
  it('an invoice answered with alerts: [...] shows INVOICE_WAS_REJECTED_BY_ERP', async () => {
    const api = mockApi();
    const erp = createAlmaErp({ apiKey: 'k', baseUrl: ORIGIN, dispatcher: api.agent, limiter: unlimited, sleep: async () => {}, random: () => 0 });
    try {
      api.script({ path: '/almaws/v1/acq/invoices/77?view=brief', body: { id: '77', number: 'A-1', alerts: [{ value: REJECTED_ALERT, desc: 'Rejected by the ERP' }] } });
      const state = await erp.read('77');
      expect(state?.alerts.map((a) => a.code)).toEqual([REJECTED_ALERT]);
    } finally {
      await api.agent.close();
    }
  });
});
