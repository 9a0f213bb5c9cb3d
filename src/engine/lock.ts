/**
 * One run per journal: a lock file beside the journal, created with link(2) so that creating it
 * is atomic. A lock left by a run that was killed (its pid is gone on this host) is taken over;
 * a live one stops the second run with a clear message (exit 2).
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { JournalError } from '../common/errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return false; // our own pid in the lock means a dead run whose pid was reused
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Who holds the lock at `path`, when a run does: a live pid on this host, or any run on another
 * (which this host cannot check, as `acquireLock` cannot). Undefined when there is no lock, or its
 * run is gone.
 */
export function lockHolder(path: string): LockInfo | undefined {
  let held: LockInfo;
  try {
    held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
  return held.host !== hostname() || isAlive(held.pid) ? held : undefined;
}

/** Takes the lock at `path` or throws `JournalError`; returns the function that releases it, with what the lock says (`held`). */
export function acquireLock(path: string, now: () => Date = () => new Date()): (() => void) & { held: LockInfo } {
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: now().toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(mine) + '\n');
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path);
        const release = (): void => {
          try {
            const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
            if (held.pid === mine.pid && held.started === mine.started) unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        };
        return Object.assign(release, { held: mine });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        held = undefined; // unreadable lock: a run killed while writing it
      }
      if (held && held.host !== mine.host) {
        throw new JournalError(
          `another invoice-load run on host ${held.host} (pid ${held.pid}, started ${held.started}) holds ${path}; ` +
            `if it is no longer running, delete that file and run again.`,
        );
      }
      if (held && isAlive(held.pid)) {
        throw new JournalError(
          `another invoice-load run (pid ${held.pid}, started ${held.started}) is working on this batch; ` +
            `wait for it to finish, then run again.`,
        );
      }
      unlinkSync(path); // stale: its run is gone
    }
    throw new JournalError(`could not take the lock ${path}; another run keeps taking it.`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // ignore
    }
  }
}
