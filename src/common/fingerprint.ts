/**
 * What names the account a credential opens, without the credential: the one place a journal's
 * identity (and anything else that must tell two accounts at one address apart) takes it from.
 *
 * Why an address alone is not enough: Alma's premium sandbox and production share one API host
 * per region, and the API key decides which of them a request reaches — "a key belongs to one
 * environment (production or sandbox)" (docs/alma.md#requests-hosts-keys-and-thresholds). A
 * journal keyed by the host alone took a batch rehearsed in the sandbox for loaded in production.
 */
import { createHash } from 'node:crypto';

/** How many hex digits of the SHA-256 are kept: 48 bits, as the journals' other short hashes. */
const DIGITS = 12;

/**
 * The first 12 hex digits of the SHA-256 of a credential (an API key, a client id), trimmed as it
 * is sent. Not a secret: SHA-256 is one-way, and an API key has far too much entropy to be found
 * again by trying keys against 48 bits of its hash — the same reasoning by which SSH and GPG show
 * a key's fingerprint (RFC 4716 §4, https://www.rfc-editor.org/rfc/rfc4716#section-4; RFC 4880
 * §12.2, https://www.rfc-editor.org/rfc/rfc4880#section-12.2) and by which GitHub lists a deploy
 * or SSH key by its SHA-256 fingerprint. Only for telling accounts apart, never to prove one:
 * two credentials whose fingerprints match are taken for the same account (a 1-in-2^48 chance
 * for two different keys).
 */
export function credentialFingerprint(credential: string): string {
  return createHash('sha256').update(credential.trim(), 'utf8').digest('hex').slice(0, DIGITS);
}

/**
 * A target's identity for its journals: its address and the fingerprint of the credential that
 * names the account there (`<address>#key-<fingerprint>`). Two keys at one address — a sandbox
 * and production institution behind one host — have journals of their own; the key itself is
 * never in it.
 */
export function accountAddress(address: string, credential: string): string {
  return `${address}#key-${credentialFingerprint(credential)}`;
}

/**
 * The identity an earlier version gave the same address (no fingerprint): its journals may be
 * any account's at that address, so they are never read as this account's (README "Exactly
 * once"). Undefined for an identity with no fingerprint.
 */
export function addressOnly(identity: string): string | undefined {
  const m = /^(.*)#key-[0-9a-f]{12}$/.exec(identity);
  return m?.[1];
}
