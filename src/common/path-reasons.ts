/**
 * What an operating-system error on a path means, in a user's words: one table for every
 * layer that names a path it could not use (input files, the state dir, reports, key, config
 * and mapping files), so the same error reads the same wherever it comes from.
 */
export const PATH_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ELOOP: 'too many symbolic links (a link that points back to itself?)',
  ENXIO: 'it cannot be opened as a file (a socket, or a device nothing is attached to)',
  ENAMETOOLONG: 'the path (or one of its names) is too long for the file system',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EEXIST: 'something else already exists there',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is busy',
  ENODEV: 'no such device',
  EIO: 'an input/output error from the device',
};

/** The words for an operating-system error (`err.code`), or undefined when it is not one of them. */
export function pathReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? PATH_REASONS[code] : undefined;
}
