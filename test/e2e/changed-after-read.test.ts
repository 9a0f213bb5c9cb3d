/**
 * A file still being uploaded into the folder a cron job reads, whose transfer stalled inside
 * its last value: every cell is there (no cut_short), and the read of milliseconds sees no
 * change (no file_changed at read time). The rest arrives while the checks and look-ups run,
 * seconds before the first write. The load looks at the file again just before that write:
 * exit 3, file_changed, nothing written — it used to load `POL-1013` as `POL-101`, exit 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { mkdirSync } from 'node:fs';
import { world, type World } from '../helpers/sandbox.js';
import type { SandboxSeed } from '../../src/sandbox/index.js';

let w: World | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy !== undefined ? proxy.close(r) : r(undefined)));
  proxy = undefined;
  await w?.close();
  w = undefined;
});

/** Forwards every request to `target`; `first` runs (synchronously) before the first one is forwarded. */
async function forwarding(target: string, first: () => void): Promise<string> {
  let seen = false;
  const to = new URL(target);
  proxy = createServer((req, res) => {
    if (!seen) {
      seen = true;
      first();
    }
    const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

describe('a file that changes after it was read, before the first write', () => {
  it('is file_changed: exit 3, nothing written to Alma', async () => {
    // Another, older PO line of the vendor whose number begins the last one's: the cut value is valid.
    const seed = JSON.parse(readFileSync(join(ROOT, 'fixtures/sandbox-seed.json'), 'utf8')) as SandboxSeed & { po_lines: { number: string }[] };
    const pol = seed.po_lines.find((p) => p.number === 'POL-1013')!;
    seed.po_lines.push({ ...pol, number: 'POL-101' });
    w = await world({ seed });
    // Blackwell's invoice of the sample, in a layout whose last column is po_line.
    const header = 'invoice_number,invoice_date,vendor,vendor_account,currency,payment_method,total_amount,insurance,line_number,price,quantity,fund_code,fund_percent,po_line';
    const whole = `${header}\nBW/77120,2025-03-12,BLACKWELL,BLACKWELL,GBP,CREDITCARD,178.24,3.25,1,64.99,1,HIST,100,POL-1012\nBW/77120,,BLACKWELL,,,,,,2,110.00,1,LAW,100,POL-1013\n`;
    const file = join(w.dir, 'live.csv');
    // The upload so far: the last row ends inside its PO line.
    writeFileSync(file, whole.slice(0, -2));
    // The rest arrives once the file has been read: the first request to Alma comes after the read.
    const url = await forwarding(w.sandbox.url, () => appendFileSync(file, whole.slice(-2)));
    const res = await w.load([file], { env: { ALMA_API_URL: url } });
    expect(res.code, res.stderr).toBe(3);
    expect(res.report?.issues).toEqual([expect.objectContaining({ file, code: 'file_changed', severity: 'error', message: expect.stringContaining('changed after it was read') })]);
    expect(res.stderr).toContain('changed after it was read [file_changed]');
    const state = w.sandbox.state();
    expect(state.invoices.filter((i) => i.origin === 'api')).toEqual([]);
    expect(state.counters.created).toEqual({});
  }, 30_000);

  it('payments: a confirmation file still being uploaded is file_changed, exit 3, nothing paid (it paid V-2025-041 for V-2025-0412)', async () => {
    w = await world();
    const env = { ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir, ALMA_API_URL: w.sandbox.url };
    expect((await w.load([join(ROOT, 'fixtures/round-trip/batch.csv')])).code).toBe(0);
    mkdirSync(join(w.dir, 'out'));
    expect((await runCli(['export', '--mark-in-erp', '-o', join(w.dir, 'out/f.csv')], { env, cwd: w.dir })).code).toBe(0);
    const whole = 'vendor,invoice_number,payment_status,voucher_date,voucher_amount,voucher_currency,voucher_number\nHARRAS,HA-2025-00520,paid,2025-04-20,876.40,EUR,V-2025-0412\n';
    const file = join(w.dir, 'pay.csv');
    // The upload so far ends inside the voucher number; the rest comes once the look-ups begin.
    writeFileSync(file, whole.slice(0, -3));
    const url = await forwarding(w.sandbox.url, () => appendFileSync(file, whole.slice(-3)));
    const res = await runCli(['payments', '--json', file], { env: { ...env, ALMA_API_URL: url }, cwd: w.dir });
    expect(res.code, res.stderr).toBe(3);
    const doc = JSON.parse(res.stdout) as { issues: { code: string; file: string }[] };
    expect(doc.issues).toEqual([expect.objectContaining({ file, code: 'file_changed' })]);
    expect(res.stderr).toContain('changed after it was read [file_changed]');
    const inv = w.sandbox.state().invoices.find((i) => i.number === 'HA-2025-00520')!;
    expect(JSON.stringify(inv)).not.toContain('V-2025-041');
  }, 60_000);
});
