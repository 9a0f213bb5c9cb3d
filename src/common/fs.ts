import { closeSync, fchmodSync, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from './errors.js';

/**
 * Writes a file so that a kill at any byte leaves either the old file or the new one, never a
 * torn mix: write a temporary file beside it, fsync, then rename over (rename(2) is atomic).
 * `content` is the text, or a function that hands it out in pieces (a report of a million rows
 * is more text than one JavaScript string may hold). `fsync: false` skips the flush: the file is
 * still whole or absent after a kill, but may be lost in a power cut (the sandboxes' state).
 * `mode`: the file's permission bits, set on the temporary file before a byte is written (a
 * temporary file left by a kill keeps its old mode, so it is set, not only asked for at open).
 */
export function writeFileAtomic(
  path: string,
  content: Content,
  opts: { fsync?: boolean; mkdir?: boolean; mode?: number; beforeRename?: () => void; tmp?: string; claim?: ClaimNames; folders?: FolderFs } = {},
): string {
  // makeFolder, not a recursive mkdir: that says ENOENT for a read-only file system (EROFS) or a
  // forbidden parent (EACCES), and the run said "no such file or folder" for a folder that is there.
  // 0o777: mkdir(2)'s own default, less the umask.
  if (opts.mkdir !== false) makeFolder(dirname(path), 0o777, opts.folders);
  // `tmp`: a temporary name of the caller's (beside `path`), for one that must tell later whether
  // the rename happened: it is left behind only by a run that died before it (export's record).
  // Unique to this write, and created new: two runs with one pid (each pid 1 in its container,
  // writing to a shared folder) shared `.<name>.<pid>.tmp`, wrote into one file, and the second
  // one's claim found it gone ("the folder does not exist", exit 2) with the other's content kept.
  const tmp = opts.tmp ?? join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = opts.tmp === undefined ? 'wx' : 'w';
  const fd = opts.mode === undefined ? openSync(tmp, flags) : openSync(tmp, flags, opts.mode);
  let renaming = false;
  try {
    try {
      if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
      // writeFileSync loops until every byte is written (one writeSync may write fewer), at the
      // descriptor's position, so pieces follow one another.
      if (typeof content === 'string') writeFileSync(fd, content);
      else content((piece) => writeFileSync(fd, piece));
      if (opts.fsync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // What must be durable before the file takes its place (export's hand-over record): a kill
    // between the two then finds the record, never the file without it.
    opts.beforeRename?.();
    renaming = true;
    // `claim`: a name the run chose in a folder (cli/config.ts outputPath) is taken, never
    // replaced — another run started in the same second chose it too (claimName).
    if (opts.claim !== undefined) return claimName(tmp, opts.claim);
    renameSync(tmp, path);
    return path;
  } catch (err) {
    // Leave no half-written temporary file behind (e.g. when `path` is a directory or the disk is
    // full) — except a caller's own `tmp` whose rename failed after `beforeRename` recorded it: its
    // presence is what tells a later run the file never took its place (a failed rename would
    // otherwise read as one that happened: export's journalRenamed).
    if (!(renaming && opts.tmp !== undefined)) rmSync(tmp, { force: true });
    throw err;
  }
}

type Content = string | ((write: (piece: string | Uint8Array) => void) => void);

/** The calls makeFolder makes, for a test to give the errors a read-only or forbidden folder gives. */
export interface FolderFs {
  mkdir(path: string, opts: { recursive?: boolean; mode?: number }): void;
  isFolder(path: string): boolean | undefined;
}

const FOLDER_FS: FolderFs = {
  mkdir: (path, opts) => void mkdirSync(path, opts),
  isFolder: (path) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return undefined;
    }
  },
};

/**
 * `mkdir -p path` with the real reason it failed: Node's recursive mkdir says ENOENT ("no such
 * file or folder") where a folder on the way could not be made because the file system is
 * read-only (EROFS) or the user may not write in its parent (EACCES). On ENOENT the first missing
 * folder under the nearest one that exists is made alone, and its error — thrown for `path`, which
 * the run was given — says why; a real ENOENT (that parent went away) stays one.
 */
export function makeFolder(path: string, mode: number, fs: FolderFs = FOLDER_FS): void {
  try {
    fs.mkdir(path, { recursive: true, mode });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = resolve(path);
    while (dirname(missing) !== missing && fs.isFolder(dirname(missing)) === undefined) missing = dirname(missing);
    if (fs.isFolder(dirname(missing)) !== true) throw err;
    try {
      fs.mkdir(missing, { mode });
    } catch (why) {
      const code = (why as NodeJS.ErrnoException).code;
      if (code === undefined || code === 'ENOENT' || code === 'EEXIST') throw err;
      throw Object.assign(new Error(`${code}: cannot make the folder ${missing}, mkdir '${path}'`), { code, path, syscall: 'mkdir', cause: why });
    }
    // Made after all (another run made the rest meanwhile): the whole path once more.
    fs.mkdir(path, { recursive: true, mode });
  }
}

/** The names a file claimed in a folder may take, in order: `names(1)` first, then `names(2)`, … */
export type ClaimNames = (n: number) => string;

/** The calls claimName makes, for a test to interleave two writers. */
export interface ClaimFs {
  link(existing: string, name: string): void;
  unlink(path: string): void;
  createExclusive(path: string): void;
  rename(from: string, to: string): void;
}

const CLAIM_FS: ClaimFs = {
  link: (existing, name) => linkSync(existing, name),
  unlink: (path) => rmSync(path, { force: true }),
  createExclusive: (path) => closeSync(openSync(path, 'wx')),
  rename: (from, to) => renameSync(from, to),
};

/** A file system that has no hard links (link(2): EPERM on vfat, EOPNOTSUPP on some network ones). */
const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Puts the finished temporary file `tmp` under the first of `names` nothing holds yet, and says
 * which: link(2) fails with EEXIST rather than replace a file, so two runs that chose the same
 * name each keep their own file (a rename replaces). Where the file system has no hard links, the
 * name is claimed by an exclusive create (open O_CREAT|O_EXCL, open(2)) and the file renamed over
 * its own empty claim. Both leave the whole file or none under the name.
 */
export function claimName(tmp: string, names: ClaimNames, fs: ClaimFs = CLAIM_FS): string {
  let linking = true;
  for (let n = 1; n <= 10_000; n++) {
    const name = names(n);
    try {
      if (linking) fs.link(tmp, name);
      else {
        fs.createExclusive(name);
        fs.rename(tmp, name);
        return name;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (linking && NO_HARD_LINKS.has(code)) {
        linking = false;
        n--;
        continue;
      }
      throw err;
    }
    fs.unlink(tmp);
    return name;
  }
  throw Object.assign(new Error(`${names(1)}: 10000 files of this name are there already`), { code: 'EEXIST' });
}

/**
 * Claims one name of each of `groups` with a common `n` — `groups[i](n)` for every i, the first n
 * for which all are free — by an exclusive create of each (open O_CREAT|O_EXCL, open(2)): a run's
 * files in a folder that are paired by name (a report and its rejects) then never cross, one
 * taking `-2` where the other did not. When one is taken, those made for that n are removed and
 * the next n is tried. The names are empty files until the run writes each over its own
 * (a rename); `claimName`'s link never takes one.
 */
export function reserveNames(groups: readonly ClaimNames[], fs: Pick<ClaimFs, 'createExclusive' | 'unlink'> = CLAIM_FS): string[] {
  for (let n = 1; n <= 10_000; n++) {
    const made: string[] = [];
    try {
      for (const names of groups) {
        fs.createExclusive(names(n));
        made.push(names(n));
      }
      return made;
    } catch (err) {
      for (const name of made) fs.unlink(name);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw Object.assign(new Error(`${groups[0]?.(1) ?? ''}: 10000 files of this name are there already`), { code: 'EEXIST' });
}

/**
 * How a file the user named (`--report`, `--report-csv`, `--report-html`, `--rejects`) is
 * written, decided from what is at the path (README "Output files"):
 * - `atomic`: nothing there, or a regular file: a temporary file beside `path`, then a rename.
 *   `path` is the end of any symbolic links, so the link stays and its target is replaced (a
 *   rename over the link itself turned it into a plain file). Its folder must exist.
 * - `through`: a named pipe, a terminal or another character device (`/dev/stdout`, a FIFO a
 *   mail job reads): written in place, as a shell's `>` does; a rename would put a plain file
 *   in its stead. So is a path that goes through a descriptor link (`/dev/stdout`, `/dev/fd/1`,
 *   `/proc/self/fd/1`), opened for appending, whatever the descriptor is: a cron job's
 *   `>> log` keeps its log.
 * - `refused`: a folder, a block device (a disk: its first bytes would be the report), a socket.
 */
export type OutputTarget = { kind: 'atomic' | 'through'; path: string; append?: boolean } | { kind: 'refused'; path: string; code: string; reason: string };

/** A link into these names an open descriptor, not a file (proc(5), `/proc/[pid]/fd/`). */
const DESCRIPTOR_LINK = /^\/(proc\/|dev\/fd\/)/;

export function outputTarget(path: string): OutputTarget {
  let at = resolve(path);
  for (let hops = 0; ; hops++) {
    if (DESCRIPTOR_LINK.test(at)) return { kind: 'through', path, append: true };
    let link: boolean;
    try {
      link = lstatSync(at).isSymbolicLink();
    } catch {
      break; // nothing there (a missing file, or a link that points nowhere yet: the file is made there)
    }
    if (!link) break;
    if (hops >= 40) return { kind: 'refused', path: at, code: 'ELOOP', reason: 'too many symbolic links (a link that points back to itself?)' };
    at = resolve(dirname(at), readlinkSync(at));
  }
  let st;
  try {
    st = statSync(at);
  } catch {
    return { kind: 'atomic', path: at };
  }
  if (st.isFile()) return { kind: 'atomic', path: at };
  if (st.isDirectory()) return { kind: 'refused', path: at, code: 'EISDIR', reason: 'it is a folder' };
  if (st.isFIFO() || st.isCharacterDevice()) return { kind: 'through', path: at };
  if (st.isBlockDevice()) return { kind: 'refused', path: at, code: 'EBLOCKDEV', reason: 'it is a block device (a disk), not a file' };
  return { kind: 'refused', path: at, code: 'ENXIO', reason: 'it cannot be opened as a file (a socket, or a device nothing is attached to)' };
}

/**
 * Writes a file the user named (`outputTarget`): atomically where it is a file or nothing yet,
 * in place where it is a pipe or a device. The folder is never made: the outputs were checked
 * before the run (cli/outputs.ts), and a folder that went missing since is an error, not a new
 * folder made where a typo said. `claim`: the file is one the run named inside a folder given as
 * the output (cli/config.ts outputPath), written under the first of those names that is free
 * (claimName). Returns the path written.
 */
export function writeOutputFile(path: string, content: Content, opts: { claim?: ClaimNames | undefined } = {}): string {
  // A name the run chose in a folder: claimed, as the first free one of `claim`'s names.
  if (opts.claim !== undefined) return writeFileAtomic(path, content, { mkdir: false, claim: opts.claim });
  const target = outputTarget(path);
  if (target.kind === 'refused') throw Object.assign(new Error(`${target.path}: ${target.reason}`), { code: target.code });
  if (target.kind === 'atomic') {
    writeFileAtomic(target.path, content, { mkdir: false });
    return path;
  }
  const fd = openSync(target.path, target.append === true ? 'a' : 'w');
  try {
    if (typeof content === 'string') writeFileSync(fd, content);
    else content((piece) => writeFileSync(fd, piece));
  } finally {
    closeSync(fd);
  }
  return path;
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

/**
 * A file's text a megabyte at a time, each piece cut after its last line break: whole lines only,
 * so a caller can split or scan a piece without holding the file (a journal of 200,000 invoices
 * is 250 MB). What follows the file's last line break (a torn last line) is never given.
 */
export function* wholeLineChunks(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    const decoder = new TextDecoder();
    let rest = '';
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const text = rest + decoder.decode(chunk.subarray(0, n), { stream: true });
      const last = text.lastIndexOf('\n');
      rest = text.slice(last + 1);
      if (last >= 0) yield text.slice(0, last + 1);
    }
  } finally {
    closeSync(fd);
  }
}
