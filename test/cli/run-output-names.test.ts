/**
 * A run's outputs inside folders take one suffix together (src/cli/config.ts claimRunOutputs,
 * src/common/fs.ts reserveNames): paired by name, a report and its rejects never cross.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunOutputs } from '../../src/cli/config.js';
import { reserveNames } from '../../src/common/fs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'run-output-names-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const eexist = (): never => {
  throw Object.assign(new Error('exists'), { code: 'EEXIST' });
};

describe('reserveNames', () => {
  it('the first n free for every group; those made for a taken n are removed', () => {
    const taken = new Set(['b-1', 'a-2']);
    const made: string[] = [];
    const fs = {
      createExclusive: (p: string) => (taken.has(p) || made.includes(p) ? eexist() : void made.push(p)),
      unlink: (p: string) => void made.splice(made.indexOf(p), 1),
    };
    expect(reserveNames([(n) => `a-${n}`, (n) => `b-${n}`], fs)).toEqual(['a-3', 'b-3']);
    expect(made).toEqual(['a-3', 'b-3']);
  });

  it('another error: those made are removed, and it is thrown', () => {
    const made: string[] = [];
    const fs = {
      createExclusive: (p: string) => (p.startsWith('b') ? (() => { throw Object.assign(new Error('read-only'), { code: 'EROFS' }); })() : void made.push(p)),
      unlink: (p: string) => void made.splice(made.indexOf(p), 1),
    };
    expect(() => reserveNames([(n) => `a-${n}`, (n) => `b-${n}`], fs)).toThrow('read-only');
    expect(made).toEqual([]);
  });
});

describe('claimRunOutputs', () => {
  const names = (stem: string) => ({ reportPath: join(dir, `${stem}.json`), rejectsPath: join(dir, `${stem}-rejects.csv`), reportCsvPath: join(dir, `${stem}.csv`) });

  it('the report name taken, the others not: all take -2; release removes only those left empty', () => {
    const p = names('invoice-load-b-20261207T120000Z');
    writeFileSync(p.reportPath, 'another run');
    const { cfg, release } = claimRunOutputs({ ...p, inFolder: Object.values(p) });
    expect(cfg.reportPath).toBe(join(dir, 'invoice-load-b-20261207T120000Z-2.json'));
    expect(cfg.rejectsPath).toBe(join(dir, 'invoice-load-b-20261207T120000Z-2-rejects.csv'));
    expect(cfg.reportCsvPath).toBe(join(dir, 'invoice-load-b-20261207T120000Z-2.csv'));
    // Files of the run's own now, replaced by its writes.
    expect(cfg.inFolder).toEqual([]);
    writeFileSync(cfg.reportPath!, '{}');
    release();
    expect(readdirSync(dir).sort()).toEqual(['invoice-load-b-20261207T120000Z-2.json', 'invoice-load-b-20261207T120000Z.json']);
  });

  it('one output in a folder, or a file the user named: unchanged (claimed alone when written)', () => {
    const p = names('x');
    const one = { ...p, inFolder: [p.reportPath] };
    expect(claimRunOutputs(one).cfg).toBe(one);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names that cannot be claimed (the folder gone): unchanged, each write says why', () => {
    const p = { reportPath: join(dir, 'gone', 'r.json'), rejectsPath: join(dir, 'gone', 'r-rejects.csv') };
    const given = { ...p, inFolder: Object.values(p) };
    expect(claimRunOutputs(given).cfg).toBe(given);
  });
});
