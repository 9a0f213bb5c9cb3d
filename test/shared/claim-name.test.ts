/**
 * A file named for the run inside a folder (cli/config.ts outputPath) is claimed, never replaced:
 * two runs started in the same second on inputs of one name chose the same name, and the second
 * rename replaced the first run's report or rejects (review: cron user, item 1).
 */
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimName, writeFileAtomic, writeOutputFile, type ClaimFs } from '../../src/common/fs.js';
import { outputClaim } from '../../src/cli/config.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'il-claim-')));

const realFs: ClaimFs = {
  link: (a, b) => linkSync(a, b),
  unlink: (p) => rmSync(p, { force: true }),
  createExclusive: (p) => writeFileSync(p, '', { flag: 'wx' }),
  rename: (a, b) => {
    writeFileSync(b, readFileSync(a));
    rmSync(a);
  },
};

describe('two runs claiming one name in a folder', () => {
  const names = (d: string) => outputClaim({ inFolder: [join(d, 'invoice-load-invoices-20261207T120000Z-rejects.csv')] }, join(d, 'invoice-load-invoices-20261207T120000Z-rejects.csv'))!;

  it('the second writer, whose link comes just after the first one took the name, takes -2; both files are whole', () => {
    const d = tempDir();
    writeFileSync(join(d, '.a.tmp'), 'run A');
    writeFileSync(join(d, '.b.tmp'), 'run B');
    let a: string | undefined;
    // B chose its name; A claims the same one before B's link lands.
    const racing: ClaimFs = {
      ...realFs,
      link: (from, to) => {
        if (a === undefined) a = claimName(join(d, '.a.tmp'), names(d), realFs);
        realFs.link(from, to);
      },
    };
    const b = claimName(join(d, '.b.tmp'), names(d), racing);
    expect(a).toBe(join(d, 'invoice-load-invoices-20261207T120000Z-rejects.csv'));
    expect(b).toBe(join(d, 'invoice-load-invoices-20261207T120000Z-2-rejects.csv'));
    expect(readFileSync(a!, 'utf8')).toBe('run A');
    expect(readFileSync(b, 'utf8')).toBe('run B');
    expect(readdirSync(d).sort()).toEqual(['invoice-load-invoices-20261207T120000Z-2-rejects.csv', 'invoice-load-invoices-20261207T120000Z-rejects.csv']);
  });

  it('without hard links (EPERM), the name is claimed by an exclusive create: a race there takes -2 too', () => {
    const d = tempDir();
    writeFileSync(join(d, '.a.tmp'), 'run A');
    writeFileSync(join(d, '.b.tmp'), 'run B');
    const noLinks: ClaimFs = { ...realFs, link: () => { throw Object.assign(new Error('no links'), { code: 'EPERM' }); } };
    let a: string | undefined;
    const racing: ClaimFs = {
      ...noLinks,
      createExclusive: (p) => {
        if (a === undefined) a = claimName(join(d, '.a.tmp'), names(d), noLinks);
        noLinks.createExclusive(p);
      },
    };
    const b = claimName(join(d, '.b.tmp'), names(d), racing);
    expect(readFileSync(a!, 'utf8')).toBe('run A');
    expect(b).toBe(join(d, 'invoice-load-invoices-20261207T120000Z-2-rejects.csv'));
    expect(readFileSync(b, 'utf8')).toBe('run B');
    expect(readdirSync(d)).toHaveLength(2);
  });

  it('writeOutputFile: a claimed name in use gives the next; a file the user named is replaced as before', () => {
    const d = tempDir();
    const report = join(d, 'invoice-load-invoices-20261207T120000Z.json');
    writeFileSync(report, 'earlier run');
    const claim = outputClaim({ inFolder: [report] }, report);
    expect(writeOutputFile(report, 'this run', { claim })).toBe(join(d, 'invoice-load-invoices-20261207T120000Z-2.json'));
    expect(writeOutputFile(report, 'third run', { claim })).toBe(join(d, 'invoice-load-invoices-20261207T120000Z-3.json'));
    expect(readFileSync(report, 'utf8')).toBe('earlier run');
    const named = join(d, 'mine.json');
    writeFileSync(named, 'old');
    expect(outputClaim({ inFolder: [report] }, named)).toBeUndefined();
    expect(writeOutputFile(named, 'new')).toBe(named);
    expect(readFileSync(named, 'utf8')).toBe('new');
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('two runs with one pid (each pid 1 in its container) writing into one folder', () => {
  it('each writes its own temporary file: both files whole, under two names', () => {
    const d = tempDir();
    const path = join(d, 'invoice-load-invoices-20261207T120000Z.json');
    const claim = outputClaim({ inFolder: [path] }, path)!;
    let b: string | undefined;
    // Run B writes and claims while run A is still writing its own file.
    const a = writeFileAtomic(path, (write) => {
      write('run A, first half; ');
      b = writeFileAtomic(path, 'run B', { fsync: false, claim });
      write('run A, second half');
    }, { fsync: false, claim });
    expect(a).not.toBe(b);
    expect(readFileSync(a, 'utf8')).toBe('run A, first half; run A, second half');
    expect(readFileSync(b!, 'utf8')).toBe('run B');
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
