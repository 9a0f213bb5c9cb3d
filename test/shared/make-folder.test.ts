/**
 * A state dir that cannot be made says why (review: cron user, item 3): Node's recursive mkdir
 * turns a read-only file system (EROFS) or a forbidden parent (EACCES) into ENOENT, "no such file
 * or folder", though the parent is there.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFolder, writeFileAtomic, type FolderFs } from '../../src/common/fs.js';
import { pathError } from '../../src/cli/exit.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const isFolder = (p: string): boolean | undefined => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return undefined;
  }
};
const errno = (code: string, path: string) => Object.assign(new Error(`${code}: mkdir '${path}'`), { code, path, syscall: 'mkdir' });

/** A folder under which nothing can be made: recursive mkdir says ENOENT (as Node's does), a plain one `code`. */
const refusing = (code: string): FolderFs => ({
  mkdir: (path, opts) => {
    throw errno(opts.recursive === true ? 'ENOENT' : code, path);
  },
  isFolder,
});

describe('makeFolder', () => {
  it.each([
    ['EROFS', 'the file system is read-only'],
    ['EACCES', 'permission denied'],
  ])('%s under an existing folder: said as such, for the path given, not "no such file or folder"', (code, words) => {
    dir = mkdtempSync(join(tmpdir(), 'il-mkdir-'));
    const state = join(dir, 'state', 'journals');
    let thrown: unknown;
    try {
      makeFolder(state, 0o700, refusing(code));
    } catch (err) {
      thrown = err;
    }
    expect((thrown as NodeJS.ErrnoException).code).toBe(code);
    expect(pathError(thrown)?.message).toBe(`cannot use '${state}': ${words}`);
  });

  it('a real ENOENT stays one; a folder that can be made is made', () => {
    dir = mkdtempSync(join(tmpdir(), 'il-mkdir-'));
    const gone: FolderFs = { mkdir: (path) => { throw errno('ENOENT', path); }, isFolder };
    expect(() => makeFolder(join(dir!, 'a', 'b'), 0o700, gone)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    makeFolder(join(dir, 'a', 'b'), 0o700);
    expect(isFolder(join(dir, 'a', 'b'))).toBe(true);
    mkdirSync(join(dir, 'c'));
    makeFolder(join(dir, 'c'), 0o700);
  });
});

describe('writeFileAtomic makes its folder as makeFolder does', () => {
  it.each([
    ['EROFS', 'the file system is read-only'],
    ['EACCES', 'permission denied'],
  ])('%s: a file in a folder to be made (mapping init -o, an export) says so, not "no such file or folder"', (code, words) => {
    dir = mkdtempSync(join(tmpdir(), 'il-mkdir-'));
    const file = join(dir, 'reports', 'r.json');
    let thrown: unknown;
    try {
      writeFileAtomic(file, '{}', { folders: refusing(code) });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as NodeJS.ErrnoException).code).toBe(code);
    expect(pathError(thrown)?.message).toBe(`cannot use '${join(dir, 'reports')}': ${words}`);
    expect(isFolder(join(dir, 'reports'))).toBeUndefined();
  });
});
