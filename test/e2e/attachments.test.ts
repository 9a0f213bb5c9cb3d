/**
 * The `attachment` column against the sandbox: the dry run checks every file before anything is
 * sent, the load attaches each file once after the lines and before processing, and a lost
 * answer or a lost journal never attaches a file twice (the invoice's attachments are listed and
 * matched by file name and size).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';
import { MAX_ATTACHMENT_BYTES } from '../../src/targets/attachments.js';

const BATCH = 'fixtures/round-trip/batch.csv';
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The round-trip batch and its PDFs copied to `dir`, with `extra` rows appended. */
function batchIn(dir: string, extra: string[] = []): string {
  mkdirSync(join(dir, 'pdf'), { recursive: true });
  for (const f of ['gobi-G-25301.pdf', 'harrassowitz-HA-2025-00520.pdf', 'harrassowitz-HA-2025-00520-delivery-note.pdf', 'ebsco-EBS-9107-25.pdf', 'blackwell-BW-77305.pdf']) {
    copyFileSync(join(ROOT, 'fixtures/round-trip/pdf', f), join(dir, 'pdf', f));
  }
  const text = `${readBatch()}${extra.map((r) => `${r}\n`).join('')}`;
  const path = join(dir, 'batch.csv');
  writeFileSync(path, text);
  return path;
}
const readBatch = (): string => readFileSync(join(ROOT, BATCH), 'utf8');

describe('attachments: checked before anything is sent', () => {
  it('a missing file, a folder, a file over the limit, an empty file and two files of one name are each an error on their row, exit 3', async () => {
    w = await world();
    const dir = w.dir;
    mkdirSync(join(dir, 'a-folder.pdf'));
    writeFileSync(join(dir, 'big.pdf'), '');
    truncateSync(join(dir, 'big.pdf'), MAX_ATTACHMENT_BYTES + 1);
    writeFileSync(join(dir, 'empty.pdf'), '');
    mkdirSync(join(dir, 'other'), { recursive: true });
    writeFileSync(join(dir, 'other', 'gobi-G-25301.pdf'), '%PDF-1.4 another');
    const path = batchIn(dir, [
      'G-25301,,GOBI,,,,,,,,,,,,,,other/gobi-G-25301.pdf',
      'EBS-9107-25,,EBSCO,,,,,,,,,,,,,,missing.pdf',
      'BW/77305,,BLACKWELL,,,,,,,,,,,,,,a-folder.pdf',
      'HA-2025-00520,,HARRAS,,,,,,,,,,,,,,big.pdf',
      'EBS-9107-25,,EBSCO,,,,,,,,,,,,,,empty.pdf',
    ]);
    const res = await w.load(['--dry-run', path]);
    expect(res.code, res.stderr).toBe(3);
    const issues = res.report!.invoices.flatMap((i) => i.issues.filter((p) => p.severity === 'error').map((p) => [i.number, p.row, p.code, p.column]));
    expect(issues).toEqual(
      expect.arrayContaining([
        ['G-25301', 8, 'attachment_duplicate_name', 'attachment'],
        ['EBS-9107-25', 9, 'attachment_unreadable', 'attachment'],
        ['BW/77305', 10, 'attachment_unreadable', 'attachment'],
        ['HA-2025-00520', 11, 'attachment_unreadable', 'attachment'],
        ['EBS-9107-25', 12, 'attachment_unreadable', 'attachment'],
      ]),
    );
    const text = JSON.stringify(res.report);
    expect(text).toMatch(/missing\.pdf does not exist/);
    expect(text).toMatch(/a-folder\.pdf is a folder/);
    expect(text).toMatch(/big\.pdf is 8388609 bytes/);
    expect(text).toMatch(/empty\.pdf is empty \(0 bytes\)/);
    // and a load of the same file sends nothing
    const load = await w.load([path]);
    expect(load.code).toBe(3);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('Exsited takes one file per invoice (its note): a second is an error on its row', async () => {
    w = await world();
    const path = join(w.dir, 'exsited.csv');
    const text = readFileSync(join(ROOT, 'fixtures/exsited-sample.csv'), 'utf8');
    writeFileSync(path, `${text}HA-2025-00412,,,HARRAS,,,,,,,exsited-attachments/BW-77120-packing-slip.txt\n`);
    mkdirSync(join(w.dir, 'exsited-attachments'));
    for (const f of ['HA-2025-00412.pdf', 'BW-77120-packing-slip.txt']) copyFileSync(join(ROOT, 'fixtures/exsited-attachments', f), join(w.dir, 'exsited-attachments', f));
    const res = await runCli(['--dry-run', '--json', '--target', 'exsited', path]);
    expect(res.code, res.stderr).toBe(3);
    const doc = JSON.parse(res.stdout) as { invoices: { number: string; issues: { code: string; row?: number }[] }[] };
    const rows = text.trimEnd().split('\n').length + 1;
    expect(doc.invoices.find((i) => i.number === 'HA-2025-00412')!.issues.map((p) => [p.code, p.row])).toContainEqual(['too_many_attachments', rows]);
  });

  it('the dry run lists each invoice\'s files; --show-payloads shows the attachment request', async () => {
    const res = await runCli(['--dry-run', '--json', BATCH]);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { invoices: { number: string; attachments?: { file: string }[] }[] };
    expect(doc.invoices.find((i) => i.number === 'HA-2025-00520')!.attachments).toEqual([
      { file: 'harrassowitz-HA-2025-00520.pdf' },
      { file: 'harrassowitz-HA-2025-00520-delivery-note.pdf' },
    ]);
    const shown = await runCli(['--dry-run', '--show-payloads', BATCH]);
    expect(shown.stdout).toMatch(/attachment ebsco-EBS-9107-25\.pdf: POST \/almaws\/v1\/acq\/invoices\/\{id\}\/attachments/);
  });
});

describe('attachments: loaded exactly once', () => {
  it('attaches every file after the lines and before processing; the report lists their ids; a re-run sends nothing', async () => {
    w = await world();
    const res = await w.load([BATCH]);
    expect(res.code, res.stderr).toBe(0);
    const state = w.sandbox.state();
    expectExactlyOnce(state, res.report!);
    const ha = res.report!.invoices.find((i) => i.number === 'HA-2025-00520')!;
    expect(ha.attachments!.map((a) => a.file)).toEqual(['harrassowitz-HA-2025-00520.pdf', 'harrassowitz-HA-2025-00520-delivery-note.pdf']);
    expect(ha.attachments!.every((a) => /^\d+$/.test(a.id ?? ''))).toBe(true);
    const stored = state.invoices.find((i) => i.number === 'HA-2025-00520')!;
    expect(stored.attachments.map((a) => a.size)).toEqual([658, 631]);
    const again = await w.load([BATCH]);
    expect(again.report!.summary).toMatchObject({ already_loaded: 4, requests: 0 });
    expect(again.report!.invoices.find((i) => i.number === 'HA-2025-00520')!.attachments).toEqual(ha.attachments);
  });

  it('files named for invoices already processed are not sent: each is said (attachment_not_added) after Alma\'s listing, and again from the journal', async () => {
    w = await world();
    const withFiles = batchIn(w.dir);
    const text = readFileSync(withFiles, 'utf8');
    // loaded first without its files (the attachment column empty), then the same file with them
    writeFileSync(withFiles, text.replace(/,pdf\/[^,\n]*$/gm, ','));
    expect((await w.load([withFiles])).code).toBe(0);
    writeFileSync(withFiles, text);
    // one of the files added in Alma by hand meanwhile
    const ebs = w.sandbox.state().invoices.find((i) => i.number === 'EBS-9107-25')!;
    const put = await fetch(`${w.sandbox.url}/almaws/v1/acq/invoices/${ebs.id}/attachments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ file_name: 'ebsco-EBS-9107-25.pdf', content: readFileSync(join(w.dir, 'pdf', 'ebsco-EBS-9107-25.pdf')).toString('base64') }),
    });
    expect(put.status).toBe(200);
    const notAdded = (r: Awaited<ReturnType<World['load']>>): [string, string, string[]][] =>
      r.report!.invoices.map((i) => [i.number, i.status, i.issues.filter((p) => p.code === 'attachment_not_added').map((p) => p.message)]);
    const expected = (r: Awaited<ReturnType<World['load']>>): void => {
      const said = notAdded(r);
      expect(said.map(([n, status, m]) => [n, status, m.length])).toEqual([
        ['G-25301', 'already_loaded', 1],
        ['HA-2025-00520', 'already_loaded', 1],
        ['EBS-9107-25', 'already_loaded', 0],
        ['BW/77305', 'already_loaded', 1],
      ]);
      expect(said[1]![2]).toEqual([
        'harrassowitz-HA-2025-00520.pdf, harrassowitz-HA-2025-00520-delivery-note.pdf not attached by this load: the invoice was already processed in Alma, and files are attached only before processing; add them in Alma if they are not there',
      ]);
      expect(r.report!.invoices[2]!.attachments).toEqual([{ file: 'ebsco-EBS-9107-25.pdf', id: expect.stringMatching(/^\d+$/) }]);
    };
    // another file, another journal: the invoices are found processed, their attachments listed
    const found = await w.load([withFiles]);
    expect(found.code, found.stderr).toBe(0);
    expected(found);
    expect(found.report!.summary.requests).toBeGreaterThan(0);
    // the same again: the journal answers, nothing is asked, the same is said
    const again = await w.load([withFiles]);
    expect(again.report!.summary.requests).toBe(0);
    expected(again);
    // nothing was sent but the file added by hand
    expect(Object.values(w.sandbox.state().counters.attachmentPosts).flatMap((byFile) => Object.values(byFile))).toEqual([1]);
  });

  for (const kind of ['lost_after', 'error_after', 'timeout', 'error_before', 'drop_before', 'throttle'] as const) {
    it(`an attachment whose answer is lost (${kind}) is found by name and size, never sent twice`, async () => {
      w = await world({ timeoutHoldMs: 2_000, faults: [{ step: 'attachment', kind, match: 'HA-2025-00520', times: 1 }] });
      const res = await w.load(['--timeout', '1', BATCH]);
      expect(res.code, res.stderr).toBe(0);
      const state = w.sandbox.state();
      expect(state.counters.faults[kind]).toBe(1);
      expectExactlyOnce(state, res.report!);
    });
  }

  it('a business refusal of an attachment fails that invoice with Alma\'s code; it is not processed', async () => {
    w = await world({ faults: [{ step: 'attachment', kind: 'business', match: 'EBS-9107-25', times: 1000 }] });
    const res = await w.load([BATCH]);
    expect(res.code).toBe(4);
    const ebs = res.report!.invoices.find((i) => i.number === 'EBS-9107-25')!;
    expect(ebs.status).toBe('failed');
    expect(ebs.error).toMatchObject({ step: 'attachments', code: '60322' });
    const stored = w.sandbox.state().invoices.find((i) => i.number === 'EBS-9107-25')!;
    expect(stored.processing).toBe('not_started');
  });

  it('with the journal lost, a half-loaded invoice is completed without attaching its files again', async () => {
    w = await world({ faults: [{ step: 'process', kind: 'business', match: 'HA-2025-00520', times: 1 }] });
    const first = await w.load([BATCH]);
    expect(first.code).toBe(4);
    expect(w.sandbox.state().counters.attachmentPosts).not.toEqual({});
    w.sandbox.setFaults({});
    // A fresh state dir: no journal. The invoice is found, its two files listed and measured.
    const res = await w.load([BATCH], { stateDir: join(w.dir, 'fresh') });
    expect(res.code, res.stderr).toBe(0);
    const state = w.sandbox.state();
    expectExactlyOnce(state, res.report!);
    expect(state.counters.requests['GET read']).toBeGreaterThanOrEqual(2); // each file's content measured
  });
});

describe('attachments: kills', () => {
  it('a load killed at random moments, then re-run: every file attached once, every invoice processed once', async () => {
    w = await world({ latencyMs: 30 });
    const env = { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w.stateDir };
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 8; i++) {
      const run = spawnCli([BATCH, '--rate', '200'], { env });
      await new Promise((r) => setTimeout(r, 200 + Math.floor(rnd() * 600)));
      run.child.kill('SIGKILL');
      await run.done;
    }
    const res = await w.load([BATCH]);
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(w.sandbox.state(), res.report!);
  }, 60_000);

  it('the sandbox refuses a file over its limit with 60322, and lists what it holds', async () => {
    w = await world({ attachmentMaxBytes: 700 });
    const res = await w.load([BATCH]);
    // 658 and 631 bytes pass; none of the round-trip PDFs is over 700
    expect(res.code, res.stderr).toBe(0);
    const id = res.report!.invoices[0]!.id!;
    const big = await fetch(`${w.sandbox.url}/almaws/v1/acq/invoices/${id}/attachments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ file_name: 'big.pdf', content: Buffer.alloc(701).toString('base64') }),
    });
    expect(big.status).toBe(400);
    expect(await big.text()).toMatch(/60322/);
    const list = (await (await fetch(`${w.sandbox.url}/almaws/v1/acq/invoices/${id}/attachments`, { headers: { accept: 'application/json' } })).json()) as {
      total_record_count: number;
      attachment: { file_name: string; content?: string }[];
    };
    expect(list.total_record_count).toBe(1);
    expect(list.attachment[0]!.content).toBeUndefined();
  });
});
