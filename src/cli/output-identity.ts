/**
 * One name for an output file however its path is spelled: what `export` keys its journals by
 * (cli/export.ts), so that the guard against replacing a hand-over file holds for the same file
 * reached through a symlinked folder, or in another letter case on a case-insensitive disk.
 * `path.resolve` alone gave each spelling a journal of its own, and the guard saw none of them.
 *
 * - The folder is taken by its real path: symlinks resolved, and on macOS and Windows in the
 *   letter case it has on disk (`realpath.native`; the JavaScript `realpath` keeps the case it is
 *   given: https://github.com/nodejs/node/issues/11379). A folder the write will make is its
 *   nearest existing ancestor's real path with the rest as given.
 * - The file name is not resolved: the file is written by a rename beside it (common/fs.ts
 *   `writeFileAtomic`), which replaces a symlink of that name, not the file it points to.
 * - On a case-insensitive disk — the folder is reachable as the same entry under a name whose
 *   letters are swapped — the name's ASCII letters are lowered: names that differ only there are
 *   one file on every such file system (APFS, HFS+, NTFS, FAT, ext4 casefold). Other letters stay
 *   as they are: how they fold differs between file systems (ß, the Kelvin sign), and two distinct
 *   files under one journal would let an export to one take away the other's guard. Keeping the
 *   name's on-disk case instead would not do: a rename over `To-Finance.csv` to `to-finance.csv`
 *   leaves the new spelling on disk, and the next run would find another name.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

/** What `outputIdentity` asks of the disk (tests answer for one). */
export interface PathProbe {
  /** The real path of an existing path; throws when it cannot be resolved. */
  realpath(path: string): string;
  /** Whether both paths exist and are one entry (the same device and inode). */
  same(a: string, b: string): boolean;
}

export const diskProbe: PathProbe = {
  realpath: (path) => {
    try {
      return realpathSync.native(path);
    } catch {
      // Windows' native call refuses a few kinds of drive (a RAM disk) that the JavaScript one walks.
      return realpathSync(path);
    }
  },
  same: (a, b) => {
    try {
      // bigint: a 64-bit file id (NTFS, ReFS) does not fit a double.
      const x = statSync(a, { bigint: true });
      const y = statSync(b, { bigint: true });
      return x.dev === y.dev && x.ino === y.ino;
    } catch {
      return false;
    }
  },
};

const swapCase = (s: string): string => s.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
const lowerAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * Whether names on the disk of `real` (an existing real path) are found without regard to case:
 * its last part with a letter, case-swapped, reaches the same entry. False when no part has a
 * letter to swap (`/`): nothing tells, and keeping the case is what was done before.
 */
export function caseInsensitiveAt(real: string, probe: PathProbe): boolean {
  const parts = real.split(sep);
  for (let i = parts.length - 1; i >= 0; i--) {
    const swapped = swapCase(parts[i]!);
    if (swapped === parts[i]) continue;
    return probe.same(real, [...parts.slice(0, i), swapped, ...parts.slice(i + 1)].join(sep));
  }
  return false;
}

/** The identity of the output file at `output` (an absolute path): see the top of this file. */
export function outputIdentity(output: string, probe: PathProbe = diskProbe): string {
  const name = basename(output);
  const rest: string[] = [];
  let real: string | undefined;
  for (let dir = dirname(output); ; ) {
    try {
      real = probe.realpath(dir);
      break;
    } catch {
      // not there yet (the write makes it), or not to be resolved: its parent then
    }
    const up = dirname(dir);
    if (up === dir) return output;
    rest.unshift(basename(dir));
    dir = up;
  }
  return join(real, ...rest, caseInsensitiveAt(real, probe) ? lowerAscii(name) : name);
}
