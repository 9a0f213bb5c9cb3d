/**
 * `~` in path options (src/cli/home.ts expandPathOptions, applied to every command in main.ts):
 * every option that names a file or folder is expanded, in one place.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { fullProgram } from '../../src/cli/main.js';
import { terminal } from '../../src/cli/terminal.js';
import { expandPathOptions, PATH_OPTIONS } from '../../src/cli/home.js';
import { UsageError } from '../../src/common/errors.js';
import { resolveConfig } from '../../src/cli/config.js';
import { parseConfigFile } from '../../src/cli/config-file.js';

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];

describe('path options and ~', () => {
  it('every option of every command whose value is a <path>, <file> or <dir> is one expandPathOptions expands (or the state dir, expanded with its variable)', () => {
    const paths = all(fullProgram(terminal({}), new Date())).flatMap((c) => c.options.filter((o) => /<(path|file|dir)>/.test(o.flags)).map((o) => `${c.name()} ${o.attributeName()}`));
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(PATH_OPTIONS.includes(p.split(' ')[1]!) || p.endsWith(' stateDir'), p).toBe(true);
  });

  it('a leading ~/ or a bare ~ is the home folder; ~user, a ~ inside, and other options are as given', () => {
    const home = (): string => '/home/ann';
    const out = expandPathOptions({ report: '~/r.json', rejects: '~', mapping: 'a/~/m.json', config: '~bob/c.json', region: '~/eu', dryRun: true }, {}, home);
    expect(out).toEqual({ report: '/home/ann/r.json', rejects: '/home/ann', mapping: 'a/~/m.json', config: '~bob/c.json', region: '~/eu', dryRun: true });
  });

  it('with no home folder, a usage error naming the flag', () => {
    expect(() => expandPathOptions({ reportCsv: '~/r.csv' }, { reportCsv: '--report-csv' }, () => undefined)).toThrow(UsageError);
    expect(() => expandPathOptions({ reportCsv: '~/r.csv' }, { reportCsv: '--report-csv' }, () => undefined)).toThrow('--report-csv ~/r.csv: no home folder for ~');
  });

  it('with no home folder, the error words what the option names: a file, a folder, or either', () => {
    const none = (): undefined => undefined;
    expect(() => expandPathOptions({ mapping: '~/m.json' }, { mapping: '--mapping' }, none)).toThrow(/--mapping ~\/m\.json: .*; give the file without ~$/);
    expect(() => expandPathOptions({ apiKeyFile: '~/k' }, { apiKeyFile: '--api-key-file' }, none)).toThrow(/give the file without ~$/);
    expect(() => expandPathOptions({ report: '~/reports/' }, { report: '--report' }, none)).toThrow(/give the file or folder without ~$/);
    expect(() => expandPathOptions({ output: '~/out' }, { output: '--output' }, none)).toThrow(/give the file or folder without ~$/);
    const resolve = (flags: object, env: Record<string, string>, settings?: object) => () => resolveConfig(['a.csv'], { dryRun: true, ...flags }, env, '/w', settings === undefined ? undefined : parseConfigFile(JSON.stringify(settings), '/w/c.json'), new Date(), none);
    expect(resolve({ stateDir: '~/il' }, {})).toThrow(/--state-dir ~\/il: .*; give the folder without ~$/);
    expect(resolve({}, { INVOICE_LOAD_STATE_DIR: '~/il' })).toThrow(/give the folder without ~$/);
    // The config file's settings, by the same words.
    expect(resolve({}, {}, { state_dir: '~/il' })).toThrow(/c\.json: state_dir ~\/il: .*; give the folder without ~$/);
    expect(resolve({ stateDir: '/s' }, {}, { mapping: '~/m.json' })).toThrow(/c\.json: mapping ~\/m\.json: .*; give the file without ~$/);
    expect(resolve({ stateDir: '/s' }, {}, { report: '~/r/' })).toThrow(/give the file or folder without ~$/);
  });
});
