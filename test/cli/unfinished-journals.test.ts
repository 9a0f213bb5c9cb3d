/**
 * cli/unfinished.ts: which earlier journals a load reads for invoices left half-built, and how
 * little it reads: only journals of the same target, address and account (another institution
 * on the same hosted address is not warned of), none held by a live run, none older than 30
 * days; a run that ended is read from its last line; a killed one streamed once, then read from
 * its `.unfinished` file beside it. README "A killed batch another file's run tells of".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { journalPath } from '../../src/cli/journals.js';
import { earlierRuns, summaryOf } from '../../src/cli/unfinished.js';
import { stillUnfinished } from '../../src/engine/unfinished.js';

const ENDPOINT = 'https://api-eu.hosted.exlibrisgroup.com';
const NOW = Date.parse('2026-12-07T02:00:00Z');
let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'invoice-load-unfinished-'));
  mkdirSync(join(state, 'journals'));
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const at = () => ({ stateDir: state, name: 'alma', endpoint: ENDPOINT });
const header = (batch: string, account?: string): string =>
  JSON.stringify({ t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: ENDPOINT, batch, at: '2026-12-06T02:00:00.000Z', ...(account !== undefined ? { account } : {}), files: [`/data/${batch}.csv`] }) + '\n';
/** One invoice's entries, finished (`done`) or killed after its create. */
const invoice = (n: string, done: boolean): string =>
  [
    { t: 'intent', vendor: 'GOBI', number: n, step: 'create', at: 1 },
    { t: 'invoice', vendor: 'GOBI', number: n, id: `53${n}`, found: false },
    ...(done
      ? [
          { t: 'intent', vendor: 'GOBI', number: n, step: 'line', line: '1', id: `53${n}`, at: 2 },
          { t: 'line', vendor: 'GOBI', number: n, line: '1', id: `54${n}` },
          { t: 'intent', vendor: 'GOBI', number: n, step: 'process', id: `53${n}` },
          { t: 'processed', vendor: 'GOBI', number: n, id: `53${n}` },
          { t: 'settled', vendor: 'GOBI', number: n, id: `53${n}`, status: 'loaded', workflow_status: 'Waiting to be Sent', approval_status: 'APPROVED', alerts: [] },
        ]
      : []),
  ]
    .map((e) => JSON.stringify(e) + '\n')
    .join('');
function journal(batch: string, body: string, account?: string, mtime = NOW - 3600_000): string {
  const path = journalPath(state, 'alma', ENDPOINT, batch);
  writeFileSync(path, header(batch, account) + body);
  utimesSync(path, mtime / 1000, mtime / 1000);
  return path;
}
const warned = (account: string | undefined): string[] => earlierRuns(at(), account, 'none', NOW).flatMap((r) => r.summary.open.map((i) => i.number));

describe('earlierRuns', () => {
  it("(c) another institution's journal on the same hosted address is not read as this one's", () => {
    journal('b1', invoice('G-1', false), 'aaaa');
    journal('b2', invoice('G-2', false), 'bbbb');
    expect(warned('aaaa')).toEqual(['G-1']);
    expect(warned('bbbb')).toEqual(['G-2']);
  });

  it('a journal written before accounts were recorded is read only by a run that has none (README says so)', () => {
    journal('old', invoice('G-1', false));
    expect(warned('aaaa')).toEqual([]);
    expect(warned(undefined)).toEqual(['G-1']);
  });

  it('passes over a journal a live run holds, and one older than 30 days', () => {
    const held = journal('held', invoice('G-1', false), 'aaaa');
    // A live run's lock: another process's (a lock naming this process is a dead run's, pid reused).
    const run = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(held + '.lock', JSON.stringify({ pid: run.pid, host: hostname(), started: new Date(NOW).toISOString() }));
      expect(warned('aaaa')).toEqual([]);
    } finally {
      run.kill('SIGKILL');
      rmSync(held + '.lock');
    }
    expect(warned('aaaa')).toEqual(['G-1']);
    journal('ancient', invoice('G-2', false), 'aaaa', NOW - 31 * 24 * 3600_000);
    expect(warned('aaaa')).toEqual(['G-1']);
  });

  it("reads a run that ended from its last line alone: the end entry's list stands for the body", () => {
    // The body says G-1 half-built; the end line (what the run knew when it ended) says nothing is.
    const path = journal('ended', invoice('G-1', false), 'aaaa');
    appendFileSync(path, JSON.stringify({ t: 'end', at: '2026-12-06T02:10:00.000Z', ran_at: '2026-12-06T02:00:00.000Z', account: 'aaaa', open: [] }) + '\n');
    utimesSync(path, (NOW - 3600_000) / 1000, (NOW - 3600_000) / 1000);
    expect(warned('aaaa')).toEqual([]);
  });

  it("a run of another file that finished a half-built invoice and was killed before it ended still settles it (its `settles` entry, streamed)", () => {
    journal('a-killed', invoice('G-1', false), 'aaaa');
    // B found G-1, finished it, and was killed before its `end` entry.
    const found = { t: 'invoice', vendor: 'GOBI', number: 'G-1', id: '53G-1', found: true };
    const b = [found, { t: 'processed', vendor: 'GOBI', number: 'G-1', id: '53G-1' }, { t: 'settles', vendor: 'GOBI', number: 'G-1' }].map((e) => JSON.stringify(e) + '\n').join('');
    journal('b-killed', b + invoice('G-2', true), 'aaaa');
    const runs = earlierRuns(at(), 'aaaa', 'none', NOW);
    expect(runs.flatMap((r) => r.summary.settles)).toEqual([{ vendor: 'GOBI', number: 'G-1' }]);
    expect(stillUnfinished(runs, new Set(), [], 30 * 24 * 3600_000)).toEqual([]);
  });

  it('a run that ended with more open than its end line lists is folded whole: an invoice it left refused (a business error) is left out', () => {
    const refused = [
      { t: 'intent', vendor: 'GOBI', number: 'G-1', step: 'line', line: '1', id: '53G-1', at: 2 },
      { t: 'refused', vendor: 'GOBI', number: 'G-1', step: 'line', line: '1' },
      { t: 'failed', vendor: 'GOBI', number: 'G-1', error: { step: 'lines', http_status: 400, code: '60254', message: 'Fund code not valid.' } },
    ];
    const body = invoice('G-1', false) + refused.map((e) => JSON.stringify(e) + '\n').join('') + invoice('G-2', false);
    const path = journal('ended-many', body, 'aaaa');
    appendFileSync(path, JSON.stringify({ t: 'end', at: '2026-12-06T02:10:00.000Z', ran_at: '2026-12-06T02:00:00.000Z', account: 'aaaa', open: 201 }) + '\n');
    utimesSync(path, (NOW - 3600_000) / 1000, (NOW - 3600_000) / 1000);
    expect(warned('aaaa')).toEqual(['G-2']);
  });

  it('folds a killed journal once and keeps what it left beside it until the journal changes; removes it with its journal', () => {
    const path = journal('killed', invoice('G-1', true) + invoice('G-2', false), 'aaaa');
    expect(warned('aaaa')).toEqual(['G-2']);
    const side = JSON.parse(readFileSync(path + '.unfinished', 'utf8')) as { summary: { open: unknown[] } };
    expect(side.summary.open).toEqual([{ vendor: 'GOBI', number: 'G-2', id: '53G-2' }]);
    // The sidecar is what is read while the journal is unchanged.
    writeFileSync(path + '.unfinished', JSON.stringify({ ...JSON.parse(readFileSync(path + '.unfinished', 'utf8')), summary: { ...side.summary, open: [{ vendor: 'GOBI', number: 'FROM-SIDECAR' }] } }));
    expect(warned('aaaa')).toEqual(['FROM-SIDECAR']);
    appendFileSync(path, JSON.stringify({ t: 'run', at: '2026-12-07T01:00:00.000Z', account: 'aaaa' }) + '\n');
    expect(warned('aaaa')).toEqual(['G-2']);
    rmSync(path);
    expect(warned('aaaa')).toEqual([]);
    expect(existsSync(path + '.unfinished')).toBe(false);
  });
});

describe('the cost of a 200,000-invoice journal', () => {
  const DIST = fileURLToPath(new URL('../../dist/cli/unfinished.js', import.meta.url));
  /** Writes a journal of `n` invoices of three lines, all finished but the last (killed after its create), as a load writes them. */
  function big(n: number): string {
    const path = journalPath(state, 'alma', ENDPOINT, 'big-killed');
    writeFileSync(path, header('big', 'aaaa'));
    let chunk = '';
    for (let i = 0; i < n; i++) {
      const id = String(53100000050004146 + i * 10);
      const k = `"vendor":"GOBI","number":"G-${i}"`;
      chunk +=
        `{"t":"intent",${k},"step":"create","at":1796678743591}\n{"t":"invoice",${k},"id":"${id}","found":false}\n` +
        [1, 2, 3].map((l) => `{"t":"intent",${k},"step":"line","line":"${l}","id":"${id}","at":1796678743663}\n{"t":"line",${k},"line":"${l}","id":"${id}${l}"}\n`).join('') +
        (i === n - 1 ? '' : `{"t":"intent",${k},"step":"process","id":"${id}"}\n{"t":"processed",${k},"id":"${id}"}\n{"t":"settled",${k},"id":"${id}","status":"loaded","workflow_status":"Waiting to be Sent","approval_status":"APPROVED","alerts":[{"code":"ALERT_A","description":"The invoice total differs from the sum of its lines by less than the tolerance"}]}\n`);
      if (chunk.length > 1 << 22) {
        appendFileSync(path, chunk);
        chunk = '';
      }
    }
    appendFileSync(path, chunk);
    return path;
  }

  /** summaryOf in a child whose V8 heap is capped at `heapMb`: its answer and peak RSS (kB). */
  function inChild(path: string, heapMb: number): { open: string[]; maxRssKb: number; status: number | null } {
    // Peak RSS of this process's memory alone (Linux VmHWM): getrusage's maxRSS keeps the
    // spawning process's peak across exec (getrusage(2)), here the test runner's.
    const script = `import { readFileSync, statSync } from 'node:fs'; import { summaryOf } from ${JSON.stringify(DIST)};
      const st = statSync(process.argv[1]); const s = summaryOf(process.argv[1], ${JSON.stringify(ENDPOINT)}, st.size, st.mtimeMs);
      let hwm; try { hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch { hwm = process.resourceUsage().maxRSS; }
      process.stdout.write(JSON.stringify({ open: s.open.map((i) => i.number), maxRssKb: hwm }));`;
    // A clean environment: the test runner's own NODE_OPTIONS are not the CLI's.
    const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--input-type=module', '-e', script, path], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    return r.status === 0 ? { ...(JSON.parse(r.stdout) as { open: string[]; maxRssKb: number }), status: 0 } : { open: [], maxRssKb: 0, status: r.status };
  }

  it('is folded a chunk at a time in a 32 MB heap (whole, it is 200+ MB of text), then read from its sidecar', () => {
    const killed = big(200_000);
    const size = statSync(killed).size;
    expect(size).toBeGreaterThan(200_000_000);
    const first = inChild(killed, 32);
    expect(first.status).toBe(0);
    expect(first.open).toEqual(['G-199999']);
    const again = inChild(killed, 32);
    expect(again.open).toEqual(['G-199999']);
    // The run that resumes it ends: its end line, read alone (the sidecar no longer matches).
    appendFileSync(killed, JSON.stringify({ t: 'end', at: '2026-12-06T03:00:00.000Z', ran_at: '2026-12-06T02:00:00.000Z', account: 'aaaa', open: [{ vendor: 'GOBI', number: 'G-199999' }] }) + '\n');
    const tail = inChild(killed, 32);
    expect(tail.open).toEqual(['G-199999']);
    expect(summaryOf(killed, ENDPOINT, statSync(killed).size, 0)?.ended).toBe(true);
    // The figures README and the commit give (peak RSS of the whole child, node's own ~45 MB included).
    console.log(`journal ${(size / 1e6).toFixed(0)} MB: killed, folded streaming: peak RSS ${Math.round(first.maxRssKb / 1024)} MB; from its sidecar: ${Math.round(again.maxRssKb / 1024)} MB; ended, its last line: ${Math.round(tail.maxRssKb / 1024)} MB`);
    // The bound: a journal streamed, never held whole (well under its size, node's own ~45 MB included).
    expect(first.maxRssKb * 1024).toBeLessThan(size * 0.8);
  }, 120_000);
});
