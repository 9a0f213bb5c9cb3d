import { describe, expect, it } from 'vitest';
import { misnamedOutputs } from '../../src/cli/outputs.js';

describe('output paths that name another kind of file, or one file twice', () => {
  it.each([
    ['the usual names', { reportPath: 'r.json', reportCsvPath: 'r.csv', reportHtmlPath: 'r.html', rejectsPath: 'rejects.csv' }, []],
    ['names without an ending, or another one', { reportPath: 'report', reportCsvPath: 'r.txt', reportHtmlPath: 'r.xhtml', rejectsPath: 'r.tsv' }, []],
    ['--report under a web page\'s name', { reportPath: 'out/Report.HTML' }, ['--report out/Report.HTML: --report writes the JSON report document, not a web page; --report-html writes that']],
    ['--report under a spreadsheet\'s name', { reportPath: 'r.csv' }, ['--report r.csv: --report writes the JSON report document, not CSV; --report-csv writes that']],
    ['--report-csv as JSON', { reportCsvPath: 'r.json' }, ['--report-csv r.json: --report-csv writes the report as CSV, not JSON; --report writes that']],
    ['--report-html as CSV', { reportHtmlPath: 'r.csv' }, ['--report-html r.csv: --report-html writes the report as a web page, not CSV; --report-csv writes that']],
    ['--rejects as a web page', { rejectsPath: 'bad.htm' }, ['--rejects bad.htm: --rejects writes the rejected rows as CSV, not a web page; --report-html writes that']],
    [
      'one file for two outputs, however it is written',
      { reportPath: 'r.txt', reportHtmlPath: './sub/../r.txt' },
      ['--report-html ./sub/../r.txt: --report writes that file too; give each its own'],
    ],
  ] as [string, Parameters<typeof misnamedOutputs>[0], string[]][])('%s', (_name, paths, problems) => {
    expect(misnamedOutputs(paths)).toEqual(problems);
  });

  it.each([
    ['payments --report as CSV: no --report-csv to name', { reportPath: 'paid.csv' }, [], ['--report'], ['--report paid.csv: --report writes the JSON report document, not CSV; name it .json']],
    ['verify --report as a web page', { reportPath: 'v.html' }, [], ['--report'], ['--report v.html: --report writes the JSON report document, not a web page; name it .json']],
    ['export: -o and --report on one file', { reportPath: 'erp.json' }, [['--output', './erp.json']], ['--report', '--output'], ['--output ./erp.json: --report writes that file too; give each its own']],
    ['export -o under any name is the export file', { reportPath: 'r.json' }, [['--output', 'erp.csv']], ['--report', '--output'], []],
  ] as [string, Parameters<typeof misnamedOutputs>[0], [string, string][], string[], string[]][])('%s', (_name, paths, more, offered, problems) => {
    expect(misnamedOutputs(paths, more, offered)).toEqual(problems);
  });
});
