/**
 * An invoice the look-ups found is `already_loaded` on a re-run only when no run of the loader
 * sent it anything (no line, file or processing of ours in the journal): one a run attached a
 * file to, processed by hand since, is `loaded` — the loader put part of it in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

class Kill extends Error {}

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
  const processedByHand = (alma: FakeAlma, inv: ReturnType<typeof makeInvoice>): void => {
    alma.invoices.push({ id: alma.newId(), vendor: 'ACME', number: 'INV-1', total: inv.header.totalAmount.toFixed(2), lines: [{ number: '1', id: alma.newId() }], processCount: 1, settlesAfterReads: 0, state: 'done', alerts: [] });
  };

  it('is already loaded, the file said not known (never missing), and so on the re-run: nothing was sent', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    // Processed by hand before the load: the look-up finds it done, and its file is looked for.
    processedByHand(alma, inv);
    // Ctrl-C as the listing waits for a retry: the transport ends it with its last attempt's error
    // (an ApiError of no stop, transport/http.ts `#halted`).
    const ctrl = new AbortController();
    let cut = true;
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        if (!cut) return { id: 'A1', name: 'a.pdf', size: 1 };
        cut = false;
        ctrl.abort();
        throw new ApiError({ httpStatus: 503, code: 'SERVICE_UNAVAILABLE', message: 'GET /acq/invoices/1/attachments: 503 (after 2 attempts)' });
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    const path = join(dir, 'j.jsonl');
    const first = await runEngine({ ...alma.target(), attachments: seam }, [inv], path, { stopSignal: ctrl.signal });
    // The only invoice: the Ctrl-C still stops the run (exit 130), as its warning says.
    expect(first.outcome.stopped).toEqual({ reason: 'interrupted' });
    expect(first.outcome.results[0]!.status).toBe('already_loaded');
    expect(first.outcome.results[0]!.warnings.map((w) => w.code)).toEqual(['attachment_not_listed']);
    expect(first.outcome.results[0]!.warnings[0]!.message).toContain('whether it is there is not known');
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], path);
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded']);
    // The re-run lists the file (it is there): no warning — not attachment_not_added, which says Alma does not list it.
    expect(outcome.results[0]!.warnings).toEqual([]);
  });

  it('is not journaled settled: the re-run lists its files, sending nothing, and says what Alma lists', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    processedByHand(alma, inv);
    const ctrl = new AbortController();
    let finds = 0;
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        finds++;
        if (finds > 1) return undefined; // listed: not there
        ctrl.abort();
        throw new ApiError({ httpStatus: 503, code: 'SERVICE_UNAVAILABLE', message: 'GET /acq/invoices/1/attachments: 503 (after 2 attempts)' });
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    const path = join(dir, 'j.jsonl');
    await runEngine({ ...alma.target(), attachments: seam }, [inv], path, { stopSignal: ctrl.signal });
    const journaled = (): string[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { t: string }).t);
    expect(journaled()).not.toContain('settled');
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], path);
    expect(finds).toBe(2);
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded']);
    // Listed now and not there: attachment_not_added is what Alma showed, not a guess.
    expect(outcome.results[0]!.warnings.map((w) => w.code)).toEqual(['attachment_not_added']);
    expect(journaled()).toContain('settled');
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toEqual([]);
  });

  it('cut by the hard stop (a second Ctrl-C: the read aborted): already loaded, the file said not known', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    processedByHand(alma, inv);
    const ctrl = new AbortController();
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        ctrl.abort();
        throw new DOMException('This operation was aborted', 'AbortError');
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], join(dir, 'j.jsonl'), { stopSignal: ctrl.signal });
    expect(outcome.stopped).toEqual({ reason: 'interrupted' });
    expect(outcome.results[0]!.status).toBe('already_loaded');
    expect(outcome.results[0]!.warnings.map((w) => w.code)).toEqual(['attachment_not_listed']);
  });

  it('resumed after a kill in the listing, is already loaded (the journal says found processed, not processed by us)', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    processedByHand(alma, inv);
    let kill = true;
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        if (kill) {
          kill = false;
          throw new Kill('killed');
        }
        return { id: 'A1', name: 'a.pdf', size: 1 };
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    const path = join(dir, 'j.jsonl');
    await expect(runEngine({ ...alma.target(), attachments: seam }, [inv], path)).rejects.toBeInstanceOf(Kill);
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], path);
    expect(outcome.results.map((r) => r.status)).toEqual(['already_loaded']);
    expect(alma.log.filter((l) => l.startsWith('processInvoice'))).toEqual([]);
  });

  it('resumed after a kill, then stopped again before its status was read, is already loaded, not "being processed"', async () => {
    const alma = new FakeAlma();
    const inv = makeInvoice('ACME', 'INV-1', 1);
    processedByHand(alma, inv);
    const path = join(dir, 'j.jsonl');
    const ctrl = new AbortController();
    let calls = 0;
    const seam: AttachmentSeam = {
      files: () => [{ name: 'a.pdf', path: '/nowhere/a.pdf' }],
      find: async () => {
        calls++;
        if (calls === 1) throw new Kill('killed');
        // The re-run's listing answers; Ctrl-C comes with it, before the status is read.
        ctrl.abort();
        return { id: 'A1', name: 'a.pdf', size: 1 };
      },
      add: async () => {
        throw new Error('nothing is attached to a processed invoice');
      },
    };
    await expect(runEngine({ ...alma.target(), attachments: seam }, [inv], path)).rejects.toBeInstanceOf(Kill);
    const { outcome } = await runEngine({ ...alma.target(), attachments: seam }, [inv], path, { stopSignal: ctrl.signal });
    expect(outcome.stopped?.reason).toBe('interrupted');
    expect(outcome.results[0]!.status).toBe('already_loaded');
    expect(outcome.results[0]!.warnings.map((w) => w.message).join()).not.toContain('being processed');
  });
});
