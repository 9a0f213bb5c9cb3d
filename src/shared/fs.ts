import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file so that a kill at any byte leaves either the old file or the new one, never a
 * torn mix: write a temporary file beside it, fsync, then rename over (rename(2) is atomic).
 */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    try {
      // writeFileSync loops until every byte is written; one writeSync may write fewer.
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // Leave no half-written temporary file behind (e.g. when `path` is a directory or the disk is full).
    rmSync(tmp, { force: true });
    throw err;
  }
}
