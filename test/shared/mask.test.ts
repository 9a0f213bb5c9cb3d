import { describe, expect, it } from 'vitest';
import { maskable, maskList, maskSecrets } from '../../src/common/mask.js';

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
    ['token abcdefgh-abcdefghijk', maskList(['abcdefgh', 'abcdefghijk']), 'token ***-***'],
    ['nothing here', [], 'nothing here'],
  ])('%j masking %j → %j', (text, secrets, expected) => {
    expect(maskSecrets(text, secrets)).toBe(expected);
  });

  it('maskList drops empty, repeated and unmaskable secrets, longest first', () => {
    expect(maskList(['abcdefgh', '', undefined, 'abcdefghij', 'abcdefgh', 'any', 'USD', '12345678901'])).toEqual(['abcdefghij', 'abcdefgh']);
  });

  it('maskable: 8 characters or more, not only digits (a short or digits-only secret is also data)', () => {
    expect(maskable(KEY)).toBe(true);
    expect(maskable('Pass-w0rd!')).toBe(true);
    expect(maskable('abcdefgh')).toBe(true);
    expect(maskable('1234567a')).toBe(true);
    expect(maskable('abcdefg')).toBe(false);
    expect(maskable('any')).toBe(false);
    expect(maskable('USD')).toBe(false);
    expect(maskable('12345678901234567890')).toBe(false);
    expect(maskable('')).toBe(false);
    expect(maskable(undefined)).toBe(false);
  });
});
