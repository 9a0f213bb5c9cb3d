/**
 * `--help` lists the options in groups: what a librarian needs every day first, then where Alma
 * is, the other targets, the tuning, the rest; a subcommand lists its own options first. No
 * option is renamed, dropped or listed twice.
 */
import { describe, expect, it } from 'vitest';
import type { Command, Option } from 'commander';
import { fullProgram, HELP_GROUPS } from '../../src/cli/main.js';
import { terminal } from '../../src/cli/terminal.js';

/** The help's sections: each heading with the option (or command) terms listed under it. */
function sections(help: string): { heading: string; terms: string[] }[] {
  const out: { heading: string; terms: string[] }[] = [];
  for (const line of help.split('\n')) {
    if (/^\S[^:]*:$/.test(line)) out.push({ heading: line, terms: [] });
    else if (/^ {2}\S/.test(line) && out.length > 0) out.at(-1)!.terms.push(line.trim().split(/\s{2,}/)[0]!);
  }
  return out;
}

const program = fullProgram(terminal({}), new Date());
const sub = (name: string): Command => program.commands.find((c) => c.name() === name)!;
const heading = (help: string, flags: string): string | undefined => sections(help).find((s) => s.terms.includes(flags))?.heading;

/** Every option the command's help should list, each exactly once. */
function listedOnce(c: Command): void {
  const help = c.helpInformation();
  const terms = sections(help)
    .filter((s) => s.heading !== 'Arguments:' && !/Commands:$/.test(s.heading))
    .flatMap((s) => s.terms);
  const visible = (c.options as Option[]).filter((o) => !o.hidden).map((o) => o.flags);
  for (const flags of visible) expect(terms.filter((t) => t === flags || t.startsWith(`${flags} `)), `${c.name()}: ${flags}`).toHaveLength(1);
  expect(terms.filter((t) => t.startsWith('-h, --help'))).toHaveLength(1);
  expect(terms).toHaveLength(visible.length + 1);
}

describe('--help groups the options', () => {
  it('the load command: Everyday, Connecting to Alma, Other systems, Tuning, Other options, in that order', () => {
    const help = program.helpInformation();
    expect(sections(help).map((s) => s.heading)).toEqual([
      'Arguments:',
      'Everyday:',
      'Connecting to Alma:',
      'Other systems (Exsited, Alguna, FOLIO):',
      'Tuning (advanced):',
      'Other options:',
      'Commands:',
    ]);
    expect(sections(help)[1]!.terms[0]).toBe('--sandbox');
    for (const flags of ['--sandbox', '-n, --dry-run', '--online', '--skip-invalid', '--mapping <file>', '--rejects <path>', '--report-csv <path>', '--json', '-q, --quiet', '-v, --verbose']) {
      expect(heading(help, flags), flags).toBe(HELP_GROUPS.everyday);
    }
    for (const flags of ['--alma-url <url>', '--region <region>', '--api-key-file <path>']) expect(heading(help, flags), flags).toBe(HELP_GROUPS.alma);
    for (const flags of ['--target <name>', '--api-url <url>', '--credentials-file <path>', '--no-approve', '--action <action>']) expect(heading(help, flags), flags).toBe(HELP_GROUPS.otherSystems);
    for (const flags of ['--rate <n>', '--concurrency <n>', '--settle <seconds>', '--check <which>', '--max-errors <n>', '--no-canary']) expect(heading(help, flags), flags).toBe(HELP_GROUPS.tuning);
    for (const flags of ['--config <path>', '-V, --version', '-h, --help']) expect(heading(help, flags), flags).toBe(HELP_GROUPS.other);
    listedOnce(program);
  });

  it("a subcommand lists its own options first, then the shared ones in the load's groups", () => {
    const help = sub('export').helpInformation();
    expect(sections(help).map((s) => s.heading)).toEqual(['Options:', 'Everyday:', 'Connecting to Alma:', 'Tuning (advanced):', 'Other options:']);
    expect(sections(help)[0]!.terms.slice(0, 3)).toEqual(['-o, --output <file>', '-n, --dry-run', '--status <status>']);
    expect(heading(help, '--mark-in-erp')).toBe('Options:');
    expect(heading(help, '--sandbox')).toBe(HELP_GROUPS.everyday);
    expect(heading(help, '--rate <n>')).toBe(HELP_GROUPS.tuning);
    expect(heading(sub('verify').helpInformation(), '--credentials-file <path>')).toBe(HELP_GROUPS.otherSystems);
    expect(heading(sub('payments').helpInformation(), '--skip-invalid')).toBe('Options:');
    for (const name of ['export', 'verify', 'payments', 'sandbox', 'config']) listedOnce(sub(name));
  });
});
