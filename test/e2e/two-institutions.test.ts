/**
 * Two institutions behind one API host: Alma's premium sandbox and production share a host per
 * region, the API key decides which institution a request reaches (docs/alma.md#requests-hosts-keys-and-thresholds).
 * Two sandboxes, each taking its own key, behind a router on one port that forwards by the
 * Authorization header: a batch rehearsed with one key is loaded whole with the other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sandbox/index.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import type { ReportDocument } from '../../src/report/report.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { accountAddress } from '../../src/common/fingerprint.js';
import { shortHash } from '../../src/cli/journals.js';

const KEY_A = 'l8xx-rehearsal-institution-key-0123456789abcdef';
const KEY_B = 'l8xx-production-institution-key-fedcba9876543210';

let open: { close(): Promise<void> }[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const o of open.reverse()) await o.close();
  open = [];
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** One port; each request goes to the sandbox whose key its Authorization header carries. */
async function router(byKey: Map<string, SandboxHandle>): Promise<string> {
  const server: Server = createServer((req, res) => {
    const key = /^apikey (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    const to = key === undefined ? undefined : byKey.get(key);
    if (to === undefined) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"errorsExist":true,"errorList":{"error":[{"errorCode":"UNAUTHORIZED","errorMessage":"API-key not defined"}]}}');
    const fwd = request(`${to.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({ close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Invoices created through the API (the seed's are not counted). */
const created = (s: SandboxHandle): number => Object.values(s.state().counters.created).reduce((n, byNumber) => n + Object.values(byNumber).reduce((m, c) => m + c, 0), 0);

async function sandbox(key: string): Promise<SandboxHandle> {
  const s = await startSandbox({ port: 0, latencyMs: 0, processDelayMs: 40, perSecond: 1000, apiKeys: [key] });
  open.push(s);
  return s;
}

describe('one API host, two institutions (the key decides)', () => {
  it('a batch rehearsed with the sandbox institution key is loaded whole with the production key; the journals never hold the key', async () => {
    const [a, b] = [await sandbox(KEY_A), await sandbox(KEY_B)];
    const url = await router(new Map([[KEY_A, a], [KEY_B, b]]));
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-two-institutions-'));
    const stateDir = join(dir, 'state');
    const load = async (key: string) => {
      const r = await runCli(['--json', '--rate', '200', '--poll-timeout', '5', join(ROOT, 'fixtures/sample-batch.csv')], {
        env: { ALMA_API_URL: url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: stateDir, HOME: dir },
      });
      return { ...r, report: JSON.parse(r.stdout) as ReportDocument };
    };

    const rehearsal = await load(KEY_A);
    expect(rehearsal.code, rehearsal.stderr).toBe(0);
    const statuses = rehearsal.report.invoices.map((i) => i.status);
    expect(statuses).toHaveLength(7);
    expect(statuses.every((st) => st === 'loaded' || st === 'in_review'), statuses.join()).toBe(true);
    expect(created(a)).toBe(7);
    expect(created(b)).toBe(0);

    const production = await load(KEY_B);
    expect(production.code, production.stderr).toBe(0);
    expect(production.stderr).not.toContain('finished by an earlier run');
    expect(production.report.invoices.map((i) => i.status)).toEqual(statuses);
    expect(created(b)).toBe(7);
    for (const inv of production.report.invoices) expect(b.state().counters.processCount[inv.id!], inv.number).toBe(1);
    // The rehearsal's institution is left as it was.
    expect(created(a)).toBe(7);

    // The same command again with each key: its own journal says done, nothing sent.
    for (const [key, s] of [[KEY_A, a], [KEY_B, b]] as const) {
      const again = await load(key);
      expect(again.code, again.stderr).toBe(0);
      expect(again.report.invoices.map((i) => i.status)).toEqual(Array(7).fill('already_loaded'));
      expect(created(s)).toBe(7);
    }

    // One journal per institution, and neither the key nor any part of it longer than the fingerprint in them.
    const journals = readdirSync(join(stateDir, 'journals')).filter((n) => n.endsWith('.jsonl'));
    expect(journals).toHaveLength(2);
    for (const n of readdirSync(join(stateDir, 'journals'))) {
      const text = n.endsWith('.lock') ? '' : readFileSync(join(stateDir, 'journals', n), 'utf8');
      for (const key of [KEY_A, KEY_B]) {
        expect(n + text).not.toContain(key);
        expect(n + text).not.toContain(key.slice(-16));
      }
    }
  });

  it('export and payments: a rehearsal with the sandbox institution key leaves the production institution\'s invoices to be marked and paid', async () => {
    const [a, b] = [await sandbox(KEY_A), await sandbox(KEY_B)];
    const url = await router(new Map([[KEY_A, a], [KEY_B, b]]));
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-two-institutions-'));
    const stateDir = join(dir, 'state');
    const cli = (key: string, args: string[]) =>
      runCli([...args, '--json', '--rate', '200', '--poll-timeout', '5'], { env: { ALMA_API_URL: url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: stateDir, HOME: dir } });
    const ops = (s: SandboxHandle, op: string): number => Object.values(s.state().counters.erpOps).reduce((n, byOp) => n + (byOp[op] ?? 0), 0);
    const out = join(dir!, 'to-finance.csv');
    for (const key of [KEY_A, KEY_B]) {
      const loaded = await cli(key, [join(ROOT, 'fixtures/round-trip/batch.csv')]);
      expect(loaded.code, loaded.stderr).toBe(0);
    }
    // The rehearsal: handed over and marked, then paid, in the sandbox institution.
    const exported = await cli(KEY_A, ['export', '--mark-in-erp', '-o', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const marked = ops(a, 'mark_in_erp');
    expect(marked).toBeGreaterThan(0);
    const paid = await cli(KEY_A, ['payments', join(ROOT, 'fixtures/round-trip/payments.csv')]);
    expect(paid.code, paid.stderr).toBe(0);
    expect(ops(a, 'paid')).toBe(2);
    expect(ops(b, 'mark_in_erp') + ops(b, 'paid') + ops(b, 'rejected')).toBe(0);

    // The rehearsal's hand-over, still in place as written: guarded from the other key's export
    // too (a key replaced is another place as well), never replaced without --replace.
    const handed = readFileSync(out, 'utf8');
    const refused = await cli(KEY_B, ['export', '--mark-in-erp', '-o', out]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/to-finance\.csv still holds, unchanged, the \d+ invoices that the export of .* marked in Alma and handed over to finance/);
    expect(readFileSync(out, 'utf8')).toBe(handed);
    expect(ops(b, 'mark_in_erp')).toBe(0);
    // Production: the file was taken by finance; the same commands with the production key.
    rmSync(out);
    const prodExport = await cli(KEY_B, ['export', '--mark-in-erp', '-o', out]);
    expect(prodExport.code, prodExport.stderr).toBe(0);
    expect(ops(b, 'mark_in_erp')).toBe(marked);
    const prodPaid = await cli(KEY_B, ['payments', join(ROOT, 'fixtures/round-trip/payments.csv')]);
    expect(prodPaid.code, prodPaid.stderr).toBe(0);
    expect(ops(b, 'paid')).toBe(2);
    expect(ops(b, 'rejected')).toBe(1);
    // The sandbox institution is left as the rehearsal left it.
    expect([ops(a, 'mark_in_erp'), ops(a, 'paid'), ops(a, 'rejected')]).toEqual([marked, 2, 1]);
  });

  it("a journal an earlier version kept by the address alone is never resumed as this key's: each invoice is looked up, none doubled", async () => {
    const [a, b] = [await sandbox(KEY_A), await sandbox(KEY_B)];
    const url = await router(new Map([[KEY_A, a], [KEY_B, b]]));
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-two-institutions-'));
    const stateDir = join(dir, 'state');
    const load = (key: string) =>
      runCli(['--json', '--rate', '200', '--poll-timeout', '5', join(ROOT, 'fixtures/sample-batch.csv')], { env: { ALMA_API_URL: url, ALMA_API_KEY: key, INVOICE_LOAD_STATE_DIR: stateDir, HOME: dir } });
    expect((await load(KEY_A)).code).toBe(0);
    expect(created(a)).toBe(7);
    // As an earlier version left it: named and headed by the address alone.
    const journals = join(stateDir, 'journals');
    const [file] = readdirSync(journals).filter((n) => n.endsWith('.jsonl'));
    const origin = new URL(url).origin;
    const now = accountAddress(origin, KEY_A);
    expect(file).toContain(shortHash(now));
    writeFileSync(join(journals, file!.replace(shortHash(now), shortHash(origin))), readFileSync(join(journals, file!), 'utf8').replace(`"endpoint":"${now}"`, `"endpoint":"${origin}"`));
    rmSync(join(journals, file!));

    const production = await load(KEY_B);
    expect(production.code, production.stderr).toBe(0);
    expect(production.stderr).toContain('a journal of this batch kept by an earlier version (by the address alone, before journals were kept per API key) is not resumed');
    expect(production.stderr).not.toContain('finished by an earlier run');
    expect(created(b)).toBe(7);
    // The key whose journal it was: its invoices found by look-up, none created again.
    const again = await load(KEY_A);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as ReportDocument).invoices.map((i) => i.status)).toEqual(Array(7).fill('already_loaded'));
    expect(created(a)).toBe(7);
  });
});
