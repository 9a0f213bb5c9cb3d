/**
 * The built CLI against the sandbox over loopback: the happy path, re-runs, a lost journal,
 * a refused key, a rejected invoice, a 429 storm, the daily threshold, and the lock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { expectExactlyOnce, sampleSubset, world, writes, type World } from '../helpers/sandbox.js';

const SAMPLE = 'fixtures/sample-batch.csv';
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('load into the sandbox', () => {
  it('loads the sample batch: ids, workflow statuses and alerts in the report, each invoice exactly once', async () => {
    w = await world();
    const res = await w.load([SAMPLE]);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report!;
    expect(report.target).toBe('alma');
    expect(report.dry_run).toBe(false);
    expect(report.summary).toMatchObject({ invoices: 7, loaded: 6, in_review: 1, failed: 0, lines: 14 });
    const review = report.invoices.find((i) => i.status === 'in_review')!;
    expect(review.number).toBe('G-24140');
    expect(review.workflow_status).toBe('InReview');
    expect(review.alerts.map((a) => a.code)).toContain('NOT_LINKED_LINES');
    for (const inv of report.invoices.filter((i) => i.status === 'loaded')) {
      expect(inv.workflow_status).toBe('Waiting to be Sent');
      expect(inv.id).toMatch(/^\d{15,}$/);
      expect(inv.lines.every((l) => typeof l.id === 'string')).toBe(true);
    }
    const state = w.sandbox.state();
    expectExactlyOnce(state, report);
    expect(report.summary.requests).toBe(state.counters.requestsTotal);
    // JSON is asked for and sent on every request (alma-api.md §1.1)
    expect(state.counters.notJsonAccept).toBe(0);
    expect(state.counters.notJsonContentType).toBe(0);
    // cron-friendly progress: plain lines on stderr, no spinner frames
    expect(res.stderr).toMatch(/\[7\/7\]/);
    expect(res.stderr).not.toMatch(/[⠋⠙⠹⠸]/);
    // Nothing from Node itself (a MaxListenersExceededWarning once came with every load).
    expect(res.stderr).not.toMatch(/\(node:\d+\)|Warning/);
  });

  it('a second run of the same command sends no request at all', async () => {
    w = await world();
    await w.load([SAMPLE]);
    const before = w.sandbox.state().counters.requestsTotal;
    const res = await w.load([SAMPLE]);
    expect(res.code).toBe(0);
    expect(w.sandbox.state().counters.requestsTotal).toBe(before);
    expect(res.report!.summary).toMatchObject({ already_loaded: 7, requests: 0 });
    expect(res.report!.invoices.find((i) => i.number === 'G-24140')!.alerts[0]!.code).toBe('NOT_LINKED_LINES');
  });

  it('a lost journal does not double an invoice Alma has CLOSED, even where the vendor listing shows only ACTIVE ones', async () => {
    // The OAS says nothing of which invoices GET /acq/vendors/{code}/invoices lists; the search's
    // base_status is "All by default" (docs/alma.md#look-ups-and-how-fresh-they-are). Exported and
    // marked with handle_invoice_payment off, every loaded invoice is CLOSED; the journal pruned,
    // the same file again must find them all.
    w = await world({ allowDuplicates: true, handleInvoicePayment: false, vendorInvoicesActiveOnly: true });
    const first = await w.load([SAMPLE]);
    expect(first.code, first.stderr).toBe(0);
    const exported = await runCli(['export', '--mark-in-erp', '-o', join(w.dir, 'ex.csv'), '--rate', '200'], {
      env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: w.stateDir },
    });
    expect(exported.code, exported.stderr).toBe(0);
    const closed = w.sandbox.state().invoices.filter((i) => i.base_status === 'CLOSED').map((i) => `${i.vendor} ${i.number}`);
    expect(closed).toEqual(expect.arrayContaining(['GOBI G-24118', 'GOBI G-24131', 'HARRAS HA-2025-00412', 'HARRAS HA-2025-00430']));
    const posts = writes(w.sandbox.state());
    const res = await w.load([SAMPLE], { stateDir: join(w.dir, 'other-state') });
    expect(res.code, res.stderr).toBe(0);
    expect(writes(w.sandbox.state())).toBe(posts);
    expect(res.report!.summary.already_loaded).toBe(7);
    expect(res.report!.invoices.map((i) => i.id)).toEqual(first.report!.invoices.map((i) => i.id));
    expectExactlyOnce(w.sandbox.state(), res.report!);
  });

  it('with an empty state dir, look-ups stop every duplicate even where Alma would allow one', async () => {
    w = await world({ allowDuplicates: true });
    const first = await w.load([SAMPLE]);
    const posts = writes(w.sandbox.state());
    const res = await w.load([SAMPLE], { stateDir: join(w.dir, 'other-state') });
    expect(res.code).toBe(0);
    expect(writes(w.sandbox.state())).toBe(posts);
    expect(res.report!.summary.already_loaded).toBe(7);
    expect(res.report!.invoices.map((i) => i.id)).toEqual(first.report!.invoices.map((i) => i.id));
    expectExactlyOnce(w.sandbox.state(), res.report!);
  });

  it('a note corrected in the file after the invoice was loaded: the load says Alma holds the old one and changes nothing; so does the dry run', async () => {
    w = await world();
    await w.load([SAMPLE]);
    const edited = join(w.dir, 'edited.csv');
    writeFileSync(edited, readFileSync(SAMPLE, 'utf8').replace('March approval plan', 'April approval plan'));
    const before = writes(w.sandbox.state());
    // Another state dir: the journal of the first load is not this one's (a new machine, a cleared state dir).
    const res = await w.load([edited], { stateDir: join(w.dir, 'other-state') });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary.already_loaded).toBe(7);
    const warned = res.report!.invoices.filter((i) => i.issues.some((p) => p.code === 'held_different'));
    expect(warned.map((i) => i.number)).toEqual(['G-24118']);
    expect(warned[0]!.issues.find((p) => p.code === 'held_different')).toMatchObject({
      row: 2,
      severity: 'warning',
      message: expect.stringMatching(/^Alma already held invoice G-24118 \(id \d+\), with other values than the file: note: "March approval plan" in Alma, "April approval plan" in the file\. A load does not change/),
    });
    expect(writes(w.sandbox.state())).toEqual(before);
    const dry = await w.load(['--dry-run', '--online', edited], { stateDir: join(w.dir, 'other-state') });
    const exists = dry.report!.invoices.find((i) => i.number === 'G-24118')!.issues.find((p) => p.code === 'invoice_exists')!;
    expect(exists.message).toMatch(/leaving Alma's values where the file has others: note: "March approval plan" in Alma, "April approval plan" in the file/);
    expect(dry.report!.invoices.find((i) => i.number === 'G-24131')!.issues.find((p) => p.code === 'invoice_exists')!.message).toMatch(/is this file sent twice\?$/);
  });

  it('a fund corrected in the file after a run stopped before processing: the lines Alma holds are said to differ, none is sent again, the invoice is processed', async () => {
    w = await world({ faults: [{ step: 'process', kind: 'business', match: 'G-24118', times: 100 }] });
    const first = await w.load([SAMPLE]);
    expect(first.report!.invoices.find((i) => i.number === 'G-24118')!.status).toBe('failed');
    w.sandbox.setFaults({});
    const edited = join(w.dir, 'edited.csv');
    writeFileSync(edited, readFileSync(SAMPLE, 'utf8').replace('POL-1002,189.95,1,,,BIO,100', 'POL-1002,189.95,1,,,CHEM,100'));
    const res = await w.load([edited], { stateDir: join(w.dir, 'other-state') });
    expect(res.code, res.stderr).toBe(0);
    const g = res.report!.invoices.find((i) => i.number === 'G-24118')!;
    expect(g.status).toBe('loaded');
    expect(g.issues.filter((p) => p.code === 'held_different').map((p) => p.message)).toEqual([
      expect.stringMatching(/^Alma already held lines of invoice G-24118, with other values than the file: line 1 fund_distribution CHEM: BIO 100% in Alma, CHEM 100% in the file; line 1 fund_distribution BIO: BIO 100% in Alma, nothing in the file\. A load does not change/),
    ]);
    expect(res.report!.invoices.filter((i) => i.issues.some((p) => p.code === 'held_different')).map((i) => i.number)).toEqual(['G-24118']);
    const held = w.sandbox.state().invoices.filter((i) => i.number === 'G-24118');
    expect(held).toHaveLength(1);
    expect(held[0]!.lines).toHaveLength(3);
  });

  it('a renamed file resumes from the same journal', async () => {
    w = await world();
    const a = sampleSubset(w.dir, ['GOBI', 'EBSCO'], 'a.csv');
    await w.load([a]);
    const before = w.sandbox.state().counters.requestsTotal;
    const b = sampleSubset(w.dir, ['GOBI', 'EBSCO'], 'renamed.csv');
    const res = await w.load([b]);
    expect(res.report!.summary.already_loaded).toBe(4);
    expect(w.sandbox.state().counters.requestsTotal).toBe(before);
  });

  it('a refused key stops the run with exit 5, and the key appears nowhere', async () => {
    w = await world({ apiKeys: ['the-right-key'] });
    const secret = 'WRONG-KEY-l8f3k2j9s7';
    const res = await w.load([SAMPLE, '--verbose'], { key: secret });
    expect(res.code).toBe(5);
    expect(res.report!.stopped).toBe('auth');
    expect(res.stderr).toMatch(/refused/);
    expect(res.stdout + res.stderr).not.toContain(secret);
    expect(w.sandbox.state().counters.requests['POST create'] ?? 0).toBe(0);
    // Stopped before the first write: every invoice failed, not started — `planned` is a dry run's.
    expect(res.report!.summary).toMatchObject({ failed: 7, planned: 0 });
    expect(new Set(res.report!.invoices.map((i) => `${i.status} ${i.error?.step} ${i.error?.code}`))).toEqual(new Set(['failed create NOT_STARTED']));
    expect(res.report!.invoices[0]!.error!.message).toBe('not started: the run stopped first (the API key was refused); a re-run loads it');
  });

  it('a key that may only read: refused at the first write, said to be read-only, nothing written; the right key then loads each invoice once, at once', async () => {
    w = await world({ apiKeys: ['read-write-key'], readOnlyKeys: ['read-only-key'] });
    const seeded = w.sandbox.state().invoices.length;
    const res = await w.load([SAMPLE], { key: 'read-only-key' });
    expect(res.code).toBe(5);
    expect(res.report!.stopped).toBe('auth');
    expect(res.stderr).toMatch(/accepted the API key for reading but refused it for writing \(UNAUTHORIZED: .*\): the key is probably read-only/);
    expect(w.sandbox.state().invoices).toHaveLength(seeded);
    const again = await w.load([SAMPLE], { key: 'read-write-key' });
    expect(again.code, again.stderr).toBe(0);
    // The refused create is journaled as refused: not taken for a lost answer (or one an earlier run did not wait for) and looked for.
    expect(again.stderr).not.toMatch(/whether it took effect/);
    expectExactlyOnce(w.sandbox.state(), again.report!);
  });

  it('a key with Acquisitions rights alone, refused by the code tables (Configuration): the load goes on, the codes said unchecked', async () => {
    w = await world({ apiKeys: ['read-write-key'], acquisitionsOnlyKeys: ['acq-key'] });
    const dry = await w.load(['--dry-run', '--online', SAMPLE], { key: 'acq-key' });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.report!.preflight!.unchecked.map((u) => u.what)).toEqual(['code table Currency_CT', 'code table PaymentMethod', 'code table InvoiceLinesTypes']);
    expect(dry.report!.preflight!.unchecked[0]!.reason).toMatch(/the API key has no rights to Alma's configuration, as a key with Acquisitions rights alone has none; UNAUTHORIZED: /);
    const res = await w.load([SAMPLE], { key: 'acq-key' });
    expect(res.code, res.stderr).toBe(0);
    expect(w.sandbox.state().counters.unauthorized).toBeGreaterThan(0);
    expect(res.stderr).toMatch(/not checked before sending: code table Currency_CT \(it could not be read \(the API key has no rights to Alma's configuration/);
    expectExactlyOnce(w.sandbox.state(), res.report!);
  });

  it('a wrong key is a wrong key: nothing was read with it', async () => {
    w = await world({ apiKeys: ['read-write-key'], readOnlyKeys: ['read-only-key'] });
    const res = await w.load([SAMPLE], { key: 'no-such-key' });
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/the API key was refused \(UNAUTHORIZED: /);
    expect(res.stderr).not.toMatch(/read-only/);
  });

  it('an invoice Alma refused is sent again at once by the re-run, not looked for as a lost answer', async () => {
    w = await world({ faults: [{ step: 'create', kind: 'business', match: 'BW/77120', times: 100 }] });
    const first = await w.load([SAMPLE]);
    expect(first.code).toBe(4);
    w.sandbox.setFaults({});
    const again = await w.load([SAMPLE]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/whether it took effect/);
    expect(again.report!.invoices.find((i) => i.number === 'BW/77120')!.status).toBe('loaded');
    expectExactlyOnce(w.sandbox.state(), again.report!);
  });

  it('an invoice Alma rejects is reported with its code and tracking id while the others load', async () => {
    w = await world({ faults: [{ step: 'create', kind: 'business', match: 'BW/77120', times: 100 }] });
    const res = await w.load([SAMPLE]);
    expect(res.code).toBe(4);
    const bw = res.report!.invoices.find((i) => i.number === 'BW/77120')!;
    expect(bw.status).toBe('failed');
    expect(bw.error).toMatchObject({ step: 'create', http_status: 400, code: '60237' });
    expect(bw.error!.tracking_id).toMatch(/^E\d\d-/);
    expect(res.report!.summary).toMatchObject({ failed: 1, loaded: 5, in_review: 1 });
    expectExactlyOnce(w.sandbox.state(), res.report!);
  });

  it('a 429 storm slows every worker; nothing is lost or doubled', async () => {
    w = await world({ perSecond: 4 });
    const res = await w.load([SAMPLE, '--rate', '40', '--concurrency', '6'], { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const state = w.sandbox.state();
    expect(state.counters.throttled.perSecond).toBeGreaterThan(0);
    expectExactlyOnce(state, res.report!);
  }, 60_000);

  it('the daily threshold stops the run cleanly (exit 4); a re-run the next day finishes it', async () => {
    // 30: past the checks before sending (14 reads and the first look-up), within the load.
    w = await world({ daily: 30 });
    const res = await w.load([SAMPLE]);
    expect(res.code).toBe(4);
    expect(res.report!.stopped).toBe('daily_limit');
    expect(res.stderr).toMatch(/daily API threshold.*journal is saved.*re-run/i);
    expect(w.sandbox.state().invoices.some((i) => i.origin === 'api'), 'it stopped within the load, after its first writes').toBe(true);
    w.sandbox.configure({ daily: 100_000 });
    const again = await w.load([SAMPLE]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.summary.loaded + again.report!.summary.in_review + again.report!.summary.already_loaded).toBe(7);
    expectExactlyOnce(w.sandbox.state(), again.report!);
  });

  it('the daily threshold reached during the checks before sending: nothing sent, exit 4, when to re-run', async () => {
    w = await world({ daily: 5 });
    const res = await w.load([SAMPLE]);
    expect(res.code).toBe(4);
    expect(res.report!.stopped).toBe('daily_limit');
    expect(res.stderr).toMatch(/daily API threshold is used up; nothing was sent — re-run after midnight/);
    expect(w.sandbox.state().invoices.filter((i) => i.origin === 'api')).toEqual([]);
    expect(res.report!.summary).toMatchObject({ failed: 7, planned: 0 });
    expect(new Set(res.report!.invoices.map((i) => i.error?.code))).toEqual(new Set(['NOT_STARTED']));
  });

  /**
   * A load of `file` into `w`, held still once it has sent a request: it holds its journal's lock
   * (and its claims) then, and is stopped (SIGSTOP: alive, lock held) until the runs under test
   * have been turned away, so a slow start of theirs on a busy machine cannot let it finish
   * first. `first.child.kill('SIGCONT')` lets it go on to the end.
   */
  async function heldLoad(file: string, env: Record<string, string>) {
    const first = spawnCli([file, '--json'], { env, timeoutMs: 60_000 });
    let exited = false;
    void first.done.then(() => (exited = true));
    while (!exited && w!.sandbox.state().counters.requestsTotal === 0) await new Promise((r) => setTimeout(r, 10));
    expect(exited, 'the first run ended before sending anything').toBe(false);
    first.child.kill('SIGSTOP');
    return first;
  }

  it('a second run on the same journal while the first is working exits 2 with a clear message', async () => {
    w = await world({ latencyMs: 150 });
    const env = { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w.stateDir };
    const first = await heldLoad(SAMPLE, env);
    const second = await spawnCli([SAMPLE, '--json'], { env }).done;
    first.child.kill('SIGCONT');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`another invoice-load run \\(pid ${first.child.pid}\\b`));
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect((await first.done).code).toBe(0);
  });

  it('two files that share invoices, run at the same time: the second stops before sending (exit 2) naming them; a file sharing none goes on', async () => {
    w = await world({ latencyMs: 150 });
    const env = { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: w.stateDir };
    const a = sampleSubset(w.dir, ['GOBI', 'HARRAS'], 'a.csv');
    const b = sampleSubset(w.dir, ['EBSCO', 'GOBI'], 'b.csv');
    const c = sampleSubset(w.dir, ['BLACKWELL'], 'c.csv');
    const first = await heldLoad(a, env);
    const sent = w.sandbox.state().counters.requestsTotal;
    const second = await spawnCli([b, '--json'], { env }).done;
    const apart = await spawnCli([c, '--json'], { env }).done;
    first.child.kill('SIGCONT');
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toBe(
      `invoice-load: another invoice-load run (pid ${first.child.pid}, started ${second.stderr.match(/started (\S+)\)/)?.[1]}) is loading 3 invoices of this batch into the same place now ` +
        '(GOBI G-24118, GOBI G-24131, GOBI G-24140); two runs sending one invoice at once could both create it: wait for it to finish, then run again.',
    );
    expect(apart.code, apart.stderr).toBe(0);
    const loaded = await first.done;
    expect(loaded.code, loaded.stderr).toBe(0);
    // The second run sent nothing: the requests beyond the first run's are the third run's alone.
    const byFirst = (JSON.parse(loaded.stdout) as { summary: { requests: number } }).summary.requests;
    const byThird = (JSON.parse(apart.stdout) as { summary: { requests: number } }).summary.requests;
    expect(sent).toBeGreaterThan(0);
    expect(w.sandbox.state().counters.requestsTotal).toBe(byFirst + byThird);
    // Run again once the first has ended: it goes, and each shared invoice is in Alma once.
    const again = await w.load([b]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report!.invoices.filter((i) => i.vendor === 'GOBI').map((i) => i.status)).toEqual(['already_loaded', 'already_loaded', 'already_loaded']);
    expectExactlyOnce(w.sandbox.state(), again.report!);
  });

  it('a dry run sends nothing', async () => {
    w = await world();
    const res = await w.load([SAMPLE, '--dry-run']);
    expect(res.code).toBe(0);
    expect(res.report!.summary.planned).toBe(7);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });
});

describe('the status read after processing was accepted fails', () => {
  it('every read of it times out: loaded with not_finished naming the timeout, exit 0, not FAILED; a re-run reads the status and writes nothing', async () => {
    w = await world({ timeoutHoldMs: 3_000, faults: [{ step: 'poll', kind: 'timeout', match: 'BW/77120', times: 100 }] });
    const file = sampleSubset(w.dir, ['EBSCO', 'BLACKWELL']);
    const res = await w.load([file, '--timeout', '1', '--max-retries', '0'], { timeoutMs: 30_000 });
    expect(res.code, res.stderr).toBe(0);
    expect(res.report!.summary).toMatchObject({ loaded: 2, failed: 0 });
    const bw = res.report!.invoices.find((i) => i.number === 'BW/77120')!;
    expect(bw.status).toBe('loaded');
    expect(bw.error).toBeUndefined();
    expect(bw.issues.map((p) => [p.code, p.severity])).toEqual([['not_finished', 'warning']]);
    expect(bw.issues[0]!.message).toMatch(/^Alma accepted the request to process the invoice, but its status could not be read afterwards \(UND_ERR_HEADERS_TIMEOUT: GET \/acq\/invoices\/\d+/);
    expectExactlyOnce(w.sandbox.state(), res.report!);

    w.sandbox.setFaults({});
    const posts = writes(w.sandbox.state());
    const again = await w.load([file]);
    expect(again.code, again.stderr).toBe(0);
    expect(writes(w.sandbox.state())).toBe(posts);
    const read = again.report!.invoices.find((i) => i.number === 'BW/77120')!;
    expect([read.status, read.workflow_status, read.issues]).toEqual(['already_loaded', 'Waiting to be Sent', []]);
  });
});

describe('fault at each step, of each kind: final state and report', () => {
  // Two invoices whose vendors have one invoice each, so the look-up is a search that names the number.
  const steps = ['lookup', 'create', 'line', 'process', 'poll'] as const;
  const kinds = ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle', 'business'] as const;
  const businessCode = { lookup: '401873', create: '60237', line: '60254', process: '60260', poll: '402459' } as const;
  // A look-up's failure is the create's step in the report (the contract names create, lines, process, poll).
  const reportStep = { lookup: 'create', create: 'create', line: 'lines', process: 'process', poll: 'poll' } as const;

  for (const step of steps) {
    for (const kind of kinds) {
      it(`${kind} at ${step}`, async () => {
        w = await world({
          timeoutHoldMs: 3_000,
          faults: [{ step, kind, match: 'BW/77120', times: kind === 'business' ? 1000 : 1 }],
        });
        const file = sampleSubset(w.dir, ['EBSCO', 'BLACKWELL']);
        const res = await w.load([file, '--timeout', '1'], { timeoutMs: 30_000 });
        const state = w.sandbox.state();
        expect(state.counters.faults[kind], 'the fault was injected').toBeGreaterThan(0);
        const bw = res.report!.invoices.find((i) => i.number === 'BW/77120')!;
        const ebs = res.report!.invoices.find((i) => i.number === 'EBS-9001-25')!;
        expect(ebs.status).toBe('loaded');
        if (kind === 'business' && step === 'poll') {
          // Processing was accepted: a status read refused is no failure of the invoice (it is in
          // Alma, and keying it in by hand would make a duplicate), Alma's code kept in its warning.
          expect(res.code, res.stderr).toBe(0);
          expect(bw.status).toBe('loaded');
          expect(bw.issues.find((p) => p.code === 'not_finished')!.message).toMatch(/its status could not be read afterwards \(402459: /);
        } else if (kind === 'business') {
          expect(res.code).toBe(4);
          expect(bw.status).toBe('failed');
          expect(bw.error).toMatchObject({ step: reportStep[step], code: businessCode[step], http_status: 400 });
          expect(bw.error!.tracking_id).toMatch(/^E\d\d-/);
        } else {
          expect(res.code, res.stderr).toBe(0);
          expect(bw.status).toBe('loaded');
        }
        expectExactlyOnce(state, res.report!);
      });
    }
  }
});
