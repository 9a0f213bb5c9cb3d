import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSeed, startSandbox } from '../../src/sandbox/index.js';
import { saveJson } from '../../src/sandbox/persist.js';
import { call, createInvoice, invoiceBody, lineBody, manualClock, start } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
  dirs.push(d);
  return d;
};

describe('persistence (statePath)', () => {
  it.skipIf(process.platform === 'win32')('the state file holds invoice data: made 0600 (its folder is 0700); one already there keeps its mode', () => {
    const dir = tempDir();
    const path = join(dir, 'state', 'state.json');
    saveJson(path, { version: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    saveJson(path, { version: 1, again: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o640);
    saveJson(path, { version: 1, third: true });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, third: true });
  });

  it('keeps invoices, lines, statuses, counters and the id counter between runs', async () => {
    const dir = tempDir();
    const statePath = join(dir, 'nested', 'state.json');
    const first = await start({ statePath });
    const id = await createInvoice(first, 'S-1');
    await call(first, 'POST', `/acq/invoices/${id}/lines`, { body: lineBody() });
    await call(first, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    await call(first, 'GET', `/acq/invoices/${id}`);
    await first.close();
    expect(existsSync(statePath)).toBe(true);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['state.json']);

    const second = await start({ statePath });
    const g = await call(second, 'GET', `/acq/invoices/${id}`);
    expect(g.json.invoice_workflow_status.value).toBe('Waiting to be Sent');
    expect(g.json.invoice_lines.invoice_line[0].po_line).toBe('POL-1001');
    expect(second.state().counters.created).toEqual({ GOBI: { 'S-1': 1 } });
    // A re-run sees the earlier invoice: a duplicate is refused and new ids do not collide.
    expect((await call(second, 'POST', '/acq/invoices', { body: invoiceBody('S-1') })).status).toBe(400);
    const id2 = await createInvoice(second, 'S-2');
    expect(id2).not.toBe(id);
    expect(BigInt(id2) > BigInt(id)).toBe(true);
  });

  it('a processing still pending at exit settles after the restart', async () => {
    const statePath = join(tempDir(), 'state.json');
    const clock = manualClock();
    const first = await start({ statePath, now: clock.now, processDelayMs: 500 });
    const id = await createInvoice(first, 'S-3', { total_amount: 1 });
    await call(first, 'POST', `/acq/invoices/${id}?op=process_invoice`, { body: {} });
    await first.close();
    clock.advance(600);
    const second = await start({ statePath, now: clock.now });
    expect(second.state().invoices.find((i) => i.id === id)).toMatchObject({ processing: 'settled', alerts: ['TOTAL_AMOUNT_MISMATCH'] });
  });

  it('writes the file after every change and /_sandbox/reset goes back to the seed', async () => {
    const statePath = join(tempDir(), 'state.json');
    const s = await start({ statePath });
    await createInvoice(s, 'S-4');
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { invoices: Array<{ number: string }> };
    expect(saved.invoices.map((i) => i.number)).toContain('S-4');
    expect((await call(s, 'POST', '/_sandbox/reset')).status).toBe(200);
    expect(s.state().invoices.map((i) => i.number)).toEqual(['G-23987', 'EBS-8841-24']);
    expect(s.state().counters.requestsTotal).toBe(0);
    const after = JSON.parse(readFileSync(statePath, 'utf8')) as { invoices: Array<{ number: string }> };
    expect(after.invoices.map((i) => i.number)).toEqual(['G-23987', 'EBS-8841-24']);
  });

  it('refuses a state file that is not a sandbox state', async () => {
    const statePath = join(tempDir(), 'state.json');
    writeFileSync(statePath, '{"hello": 1}');
    await expect(startSandbox({ statePath })).rejects.toThrow(/not a sandbox state/);
  });
});

describe('seed loading', () => {
  it('takes a seed object, and refuses a seed whose PO line names an unknown fund', async () => {
    const seed = loadSeed();
    const s = await start({ seed: { ...seed, invoices: [] } });
    expect(s.state().invoices).toEqual([]);
    const broken = { ...seed, po_lines: [{ ...seed.po_lines[0]!, fund_code: 'NOPE' }] };
    await expect(startSandbox({ seed: broken })).rejects.toThrow(/unknown fund NOPE/);
    await expect(startSandbox({ seed: join(tempDir(), 'missing.json') })).rejects.toThrow(/cannot read the sandbox seed/);
  });
});
