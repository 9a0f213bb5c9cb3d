/**
 * The built CLI with mapping profiles: the three shipped vendor layouts through --dry-run, one
 * loaded into the sandbox end to end, a bad profile (exit 2), and `mapping init` / `check`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectExactlyOnce, world, type World } from '../helpers/sandbox.js';
import type { ReportDocument } from '../../src/report/report.js';

const noStack = (s: string): void => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

const LAYOUTS = [
  { name: 'harrassowitz-de', sample: 'harrassowitz-de.csv', invoices: { 'HA-2025-01187': ['1668.90', 2], 'HA-2025-01203': ['788.00', 1] }, vendor: 'HARRAS', currency: 'EUR', firstRow: 2 },
  { name: 'ebsco-us', sample: 'ebsco-us.csv', invoices: { 'EBS-9107-25': ['1613.85', 2], 'EBS-9112-25': ['999.60', 1] }, vendor: 'EBSCO', currency: 'USD', firstRow: 6 },
  { name: 'gobi-portal', sample: 'gobi-portal.export.json', invoices: { 'G-25061': ['117.75', 3], 'G-25074': ['294.45', 2] }, vendor: 'GOBI', currency: 'USD', firstRow: 24 },
] as const;

describe('the shipped vendor layouts through --dry-run', () => {
  it.each(LAYOUTS)('$name: every invoice planned, amounts exact, rows in the vendor file; exit 0', async (l) => {
    const sample = `fixtures/mappings/${l.sample}`;
    const res = await runCli(['--dry-run', '--json', '--mapping', `fixtures/mappings/${l.name}.json`, sample]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as ReportDocument;
    expect(report.issues).toEqual([]);
    expect(Object.fromEntries(report.invoices.map((i) => [i.number, [i.total, i.status, i.vendor, i.currency]]))).toEqual(
      Object.fromEntries(Object.entries(l.invoices).map(([n, [total]]) => [n, [total, 'planned', l.vendor, l.currency]])),
    );
    expect(report.summary.lines).toBe(Object.values(l.invoices).reduce((n, [, lines]) => n + lines, 0));
    expect(report.invoices[0]!.rows[0]).toEqual({ file: sample, row: l.firstRow });
  });

  it('without its profile the European file is refused (not UTF-8), so the profile is what makes it load', async () => {
    const res = await runCli(['--dry-run', 'fixtures/mappings/harrassowitz-de.csv']);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/not valid UTF-8/);
  });

  it('a problem in a mapped file names the file row, the canonical column and the vendor column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-map-'));
    try {
      const text = readFileSync('fixtures/mappings/ebsco-us.csv', 'latin1').replace('EBS-9112-25,11/03/2025', 'EBS-9112-25,13/03/2025');
      writeFileSync(join(dir, 'ebsco.csv'), text, 'latin1');
      const res = await runCli(['--dry-run', '--mapping', 'fixtures/mappings/ebsco-us.json', join(dir, 'ebsco.csv')]);
      expect(res.code).toBe(3);
      expect(res.stdout).toMatch(/row 9 invoice_date: error invoice_date "13\/03\/2025" \(vendor column "Invoice Date"\) is not a real date \(expected MM\/DD\/YYYY\) \[invalid_date\]/);
      // The problem belongs to its invoice, not the file: the other invoice is still planned (--skip-invalid would load it).
      expect(res.stdout).toMatch(/planned\s+EBSCO\s+EBS-9107-25/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a bad profile', () => {
  it('exits 2 with one line per problem, each with its JSON path, and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-map-'));
    try {
      const path = join(dir, 'bad.json');
      writeFileSync(path, JSON.stringify({ version: 1, csv: { delimter: ';' }, columns: { Etat: 'fund' }, numbers: { decimal: 'comma' } }));
      const res = await runCli(['--dry-run', '--mapping', path, 'fixtures/mappings/ebsco-us.csv']);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      const lines = res.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^invoice-load: the mapping profile \S*bad\.json is not valid \(3 problems\):$/);
      expect(lines.slice(1).sort()).toEqual([
        expect.stringMatching(/^ {2}.*bad\.json: columns\.Etat: "fund" is not a canonical column; did you mean "fund_code"/),
        expect.stringMatching(/^ {2}.*bad\.json: csv\.delimter: is not a profile setting; did you mean "delimiter"\?/),
        expect.stringMatching(/^ {2}.*bad\.json: numbers\.decimal: must be one of "\.", ",", "auto"/),
      ]);
      noStack(res.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing profile is a usage error too', async () => {
    const res = await runCli(['--dry-run', '--mapping', 'no/such/profile.json', 'fixtures/mappings/ebsco-us.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot read the mapping profile 'no\/such\/profile\.json': no such file/);
  });
});

describe('mapping init and mapping check', () => {
  it('init writes a profile that check accepts and that loads the sample once the vendor is added', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-map-'));
    try {
      const out = join(dir, 'de.json');
      const init = await runCli(['mapping', 'init', 'fixtures/mappings/harrassowitz-de.csv', '-o', out]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toBe('');
      expect(init.stderr).toMatch(/csv: delimiter ";", header on line 1/);
      expect(init.stderr).toMatch(/todo: the file has no vendor column/);
      const again = await runCli(['mapping', 'init', 'fixtures/mappings/harrassowitz-de.csv', '-o', out]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/exists; pass --force/);

      // Valid JSON, but init's notes to do are still in it: not finished, exit 2, each note named.
      const check = await runCli(['mapping', 'check', out]);
      expect(check.code).toBe(2);
      expect(check.stdout).toBe('');
      expect(check.stderr).toContain(`the mapping profile ${out} is not finished (`);
      expect(check.stderr).toContain(`  ${out}: _todo[0]: the file has no vendor column`);
      expect(check.stderr).toMatch(/values\.fund_code\._todo: the file gives fund names \(.*Chemie/);

      const profile = JSON.parse(readFileSync(out, 'utf8'));
      profile.constants = { vendor: 'HARRAS', vendor_account: 'HARRAS-EUR' };
      profile.values = { currency: { map: { '€': 'EUR' } }, fund_code: { map: { Chemie: 'CHEM', Geschichte: 'HIST', 'Allgemeine Monographien': 'GENMON' } } };
      delete profile._todo;
      writeFileSync(out, JSON.stringify(profile));
      const done = await runCli(['mapping', 'check', out]);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toMatch(/valid \(16 columns renamed, 1 ignored/);
      const dry = await runCli(['--dry-run', '--json', '--mapping', out, 'fixtures/mappings/harrassowitz-de.csv']);
      expect(dry.code, dry.stdout).toBe(0);
      expect((JSON.parse(dry.stdout) as ReportDocument).summary).toMatchObject({ planned: 2, invalid: 0, lines: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('init prints to stdout without -o; check of a bad profile exits 2', async () => {
    const init = await runCli(['mapping', 'init', 'fixtures/mappings/gobi-portal.export.json']);
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout).json.rows).toBe('invoices[*].items[*].allocations[*]');
    const dir = mkdtempSync(join(tmpdir(), 'il-map-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{"version": 1, "dates": {"format": "DD.MM.YYY"}}');
      const check = await runCli(['mapping', 'check', join(dir, 'p.json')]);
      expect(check.code).toBe(2);
      expect(check.stderr).toMatch(/dates\.format: "DD\.MM\.YYY" is not a date format/);
      const unknown = await runCli(['mapping', 'init', '--bogus', 'x.csv']);
      expect(unknown.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a mapped vendor file loaded into the sandbox', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('the windows-1252 European export loads end to end, exactly once, with its text intact; a re-run sends nothing', async () => {
    w = await world();
    const args = ['--mapping', 'fixtures/mappings/harrassowitz-de.json', 'fixtures/mappings/harrassowitz-de.csv'];
    const res = await w.load(args);
    expect(res.code, res.stderr).toBe(0);
    const report = res.report!;
    expect(report.summary).toMatchObject({ invoices: 2, loaded: 2, failed: 0, lines: 3 });
    const state = w.sandbox.state();
    expectExactlyOnce(state, report);
    const inv = state.invoices.find((i) => i.number === 'HA-2025-01187')!;
    expect(inv).toMatchObject({ vendor: 'HARRAS', vendor_account: 'HARRAS-EUR', currency: 'EUR', total_amount: '1668.9', status: 'Waiting to be Sent' });
    expect(inv.lines.find((l) => l.number === '2')!.funds.map((f) => [f.code, f.percent])).toEqual([
      ['HIST', '50'],
      ['GENMON', '50'],
    ]);
    // The windows-1252 bytes (0xC9, 0x80) arrive in Alma as the characters they are.
    const lines = await fetch(`${w.sandbox.url}/almaws/v1/acq/invoices/${inv.id}/lines?format=json`, {
      headers: { authorization: 'apikey e2e-test-key', accept: 'application/json' },
    }).then((r) => r.json() as Promise<{ invoice_line: { note: string }[] }>);
    expect(lines.invoice_line.map((l) => l.note)).toContain('Édition critique, Preis in €');
    const again = await w.load(args);
    expect(again.code).toBe(0);
    expect(again.report!.summary).toMatchObject({ already_loaded: 2, requests: 0 });
  });
});
