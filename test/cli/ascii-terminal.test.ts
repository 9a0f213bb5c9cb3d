/**
 * On a terminal that may not show `…` (TERM=dumb, a locale that is not UTF-8), text cut to fit
 * ends in `...`: the summary table's cells, the spinner's line. Files and pipes are not cut.
 */
import { describe, expect, it } from 'vitest';
import { asciiOnly, terminalOf, type StreamShape } from '../../src/cli/terminal.js';
import { cutToWidth, fitLastColumn } from '../../src/report/fit.js';
import { fitStatus } from '../../src/cli/progress.js';
import { renderHuman } from '../../src/report/human.js';
import { mixedReport } from '../report/fixtures.js';

const tty = (columns: number): StreamShape => ({ isTTY: true, columns });

describe('asciiOnly: the terminal may not show …', () => {
  it.each([
    [{}, false],
    [{ LANG: 'en_US.UTF-8' }, false],
    [{ LANG: 'de_DE.utf8' }, false],
    [{ TERM: 'dumb' }, true],
    [{ TERM: 'dumb', LANG: 'en_US.UTF-8' }, true],
    [{ LANG: 'C' }, true],
    [{ LANG: 'en_US.ISO-8859-1' }, true],
    [{ LANG: 'C', LC_ALL: 'C.UTF-8' }, false],
    [{ LANG: 'en_US.UTF-8', LC_CTYPE: 'POSIX' }, true],
    [{ LANG: 'C', LC_CTYPE: 'en_GB.UTF-8' }, false],
    [{ LANG: 'C', LC_ALL: '' }, true],
  ] as [Record<string, string>, boolean][])('%j: %s', (env, ascii) => {
    expect(asciiOnly(env)).toBe(ascii);
    expect(terminalOf(env, false, tty(80), tty(80)).ascii).toBe(ascii);
  });
});

describe('cut with ... when ascii', () => {
  it('cutToWidth and fitLastColumn keep the width, the mark three dots', () => {
    expect(cutToWidth('create: 60237 Invoice vendor account not valid', 12)).toBe('create: 602…');
    expect(cutToWidth('create: 60237 Invoice vendor account not valid', 12, 'start', true)).toBe('create: 6...');
    expect(cutToWidth('fixtures/sample-batch.csv:15', 12, 'end', true)).toBe('...ch.csv:15');
    const rows = [['a', 'outcome'], ['b', 'x'.repeat(40)]];
    fitLastColumn(rows, 20, 2, 'start', true);
    expect(rows[1]![1]).toBe('x'.repeat(14) + '...');
  });

  it("fitStatus: the spinner's line cut with ...", () => {
    const parts = [{ text: '3/7 invoices', drop: 0 }, { text: 'GOBI G-24118: creating the invoice', drop: 2, shrink: true }];
    const line = fitStatus(parts, 30, true);
    expect(line).toBe('3/7 invoices · GOBI G-24118...');
    expect(line).toHaveLength(30);
    expect(fitStatus(parts, 30)).not.toContain('...');
  });

  it('the summary on a TERM=dumb terminal 80 wide: no …, cut cells end in ...; whole in a pipe', () => {
    const term = terminalOf({ TERM: 'dumb' }, false, tty(80), tty(80));
    const text = renderHuman(mixedReport(), undefined, { width: term.outColumns, ascii: term.ascii });
    expect(text).not.toContain('…');
    expect(text.split('\n').find((l) => l.startsWith('FAILED'))).toMatch(/create: 60237 In\.\.\.$/);
    const utf8 = terminalOf({ LANG: 'en_US.UTF-8' }, false, tty(80), tty(80));
    expect(renderHuman(mixedReport(), undefined, { width: utf8.outColumns, ascii: utf8.ascii })).toMatch(/create: 60237 Invo…$/m);
  });
});

describe('the command line on a terminal that may not show …', () => {
  it('a table cell cut at 200 characters ends in ... with TERM=dumb or LANG=C, in … with a UTF-8 locale', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'il-ascii-'));
    const [header, first] = readFileSync('fixtures/sample-batch.csv', 'utf8').split('\n');
    const file = join(dir, 'long.csv');
    writeFileSync(file, `${header}\n${first!.replace('G-24118', `G${'7'.repeat(300)}`)}\n`);
    const row = async (env: Record<string, string | undefined>): Promise<string> => {
      const res = await runCli(['--dry-run', file], { env: { HOME: dir, LC_ALL: undefined, LC_CTYPE: undefined, ...env } });
      return res.stdout.split('\n').find((l) => l.startsWith('INVALID'))!;
    };
    expect(await row({ TERM: 'dumb', LANG: 'C.UTF-8' })).toContain(`G${'7'.repeat(199)}... (301 characters)`);
    expect(await row({ LANG: 'C' })).toContain(`G${'7'.repeat(199)}... (301 characters)`);
    expect(await row({ LANG: 'en_US.UTF-8' })).toContain(`G${'7'.repeat(199)}… (301 characters)`);
  });
});
