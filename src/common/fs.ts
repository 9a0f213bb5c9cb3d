import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UsageError } from './errors.js';

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

/**
 * A file holding a secret (an API key, credentials) and its mode, read through one descriptor so
 * the mode is the read file's; `what` names it in the error ("the API key file"), which never
 * shows the content.
 */
export function readSecretFile(path: string, what: string): { text: string; mode: number } {
  try {
    const fd = openSync(path, 'r');
    try {
      return { mode: fstatSync(fd).mode, text: readFileSync(fd, 'utf8') };
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Why a secret file's permissions expose it, from its mode; undefined when only its owner (and
 * group) can read it, and on Windows, whose modes say nothing of that. Never its content.
 */
export function secretFileExposure(what: string, path: string, mode: number, platform: string = process.platform): string | undefined {
  if (platform === 'win32' || (mode & 0o004) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  return `${what} ${path} can be read by every user of this machine (mode ${octal}); make it yours alone: chmod 600 ${path}`;
}
