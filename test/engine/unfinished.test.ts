/**
 * engine/unfinished.ts: what an earlier load left half-built in the target, folded from its
 * journal one entry at a time — only invoices truly half-built or unknown there. Not a run that
 * only ended `not_finished` (processing answered, Alma slow to show it), not a create Alma
 * refused, not an invoice another run finished, not one of this batch (README "A killed batch
 * another file's run tells of").
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/engine/journal.js';
import { stillUnfinished, UnfinishedFold, unfinishedWarning, type EarlierRun, type UnfinishedSummary } from '../../src/engine/unfinished.js';

const V = 'GOBI';
const begin: JournalEntry = { t: 'begin', kind: 'invoice-load-journal', v: 1, target: 'alma', endpoint: 'https://api-eu.hosted.exlibrisgroup.com', batch: 'b1', at: '2026-12-01T02:00:00.000Z', account: 'aaaa', files: ['/data/vendor/nightly.csv'] };
const create = (n: string): JournalEntry => ({ t: 'intent', vendor: V, number: n, step: 'create', at: 1 });
const made = (n: string, found = false): JournalEntry => ({ t: 'invoice', vendor: V, number: n, id: `id-${n}`, found });
const lineIntent = (n: string, l: string): JournalEntry => ({ t: 'intent', vendor: V, number: n, step: 'line', line: l, at: 1 });
const line = (n: string, l: string): JournalEntry => ({ t: 'line', vendor: V, number: n, line: l, id: `${n}-${l}` });
const processIntent = (n: string): JournalEntry => ({ t: 'intent', vendor: V, number: n, step: 'process', id: `id-${n}`, at: 1 });
const processed = (n: string): JournalEntry => ({ t: 'processed', vendor: V, number: n, id: `id-${n}` });

function fold(entries: JournalEntry[]): UnfinishedSummary {
  const f = new UnfinishedFold();
  for (const e of entries) f.apply(e);
  return f.summary();
}
const open = (entries: JournalEntry[]): string[] => fold(entries).open.map((i) => i.number);

describe('UnfinishedFold: what is half-built or unknown in the target', () => {
  it('counts a create sent without an answer, a created invoice with lines missing or unanswered, and one whose processing was never sent or never answered', () => {
    expect(open([begin, create('A')])).toEqual(['A']);
    expect(open([begin, create('B'), made('B')])).toEqual(['B']);
    expect(open([begin, create('C'), made('C'), lineIntent('C', '1')])).toEqual(['C']);
    expect(open([begin, create('D'), made('D'), lineIntent('D', '1'), line('D', '1')])).toEqual(['D']);
    expect(open([begin, create('E'), made('E'), lineIntent('E', '1'), line('E', '1'), processIntent('E')])).toEqual(['E']);
    // A process request refused: the invoice is in the target, never processed.
    expect(open([begin, create('F'), made('F'), processIntent('F'), { t: 'refused', vendor: V, number: 'F', step: 'process' }])).toEqual(['F']);
  });

  it('(a) a run that only ended not_finished (processing answered, Alma slow to show it) leaves nothing half-built', () => {
    const entries: JournalEntry[] = [begin, create('A'), made('A'), lineIntent('A', '1'), line('A', '1'), processIntent('A'), processed('A')];
    entries.push({ t: 'end', at: '2026-12-01T02:10:00.000Z', ran_at: begin.t === 'begin' ? begin.at : '', open: [] });
    expect(open(entries)).toEqual([]);
    expect(open([begin, create('S'), made('S'), processIntent('S'), { t: 'settled', vendor: V, number: 'S', id: 'id-S', status: 'in_review', alerts: [] }])).toEqual([]);
  });

  it('(b) a create Alma refused (nothing was built), or one never sent, is not counted', () => {
    expect(open([begin, create('A'), { t: 'refused', vendor: V, number: 'A', step: 'create' }])).toEqual([]);
    expect(open([begin, create('B'), { t: 'unsent', vendor: V, number: 'B', step: 'create' }])).toEqual([]);
    expect(open([begin, { t: 'failed', vendor: V, number: 'C', error: { step: 'create', http_status: 400, code: '402459', message: 'refused' } }])).toEqual([]);
  });

  it("an invoice found in the target and left alone (someone else's) is not counted; one found that the run wrote lines to is", () => {
    expect(open([begin, made('A', true)])).toEqual([]);
    expect(open([begin, made('B', true), lineIntent('B', '2')])).toEqual(['B']);
    expect(open([begin, create('C'), { t: 'invoice', vendor: V, number: 'C', id: 'id-C', found: true, reconciled: true }])).toEqual(['C']);
  });

  it('keeps, per invoice, nothing once it is processed: 200,000 finished invoices fold to no state', () => {
    const f = new UnfinishedFold();
    f.apply(begin);
    for (let i = 0; i < 200_000; i++) {
      const n = `N-${i}`;
      for (const e of [create(n), made(n), lineIntent(n, '1'), line(n, '1'), processIntent(n), processed(n)]) f.apply(e);
    }
    f.apply(create('LAST'));
    expect(f.summary().open.map((i) => i.number)).toEqual(['LAST']);
  });

  it('of a run that ended, leaves out an invoice it left failed on a definite refusal (it said so itself); a killed run, a write unanswered, or a refusal an earlier run met stay', () => {
    const lineRefused = (n: string): JournalEntry[] => [
      create(n),
      made(n),
      lineIntent(n, '1'),
      { t: 'refused', vendor: V, number: n, step: 'line', line: '1' },
      { t: 'failed', vendor: V, number: n, error: { step: 'lines', http_status: 400, code: '60254', message: 'Fund code not valid.' } },
    ];
    const processRefused: JournalEntry[] = [create('P'), made('P'), processIntent('P'), { t: 'refused', vendor: V, number: 'P', step: 'process' }, { t: 'failed', vendor: V, number: 'P', error: { step: 'process', http_status: 400, code: '60260', message: 'refused' } }];
    const unanswered: JournalEntry[] = [create('U'), made('U'), processIntent('U'), { t: 'failed', vendor: V, number: 'U', error: { step: 'process', http_status: 0, code: 'OUTCOME_UNKNOWN', message: 'no answer' } }];
    const end: JournalEntry = { t: 'end', at: '2026-12-01T02:10:00.000Z', ran_at: '2026-12-01T02:00:00.000Z', open: [] };
    expect(open([begin, ...lineRefused('A'), ...processRefused, ...unanswered, end])).toEqual(['U']);
    // As the run ends (journal.ts endEntry): the same.
    const f = new UnfinishedFold();
    for (const e of [begin, ...lineRefused('A'), ...processRefused, ...unanswered]) f.apply(e);
    expect(f.summary(true).open.map((i) => i.number)).toEqual(['U']);
    // Killed after the refusal: it never ended, nor said so.
    expect(open([begin, ...lineRefused('A')])).toEqual(['A']);
    // Refused in an earlier run; this run (stopped before it) did not say so.
    expect(open([begin, ...lineRefused('A'), { t: 'run', at: '2026-12-02T02:00:00.000Z' }, end])).toEqual(['A']);
  });

  it("collects the `settles` entries a run writes as it finishes another journal's invoice, killed or not", () => {
    expect(fold([begin, made('A', true), processed('A'), { t: 'settles', vendor: V, number: 'A' }]).settles).toEqual([{ vendor: V, number: 'A' }]);
  });

  it("a journal writes the `settles` entry with the write that finishes another journal's invoice, not only at its end", () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-settles-'));
    try {
      const path = join(dir, 'b.jsonl');
      const writes: string[] = [];
      const j = Journal.open({ path, target: 'alma', endpoint: 'https://x', batch: 'b', sync: false, write: (fd, buf, off, len) => (writes.push(Buffer.from(buf.subarray(off, off + len)).toString('utf8')), writeSync(fd, buf, off, len)) });
      j.append(made('DONE-HERE', true));
      j.append(processed('DONE-HERE'));
      j.finishing([{ vendor: V, number: 'A' }, { vendor: V, number: 'DONE-HERE' }, { vendor: V, number: 'NOT-MINE' }]);
      j.append(made('A', true));
      j.append(processed('A'));
      j.append({ t: 'settled', vendor: V, number: 'A', id: 'id-A', status: 'loaded', alerts: [] });
      const settles = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('{"t":"settles"')).map((l) => (JSON.parse(l) as { number: string }).number);
      // Already processed here when said: at once; A with its `processed` entry, in one write; once each.
      expect(settles(readFileSync(path, 'utf8'))).toEqual(['DONE-HERE', 'A']);
      expect(writes.find((w) => w.includes('"t":"processed","vendor":"GOBI","number":"A"'))).toContain('{"t":"settles","vendor":"GOBI","number":"A"}');
      expect(j.endEntry([]).settles).toEqual([{ vendor: V, number: 'DONE-HERE' }, { vendor: V, number: 'A' }]);
      j.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the run began, its files and its account: those of its last run', () => {
    const s = fold([begin, create('A'), { t: 'run', at: '2026-12-02T02:00:00.000Z', account: 'aaaa', files: ['/data/vendor/other.csv'] }]);
    expect(s).toMatchObject({ ranAt: '2026-12-02T02:00:00.000Z', files: ['/data/vendor/other.csv'], account: 'aaaa', ended: false });
  });
});

describe('stillUnfinished: once settled, no more', () => {
  const run = (open: string[], settles: string[] = [], mtimeMs = 0): EarlierRun => ({
    path: `/state/journals/alma-x-${open.join('')}.jsonl`,
    mtimeMs,
    summary: { ranAt: '2026-12-01T02:00:00.000Z', files: ['/data/vendor/nightly.csv'], open: open.map((number) => ({ vendor: V, number })), settles: settles.map((number) => ({ vendor: V, number })), ended: false },
  });

  it('leaves out invoices another journal finished, and those of this batch', () => {
    expect(stillUnfinished([run(['A', 'B']), run([], ['A'])], new Set(), [], 1000).map((u) => u.invoices.map((i) => i.number))).toEqual([['B']]);
    expect(stillUnfinished([run(['A', 'B'])], new Set([`${V}\u0000B`]), [{ vendor: V, number: 'A' }], 1000)).toEqual([]);
  });

  it('words a run that ended (stopped, or writes unanswered) as ended without finishing, a killed one as stopped before it finished', () => {
    const ended: EarlierRun = { ...run(['A']), summary: { ...run(['A']).summary, ended: true } };
    const [e] = stillUnfinished([ended], new Set(), [], 1000);
    const text = unfinishedWarning(e!, 'Alma', 'invoice-load');
    expect(text).toContain('ended without finishing invoice GOBI A (it was stopped first, or a write to it went unanswered or failed for a time), which no run has finished since');
    expect(text).toContain('the load takes up where that run left off');
    expect(text).not.toContain('was stopped before it finished');
    const [k] = stillUnfinished([run(['A'])], new Set(), [], 1000);
    expect(unfinishedWarning(k!, 'Alma', 'invoice-load')).toContain('was stopped before it finished invoice GOBI A, which no run has finished since');
  });

  it('names the first five and counts the rest; the journal and the day the warning stops', () => {
    const [u] = stillUnfinished([run(['A', 'B', 'C', 'D', 'E', 'F', 'G'], [], Date.parse('2026-12-01T02:10:00Z'))], new Set(), [], 30 * 24 * 3600_000);
    const text = unfinishedWarning(u!, 'Alma', 'invoice-load');
    expect(text).toContain('begun 2026-12-01 02:00 UTC from /data/vendor/nightly.csv');
    expect(text).toContain('7 invoices GOBI A, GOBI B, GOBI C, GOBI D, GOBI E, and 2 more');
    expect(text).toContain('(invoice-load … /data/vendor/nightly.csv)');
    expect(text).toContain('until 2026-12-31');
    expect(text).toContain(u!.path);
  });
});
