/**
 * Keys, paths and pipes a user can hand the CLI: each is a one-line usage error (exit 2) before
 * anything is sent, naming what is wrong, never "internal error", never echoing a key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { runCli, spawnCli } from '../helpers/cli.js';
import { join } from 'node:path';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';

let w: World;
let file: string;
beforeAll(async () => {
  w = await world();
  mkdirSync(w.dir, { recursive: true });
  file = sampleSubset(w.dir, ['GOBI']);
});
afterAll(async () => w?.close());

const requests = (): number => w.sandbox.state().counters.requestsTotal;

describe('a key that can never be sent is a configuration error (item 8)', () => {
  const SECRET = 'SECRET-9f8e7d6c';
  it.each([
    ['a line break', `${SECRET}\r\nX-Injected: 1`, /line break/],
    ['a character outside Latin-1', `${SECRET}€`, /outside Latin-1/],
    ['a control character', `${SECRET}\u0007`, /control character, U\+0007/],
  ])('ALMA_API_KEY with %s: exit 2, nothing sent, the key not echoed', async (_name, key, why) => {
    const before = requests();
    const r = await w.load([file], { key });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^invoice-load: ALMA_API_KEY cannot be sent to Alma: /m);
    expect(r.stderr).toMatch(why);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(requests()).toBe(before);
  });

  it('a key file with two lines: exit 2 naming the file, nothing sent', async () => {
    const keyFile = join(w.dir, 'two-lines.key');
    writeFileSync(keyFile, `${SECRET}\nsecond-line\n`, { mode: 0o600 });
    const before = requests();
    const r = await w.load([file, '--api-key-file', keyFile], { env: { ALMA_API_KEY: undefined } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the API key in ${keyFile} cannot be sent to Alma: it holds a line break`);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(requests()).toBe(before);
  });
});

describe('an operating-system error on a path the user gave is exit 2 with one line (item 4)', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  const oneLine = (r: { code: number | null; stderr: string }, path: string, reason: RegExp): void => {
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(path);
    expect(lines[0]).toMatch(reason);
    expect(r.stderr).not.toMatch(/internal error|This is a bug/);
  };

  it('a symbolic link loop (ELOOP)', async () => {
    const loop = join(w.dir, 'loop.csv');
    symlinkSync(loop, loop);
    oneLine(await runCli(['--dry-run', loop]), loop, /too many symbolic links/);
  });

  it('a socket (ENXIO)', async () => {
    const sock = join(w.dir, 'batch.sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
    oneLine(await runCli(['--dry-run', sock]), sock, /cannot be opened as a file/);
  });

  it('a 5,000-character path (ENAMETOOLONG)', async () => {
    const long = join(w.dir, `${'n'.repeat(5000)}.csv`);
    oneLine(await runCli(['--dry-run', long]), long, /too long/);
  });

  it('--state-dir pointing at a regular file (ENOTDIR)', async () => {
    const notDir = join(w.dir, 'state-is-a-file');
    writeFileSync(notDir, 'x');
    const r = await w.load([file], { stateDir: notDir });
    oneLine(r, notDir, /is a file, not a folder/);
  });
});

describe('smaller hostile inputs: duplicate JSON keys, encodings (item 9)', () => {
  const dryRun = async (name: string, content: string | Buffer) => {
    const path = join(w.dir, name);
    writeFileSync(path, content);
    return { path, ...(await runCli(['--dry-run', path])) };
  };

  it('a key twice in one JSON object is an error naming the key, not the last value silently', async () => {
    const r = await dryRun('dup.json', '[{"invoice_number": "D-1", "vendor": "ACME",\n  "vendor": "OTHER", "invoice_date": "2025-03-03", "total_amount": "1"}]');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('row 2: error JSON error on line 2, column 3: the key "vendor" appears twice in one object');
    expect(r.stdout).toContain('[duplicate_key]');
  });

  it('UTF-16LE without a byte-order mark: the hint is --encoding utf-16le', async () => {
    const r = await dryRun('u16le.csv', Buffer.from('invoice_number,vendor\nA,B\n', 'utf16le'));
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('run again with --encoding utf-16le [invalid_encoding]');
  });

  it('UTF-16BE with its byte-order mark: not the windows-1252 advice', async () => {
    const le = Buffer.from('\ufeffinvoice_number,vendor\nA,B\n', 'utf16le');
    const r = await dryRun('u16be.csv', Buffer.from(le).swap16());
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('UTF-16BE byte-order mark');
    expect(r.stdout).not.toContain('windows-1252');
  });
});

describe('a FIFO without a writer (item 9): allowed, and --verbose says what it waits for', () => {
  const fifo = (name: string): string => {
    const path = join(w.dir, name);
    execFileSync('mkfifo', [path]);
    return path;
  };
  /** Resolves once `read()` (its output, or what the kernel says of it) holds `what`, or fails after `ms`: a guard, not a wait. */
  const until = async (read: () => string, what: string, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!read().includes(what)) {
      if (Date.now() > deadline) throw new Error(`not seen within ${ms} ms: ${what}; so far: ${JSON.stringify(read())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** What each thread of `pid` sleeps in (Linux /proc; '0' for a running one); [] where not shown. */
  const wchans = (pid: number | 'self'): string[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).map((t) => {
        try {
          return readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8');
        } catch {
          return '';
        }
      });
    } catch {
      return [];
    }
  };
  /** Whether the kernel names where threads sleep here: this process has idle threads. */
  const wchanShown = (): boolean => wchans('self').some((c) => /^[a-z_]\w*$/i.test(c));
  /**
   * The system call each thread of `pid` is blocked in (Linux /proc/<pid>/task/<tid>/syscall: its
   * number first; 'running' for a running one); [] where not shown. Where wchan is hidden this
   * may still be shown (proc(5)).
   */
  const syscalls = (pid: number | 'self'): string[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).map((t) => {
        try {
          return readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8').split(' ')[0]!;
        } catch {
          return '';
        }
      });
    } catch {
      return [];
    }
  };
  /** open(2) and openat(2) in Linux's syscall tables (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h). */
  const OPEN_SYSCALLS: Partial<Record<string, string[]>> = { x64: ['2', '257'], arm64: ['56'] };
  const syscallShown = (): boolean => OPEN_SYSCALLS[process.arch] !== undefined && syscalls('self').some((c) => /^\d+$/.test(c));
  /** Whether a thread of `pid` sleeps in open: what a thread opening a FIFO with no writer does. */
  const blockedInOpen = (pid: number): boolean => {
    const open = OPEN_SYSCALLS[process.arch] ?? [];
    return syscalls(pid).some((c) => open.includes(c));
  };
  /**
   * Whether a thread of `pid` is blocked opening a FIFO that has no writer: Linux's fifo_open
   * waits in wait_for_partner (fs/pipe.c) until the other end is opened.
   */
  const blockedOnFifo = (pid: number): boolean => wchans(pid).some((c) => c === 'wait_for_partner' || c === 'fifo_open');
  /**
   * A load (`--verbose --report`) of a new FIFO into the sandbox, once it says it waits for a
   * writer; `stderr()` is all it has said so far.
   */
  const loadWaitingOnFifo = async (name: string, extra: string[]) => {
    const path = fifo(`${name}.csv`);
    const stateDir = join(w.dir, `${name}-state`);
    const report = join(w.dir, `${name}-report.json`);
    let stderr = '';
    const run = spawnCli([...extra, '--verbose', '--report', report, path], {
      env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir },
      timeoutMs: 40_000,
    });
    run.child.stderr.on('data', (d: string) => (stderr += d));
    await until(() => stderr, `waiting for a writer on ${path}`, 20_000);
    return { path, stateDir, report, run, stderr: () => stderr };
  };

  it('the dry run says it waits for a writer while blocked, then reads what the writer sends', async () => {
    const path = fifo('pipe.csv');
    let stderr = '';
    const run = spawnCli(['--dry-run', '--verbose', path], { env: { INVOICE_LOAD_STATE_DIR: join(w.dir, 'fifo-state') }, timeoutMs: 40_000 });
    run.child.stderr.on('data', (d: string) => (stderr += d));
    await until(() => stderr, `waiting for a writer on ${path}`, 20_000);
    expect(run.child.exitCode).toBeNull(); // still waiting, not failed
    await writeFile(path, readFileSync(file)); // the writer: opens, writes the batch, closes
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ invoices?, \d+ lines?: \d+ planned/);
    expect(r.stderr.match(/waiting for a writer/g)).toHaveLength(1);
  }, 60_000);

  it('a SIGTERM once it reads (the writer still writing): exit 130, the report says interrupted, nothing sent', async () => {
    const before = requests();
    const { path, report, run, stderr } = await loadWaitingOnFifo('slow-writer', ['--json']);
    // The writer opens the pipe and sends the header, then stalls: the run is reading.
    const writer = await open(path, 'w');
    await writer.write(readFileSync(file, 'utf8').split('\n')[0]! + '\n');
    await until(stderr, `reading ${path}`, 20_000);
    run.child.kill('SIGTERM');
    // Once the run has the signal (it says so with --verbose; before, a busy machine let the
    // rest of the file in first): a read blocked on the pipe ends with the writer's next chunk.
    await until(stderr, 'SIGTERM: stopping', 20_000);
    await writer.write(readFileSync(file, 'utf8').split('\n').slice(1).join('\n'));
    await writer.close();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('invoice-load: interrupted while the batch was read; nothing was sent');
    const doc = JSON.parse(r.stdout) as { stopped: string; summary: { invoices: number } };
    expect(doc).toMatchObject({ stopped: 'interrupted', summary: { invoices: 0 } });
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual(doc);
    expect(requests()).toBe(before);
  }, 60_000);

  it('killed while it waits: nothing else happens (no output, nothing sent, no journal)', async (ctx) => {
    // Seen blocked in the open, not assumed to be after some real time: the message is written
    // just before the open, and a fixed wait proved nothing on a busy machine. Where the kernel
    // shows neither where a thread sleeps nor its system call, nothing can show it: skipped, said.
    const blocked = wchanShown() ? blockedOnFifo : syscallShown() ? blockedInOpen : undefined;
    if (blocked === undefined) return ctx.skip('/proc/<pid>/task/*/wchan and .../syscall are both hidden here: the run cannot be seen blocked opening the pipe');
    const before = requests();
    const { path, stateDir, report, run } = await loadWaitingOnFifo('never-written', []);
    await until(() => (blocked(run.child.pid!) ? 'blocked opening the pipe' : `not yet (${run.child.exitCode ?? 'running'})`), 'blocked opening the pipe', 20_000);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.signal).toBe('SIGTERM');
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`waiting for a writer on ${path}`]);
    expect(requests()).toBe(before);
    expect(existsSync(report)).toBe(false);
    expect(existsSync(stateDir) ? readdirSync(stateDir) : []).toEqual([]);
  }, 60_000);
});
