/**
 * A target's journal identity names the account, not only the address: one host serves a
 * sandbox institution and production (docs/alma.md#requests-hosts-keys-and-thresholds), the key
 * says which. The key itself is never in it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountAddress, credentialFingerprint } from '../../src/common/fingerprint.js';
import { journalPath } from '../../src/cli/journals.js';
import { createAlmaTarget } from '../../src/targets/alma/target.js';
import { createAlmaErp } from '../../src/targets/alma/erp.js';
import { createAlgunaTarget } from '../../src/targets/alguna/target.js';
import { createExsitedTarget } from '../../src/targets/exsited/target.js';

const SANDBOX_KEY = 'l8xx0123456789abcdef0123456789abcdef';
const PRODUCTION_KEY = 'l8xxfedcba9876543210fedcba9876543210';
const HOST = 'https://api-eu.hosted.exlibrisgroup.com';

describe('credentialFingerprint', () => {
  it('is the first 12 hex digits of the SHA-256 of the key as sent (trimmed)', () => {
    const full = createHash('sha256').update(SANDBOX_KEY).digest('hex');
    expect(credentialFingerprint(SANDBOX_KEY)).toBe(full.slice(0, 12));
    expect(credentialFingerprint(`${SANDBOX_KEY}\n`)).toBe(full.slice(0, 12));
    expect(credentialFingerprint(PRODUCTION_KEY)).not.toBe(credentialFingerprint(SANDBOX_KEY));
    expect(accountAddress(HOST, SANDBOX_KEY)).toBe(`${HOST}#key-${full.slice(0, 12)}`);
  });
});

describe("each target's journal identity: the address and the account's fingerprint", () => {
  const alma = (apiKey: string) => createAlmaTarget({ apiKey, region: 'eu' }).endpoint;
  const erp = (apiKey: string) => createAlmaErp({ apiKey, region: 'eu' }).endpoint;
  const alguna = (apiKey: string) => createAlgunaTarget({ apiKey, baseUrl: 'https://api.alguna.io' }).endpoint;
  const exsited = (clientId: string) => createExsitedTarget({ baseUrl: 'https://acme.exsited.com', credentials: { clientId, clientSecret: 's' } }).endpoint;

  it.each([
    ['Alma load', alma, HOST],
    ['Alma export and payments', erp, HOST],
    ['Alguna', alguna, 'https://api.alguna.io'],
    ['Exsited', exsited, 'https://acme.exsited.com'],
  ])('%s: two keys at one host are two places, one key (however spelled) one place, and no key in it', (_name, identity, address) => {
    const a = identity(SANDBOX_KEY);
    const b = identity(PRODUCTION_KEY);
    expect(a).not.toBe(b);
    expect(identity(` ${SANDBOX_KEY}\n`)).toBe(a);
    expect(a).toBe(accountAddress(address, SANDBOX_KEY));
    for (const [id, key] of [[a, SANDBOX_KEY], [b, PRODUCTION_KEY]] as const) {
      expect(id.startsWith(address)).toBe(true);
      expect(id).not.toContain(key);
      expect(id).not.toContain(key.slice(-12));
    }
    // The journal's file, and so its lock, claims and the other journals read beside it.
    expect(journalPath('/s', 'alma', a, 'batch')).not.toBe(journalPath('/s', 'alma', b, 'batch'));
  });
});
