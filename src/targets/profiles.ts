/**
 * What the CLI needs to know about a target before (or without) talking to it: its invoice
 * rules, which child items the report lists under `lines`, and the exact bodies for
 * `--show-payloads`. No network, no credentials: a dry run uses these alone.
 */
import type { InvoiceRules } from '../domain/group.js';
import type { Invoice } from '../domain/model.js';
import { problem } from '../domain/problem.js';
import { rulesFor, type TargetName } from '../domain/targets/index.js';
import { attachmentPreview, invoicePayload as almaInvoice, linePayload as almaLine } from './alma/payload.js';
import { idempotencyKey, invoicePayload as algunaInvoice } from './alguna/payload.js';
import { DEFAULT_EXSITED_PATHS, DEFAULT_EXSITED_VERSION, fillPath } from './exsited/paths.js';
import type { DraftInvoice } from '../domain/draft.js';
import { quote } from '../domain/cells.js';
import type { Problem } from '../domain/problem.js';
import { basename } from 'node:path';
import { attachmentFiles, attachmentProblem, resolveAttachment } from './attachments.js';
import { hasNote, NOTE_KEY, notePreview, purchaseInvoicePayload } from './exsited/payload.js';
import { FOLIO_PROFILE } from './folio/profile.js';

export interface PayloadPreview {
  /** `POST /path`, with `{id}` where the id is only known once the invoice exists. */
  heading: string;
  body: unknown;
}

export interface TargetProfile {
  name: string;
  label: string;
  /** The invoice rules, plus checks that need the file system (an Exsited attachment must be readable). */
  rules(cwd: string): InvoiceRules;
  /** The keys the report lists under an invoice's `lines`: the target's child items. */
  lineKeys(invoice: Invoice): string[];
  /** The bodies in the report's `payload` (`--json --show-payloads`). */
  payloads(invoice: Invoice): { invoice: unknown; lines: unknown[] };
  /** The requests `--show-payloads` prints, in the order they are sent. */
  preview(invoice: Invoice): PayloadPreview[];
}

/**
 * The files an invoice names must be there before anything is sent: they are read after the
 * invoice exists, and a missing one would leave it half loaded (DESIGN.md principle 2). Each is
 * a readable file (not a folder) within the size limit, and no two share a file name: the name
 * (with the size) is how a re-run recognises a file the target already holds.
 */
function checkAttachments(d: DraftInvoice, cwd: string, most: number, label: string): Problem[] {
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
    const why = attachmentProblem(path);
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

/** The target's invoice rules, then the files' checks (which need the file system). */
const withAttachments =
  (name: TargetName, most: number, label: string) =>
  (cwd: string): InvoiceRules => {
    const base = rulesFor(name);
    return (d) => {
      const found = base(d);
      return d.attachments === undefined ? found : found.concat(checkAttachments(d, cwd, most, label));
    };
  };

const ALMA: TargetProfile = {
  name: 'alma',
  label: 'Alma',
  rules: withAttachments('alma', Infinity, 'Alma'),
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => ({ invoice: almaInvoice(inv), lines: inv.lines.map(almaLine) }),
  preview: (inv) => [
    { heading: 'POST /almaws/v1/acq/invoices', body: almaInvoice(inv) },
    ...inv.lines.map((l) => ({ heading: `line ${l.number}: POST /almaws/v1/acq/invoices/{id}/lines`, body: almaLine(l) })),
    ...attachmentFiles(inv).map((f) => ({ heading: `attachment ${f.name}: POST /almaws/v1/acq/invoices/{id}/attachments`, body: attachmentPreview(f) })),
  ],
};

/** The default path of a request, `{id}` left for the id only known once the invoice exists. */
const exsitedPath = (name: 'purchaseOrderInvoices' | 'notes', po?: string): string =>
  po !== undefined ? fillPath(DEFAULT_EXSITED_PATHS[name], { v: DEFAULT_EXSITED_VERSION, po }) : DEFAULT_EXSITED_PATHS[name].replace('{v}', DEFAULT_EXSITED_VERSION);

const EXSITED: TargetProfile = {
  name: 'exsited',
  label: 'Exsited',
  // Exsited's note carries one file (multipart `note` and `file`, README "Exsited purchase invoices").
  rules: withAttachments('exsited', 1, 'an Exsited note'),
  lineKeys: (inv) => (hasNote(inv) ? [NOTE_KEY] : []),
  payloads: (inv) => ({ invoice: purchaseInvoicePayload(inv), lines: hasNote(inv) ? [notePreview(inv)] : [] }),
  preview: (inv) => [
    { heading: `POST ${exsitedPath('purchaseOrderInvoices', inv.header.purchaseOrderId ?? '')}`, body: purchaseInvoicePayload(inv) },
    ...(hasNote(inv) ? [{ heading: `note: POST ${exsitedPath('notes')} (multipart/form-data)`, body: notePreview(inv) }] : []),
  ],
};

const ALGUNA: TargetProfile = {
  name: 'alguna',
  label: 'Alguna',
  rules: () => rulesFor('alguna'),
  // Line items go inline in the create; the report names each with Alguna's line item id.
  lineKeys: (inv) => inv.lines.map((l) => l.number),
  payloads: (inv) => ({ invoice: algunaInvoice(inv), lines: [] }),
  preview: (inv) => [{ heading: `POST /invoices (Idempotency-Key: ${idempotencyKey(inv)})`, body: algunaInvoice(inv) }],
};

export const PROFILES: Readonly<Record<TargetName, TargetProfile>> = { alma: ALMA, exsited: EXSITED, alguna: ALGUNA, folio: FOLIO_PROFILE };
