/**
 * The command line: commander wiring, the one top-level catch, the exit code.
 * Everything below this folder takes arguments and returns values; only here are argv, env,
 * stdout/stderr and the exit code touched.
 */
import { monotonicSince } from '../common/time.js';
import { existsSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { exitCodeForError, pathError } from './exit.js';
import { distance } from '../input/mapping/names.js';
import { runLoadCommand } from './load.js';
import { terminal, type Terminal } from './terminal.js';
import { addConfigCommand, runConfigCommand } from './config-command.js';
import { addMappingCommand } from './mapping-cli.js';
import { readConfigFile, CONFIG_FILE_NAME } from './config-file.js';
import { resolveConfig, DEFAULT_CONCURRENCY, DEFAULT_RATE, REGIONS, type RawOptions } from './config.js';
import { ApiError, InterruptedError, isUnreachable, unreachableText, UsageError } from '../common/errors.js';
import { oneLine } from '../common/shown.js';
import { wrapLine } from '../report/fit.js';
import { describeTargets, TARGET_NAMES } from '../targets/registry.js';
import { ACTIONS, apiUrlHelp, credentialsFileHelp, otherSystems, sandboxExamples, targetOptions } from './target-options.js';

import { version } from './version.js';
import { apiKeyFlag, knowSecrets } from './secrets.js';
import { expandPathOptions, homeFolder, PATH_OPTIONS } from './home.js';
import { maskMessage } from '../common/shown-secrets.js';
import { maskQuotedSecrets } from '../common/mask.js';

/**
 * The headings `--help` lists the options under, in this order: what a run needs every day, then
 * where Alma is, the other targets, the tuning few need, and the rest. A subcommand lists its own
 * options first, under commander's `Options:`.
 */
export const HELP_GROUPS = {
  everyday: 'Everyday:',
  alma: 'Connecting to Alma:',
  otherSystems: `Other systems (${otherSystems()}):`,
  tuning: 'Tuning (advanced):',
  other: 'Other options:',
} as const;

/**
 * The load command's examples and exit codes, after its options. Each line fits 80 columns, as
 * the options commander wraps do (clig.dev, "Help"): a command too long for one is continued
 * with a backslash, as a shell takes it; prose is broken at words (`fitHelpText`).
 */
const EXAMPLES = `
Examples:
  Check a vendor file without sending anything:
    $ invoice-load --dry-run batch.csv
  ...and against Alma's vendors, funds, PO lines and invoices (read-only), with the load's cost:
    $ ALMA_API_KEY=... invoice-load --region eu --dry-run --online batch.csv
${sandboxExamples()}  Try the whole flow in the embedded Alma sandbox (no account needed):
    $ invoice-load --sandbox fixtures/sample-batch.csv
  Load into Alma (key from the environment or a file, never a flag):
    $ ALMA_API_KEY=... invoice-load --region eu batch.csv
    $ invoice-load --region na --api-key-file ~/.config/alma.key \\
        --report out/report.json batch.csv
  From cron: machine-readable report on stdout, progress lines on stderr:
    $ invoice-load --region eu --json --api-key-file /etc/invoice-load/key \\
        nightly/*.csv > report.json
  Reports for people: a spreadsheet and a web page to open or mail:
    $ invoice-load --sandbox --report-csv out/report.csv \\
        --report-html out/report.html fixtures/sample-batch.csv
  A vendor's own layout (other column names, decimal commas, DD.MM.YYYY): write a profile once, then use it:
    $ invoice-load mapping init vendor-export.csv -o vendor.json
    $ invoice-load --dry-run --mapping vendor.json vendor-export.csv
  After the load: hand the invoices to finance, then load its payment confirmations back:
    $ invoice-load export --sandbox --mark-in-erp -o out/to-finance.csv
    $ invoice-load payments --sandbox fixtures/round-trip/payments.csv
  Keep settings in ${CONFIG_FILE_NAME} (or --config <path>), and check what a run would use:
    $ invoice-load config
    $ invoice-load --config /etc/invoice-load/config.json nightly/*.csv

Exit codes:
  0    all loaded
  1    internal error
  2    usage or configuration
  3    invalid input, nothing sent
  4    some invoices failed (the summary says what to do: fix the file, or re-run the same command)
  5    API key refused
  130  interrupted
`;

/**
 * Help text after the options, each line broken at words to `width` columns under its own
 * indent (an exit code's words under its words, not under the code); a command line (`$ …`) is
 * left as written, continued by hand.
 */
export function fitHelpText(text: string, width = 80): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if (/^\s*\$ /.test(line)) return [line];
      const hang = /^ *(?:\d+ +)?/.exec(line)![0];
      return wrapLine(line, width, ' '.repeat(hang.length));
    })
    .join('\n');
}

export function buildProgram(onLoad: (files: string[], opts: RawOptions) => Promise<number>, onSandbox: (opts: Record<string, string | boolean | undefined>) => Promise<number>): Command {
  const program = new Command('invoice-load');
  program
    // `sandbox` has options of the same name as the load command's (--api-key-file): each command parses its own
    .enablePositionalOptions()
    .description('Load vendor invoice batch files (CSV, Excel, JSON, JSON Lines) into Ex Libris Alma, exactly once.')
    .argument('[files...]', 'CSV, Excel (.xlsx), JSON or JSON Lines files; - reads standard input')
    // The help lists the options in groups, what a librarian needs on every run first (commander's
    // option help groups, https://github.com/tj/commander.js#help-groups); the names are unchanged.
    .optionsGroup(HELP_GROUPS.everyday)
    .option('--sandbox', 'load into the embedded Alma sandbox (no account or key needed)')
    .option('-n, --dry-run', 'check and plan only: nothing is sent')
    .option('--online', 'with --dry-run: also check vendors, funds, PO lines, codes and existing invoices in Alma (read-only) and estimate the cost')
    .option('--show-payloads', 'show the exact JSON that would be sent for each invoice')
    .option('--skip-invalid', 'load the valid invoices even when others are invalid')
    .option('--mapping <file>', "a vendor layout's profile: column names, constants, value maps, number and date style (start one with: invoice-load mapping init <file>)")
    .option('--encoding <name>', 'input encoding: utf-8, windows-1252, latin1, utf-16le', 'utf-8')
    .option('--sheet <name>', 'the sheet of an .xlsx workbook to read (default: the first)')
    .option('--json', 'print the report document (JSON) on stdout instead of the summary')
    .option('--report <path>', 'also write the report document to this file (atomically)')
    .option('--report-csv <path>', 'also write the report as CSV, one row per invoice, for a spreadsheet')
    .option('--report-html <path>', 'also write the report as a self-contained web page to open or mail')
    .option('--rejects <path>', "write the rows of invalid and failed invoices here, in the input's layout with error_code and error_message, to correct and load again")
    .option('-q, --quiet', 'no progress; only the summary and errors')
    .option('-v, --verbose', 'show retries, pacing and every invoice')
    .optionsGroup(HELP_GROUPS.alma)
    .option('--alma-url <url>', 'Alma API base URL, scheme and host (/almaws/v1 is added); or ALMA_API_URL')
    .addOption(new Option('--region <region>', 'hosted Alma region').choices([...REGIONS]))
    .option('--api-key-file <path>', 'read the API key from this file (otherwise ALMA_API_KEY)')
    .optionsGroup(HELP_GROUPS.otherSystems)
    .addOption(new Option('--target <name>', `where invoices go: ${describeTargets(true)}`).choices([...TARGET_NAMES]))
    .option('--api-url <url>', apiUrlHelp())
    .option('--credentials-file <path>', credentialsFileHelp());
  // Each target's own options (its definition's `options`), beside the other targets' settings.
  for (const { option } of targetOptions()) program.addOption(option);
  program
    .addOption(new Option('--action <action>', 'Exsited batch action on invoices already loaded, instead of a load').choices([...ACTIONS]))
    .option('--effective-date <date>', 'the action\'s effective date, YYYY-MM-DD (default today)')
    .optionsGroup(HELP_GROUPS.tuning)
    .option('--rate <n>', `most requests per second (default ${DEFAULT_RATE})`)
    .option('--concurrency <n>', `most invoices in flight at once (default ${DEFAULT_CONCURRENCY}); below it, as many as --rate × the observed latency needs`)
    .option('--timeout <seconds>', 'time to wait for one answer, and for an Alma that answered before to come back (default 30)')
    .option('--max-retries <n>', 'retries of one safe request (default 4)')
    .option('--poll-timeout <seconds>', 'how long to wait for Alma to finish processing an invoice (default 60)')
    .option('--settle <seconds>', "how long Alma's searches may take to show a new invoice (default: measured on the first invoice created, 2 to 30)")
    .option('--check <which>', "Alma's read-only checks a load runs before the first write: default (each kind within 0.5 requests per invoice, or within 20), all, none")
    .option('--no-canary', 'do not compare the first invoice as the target stored it with what was sent before sending the others')
    .option('--max-errors <n>', 'after n refusals by Alma with the same code in a row, or n invoices in a row failing without a definite answer, start no new invoice (default 10; 0 = no limit)')
    .addOption(new Option('--no-fsync', 'do not fsync the journal after each entry (benchmarks only)').hideHelp())
    .optionsGroup(HELP_GROUPS.other)
    .option('--config <path>', `settings file (default: ./${CONFIG_FILE_NAME} when present); flags and environment win over it`)
    .option('--state-dir <dir>', 'where journals live (or INVOICE_LOAD_STATE_DIR; default: XDG state dir)')
    .option('--no-color', 'no colour in the output (also NO_COLOR)')
    .version(version, '-V, --version')
    .addHelpText('after', fitHelpText(EXAMPLES))
    // `invoice-load help [command]`: commander adds it by itself only to a program without an
    // action, and this one's action takes files, so `help` was read as a file to load.
    .helpCommand(true)
    .showSuggestionAfterError()
    .action(async (files: string[], opts: RawOptions) => {
      process.exitCode = await onLoad(files, opts);
    });

  program
    .command('sandbox')
    .description('run the embedded Alma-compatible sandbox server (for tests, demos and scripts)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <path>', 'seed file with vendors, funds, PO lines and code tables (default: fixtures/sandbox-seed.json)')
    .option('--state <path>', 'keep the sandbox state in this file between runs')
    .option('--per-second <n>', 'per-second request threshold (429 PER_SECOND_THRESHOLD above it)')
    .option('--daily <n>', 'daily request threshold')
    .option('--latency <ms>', 'added latency per answer')
    .option('--process-delay <ms>', 'how long processing takes to settle')
    .option('--index-lag <ms>', 'how long a new invoice or line stays out of searches and lists (reads by id show it at once)')
    .option('--allow-duplicates', "allow one vendor's invoice number twice (Alma's invoice_not_unique=true)")
    .option('--no-handle-invoice-payment', "Alma's handle_invoice_payment off: op=mark_in_erp closes the invoice instead of leaving it waiting for payment")
    .option('--attachment-max-bytes <n>', 'largest invoice attachment accepted (default 8388608; larger: 60322)')
    .option('--api-key-file <path>', 'accept only the key in this file (otherwise any key)')
    .option('--read-only-key-file <path>', 'accept the key in this file for reading only: its writes are refused as a read-only Alma key\'s are')
    .option('--drop-field <list>', 'store invoices without these fields (note, total_amount, line.price, …): what Alma does with a key it does not know; to see the canary stop a load')
    .option('--alter-field <list>', 'store these fields with another value than sent (a number + 1, a date a day later, a text changed)')
    .option('--fault-rate <p>', 'probability of a fault per request (0..1)')
    .option('--fault-kinds <list>', 'comma-separated fault kinds to draw from')
    .option('--fault-steps <list>', 'comma-separated steps random faults may hit (lookup,create,line,process,poll,read; default all)')
    .option('--random-seed <n>', 'seed for faults and ids')
    .addOption(new Option('--target <name>', `which API to emulate: ${describeTargets(false)}`).choices([...TARGET_NAMES]))
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await onSandbox(opts);
    });
  return program;
}

/**
 * Options `payments`, `verify` and `export` share with a load: where Alma is, pace, state,
 * output. `--dry-run` is each writing command's own (`verify` only reads). Added after the
 * command's own options, which its help lists first; `targets` adds options about the other
 * targets, under their heading.
 */
function lifecycleOptions(c: Command, targets?: (c: Command) => Command): Command {
  c.optionsGroup(HELP_GROUPS.everyday)
    .option('--sandbox', 'use the embedded Alma sandbox (no account or key needed)')
    .option('--json', 'print the report document (JSON) on stdout instead of the summary')
    .option('--report <path>', 'also write the report document to this file (atomically)')
    .option('-q, --quiet', 'no progress; only the summary and errors')
    .option('-v, --verbose', 'say more')
    .optionsGroup(HELP_GROUPS.alma)
    .option('--alma-url <url>', 'Alma API base URL, scheme and host (/almaws/v1 is added); or ALMA_API_URL')
    .addOption(new Option('--region <region>', 'hosted Alma region').choices([...REGIONS]))
    .option('--api-key-file <path>', 'read the API key from this file (otherwise ALMA_API_KEY)');
  if (targets !== undefined) targets(c.optionsGroup(HELP_GROUPS.otherSystems));
  return c
    .optionsGroup(HELP_GROUPS.tuning)
    .option('--rate <n>', `most requests per second (default ${DEFAULT_RATE})`)
    .option('--concurrency <n>', 'most invoices in flight at once')
    .option('--timeout <seconds>', 'time to wait for one answer, and for an Alma that answered before to come back (default 30)')
    .option('--max-retries <n>', 'retries of one safe request (default 4)')
    .option('--poll-timeout <seconds>', 'how long to read an invoice for the effect of an operation Alma accepted without showing it (default 60), and of one whose answer was lost (at most 10)')
    .addOption(new Option('--no-fsync', 'do not fsync the journal after each entry (benchmarks only)').hideHelp())
    .optionsGroup(HELP_GROUPS.other)
    .option('--config <path>', `settings file (default: ./${CONFIG_FILE_NAME} when present)`)
    .option('--state-dir <dir>', 'where journals live (or INVOICE_LOAD_STATE_DIR)')
    .option('--no-color', 'no colour in the output (also NO_COLOR)')
    .helpOption('-h, --help', 'display help for command');
}

function addLifecycleCommands(program: Command, here: () => string): void {
  // Resolved when the command starts: its time is the report's `started`.
  const config = (files: string[], opts: RawOptions): ReturnType<typeof resolveConfig> => ({
    ...resolveConfig(files, opts, process.env, here(), readConfigFile(opts.config, here())),
    startedAt: new Date(),
    sinceStart: monotonicSince(),
  });
  lifecycleOptions(
    program
      .command('payments')
      .description("load the finance system's payment confirmations back into Alma: op=paid or op=rejected, each invoice exactly once")
      .argument('<files...>', 'CSV, Excel (.xlsx), JSON or JSON Lines: invoice_id or vendor + invoice_number, payment_status (paid|rejected), voucher_number, voucher_date, voucher_amount, voucher_currency, note')
      .option('-n, --dry-run', 'check only: nothing is changed')
      .option('--online', 'with --dry-run: also find each invoice in Alma and check its status takes the answer (read-only)')
      .option('--skip-invalid', 'send the valid rows even when others are invalid')
      .option('--encoding <name>', 'input encoding: utf-8, windows-1252, latin1, utf-16le', 'utf-8')
      .option('--sheet <name>', 'the sheet of an .xlsx workbook to read (default: the first)'),
  ).action(async (files: string[], opts: RawOptions) => {
    const { runPayments } = await import('./payments.js');
    process.exitCode = await runPayments(config(files, opts), terminal(process.env, opts.color === false));
  });
  lifecycleOptions(
    program
      .command('verify')
      .description('read only: compare what Alma (or the --target) holds for a batch already loaded with the batch, field by field (exit 0 when everything matches, 4 when something differs or is missing)')
      .argument('<files...>', 'the batch files as loaded (CSV, Excel, JSON, JSON Lines)')
      .option('--encoding <name>', 'input encoding: utf-8, windows-1252, latin1, utf-16le', 'utf-8')
      .option('--sheet <name>', 'the sheet of an .xlsx workbook to read (default: the first)')
      .option('--mapping <file>', "the vendor layout's profile the batch was loaded with"),
    // Where the batch was loaded, as the load command takes it: the journal and the look-up are the target's own.
    (c) =>
      c
        .addOption(new Option('--target <name>', `where the batch was loaded: ${describeTargets(false)}`).choices([...TARGET_NAMES]))
        .option('--api-url <url>', apiUrlHelp())
        .option('--credentials-file <path>', credentialsFileHelp()),
  ).action(async (files: string[], opts: RawOptions) => {
    const { runVerify } = await import('./verify.js');
    process.exitCode = await runVerify(config(files, opts), terminal(process.env, opts.color === false));
  });
  lifecycleOptions(
    program
      .command('export')
      .description('write the invoices waiting to be sent to the finance system to a CSV or JSON file, and optionally mark each in Alma (op=mark_in_erp), exactly once')
      .requiredOption('-o, --output <file>', 'the file to write (.csv or .json; see --format)')
      .option('-n, --dry-run', 'check only: nothing is changed')
      .option('--status <status>', "the workflow status to export (Alma's code)", 'Waiting to be Sent')
      .addOption(new Option('--format <format>', 'csv or json (default: by the file extension)').choices(['csv', 'json']))
      .option('--mark-in-erp', 'after the file is safely written, mark each exported invoice in Alma (op=mark_in_erp); only with the default --status')
      .option('--replace', 'replace an output file that still holds the invoices an earlier --mark-in-erp run marked (the finance system reads it in place)'),
  ).action(async (opts: RawOptions & { output: string; status: string; format?: 'csv' | 'json'; markInErp?: boolean; replace?: boolean }) => {
    const { runExport } = await import('./export.js');
    const { workflowStatusCode } = await import('../targets/alma/erp.js');
    const status = workflowStatusCode(opts.status);
    // Nothing is read: the output stands in for the input list resolveConfig checks.
    const cfg = config([opts.output], opts);
    process.exitCode = await runExport(cfg, terminal(process.env, opts.color === false), {
      output: opts.output,
      status,
      format: opts.format,
      markInErp: opts.markInErp === true,
      replace: opts.replace === true,
    });
  });
}

/**
 * The command a word not found as a file was probably meant to be: within two edits of a
 * command's name (Levenshtein), or the start of one; never a word that looks like a path.
 */
export function closestCommand(word: string, names: readonly string[]): string | undefined {
  if (/[./\\]/.test(word) || word.length < 3 || names.includes(word)) return undefined;
  const w = word.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = name.startsWith(w) ? 1 : distance(w, name);
    if (d <= 2 && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * The first word of `args` that is neither an option nor an option's value: where commander
 * looks for a command, which may follow the program's options (`--sandbox verify x.csv`). A
 * value written apart (`--report out.json`) is skipped for an option that takes one; `--` ends
 * the options. Undefined when there is no such word.
 */
export function firstOperand(args: readonly string[], options: readonly Pick<Option, 'long' | 'short' | 'required' | 'optional'>[]): string | undefined {
  const takesValue = new Set<string>();
  for (const o of options) {
    if (!o.required && !o.optional) continue;
    if (o.long !== undefined) takesValue.add(o.long);
    if (o.short !== undefined) takesValue.add(o.short);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (a === '-' || !a.startsWith('-')) return a;
    if (!a.includes('=') && takesValue.has(a)) i++;
  }
  return undefined;
}

/**
 * The working directory, read once by `main` before any command: a folder removed under the shell
 * (`rm -rf` of the folder a cron job or a terminal stands in) made Node's process.cwd() throw
 * ENOENT, and the run ended on a raw stack trace and exit 1. Relative paths, the config file and
 * the key file are all found from it, so the run stops as a usage error (exit 2, docs: README
 * "Exit codes") rather than guess another folder.
 */
export function workingDir(cwd: () => string = () => process.cwd()): string {
  try {
    return cwd();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('the working directory no longer exists; cd somewhere and run again');
    throw err;
  }
}

/** The program with every command, as `main` runs it; `here`: the working directory (`workingDir`). */
export function fullProgram(term: Terminal, startedAt: Date, here: () => string = () => workingDir(), sinceStart: () => number = monotonicSince()): Command {
  const program = buildProgram(
    (files, opts) => runLoadCommand({ ...resolveConfig(files, opts, process.env, here(), readConfigFile(opts.config, here())), startedAt, sinceStart }, terminal(process.env, opts.color === false)),
    // Loaded on demand, like the sending half of runLoadCommand: the servers are not needed to check a file.
    async (opts) => (await import('./sandbox-command.js')).runSandboxCommand(opts, term),
  );
  addLifecycleCommands(program, here);
  addConfigCommand(program, (opts) => runConfigCommand(opts, term, here()));
  addMappingCommand(program, term);
  // `~` at the start of a path option is the home folder, for every command (home.ts
  // expandPathOptions): a shell leaves `--report=~/r.json` as written, and crontab every `~`.
  program.hook('preAction', (_hooked, command) => {
    const flags = Object.fromEntries(command.options.map((o) => [o.attributeName(), o.long ?? o.flags]));
    const given = command.opts();
    const expanded = expandPathOptions(given, flags, () => homeFolder(process.env));
    for (const name of PATH_OPTIONS) {
      if (expanded[name] !== given[name]) command.setOptionValueWithSource(name, expanded[name], command.getOptionValueSource(name)!);
    }
  });
  // The program's --help with the other options at the end; set after its subcommands are made,
  // which would take it over, so theirs stays under their own options.
  program.addHelpOption(new Option('-h, --help', 'display help for command').helpGroup(HELP_GROUPS.other));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const term = terminal(process.env);
  // Read once, in the try below (`workingDir`): every command finds its paths from it.
  let cwd: string | undefined;
  const program = fullProgram(term, new Date(), () => cwd ?? workingDir());
  // Every command, subcommands included, throws instead of exiting, so the catch below is the
  // one place that decides the exit code (an unknown flag of `sandbox` is a usage error too).
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride();
    c.configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      // Commander says `error: …`; every other message of the tool begins with its name.
      outputError: (s, write) => write(term.errStyle.red(maskMessage(maskQuotedSecrets(s.replace(/^error: /, 'invoice-load: '))))),
    });
  }
  try {
    cwd = workingDir();
    // The messages of this run never show the current target's secrets (cli/secrets.ts).
    knowSecrets(process.env, argv.slice(2), cwd);
    const keyFlag = apiKeyFlag(argv.slice(2));
    if (keyFlag !== undefined) {
      throw new UsageError(`${keyFlag} is not an option: the API key is never a flag value; set ALMA_API_KEY or use --api-key-file <path>`);
    }
    // A mistyped command name (`sandbx --port 8080`) was taken for an input file, and the error
    // was about its options or a missing file: said as what it is.
    const first = firstOperand(argv.slice(2), program.options);
    if (first !== undefined && !existsSync(first)) {
      const meant = closestCommand(first, program.commands.map((c) => c.name()));
      if (meant !== undefined) throw new UsageError(`'${oneLine(first)}' is neither a command nor a file: did you mean \`invoice-load ${meant}\`? (invoice-load --help lists the commands)`);
    }
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (caught) {
    const err = pathError(caught) ?? caught;
    const code = exitCodeForError(err);
    if (err instanceof CommanderError) return code; // commander already printed its one-line message
    if (err instanceof UsageError) {
      process.stderr.write(term.errStyle.red(maskMessage(`invoice-load: ${err.message}`)) + '\n');
    } else if (err instanceof InterruptedError) {
      process.stderr.write(term.errStyle.yellow(maskMessage(`invoice-load: ${err.message}`)) + '\n');
    } else if (err instanceof ApiError) {
      // A refused key or the daily threshold outside the engine (e.g. during a preflight): Alma's words, its code and tracking id.
      const tracking = err.trackingId ? ` (tracking id ${err.trackingId})` : '';
      const text = isUnreachable(err) ? unreachableText(err, 'the target') : `${err.code}: ${err.message}${tracking}`;
      process.stderr.write(term.errStyle.red(maskMessage(`invoice-load: ${text}`)) + '\n');
    } else {
      // A bug, not a user mistake: say so plainly; the trace only on request (changesets' InternalError pattern).
      const e = err as Error;
      const verbose = argv.includes('--verbose') || argv.includes('-v');
      process.stderr.write(
        maskMessage(
          term.errStyle.red(`invoice-load: internal error: ${e?.message ?? String(err)}`) +
            '\nThis is a bug in invoice-load; please report it with the command you ran' +
            (verbose ? ` and this trace:\n${e?.stack ?? ''}\n` : ' (run again with --verbose to see the trace).\n'),
        ),
      );
    }
    return code;
  }
}
