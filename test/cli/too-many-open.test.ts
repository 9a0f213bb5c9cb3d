/**
 * Out of file handles while a batch is opened: said as too many files open at once, with how
 * many inputs were given — not as the fault of whichever file came to be opened then.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const refused = vi.hoisted(() => ({ code: 'EMFILE' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open = (path: string): Promise<never> => Promise.reject(Object.assign(new Error(`${refused.code}: too many open files, open '${path}'`), { code: refused.code }));
  return { ...fs, open, default: { ...fs, open } };
});

const { scanBatch } = await import('../../src/cli/batch.js');
const { UsageError } = await import('../../src/common/errors.js');

const dir = mkdtempSync(join(tmpdir(), 'il-emfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = [0, 1, 2].map((i) => {
  const f = join(dir, `f${i}.csv`);
  writeFileSync(f, 'invoice_number,vendor\n');
  return f;
});

describe('EMFILE / ENFILE opening the inputs', () => {
  it.each([
    ['EMFILE', "this process's open-file limit (ulimit -n)"],
    ['ENFILE', "the system's limit on open files"],
  ])('%s: too many files open at once, 3 inputs given; no file blamed', async (code, limit) => {
    refused.code = code;
    const err: unknown = await scanBatch(files, { encoding: 'utf-8', stdin: Readable.from([]) }, (g) => g).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message).toBe(`too many files are open at once: ${limit} is reached (3 inputs were given; they are read one at a time). Raise the limit, or close other programs' files, and run again`);
    expect(message).not.toContain('f0.csv');
  });
});
