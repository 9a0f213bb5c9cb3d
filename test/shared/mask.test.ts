import { describe, expect, it } from 'vitest';
import { maskable, maskList, maskSecrets } from '../../src/common/mask.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';

describe('maskSecrets: a maskable secret is masked wherever it stands', () => {
  it.each([
    // [text, secrets, expected] — secrets as the run keeps them (maskList)
    [`apikey=${KEY}`, [KEY], 'apikey=***'],
    [`apikey ${KEY}`, [KEY], 'apikey ***'],
    [`key ${KEY}.`, [KEY], 'key ***.'],
    [`"${KEY}"`, [KEY], '"***"'],
    [`${KEY}`, [KEY], '***'],
    [`${KEY}/batch.csv`, [KEY], '***/batch.csv'],
    [`/tmp/${KEY}`, [KEY], '/tmp/***'],
    [`${KEY} and ${KEY}`, [KEY], '*** and ***'],
    [`Waiting to be Sent ${KEY}`, [KEY], 'Waiting to be Sent ***'],
    // Glued to other text, as a server echoes it: URL-encoded, after an escape, run on.
    [`GET /almaws/v1/acq/invoices?apikey%3D${KEY}`, [KEY], 'GET /almaws/v1/acq/invoices?apikey%3D***'],
    [`\\n${KEY}`, [KEY], '\\n***'],
    [`x${KEY}`, [KEY], 'x***'],
    [`${KEY}0`, [KEY], '***0'],
    [`${KEY}Invalid`, [KEY], '***Invalid'],
    [`E01-${KEY}`, [KEY], 'E01-***'],
    [`${KEY}_${KEY}`, [KEY], '***_***'],
    // A short or digits-only key is not looked for: never inside a word, a code or an amount.
    ['workflow', ['k'], 'workflow'],
    ['Do not pay any late fee', ['any'], 'Do not pay any late fee'],
    ['Alma error 402459', ['2'], 'Alma error 402459'],
    ['id 15334101100001021, total 12.50', ['1021'], 'id 15334101100001021, total 12.50'],
    ['pw=hunter2!x', ['hunter2!'], 'pw=***x'],
    // Longest first: a secret inside a longer one never leaves the rest shown.
    ['token abcdefgh-abcdefghijk', ['abcdefgh', 'abcdefghijk'], 'token ***-***'],
    ['nothing here', [], 'nothing here'],
  ])('%j masking %j → %j', (text, secrets, expected) => {
    expect(maskSecrets(text, maskList(secrets))).toBe(expected);
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
