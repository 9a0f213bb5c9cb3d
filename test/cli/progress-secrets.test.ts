/**
 * The progress lines show the API's words with the run's secret masked (common/shown-secrets.ts):
 * a notice, the reason a run stops, an invoice's error; the vendor and number are data, whole.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { plainStyle } from '../../src/report/human.js';
import { setShownSecrets } from '../../src/common/shown-secrets.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';
afterEach(() => setShownSecrets([]));

function said(e: EngineEvent): string {
  let log = '';
  const pipe = { write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
  createProgress({ stream: pipe, interactive: false, quiet: false, verbose: true, style: plainStyle, now: () => 0 }).onEvent(e);
  return log;
}

describe('progress lines mask the key in the words shown', () => {
  it.each<[string, EngineEvent]>([
    ['a notice', { type: 'notice', message: `gateway said apikey=${KEY}.` }],
    ['a stop', { type: 'stopping', reason: 'auth', message: `Alma refused the key ${KEY}` } as EngineEvent],
    [
      "an invoice's error",
      {
        type: 'invoice',
        done: 1,
        total: 1,
        result: { key: { vendor: 'GOBI', number: 'G-1' }, status: 'failed', alerts: [], lines: [], warnings: [], error: { step: 'create', http_status: 400, code: '402459', message: `key ${KEY} refused` } },
      } as unknown as EngineEvent,
    ],
  ])('%s', (_, e) => {
    setShownSecrets([KEY]);
    const log = said(e);
    expect(log).toContain('***');
    expect(log).not.toContain(KEY);
  });
});

describe("payments' and export's table masks the key in an error's words", () => {
  it('renderLifecycle', async () => {
    const { lifecycleSummary, renderLifecycle } = await import('../../src/report/lifecycle.js');
    setShownSecrets([KEY]);
    const failed = { vendor: 'GOBI', number: 'P-1', status: 'failed', alerts: [], issues: [], rows: [], error: { step: 'erp', http_status: 400, code: '402459', message: `key ${KEY} refused` } } as never;
    const text = renderLifecycle({ target: 'alma', command: 'payments', dry_run: false, summary: lifecycleSummary([failed], 1), issues: [], invoices: [failed] } as never, plainStyle);
    expect(text).toContain('402459 key *** refused');
    expect(text).not.toContain(KEY);
  });
});
