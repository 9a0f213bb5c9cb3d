/**
 * Durable files: the report is replaced atomically (a kill leaves the old file or the new one,
 * never a torn mix, and a failed write leaves no temporary file); a journal the loader cannot
 * trust is refused untouched with one clear line (exit 2), and the run goes on once it is put back.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReportDocument } from '../../src/report/report.js';
import { ROOT, spawnCli } from '../helpers/cli.js';
import { loopbackPerTest } from '../helpers/loopback.js';
import { expectExactlyOnce } from '../helpers/sandbox.js';
import { generateBatch } from './generate.js';
import { mulberry32, recordFigures, waitForRequests } from './harness.js';

const loop = loopbackPerTest();

async function setup(invoices: number) {
  const { sb, dir, stateDir, env } = await loop.almaSandbox({ perSecond: 1000, processDelayMs: 40 }, 'invoice-load-durable-', 'durable-test-key');
  const batch = generateBatch({ seed: 99, invoices, prefix: 'D' });
  const file = join(dir, 'batch.csv');
  writeFileSync(file, batch.csv);
  return { sb, dir, batch, file, env, stateDir, args: [file, '--json', '--rate', '200', '--poll-timeout', '5'] };
}

describe('the report file', () => {
  it('is replaced atomically: SIGKILL while rewriting it leaves a whole old or new version', async () => {
    const dir = loop.tempDir('invoice-load-atomic-');
    const fsModule = pathToFileURL(join(ROOT, 'dist/common/fs.js')).href;
    // The writer says on stdout when each version is in place ("done v"); asked to (argv: a version
    // and a piece), it stops inside that version's write, its temporary file half written ("paused v").
    // The kills wait for those lines, never for a fixed time: a busy machine only makes them later.
    // Each version is ~4 MB, so a kill at a random moment lands inside a write far more often than between two.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(fsModule)};
      const target = process.argv[1];
      const [pauseAt, pausePiece] = process.argv.slice(2).map(Number);
      const piece = 'x'.repeat(1 << 20);
      for (let v = 1; ; v++) {
        if (v !== pauseAt) writeFileAtomic(target, JSON.stringify({ v, pad: piece.repeat(4), end: v }) + '\\n');
        else writeFileAtomic(target, (write) => {
          write('{"v":' + v + ',"pad":"');
          for (let p = 0; p < 4; p++) {
            if (p === pausePiece) {
              process.stdout.write('paused ' + v + '\\n');
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
            }
            write(piece);
          }
          write('","end":' + v + '}\\n');
        });
        process.stdout.write('done ' + v + '\\n');
      }
    `;
    let midWrite = 0;
    const versions = new Set<number>();
    /** One writer in its own folder, killed as `k` says; checks what the kill left. */
    const killOne = async (k: { i: number; paused: boolean; version: number; pieceAt: number; delayMs: number }): Promise<void> => {
      const own = join(dir, `w${k.i}`);
      mkdirSync(own);
      const target = join(own, 'report.json');
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, target, String(k.paused ? k.version : 0), String(k.pieceAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const closed = new Promise((r) => child.on('close', r));
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const want = k.paused ? `paused ${k.version}\n` : `done ${k.version}\n`;
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(want)) resolve();
        });
        child.on('close', () => reject(new Error(`the writer ended before "${want.trim()}": ${out}`)));
      });
      if (!k.paused) await new Promise((r) => setTimeout(r, k.delayMs));
      child.kill('SIGKILL');
      await closed;
      // The last version the writer said was in place (lines written before the kill still arrive).
      const done = Math.max(0, ...[...out.matchAll(/done (\d+)/g)].map((m) => Number(m[1])));
      const tmp = readdirSync(own).filter((f) => f.endsWith('.tmp'));
      if (tmp.length > 0) midWrite++;
      if (k.paused) {
        expect(done, 'paused inside the next version').toBe(k.version - 1);
        expect(tmp, 'the kill landed inside a write').toHaveLength(1);
      }
      if (done === 0 && !existsSync(target)) return; // killed inside the first write: no report yet, which is fine too
      const doc = JSON.parse(readFileSync(target, 'utf8')) as { v: number; pad: string; end: number };
      expect(doc.end).toBe(doc.v);
      expect(doc.pad.length).toBe(4 << 20);
      // The version last said to be in place, or the next when the kill came between its rename and its line.
      expect(doc.v - done, `version ${doc.v} on disk, ${done} said to be done`).toBeGreaterThanOrEqual(0);
      expect(doc.v - done, `version ${doc.v} on disk, ${done} said to be done`).toBeLessThanOrEqual(k.paused ? 0 : 1);
      versions.add(doc.v);
    };
    // Even kills: at a random moment (0-40 ms) after version 1-3 is in place. Odd kills: while
    // version 1-3 is half written (a piece 0-3 of it), so some surely land inside a write.
    const rnd = mulberry32(77);
    const kills = Array.from({ length: 20 }, (_, i) => ({ i, paused: i % 2 === 1, version: 1 + Math.floor(rnd() * 3), pieceAt: Math.floor(rnd() * 4), delayMs: Math.floor(rnd() * 40) }));
    // Two writers at a time (each in its own folder): node's start-up dominates on a busy machine.
    for (let i = 0; i < kills.length; i += 2) await Promise.all(kills.slice(i, i + 2).map(killOne));
    expect(versions.size, 'the file really was being rewritten when killed').toBeGreaterThan(1);
    recordFigures('durable', { report_rewrite_kills: kills.length, report_kills_mid_write: midWrite, report_versions_seen: versions.size });
  }, 180_000);

  it('a report path that cannot be written is a usage error (exit 2), with no temporary file left and nothing lost', async () => {
    const s = await setup(2);
    // (A folder is written into, under a name of the run's: a file where the folder should be is refused.)
    const blocked = join(s.dir, 'is-a-file');
    writeFileSync(blocked, 'x');
    const res = await spawnCli([...s.args, '--report', join(blocked, 'report.json')], { env: s.env }).done;
    expect(res.code, res.stderr).toBe(2);
    // Checked before the first request (issue 15): nothing is sent, the path is named.
    expect(res.stderr.trim().split('\n').at(-1)).toMatch(/cannot write --report .*is-a-file\/report.json: a part of the path is a file, not a folder; nothing was sent/);
    expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(s.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(s.sb.state().counters.requestsTotal).toBe(0);
    // With a good path the same command loads, each invoice once, and writes the report (an
    // output's folder is not made: README "The report").
    mkdirSync(join(s.dir, 'out'));
    const good = join(s.dir, 'out', 'report.json');
    const again = await spawnCli([...s.args, '--report', good], { env: s.env }).done;
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(readFileSync(good, 'utf8')) as ReportDocument;
    expect(report.summary.invoices).toBe(2);
    expectExactlyOnce(s.sb.state(), report);
  });
});

describe('the journal', () => {
  it('a corrupted or foreign journal is refused untouched: exit 2, one clear line, nothing sent; put back, the run finishes', async () => {
    const s = await setup(3);
    // Kill the first run a few requests in, so the journal holds intents and outcomes.
    const run = spawnCli(s.args, { env: s.env });
    await waitForRequests(s.sb, 0, 4, () => false);
    run.child.kill('SIGKILL');
    await run.done;
    // A request the killed run had written may still reach the sandbox after its death (a busy
    // machine: one came in during the first case below): the count must be still before comparing.
    for (let still = 0, last = -1; still < 4; ) {
      await new Promise((r) => setTimeout(r, 50));
      const now = s.sb.state().counters.requestsTotal;
      still = now === last ? still + 1 : 0;
      last = now;
    }
    const jdir = join(s.stateDir, 'journals');
    const path = join(jdir, readdirSync(jdir).find((f) => f.endsWith('.jsonl'))!);
    const whole = readFileSync(path, 'utf8');
    const lines = whole.split('\n');
    const cases = [
      ['corrupted in the middle', [lines[0], 'not json at all', ...lines.slice(1)].join('\n'), /corrupted at line 2.*Move it aside/],
      ['foreign', 'vendor,invoice_number\nGOBI,1\n', /not an invoice-load journal; refusing to use or overwrite it/],
      ['binary', '\u0000\u0001\u0002\n', /not an invoice-load journal/],
      ['from another batch', whole.replace(/"batch":"[^"]+"/, '"batch":"0123456789abcdef01234567"'), /belongs to another batch or target/],
    ] as const;
    for (const [what, text, message] of cases) {
      writeFileSync(path, text);
      const before = s.sb.state().counters.requestsTotal;
      const res = await spawnCli(s.args, { env: s.env }).done;
      expect(res.code, `${what}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr.trim().split('\n'), `${what}: one line`).toHaveLength(1);
      expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(readFileSync(path, 'utf8'), `${what}: untouched`).toBe(text);
      expect(s.sb.state().counters.requestsTotal, `${what}: nothing sent`).toBe(before);
      // The run let go of its lock on the way out.
      expect(readdirSync(jdir).filter((f) => f.endsWith('.lock')), what).toEqual([]);
    }
    writeFileSync(path, whole);
    const res = await spawnCli(s.args, { env: s.env, timeoutMs: 60_000 }).done;
    expect(res.code, res.stderr).toBe(0);
    expectExactlyOnce(s.sb.state(), JSON.parse(res.stdout) as ReportDocument);
  });
});
