import { describe, expect, it } from 'vitest';
import { terminalOf, type StreamShape } from '../../src/cli/terminal.js';

const tty = (columns: number | undefined): StreamShape => ({ isTTY: true, columns });
const pipe: StreamShape = { isTTY: false, columns: undefined };

describe('terminalOf: a spinner and widths only for a terminal that says how wide it is', () => {
  it.each([
    ['a terminal 120 wide', {}, tty(120), true, 120],
    ['a pseudo-terminal of no size (script from cron): 0 columns', {}, tty(0), false, undefined],
    ['a terminal that reports no width', {}, tty(undefined), false, undefined],
    ['a pipe', {}, pipe, false, undefined],
    ['CI', { CI: 'true' }, tty(120), false, 120],
    ['TERM=dumb', { TERM: 'dumb' }, tty(120), false, 120],
  ] as [string, Record<string, string>, StreamShape, boolean, number | undefined][])('%s', (_name, env, err, interactive, columns) => {
    const t = terminalOf(env, false, err, err);
    expect(t.interactive).toBe(interactive);
    expect(t.errColumns).toBe(columns);
    expect(t.outColumns).toBe(columns);
  });
});

describe('terminalOf: the widths are the window\'s now', () => {
  it('a window resized during a load: the summary printed after it fits the new width', () => {
    let columns = 120;
    const live: StreamShape = {
      isTTY: true,
      get columns() {
        return columns;
      },
    };
    const t = terminalOf({}, false, live, live);
    expect([t.outColumns, t.errColumns]).toEqual([120, 120]);
    columns = 60;
    expect([t.outColumns, t.errColumns]).toEqual([60, 60]);
    expect(t.interactive).toBe(true);
  });
});

describe('terminalOf: the spinner takes colour as stderr does', () => {
  it.each([
    ['a terminal', {}, false, true],
    ['NO_COLOR (ora alone would still colour it)', { NO_COLOR: '1' }, false, false],
    ['--no-color', {}, true, false],
    ['TERM=dumb', { TERM: 'dumb' }, false, false],
  ] as [string, Record<string, string>, boolean, boolean][])('%s', (_name, env, flag, colour) => {
    expect(terminalOf(env, flag, tty(120), tty(120)).errColour).toBe(colour);
  });
});
