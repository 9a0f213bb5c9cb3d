/**
 * A mistyped command name: said as one (with the command meant), not taken for an input file
 * whose options or absence the error was then about.
 */
import { describe, expect, it } from 'vitest';
import { closestCommand } from '../../src/cli/main.js';
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

describe('the CLI with a mistyped command', () => {
  it('exits 2 naming the command meant, before its options are judged', async () => {
    const res = await runCli(['sandbx', '--port', '8080']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("invoice-load: 'sandbx' is neither a command nor a file: did you mean `invoice-load sandbox`? (invoice-load --help lists the commands)\n");
  });
});
