/**
 * A host that takes the connection but never answers (a dead backend behind a live port): the
 * built CLI stops once as unreachable after the first request's attempts, as for nothing
 * listening — not a "could not check" warning per check and a failure per invoice after each
 * request's timeouts.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { ReportDocument } from '../../src/report/report.js';

const loop = loopbackPerTest();

describe('a host that never answers', () => {
  it.each([[[]], [['--check', 'none']]])('checks %j: one stop line, "stopped": "unreachable", nothing sent but reads (exit 4)', async (extra) => {
    const methods: string[] = [];
    // Takes every request and never answers it; the CLI's exit closes the connections.
    const url = await loop.listen((req) => void methods.push(req.method ?? ''));
    const dir = loop.tempDir('invoice-load-no-answer-');
    const res = await runCli(['--json', '--timeout', '0.5', '--max-retries', '0', ...extra, 'fixtures/sample-batch.csv'], {
      env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir },
    });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).not.toMatch(/FAILED|could not check/);
    const message = res.stderr.split('\n').filter((l) => l.startsWith('invoice-load:'));
    expect(message, res.stderr).toHaveLength(1);
    expect(message[0]).toMatch(/^invoice-load: cannot reach Alma: nothing answered the (checks|look-ups) \(UND_ERR_HEADERS_TIMEOUT: GET \/(acq|conf)\/.*\): the host takes the connection but does not answer — check the address .* a longer --timeout; then run the same command again; nothing was sent$/);
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.every((m) => m === 'GET')).toBe(true);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('unreachable');
    expect(report.summary).toMatchObject({ failed: 7, planned: 0 });
  });
});
