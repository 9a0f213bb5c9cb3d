import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { Journal, foldJournal, type InvoiceJournalState, type JournalEntry } from '../../src/engine/journal.js';
import { acquireLock, HEARTBEAT_MS, holderLives, lockHolder, processStart, STALE_MS, whereHere } from '../../src/engine/lock.js';
import { JournalError, JournalWriteError, runStopOf } from '../../src/common/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = (path: string) => ({ path, target: 'alma', endpoint: 'https://api-eu.example', batch: 'b1', sync: false });
const who = { vendor: 'ACME', number: 'INV-1' };

describe('journal', () => {
  it('folds intents and outcomes into per-invoice state', () => {
    const entries: JournalEntry[] = [
      { t: 'intent', ...who, step: 'create' },
      { t: 'invoice', ...who, id: '15334101100001021', found: false },
      { t: 'intent', ...who, step: 'line', line: '1', id: '15334101100001021' },
      { t: 'line', ...who, line: '1', id: '7' },
      { t: 'intent', ...who, step: 'line', line: '2', id: '15334101100001021' },
      { t: 'intent', ...who, step: 'process', id: '15334101100001021' },
    ];
    const s = foldJournal(entries).get('ACME\u0000INV-1')!;
    expect(s.id).toBe('15334101100001021');
    expect(s.createPending).toBe(false);
    expect([...s.lines]).toEqual([['1', '7']]);
    expect([...s.linesPending]).toEqual(['2']);
    expect(s.processPending).toBe(true);
    expect(s.processed).toBe(false);
  });

  // A definite refusal, or a write a Ctrl-C stopped before it left, settles the intent before it:
  // nothing was made, so nothing is looked for.
  const steps = [
    ['create', { step: 'create' }, (s: InvoiceJournalState) => s.createPending],
    ['line', { step: 'line', line: '2' }, (s: InvoiceJournalState) => s.linesPending.has('2')],
    ['attachment', { step: 'attachment', file: 'a.pdf' }, (s: InvoiceJournalState) => s.attachmentsPending.has('a.pdf')],
    ['process', { step: 'process' }, (s: InvoiceJournalState) => s.processPending],
  ] as const;
  it.each((['refused', 'unsent'] as const).flatMap((t) => steps.map(([what, which, pending]) => [t, what, which, pending] as const)))(
    'a %s %s is no longer pending; another intent of the same step still is',
    (t, _, which, pending) => {
      const intent = { t: 'intent', ...who, ...which, id: '15334101100001021' } as JournalEntry;
      const refused = { t, ...who, ...which } as JournalEntry;
      const state = (entries: JournalEntry[]) => foldJournal(entries).get('ACME\u0000INV-1')!;
      expect(pending(state([intent]))).toBe(true);
      expect(pending(state([intent, refused]))).toBe(false);
      // Sent again after the refusal (a re-run once the cause is fixed): pending again until its answer.
      expect(pending(state([intent, refused, intent]))).toBe(true);
    },
  );

  it('what an entry settled is not undone by a later one of another kind', () => {
    const state = (entries: JournalEntry[]) => foldJournal(entries).get('ACME\u0000INV-1')!;
    // Found by a look-up once is found: a later invoice entry of a run that created nothing does not unsay it.
    expect(state([{ t: 'invoice', ...who, id: '9', found: true }, { t: 'invoice', ...who, id: '9', found: false }]).found).toBe(true);
    expect(state([{ t: 'invoice', ...who, id: '9', found: false }]).found).toBe(false);
    // An accepted op keeps the invoice id already known.
    expect(state([{ t: 'invoice', ...who, id: '9', found: false }, { t: 'accepted', ...who, op: 'paid', id: '10' }]).id).toBe('9');
    expect(state([{ t: 'accepted', ...who, op: 'paid', id: '10' }]).id).toBe('10');
    // Settled: processing is over, nothing of it pending.
    const settled = state([
      { t: 'intent', ...who, step: 'process', id: '9' },
      { t: 'settled', ...who, id: '9', status: 'loaded', alerts: [] },
    ]);
    expect([settled.processed, settled.processPending, settled.settled?.status]).toEqual([true, false, 'loaded']);
  });

  it('a process watched without showing (OUTCOME_UNKNOWN) is marked, another failure is not, and a newer intent clears it', () => {
    const state = (entries: JournalEntry[]) => foldJournal(entries).get('ACME\u0000INV-1')!;
    const intent: JournalEntry = { t: 'intent', ...who, step: 'process', id: '9' };
    const failed = (code: string): JournalEntry => ({ t: 'failed', ...who, error: { step: 'process', http_status: 0, code, message: code } });
    expect(state([intent, failed('OUTCOME_UNKNOWN')]).processWatched).toBe(true);
    expect(state([intent, failed('ETIMEDOUT')]).processWatched).not.toBe(true);
    expect(state([intent, failed('OUTCOME_UNKNOWN'), intent]).processWatched).toBe(false);
    // Not pending (answered): nothing to watch.
    expect(state([intent, { t: 'processed', ...who, id: '9' }, failed('OUTCOME_UNKNOWN')]).processWatched).not.toBe(true);
  });

  it("keeps a create settled by a look-up (`reconciled`); an entry without the field (an older journal's) reads as a clean create", () => {
    const state = (entries: JournalEntry[]) => foldJournal(entries).get('ACME\u0000INV-1')!;
    expect(state([{ t: 'invoice', ...who, id: 'X', found: false }]).reconciled).toBe(false);
    const s = state([{ t: 'intent', ...who, step: 'create' }, { t: 'invoice', ...who, id: 'X', found: false, reconciled: true }]);
    expect([s.reconciled, s.found, s.createPending]).toEqual([true, false, false]);
  });

  it("keeps an id the target made instead of the loader's in lower case (ids are compared so: targets/matches.ts madeNotKept)", () => {
    const s = foldJournal([{ t: 'id_not_kept', ...who, id: 'AB12-CD' }]).get('ACME\u0000INV-1')!;
    expect([...s.notKept]).toEqual(['ab12-cd']);
  });

  it('a refused line leaves the other lines pending', () => {
    const s = foldJournal([
      { t: 'intent', ...who, step: 'line', line: '1', id: 'X' },
      { t: 'intent', ...who, step: 'line', line: '2', id: 'X' },
      { t: 'refused', ...who, step: 'line', line: '2' },
    ]).get('ACME\u0000INV-1')!;
    expect([...s.linesPending]).toEqual(['1']);
  });

  it('keeps as maybe sent a write accepted or unanswered, not one refused or never sent, unless sent again while unanswered', () => {
    const s = foldJournal([
      { t: 'intent', ...who, step: 'line', line: '1', id: 'X' },
      { t: 'line', ...who, line: '1', id: '7' },
      { t: 'intent', ...who, step: 'line', line: '2', id: 'X' },
      { t: 'refused', ...who, step: 'line', line: '2' },
      { t: 'intent', ...who, step: 'attachment', file: 'a.pdf', id: 'X' },
      { t: 'unsent', ...who, step: 'attachment', file: 'a.pdf' },
      // Sent, its answer lost, sent again and refused: the first send may still take effect.
      { t: 'intent', ...who, step: 'line', line: '3', id: 'X' },
      { t: 'intent', ...who, step: 'line', line: '3', id: 'X' },
      { t: 'refused', ...who, step: 'line', line: '3' },
      { t: 'intent', ...who, step: 'process', id: 'X' },
    ]).get('ACME\u0000INV-1')!;
    expect([...s.mayHaveSent.keys()].sort()).toEqual(['line 1', 'line 3', 'process']);
  });

  it("keeps when an operation's last series of sends began (opsSentAt): a send again while pending keeps the first's time, a new series after a refusal its own; none without `at`", () => {
    const sentAt = (entries: JournalEntry[]) => foldJournal(entries).get('ACME\u0000INV-1')!.opsSentAt.get('mark_in_erp');
    const intent = (at?: number): JournalEntry => ({ t: 'intent', ...who, step: 'op', op: 'mark_in_erp', id: 'X', ...(at !== undefined ? { at } : {}) });
    expect(sentAt([intent(100), { t: 'accepted', ...who, op: 'mark_in_erp', id: 'X' }])).toBe(100);
    expect(sentAt([intent(100), intent(200), { t: 'op', ...who, op: 'mark_in_erp', id: 'X', outcome: 'done' }])).toBe(100);
    expect(sentAt([intent(100), { t: 'refused', ...who, step: 'op', op: 'mark_in_erp' }, intent(300)])).toBe(300);
    expect(sentAt([intent(100), { t: 'refused', ...who, step: 'op', op: 'mark_in_erp' }, intent()])).toBeUndefined();
  });

  it('counts the age of a pending process request from the start of the run after the one that sent it', () => {
    const path = join(dir, 'j.jsonl');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => new Date(clock);
    const first = Journal.open({ ...opts(path), now });
    first.append({ t: 'invoice', ...who, id: '9', found: false });
    first.append({ t: 'intent', ...who, step: 'process', id: '9' });
    // This run wrote the intent: the request may not have gone out yet.
    clock += 30_000;
    expect(first.pendingProcessAgeMs(who)).toBe(0);
    first.close();
    clock += 5_000;
    const second = Journal.open({ ...opts(path), now });
    expect(second.pendingProcessAgeMs(who)).toBe(0);
    clock += 8_000;
    second.close();
    const third = Journal.open({ ...opts(path), now });
    clock += 1_000;
    // Sent before the second run began, 9 s ago; not reset by the third run.
    expect(third.pendingProcessAgeMs(who)).toBe(9_000);
    third.append({ t: 'intent', ...who, step: 'process', id: '9' });
    expect(third.pendingProcessAgeMs(who)).toBe(0);
    clock -= 60_000;
    third.close();
    expect(Journal.open({ ...opts(path), now }).pendingProcessAgeMs(who)).toBe(0);
  });

  it('survives a reopen with the same state', () => {
    const path = join(dir, 'j.jsonl');
    const j = Journal.open(opts(path));
    j.append({ t: 'intent', ...who, step: 'create' });
    j.append({ t: 'invoice', ...who, id: '42', found: false });
    j.close();
    const again = Journal.open(opts(path));
    expect(again.resumed).toBe(true);
    expect(again.state(who).id).toBe('42');
    again.close();
  });

  it.each([
    ['a torn half line', '{"t":"line","vendor":"ACME","nu'],
    ['a complete entry whose newline was cut off', '{"t":"line","vendor":"ACME","number":"INV-1","line":"1","id":"9"}'],
  ])('tolerates %s at the end and cuts it before appending', (_, tail) => {
    const path = join(dir, 'j.jsonl');
    const j = Journal.open(opts(path));
    j.append({ t: 'invoice', ...who, id: '42', found: false });
    j.close();
    appendFileSync(path, tail);
    const again = Journal.open(opts(path));
    expect(again.state(who).id).toBe('42');
    expect(again.state(who).lines.size).toBe(0);
    again.append({ t: 'line', ...who, line: '2', id: '10' });
    again.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(Journal.open(opts(path)).state(who).lines.get('2')).toBe('10');
  });

  it('starts afresh when only a torn header was written', () => {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, '{"t":"begin","kind":"invoice-lo');
    const j = Journal.open(opts(path));
    expect(j.resumed).toBe(false);
    j.close();
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!).kind).toBe('invoice-load-journal');
  });

  it.each([
    ['a corrupted middle line', (p: string) => {
      const j = Journal.open(opts(p));
      j.close();
      appendFileSync(p, 'garbage\n{"t":"run","at":"x"}\n');
    }, /corrupted at line 2/],
    ['a foreign file', (p: string) => writeFileSync(p, 'id,name\n1,2\n'), /not an invoice-load journal/],
    ['another batch', (p: string) => Journal.open({ ...opts(p), batch: 'other' }).close(), /another batch or target/],
    ['another version', (p: string) => writeFileSync(p, JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 99, target: 'alma', endpoint: 'https://api-eu.example', batch: 'b1', at: '' }) + '\n'), /version 99/],
  ])('refuses %s with a clear message, without touching it', (_, make, message) => {
    const path = join(dir, 'j.jsonl');
    make(path);
    const before = readFileSync(path, 'utf8');
    expect(() => Journal.open(opts(path))).toThrow(JournalError);
    expect(() => Journal.open(opts(path))).toThrow(message);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});

describe('journal: intents before a send (group commit)', () => {
  it('an intent is written at once and durable when its promise resolves; one sync covers every intent written before it began', async () => {
    const path = join(dir, 'j.jsonl');
    // A held fdatasync: each call records how many lines the file had when it began.
    const calls: { lines: number; done: (err: Error | null) => void }[] = [];
    const lineCount = (): number => readFileSync(path, 'utf8').trimEnd().split('\n').length;
    const j = Journal.open({ ...opts(path), sync: true, fdatasync: (_fd, done) => calls.push({ lines: lineCount(), done }) });
    const durable: string[] = [];
    const intent = (n: string) =>
      j.appendBeforeSend({ t: 'intent', vendor: 'ACME', number: n, step: 'create', at: 1 }).then(() => void durable.push(n));
    const a = intent('A');
    // Folded and in the file before it is durable; the sync began after it was written.
    expect(j.state({ vendor: 'ACME', number: 'A' }).createPending).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.lines).toBe(2);
    const b = intent('B');
    const c = intent('C');
    // B and C were written while A's sync ran: they wait for one more, not one each.
    expect(calls).toHaveLength(1);
    await Promise.resolve();
    expect(durable).toEqual([]);
    calls[0]!.done(null);
    await a;
    expect(durable).toEqual(['A']);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.lines).toBe(4);
    expect(durable).toEqual(['A']);
    calls[1]!.done(null);
    await Promise.all([b, c]);
    expect(durable).toEqual(['A', 'B', 'C']);
    // Nothing written since: no further sync.
    expect(calls).toHaveLength(2);
    j.close();
  });

  it('a failed sync fails the intent (the request is not sent)', async () => {
    const path = join(dir, 'j.jsonl');
    const j = Journal.open({ ...opts(path), sync: true, fdatasync: (_fd, done) => done(new Error('EIO')) });
    await expect(j.appendBeforeSend({ t: 'intent', vendor: 'ACME', number: 'A', step: 'create', at: 1 })).rejects.toThrow('EIO');
    j.close();
  });
});

describe('journal: a disk that fills (a write that fails partway)', () => {
  /**
   * writeSync that lets `room` more bytes through, writing what fits, then fails once with
   * ENOSPC — and then has room again, as when the cut-back part or another file frees space.
   */
  const fillingDisk = (room: number) => {
    let left = room;
    let failed = false;
    return (fd: number, buf: Uint8Array, off: number, len: number): number => {
      if (left <= 0 && !failed) {
        failed = true;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      const n = failed ? len : Math.min(len, left);
      left -= n;
      return writeSync(fd, buf, off, n);
    };
  };
  const intent = (n: string) => ({ t: 'intent' as const, vendor: 'ACME', number: n, step: 'create' as const, at: 1 });

  it('the entry that did not fit is cut off whole, refused with the path and the reason, and so is every later one', async () => {
    const path = join(dir, 'j.jsonl');
    // Room for the header line, A's intent and 20 bytes more (measured on a journal of its own).
    const probe = join(dir, 'probe.jsonl');
    const p = Journal.open(opts(probe));
    await p.appendBeforeSend(intent('A'));
    p.close();
    const j = Journal.open({ ...opts(path), write: fillingDisk(readFileSync(probe).length + 20) });
    const before = readFileSync(path, 'utf8');
    // Fits: whole lines only.
    await j.appendBeforeSend(intent('A'));
    const afterA = readFileSync(path, 'utf8');
    expect(afterA.endsWith('\n')).toBe(true);
    // Written in part, then ENOSPC: refused, and the part that reached the file is cut back.
    const message = `cannot write the journal ${path}: no space left on the device`;
    let refused: unknown;
    try {
      await j.appendBeforeSend(intent('B'.repeat(300)));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(JournalWriteError);
    expect((refused as JournalWriteError).message).toBe(message);
    expect((refused as JournalWriteError).code).toBe('ENOSPC');
    expect(runStopOf(refused)).toBe('journal');
    expect(readFileSync(path, 'utf8')).toBe(afterA);
    expect(afterA.length).toBeGreaterThan(before.length);
    // Broken for good, though the disk has room again: nothing after it is written (nor sent).
    expect(() => j.append({ t: 'invoice', vendor: 'ACME', number: 'A', id: '1', found: false })).toThrow(message);
    await expect(j.appendBeforeSend(intent('C'))).rejects.toThrow(message);
    expect(readFileSync(path, 'utf8')).toBe(afterA);
    j.close();
    // The next run reads A's intent, and nothing of B or C.
    const again = Journal.open(opts(path));
    expect(again.state({ vendor: 'ACME', number: 'A' }).createPending).toBe(true);
    expect(again.state({ vendor: 'ACME', number: 'B'.repeat(300) }).createPending).toBe(false);
    again.close();
  });

  it('a short write without an error is finished: the entry is whole', async () => {
    const path = join(dir, 'j.jsonl');
    let calls = 0;
    const shortWrites = (fd: number, buf: Uint8Array, off: number, len: number): number => {
      calls++;
      return writeSync(fd, buf, off, Math.min(len, 7));
    };
    const j = Journal.open({ ...opts(path), write: shortWrites });
    await j.appendBeforeSend(intent('A'));
    j.close();
    expect(calls).toBeGreaterThan(10);
    expect(Journal.open(opts(path)).state({ vendor: 'ACME', number: 'A' }).createPending).toBe(true);
  });

  it('a journal that cannot even take its first line is a JournalWriteError (the state dir cannot be used: exit 2)', () => {
    const path = join(dir, 'j.jsonl');
    expect(() => Journal.open({ ...opts(path), write: fillingDisk(10) })).toThrow(JournalWriteError);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('lock', () => {
  it('stops a second holder while the first is alive, and frees on release', () => {
    const path = join(dir, 'j.lock');
    const release = acquireLock(path);
    // A live process other than us holds it: simulate with our parent's pid.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then' }));
    expect(() => acquireLock(path)).toThrow(/another invoice-load run \(pid \d+, started then\) is working on this batch/);
    // an export's journal is its file's, not a batch's
    expect(() => acquireLock(path, undefined, 'this export file')).toThrow(/is working on this export file; wait for it/);
    release(); // not ours any more: must not remove the other holder's lock
    expect(() => acquireLock(path)).toThrow(JournalError);
  });

  it('another host\'s lock: held while its run keeps it fresh, taken over once silent for STALE_MS (a container restarted under another name)', () => {
    const path = join(dir, 'j.lock');
    const other = { pid: 4242, host: 'pod-abc-1', started: '2026-12-05T20:00:00.000Z' };
    writeFileSync(path, JSON.stringify(other));
    const t0 = statSync(path).mtime;
    const at = (ms: number) => () => new Date(t0.getTime() + ms);
    expect(lockHolder(path, at(STALE_MS - 1000)())).toEqual(other);
    expect(() => acquireLock(path, at(STALE_MS - 1000))).toThrow(/another invoice-load run on host pod-abc-1 \(pid 4242, .*one silent for 10 minutes is taken over/);
    expect(lockHolder(path, at(STALE_MS + 1000)())).toBeUndefined();
    const release = acquireLock(path, at(STALE_MS + 1000));
    expect(release.tookOver).toMatchObject({ ...other, silentMs: expect.any(Number) });
    expect(release.tookOver!.silentMs).toBeGreaterThan(STALE_MS);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    release();
  });

  it('a holder keeps its lock fresh every HEARTBEAT_MS (fake timers)', () => {
    vi.useFakeTimers();
    try {
      const path = join(dir, 'j.lock');
      const release = acquireLock(path);
      const old = new Date('2026-01-01T00:00:00Z');
      utimesSync(path, old, old);
      vi.advanceTimersByTime(HEARTBEAT_MS);
      expect(statSync(path).mtimeMs).toBeGreaterThan(old.getTime());
      release();
      // Released: no beat touches a later holder's file.
      writeFileSync(path, '{}');
      utimesSync(path, old, old);
      vi.advanceTimersByTime(HEARTBEAT_MS * 2);
      expect(statSync(path).mtimeMs).toBe(old.getTime());
    } finally {
      vi.useRealTimers();
    }
  });

  // Where the system says when a process started (Linux /proc/<pid>/stat): containers give each run the same pid.
  it.skipIf(!existsSync('/proc/self/stat'))('a lock whose pid is alive but another process now (started at another moment) is taken over; its own holder\'s is not', () => {
    const path = join(dir, 'j.lock');
    const parent = processStart(process.ppid)!;
    expect(parent).toMatch(/^\d+$/);
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then', pstart: parent }));
    expect(lockHolder(path)).toMatchObject({ pid: process.ppid });
    expect(() => acquireLock(path)).toThrow(/another invoice-load run \(pid \d+, started then\)/);
    // Written in this pid namespace and boot, as a lock of this loader is: its start is compared.
    const killed = { pid: process.ppid, host: hostname(), started: 'then', pstart: String(Number(parent) + 1), ...whereHere() };
    writeFileSync(path, JSON.stringify(killed));
    expect(lockHolder(path)).toBeUndefined();
    const release = acquireLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, pstart: processStart(process.pid), ...whereHere() });
    release();
  });

  // Two containers of one hostname, each its own pid namespace, sharing a state dir: the holder's
  // pid seen from here is some other live process, started at another moment. That run is alive.
  it.skipIf(!existsSync('/proc/self/stat'))('a lock of another pid namespace (or boot) whose pid is alive here under another start is held, not taken', () => {
    const path = join(dir, 'j.lock');
    const other = String(Number(processStart(process.ppid)!) + 1);
    for (const where of [
      { pidns: 'pid:[1]', boot: whereHere().boot },
      { pidns: whereHere().pidns, boot: 'another-boot' },
      {}, // a lock with a start but no namespace or boot: as before, a live pid holds it
    ]) {
      writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then', pstart: other, ...where }));
      expect(lockHolder(path), JSON.stringify(where)).toMatchObject({ pid: process.ppid });
      expect(() => acquireLock(path)).toThrow(/another invoice-load run \(pid \d+, started then\)/);
    }
  });

  describe('holderLives: whether a lock of this host still has its run, from the facts seen', () => {
    const here = { pid: 100, pidns: 'pid:[4026531836]', boot: 'b-1' };
    const lock = { pid: 7, pstart: '5000', pidns: here.pidns, boot: here.boot };
    it.each([
      ['same namespace and boot, the same start: held', lock, { alive: true, pstart: '5000' }, true],
      ['same namespace and boot, another start (the pid reused): gone', lock, { alive: true, pstart: '6000' }, false],
      ['same namespace and boot, the pid not alive: gone', lock, { alive: false }, false],
      ['same namespace and boot, the start not readable now: held', lock, { alive: true }, true],
      ['another pid namespace, another start: held (that pid is another process here)', { ...lock, pidns: 'pid:[4026532176]' }, { alive: true, pstart: '6000' }, true],
      ['another boot, another start: held', { ...lock, boot: 'b-2' }, { alive: true, pstart: '6000' }, true],
      ['another pid namespace, the pid not alive here: held (a pid gone here may live there; its heartbeat tells)', { ...lock, pidns: 'pid:[4026532176]' }, { alive: false }, true],
      ['no namespace recorded: held by a live pid (as before)', { pid: 7, pstart: '5000', boot: 'b-1' }, { alive: true, pstart: '6000' }, true],
      ['no boot recorded: held by a live pid (as before)', { pid: 7, pstart: '5000', pidns: here.pidns }, { alive: true, pstart: '6000' }, true],
      ['an old lock (no start): held by a live pid', { pid: 7 }, { alive: true, pstart: '6000' }, true],
      ['an old lock (no start), the pid not alive: gone', { pid: 7 }, { alive: false }, false],
      ['the reader\'s own pid: a dead run whose pid was reused (as before)', { ...lock, pid: 100 }, { alive: true, pstart: '5000' }, false],
    ] as const)('%s', (_name, held, seen, lives) => {
      expect(holderLives(held, here, seen)).toBe(lives);
    });
    it('the reader knowing neither namespace nor boot: as before', () => {
      expect(holderLives(lock, { pid: 100 }, { alive: true, pstart: '6000' })).toBe(true);
    });
  });

  it('takes over a lock whose process is gone (a run killed with SIGKILL)', () => {
    const path = join(dir, 'j.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path, JSON.stringify({ pid: Number(dead), host: hostname(), started: 'then' }));
    const release = acquireLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    release();
    expect(() => readFileSync(path)).toThrow();
  });
});
