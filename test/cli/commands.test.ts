/**
 * A mistyped command name: said as one (with the command meant), not taken for an input file
 * whose options or absence the error was then about.
 */
import { describe, expect, it } from 'vitest';
import { Option } from 'commander';
import { closestCommand, firstOperand } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

const COMMANDS = ['sandbox', 'payments', 'verify', 'export', 'config', 'mapping'];

describe('closestCommand', () => {
  it.each([
    ['sandbx', 'sandbox'],
    ['payment', 'payments'],
    ['verif', 'verify'],
    ['exprot', 'export'],
    ['Config', 'config'],
    ['mapp', 'mapping'],
  ])('%s → %s', (word, name) => expect(closestCommand(word, COMMANDS)).toBe(name));
  it.each(['sandbox', 'payments', 'batch', 'invoices', 'x', 'ex', 'sandbox.csv', './verify', 'data/export', 'gobi-march'])('%s is a command or no command', (word) =>
    expect(closestCommand(word, COMMANDS)).toBeUndefined(),
  );
});

describe('firstOperand: where commander looks for a command, after the program\'s options', () => {
  const options = [new Option('--sandbox'), new Option('-n, --dry-run'), new Option('--report <path>'), new Option('--encoding <name>')];
  it.each<[string[], string | undefined]>([
    [['--sandbox', 'verfy', 'x.csv'], 'verfy'],
    [['--report', 'out.json', 'verfy', 'x.csv'], 'verfy'],
    [['--report=out.json', '-n', 'verfy'], 'verfy'],
    [['--encoding', 'latin1', '--', 'verfy'], 'verfy'],
    [['-', 'x.csv'], '-'],
    [['--sandbox', '--report', 'out.json'], undefined],
  ])('%j → %s', (args, first) => expect(firstOperand(args, options)).toBe(first));
});

describe('the CLI with a mistyped command', () => {
  it('exits 2 naming the command meant, before its options are judged', async () => {
    const res = await runCli(['sandbx', '--port', '8080']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("invoice-load: 'sandbx' is neither a command nor a file: did you mean `invoice-load sandbox`? (invoice-load --help lists the commands)\n");
  });
});
