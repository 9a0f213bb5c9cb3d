/**
 * The `Written:` line after the summary: on a terminal broken between words to the window's
 * width, as the summary's prose is (report/fit.ts proseText) — not left for the terminal to break
 * mid-word (`(the report a` / `s HTML)`); in a pipe one line, for grep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitReport } from '../../src/cli/load.js';
import { terminalOf } from '../../src/cli/terminal.js';
import type { Config } from '../../src/cli/config.js';
import type { ReportDocument } from '../../src/report/report.js';

const report: ReportDocument = {
  target: 'alma',
  dry_run: false,
  summary: { invoices: 0, loaded: 0, in_review: 0, failed: 0, invalid: 0, already_loaded: 0, planned: 0, lines: 0, requests: 0 },
  issues: [],
  invoices: [],
};

describe('the Written: line', () => {
  let dir = '';
  let out: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'invoice-load-written-'));
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const emit = async (columns: number | undefined): Promise<string[]> => {
    const stream = { isTTY: columns !== undefined, columns };
    const term = terminalOf({ NO_COLOR: '1' }, true, stream, stream);
    const cfg = { target: 'alma', files: [], quiet: false, json: false, reportPath: join(dir, 'r.json'), reportCsvPath: join(dir, 'r.csv'), reportHtmlPath: join(dir, 'r.html') } as unknown as Config;
    expect(await emitReport(cfg, term, report)).toEqual([]);
    const text = out.join('');
    return text.slice(text.indexOf('Written: ')).trimEnd().split('\n');
  };
  const whole = (): string => `Written: ${join(dir, 'r.json')} (the report), ${join(dir, 'r.csv')} (the report as CSV), ${join(dir, 'r.html')} (the report as HTML).`;

  it('is broken between words on an 80-column terminal, no row wider than the window', async () => {
    const rows = await emit(80);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(row.length, row).toBeLessThanOrEqual(80);
    expect(rows.join(' ')).toBe(whole());
  });

  it('is one line in a pipe', async () => {
    expect(await emit(undefined)).toEqual([whole()]);
  });
});
