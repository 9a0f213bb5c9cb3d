/**
 * Colour and interactivity decisions, made once from the environment and the streams.
 * chalk 5 does not honour NO_COLOR (chalk#547), so it is handled here: colour is off when
 * NO_COLOR is set and non-empty, FORCE_COLOR is 0 or false, TERM=dumb, --no-color, or the stream
 * is not a terminal; any other FORCE_COLOR turns it on (clig.dev). Each stream is judged on its own.
 */
import { Chalk } from 'chalk';
import type { Style } from '../report/human.js';
import { wrapLine } from '../report/fit.js';

/**
 * A warning on standard error, `invoice-load: warning: …`, whatever --quiet says: what a
 * person must fix (a key or credentials file every user can read) is not progress.
 */
export function warnLine(line: string): void {
  process.stderr.write(`invoice-load: warning: ${line}\n`);
}

export interface Terminal {
  outStyle: Style;
  errStyle: Style;
  /** stderr is a terminal a person is watching: spinner allowed. */
  interactive: boolean;
  /** stderr takes colour (not NO_COLOR, --no-color, TERM=dumb): the spinner is coloured too. */
  errColour?: boolean | undefined;
  /** Width of stdout when it is a terminal (the summary table fits itself to it); undefined for files and pipes. */
  outColumns?: number | undefined;
  /** Width of stderr when it is a terminal (long messages there are broken at words); undefined otherwise. */
  errColumns?: number | undefined;
  /**
   * Text is cut with `...` rather than `…` (a table's cells, the spinner's line): TERM=dumb, or a
   * locale that is not UTF-8 (`asciiOnly`). The JSON, CSV and HTML outputs are not the terminal's.
   */
  ascii?: boolean | undefined;
}

/**
 * Whether the terminal may not show `…`: TERM=dumb, or a locale that names no UTF-8 (`C`,
 * `POSIX`, `en_US.ISO-8859-1`). The locale is the first of LC_ALL, LC_CTYPE and LANG that is set
 * and not empty, as POSIX reads the character type
 * (https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html); none set: UTF-8 is assumed.
 */
export function asciiOnly(env: Record<string, string | undefined>): boolean {
  if (env.TERM === 'dumb') return true;
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && !/utf-?8/i.test(locale);
}

const styleOf = (chalk: InstanceType<typeof Chalk>): Style => ({
  green: (s) => chalk.green(s),
  yellow: (s) => chalk.yellow(s),
  red: (s) => chalk.red(s),
  cyan: (s) => chalk.cyan(s),
  dim: (s) => chalk.dim(s),
  bold: (s) => chalk.bold(s),
});

export function colourLevel(env: Record<string, string | undefined>, isTTY: boolean, noColorFlag: boolean): 0 | 1 {
  if (noColorFlag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  // FORCE_COLOR=0 or false forces colour off, on a terminal too, as Node and chalk read it
  // (https://nodejs.org/api/cli.html#force_color1-2-3).
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0;
  if (env.FORCE_COLOR !== undefined) return 1;
  if (env.TERM === 'dumb') return 0;
  return isTTY ? 1 : 0;
}

export function terminal(env: Record<string, string | undefined>, noColorFlag = false): Terminal {
  const outTTY = process.stdout.isTTY === true;
  const errTTY = process.stderr.isTTY === true;
  // The widths are read when asked: a window resized during a long load gets a summary that fits it.
  return terminalOf(
    env,
    noColorFlag,
    {
      isTTY: outTTY,
      get columns() {
        return process.stdout.columns;
      },
    },
    {
      isTTY: errTTY,
      get columns() {
        return process.stderr.columns;
      },
    },
  );
}

/** What a stream says of itself: a terminal, and how wide (0 or absent when the terminal does not say). */
export interface StreamShape {
  isTTY: boolean;
  columns: number | undefined;
}

/**
 * The decisions, from the streams' shapes. A terminal that reports no width — a pseudo-terminal
 * opened without a size, as `script` run from cron, `ssh -t` from a pipe or a container's `-t`
 * give — is treated as a pipe: ora divides by the width to count the lines to clear, and with 0
 * it cleared lines without end (70 MB of escape codes in 20 s, the run never finishing).
 */
export function terminalOf(env: Record<string, string | undefined>, noColorFlag: boolean, out: StreamShape, err: StreamShape): Terminal {
  const width = (s: StreamShape): number | undefined => (s.isTTY && s.columns !== undefined && s.columns > 0 ? s.columns : undefined);
  const errLevel = colourLevel(env, err.isTTY, noColorFlag);
  return {
    outStyle: styleOf(new Chalk({ level: colourLevel(env, out.isTTY, noColorFlag) })),
    errStyle: styleOf(new Chalk({ level: errLevel })),
    interactive: width(err) !== undefined && env.TERM !== 'dumb' && !env.CI,
    errColour: errLevel > 0,
    ascii: asciiOnly(env),
    // As the streams say now (see `terminal`).
    get outColumns() {
      return width(out);
    },
    get errColumns() {
      return width(err);
    },
  };
}

/**
 * A line for stderr, with its newline: on a terminal broken between words to its width (the
 * rest led by `indent`), elsewhere (a cron log) whole.
 */
export function resultLine(term: Pick<Terminal, 'errColumns'>, line: string, indent = '  '): string {
  return wrapLine(line, term.errColumns ?? 0, indent).join('\n') + '\n';
}
