/**
 * The lock ("owner") file a spreadsheet program leaves beside a document while it is open:
 * Excel writes `~$march.xlsx` (also `~$batch.csv` for a CSV it opened), LibreOffice
 * `.~lock.march.xlsx#`. A glob over a drop folder (`drop/*.xlsx`) picks Excel's up, and read as
 * a batch it was an unreadable workbook or a "UTF-16LE" CSV that stopped the whole batch.
 *
 * One is known by its name and by its content — small, in the program's layout — never by its
 * name alone: a batch a person named `~$x.csv` is still read. Beside its document among the
 * inputs it is left out with a warning (the batch loads); given without its document, it is an
 * error that says what it is. Either way it is never read, so it adds nothing to the batch's
 * identity (a hash of the invoices, src/plan/plan.ts `batchId`): a lock file that comes and goes
 * between runs leaves the batch the same.
 */
import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { problem, type Problem } from '../domain/problem.js';
import { oneLine } from '../common/shown.js';

export type OwnerProgram = 'Excel' | 'LibreOffice';

export interface OwnerFile {
  program: OwnerProgram;
  /** The document's file name the lock file's name gives (`march.xlsx`). */
  of: string;
  /** Who has the document open, when the lock file says it readably. */
  owner?: string | undefined;
}

/** Larger than any owner file (Excel's are 162 or 165 bytes; LibreOffice's one short line). */
export const OWNER_FILE_MAX_BYTES = 4096;

/** Excel's owner file: a length byte, the user name in a 53-byte space-padded field, the length again (2 bytes), the name in UTF-16LE. */
const EXCEL_NAME_FIELD = 53;
const EXCEL_SIZES = new Set([162, 165]);

/** The program and the document a lock file's name stands for; undefined for any other name. */
export function ownerFileName(name: string): { program: OwnerProgram; of: string } | undefined {
  const base = basename(name);
  if (base.startsWith('~$') && base.length > 2) return { program: 'Excel', of: base.slice(2) };
  const libre = /^\.~lock\.(.+)#$/.exec(base);
  if (libre !== null) return { program: 'LibreOffice', of: libre[1]! };
  return undefined;
}

/**
 * A lock file by its name and its bytes; undefined when either does not fit (then the file is
 * read as the input it claims to be).
 */
export function readOwnerFile(name: string, bytes: Uint8Array): OwnerFile | undefined {
  const named = ownerFileName(name);
  if (named === undefined || bytes.length === 0 || bytes.length > OWNER_FILE_MAX_BYTES) return undefined;
  if (named.program === 'Excel') {
    const owner = excelOwner(bytes);
    // Without Excel's layout, its size alone names it only when the bytes are not text: a real
    // owner file pads its name with NULs; a 165-byte CSV someone named `~$march.csv` is read.
    if (owner === undefined && !(EXCEL_SIZES.has(bytes.length) && notText(bytes))) return undefined;
    return { ...named, owner: owner === '' ? undefined : owner };
  }
  const owner = libreOfficeOwner(bytes);
  return owner === undefined ? undefined : { ...named, owner: owner === '' ? undefined : owner };
}

/** The user name of Excel's layout ('' when it holds none readable); undefined when the bytes are not that layout. */
function excelOwner(bytes: Uint8Array): string | undefined {
  const n = bytes[0]!;
  if (n < 1 || n > EXCEL_NAME_FIELD || bytes.length < EXCEL_NAME_FIELD + 3) return undefined;
  const at = EXCEL_NAME_FIELD + 1;
  if (bytes[at] !== n || bytes[at + 1] !== 0) return undefined;
  // The UTF-16LE copy is the name in any script; the first one is in the Windows code page.
  if (bytes.length >= at + 2 + 2 * n) {
    const wide = Buffer.from(bytes.subarray(at + 2, at + 2 + 2 * n)).toString('utf16le');
    if (readable(wide)) return wide.trim();
  }
  const narrow = Buffer.from(bytes.subarray(1, 1 + n)).toString('latin1');
  return /^[\x20-\x7e]+$/.test(narrow) ? narrow.trim() : '';
}

/**
 * LibreOffice's one line, `name,system-user,host,date,profile-url;` (the fields of its document
 * lock file, LibreOffice's svl/source/misc/lockfilecommon.cxx): the name the user gave in its
 * options, else the system user — never the host. Undefined when the bytes are not such a line.
 */
function libreOfficeOwner(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString('utf8').replace(/[\r\n]+$/, '');
  if (!text.endsWith(';') || text.includes('\u0000') || text.includes('\n')) return undefined;
  const fields = text.slice(0, -1).split(',');
  if (fields.length < 5) return undefined;
  const name = [fields[0]!, fields[1]!].map((f) => f.trim()).find((f) => f !== '');
  return name !== undefined && readable(name) ? name : '';
}

/** Holds a NUL or another control byte than tab, CR and LF: not a text file. */
const notText = (bytes: Uint8Array): boolean => bytes.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);

const readable = (s: string): boolean => s.trim() !== '' && !/[\u0000-\u001f\u007f-\u009f\ufffd]/.test(s);

/** What a person is told of a lock file: what it is, whose it is, and what to do. */
export function ownerFileMessage(file: OwnerFile, documentRead: boolean): string {
  const who = file.owner !== undefined ? `it is open in ${file.program} by ${oneLine(file.owner)}` : `it is open in ${file.program}`;
  const what = `this is ${file.program}'s lock file for ${oneLine(file.of)} (${who})`;
  return documentRead ? `${what}: left out; ${oneLine(file.of)} itself is read, without any change not yet saved in ${file.program}` : `${what}; leave it out`;
}

/**
 * The inputs without the lock files among them, and a problem for each of those: a warning when
 * its document is among the inputs (the batch reads that), an error when it came alone. Only
 * small regular files are looked at; one that cannot be read is left in, for its opening to say why.
 */
export async function setAsideOwnerFiles(files: readonly string[]): Promise<{ files: string[]; problems: Problem[] }> {
  const kept: string[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const found = f === '-' || ownerFileName(f) === undefined ? undefined : await peekOwnerFile(f);
    if (found === undefined) {
      kept.push(f);
      continue;
    }
    const document = documentAmong(f, found, files);
    const told = document !== undefined ? { ...found, of: basename(document) } : found;
    problems.push(problem({ file: f }, 'lock_file', ownerFileMessage(told, document !== undefined), { severity: document !== undefined ? 'warning' : 'error' }));
  }
  return { files: kept, problems };
}

/**
 * The inputs a run read: `files` without the lock files `setAsideOwnerFiles` left out, each named
 * (as given) by its `lock_file` problem among the run's `issues`. The report's `inputs` and the
 * HTML report's files list these, not a lock file that was never read (README "The report":
 * `inputs` lists the files read).
 */
export function filesRead(files: readonly string[], issues: readonly Problem[]): string[] {
  const setAside = new Set(issues.filter((p) => p.code === 'lock_file' && p.row === undefined).map((p) => p.file));
  return setAside.size === 0 ? [...files] : files.filter((f) => !setAside.has(f));
}

async function peekOwnerFile(path: string): Promise<OwnerFile | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size === 0 || st.size > OWNER_FILE_MAX_BYTES) return undefined;
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(OWNER_FILE_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return readOwnerFile(path, buf.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The input in the lock file's folder that is its document. Excel puts `~$` before the name;
 * Word-style owner files put it in place of the name's first one or two characters, so a name
 * that ends in the rest, one or two characters longer, is taken too.
 */
function documentAmong(lock: string, found: OwnerFile, files: readonly string[]): string | undefined {
  const folder = resolve(dirname(lock));
  const candidates = files.filter((f) => f !== '-' && f !== lock && resolve(dirname(f)) === folder && ownerFileName(f) === undefined);
  const exact = candidates.find((f) => basename(f) === found.of);
  if (exact !== undefined || found.program === 'LibreOffice') return exact;
  return candidates.find((f) => {
    const b = basename(f);
    return b.endsWith(found.of) && b.length - found.of.length <= 2;
  });
}
