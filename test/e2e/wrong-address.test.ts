/**
 * An address that is not Alma's API — the Alma web page, a missing gateway, a proxy's page —
 * answers every request, but never with JSON or Alma's error document. The built CLI stops after
 * the checks before sending, with one message saying what came back and what to check, and sends
 * nothing (before, every invoice failed at its look-up, one by one, with advice to fix the file).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import type { ReportDocument } from '../../src/report/report.js';

const loop = loopbackPerTest();

/** A web server that answers every request with an HTML page; the methods it saw. */
async function webPage(status: number): Promise<{ url: string; methods: string[] }> {
  const methods: string[] = [];
  const url = await loop.listen((req, res) => {
    methods.push(req.method ?? '');
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end('<html><body><h1>Library services</h1></body></html>');
  });
  return { url, methods };
}

/**
 * The sample batch against an HTML page: one stop naming what was asked (`checks`, or with
 * `--check none` the `look-ups`), only GETs sent, every invoice failed as not started (exit 4).
 */
async function expectOneStop(status: number, extra: string[], asked: RegExp, ends = /not the Alma web page; nothing was sent$/): Promise<void> {
  const page = await webPage(status);
  const dir = loop.tempDir('invoice-load-wrong-');
  const res = await runCli(['--json', '--rate', '200', ...extra, 'fixtures/sample-batch.csv'], { env: { ALMA_API_URL: page.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir } });
  expect(res.code, res.stderr).toBe(4);
  expect(res.stderr).not.toMatch(/FAILED/);
  const message = res.stderr.split('\n').filter((l) => l.startsWith('invoice-load:'));
  expect(message, res.stderr).toHaveLength(1);
  expect(message[0]).toMatch(asked);
  expect(message[0]).toMatch(ends);
  expect(page.methods.length).toBeGreaterThan(0);
  expect(page.methods.every((m) => m === 'GET')).toBe(true);
  const report = JSON.parse(res.stdout) as ReportDocument;
  expect(report.stopped).toBe('unreachable');
  // Not sent, and not a dry run: each invoice failed as not started, the stop said once above.
  expect(report.summary).toMatchObject({ failed: 7, planned: 0 });
  expect(report.invoices.map((i) => i.error?.code)).toEqual(Array(7).fill('NOT_STARTED'));
}

describe('an address that is not Alma\'s API', () => {
  it.each([200, 404])('HTML with HTTP %i to everything: one stop after the checks, nothing written (exit 4)', async (status) => {
    await expectOneStop(status, [], /the address does not answer as Alma's API: none of the \d+ checks got JSON or Alma's error document \(GET \/acq\/vendors\//);
  });

  it('with --check none, the look-ups before the first write tell it: the same one stop, each invoice not started, nothing written (exit 4)', async () => {
    await expectOneStop(404, ['--check', 'none'], /the address does not answer as Alma's API: none of the \d+ look-ups got JSON or Alma's error document \(GET \/acq\//);
  });
});

/**
 * A gateway or proxy answering a bare 502/503/504 page to everything is not a wrong address: what
 * stands behind it is down. The same one stop, saying so and to run again later (before, it
 * said to check that the address was not the Alma web page).
 */
describe('a gateway or proxy whose Alma is down', () => {
  it.each([502, 503, 504])('HTML with HTTP %i to everything: one stop saying Alma or the way to it is down, nothing written (exit 4)', async (status) => {
    await expectOneStop(
      status,
      ['--max-retries', '0'],
      new RegExp(`^invoice-load: cannot reach Alma: the gateway or proxy in front of Alma answered ${status} to every attempt of the checks \\(the first (\\d+ )?to end\\), and nothing answered otherwise \\(GET /\\S+: HTTP ${status}: `),
      /: Alma, or the way to it, is down — run the same command again later; nothing was sent$/,
    );
  });

  it('with --check none, the look-ups tell it the same way', async () => {
    await expectOneStop(502, ['--max-retries', '0', '--check', 'none'], /^invoice-load: cannot reach Alma: the gateway or proxy in front of Alma answered 502 to every attempt of the look-ups \(the first (\d+ )?to end\)/, /is down — run the same command again later; nothing was sent$/);
  });

  it('the first request to spend its retries on 502s stops the run: the others do not each spend theirs (170 requests and 21 s before)', async () => {
    const page = await webPage(502);
    const dir = loop.tempDir('invoice-load-gateway-');
    // The default retries (4): 34 checks and look-ups at 5 attempts each were 170 requests.
    const res = await runCli(['--json', 'fixtures/sample-batch.csv'], { env: { ALMA_API_URL: page.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir } });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).toMatch(/cannot reach Alma: the gateway or proxy in front of Alma answered 502 to every attempt of the (checks|look-ups) \(the first (\d+ )?to end\), and nothing answered otherwise \(GET \/\S+: HTTP 502: .*\(after 5 attempts\)\): Alma, or the way to it, is down/);
    // The first request's five attempts, and what the others sent meanwhile at --rate 10 (its
    // backoffs add up to 7.5 s at most): well under the 170 of every request's retries.
    expect(page.methods.length).toBeLessThan(100);
    expect(page.methods.every((m) => m === 'GET')).toBe(true);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.stopped).toBe('unreachable');
    expect(report.summary.requests).toBe(page.methods.length);
  });
});

/**
 * What the reports say next after that stop: run again later (nothing is sent twice) — not to put
 * the address right — on the terminal, in the HTML page and in the JSON's `stop_detail`.
 */
describe('a gateway or proxy whose Alma is down: the reports\' next step', () => {
  it('terminal, HTML and JSON say Alma is down and to run the same command again later', async () => {
    const page = await webPage(503);
    const dir = loop.tempDir('invoice-load-down-');
    const html = join(dir, 'report.html');
    const json = join(dir, 'report.json');
    const res = await runCli(['--rate', '200', '--max-retries', '0', '--report', json, '--report-html', html, 'fixtures/sample-batch.csv'], {
      env: { ALMA_API_URL: page.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: dir },
    });
    expect(res.code, res.stderr).toBe(4);
    // No table above it: the line says none was started.
    expect(res.stdout.split('\n')[0]).toBe('None of the 7 invoices was started: the run stopped before reaching them (--json and --report list them)');
    expect(res.stdout).toContain('Next: later, once Alma is up again, run the same command again to finish them: the journal resumes them, nothing is sent twice.');
    expect(res.stdout).toContain('    fix: later, once Alma is up again, run the same command again: it sends them, and nothing is sent twice');
    expect(res.stdout).not.toMatch(/address or the network/);
    const page_ = readFileSync(html, 'utf8');
    expect(page_).toContain('<b>The run stopped early.</b> Alma, or the way to it, is down: only a gateway or proxy answered, with 502/503/504. Nothing more was sent. Later, run the same command again to finish');
    expect(page_).not.toMatch(/address or the network|no such host/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as ReportDocument;
    expect(report).toMatchObject({ stopped: 'unreachable', stop_detail: { code: 'GATEWAY_DOWN' } });
  });
});
