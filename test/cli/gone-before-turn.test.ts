/**
 * A file checked when the run began and gone (deleted, or a folder put in its place) when its
 * turn to be read comes: the file's `file_changed` error, the other files read — as a file that
 * changed while or after it was read — not a usage error (exit 2) after earlier files were read
 * (input/read.ts InputGone). The file system step between the check and the turn is injected:
 * the second open of the file (the first is the check, holdInputs) finds it gone.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const step = vi.hoisted(() => ({ file: '', then: 'delete' as 'delete' | 'folder', opens: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (path: string, ...rest: unknown[]) => {
    if (path === step.file && ++step.opens === 2) {
      const { unlinkSync: unlink, mkdirSync: mkdir } = await import('node:fs');
      unlink(path);
      if (step.then === 'folder') mkdir(path);
    }
    return (fs.open as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.open;
  return { ...fs, open, default: { ...fs, open } };
});

const { readBatch } = await import('../../src/cli/batch.js');
const { readPayments } = await import('../../src/cli/payments.js');

const dir = mkdtempSync(join(tmpdir(), 'il-gone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INVOICE = 'vendor,invoice_number,invoice_date,total_amount,currency,price,fund_code\n';
const PAYMENT = 'vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\n';

function files(name: string, head: string, row: (n: string) => string): [string, string] {
  const a = join(dir, `${name}-a.csv`);
  const b = join(dir, `${name}-b.csv`);
  rmSync(b, { recursive: true, force: true });
  writeFileSync(a, head + row('A-1'));
  writeFileSync(b, head + row('B-1'));
  step.file = b;
  step.opens = 0;
  return [a, b];
}

describe('a file gone between the check of every input and its turn to be read', () => {
  it.each([
    ['deleted', 'delete', 'no such file or folder'],
    ['replaced by a folder', 'folder', 'it is a folder'],
  ] as const)('%s: the load says file_changed for it and reads the others; nothing of it is planned', async (_name, then, reason) => {
    step.then = then;
    const [a, b] = files(`load-${then}`, INVOICE, (n) => `ACME,${n},2026-01-15,10.00,USD,10.00,BOOKS\n`);
    const plan = await readBatch([a, b], { encoding: 'utf-8', stdin: Readable.from([]) });
    expect(plan.entries.map((e) => e.key.number)).toEqual(['A-1']);
    expect(plan.issues.map((p) => [p.file, p.row, p.code, p.severity])).toEqual([[b, undefined, 'file_changed', 'error']]);
    expect(plan.issues[0]!.message).toBe(
      `the file changed before it was read (${reason}): it could be read when the run began, and was moved, deleted or replaced since; nothing of it was read. Run again once it is in place`,
    );
  });

  it('payments says file_changed for it and reads the others', async () => {
    step.then = 'delete';
    const [a, b] = files('pay', PAYMENT, (n) => `V,${n},paid,X-${n},2025-01-02,10.00,EUR\n`);
    const { entries, issues } = await readPayments({ files: [a, b], encoding: 'utf-8' } as Parameters<typeof readPayments>[0]);
    expect(entries.map((e) => e.key.number)).toEqual(['A-1']);
    expect(issues.map((p) => [p.file, p.code])).toEqual([[b, 'file_changed']]);
  });
});
