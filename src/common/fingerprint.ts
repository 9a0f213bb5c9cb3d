/**
 * A short fingerprint of an API key: which institution a journal was written for, without the key.
 *
 * Many institutions share one hosted address (api-eu.hosted.exlibrisgroup.com), and one state dir
 * may load for two of them with two keys; a journal records this fingerprint so a run warns only
 * of its own institution's killed runs (engine/unfinished.ts). The first 16 hex digits (64 bits)
 * of the key's SHA-256. Truncating a SHA-256 digest is an approved way to shorten it, its
 * preimage resistance then that of its length (NIST SP 800-107 Rev. 1, section 5.1,
 * https://csrc.nist.gov/pubs/sp/800/107/r1/final); the key itself is a long random string, so
 * the fingerprint lets no one find it or guess it by trying keys, and a file that shows it (a
 * journal copied into a ticket) shows nothing that can be sent. 64 bits make two keys of one
 * state dir sharing a fingerprint a chance of about 2^-64. A key rotated gives another
 * fingerprint: the runs of the old key are not warned of (README says so).
 */
import { createHash } from 'node:crypto';

export const keyFingerprint = (key: string): string => createHash('sha256').update(key.trim(), 'utf8').digest('hex').slice(0, 16);
