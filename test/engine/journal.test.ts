import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { Journal, foldJournal, type JournalEntry } from '../../src/engine/journal.js';
import { acquireLock } from '../../src/engine/lock.js';
import { JournalError } from '../../src/shared/errors.js';

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

describe('lock', () => {
  it('stops a second holder while the first is alive, and frees on release', () => {
    const path = join(dir, 'j.lock');
    const release = acquireLock(path);
    // A live process other than us holds it: simulate with our parent's pid.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then' }));
    expect(() => acquireLock(path)).toThrow(/another invoice-load run \(pid \d+/);
    release(); // not ours any more: must not remove the other holder's lock
    expect(() => acquireLock(path)).toThrow(JournalError);
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
