/**
 * `invoice-load export -o <folder>`: a file named for the run inside it, claimed as a load's
 * outputs in a folder are (src/cli/config.ts outputPath, outputClaim; common/fs.ts claimName) —
 * never another run's file replaced, `-2` when the name is taken. Before, a folder was refused
 * ("it is a folder"). A hand-over marked in Alma keeps needing a file name.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { acquireLock } from '../../src/engine/lock.js';

let dir: string;
let out: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'export-folder-'));
  out = join(dir, 'out');
  mkdirSync(out);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const exportTo = (args: string[]) => runCli(['export', '--sandbox', '--json', ...args], { cwd: dir, env: { HOME: dir, INVOICE_LOAD_STATE_DIR: join(dir, 'state') } });
const stampOf = (t: number): string => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');

describe('export -o <folder>', () => {
  it.each([['without', 'out'], ['with', 'out/']])('an existing folder %s the slash: invoice-load-export-<UTC time>.csv inside it, named in the report', async (_w, given) => {
    const res = await exportTo(['-o', given]);
    expect(res.code, res.stderr).toBe(0);
    const names = readdirSync(out);
    expect(names).toEqual([expect.stringMatching(/^invoice-load-export-\d{8}T\d{6}Z\.csv$/)]);
    expect(readFileSync(join(out, names[0]!), 'utf8')).toContain('invoice_id');
    expect((JSON.parse(res.stdout) as { output: string }).output).toBe(join('out', names[0]!));
  });

  it('--format json: .json', async () => {
    const res = await exportTo(['-o', 'out', '--format', 'json']);
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([expect.stringMatching(/^invoice-load-export-\d{8}T\d{6}Z\.json$/)]);
  });

  it("a name another run's file holds is not replaced: this run's file takes -2", async () => {
    // Every name the run may choose — the seconds from just before now to well after — already
    // holds another run's file: no clock is read by the test's assertions.
    const start = Math.floor(Date.now() / 1000) * 1000 - 5000;
    const taken: string[] = [];
    for (let t = start; t < start + 300_000; t += 1000) {
      const name = `invoice-load-export-${stampOf(t)}.csv`;
      writeFileSync(join(out, name), "the other run's hand-over");
      taken.push(name);
    }
    const res = await exportTo(['-o', 'out/']);
    expect(res.code, res.stderr).toBe(0);
    for (const name of taken) expect(readFileSync(join(out, name), 'utf8')).toBe("the other run's hand-over");
    const mine = readdirSync(out).filter((n) => !taken.includes(n));
    expect(mine).toEqual([expect.stringMatching(/^invoice-load-export-\d{8}T\d{6}Z-2\.csv$/)]);
    expect((JSON.parse(res.stdout) as { output: string }).output).toBe(join('out', mine[0]!));
  });

  it('--mark-in-erp with a folder: exit 2 before anything is asked of Alma, naming a file to give instead', async () => {
    const res = await exportTo(['--mark-in-erp', '-o', 'out']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--mark-in-erp -o out: a hand-over marked in Alma needs a file name, not a folder');
    expect(res.stderr).toContain('give -o out/to-finance.csv; nothing was sent');
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(dir, 'state', 'sandbox'))).toBe(false);
  });

  it('two plain exports into one folder at once: the second is not refused, each writes its own file', async () => {
    const first = await exportTo(['-o', 'out/']);
    expect(first.code, first.stderr).toBe(0);
    const [mine] = readdirSync(out);
    const before = readFileSync(join(out, mine!), 'utf8');
    // The first run still working: this process holds every journal lock a run into the folder took.
    const journals = join(dir, 'state', 'journals');
    const locks = existsSync(journals) ? readdirSync(journals).filter((n) => n.endsWith('.jsonl')).map((n) => acquireLock(join(journals, n) + '.lock')) : [];
    try {
      const second = await exportTo(['-o', 'out/']);
      expect(second.stderr).not.toContain('another run');
      expect(second.code, second.stderr).toBe(0);
      const names = readdirSync(out);
      expect(names).toHaveLength(2);
      expect(readFileSync(join(out, mine!), 'utf8')).toBe(before);
      const theirs = (JSON.parse(second.stdout) as { output: string }).output;
      expect(theirs).not.toBe(join('out', mine!));
      expect(names.map((n) => join('out', n))).toContain(theirs);
    } finally {
      for (const release of locks) release();
    }
  });

  it('-o <folder> --report <the same folder> --format json: the report is named for the export file, not refused as the same path', async () => {
    // A folder named export: the report was named for the folder (invoice-load-export-<time>.json),
    // the export file's own name, and the run refused the two as one path.
    const folder = join(dir, 'export');
    mkdirSync(folder);
    const res = await exportTo(['-o', 'export/', '--report', 'export/', '--format', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const names = readdirSync(folder);
    const exported = names.find((n) => /^invoice-load-export-\d{8}T\d{6}Z\.json$/.test(n))!;
    expect(exported).toBeDefined();
    expect(names.sort()).toEqual([exported.replace(/\.json$/, '-report.json'), exported]);
    const report = JSON.parse(readFileSync(join(folder, exported.replace(/\.json$/, '-report.json')), 'utf8')) as { command: string; output: string };
    expect(report.command).toBe('export');
    expect(report.output).toBe(join('export', exported));
  });
});
