/**
 * A 401/403 without the API's error document (`bare`: a proxy's or firewall's page) stops the
 * run as a refused key does, but the key may never have reached the API: every not-started
 * invoice's words say a request was refused without the API's error document, not that the key
 * was refused (the Next: line and the HTML banner say "once the network or proxy is put right").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsBeforeSending } from '../../src/engine/engine.js';
import { AuthError } from '../../src/common/errors.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { journalAt } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stop-words-bare-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resultsBeforeSending: a run stopped by a 401/403', () => {
  it('without the API\'s error document: not "the API key was refused" but a request refused without it (a proxy or firewall)', () => {
    const journal = journalAt(join(dir, 'j.jsonl'));
    try {
      const bare = new AuthError({ httpStatus: 403, code: 'HTTP_403', message: 'HTTP 403: 403 Forbidden Request blocked by WAF', bare: true });
      const [r] = resultsBeforeSending([makeInvoice('ACME', 'A-1', 1)], journal, 'auth', new FakeAlma().target(), bare);
      expect(r!.error!.code).toBe('NOT_STARTED');
      expect(r!.error!.message).toBe("not started: the run stopped first (a request was refused without the API's error document (a proxy or firewall)); a re-run loads it");
    } finally {
      journal.close();
    }
  });

  it("with the API's error document: the API key was refused, as before", () => {
    const journal = journalAt(join(dir, 'k.jsonl'));
    try {
      const key = new AuthError({ httpStatus: 401, code: 'UNAUTHORIZED', message: 'API-key not defined or not configured to allow this API.' });
      const [r] = resultsBeforeSending([makeInvoice('ACME', 'A-1', 1)], journal, 'auth', new FakeAlma().target(), key);
      expect(r!.error!.message).toBe('not started: the run stopped first (the API key was refused); a re-run loads it');
    } finally {
      journal.close();
    }
  });
});
