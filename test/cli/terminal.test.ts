import { describe, expect, it } from 'vitest';
import { colourLevel, terminalOf, type StreamShape } from '../../src/cli/terminal.js';

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

describe('colourLevel: FORCE_COLOR as Node and chalk read it', () => {
  it.each([
    ['a terminal', {}, true, 1],
    ['a pipe', {}, false, 0],
    ['FORCE_COLOR=1 on a pipe', { FORCE_COLOR: '1' }, false, 1],
    ['FORCE_COLOR=true on a pipe', { FORCE_COLOR: 'true' }, false, 1],
    ['FORCE_COLOR=3 on a pipe', { FORCE_COLOR: '3' }, false, 1],
    ['FORCE_COLOR empty on a pipe', { FORCE_COLOR: '' }, false, 1],
    ['FORCE_COLOR=0 on a terminal', { FORCE_COLOR: '0' }, true, 0],
    ['FORCE_COLOR=false on a terminal', { FORCE_COLOR: 'false' }, true, 0],
    ['FORCE_COLOR=0 on a pipe', { FORCE_COLOR: '0' }, false, 0],
    ['NO_COLOR wins over FORCE_COLOR=1', { NO_COLOR: '1', FORCE_COLOR: '1' }, true, 0],
  ] as [string, Record<string, string>, boolean, 0 | 1][])('%s', (_name, env, isTTY, level) => {
    expect(colourLevel(env, isTTY, false)).toBe(level);
  });

  it('FORCE_COLOR=0 on a terminal: neither the summary nor the spinner is coloured', () => {
    const t = terminalOf({ FORCE_COLOR: '0' }, false, tty(120), tty(120));
    expect(t.outStyle.green('ok')).toBe('ok');
    expect(t.errColour).toBe(false);
  });
});
