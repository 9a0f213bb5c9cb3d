/**
 * One run per journal: a lock file beside the journal, created with link(2) so that creating it
 * is atomic. A lock left by a run that was killed (its pid is gone on this host, or is another
 * process's now: `pstart`, within one pid namespace and boot — `holderLives`) is taken over; a
 * live one stops the second run with a clear message (exit 2). Of the runs that judge one lock
 * stale at once, only one takes it over (`takeOver`).
 *
 * A run on another host cannot be asked whether it lives, nor can one of this host in another pid
 * namespace or boot (`pidCheckable`). Its lock's time says it: the holder touches the file every
 * HEARTBEAT_MS, and one silent for STALE_MS is taken over. A container
 * restarted under a new name with its state dir kept, as a pod's is, left a lock no later run
 * would take, and every nightly run stopped on it until someone deleted the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, readlinkSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { JournalError } from '../common/errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
  /**
   * When the holder's process started, where the system says (Linux: `starttime` of
   * /proc/<pid>/stat, clock ticks since boot; proc(5)): a live process under that pid that
   * started at another moment is another process, the pid reused — as in a container, where
   * each run is the same pid. Absent elsewhere, and in locks of loaders before it. Compared only
   * when `pidns` and `boot` are the reader's: a pid (and its start) means nothing in another pid
   * namespace (two containers of one hostname sharing a state dir) or after a reboot.
   */
  pstart?: string | undefined;
  /** The holder's pid namespace (Linux: readlink /proc/self/ns/pid), where the system says. */
  pidns?: string | undefined;
  /** The boot the holder ran in (Linux: /proc/sys/kernel/random/boot_id), where the system says. */
  boot?: string | undefined;
  /**
   * What holds the lock, when it is no run that ends by itself: `an invoice-load sandbox server`
   * (cli/sandbox-command.ts), which holds its state until stopped. The refusal names it so, and
   * says to stop it rather than wait. Absent for a run (and in locks of loaders before it).
   */
  who?: string | undefined;
}

/** Where this process runs: its pid namespace and boot, each where the system says. */
export interface Where {
  pidns?: string | undefined;
  boot?: string | undefined;
}

let here: Where | undefined;
/** This process's pid namespace and boot (they do not change while it runs). */
export function whereHere(): Where {
  if (here !== undefined) return here;
  let pidns: string | undefined;
  let boot: string | undefined;
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidns = undefined;
  }
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    boot = undefined;
  }
  here = { pidns, boot };
  return here;
}

/**
 * Whether a pid in the lock `held` can be checked from where the reader runs: the lock was written
 * in the reader's pid namespace and boot. A pid of another namespace (two containers of one
 * hostname sharing a state dir, each run pid 1 in its own) or of another boot names some other
 * process here, or none — even when it is the reader's own pid. A lock that does not say (one of
 * a loader before these fields, or of a system that does not tell them) is read as before: its
 * pid is checked here.
 */
export function pidCheckable(held: Pick<LockInfo, 'pidns' | 'boot'>, reader: Where): boolean {
  return (held.pidns === undefined || held.pidns === reader.pidns) && (held.boot === undefined || held.boot === reader.boot);
}

/**
 * Whether the run of a lock of this host still holds it, from facts the caller gathered: the
 * reader's pid and where it runs, and what it sees under the lock's pid (alive, its start).
 * A lock whose pid cannot be checked from here (`pidCheckable`) is held as far as its pid tells:
 * its heartbeat says whether it lives, as for a lock of another host (`acquireLock`, `lockHolder`).
 * Otherwise a pid not alive, or the reader's own pid, is a run gone (as always). A live pid is the
 * holder, unless the lock and the reader share a pid namespace and a boot and the pid started at
 * another moment than the lock says (the pid reused). Locks without these fields are read as before.
 */
export function holderLives(
  held: Pick<LockInfo, 'pid' | 'pstart' | 'pidns' | 'boot'>,
  reader: Where & { pid: number },
  seen: { alive: boolean; pstart?: string | undefined },
): boolean {
  // Another namespace or boot: its pid 1 and our pid 1 are two processes, and a pid gone here
  // may be alive there — taking a live run's lock would have two runs write one journal.
  if (!pidCheckable(held, reader)) return true;
  // Our own pid in a lock of our namespace and boot (or of a lock that does not say) means a dead
  // run whose pid was reused.
  if (held.pid === reader.pid) return false;
  if (!seen.alive) return false;
  const sameView =
    held.pidns !== undefined && held.boot !== undefined && held.pidns === reader.pidns && held.boot === reader.boot;
  if (!sameView || held.pstart === undefined || seen.pstart === undefined) return true;
  return seen.pstart === held.pstart;
}

/** `starttime` of /proc/<pid>/stat (proc(5), field 22), or undefined where there is no such file. */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself:
  // the fields after its last ')' start with field 3.
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** How often a holder touches its lock. */
export const HEARTBEAT_MS = 30_000;
/**
 * A lock of another host untouched this long is its run's no more: twenty heartbeats, room
 * for the clocks of two hosts sharing a state dir to disagree.
 */
export const STALE_MS = 10 * 60_000;

/** For a lock of another host: how long since its holder last touched it, when longer than STALE_MS. */
function silentFor(path: string, now: Date): number | undefined {
  try {
    const silent = now.getTime() - statSync(path).mtimeMs;
    return silent > STALE_MS ? silent : undefined;
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat's text, or undefined where there is no such file (no /proc, the pid gone). */
const readProcStat = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The state letter of a /proc/<pid>/stat text (proc(5), field 3: R, S, D, Z, X …), or undefined
 * where it cannot be read. The command name (field 2) is in parentheses and may hold spaces and
 * parentheses itself: field 3 follows its last ')'.
 */
export function procState(stat: string | undefined): string | undefined {
  if (stat === undefined) return undefined;
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  const state = stat.slice(end + 2).split(' ')[0];
  return state !== undefined && /^[A-Za-z]$/.test(state) ? state : undefined;
}

/**
 * Whether a process runs under `pid` on this host. kill(pid, 0) succeeds for a zombie too — a
 * killed holder its parent has not reaped yet (https://man7.org/linux/man-pages/man2/kill.2.html,
 * https://man7.org/linux/man-pages/man5/proc.5.html): on Linux, a state of Z (zombie) or X (dead)
 * in /proc/<pid>/stat is no run, and its lock is taken over. Where /proc is absent, kill alone
 * decides, as before. `readStat`: the /proc reader (tests pass their own).
 */
export function pidAlive(pid: number, readStat: (pid: number) => string | undefined = readProcStat): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procState(readStat(pid));
  return state !== 'Z' && state !== 'X';
}

/** Whether only the lock's heartbeat can tell if its run lives: another host's, or another pid namespace's or boot's. */
const byHeartbeat = (held: LockInfo): boolean => held.host !== hostname() || !pidCheckable(held, whereHere());

/** holderLives with what this process sees now. */
const isAlive = (held: LockInfo): boolean => {
  const alive = pidAlive(held.pid);
  return holderLives(held, { pid: process.pid, ...whereHere() }, { alive, pstart: alive && held.pstart !== undefined ? processStart(held.pid) : undefined });
};

/**
 * Who holds the lock at `path`, when a run does: a live pid on this host, or a run whose pid
 * cannot be checked from here (another host, pid namespace or boot) whose lock is not silent for
 * STALE_MS, as `acquireLock` judges. Undefined when there is no lock, or its run is gone.
 */
export function lockHolder(path: string, now: Date = new Date()): LockInfo | undefined {
  let held: LockInfo;
  try {
    held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
  if (byHeartbeat(held)) return silentFor(path, now) === undefined ? held : undefined;
  return isAlive(held) ? held : undefined;
}

/** What was read of a lock file: its bytes, and which file at which heartbeat (all of one open file). */
interface Seen {
  raw: string;
  ino: number;
  dev: number;
  mtimeMs: number;
}

/** The file at `path` as `Seen`; undefined when there is none. */
function readSeen(path: string): Seen | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    return { raw: readFileSync(fd, 'utf8'), ino: st.ino, dev: st.dev, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

const sameFile = (a: Seen, b: Seen): boolean => a.raw === b.raw && a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs;

const parseLock = (raw: string): LockInfo | undefined => {
  try {
    return JSON.parse(raw) as LockInfo;
  } catch {
    return undefined; // unreadable lock: a run killed while writing it
  }
};

/**
 * Points inside `acquireLock` where a test runs what another run does in between: `judged`, the
 * lock at `path` read and judged stale, nothing done yet; `claimed`, this run's takeover claim
 * (`file`) made, the lock not yet checked again.
 */
export type LockSeam = (step: 'judged' | 'claimed', file: string) => void;

/** How many claims of one stale lock, each left by a run killed while taking it over, are passed. */
const CLAIMS_PASSED = 64;

/**
 * Removes the stale lock `judged` from `path` — unless it is not there any more — so that of the
 * runs that judged it stale only one removes it, and none removes the lock that replaced it.
 * Says 'taken' (`path` is free for this run's link), or 'again' (`path` holds another lock now,
 * or none, or another run was done with it: judge again); throws while another live run is
 * taking it over.
 *
 * Why two runs cannot both take it (POSIX link(2), unlink(2)): only the run holding a claim of
 * `judged` — a file named after that lock's bytes alone, created with link(2), which
 * fails when the name exists — removes the lock, and only after reading that `path` is still
 * that very file. A lock never comes back once removed (each run's is its own file with its own
 * pid and start), and no one else removes it meanwhile (its run is gone, and the other runs that
 * judged it are held off by the claim), so the check stays true until the unlink. A run that
 * judged it long ago claims it only after the claim is removed, which is after the lock is:
 * its check sees another file, or none. A claim left by a run killed while taking over names
 * that run (the claim is a link of its lock file): once that run is judged gone as a lock's is,
 * the claim is passed and the next one (`.1`, `.2`, …) made. A claim of another run is removed
 * only once the lock it claims is seen not at `path`, so two live claimants of one lock never
 * coexist; a run's own claim goes when it stops, as it then removes nothing.
 */
function takeOver(path: string, judged: Seen, tmp: string, now: () => Date, what: string, seam?: LockSeam): 'taken' | 'again' {
  // Named by the lock's bytes alone (its run's pid, host, start, namespace and boot: no two locks
  // share them), never by its device or inode number or time: those are each client's own view of
  // a state dir shared over NFS or SMB (st_dev differs per mount), and two hosts naming one lock
  // two ways would each get a claim.
  const name = createHash('sha256').update(judged.raw).digest('hex').slice(0, 16);
  const passed: string[] = [];
  let own: string | undefined;
  let lockGone = false;
  try {
    for (let n = 0; n < CLAIMS_PASSED; n++) {
      const claim = `${path}.${name}.${n}.takeover`;
      try {
        linkSync(tmp, claim);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const other = readSeen(claim);
        if (other === undefined) return 'again'; // removed since: its run is done with the lock, or stopped
        const claimant = parseLock(other.raw);
        const gone =
          claimant === undefined ||
          (byHeartbeat(claimant) ? now().getTime() - other.mtimeMs > STALE_MS : !isAlive(claimant));
        if (!gone) {
          throw new JournalError(
            `another invoice-load run (pid ${claimant.pid}, started ${claimant.started}) is taking over the lock ${path} of a run that is gone, to work on ${what}; ` +
              `wait for it to finish, then run again.`,
          );
        }
        passed.push(claim); // its run was killed while taking over
        continue;
      }
      own = claim;
      seam?.('claimed', claim);
      const there = readSeen(path);
      if (there === undefined || !sameFile(there, judged)) {
        lockGone = true;
        return 'again';
      }
      unlinkSync(path);
      lockGone = true;
      return 'taken';
    }
    throw new JournalError(`could not take the lock ${path}; ${CLAIMS_PASSED} runs were killed while taking it over.`);
  } finally {
    for (const claim of [...(own !== undefined ? [own] : []), ...(lockGone ? passed : [])]) {
      try {
        unlinkSync(claim);
      } catch {
        // already gone
      }
    }
  }
}

/** What `acquireLock` returns: the release, the lock as written, and the run whose silent lock it took over, if any. */
export type HeldLock = (() => void) & { held: LockInfo; tookOver?: LockInfo & { silentMs: number } };

/**
 * Takes the lock at `path` or throws `JournalError`; returns the function that releases it, with
 * what the lock says (`held`). `seam`: for tests, see `LockSeam`.
 */
export function acquireLock(path: string, now: () => Date = () => new Date(), what = 'this batch', seam?: LockSeam, who?: string): HeldLock {
  const pstart = processStart(process.pid);
  const { pidns, boot } = whereHere();
  const mine: LockInfo = {
    pid: process.pid,
    host: hostname(),
    started: now().toISOString(),
    ...(pstart !== undefined ? { pstart } : {}),
    ...(pidns !== undefined ? { pidns } : {}),
    ...(boot !== undefined ? { boot } : {}),
    ...(who !== undefined ? { who } : {}),
  };
  // Its own name: two runs of one pid (each pid 1 in its container) must not write one file.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o600, flag: 'wx' });
  let tookOver: (LockInfo & { silentMs: number }) | undefined;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        const beat = setInterval(() => {
          try {
            const t = new Date();
            utimesSync(path, t, t);
          } catch {
            // gone or unwritable: the next beat tries again; the run does not depend on it
          }
        }, HEARTBEAT_MS);
        beat.unref();
        const release = (): void => {
          clearInterval(beat);
          try {
            const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
            if (held.pid === mine.pid && held.started === mine.started) unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        };
        return Object.assign(release, { held: mine }, tookOver !== undefined ? { tookOver } : {});
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const seen = readSeen(path);
      if (seen === undefined) continue; // released since
      const held = parseLock(seen.raw);
      let silent: (LockInfo & { silentMs: number }) | undefined;
      if (held && byHeartbeat(held)) {
        const silentMs = now().getTime() - seen.mtimeMs;
        if (silentMs <= STALE_MS && held.host === mine.host) {
          throw new JournalError(
            `another invoice-load run (pid ${held.pid}, started ${held.started}) is working on ${what} from another pid namespace or boot of this host, where its pid means another process; ` +
              `wait for it to finish, then run again — a run keeps its lock fresh every ${HEARTBEAT_MS / 1000} s, and one silent for ${STALE_MS / 60_000} minutes is taken over.`,
          );
        }
        if (silentMs <= STALE_MS) {
          throw new JournalError(
            `another invoice-load run on host ${held.host} (pid ${held.pid}, started ${held.started}) holds ${path}; ` +
              `a run keeps its lock fresh every ${HEARTBEAT_MS / 1000} s, and one silent for ${STALE_MS / 60_000} minutes is taken over — ` +
              `if that run is gone (a container restarted under another name), run again then, or delete that file now.`,
          );
        }
        silent = { ...held, silentMs };
      }
      if (held && !byHeartbeat(held) && isAlive(held)) {
        // A server holds it until stopped: waiting for it to finish would be for ever.
        if (typeof held.who === 'string' && held.who !== '') {
          throw new JournalError(`${held.who} (pid ${held.pid}, started ${held.started}) holds ${what} until it is stopped; stop it (Ctrl-C where it runs), then run again.`);
        }
        throw new JournalError(
          `another invoice-load run (pid ${held.pid}, started ${held.started}) is working on ${what}; ` +
            `wait for it to finish, then run again.`,
        );
      }
      // Stale: its run is gone.
      seam?.('judged', path);
      if (takeOver(path, seen, tmp, now, what, seam) === 'taken') tookOver = silent;
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
