/** writeFileAtomic: the new file whole, or the old one; the piecewise form writes the pieces in order. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/common/fs.js';

describe('writeFileAtomic', () => {
  it('writes text handed out in pieces, in order, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-fs-'));
    const path = join(dir, 'report.json');
    writeFileSync(path, 'old');
    const pieces = Array.from({ length: 500 }, (_, i) => `${i}:${'é'.repeat(i % 7)}\n`);
    writeFileAtomic(path, (write) => pieces.forEach(write));
    expect(readFileSync(path, 'utf8')).toBe(pieces.join(''));
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it('keeps the old file when the producer fails half-way, and removes the temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-fs-'));
    const path = join(dir, 'report.json');
    writeFileSync(path, 'old');
    expect(() =>
      writeFileAtomic(path, (write) => {
        write('{"half": ');
        throw new Error('producer failed');
      }),
    ).toThrow('producer failed');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it("keeps a caller's own temporary file when the rename fails after beforeRename, and removes one whose rename was never tried", () => {
    // export's record names its temporary file: present later, the file never took its place
    // (a failed rename must not read as one that happened). A rename onto a folder fails.
    const dir = mkdtempSync(join(tmpdir(), 'il-fs-'));
    const path = join(dir, 'out.csv');
    mkdirSync(join(path, 'inner'), { recursive: true });
    const tmp = join(dir, '.out.csv.1.2.tmp');
    let recorded = false;
    expect(() => writeFileAtomic(path, 'a,b\n', { tmp, beforeRename: () => (recorded = true) })).toThrow();
    expect(recorded).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['.out.csv.1.2.tmp', 'out.csv']);
    // The record refused (beforeRename throws): no rename was tried, nothing recorded to tell; removed.
    const other = join(dir, '.out.csv.3.4.tmp');
    expect(() => writeFileAtomic(path, 'a,b\n', { tmp: other, beforeRename: () => { throw new Error('disk full'); } })).toThrow('disk full');
    expect(readdirSync(dir)).not.toContain('.out.csv.3.4.tmp');
  });
});
