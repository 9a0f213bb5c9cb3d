import { describe, expect, it } from 'vitest';
import { clockDuration, createProgress, fitStatus, resumeLine, runningStatus, timeText, type StatusPart } from '../../src/cli/progress.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { resultLine } from '../../src/cli/terminal.js';
import { plainStyle } from '../../src/report/human.js';

/**
 * ora as the spinner's tests see it: every text it is given, in order (`texts`), and how many
 * spinners were made (`made`).
 */
function recordingOra(): { ora: never; texts: string[]; made: () => number; colours: (string | false | undefined)[] } {
  const texts: string[] = [];
  const colours: (string | false | undefined)[] = [];
  let made = 0;
  const ora = (opts: { text: string; color?: string | false }) => {
    made++;
    texts.push(opts.text);
    colours.push(opts.color);
    const spinner = {
      isSpinning: true,
      set text(t: string) {
        texts.push(t);
      },
      start: () => spinner,
      stop: () => undefined,
      clear: () => undefined,
      render: () => undefined,
    };
    return spinner;
  };
  return { ora: ora as never, texts, made: () => made, colours };
}

describe('time on the terminal', () => {
  it.each([
    [0, '0:00'],
    [59_400, '0:59'],
    [61_000, '1:01'],
    [3_725_000, '1:02:05'],
  ])('clockDuration(%i) = %s', (ms, text) => expect(clockDuration(ms)).toBe(text));

  it('elapsed, this run\'s pace and the time left; estimating before the first invoice; no time left at the end', () => {
    expect(timeText(3_000, 0, 300, 0)).toBe('0:03 elapsed · time left: estimating');
    expect(timeText(42_000, 140, 300, 0)).toBe('0:42 elapsed · 3.3 invoices/s · about 0:48 left');
    // Invoices finished by an earlier run do not make this one look faster.
    expect(timeText(60_000, 110, 120, 100)).toBe('1:00 elapsed · 10.0 invoices/min · about 1:00 left');
    expect(timeText(90_000, 300, 300, 0)).toBe('1:30 elapsed · 3.3 invoices/s');
  });

  it('a line longer than a terminal is broken between words; a cron log keeps it whole', () => {
    const note = 'not checked before sending: PO lines (60 look-ups would pass the default budget (0.5 requests per invoice, at least 20); --check all runs them)';
    let out = '';
    const tty = { isTTY: true, columns: 60, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    createProgress({ stream: tty, interactive: true, quiet: false, verbose: false, style: plainStyle }).info(note);
    expect(out).toBe('not checked before sending: PO lines (60 look-ups would pass\n  the default budget (0.5 requests per invoice, at least\n  20); --check all runs them)\n');
    let log = '';
    const pipe = { write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
    createProgress({ stream: pipe, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 }).info(note);
    expect(log.split('\n')).toHaveLength(2);
  });

  it("export's and payments' lines: broken between words on a terminal, whole in a cron log", () => {
    const line = '[1/3] HARRAS HA-2025-00520: failed — NOT_FOUND: Alma holds no invoice HA-2025-00520 from HARRAS';
    expect(resultLine({ errColumns: 60 }, line)).toBe('[1/3] HARRAS HA-2025-00520: failed — NOT_FOUND: Alma holds\n  no invoice HA-2025-00520 from HARRAS\n');
    expect(resultLine({ errColumns: undefined }, line)).toBe(line + '\n');
  });

  it("a notice from the engine (the run's lines go one at a time from now on) is one line, terminal or cron log", () => {
    const message = 'Alma refused a line sent while others of its invoice were on their way: it is sent again alone, and lines go one at a time for the rest of the run';
    let log = '';
    const pipe = { write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
    createProgress({ stream: pipe, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 }).onEvent({ type: 'notice', message });
    expect(log).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:Z|[+-]\\d\\d:\\d\\d) ${message}\n$`));
  });

  it("a create refused as a duplicate says so, not that its answer was lost; a lost answer still says lost; an earlier run's unanswered write says that", () => {
    const key = { vendor: 'ACME', number: 'INV-1' };
    const said = (e: EngineEvent): string => {
      let log = '';
      const pipe = { write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
      createProgress({ stream: pipe, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 }).onEvent(e);
      return log;
    };
    const dup = said({ type: 'reconcile', key, step: 'create', reason: '60288: Invoice number not unique', duplicate: true });
    expect(dup).toMatch(/ {2}INV-1: create refused, the number exists already \(60288: Invoice number not unique\); looking in Alma for the invoice that holds it before anything else is sent\n$/);
    expect(dup).not.toMatch(/answer lost/);
    expect(said({ type: 'reconcile', key, step: 'create', reason: 'ECONNRESET: socket hang up' })).toMatch(/INV-1: create answer lost \(ECONNRESET: socket hang up\); asking Alma whether it took effect/);
    // Nothing was lost in this run: an earlier one stopped before the answer came.
    const earlier = said({ type: 'reconcile', key, step: 'lines', reason: 'an earlier run sent its line 2 and never learned whether it took effect', earlier: true });
    expect(earlier).toMatch(/ {2}INV-1: an earlier run sent its line 2 and never learned whether it took effect; asking Alma before anything is sent again\n$/);
    expect(earlier).not.toMatch(/answer lost/);
  });

  it("the canary's pass is one line in a cron log, saying what showed it; a difference is left to the stop's line; nothing on a quiet terminal", () => {
    const key = { vendor: 'GOBI', number: 'G-24118' };
    const run = (interactive: boolean, verbose: boolean, events: EngineEvent[]): string => {
      let log = '';
      const stream = { isTTY: interactive, columns: 200, write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
      const p = createProgress({ stream, interactive, quiet: false, verbose, style: plainStyle, now: () => 0 });
      for (const e of events) p.onEvent(e);
      return log;
    };
    const passed = (compared: 'answers' | 'read_back'): EngineEvent => ({ type: 'canary', key, id: '531', passed: true, differences: 0, compared });
    expect(run(false, false, [passed('answers')])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) GOBI G-24118 is in Alma as in the file \(as Alma's answers to its create and lines show\); loading the other invoices now\n$/);
    expect(run(false, false, [passed('read_back')])).toMatch(/G-24118 is in Alma as in the file \(read back from Alma\)/);
    expect(run(false, false, [{ type: 'canary', key, id: '531', passed: false, differences: 1, compared: 'read_back' }])).toBe('');
    expect(run(true, false, [passed('answers')])).toBe('');
    expect(run(true, true, [passed('answers')])).toMatch(/G-24118 is in Alma as in the file/);
  });

  it('plain progress lines start with the ISO 8601 local time and its offset (a cron log kept for days)', () => {
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const at = new Date(2026, 2, 4, 9, 5, 7).getTime();
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => at });
    p.info('loading into the embedded sandbox');
    expect(out).toMatch(/^2026-03-04T09:05:07(?:Z|[+-]\d\d:\d\d) loading into the embedded sandbox\n$/);
  });
});

describe('the spinner line fits the terminal', () => {
  const parts: StatusPart[] = [
    { text: '12/200 invoices', drop: 0 },
    { text: '86 requests', drop: 4 },
    { text: '0:09 elapsed', drop: 0 },
    { text: '1.3 invoices/s', drop: 3 },
    { text: 'about 2:24 left', drop: 1 },
    { text: '999,914 API calls left today', drop: 5 },
    { text: 'EBSCO BENCH-00013: lines 2', drop: 2, shrink: true },
  ];
  const whole = '12/200 invoices · 86 requests · 0:09 elapsed · 1.3 invoices/s · about 2:24 left · 999,914 API calls left today · EBSCO BENCH-00013: lines 2';

  it.each([
    ['no width known (not a terminal)', undefined, whole],
    ['a wide terminal', 200, whole],
    ['just too narrow for the daily count', whole.length - 1, '12/200 invoices · 86 requests · 0:09 elapsed · 1.3 invoices/s · about 2:24 left · EBSCO BENCH-00013: lines 2'],
    ['then the requests', 100, '12/200 invoices · 0:09 elapsed · 1.3 invoices/s · about 2:24 left · EBSCO BENCH-00013: lines 2'],
    ['then the pace', 80, '12/200 invoices · 0:09 elapsed · about 2:24 left · EBSCO BENCH-00013: lines 2'],
    ['then the current step is cut short', 70, '12/200 invoices · 0:09 elapsed · about 2:24 left · EBSCO BENCH-00013:…'],
    ['and left out when under 12 characters of it would show', 60, '12/200 invoices · 0:09 elapsed · about 2:24 left'],
    ['then the time left', 40, '12/200 invoices · 0:09 elapsed'],
    ['and below that, cut', 20, '12/200 invoices · 0…'],
  ])('%s (%s columns)', (_what, room, line) => {
    const got = fitStatus(parts, room);
    expect(got).toBe(line);
    if (room !== undefined) expect([...got].length).toBeLessThanOrEqual(room);
  });

  it('skips empty parts and counts characters, not UTF-16 units', () => {
    const astral = [{ text: '1/2 invoices', drop: 0 }, { text: '', drop: 3 }, { text: '𝔘𝔫𝔦 𝔙𝔢𝔫𝔡𝔬𝔯 INV-1: create', drop: 2, shrink: true }];
    // 12 + 3 + 24 characters = 39 (the Fraktur letters are two UTF-16 units each: 48 units)
    expect(fitStatus(astral, 39)).toBe('1/2 invoices · 𝔘𝔫𝔦 𝔙𝔢𝔫𝔡𝔬𝔯 INV-1: create');
    // Cut by characters: never half of a surrogate pair.
    expect(fitStatus(astral, 28)).toBe('1/2 invoices · 𝔘𝔫𝔦 𝔙𝔢𝔫𝔡𝔬𝔯 I…');
    expect(fitStatus(astral, 26)).toBe('1/2 invoices');
  });

  it('a 60-column terminal gets a spinner text of at most 57 characters, its first parts kept', () => {
    const { ora: fakeOra, texts } = recordingOra();
    const stream = { isTTY: true, columns: 60, write: () => true } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => 0, ora: fakeOra });
    const key = { vendor: 'HARRASSOWITZ', number: 'HA-2025-00412' };
    p.onEvent({ type: 'start', invoices: 200, alreadyDone: 0, resumed: false } as EngineEvent);
    for (let i = 0; i < 120; i++) p.onEvent({ type: 'target', event: { type: 'request' } } as EngineEvent);
    p.onEvent({ type: 'target', event: { type: 'remaining', remaining: 999_880 } } as EngineEvent);
    p.onEvent({ type: 'step', key, step: 'lines', detail: '3' } as EngineEvent);
    p.stop();
    expect(texts.length).toBeGreaterThan(3);
    for (const t of texts) expect([...t].length).toBeLessThanOrEqual(57);
    expect(texts.at(-1)).toBe('0/200 invoices · 0:00 elapsed · time left: estimating');
    // Where there is room, the same events show everything.
    texts.length = 0;
    const q = createProgress({ stream: { ...stream, columns: 200 } as unknown as NodeJS.WriteStream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => 0, ora: fakeOra });
    q.onEvent({ type: 'start', invoices: 200, alreadyDone: 0, resumed: false } as EngineEvent);
    q.onEvent({ type: 'target', event: { type: 'remaining', remaining: 999_880 } } as EngineEvent);
    q.onEvent({ type: 'step', key, step: 'lines', detail: '3' } as EngineEvent);
    q.stop();
    expect(texts.at(-1)).toBe('0/200 invoices · 0 requests · 0:00 elapsed · time left: estimating · 999,880 API calls left today · HARRASSOWITZ HA-2025-00412: line 3');
  });
});

describe('the running line at 80 columns (room 77) keeps what shows the run is alive', () => {
  const state = {
    done: 0,
    total: 56,
    label: 'Alma',
    requests: 41,
    time: { elapsed: '0:08 elapsed', pace: '0.5 invoices/s', left: 'about 0:39 left' },
    current: 'HARRAS HA-2025-00412-B1: line 2',
  };

  it('the invoices waiting stay; the step text goes before them (it used to be cut mid-word in their place)', () => {
    const got = runningStatus({ ...state, waiting: 4 }, 77);
    expect(got).toBe('0/56 invoices · 4 waiting for Alma · 0:08 elapsed · about 0:39 left');
    expect([...got].length).toBeLessThanOrEqual(77);
  });

  it('with none waiting, the requests stay and the step text is cut to the room left', () => {
    const got = runningStatus({ ...state, waiting: 0 }, 77);
    expect(got).toBe('0/56 invoices · 41 requests · 0:08 elapsed · about 0:39 left · HARRAS HA-202…');
    expect([...got].length).toBeLessThanOrEqual(77);
  });

  it('all of it where there is room', () => {
    expect(runningStatus({ ...state, waiting: 4 }, 200)).toBe(
      '0/56 invoices · 4 waiting for Alma · 41 requests · 0:08 elapsed · 0.5 invoices/s · about 0:39 left · HARRAS HA-2025-00412-B1: line 2',
    );
  });
});

describe('the spinner\'s colour', () => {
  it('is cyan by default and none when the terminal takes no colour (NO_COLOR, which ora does not read)', () => {
    const stream = { isTTY: true, columns: 120, write: () => true } as unknown as NodeJS.WriteStream;
    for (const [colour, expected] of [[undefined, 'cyan'], [true, 'cyan'], [false, false]] as const) {
      const { ora: fakeOra, colours } = recordingOra();
      const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => 0, ora: fakeOra, colour });
      p.onEvent({ type: 'start', invoices: 2, alreadyDone: 0, resumed: false } as EngineEvent);
      p.stop();
      expect(colours).toEqual([expected]);
    }
  });
});

describe('invoices waiting for their outcome', () => {
  it('are shown beside the finished ones and give the pace and the time left before any is confirmed', () => {
    const { ora: fakeOra, texts } = recordingOra();
    let t = 0;
    const stream = { isTTY: true, columns: 200, write: () => true } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => t, ora: fakeOra });
    const key = (n: number) => ({ vendor: 'GOBI', number: `G-${n}` });
    p.onEvent({ type: 'start', invoices: 100, alreadyDone: 0, resumed: false } as EngineEvent);
    t = 10_000;
    for (let n = 1; n <= 20; n++) p.onEvent({ type: 'step', key: key(n), step: 'poll' } as EngineEvent);
    // 20 invoices sent in 10 s, none confirmed yet: 2/s, 80 to go.
    expect(texts.at(-1)).toBe('0/100 invoices · 20 waiting for Alma · 0 requests · 0:10 elapsed · 2.0 invoices/s · about 0:40 left · GOBI G-20: poll');
    const result = (n: number) => ({ key: key(n), status: 'loaded', id: String(n), lines: [], warnings: [], alerts: [] });
    for (let n = 1; n <= 5; n++) p.onEvent({ type: 'invoice', result: result(n), done: n, total: 100 } as unknown as EngineEvent);
    // Confirmed ones leave the waiting count; the pace is unchanged (still 20 invoices through).
    expect(texts.at(-1)).toBe('5/100 invoices · 15 waiting for Alma · 0 requests · 0:10 elapsed · 2.0 invoices/s · about 0:40 left');
    p.stop();
  });
});

describe('resuming', () => {
  it('says how many an earlier run finished, and how many it sent whose outcome is only read now', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 2, resumed: true, awaiting: 5 } as EngineEvent);
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 7, resumed: true } as EngineEvent);
    p.stop();
    expect(lines.map((l) => l.replace(/^\S+ /, '').trimEnd())).toEqual([
      'resuming: 2 of 7 invoices were finished by an earlier run; 5 more were sent and processed, and their outcome is read now',
      'resuming: 7 of 7 invoices were finished by an earlier run',
    ]);
  });

  it('says nothing when the earlier run left nothing: none finished, partly sent or awaiting (its only write refused, exit 5)', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 0, resumed: true } as EngineEvent);
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 0, resumed: true, partly: 0, awaiting: 0 } as EngineEvent);
    p.stop();
    expect(lines.filter((l) => l.includes('resuming'))).toEqual([]);
  });
});

describe('resuming after a stop', () => {
  it('says how many were partly sent and are finished first, then how many are loaded after them', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 0, resumed: true, partly: 3 } as EngineEvent);
    p.onEvent({ type: 'start', invoices: 7, alreadyDone: 2, resumed: true, partly: 1 } as EngineEvent);
    p.stop();
    expect(lines.map((l) => l.replace(/^\S+ /, '').trimEnd())).toEqual([
      'resuming: 3 invoices were partly sent; finishing them and loading the other 4',
      'resuming: 1 invoice was partly sent; finishing it and loading the other 4; 2 were finished by an earlier run',
    ]);
  });

  it('names the partly sent ones, the first five, so a cron log says which before their [n/N] lines', () => {
    const key = (number: string) => ({ vendor: 'GOBI', number });
    const start = (partlyKeys: { vendor: string; number: string }[]) =>
      resumeLine({ type: 'start', invoices: 56, alreadyDone: 12, resumed: true, partly: partlyKeys.length, partlyKeys });
    expect(start([key('G-1'), { vendor: 'HARRAS', number: 'H-4' }])).toBe(
      'resuming: 2 invoices were partly sent (GOBI G-1, HARRAS H-4); finishing them and loading the other 42; 12 were finished by an earlier run',
    );
    expect(start([key('G-1')])).toBe('resuming: 1 invoice was partly sent (GOBI G-1); finishing it and loading the other 43; 12 were finished by an earlier run');
    expect(start(['1', '2', '3', '4', '5', '6', '7'].map((n) => key(`G-${n}`)))).toBe(
      'resuming: 7 invoices were partly sent (GOBI G-1, GOBI G-2, GOBI G-3, GOBI G-4, GOBI G-5 and 2 more); finishing them and loading the other 37; 12 were finished by an earlier run',
    );
    // A name from the file is printed safe.
    expect(start([key('G-1\u001b[2J')])).toContain('(GOBI G-1?[2J)');
  });
});

describe('invoices found already loaded', () => {
  it('are done without a write, so they do not make the pace or the time left', () => {
    const { ora, texts } = recordingOra();
    let t = 0;
    const stream = { isTTY: true, columns: 120, write: () => true } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => t, ora });
    // 3 finished by an earlier run (the journal's, sent with done 0), 20 in the batch.
    p.onEvent({ type: 'start', invoices: 20, alreadyDone: 3, resumed: true } as EngineEvent);
    const result = (n: number, status: string) => ({ key: { vendor: 'GOBI', number: `G-${n}` }, status, id: String(n), lines: [], warnings: [], alerts: [] });
    for (let n = 1; n <= 3; n++) p.onEvent({ type: 'invoice', result: result(n, 'already_loaded'), done: 0, total: 20 } as unknown as EngineEvent);
    t = 100;
    // 7 more found complete in Alma by their look-ups, a moment after the start.
    for (let n = 4; n <= 10; n++) p.onEvent({ type: 'invoice', result: result(n, 'already_loaded'), done: n, total: 20 } as unknown as EngineEvent);
    expect(texts.at(-1)).toBe('10/20 invoices · 0 requests · 0:00 elapsed · time left: estimating');
    t = 5_000;
    p.onEvent({ type: 'invoice', result: result(11, 'loaded'), done: 11, total: 20 } as unknown as EngineEvent);
    // One sent in 5 s: 12 a minute, 9 to go.
    expect(texts.at(-1)).toBe('11/20 invoices · 0 requests · 0:05 elapsed · 12.0 invoices/min · about 0:45 left');
    p.stop();
  });
});

describe('the settle window in a cron log', () => {
  it('is said to a tenth of a second, as the lag is', () => {
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.onEvent({ type: 'settle', key: { vendor: 'GOBI', number: 'G-1' }, lagMs: 1234, windowMs: 3028 } as unknown as EngineEvent);
    expect(out.replace(/^\S+ /, '')).toBe("Alma's search showed invoice G-1 after 1.2 s; should an answer be lost, the invoice is searched for up to 3 s before it is sent again\n");
  });
});

describe('invoices the run stopped on', () => {
  it('get no line each (the stop said it once; the summary lists them), unless --verbose; a refusal still does', () => {
    const stoppedOn = (number: string, code: string) => ({
      key: { vendor: 'GOBI', number },
      status: 'failed',
      lines: [],
      warnings: [],
      alerts: [],
      error: { step: 'lines', http_status: code === '60249' ? 400 : 0, code, message: 'm' },
    });
    for (const [interactive, verbose, expected] of [
      [true, false, ['GOBI G-3: FAILED — lines: 60249 m']],
      [false, false, ['GOBI G-3: FAILED — lines: 60249 m']],
      [false, true, ['GOBI G-1: FAILED — lines: INTERRUPTED m', 'GOBI G-2: FAILED — lines: DAILY_THRESHOLD m', 'GOBI G-3: FAILED — lines: 60249 m']],
    ] as const) {
      let out = '';
      const stream = { isTTY: interactive, columns: 200, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
      const { ora } = recordingOra();
      const p = createProgress({ stream, interactive, quiet: false, verbose, style: plainStyle, now: () => 0, ora });
      p.onEvent({ type: 'start', invoices: 3, alreadyDone: 0, resumed: false } as EngineEvent);
      [stoppedOn('G-1', 'INTERRUPTED'), stoppedOn('G-2', 'DAILY_THRESHOLD'), stoppedOn('G-3', '60249')].forEach((result, i) =>
        p.onEvent({ type: 'invoice', result, done: i + 1, total: 3 } as unknown as EngineEvent),
      );
      p.stop();
      expect(out.split('\n').filter((l) => l.includes('GOBI')).map((l) => l.replace(/^.*\] /, ''))).toEqual(expected);
    }
  });
});

describe('the checks before sending', () => {
  it('show on the spinner with their requests and time, which then goes on as the load', () => {
    const { ora, texts, made } = recordingOra();
    let t = 0;
    const stream = { isTTY: true, columns: 120, write: () => true } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => t, ora });
    p.phase('checking 200 invoices against Alma before sending');
    for (let i = 0; i < 16; i++) p.onEvent({ type: 'target', event: { type: 'request' } } as EngineEvent);
    // A connection refused is no request Alma saw: not counted, as in the summary.
    p.onEvent({ type: 'target', event: { type: 'request', status: 0, unsent: true } } as EngineEvent);
    t = 2_000;
    p.onEvent({ type: 'target', event: { type: 'request' } } as EngineEvent);
    expect(texts.at(-1)).toBe('checking 200 invoices against Alma before sending · 17 requests · 0:02 elapsed');
    p.onEvent({ type: 'start', invoices: 200, alreadyDone: 0, resumed: false } as EngineEvent);
    // The clock goes on from the checks (the summary's "in N s" counts them too)...
    expect(texts.at(-1)).toBe('0/200 invoices · 17 requests · 0:02 elapsed · time left: estimating');
    // ...while the pace and the time left count from the start of sending: 20 invoices in 10 s.
    t = 12_000;
    for (let n = 1; n <= 20; n++) {
      const result = { key: { vendor: 'GOBI', number: `G-${n}` }, status: 'loaded', id: String(n), lines: [], warnings: [], alerts: [] };
      p.onEvent({ type: 'invoice', result, done: n, total: 200 } as unknown as EngineEvent);
    }
    expect(texts.at(-1)).toBe('20/200 invoices · 17 requests · 0:12 elapsed · 2.0 invoices/s · about 1:30 left');
    expect(made()).toBe(1); // one spinner, from the checks to the end
    p.stop();
  });

  it('count the elapsed time from the run\'s start when told it (reading the file came first)', () => {
    const { ora, texts } = recordingOra();
    let t = 5_000;
    const stream = { isTTY: true, columns: 120, write: () => true } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: true, quiet: false, verbose: false, style: plainStyle, now: () => t, since: 1_000, ora });
    p.phase('checking 3 invoices against Alma before sending');
    expect(texts.at(-1)).toBe('checking 3 invoices against Alma before sending · 0 requests · 0:04 elapsed');
    t = 6_000;
    p.onEvent({ type: 'start', invoices: 3, alreadyDone: 0, resumed: false } as EngineEvent);
    expect(texts.at(-1)).toBe('0/3 invoices · 0 requests · 0:05 elapsed · time left: estimating');
    p.stop();
  });

  it('are a line of their own in a cron log, and nothing with --quiet', () => {
    let log = '';
    const pipe = { write: (s: string) => ((log += s), true) } as unknown as NodeJS.WriteStream;
    const at = new Date(2026, 2, 4, 9, 5, 7).getTime();
    createProgress({ stream: pipe, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => at }).phase('checking 7 invoices against Alma before sending');
    expect(log).toMatch(/^2026-03-04T09:05:07(?:Z|[+-]\d\d:\d\d) checking 7 invoices against Alma before sending\n$/);
    log = '';
    createProgress({ stream: pipe, interactive: false, quiet: true, verbose: false, style: plainStyle, now: () => at }).phase('checking');
    expect(log).toBe('');
  });
});

describe('requests retried without -v: a "still trying" line now and then, not a silent wait', () => {
  /** A cron log (a pipe) fed `target` events on a clock the test moves. */
  function cronLog(opts: { verbose?: boolean; quiet?: boolean; interactive?: boolean } = {}) {
    let at = 0;
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: opts.interactive ?? false, quiet: opts.quiet ?? false, verbose: opts.verbose ?? false, style: plainStyle, now: () => at });
    const target = (event: Extract<EngineEvent, { type: 'target' }>['event']): void => p.onEvent({ type: 'target', event });
    return {
      at: (ms: number) => void (at = ms),
      answered: (status: number, ms = 200) => target({ type: 'request', method: 'GET', path: '/acq/vendors/GOBI', status, ms, attempt: 1 }),
      /** An attempt that met `trouble` after `ms`, and its retry. */
      failed: (trouble: 'timeout' | 'unreachable' | 'gateway', reason: string, ms: number, attempt: number, of?: number) => {
        target({ type: 'request', method: 'GET', path: '/acq/vendors/GOBI', status: trouble === 'gateway' ? 502 : 0, ms, attempt });
        target({ type: 'retry', method: 'GET', path: '/acq/vendors/GOBI', attempt, delayMs: 300, reason, trouble, ...(of !== undefined ? { of } : {}) });
      },
      lines: () => out.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) /, '')),
      raw: () => out,
    };
  }

  it('timeouts: a line once the trouble has lasted 10 s, then at most one every 30 s; none while answers come', () => {
    const log = cronLog();
    log.answered(200);
    // The first attempt timed out after --timeout (30 s): the trouble began when it was sent.
    log.at(30_000);
    log.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 1, 5);
    log.at(31_000);
    log.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 1, 5);
    log.at(60_500);
    log.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 29_000, 2, 5);
    log.at(61_000);
    log.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 2, 5);
    expect(log.lines()).toEqual([
      'Alma has not answered for 30 s; still trying (attempt 2 of 5)',
      'Alma has not answered for 61 s; still trying (attempt 3 of 5)',
    ]);
    // A cron log's line has its time stamp, as every other line.
    expect(log.raw()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d) Alma has not answered/);
    // An answer ends the trouble: a blip after it is not said (0.5 s), nor are answers.
    log.at(62_000);
    log.answered(200);
    log.at(63_000);
    log.failed('unreachable', 'ECONNREFUSED', 500, 1, 5);
    log.answered(404);
    expect(log.lines()).toHaveLength(2);
  });

  it('out of reach and a gateway\'s 502s are said in their own words; past the retries, the attempt without "of"', () => {
    const log = cronLog();
    log.failed('unreachable', 'ECONNREFUSED', 5, 1, 5);
    log.at(12_000);
    log.failed('unreachable', 'ECONNREFUSED (out of reach for 12 s)', 5, 7);
    log.at(12_100);
    log.answered(200);
    log.failed('gateway', 'HTTP 502', 100, 1, 5);
    log.at(40_000);
    log.failed('gateway', 'HTTP 502', 100, 4, 5);
    expect(log.lines()).toEqual([
      // The time once: the transport's own "(out of reach for 12 s)" is not repeated inside.
      'Alma has been out of reach for 12 s (connection refused, ECONNREFUSED); still trying (attempt 8)',
      'the gateway in front of Alma has answered only with errors for 28 s (HTTP 502); still trying (attempt 5 of 5)',
    ]);
  });

  it('answers that begin but never end (a body timeout): the line says Alma began answering, not that it has not answered', () => {
    const log = cronLog();
    log.at(30_000);
    log.failed('timeout', 'UND_ERR_BODY_TIMEOUT', 30_000, 1, 5);
    expect(log.lines()).toEqual(['Alma began answering but never finished (for 30 s); still trying (attempt 2 of 5)']);
  });

  it('an Alma that answered before and is out of reach: the code in words too', () => {
    let out = '';
    const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.onEvent({ type: 'target', event: { type: 'outage', state: 'down', code: 'ECONNREFUSED', patienceMs: 30_000 } });
    expect(out).toMatch(/ Alma is out of reach \(connection refused, ECONNREFUSED\): waiting up to 30 s for it to come back \(--timeout\)\n$/);
  });

  it('a throttle\'s retry is no trouble; -v has its own retry lines; --quiet says nothing; a terminal gets the line too', () => {
    const throttled = cronLog();
    throttled.at(60_000);
    throttled.answered(429, 100);
    throttled.answered(200);
    expect(throttled.lines()).toEqual([]);
    const verbose = cronLog({ verbose: true });
    verbose.at(40_000);
    verbose.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 1, 5);
    expect(verbose.lines()).toEqual(['  retry GET /acq/vendors/GOBI in 300 ms (attempt 1): UND_ERR_HEADERS_TIMEOUT']);
    const quiet = cronLog({ quiet: true });
    quiet.at(40_000);
    quiet.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 1, 5);
    expect(quiet.lines()).toEqual([]);
    const tty = cronLog({ interactive: true });
    tty.at(40_000);
    tty.failed('timeout', 'UND_ERR_HEADERS_TIMEOUT', 30_000, 1, 5);
    expect(tty.raw()).toBe('Alma has not answered for 30 s; still trying (attempt 2 of 5)\n');
  });
});

describe('plain progress lines on a terminal without a spinner (TERM=dumb)', () => {
  it('are broken between words at the window, not split mid-word by the terminal', () => {
    const lines: string[] = [];
    const stream = { isTTY: true, columns: 60, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, interactive: false, quiet: false, verbose: false, style: plainStyle, now: () => 0 });
    p.info('loading into the embedded sandbox: every invoice is checked against the vendor file first, then sent');
    p.stop();
    const out = lines.join('').replace(/^\S+ /, '');
    for (const row of out.trimEnd().split('\n')) expect(row.length, row).toBeLessThanOrEqual(60);
    expect(out.split('\n')[1]).toMatch(/^  \S/);
    expect(out.replace(/\n +/g, ' ')).toContain('loading into the embedded sandbox: every invoice is checked against the vendor file first, then sent');
  });
});
