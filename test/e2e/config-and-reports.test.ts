/**
 * The built CLI with a config file, `invoice-load config`, the reports for people
 * (`--report-csv`, `--report-html`), --quiet, --help and --version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT, runCli } from '../helpers/cli.js';
import { world, type World } from '../helpers/sandbox.js';

const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const KEY = 'l7xx-e2e-secret-key';
let w: World | undefined;
let dir: string | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'invoice-load-config-')));

describe('the config file', () => {
  it('supplies the target, pace, state dir and report paths; the key stays in the environment', async () => {
    w = await world();
    const cwd = tempDir();
    mkdirSync(join(cwd, 'out')); // an output's folder is not made (README "The report")
    writeFileSync(
      join(cwd, 'invoice-load.config.json'),
      JSON.stringify({ alma_url: w.sandbox.url, rate: 200, poll_timeout: 5, state_dir: 'state', report_csv: 'out/invoices.csv', report_html: 'out/invoices.html' }),
    );
    const res = await runCli([SAMPLE], { cwd, env: { ALMA_API_KEY: KEY } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('7 invoices, 14 lines: 6 loaded, 1 in review.');
    expect(existsSync(join(cwd, 'state', 'journals'))).toBe(true);
    const rows = parse(readFileSync(join(cwd, 'out/invoices.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => `${r.number}:${r.status}`)).toEqual([
      'G-24118:loaded',
      'G-24131:loaded',
      'HA-2025-00412:loaded',
      'HA-2025-00430:loaded',
      'EBS-9001-25:loaded',
      'BW/77120:loaded',
      'G-24140:in_review',
    ]);
    expect(rows[6]).toMatchObject({ rows: `${SAMPLE}:15-16`, alerts: 'NOT_LINKED_LINES: Lines not linked', workflow_status: 'InReview' });
    // Kept as text for spreadsheets (report/csv.ts keepText): ="<17 digits>"
    expect(rows.every((r) => /^="\d{15,}"$/.test(r.alma_id!))).toBe(true);
    const html = readFileSync(join(cwd, 'out/invoices.html'), 'utf8');
    expect(html).toContain('data-alert="NOT_LINKED_LINES"');
    expect([...html.matchAll(/<tr class="(loaded|in_review)"/g)]).toHaveLength(7);
    for (const text of [res.stdout, res.stderr, html, readFileSync(join(cwd, 'out/invoices.csv'), 'utf8')]) expect(text).not.toContain(KEY);
  });

  it('flags win over the environment, which wins over the file', async () => {
    w = await world();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'settings.json'), JSON.stringify({ region: 'eu', rate: 3, state_dir: '/nonexistent/never-used', report_csv: 'from-file.csv' }));
    const res = await runCli(['config', '--config', 'settings.json', '--json', '--rate', '9', '--report-csv', 'from-flag.csv'], {
      cwd,
      env: { ALMA_API_URL: w.sandbox.url, INVOICE_LOAD_STATE_DIR: join(cwd, 'env-state'), ALMA_API_KEY: KEY },
    });
    expect(res.code, res.stderr).toBe(0);
    const view = JSON.parse(res.stdout) as { config_file: string; settings: Record<string, { value: unknown; source: string }> };
    expect(view.config_file).toBe(join(cwd, 'settings.json'));
    expect(view.settings).toMatchObject({
      target: { value: 'alma', source: 'env ALMA_API_URL' },
      alma_url: { value: `${w.sandbox.url}/almaws/v1`, source: 'env ALMA_API_URL' },
      region: { value: null },
      api_key: { value: '***', source: 'ALMA_API_KEY (set)' },
      rate: { value: 9, source: 'flag --rate' },
      state_dir: { value: join(cwd, 'env-state'), source: 'env INVOICE_LOAD_STATE_DIR' },
      report_csv: { value: join(cwd, 'from-flag.csv'), source: 'flag --report-csv' },
      concurrency: { value: 64, source: 'default' },
    });
    expect(res.stdout).not.toContain(KEY);
  });

  it('`invoice-load config` prints a table with the key redacted', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'invoice-load.config.json'), JSON.stringify({ region: 'na', api_key_file: 'alma.key', concurrency: 2 }));
    writeFileSync(join(cwd, 'alma.key'), KEY + '\n', { mode: 0o600 });
    const res = await runCli(['config'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`config file: ${join(cwd, 'invoice-load.config.json')}`);
    expect(res.stdout).toMatch(/^setting +value +from$/m);
    expect(res.stdout).toMatch(/^alma_url +https:\/\/api-na\.hosted\.exlibrisgroup\.com\/almaws\/v1 +region na \(config file\)$/m);
    expect(res.stdout).toMatch(new RegExp(`^api_key +\\*\\*\\* +file ${join(cwd, 'alma.key')} \\(readable; config file\\)$`, 'm'));
    expect(res.stdout).toMatch(/^concurrency +2 +config file$/m);
    expect(res.stdout).toMatch(/^rate +10 requests\/s +default$/m);
    expect(res.stdout).not.toContain(KEY);
  });

  it('refuses a key in the file with exit 2, says why, and does not echo it', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'invoice-load.config.json'), JSON.stringify({ region: 'eu', api_key: KEY, rate: 'fast' }));
    for (const args of [['config'], ['--dry-run', SAMPLE]]) {
      const res = await runCli(args, { cwd });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('has 2 problems');
      expect(res.stderr).toContain('$.api_key: the API key is not accepted in the config file');
      expect(res.stderr).toContain('$.rate: must be a number');
      expect(res.stderr + res.stdout).not.toContain(KEY);
    }
  });

  it('a --config file that does not exist is a usage error', async () => {
    const res = await runCli(['--config', 'nope.json', '--dry-run', SAMPLE], { cwd: tempDir() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot read config file .*nope\.json: no such file/);
  });
});

describe('reports and the terminal', () => {
  it('a dry run writes the CSV and HTML reports too (planned invoices)', async () => {
    const cwd = tempDir();
    const res = await runCli(['--dry-run', '--report-csv', 'r.csv', '--report-html', 'r.html', SAMPLE], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const rows = parse(readFileSync(join(cwd, 'r.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.status)).toEqual(Array(7).fill('planned'));
    expect(readFileSync(join(cwd, 'r.html'), 'utf8')).toContain('<h1>Invoice check (dry run)</h1>');
  });

  it('an unwritable report path is a usage error naming the path', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'file'), '');
    const res = await runCli(['--dry-run', '--report-html', 'file/r.html', SAMPLE], { cwd });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot write --report-html .*file\/r\.html: a part of the path is a file, not a folder; nothing was sent/);
  });

  it('--report under a web page\'s name (it writes JSON) is a usage error before anything is read or sent', async () => {
    w = await world();
    const cwd = tempDir();
    const res = await runCli(['--report', 'report.html', SAMPLE], { cwd, env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w.stateDir } });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(
      /^invoice-load: --report \S*report\.html: --report writes the JSON report document, not a web page; --report-html writes that; nothing was sent$/,
    );
    expect(existsSync(join(cwd, 'report.html'))).toBe(false);
    expect(w.sandbox.state().counters.requestsTotal).toBe(0);
  });

  it('--quiet prints the summary line alone after a clean load, and no progress', async () => {
    w = await world();
    const res = await runCli(['--quiet', '--rate', '200', SAMPLE], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w.stateDir } });
    expect(res.code, res.stderr).toBe(0);
    // no progress of ours (a Node runtime warning, should one appear, is not the CLI's to hide)
    expect(res.stderr).not.toMatch(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) )?\[\d\/7\]|loading into|resuming|journal:/m);
    expect(res.stdout.trim()).toMatch(/^7 invoices, 14 lines: 6 loaded, 1 in review\. \d+ requests to Alma in \d+\.\d s\.$/);
  });

  it('--quiet still shows every error of an invalid file', async () => {
    const res = await runCli(['--quiet', '--dry-run', join(ROOT, 'fixtures/defects.csv')]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/^INVALID /m);
    expect(res.stdout).not.toMatch(/^planned /m);
    expect(res.stdout).toContain('[total_mismatch]');
    expect(res.stdout).not.toMatch(/: warning /);
  });

  it('--verbose shows the journal and every invoice', async () => {
    w = await world();
    const res = await runCli(['--verbose', '--rate', '200', SAMPLE], { env: { ALMA_API_URL: w.sandbox.url, ALMA_API_KEY: KEY, INVOICE_LOAD_STATE_DIR: w.stateDir } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) journal: .*\.jsonl$/m);
    // Each plain line starts with the time of day, for a cron log.
    expect(res.stderr.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) \[\d\/7\] /.test(l))).toHaveLength(7);
  });

  it('--help shows the new flags and an example for each common task; --version the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const s of ['--report-csv <path>', '--report-html <path>', '--config <path>', 'invoice-load config', '--dry-run batch.csv', '--sandbox fixtures/sample-batch.csv', '--json', 'Exit codes:']) {
      expect(help.stdout).toContain(s);
    }
    const configHelp = await runCli(['config', '--help']);
    expect(configHelp.stdout).toContain('where each comes from');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
