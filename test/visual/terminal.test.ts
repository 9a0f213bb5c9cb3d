/**
 * The CLI as a person sees it in a real terminal, and as cron sees it through a pipe.
 *
 * A tmux session is the terminal: the test types the command with send-keys and reads the
 * screen with capture-pane -e (which keeps colour codes). Mid-run — against a sandbox that
 * answers slowly — the screen must show the spinner and colour; afterwards the summary table
 * is coloured and the spinner gone. Through a pipe the same load must print plain lines: no
 * spinner frame, no escape code. Colour and animation are decided per stream (clig.dev), so
 * neither NO_COLOR nor FORCE_COLOR is set here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { BIN, ROOT } from '../helpers/cli.js';

const TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
/** ora's default spinner ("dots"). */
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const SGR = /\x1b\[[0-9;]*m/;
const ANY_ESCAPE = /\x1b/;
const SAMPLE = 'fixtures/sample-batch.csv';

let dir: string;
let sandbox: SandboxHandle | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-visual-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A slow Alma: 200 ms per answer, so a load of the sample batch takes seconds and can be watched. */
const slowSandbox = async (): Promise<SandboxHandle> => (sandbox = await startSandbox({ port: 0, latencyMs: 200, processDelayMs: 40, perSecond: 1000 }));

/** What a person's shell would have: no NO_COLOR, no FORCE_COLOR, no CI. */
const userEnv = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: dir,
  LANG: 'C.UTF-8',
  ...extra,
});

describe.skipIf(!TMUX)('in a terminal (tmux)', () => {
  const socket = `invoice-load-visual-${process.pid}`;
  const tmux = (...args: string[]): string => {
    // -L: a server of our own; -f /dev/null: no user configuration; -u: UTF-8 (the spinner's braille frames)
    const r = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', '-u', ...args], {
      encoding: 'utf8',
      env: userEnv({ TMUX_TMPDIR: dir, TERM: 'xterm-256color' }),
    });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const screen = (): string => tmux('capture-pane', '-p', '-e', '-J', '-t', 'il');
  /** Polls the screen until `test` holds; returns that screen. */
  const waitFor = async (test: (s: string) => boolean, what: string, ms = 20_000): Promise<string> => {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = screen();
      if (test(last)) return last;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
  };
  /**
   * Resizes the window and waits until the shell's terminal has that width (`stty size`): tmux
   * applies a resize to the pane's terminal on a later turn, and one asked for right after
   * another was seen not to reach it at all, so it is asked again until it does.
   */
  const resizeTo = async (columns: number): Promise<void> => {
    const end = Date.now() + 10_000;
    for (;;) {
      tmux('resize-window', '-t', 'il', '-x', String(columns));
      tmux('send-keys', '-t', 'il', 'clear; stty size', 'Enter');
      const seen = await waitFor((x) => /^\d+ \d+\s*$/m.test(x), 'stty size', 2_000);
      if (new RegExp(`^\\d+ ${columns}\\s*$`, 'm').test(seen)) break;
      if (Date.now() > end) throw new Error(`the terminal did not take ${columns} columns: ${seen}`);
      await sleep(200);
    }
    tmux('send-keys', '-t', 'il', 'clear', 'Enter');
    await waitFor((x) => !/^\d+ \d+\s*$/m.test(x), 'a clear screen');
  };
  /** Types a command; its exit status appears on screen as EXIT=n (spelt so the typed text does not match). */
  const type = (command: string): void => {
    tmux('send-keys', '-t', 'il', '-l', `${command}; echo "EX""IT=$?"`);
    tmux('send-keys', '-t', 'il', 'Enter');
  };
  const exitOf = (s: string): number | undefined => {
    const m = /^EXIT=(\d+)\s*$/m.exec(s.replace(/\x1b\[[0-9;]*m/g, ''));
    return m ? Number(m[1]) : undefined;
  };

  beforeAll(() => {
    tmux('new-session', '-d', '-x', '160', '-y', '50', '-s', 'il', 'bash --norc --noprofile');
    tmux('send-keys', '-t', 'il', `PS1='$ '; cd ${ROOT}; clear`, 'Enter');
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  const loadCommand = (url: string, state: string, tail = ''): string =>
    `ALMA_API_URL=${url} ALMA_API_KEY=visual INVOICE_LOAD_STATE_DIR=${state} ${process.execPath} ${BIN} --rate 200 --concurrency 2 ${SAMPLE}${tail}`;

  it('shows a spinner and colour while loading, then a coloured summary, and the spinner is gone', async () => {
    const s = await slowSandbox();
    tmux('send-keys', '-t', 'il', 'clear', 'Enter');
    type(loadCommand(s.url, join(dir, 'state-tty')));
    const mid = await waitFor((x) => SPINNER.test(x) && / invoices · (\d+ waiting for Alma · )?\d+ requests/.test(x), 'the spinner');
    expect(exitOf(mid)).toBeUndefined(); // really mid-run
    expect(mid).toMatch(SGR);
    // ora draws its frame in cyan; tmux may put other attributes (a default background) between
    expect(mid).toMatch(/\x1b\[36m(?:\x1b\[[0-9;]*m)*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(mid).toMatch(/\d\/7 invoices · (\d+ waiting for Alma · )?\d+ requests · \d+:\d\d elapsed/);
    // Once an invoice has finished: the pace and the time left, while the load still runs.
    const timed = await waitFor((x) => /\d+:\d\d elapsed · [\d.]+ invoices\/(s|min) · about \d+:\d\d left/.test(x), 'elapsed time and time left');
    expect(exitOf(timed)).toBeUndefined();

    const end = await waitFor((x) => exitOf(x) !== undefined, 'the end of the load', 30_000);
    expect(exitOf(end)).toBe(0);
    expect(end).not.toMatch(SPINNER);
    // the status column is coloured on a terminal: green for loaded, yellow for in review
    expect(end).toMatch(/\x1b\[32mloaded/);
    expect(end).toMatch(/\x1b\[33min review/);
    expect(end).toMatch(/7 invoices, 14 lines: \x1b\[32m6 loaded\x1b\[39m, \x1b\[33m1 in review\x1b\[39m\. \d+ requests to Alma in \d+\.\d s\./);
  }, 60_000);

  it('keeps the spinner on one row of a narrow terminal', async () => {
    const s = await slowSandbox();
    try {
      await resizeTo(80);
      type(loadCommand(s.url, join(dir, 'state-narrow-spinner')));
      const spinnerLine = (x: string): string | undefined => x.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => SPINNER.test(l));
      // Invoices waiting for Alma: the line is at its longest, 100 characters or more in full
      // (the counts, requests, time, pace, the daily count the sandbox sends, the invoice and step).
      const mid = await waitFor((x) => / \d+ waiting for Alma · /.test(spinnerLine(x) ?? ''), 'the spinner with invoices waiting');
      expect(exitOf(mid)).toBeUndefined();
      // -J joins a row the terminal wrapped to the next: the spinner's line must be one row.
      const line = spinnerLine(mid)!;
      expect([...line.trimEnd()].length).toBeLessThanOrEqual(80);
      // Made to fit by leaving out the daily count, the pace and the step (cli/progress.ts
      // runningStatus), not the invoices waiting, which move while nothing finishes.
      expect(line).toMatch(/^. \d\/7 invoices · \d+ waiting for Alma · (\d+ requests · )?\d+:\d\d elapsed/);
      const end = await waitFor((x) => exitOf(x) !== undefined, 'the end of the load', 30_000);
      expect(exitOf(end)).toBe(0);
    } finally {
      tmux('resize-window', '-t', 'il', '-x', '160');
    }
  }, 60_000);

  it('in an 80-column window, a file with many problems reads without a word split at the edge', async () => {
    try {
      await resizeTo(80);
      // Nothing is sent (exit 3): every row of this file has a problem.
      type(`INVOICE_LOAD_STATE_DIR=${join(dir, 'state-defects')} ${process.execPath} ${BIN} --sandbox fixtures/defects.csv`);
      const end = await waitFor((x) => exitOf(x) !== undefined, 'the end of the run', 30_000);
      expect(exitOf(end)).toBe(3);
      const plain = end.replace(/\x1b\[[0-9;]*m/g, '');
      // -J joins a row the terminal wrapped: every line is one row, so the loader broke them all.
      for (const l of plain.split('\n')) expect([...l.trimEnd()].length, plain).toBeLessThanOrEqual(80);
      // A problem's rest is under its start.
      expect(plain).toMatch(/^  row 21 currency: error currency "XYZ" is not an ISO 4217 currency code \(e\.g\.\n      USD, EUR\) \[invalid_currency\]$/m);
      // Which problems stop the batch, by place (the lines broken at spaces, as the rest). Row 14
      // has an invoice number and no vendor: --skip-invalid would leave it behind, so it is not named.
      expect(plain.replace(/\n/g, ' ')).toContain(
        "Nothing was sent: fix the problems above (one problem — fixtures/defects.csv row 15 invoice_number [missing_value] — is the file's, not one invoice's, and stops the whole batch, even with --skip-invalid).",
      );
    } finally {
      tmux('resize-window', '-t', 'il', '-x', '160');
    }
  }, 60_000);

  it('fits the summary to a narrow terminal and prints the cut outcome in full', async () => {
    // nothing to watch here: a quick sandbox
    const s = (sandbox = await startSandbox({ port: 0, latencyMs: 0, processDelayMs: 40, perSecond: 1000 }));
    const state = join(dir, 'state-narrow');
    // first load through a pipe (quick to read back), then the re-run — already loaded — in a 90-column window
    tmux('send-keys', '-t', 'il', 'clear', 'Enter');
    type(loadCommand(s.url, state, ' >/dev/null 2>&1'));
    await waitFor((x) => exitOf(x) !== undefined, 'the first load', 30_000);
    await resizeTo(90);
    type(loadCommand(s.url, state));
    const end = await waitFor((x) => exitOf(x) !== undefined, 'the re-run', 30_000);
    tmux('resize-window', '-t', 'il', '-x', '160');
    const plain = end.replace(/\x1b\[[0-9;]*m/g, '');
    const table = plain.split('\n').filter((l) => /^(already loaded|loaded|in review) /.test(l));
    expect(table).toHaveLength(7);
    for (const l of table) expect([...l.trimEnd()].length).toBeLessThanOrEqual(90);
    // 68 columns before the outcome leave 22 of 90: cut with …, and the whole text below the table
    expect(plain).toMatch(/^already loaded +GOBI +G-24140 +\d+ +2 +In Review: NOT_LINKED…$/m);
    expect(plain).toContain('G-24140 (GOBI): In Review: NOT_LINKED_LINES (Lines not linked)');
  }, 60_000);

  it('with stdout and stderr piped, the same terminal shows plain lines: no spinner, no colour', async () => {
    const s = await slowSandbox();
    tmux('send-keys', '-t', 'il', 'clear', 'Enter');
    await waitFor((x) => exitOf(x) === undefined, 'a clear screen');
    type(loadCommand(s.url, join(dir, 'state-pipe'), ' 2>&1 | cat'));
    const end = await waitFor((x) => exitOf(x) !== undefined, 'the end of the load', 30_000);
    expect(exitOf(end)).toBe(0);
    expect(end).not.toMatch(SPINNER);
    expect(end).not.toMatch(SGR);
    expect(end).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) \[7\/7\] /m);
    expect(end).toContain('7 invoices, 14 lines: 6 loaded, 1 in review.');
  }, 60_000);
});

describe('through pipes (as cron runs it)', () => {
  it('prints plain progress lines and a plain summary: no spinner frames, no escape codes', async () => {
    const s = await slowSandbox();
    const child = spawn(process.execPath, [BIN, '--rate', '200', SAMPLE], {
      cwd: ROOT,
      env: userEnv({ ALMA_API_URL: s.url, ALMA_API_KEY: 'visual', INVOICE_LOAD_STATE_DIR: join(dir, 'state-cron'), TERM: 'xterm-256color' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    for (const out of [stdout, stderr]) {
      expect(out).not.toMatch(ANY_ESCAPE);
      expect(out).not.toMatch(SPINNER);
    }
    expect(stderr.trimEnd().split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) \[\d\/7\] /.test(l))).toHaveLength(7);
    expect(stdout).toMatch(/^loaded +GOBI +G-24118 +\d{15,} +3 +Waiting to be Sent$/m);
    expect(stdout.trimEnd().split('\n').pop()).toMatch(/^7 invoices, 14 lines: 6 loaded, 1 in review\. \d+ requests to Alma in \d+\.\d s\.$/);
  }, 60_000);
});

const SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!SCRIPT)('on a terminal that reports no width (script from cron, ssh -t from a pipe)', () => {
  it('prints plain lines and ends, instead of clearing lines without end', async () => {
    const s = await slowSandbox();
    const log = join(dir, 'script.log');
    // Without a terminal on its own stdin, script(1) opens a pseudo-terminal of no size: the
    // CLI's stdout and stderr are a TTY with 0 columns. Before the fix ora cleared lines forever.
    const command = `${process.execPath} ${BIN} --rate 200 ${SAMPLE}`;
    const child = spawn('script', ['-q', '-e', '-c', command, log], {
      cwd: ROOT,
      env: userEnv({ ALMA_API_URL: s.url, ALMA_API_KEY: 'visual', INVOICE_LOAD_STATE_DIR: join(dir, 'state-script'), TERM: 'xterm-256color' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const raw = readFileSync(log, 'utf8');
    expect(code, raw.slice(0, 2000)).toBe(0);
    expect(raw.length, 'a few KB of output, not megabytes of escape codes').toBeLessThan(20_000);
    // A terminal still: colour stays; what it says, without the colour codes.
    const text = raw.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).not.toMatch(ANY_ESCAPE);
    expect(text).not.toMatch(SPINNER);
    expect(text).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) \[7\/7\] /);
    expect(text).toMatch(/7 invoices, 14 lines: 6 loaded, 1 in review\. \d+ requests to Alma in \d+\.\d s\./);
  }, 60_000);
});
