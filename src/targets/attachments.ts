/**
 * Files a batch names in its `attachment` column: where they are, whether they can be sent, and
 * their bytes. Every target that sends files (Alma's invoice attachments, Exsited's note file)
 * checks and reads them here, so the dry run and the load agree on what can be sent.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { AttachmentRef, Invoice } from '../domain/model.js';
import type { InvoiceRules } from '../domain/group.js';
import type { DraftInvoice } from '../domain/draft.js';
import { quote } from '../domain/cells.js';
import { problem, type Problem } from '../domain/problem.js';

/**
 * The loader's own limit for one file. Neither Alma nor Exsited publishes one; Alma's JSON body
 * carries the file base64-encoded (a third larger), and 8 MiB keeps one request well below what
 * HTTP servers commonly accept. Documented in the README ("Attachments").
 */
export const MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;

/**
 * A relative path is relative to the folder of the batch file that names it (so a batch and its
 * files move together), or to the working directory for standard input.
 */
export function resolveAttachment(written: string, file: string | undefined, cwd = process.cwd()): string {
  const base = file === undefined || file === '-' ? cwd : dirname(resolve(cwd, file));
  return resolve(base, written);
}

/** Why the file cannot be sent, or undefined when it can (checked before anything is sent). */
export function attachmentProblem(path: string, max = MAX_ATTACHMENT_BYTES): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return `${path} is a folder, not a file`;
    if (!st.isFile()) return `${path} is not a regular file`;
    // An empty file is a failed download, not an invoice; Alma's answer to one is unknown (the
    // sandbox refuses it as unreadable content), and it would come mid-load, after the lines.
    if (st.size === 0) return `${path} is empty (0 bytes)`;
    if (st.size > max) return `${path} is ${st.size} bytes; the loader sends files of at most ${max} bytes`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${path} does not exist`;
    if (code === 'EACCES' || code === 'EPERM') return `${path} cannot be read (permission denied)`;
    return `cannot read ${path} (${code ?? 'error'})`;
  }
}

/** One file of an invoice, resolved: `name` is how the target shows it and how a re-run finds it. */
export interface AttachmentFile {
  /** The file name without folders: the journal's and the report's key (unique per invoice). */
  name: string;
  path: string;
  source: AttachmentRef['source'];
}

/** The invoice's files, in row order. */
export function attachmentFiles(inv: Invoice, cwd = process.cwd()): AttachmentFile[] {
  return (inv.header.attachments ?? []).map((a) => {
    const path = resolveAttachment(a.path, a.source.file, cwd);
    return { name: basename(path), path, source: a.source };
  });
}

/** The file's bytes, read when it is sent (its size was checked by the dry run's rules). */
export const readAttachment = (path: string): Buffer => readFileSync(path);

const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const mediaType = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

/**
 * The files an invoice names must be there before anything is sent: they are read after the
 * invoice exists, and a missing one would leave it half loaded (README "What is checked before anything is sent"). Each is
 * a readable file (not a folder) within the size limit, and no two share a file name: the name
 * (with the size) is how a re-run recognises a file the target already holds.
 */
export function checkAttachments(d: DraftInvoice, cwd: string, most: number, label: string, max = MAX_ATTACHMENT_BYTES): Problem[] {
  const found: Problem[] = [];
  const names = new Map<string, number>();
  const files = d.attachments ?? [];
  files.forEach((f, i) => {
    const at = { file: d.file, row: f.row };
    if (i >= most) {
      found.push(problem(at, 'too_many_attachments', `attachment ${quote(f.text)}: ${label} takes ${most} file per invoice; this invoice names ${files.length}`, { column: 'attachment' }));
      return;
    }
    const path = resolveAttachment(f.text, d.file, cwd);
    const why = attachmentProblem(path, max);
    if (why !== undefined) found.push(problem(at, 'attachment_unreadable', `attachment ${why}`, { column: 'attachment' }));
    const name = basename(path);
    const first = names.get(name);
    if (first !== undefined) {
      found.push(
        problem(at, 'attachment_duplicate_name', `attachment ${quote(f.text)} has the same file name as the one on row ${first}; rename one of them`, {
          column: 'attachment',
        }),
      );
    } else names.set(name, f.row);
  });
  return found;
}

/** A target's invoice rules, then the files' checks (which need the file system); `max`: the target's own size limit, when lower. */
export const withAttachments =
  (base: InvoiceRules, most: number, label: string, max = MAX_ATTACHMENT_BYTES) =>
  (cwd: string): InvoiceRules =>
  (d) => {
    const found = base(d);
    return d.attachments === undefined ? found : found.concat(checkAttachments(d, cwd, most, label, max));
  };
