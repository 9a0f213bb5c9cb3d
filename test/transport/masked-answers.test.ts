/**
 * The secrets are masked in every answer the transport hands back, 2xx as well as errors: a
 * gateway or a proxy may echo the key into an alert's description or a stored note, and whatever
 * reads the answer (targets, journal, reports) must never hold it. Ids and amounts stay exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/common/errors.js';
import { stringifyJson } from '../../src/common/json.js';
import { HttpClient } from '../../src/transport/http.js';
import { createAlmaHttpClient } from '../../src/targets/alma/client.js';
import { ORIGIN, almaError, mockApi } from '../targets/helpers/mock-api.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';

let current: ReturnType<typeof mockApi> | undefined;
afterEach(async () => {
  await current?.agent.close();
  current = undefined;
});

function alma(key = KEY) {
  const api = mockApi();
  current = api;
  return { api, client: createAlmaHttpClient({ apiKey: key, baseUrl: ORIGIN, dispatcher: api.agent, sleep: async () => undefined, random: () => 0.5, maxRetries: 0 }) };
}

const INVOICE = (key: string) =>
  `{"id":"15334101100001021","total_amount":1234567890.12,"note":"stored ${key}","invoice_workflow_status":{"value":"Waiting to be Sent","desc":"Waiting to be Sent ${key}"},"alert":[{"value":"TOTAL","desc":"apikey=${key}."}]}`;

describe('answers are masked as they are read', () => {
  it('json(): a 2xx body keeps no key in any string, and its ids and amounts exact', async () => {
    const { api, client } = alma();
    api.script({ body: INVOICE(KEY) });
    const value = await client.json({ method: 'GET', path: '/acq/invoices/1' });
    expect(stringifyJson(value)).toBe(INVOICE('***'));
    expect(stringifyJson(value)).not.toContain(KEY);
    expect(stringifyJson(value)).toContain('"id":"15334101100001021","total_amount":1234567890.12');
  });

  it('answer(): the same for the answer with its status', async () => {
    const { api, client } = alma();
    api.script({ status: 201, body: INVOICE(KEY) });
    const res = await client.answer({ method: 'POST', path: '/acq/invoices', body: {} });
    expect(res.status).toBe(201);
    expect(stringifyJson(res.value)).toBe(INVOICE('***'));
  });

  it('request(): a raw body (FOLIO, Exsited and Alguna share this client) is masked too', async () => {
    const api = mockApi();
    current = api;
    const http = new HttpClient({ baseUrl: ORIGIN, dispatcher: api.agent, secrets: ['p4ssw0rd!'], parseError: (s, _h, t) => new ApiError({ httpStatus: s, code: 'E', message: t }), maxRetries: 0 });
    api.script({ body: '{"note":"echo p4ssw0rd! here","amount":12.5}' }, { body: 'plain p4ssw0rd! text', headers: { 'content-type': 'text/plain' } });
    expect((await http.request({ method: 'GET', path: '/a' })).text).toBe('{"note":"echo *** here","amount":12.5}');
    expect((await http.request({ method: 'GET', path: '/b' })).text).toBe('plain *** text');
  });

  it('an error body is masked before the target parses it', async () => {
    const api = mockApi();
    current = api;
    const seen: string[] = [];
    const http = new HttpClient({ baseUrl: ORIGIN, dispatcher: api.agent, secrets: [KEY], parseError: (s, _h, t) => (seen.push(t), new ApiError({ httpStatus: s, code: 'E', message: 'refused' })), maxRetries: 0 });
    api.script({ status: 400, body: almaError('1', `bad ${KEY}`) });
    await http.request({ method: 'GET', path: '/a' }).catch(() => undefined);
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain(KEY);
    expect(seen[0]).toContain('bad ***');
  });

  it('a short key never masks part of a word: "workflow" stays, in answers and in errors', async () => {
    const { api, client } = alma('k');
    api.script({ body: { workflow: 'k', note: 'workflow key k.' } }, { status: 400, body: almaError('402459', 'workflow refused for k') });
    expect(await client.json({ method: 'GET', path: '/a' })).toEqual({ workflow: '***', note: 'workflow key ***.' });
    const err = (await client.json({ method: 'GET', path: '/b' }).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('workflow refused for ***');
  });
});
