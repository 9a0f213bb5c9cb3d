/**
 * The API key echoed in successful answers never leaves the run: a proxy in front of the sandbox
 * writes it into every code's description (alerts, the workflow status), adds an alert naming it,
 * and into the stored invoice note. Nothing the run writes — the summary, the progress, the
 * report (JSON, CSV, HTML), the rejects file, the journal, `verify`'s lines — may hold it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

const KEY = 'l7xxSECRETKEY0123456789abcdef';
const SAMPLE = 'fixtures/sample-batch.csv';

let w: World | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy !== undefined ? proxy.close(r) : r(undefined)));
  proxy = undefined;
  await w?.close();
  w = undefined;
});

/** Every string of a 2xx answer's JSON the loader shows: `desc`s and `note`s get the key; an invoice gets an alert naming it. */
function tamper(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(tamper);
  if (v === null || typeof v !== 'object') return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = (k === 'desc' || k === 'note') && typeof x === 'string' ? `${x} apikey=${KEY}.` : tamper(x);
  if ('invoice_workflow_status' in o) o['alert'] = [...((o['alert'] as unknown[] | undefined) ?? []), { value: 'PROXY_ALERT', desc: `checked with ${KEY}` }];
  return o;
}

/** A proxy to `target` that rewrites every 2xx JSON answer with `tamper`. */
async function keyEchoingProxy(target: string): Promise<string> {
  const to = new URL(target);
  proxy = createServer((req, res) => {
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        const status = answer.statusCode ?? 502;
        if (status >= 200 && status < 300 && /^\s*[[{]/.test(body)) body = JSON.stringify(tamper(JSON.parse(body)));
        // An error answer's message names the key too (the transport masks those).
        // Glued to other text as a server may echo it (URL-encoded, run on): masked all the same.
        else if (status >= 400) body = body.replace(/("errorMessage"\s*:\s*")/g, `$1key ${KEY} refused (apikey%3D${KEY}Invalid): `);
        const headers = { ...answer.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

describe('a long key echoed in answers, shown as words', () => {
  it('appears nowhere: summary, progress, reports, rejects, journal, verify; the data is whole', async () => {
    w = await world();
    const url = await keyEchoingProxy(w.sandbox.url);
    const out = (name: string) => join(w!.dir, name);
    const env = { ALMA_API_URL: url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w.stateDir };
    const outputs = ['--report', out('r.json'), '--report-csv', out('r.csv'), '--report-html', out('r.html'), '--rejects', out('rej.csv')];

    // The canary reads the first invoice back: its note is stored "with the key", and the run stops on it.
    const stopped = await runCli(['--rate', '200', '--poll-timeout', '5', '-v', ...outputs, SAMPLE], { env });
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stderr).toContain('did not read back as sent');
    const seen = [stopped.stdout, stopped.stderr, ...filesUnder(w.dir).map((f) => f.text)];

    // Loaded past it: the alerts and the workflow status's description are shown, masked.
    const loaded = await runCli(['--rate', '200', '--poll-timeout', '5', '-v', '--no-canary', ...outputs, SAMPLE], { env });
    expect(loaded.stdout).toContain('PROXY_ALERT');
    expect(loaded.stdout).toContain('checked with ***');
    const report = readFileSync(out('r.json'), 'utf8');
    expect(report).toContain('checked with ***');
    // The invoice's own data is whole: the sample's numbers and amounts are in the report.
    expect(report).toContain('265.45');

    const verify = await runCli(['verify', '--rate', '200', SAMPLE], { env });
    expect(verify.stdout + verify.stderr).toContain('apikey=***.');
    // verify's document (--json, --report): what Alma stored, shown as words, is masked too.
    const verifyJson = await runCli(['verify', '--rate', '200', '--json', '--report', out('v.json'), SAMPLE], { env });
    expect(verifyJson.stdout).toContain('apikey=***.');
    // export's and payments' documents: Alma's alert descriptions are masked as in a load's.
    // (The export file itself holds what Alma stored — data, written elsewhere and not checked.)
    const exported = await runCli(['export', '--status', 'In Review', '-o', join(mkdtempSync(join(tmpdir(), 'exp-')), 'e.csv'), '--json', '--report', out('e.json')], { env });
    expect(exported.stdout).toContain('checked with ***');
    seen.push(loaded.stdout, loaded.stderr, verify.stdout, verify.stderr, verifyJson.stdout, verifyJson.stderr, exported.stdout, exported.stderr, ...filesUnder(w.dir).map((f) => f.text));
    for (const text of seen) expect(text.split('\n').filter((l) => l.includes(KEY))).toEqual([]);
  }, 60_000);
});

describe('a secret that cannot be told from data changes no data', () => {
  it.each([['USD'], ['any'], ['copies'], ['265.45'], ['2']])('ALMA_API_KEY=%s: the load is as without it, the report whole', async (key) => {
    w = await world();
    const env = { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: w.stateDir };
    const res = await runCli(['--rate', '200', '--poll-timeout', '5', '--report', join(w.dir, 'r.json'), SAMPLE], { env });
    expect(res.code, res.stderr).toBe(0);
    const report = readFileSync(join(w.dir, 'r.json'), 'utf8');
    expect(report).toContain('"currency": "USD"');
    expect(report).toContain('265.45');
    for (const text of [res.stdout, res.stderr, report]) expect(text).not.toContain('***');
  }, 60_000);
});
