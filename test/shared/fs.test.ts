/** writeFileAtomic: the new file whole, or the old one; the piecewise form writes the pieces in order. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
});
