/**
 * `--help` fits an 80-column terminal, for the load command and every subcommand: the options
 * commander wraps, and the examples and exit codes written after them (main.ts `fitHelpText`).
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { fitHelpText, fullProgram } from '../../src/cli/main.js';
import { terminal } from '../../src/cli/terminal.js';

/** Every command's full help as printed on an 80-column terminal, by its name. */
function helps(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (c: Command, name: string): void => {
    let text = '';
    c.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s), getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
    c.outputHelp();
    out.push([name, text]);
    for (const sub of c.commands) walk(sub, `${name} ${sub.name()}`);
  };
  walk(fullProgram(terminal({}), new Date()), 'invoice-load');
  return out;
}

describe('--help fits 80 columns', () => {
  it.each(helps())('%s --help: every line 80 columns or fewer', (_name, text) => {
    expect(text).toContain('Usage:');
    const wide = text.split('\n').filter((l) => [...l].length > 80);
    expect(wide).toEqual([]);
  });

  it('the load command keeps its examples whole: a long command continued with a backslash, the exit codes one a line', () => {
    const text = helps()[0]![1];
    expect(text).toContain('    $ invoice-load --region na --api-key-file ~/.config/alma.key \\\n        --report out/report.json batch.csv\n');
    expect(text).toContain('Exit codes:\n  0    all loaded\n');
    expect(text).toContain('  4    some invoices failed (the summary says what to do: fix the file, or\n       re-run the same command)\n');
  });

  it('fitHelpText breaks prose at words under its indent, and leaves a command line as written', () => {
    const long = `  ${'word '.repeat(20).trim()}:`;
    expect(fitHelpText(long).split('\n').map((l) => l.length)).toEqual([76, 27]);
    expect(fitHelpText(long).split('\n')[1]).toMatch(/^ {2}word/);
    const cmd = `    $ invoice-load ${'--x '.repeat(25)}`;
    expect(fitHelpText(cmd)).toBe(cmd);
  });
});
