import { describe, expect, it } from 'vitest';
import { JsonNumber, parseJson, stringifyJson } from '../../src/common/json.js';
import { maskJson, maskList, maskSecrets } from '../../src/common/mask.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';

describe('maskSecrets: a secret is masked where it stands as a token', () => {
  it.each([
    // [text, secrets, expected]
    [`apikey=${KEY}`, [KEY], 'apikey=***'],
    [`apikey ${KEY}`, [KEY], 'apikey ***'],
    [`key ${KEY}.`, [KEY], 'key ***.'],
    [`"${KEY}"`, [KEY], '"***"'],
    [`${KEY}`, [KEY], '***'],
    [`${KEY}/batch.csv`, [KEY], '***/batch.csv'],
    [`/tmp/${KEY}`, [KEY], '/tmp/***'],
    [`${KEY} and ${KEY}`, [KEY], '*** and ***'],
    [`Waiting to be Sent ${KEY}`, [KEY], 'Waiting to be Sent ***'],
    // Inside a longer run of key characters: not this key.
    [`x${KEY}`, [KEY], `x${KEY}`],
    [`${KEY}0`, [KEY], `${KEY}0`],
    [`${KEY}a`, [KEY], `${KEY}a`],
    // A dash or an underscore is no part of a word: the key beside one is masked.
    [`E01-${KEY}`, [KEY], 'E01-***'],
    [`${KEY}-2`, [KEY], '***-2'],
    [`${KEY}_${KEY}`, [KEY], '***_***'],
    // The short key of a sandbox run: never inside a word.
    ['workflow', ['k'], 'workflow'],
    ['Waiting to be Sent', ['e'], 'Waiting to be Sent'],
    ['apikey=k', ['k'], 'apikey=***'],
    ['k.', ['k'], '***.'],
    ['key k', ['k'], 'key ***'],
    // Ids and amounts stay whole unless they are the key itself.
    ['id 15334101100001021, total 12.50', ['1021'], 'id 15334101100001021, total 12.50'],
    ['vendor 123', ['123'], 'vendor ***'],
    // An end that is not a key character needs no boundary there.
    ['pw=hunter2!x', ['hunter2!'], 'pw=***x'],
    ['pw=xhunter2!', ['hunter2!'], 'pw=xhunter2!'],
    ['pw=x!hunter', ['!hunter'], 'pw=x***'],
    // Longest first: a secret inside a longer one never leaves the rest shown.
    ['token abcdef', maskList(['abc', 'abcdef']), 'token ***'],
    ['nothing here', [], 'nothing here'],
  ])('%j masking %j → %j', (text, secrets, expected) => {
    expect(maskSecrets(text, secrets)).toBe(expected);
  });

  it('maskList drops empty and repeated secrets, longest first', () => {
    expect(maskList(['ab', '', undefined, 'abcd', 'ab'])).toEqual(['abcd', 'ab']);
  });
});

describe('maskJson: every string masked, numbers and field names kept', () => {
  it('masks strings at any depth and keeps numbers exact', () => {
    const value = parseJson(`{"id":"15334101100001021","total_amount":1234567890123456789.01,"note":"stored ${KEY}","alert":[{"value":"A","desc":"apikey=${KEY}."}],"n":${'7'.repeat(20)}}`);
    const masked = maskJson(value, [KEY]);
    expect(stringifyJson(masked)).toBe(`{"id":"15334101100001021","total_amount":1234567890123456789.01,"note":"stored ***","alert":[{"value":"A","desc":"apikey=***."}],"n":${'7'.repeat(20)}}`);
  });

  it('never touches a number, even when the key is digits', () => {
    const value = parseJson('{"id":12345,"code":"12345"}');
    const masked = maskJson(value, ['12345']) as { id: JsonNumber; code: string };
    expect(masked.id.text).toBe('12345');
    expect(masked.code).toBe('***');
  });

  it('gives back the same value when nothing was masked, and keeps a "__proto__" field as data', () => {
    const value = parseJson('{"a":["x",{"b":"y"}]}');
    expect(maskJson(value, [KEY])).toBe(value);
    const proto = maskJson(parseJson(`{"__proto__":"${KEY}"}`), [KEY]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toBe('***');
  });
});
