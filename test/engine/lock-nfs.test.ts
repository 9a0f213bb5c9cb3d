/**
 * Two runs on two hosts sharing a state dir over NFS see one lock file under different device
 * numbers (st_dev is each client's mount's): the takeover claim must name the lock the same way on
 * both, or each gets a claim and both take the lock (src/engine/lock.ts takeOver). node:fs is
 * mocked only to give run B another st_dev and to run B's whole takeover just before run A's unlink.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (importOriginal) => {
  const m = await importOriginal<typeof import('node:fs')>();
  const g = globalThis as any;
  return {
    ...m,
    default: m,
    fstatSync: (...a: any[]) => {
      const s = (m.fstatSync as any)(...a);
      return g.__devOff ? { ...s, dev: s.dev + g.__devOff, ino: s.ino, mtimeMs: s.mtimeMs } : s;
    },
    unlinkSync: (p: any) => {
      const h = g.__beforeUnlink;
      if (h !== undefined && p === g.__lockPath) {
        g.__beforeUnlink = undefined;
        h();
      }
      return m.unlinkSync(p);
    },
  };
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, processStart, whereHere } from '../../src/engine/lock.js';

let dir: string;
const g = globalThis as any;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockrev-'));
});
afterEach(() => {
  g.__devOff = 0; g.__beforeUnlink = undefined; g.__lockPath = undefined;
  rmSync(dir, { recursive: true, force: true });
});
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
const live = (started: string): string =>
  JSON.stringify({ pid: process.ppid, host: hostname(), started, pstart: processStart(process.ppid), ...whereHere() }) + '\n';

function race(devOffForB: number): { a?: unknown; b?: unknown; lock: string } {
  const path = join(dir, 'j.lock');
  writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname(), started: 'killed' }) + '\n');
  g.__lockPath = path;
  const out: { a?: unknown; b?: unknown; lock: string } = { lock: '' };
  // Run B's whole takeover falls between run A's re-read of the lock and A's unlink of it.
  g.__beforeUnlink = () => {
    // A's claim is a live other run's (as the repo's own test does: this process's pid reads as a killed run).
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.takeover'))) {
      unlinkSync(join(dir, f));
      writeFileSync(join(dir, f), live('A'));
    }
    g.__devOff = devOffForB; // B mounts the shared dir as another NFS client: another st_dev
    try {
      out.b = acquireLock(path).held;
    } catch (err) {
      out.b = err;
    }
    g.__devOff = 0;
  };
  try {
    out.a = acquireLock(path).held;
  } catch (err) {
    out.a = err;
  }
  out.lock = readFileSync(path, 'utf8');
  return out;
}

describe('lock takeover over a state dir shared by two NFS clients (each its own st_dev)', () => {
  for (const [what, devOff] of [['one mount', 0], ['another client\'s mount (another st_dev)', 1]] as const) {
    it(`${what}: of two runs taking over one stale lock at once, only the first gets it; the other is told a run is taking it over`, () => {
      const r = race(devOff);
      expect(r.a).not.toBeInstanceOf(Error);
      expect(r.b).toBeInstanceOf(Error);
      expect(String((r.b as Error).message)).toMatch(/is taking over the lock/);
      expect(JSON.parse(r.lock).pid).toBe(process.pid);
    });
  }
});
