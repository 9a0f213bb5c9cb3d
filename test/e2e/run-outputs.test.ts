/**
 * The run's outputs: every output path checked before the first request (exit 2, nothing sent),
 * a sandbox run labelled in every report and kept away from the config file's report paths, and
 * the report's run fields (started, finished, duration_s, version, inputs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
let w: World | undefined;
let dir: string | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'invoice-load-outputs-')));

/**
 * A folder `out` and an input `invoices.csv` (the sample) whose outputs' names are all held by
 * another run for these endings: every second from just before now to well after, so no clock is
 * read by the test's assertions. Returns the names taken.
 */
function otherRunsNames(endings: readonly string[]): { out: string; input: string; taken: string[] } {
  const out = join(tempDir(), 'out');
  mkdirSync(out);
  const vendor = join(dir!, 'w1');
  mkdirSync(vendor);
  const input = join(vendor, 'invoices.csv');
  writeFileSync(input, readFileSync(SAMPLE));
  const start = Math.floor(Date.now() / 1000) * 1000 - 5000;
  const taken: string[] = [];
  for (let t = start; t < start + 300_000; t += 1000) {
    const stamp = new Date(t).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
    for (const ending of endings) {
      const name = `invoice-load-invoices-${stamp}${ending}`;
      writeFileSync(join(out, name), `the other run's ${ending}`);
      taken.push(name);
    }
  }
  return { out, input, taken };
}

describe('output paths are checked before the first request', () => {
  it('an unwritable --report-csv stops a real load with exit 2 and nothing sent, naming every bad path', async () => {
    w = await world();
    const blocker = join(w.dir, 'hostname');
    writeFileSync(blocker, 'x');
    const res = await w.load(['--report-csv', join(blocker, 'r.csv'), '--rejects', join(blocker, 'rej.csv'), '--report', join(blocker, 'r.json'), SAMPLE]);
    expect(res.code).toBe(2);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
    expect(res.stderr).toContain('nothing was sent');
    expect(res.stderr).toContain(`--report-csv ${join(blocker, 'r.csv')}: a part of the path is a file, not a folder`);
    expect(res.stderr).toContain(`--rejects ${join(blocker, 'rej.csv')}: a part of the path is a file, not a folder`);
    expect(res.stderr).toContain(`--report ${join(blocker, 'r.json')}: a part of the path is a file, not a folder`);
  });
});

describe('a folder given as an output (review: cron, item 2)', () => {
  it('a path ending in / whose folder is missing: exit 2 before anything is read or sent, and no file of its name', async () => {
    w = await world();
    const missing = join(w.dir, 'reports');
    const res = await w.load(['--report', `${missing}/`, SAMPLE]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`--report ${missing}/: the folder ${missing} does not exist`);
    expect(existsSync(missing)).toBe(false);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it.each([['with', '/'], ['without', '']])('an existing folder %s the slash: each report inside it, named for the batch and the time', async (_w, slash) => {
    const out = join(tempDir(), 'out');
    mkdirSync(out);
    const res = await runCli(['--dry-run', '--report', out + slash, '--report-csv', out + slash, '--report-html', out + slash, '--rejects', out + slash, SAMPLE], { env: { HOME: dir } });
    expect(res.code, res.stderr).toBe(0);
    const names = readdirSync(out).sort();
    expect(names).toHaveLength(4);
    for (const ending of ['.csv', '.html', '.json', '-rejects.csv']) expect(names.some((n) => new RegExp(`^invoice-load-sample-batch-\\d{8}T\\d{6}Z${ending}$`).test(n)), `${ending} in ${names.join(', ')}`).toBe(true);
    const json = names.find((n) => n.endsWith('.json'))!;
    expect((JSON.parse(readFileSync(join(out, json), 'utf8')) as ReportDocument).summary.invoices).toBe(7);
  });

  it('a name in the folder another run already took (same input name, same second) is not replaced: this run writes -2 and says so', async () => {
    const { out, input, taken } = otherRunsNames(['.json', '-rejects.csv']);
    const res = await runCli(['--dry-run', '--report', `${out}/`, '--rejects', `${out}/`, input], { env: { HOME: dir } });
    expect(res.code, res.stderr).toBe(0);
    for (const name of taken) expect(readFileSync(join(out, name), 'utf8')).toBe(`the other run's ${name.endsWith('.json') ? '.json' : '-rejects.csv'}`);
    const mine = readdirSync(out).filter((n) => !taken.includes(n)).sort();
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatch(/^invoice-load-invoices-\d{8}T\d{6}Z-2-rejects\.csv$/);
    expect(mine[1]).toMatch(/^invoice-load-invoices-\d{8}T\d{6}Z-2\.json$/);
    expect((JSON.parse(readFileSync(join(out, mine[1]!), 'utf8')) as ReportDocument).summary.invoices).toBe(7);
    const said = res.stdout.replace(/\s+/g, ' ');
    for (const name of mine) expect(said).toContain(name);
  });
});

describe("a run's outputs in folders take one suffix together", () => {
  it('only the report name is taken: the rejects, CSV and HTML take -2 with it, never crossing with the other run', async () => {
    // Another run's report for every name the run may choose; its rejects, CSV and HTML names free.
    const { out, input, taken } = otherRunsNames(['.json']);
    const res = await runCli(['--dry-run', '--report', `${out}/`, '--rejects', `${out}/`, '--report-csv', `${out}/`, '--report-html', `${out}/`, input], { env: { HOME: dir } });
    expect(res.code, res.stderr).toBe(0);
    const mine = readdirSync(out).filter((n) => !taken.includes(n)).sort();
    expect(mine).toHaveLength(4);
    const stems = new Set(mine.map((n) => n.replace(/(-rejects\.csv|\.csv|\.html|\.json)$/, '')));
    expect([...stems], mine.join(', ')).toHaveLength(1);
    expect([...stems][0]).toMatch(/^invoice-load-invoices-\d{8}T\d{6}Z-2$/);
    for (const name of mine) expect(readFileSync(join(out, name), 'utf8').length, name).toBeGreaterThan(0);
  });
});

describe('what is at an output path is kept: a link, a pipe; a missing folder is refused', () => {
  it('a missing folder stops the load with exit 2, nothing sent, and is not made', async () => {
    w = await world();
    const missing = join(w.dir, 'nonexistent');
    for (const flag of ['--report', '--report-csv', '--report-html', '--rejects']) {
      const file = join(missing, flag === '--report' ? 'r.json' : flag === '--report-html' ? 'x.html' : 'x.csv');
      const res = await w.load([flag, file, SAMPLE]);
      expect(res.code, flag).toBe(2);
      expect(res.stderr).toContain(`cannot write ${flag} ${file}: the folder ${missing} does not exist`);
      expect(existsSync(missing), flag).toBe(false);
    }
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('a symbolic link stays a link: the file it points to gets the report', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'real'));
    const outputs = ['--report', '--report-csv', '--report-html', '--rejects'].map((flag, i) => {
      const name = ['r.json', 'r.csv', 'r.html', 'rejects.csv'][i]!;
      writeFileSync(join(cwd, 'real', name), 'old');
      symlinkSync(join('real', name), join(cwd, name));
      return [flag, name] as const;
    });
    const res = await runCli(['--dry-run', ...outputs.flat(), SAMPLE], { cwd, env: { HOME: cwd } });
    expect(res.code, res.stderr).toBe(0);
    for (const [flag, name] of outputs) {
      expect(lstatSync(join(cwd, name)).isSymbolicLink(), flag).toBe(true);
      expect(readlinkSync(join(cwd, name))).toBe(join('real', name));
      expect(readFileSync(join(cwd, 'real', name), 'utf8'), flag).not.toBe('old');
    }
    expect(JSON.parse(readFileSync(join(cwd, 'real/r.json'), 'utf8')).dry_run).toBe(true);
    expect(readFileSync(join(cwd, 'real/rejects.csv'), 'utf8')).toContain('error_code');
  });

  it('a named pipe stays a pipe: its reader gets the report', async () => {
    const cwd = tempDir();
    const fifo = join(cwd, 'rep.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    reader.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    const read = new Promise<void>((done) => reader.on('close', () => done()));
    try {
      const res = await runCli(['--dry-run', '--report', fifo, SAMPLE], { cwd, env: { HOME: cwd } });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('Written: ');
      expect(lstatSync(fifo).isFIFO(), 'the pipe was replaced by a file').toBe(true);
      await read;
      expect(JSON.parse(got).dry_run).toBe(true);
    } finally {
      reader.kill();
    }
  });
});

describe('a sandbox run says so', () => {
  it('in the JSON (sandbox: true), the HTML title and the summary; the config file\'s report paths are not used', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'invoice-load.config.json'), JSON.stringify({ report_html: 'real/last-load.html', report_csv: 'real/last-load.csv' }));
    const env = { INVOICE_LOAD_STATE_DIR: join(cwd, 'state') };
    const html = join(cwd, 'trial.html');
    const res = await runCli(['--sandbox', '--json', '--rate', '200', '--report-html', html, SAMPLE], { cwd, env });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.sandbox).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('<h1>Invoice load into the Alma sandbox</h1>');
    // Where the file went is said (on stderr: stdout is the JSON document alone).
    expect(res.stderr).toContain('Written: trial.html (the report as HTML).');
    // The file's paths are for real loads: a trial does not overwrite them.
    expect(existsSync(join(cwd, 'real/last-load.html'))).toBe(false);
    expect(existsSync(join(cwd, 'real/last-load.csv'))).toBe(false);
    const human = await runCli(['--sandbox', SAMPLE], { cwd, env });
    expect(human.stdout).toMatch(/7 already loaded\.\n$/);
    mkdirSync(join(cwd, 'out'));
    const files = await runCli(['--sandbox', '--report', 'out/r.json', '--rejects', 'out/rj.csv', SAMPLE], { cwd, env });
    expect(files.stdout).toMatch(/ 7 already loaded\.\nWritten: out\/r\.json \(the report\), out\/rj\.csv \(no rejected rows\)\.\n$/);
    expect((await runCli(['--sandbox', '--quiet', '--report', 'out/r.json', SAMPLE], { cwd, env })).stdout).not.toContain('Written');
    const cfg = await runCli(['config', '--sandbox', '--json'], { cwd, env });
    const settings = (JSON.parse(cfg.stdout) as { settings: Record<string, { value: unknown }> }).settings;
    expect(settings.report_html!.value).toBeNull();
  });

  it('a real load is not labelled a sandbox run', async () => {
    w = await world();
    const res = await w.load([SAMPLE]);
    expect(res.report!.sandbox).toBe(false);
  });
});

describe('the report says when, how long, which version and which inputs', () => {
  it('started, finished, duration_s, version and inputs', async () => {
    w = await world();
    const before = Date.now();
    const res = await w.load([SAMPLE]);
    const r = res.report!;
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(r.version).toBe(version);
    const started = Date.parse(r.started!);
    const finished = Date.parse(r.finished!);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(finished).toBeGreaterThanOrEqual(started);
    expect(r.duration_s).toBeCloseTo((finished - started) / 1000, 0);
    expect(r.inputs).toEqual([{ file: SAMPLE, format: 'csv', bytes: readFileSync(SAMPLE).length }]);
    // Before the invoices, so a reader of a large report finds them first.
    expect(Object.keys(r).slice(0, 7)).toEqual(['target', 'sandbox', 'version', 'started', 'finished', 'duration_s', 'inputs']);
  });
});
