/**
 * The HTML report as staff see it: a real sandbox load writes it, headless Chromium renders it.
 * The DOM Chromium builds (scripts enabled) must hold one row per invoice with its status,
 * the alert explained, and a hostile invoice number as text — had its `<script>` run, it
 * would have marked the page. The screenshot must be a real picture of the page: right size,
 * many colours, and the status badges' colours where a person would look for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { world, type World } from '../helpers/sandbox.js';
import { countColour, decodePng, distinctColours, isPng } from './png.js';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

/** Flags for a browser that must not touch the network or a profile (and runs as root in CI containers). */
export function chromiumArgs(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    `--user-data-dir=${userDataDir}`,
  ];
}

/** No comma or quote, so it stays one plain CSV cell; run, it would add `data-pwned` to the body. */
const HOSTILE_NUMBER = '<script>document.body.dataset.pwned=1</script>';

describe.skipIf(CHROMIUM === undefined)('the HTML report in headless Chromium', () => {
  let w: World;
  let htmlPath: string;
  let csvPath: string;
  let exitCode: number | null;

  beforeAll(async () => {
    w = await world();
    // the sample batch plus one invalid invoice whose number is a script
    const sample = readFileSync('fixtures/sample-batch.csv', 'utf8').trimEnd().split('\n');
    const header = sample[0]!.split(',');
    const row = header.map((h) =>
      ({ invoice_number: HOSTILE_NUMBER, invoice_date: '2025-02-30', vendor: 'GOBI', currency: 'USD', total_amount: '1.00', line_number: '1', price: '1.00', quantity: '1', fund_code: 'GENMON', fund_percent: '100' })[h] ?? '',
    );
    const batch = join(w.dir, 'batch.csv');
    writeFileSync(batch, [...sample, row.join(',')].join('\n') + '\n');
    // The reports' folder is made first: invoice-load does not make a missing one (README, reports).
    mkdirSync(join(w.dir, 'out'));
    htmlPath = join(w.dir, 'out', 'report.html');
    csvPath = join(w.dir, 'out', 'report.csv');
    const res = await w.load(['--skip-invalid', '--report-html', htmlPath, '--report-csv', csvPath, batch]);
    exitCode = res.code;
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  const chromium = (...args: string[]): { stdout: string; stderr: string; status: number | null } => {
    const profile = mkdtempSync(join(tmpdir(), 'invoice-load-chromium-'));
    try {
      const r = spawnSync(CHROMIUM!, [...chromiumArgs(profile), ...args, pathToFileURL(htmlPath).href], { encoding: 'utf8', timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status };
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };

  it('the load wrote both reports (the invalid invoice makes it exit 4)', () => {
    expect(exitCode).toBe(4);
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.status)).toEqual(['loaded', 'loaded', 'loaded', 'loaded', 'loaded', 'loaded', 'in_review', 'invalid']);
    expect(rows[7]!.number).toBe(HOSTILE_NUMBER);
  });

  it('the DOM Chromium builds has every invoice with its status, the alert explained, and the hostile number as text', () => {
    const { stdout, status, stderr } = chromium('--dump-dom');
    expect(status, stderr).toBe(0);
    const dom = stdout;
    // the script in the invoice number did not run and is not an element
    expect(dom).toMatch(/<body>/);
    expect(dom).not.toContain('data-pwned');
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('&lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;');
    const rows = [...dom.matchAll(/<tr class="([a-z_]+)" data-status="\1">(.*?)<\/tr>/g)];
    expect(rows.map((m) => m[1])).toEqual(['loaded', 'loaded', 'loaded', 'loaded', 'loaded', 'loaded', 'in_review', 'invalid']);
    const byNumber = new Map(rows.map((m) => [/<td class="number"><b>(.*?)<\/b><\/td>/.exec(m[2]!)![1], m[2]!]));
    expect(byNumber.get('G-24118')).toMatch(/<span class="status loaded">Loaded<\/span>.*<td class="id">\d{15,}<\/td><td>Waiting to be Sent<\/td>/);
    expect(byNumber.get('G-24140')).toMatch(/<span class="status in_review">In review<\/span>.*In Review.*NOT_LINKED_LINES/);
    expect(dom).toContain('data-alert="NOT_LINKED_LINES"');
    expect(dom).toContain('Some invoice lines are not linked to a PO line');
    expect(dom).toMatch(/<td class="sev-error">error<\/td><td>invoice_date "2025-02-30" is not a real date/);
    expect(dom).toMatch(/id="summary">8 invoices, 15 lines: 6 loaded, 1 in review, 1 invalid \(1 error/);
  });

  it('the screenshot is the page, not a blank: right size, many colours, the status badges visible', () => {
    const png = join(w.dir, 'report.png');
    // on a busy machine, let the page finish loading and painting before the picture is taken
    const shoot = (): ReturnType<typeof chromium> => chromium(`--screenshot=${png}`, '--window-size=1280,900', '--run-all-compositor-stages-before-draw', '--virtual-time-budget=5000');
    let { status, stderr } = shoot();
    // Headless Chromium on a loaded machine now and then exits 0 without writing the picture
    // (seen once, 2026-12-06, in a fresh-clone run of the whole suite): the browser's flake, not the page's; taken again.
    for (let again = 0; again < 2 && status === 0 && !existsSync(png); again++) ({ status, stderr } = shoot());
    expect(status, stderr).toBe(0);
    const buf = readFileSync(png);
    expect(isPng(buf)).toBe(true);
    const img = decodePng(buf);
    expect([img.width, img.height]).toEqual([1280, 900]);
    const seen = {
      colours: distinctColours(img), // text is anti-aliased: a blank page has one or two
      // solid fills from the stylesheet: the green of "Loaded" badges, the amber of "In review", the red of "Invalid"
      loadedGreen: countColour(img, [0xda, 0xfb, 0xe1]),
      reviewAmber: countColour(img, [0xff, 0xf8, 0xc5]),
      invalidRed: countColour(img, [0xff, 0xeb, 0xe9]),
    };
    const ok = seen.colours > 100 && seen.loadedGreen > 500 && seen.reviewAmber > 100 && seen.invalidRed > 100;
    expect(ok, `${JSON.stringify(seen)} in ${png}\n${stderr.slice(-2000)}`).toBe(true);
  });
});
