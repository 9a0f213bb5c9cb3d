import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file so that a kill at any byte leaves either the old file or the new one, never a
 * torn mix: write a temporary file beside it, fsync, then rename over (rename(2) is atomic).
 * `content` is the text, or a function that hands it out in pieces (a report of a million rows
 * is more text than one JavaScript string may hold). `fsync: false` skips the flush: the file is
 * still whole or absent after a kill, but may be lost in a power cut (the sandboxes' state).
 */
export function writeFileAtomic(path: string, content: string | ((write: (piece: string) => void) => void), opts: { fsync?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    try {
      // writeFileSync loops until every byte is written (one writeSync may write fewer), at the
      // descriptor's position, so pieces follow one another.
      if (typeof content === 'string') writeFileSync(fd, content);
      else content((piece) => writeFileSync(fd, piece));
      if (opts.fsync !== false) fsyncSync(fd);
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
