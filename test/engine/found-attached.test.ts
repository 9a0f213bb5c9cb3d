/**
 * An invoice the look-ups found is `already_loaded` on a re-run only when no run of the loader
 * sent it anything (no line, file or processing of ours in the journal): one a run attached a
 * file to, processed by hand since, is `loaded` — the loader put part of it in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttachmentSeam, Target } from '../../src/targets/target.js';
import { ApiError } from '../../src/common/errors.js';
import { FakeAlma, makeInvoice } from '../helpers/fake-target.js';
import { runEngine } from '../helpers/engine-run.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-found-attached-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('engine: a found invoice a run attached a file to, stopped before processing, processed by hand', () => {
  it('is loaded on the re-run (a file of ours went into it), not already loaded, and not processed again', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    // Made by hand with its one line, not processed: the look-up finds it, and no line is sent.
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: inv.header.totalAmount.toFixed(2), lines: [{ number: '1', id: alma.newId() }], processCount: 0, settlesAfterReads: 0, state: 'new', alerts: [] });
    const held = new Map<string, string>();
    // Ctrl-C as the file's answer comes: the run stops before the process request.
    const ctrl = new AbortController();
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async (id) => (held.has(id) ? { id: held.get(id)!, name: 'a.pdf', size: 1 } : undefined),
      async add(id) {
        held.set(id, 'A1');
        ctrl.abort();
        return { id: 'A1', name: 'a.pdf' };
      },
    };
    const target = (): Target => ({ ...alma.target(), attachments: seam });
    const path = join(dir, 'j.jsonl');
    await runEngine(target(), [inv], path, { stopSignal: ctrl.signal });
    expect(held.size).toBe(1);
    expect(alma.invoices[0]!.processCount).toBe(0);
    // Processed by hand meanwhile.
    alma.invoices[0]!.state = 'done';
    const { outcome } = await runEngine(target(), [inv], path);
    expect(outcome.results.map((r) => r.status)).toEqual(['loaded']);
    expect(held.size).toBe(1);
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toEqual([]);
  });
});

describe('engine: a found processed invoice whose file listing the run stop cut short', () => {
  it('stops with the run; its file is not said to be missing (the listing never answered)', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    // Processed by hand before the load: the look-up finds it done, and its file is looked for.
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: inv.header.totalAmount.toFixed(2), lines: [{ number: '1', id: alma.newId() }], processCount: 1, settlesAfterReads: 0, state: 'done', alerts: [] });
    // Ctrl-C as the listing waits for a retry: the transport ends it with its last attempt's error
    // (an ApiError of no stop, transport/http.ts `#halted`).
    const ctrl = new AbortController();
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        ctrl.abort();
        throw new ApiError({ httpStatus: 503, code: 'SERVICE_UNAVAILABLE', message: 'GET /acq/invoices/1/attachments: 503 (after 2 attempts)' });
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], join(dir, 'j.jsonl'), { stopSignal: ctrl.signal });
    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results[0]!.warnings.map((w) => w.code)).not.toContain('attachment_not_added');
  });
});
