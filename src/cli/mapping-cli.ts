/**
 * `invoice-load mapping init|check` on the command line. The commands' code, and the profile
 * validation (zod) it needs, is imported only when one of them runs: every other run starts
 * without it.
 */
import type { Command } from 'commander';
import type { InitOptions } from './mapping-command.js';
import type { Terminal } from './terminal.js';

/** Adds `mapping init` and `mapping check` to the program. */
export function addMappingCommand(program: Command, term: Terminal): void {
  const mapping = program
    .command('mapping')
    .description("write or check a mapping profile for a vendor's layout (used with --mapping)")
    .exitOverride();
  mapping
    .command('init')
    .description('write a starting profile from a sample file: sniffed delimiter, encoding, title block, number and date style, guessed columns (each guess noted)')
    .argument('<file>', "a vendor's CSV, Excel (.xlsx), JSON or JSON Lines file")
    .option('-o, --output <path>', 'write the profile to this file instead of standard output')
    .option('--sheet <name>', 'the sheet of an .xlsx workbook (default: the first)')
    .option('--force', 'overwrite the --output file if it exists')
    .exitOverride()
    .action(async (file: string, opts: InitOptions) => {
      process.exitCode = await (await import('./mapping-command.js')).runMappingInit(file, opts, term);
    });
  mapping
    .command('check')
    .description('validate a profile: exit 0, or 2 with every problem and its JSON path')
    .argument('<profile>', 'the profile (JSON)')
    .exitOverride()
    .action(async (profile: string) => {
      process.exitCode = (await import('./mapping-command.js')).runMappingCheck(profile, term);
    });
}
