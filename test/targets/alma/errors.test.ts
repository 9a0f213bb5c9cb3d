import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { errorInAnswer, parseAlmaError } from '../../../src/targets/alma/errors.js';
import { UNAUTHORIZED_XML } from '../helpers/mock-api.js';
import { hasSample, samplePath } from '../../helpers/samples.js';

const JSON_CT = { 'content-type': 'application/json;charset=UTF-8' };
const XML_CT = { 'content-type': 'application/xml;charset=UTF-8' };

describe('parseAlmaError', () => {
  it.skipIf(!hasSample('07_error_400_errorList_tulibraries.json'))('reads the JSON 4xx shape: errorList.error[] (sample 07)', () => {
    const body = readFileSync(samplePath('07_error_400_errorList_tulibraries.json'), 'utf8');
    expect(parseAlmaError(400, JSON_CT, body).detail).toEqual({
      httpStatus: 400,
      code: '402203',
      message: 'Input parameters mmsId 99100401219703811 is not valid.',
      trackingId: 'E02-2706205445-WZJWP-AWAE1632347523',
    });
  });

  it.skipIf(!hasSample('06_error_429_per_second_threshold_pulibrary.json'))('reads the 429 per-second body (sample 06)', () => {
    const body = readFileSync(samplePath('06_error_429_per_second_threshold_pulibrary.json'), 'utf8');
    expect(parseAlmaError(429, JSON_CT, body)).toMatchObject({ code: 'PER_SECOND_THRESHOLD', trackingId: 'E01-0101190932-VOBYO-AWAE1554214409' });
  });

  it('reads the JSON 5xx shape: web_service_result with a single error object', () => {
    const body = JSON.stringify({ web_service_result: { errorsExist: true, errorList: { error: { errorCode: 402119, errorMessage: 'General error.', trackingId: 'E01-X' } } } });
    expect(parseAlmaError(500, JSON_CT, body).detail).toEqual({ httpStatus: 500, code: '402119', message: 'General error.', trackingId: 'E01-X' });
  });

  it('keeps a numeric errorCode as its exact text', () => {
    const body = '{"errorsExist":true,"errorList":{"error":[{"errorCode":40166411,"errorMessage":"Invalid parameter"}]}}';
    const e = parseAlmaError(400, JSON_CT, body);
    expect(e.code).toBe('40166411');
    expect(e.trackingId).toBeUndefined();
  });

  it('a bare redirect names where it points (no client here follows one)', () => {
    expect(parseAlmaError(307, { location: 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1/acq/invoices' }, '').message).toBe(
      'HTTP 307 with no error details to https://api-eu.hosted.exlibrisgroup.com/almaws/v1/acq/invoices (the address to use instead?)',
    );
    expect(parseAlmaError(404, { location: 'https://x.example' }, '').message).toBe('HTTP 404 with no error details');
  });

  it('joins the messages of several errors and keeps the first code', () => {
    const body = JSON.stringify({ errorList: { error: [{ errorCode: '60233', errorMessage: 'a' }, { errorCode: '60234', errorMessage: 'b' }] } });
    expect(parseAlmaError(400, JSON_CT, body)).toMatchObject({ code: '60233', message: 'a; b' });
  });

  it.skipIf(!hasSample('08_error_400_xml_web_service_result_exl_blog.xml'))('reads the XML shape (sample 08), with entities', () => {
    const body = readFileSync(samplePath('08_error_400_xml_web_service_result_exl_blog.xml'), 'utf8');
    const e = parseAlmaError(400, XML_CT, body);
    expect(e.code).toBe('4022030');
    expect(e.message).toMatch(/^Invalid normalization profile ID\. Received: XX\./);
    const amp = '<web_service_result><errorList><error><errorCode>1</errorCode><errorMessage>a &amp; b &lt;c&gt; &#233;</errorMessage><trackingId>T-1</trackingId></error></errorList></web_service_result>';
    expect(parseAlmaError(400, XML_CT, amp).detail).toEqual({ httpStatus: 400, code: '1', message: 'a & b <c> é', trackingId: 'T-1' });
  });

  it('sniffs XML from the body when the content type says JSON (auth failures)', () => {
    expect(parseAlmaError(401, JSON_CT, UNAUTHORIZED_XML)).toMatchObject({ httpStatus: 401, code: 'UNAUTHORIZED', bare: false });
  });

  it('accepts namespace prefixes and CDATA', () => {
    const body = '<ns2:web_service_result xmlns:ns2="x"><ns2:errorList><ns2:error><ns2:errorCode>UNAUTHORIZED</ns2:errorCode><ns2:errorMessage><![CDATA[no <key>]]></ns2:errorMessage></ns2:error></ns2:errorList></ns2:web_service_result>';
    expect(parseAlmaError(401, XML_CT, body)).toMatchObject({ code: 'UNAUTHORIZED', message: 'no <key>' });
  });

  it('falls back to the status when the body is not an Alma error', () => {
    expect(parseAlmaError(502, { 'content-type': 'text/html' }, '<html><body><h1>502 Bad Gateway</h1></body></html>')).toMatchObject({
      code: 'HTTP_502',
      message: 'HTTP 502: 502 Bad Gateway',
      bare: true,
    });
    expect(parseAlmaError(503, {}, '')).toMatchObject({ code: 'HTTP_503', message: 'HTTP 503 with no error details', bare: true });
    expect(parseAlmaError(500, JSON_CT, '{"broken"')).toMatchObject({ code: 'HTTP_500', bare: true });
  });
});

describe('errorInAnswer', () => {
  it('gives a document without a code no code (undefined), and one whose code is BAD_RESPONSE that code: the two are not confused', () => {
    expect(errorInAnswer(200, { errorsExist: true })).toEqual({ code: undefined, message: 'an error answered with HTTP 200: errorsExist is true, with no error details', trackingId: undefined });
    expect(errorInAnswer(200, { errorsExist: true, errorList: { error: [{ errorCode: 'BAD_RESPONSE', errorMessage: 'x', trackingId: 'E01-1' }] } })).toEqual({
      code: 'BAD_RESPONSE',
      message: 'an error answered with HTTP 200: x',
      trackingId: 'E01-1',
    });
    expect(errorInAnswer(200, { total_record_count: '0' })).toBeUndefined();
  });
});
