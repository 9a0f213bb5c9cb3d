/**
 * The identity `export` keys its journals by (cli/output-identity.ts): one for every spelling of
 * an output file's path. The rules against a scripted disk; the symlinks against this one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseInsensitiveAt, outputIdentity, type PathProbe } from '../../src/cli/output-identity.js';

/**
 * A disk of `real` (a path → its real path; absent: not there) on which `same` lists the
 * spellings that reach one entry; the calls made to `same` are kept.
 */
function disk(real: Record<string, string>, same: [string, string][] = []): PathProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    realpath: (p) => {
      const r = real[p];
      if (r === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return r;
    },
    same: (a, b) => {
      asked.push(b);
      return same.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    },
  };
}

describe('outputIdentity', () => {
  it.each([
    ['a plain folder: the path itself', '/data/out/to-finance.csv', disk({ '/data/out': '/data/out' }), '/data/out/to-finance.csv'],
    ['a symlinked folder: its real path', '/home/u/finance/to-finance.csv', disk({ '/home/u/finance': '/srv/share/finance' }), '/srv/share/finance/to-finance.csv'],
    ['a folder the write will make: the nearest real ancestor, then the rest as given', '/home/u/finance/2026/Q4/to-finance.csv', disk({ '/home/u/finance': '/srv/share/finance' }), '/srv/share/finance/2026/Q4/to-finance.csv'],
    ['nothing of it resolves: the path as given', '/nowhere/to-finance.csv', disk({}), '/nowhere/to-finance.csv'],
    ['case-sensitive: the name as given', '/data/out/To-Finance.CSV', disk({ '/data/out': '/data/out' }), '/data/out/To-Finance.CSV'],
    [
      'case-insensitive: the name in ASCII lower case, the folder in its on-disk case (realpath)',
      '/Users/u/OUT/To-Finance.CSV',
      disk({ '/Users/u/OUT': '/Users/u/Out' }, [['/Users/u/Out', '/Users/u/oUT']]),
      '/Users/u/Out/to-finance.csv',
    ],
    [
      'case-insensitive: letters beyond ASCII as given (their folding is the file system\'s)',
      '/Users/u/Out/Straße-ÄÖ-K.csv',
      disk({ '/Users/u/Out': '/Users/u/Out' }, [['/Users/u/Out', '/Users/u/oUT']]),
      '/Users/u/Out/straße-ÄÖ-k.csv',
    ],
  ])('%s', (_name, output, probe, identity) => {
    expect(outputIdentity(output, probe)).toBe(identity);
  });
});

describe('caseInsensitiveAt: the folder reached under its last lettered part, case-swapped', () => {
  it.each([
    ['the same entry: insensitive', '/Users/u/Out', [['/Users/u/Out', '/Users/u/oUT']] as [string, string][], true, ['/Users/u/oUT']],
    ['another entry or none: sensitive', '/data/Out', [] as [string, string][], false, ['/data/oUT']],
    ['a last part without letters: the one above it', '/data/x/2026', [['/data/x/2026', '/data/X/2026']] as [string, string][], true, ['/data/X/2026']],
    ['no letters at all: nothing tells, sensitive', '/', [] as [string, string][], false, []],
  ])('%s', (_name, real, same, insensitive, asked) => {
    const probe = disk({}, same);
    expect(caseInsensitiveAt(real, probe)).toBe(insensitive);
    expect(probe.asked).toEqual(asked);
  });
});

describe('outputIdentity on this disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'identity-')));
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a file through a symlinked folder is the file in the folder', () => {
    expect(outputIdentity(join(dir, 'link', 'to-finance.csv'))).toBe(outputIdentity(join(dir, 'real', 'to-finance.csv')));
    expect(outputIdentity(join(dir, 'link', 'to-finance.csv'))).toBe(join(dir, 'real', 'to-finance.csv'));
  });

  it('a folder not made yet, below a symlinked one', () => {
    expect(outputIdentity(join(dir, 'link', 'new', 'to-finance.csv'))).toBe(join(dir, 'real', 'new', 'to-finance.csv'));
  });

  it('a symlink as the file is not followed: the write replaces the link, not its target', () => {
    writeFileSync(join(dir, 'real', 'target.csv'), 'x');
    symlinkSync(join(dir, 'real', 'target.csv'), join(dir, 'real', 'named.csv'));
    expect(outputIdentity(join(dir, 'link', 'named.csv'))).toBe(join(dir, 'real', 'named.csv'));
  });
});
