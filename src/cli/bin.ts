import { main } from './main.js';
import { releaseHungUpTerminal, terminalsNow } from './interrupts.js';

// A terminal that hangs up during the run (SIGHUP: README "Exit codes", 130) must not turn the
// exit into Node's own abort as it resets that terminal (interrupts.ts releaseHungUpTerminal).
const wasTty = terminalsNow();
process.on('exit', () => releaseHungUpTerminal(wasTty));

// A reader that stops early (`invoice-load --dry-run --json big.csv | head`) closes the pipe.
// The rest of the output has nowhere to go, which is no failure of the run: its exit code
// stands, and no stack trace is printed. Node ignores SIGPIPE, so this is an 'error' event.
// Any other failure (ENOSPC: `--json > report.json` on a full disk) loses what the run had to
// say, so a run that was otherwise a success exits 1, as a failed write makes GNU tools do.
let outputFailed = false;
let ended = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
  if (!outputFailed) process.stderr.write(`invoice-load: cannot write to standard output (${err.code ?? err.message})\n`);
  outputFailed = true;
  // The report is flushed after main() returns: the failure often comes after the code is set.
  if (ended && !process.exitCode) process.exitCode = 1;
});

// The same for the progress and summary lines on stderr (`2>&1 | head`, a pager quit early): a
// run that lost its audience still finishes, and its exit code is the run's, not a crash's 1.
// Nothing can be said about a standard error that fails for another reason.
process.stderr.on('error', () => undefined);

// process.exitCode, not process.exit(): exit() can cut off output still being written to a pipe.
const code = await main(process.argv);
ended = true;
process.exitCode = outputFailed && code === 0 ? 1 : code;
