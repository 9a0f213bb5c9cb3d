import type { AlmaSettings } from '../../src/targets/alma/index.js';
import { describe, expect, it } from 'vitest';
import { applyConfigFile, describeSource, jsonPath, parseConfigFile, type ConfigFile } from '../../src/cli/config-file.js';
import { proxyFromEnv, resolveConfig, type RawOptions } from '../../src/cli/config.js';
import { describeConfig, renderConfigTable } from '../../src/cli/config-command.js';
import { plainStyle } from '../../src/report/human.js';
import { UsageError } from '../../src/common/errors.js';

const FILE = '/etc/il/invoice-load.config.json';
const file = (settings: object): ConfigFile => parseConfigFile(JSON.stringify(settings), FILE);
const problemsOf = (text: string): string => {
  try {
    parseConfigFile(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};
const ENV = { HOME: '/home/lib' };

describe('parseConfigFile', () => {
  it('accepts every setting', () => {
    const f = file({
      region: 'eu',
      api_key_file: 'key',
      state_dir: 'state',
      rate: 2.5,
      concurrency: 3,
      timeout: 10,
      max_retries: 0,
      poll_timeout: 90,
      mapping: 'gobi.json',
      report: 'r.json',
      report_csv: 'r.csv',
      report_html: 'r.html',
    });
    expect(f.settings.rate).toBe(2.5);
    expect(f.path).toBe(FILE);
  });

  it.each([
    [{ rate: 0 }, '$.rate: must be above zero: most requests per second'],
    [{ rate: '10' }, '$.rate: must be a number: most requests per second'],
    [{ concurrency: 1.5 }, '$.concurrency: must be a whole number'],
    [{ concurrency: 0 }, '$.concurrency: must be at least 1'],
    [{ max_retries: -1 }, '$.max_retries: must be at least 0'],
    [{ timeout: -3 }, '$.timeout: must be above zero'],
    [{ poll_timeout: null }, '$.poll_timeout: must be a number'],
    [{ region: 'us' }, '$.region: must be one of na, eu, ap, aps, ca, cn'],
    [{ alma_url: 'ftp://x' }, '$.alma_url: must be an http(s) URL'],
    [{ alma_url: 'https://h.example?apikey=l7xx' }, '$.alma_url: must not carry credentials, a query or a fragment'],
    [{ state_dir: '' }, '$.state_dir: must not be empty'],
    [{ report_html: 42 }, '$.report_html: must be a string'],
    [{ region: 'eu', alma_url: 'https://h.example' }, '$: give either "alma_url" or "region", not both'],
    [{ ratelimit: 5 }, '$.ratelimit: unknown setting (known: alma_url, region,'],
    [{ almaUrl: 'https://h.example' }, '$.almaUrl: unknown setting (did you mean "alma_url"?)'],
    [{ 'poll-timeout': 5 }, '$["poll-timeout"]: unknown setting (did you mean "poll_timeout"?)'],
  ])('%j → %s', (settings, message) => {
    expect(problemsOf(JSON.stringify(settings))).toContain(message);
  });

  it('reports every problem at once, with the file named', () => {
    const msg = problemsOf('{"rate": -1, "region": "mars", "colour": true}');
    expect(msg).toMatch(/^config file \/etc\/il\/invoice-load\.config\.json has 3 problems:\n/);
    expect(msg).toContain('$.rate');
    expect(msg).toContain('$.region');
    expect(msg).toContain('$.colour');
  });

  it.each(['api_key', 'apiKey', 'ALMA_API_KEY', 'key', 'token'])('refuses the key itself (%s), says why, never echoes it', (name) => {
    const msg = problemsOf(JSON.stringify({ [name]: 'l7xx-secret-value', region: 'eu' }));
    expect(msg).toContain(`$.${name}: the API key is not accepted in the config file`);
    expect(msg).toContain('committed to version control');
    expect(msg).toContain('"api_key_file"');
    expect(msg).not.toContain('l7xx-secret-value');
  });

  it.each([
    ['{"rate": 5,}', /not valid JSON \(line 1, column \d+\)/],
    ['{\n  "rate": 5\n  "region": "eu"\n}', /not valid JSON \(line 3, column \d+\)/],
    ['[1, 2]', /\$: must be a JSON object of settings/],
    ['"eu"', /\$: must be a JSON object of settings/],
  ])('%j → %s', (text, message) => {
    expect(problemsOf(text)).toMatch(message);
  });

  it('tolerates a byte order mark (Windows editors write one)', () => {
    expect(parseConfigFile('\uFEFF{"region":"na"}', FILE).settings.region).toBe('na');
  });
});

describe('jsonPath', () => {
  it.each([
    [[], '$'],
    [['rate'], '$.rate'],
    [['a b'], '$["a b"]'],
    [['x', 0], '$.x[0]'],
  ])('%j → %s', (path, expected) => {
    expect(jsonPath(path)).toBe(expected);
  });
});

describe('precedence: flags, then environment, then the config file, then defaults', () => {
  const resolve = (flags: RawOptions, env: Record<string, string | undefined>, settings?: object) =>
    resolveConfig(['b.csv'], { dryRun: true, ...flags }, { ...ENV, ...env }, '/work', settings ? file(settings) : undefined);

  it.each([
    ['the default', {}, {}, undefined, 10],
    ['the file over the default', {}, {}, { rate: 3 }, 3],
    ['a flag over the file', { rate: '7' }, {}, { rate: 3 }, 7],
  ])('rate: %s', (_name, flags, env, settings, rate) => {
    expect(resolve(flags, env, settings).rate).toBe(rate);
  });

  it.each([
    ['the default', {}, {}, undefined, '/home/lib/.local/state/invoice-load'],
    ['the file, relative to its folder', {}, {}, { state_dir: 'state' }, '/etc/il/state'],
    ['the file, ~ is home', {}, {}, { state_dir: '~/il' }, '/home/lib/il'],
    ['the environment over the file', {}, { INVOICE_LOAD_STATE_DIR: '/var/il' }, { state_dir: 'state' }, '/var/il'],
    // Empty is unset, as usual for an environment variable: not the working directory.
    ['INVOICE_LOAD_STATE_DIR empty: the default', {}, { INVOICE_LOAD_STATE_DIR: '' }, undefined, '/home/lib/.local/state/invoice-load'],
    ['INVOICE_LOAD_STATE_DIR empty: the file', {}, { INVOICE_LOAD_STATE_DIR: '' }, { state_dir: 'state' }, '/etc/il/state'],
    ['a flag over both, relative to the working directory', { stateDir: 's' }, { INVOICE_LOAD_STATE_DIR: '/var/il' }, { state_dir: 'state' }, '/work/s'],
  ])('state dir: %s', (_name, flags, env, settings, dir) => {
    expect(resolve(flags, env, settings).stateDir).toBe(dir);
  });

  // Review (cron user, item 2): crontab does not expand ~, a shell does; HOME unset or empty in a
  // job's environment; a uid with no passwd entry.
  const noPasswd = (): undefined => undefined;
  const atHome = (): string => '/home/pw';
  const stateOf = (flags: RawOptions, env: Record<string, string | undefined>, settings?: object, passwd: () => string | undefined = noPasswd) =>
    resolveConfig(['b.csv'], { dryRun: true, ...flags }, env, '/work', settings ? file(settings) : undefined, new Date(0), passwd).stateDir;
  it.each([
    ['--state-dir ~/x (a crontab line)', { stateDir: '~/x' }, { HOME: '/home/lib' }, undefined, noPasswd, '/home/lib/x'],
    ['--state-dir ~', { stateDir: '~' }, { HOME: '/home/lib' }, undefined, noPasswd, '/home/lib'],
    ['INVOICE_LOAD_STATE_DIR=~/x', {}, { HOME: '/home/lib', INVOICE_LOAD_STATE_DIR: '~/x' }, undefined, noPasswd, '/home/lib/x'],
    ['a ~ elsewhere stays', { stateDir: 'a/~/x' }, { HOME: '/home/lib' }, undefined, noPasswd, '/work/a/~/x'],
    ['the file’s ~/il-state with HOME unset: the passwd home', {}, {}, { state_dir: '~/il-state' }, atHome, '/home/pw/il-state'],
    ['--state-dir ~/x with HOME unset: the passwd home', { stateDir: '~/x' }, {}, undefined, atHome, '/home/pw/x'],
    ['the default with HOME empty: the passwd home, not the working directory', {}, { HOME: '' }, undefined, atHome, '/home/pw/.local/state/invoice-load'],
    ['the default with HOME unset: the passwd home', {}, {}, undefined, atHome, '/home/pw/.local/state/invoice-load'],
  ])('state dir, home: %s', (_name, flags, env, settings, passwd, dir) => {
    expect(stateOf(flags, env, settings, passwd)).toBe(dir);
  });

  it.each([
    ['the default', {}, {}, undefined, 'no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR'],
    ['--state-dir ~/x', { stateDir: '~/x' }, {}, undefined, '--state-dir ~/x: no home folder for ~'],
    ['INVOICE_LOAD_STATE_DIR=~/x', {}, { INVOICE_LOAD_STATE_DIR: '~/x' }, undefined, 'INVOICE_LOAD_STATE_DIR ~/x: no home folder for ~'],
    ['the file’s ~/il-state', {}, { HOME: '' }, { state_dir: '~/il-state' }, `${FILE}: state_dir ~/il-state: no home folder for ~`],
  ])('no home folder at all (no HOME, no passwd entry): a usage error, %s', (_name, flags, env, settings, message) => {
    const run = () => stateOf({ ...flags, dryRun: false, sandbox: true }, env, settings, noPasswd);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it('no home folder: a dry run without --online keeps no state and goes on; with --online it is a usage error', () => {
    expect(stateOf({}, {}, undefined, noPasswd)).toBe('');
    expect(() => stateOf({ online: true, sandbox: true }, {}, undefined, noPasswd)).toThrow('no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR');
    expect(stateOf({ stateDir: '/s' }, {}, undefined, noPasswd)).toBe('/s');
    expect(stateOf({}, { XDG_STATE_HOME: '/xdg' }, undefined, noPasswd)).toBe('/xdg/invoice-load');
  });

  it.each([
    ['the file’s region', {}, {}, { region: 'eu' }, { kind: 'alma', region: 'eu', baseUrl: undefined }],
    ['the file’s URL', {}, {}, { alma_url: 'https://alma.example' }, { kind: 'alma', baseUrl: 'https://alma.example' }],
    ['ALMA_API_URL over the file’s region', {}, { ALMA_API_URL: 'http://127.0.0.1:9' }, { region: 'eu' }, { kind: 'alma', baseUrl: 'http://127.0.0.1:9', region: undefined }],
    ['--region over the file’s URL', { region: 'na' }, {}, { alma_url: 'https://alma.example' }, { kind: 'alma', region: 'na', baseUrl: undefined }],
    ['--alma-url over the file’s region', { almaUrl: 'https://x.example' }, {}, { region: 'eu' }, { kind: 'alma', baseUrl: 'https://x.example', region: undefined }],
    ['--sandbox over the file’s region', { sandbox: true }, {}, { region: 'eu' }, { kind: 'sandbox' }],
  ])('target: %s', (_name, flags, env, settings, target) => {
    expect(resolve(flags, env, settings).target).toMatchObject(target);
  });

  it.each([
    ['the file’s key file, relative to its folder', {}, {}, { region: 'eu', api_key_file: 'alma.key' }, { file: '/etc/il/alma.key' }],
    ['ALMA_API_KEY over the file’s key file', {}, { ALMA_API_KEY: 'k' }, { region: 'eu', api_key_file: 'alma.key' }, { env: 'ALMA_API_KEY' }],
    ['--api-key-file over ALMA_API_KEY', { apiKeyFile: 'k.txt' }, { ALMA_API_KEY: 'k' }, { region: 'eu', api_key_file: 'alma.key' }, { file: '/work/k.txt' }],
    // Blank, it is no key to the load (trimmed): the file's key file stands, not "no API key".
    ['a blank ALMA_API_KEY leaves the file’s key file', {}, { ALMA_API_KEY: '\n' }, { region: 'eu', api_key_file: 'alma.key' }, { file: '/etc/il/alma.key' }],
  ])('key: %s', (_name, flags, env, settings, source) => {
    const t = resolve(flags, env, settings).target as AlmaSettings | undefined;
    expect(t?.kind === 'alma' && t.apiKeySource).toEqual(source);
  });

  it('report paths come from the file, relative to its folder; flags win', () => {
    const cfg = resolve({ reportCsv: 'mine.csv' }, {}, { report: 'r.json', report_csv: 'r.csv', report_html: '/srv/www/r.html' });
    expect(cfg.reportPath).toBe('/etc/il/r.json');
    expect(cfg.reportCsvPath).toBe('/work/mine.csv');
    expect(cfg.reportHtmlPath).toBe('/srv/www/r.html');
  });

  it('hands the mapping profile on under the name --mapping uses', () => {
    expect(applyConfigFile({}, ENV, file({ mapping: 'profiles/gobi.json' })).options.mapping).toBe('/etc/il/profiles/gobi.json');
    expect(applyConfigFile({ mapping: 'x.json' } as RawOptions, ENV, file({ mapping: 'profiles/gobi.json' })).options.mapping).toBe('x.json');
  });

  it('a load still needs a key when the file names the region', () => {
    expect(() => resolveConfig(['b.csv'], {}, ENV, '/work', file({ region: 'eu' }))).toThrow(/no API key/);
  });

  it('records where each value came from', () => {
    const { sources } = applyConfigFile({ rate: '4' }, { ...ENV, INVOICE_LOAD_STATE_DIR: '/v' }, file({ concurrency: 2, region: 'eu' }));
    expect(describeSource(sources.rate)).toBe('flag --rate');
    expect(describeSource(sources.state_dir)).toBe('env INVOICE_LOAD_STATE_DIR');
    expect(describeSource(sources.concurrency)).toBe('config file');
    expect(describeSource(sources.target)).toBe('config file');
    expect(describeSource(sources.timeout)).toBe('default');
  });
});

describe('describeConfig (invoice-load config)', () => {
  const readable = () => 'readable' as const;

  it('shows values and sources, and never the key', () => {
    const view = describeConfig({ rate: '4' }, { ...ENV, ALMA_API_KEY: 'l7xx-secret' }, '/work', file({ region: 'eu', concurrency: 2 }), readable);
    expect(view.config_file).toBe(FILE);
    expect(view.settings).toMatchObject({
      target: { value: 'alma', source: 'config file' },
      alma_url: { value: 'https://api-eu.hosted.exlibrisgroup.com/almaws/v1', source: 'region eu (config file)' },
      api_key: { value: '***', source: 'ALMA_API_KEY (set)' },
      rate: { value: 4, source: 'flag --rate' },
      concurrency: { value: 2, source: 'config file' },
      timeout: { value: 30, source: 'default' },
      report_html: { value: null, source: 'not written' },
    });
    expect(JSON.stringify(view)).not.toContain('l7xx-secret');
  });

  it('INVOICE_LOAD_STATE_DIR set but empty: the default state dir, said as the default', () => {
    const view = describeConfig({}, { ...ENV, INVOICE_LOAD_STATE_DIR: '' }, '/work', undefined, readable);
    expect(view.settings.state_dir).toEqual({ value: '/home/lib/.local/state/invoice-load', source: 'default' });
  });

  it('ALMA_API_URL set but empty: unset, as INVOICE_LOAD_STATE_DIR is — the file\'s alma_url stands, and --sandbox or a plain dry run is no URL error', () => {
    const view = describeConfig({}, { ...ENV, ALMA_API_URL: '', ALMA_API_KEY: 'k' }, '/work', file({ alma_url: 'https://alma.example.edu' }), readable);
    expect(view.settings.alma_url).toEqual({ value: 'https://alma.example.edu/almaws/v1', source: 'config file' });
    const cfg = resolveConfig(['a.csv'], {}, { ...ENV, ALMA_API_URL: '', ALMA_API_KEY: 'k' }, '/work', file({ alma_url: 'https://alma.example.edu' }));
    expect(cfg.target).toMatchObject({ kind: 'alma', baseUrl: 'https://alma.example.edu' });
    expect(resolveConfig(['a.csv'], { sandbox: true }, { ...ENV, ALMA_API_URL: '' }, '/work').target).toMatchObject({ kind: 'sandbox' });
    expect(resolveConfig(['a.csv'], { dryRun: true }, { ...ENV, ALMA_API_URL: '' }, '/work').target).toBeUndefined();
    // Nowhere else to go: the load says there is no target, not that "" is no URL.
    expect(() => resolveConfig(['a.csv'], {}, { ...ENV, ALMA_API_URL: '', ALMA_API_KEY: 'k' }, '/work')).toThrow(/^no target: /);
    // The other targets' <NAME>_API_URL, the same (targets/settings.ts envValue).
    expect(() => resolveConfig(['a.csv'], { target: 'folio' }, { ...ENV, FOLIO_API_URL: '' }, '/work')).toThrow(/no FOLIO gateway/);
  });

  it('on an 80-column terminal, a long "from" goes on under itself; in a pipe, one line a setting', () => {
    const view = describeConfig({ rate: '4' }, { ...ENV, ALMA_API_KEY: 'l7xx-secret' }, '/work', file({ region: 'eu', api_key_file: 'k' }), () => 'readable by others');
    const narrow = renderConfigTable(view, plainStyle, '/work', 80).split('\n');
    for (const l of narrow) expect([...l].length, l).toBeLessThanOrEqual(80);
    const at = narrow.findIndex((l) => l.startsWith('alma_url'));
    // 12 + 2 + 49 + 2 = 65 columns before "from": 15 left.
    expect(narrow.slice(at, at + 3)).toEqual([
      'alma_url      https://api-eu.hosted.exlibrisgroup.com/almaws/v1  region eu',
      '                                                                 (config file)',
      'region        eu                                                 config file',
    ]);
    const piped = renderConfigTable(view, plainStyle, '/work');
    expect(piped).toMatch(/^alma_url +https:\/\/api-eu\.hosted\.exlibrisgroup\.com\/almaws\/v1 +region eu \(config file\)$/m);
    expect(piped.split('\n').filter((l) => l.startsWith(' '))).toEqual([]);
  });

  it('shows the proxy in use with its password as ***, and where it came from', () => {
    const env = { ...ENV, ALMA_API_KEY: 'k', HTTPS_PROXY: 'http://lib:s3cr3t@proxy.example.edu:3128', no_proxy: '.example.edu' };
    const view = describeConfig({}, env, '/work', file({ region: 'eu' }), readable);
    expect(view.settings.proxy).toEqual({ value: 'https: http://lib:***@proxy.example.edu:3128/; not for .example.edu', source: 'env HTTPS_PROXY, no_proxy (loopback never proxied)' });
    expect(JSON.stringify(view)).not.toContain('s3cr3t');
    expect(describeConfig({}, { ...ENV, ALMA_API_KEY: 'k' }, '/work', file({ region: 'eu' }), readable).settings.proxy).toEqual({ value: null, source: 'none (no https_proxy, http_proxy or all_proxy in the environment)' });
    // A socks all_proxy, left unread: said so, its password as ***, not "none in the environment".
    expect(describeConfig({}, { ...ENV, ALMA_API_KEY: 'k', all_proxy: 'socks5h://u:pw-XYZ@p.example:1080' }, '/work', file({ region: 'eu' }), readable).settings.proxy).toEqual({
      value: null,
      source: 'none (no https_proxy or http_proxy; all_proxy="socks5h://u:***@p.example:1080" is not an http(s) proxy: left unread)',
    });
  });

  it('says an https API goes direct when only http_proxy is set, as for curl', () => {
    const env = { ...ENV, ALMA_API_KEY: 'k', http_proxy: 'http://proxy.example.edu:3128' };
    expect(describeConfig({}, env, '/work', file({ region: 'eu' }), readable).settings.proxy).toEqual({
      value: 'https: direct (no https_proxy), http: http://proxy.example.edu:3128/',
      source: 'env http_proxy (loopback never proxied)',
    });
  });

  it('names all_proxy when it serves https', () => {
    const env = { ...ENV, ALMA_API_KEY: 'k', ALL_PROXY: 'http://proxy.example.edu:3128' };
    expect(describeConfig({}, env, '/work', file({ region: 'eu' }), readable).settings.proxy).toEqual({
      value: 'https: http://proxy.example.edu:3128/, http: http://proxy.example.edu:3128/',
      source: 'env ALL_PROXY (loopback never proxied)',
    });
  });

  it('says no_proxy=* as no proxy at all', () => {
    const env = { ...ENV, ALMA_API_KEY: 'k', https_proxy: 'http://proxy.example.edu:3128', NO_PROXY: '*' };
    expect(describeConfig({}, env, '/work', file({ region: 'eu' }), readable).settings.proxy).toEqual({ value: null, source: 'no proxy (env NO_PROXY=*: every host reached directly)' });
  });

  it('shows the password of a proxy given without a scheme as *** too', () => {
    const env = { ...ENV, ALMA_API_KEY: 'k', https_proxy: 'bob:Pr0xyPassw0rdXYZ@127.0.0.1:1' };
    const view = describeConfig({}, env, '/work', file({ region: 'eu' }), readable);
    expect(view.settings.proxy).toEqual({ value: 'https: http://bob:***@127.0.0.1:1/', source: 'env https_proxy (loopback never proxied)' });
    expect(JSON.stringify(view)).not.toContain('Pr0xyPassw0rdXYZ');
  });

  it('says when the key is missing, and checks a key file without reading it', () => {
    expect(describeConfig({}, ENV, '/work', file({ region: 'na' }), readable).settings.api_key).toEqual({ value: null, source: 'ALMA_API_KEY (not set)' });
    expect(describeConfig({}, ENV, '/work', file({ region: 'na', api_key_file: 'k' }), () => 'missing').settings.api_key).toEqual({
      value: null,
      source: 'file /etc/il/k (missing; config file)',
    });
    expect(describeConfig({}, ENV, '/work', file({ region: 'na', api_key_file: 'k' }), () => 'missing').problems).toEqual([
      'the API key file /etc/il/k is missing: a load with these settings would stop (exit 2)',
    ]);
    const open = describeConfig({}, ENV, '/work', file({ region: 'na', api_key_file: 'k' }), () => 'readable by others');
    expect(open.settings.api_key).toEqual({ value: '***', source: 'file /etc/il/k (readable by others: chmod 600 /etc/il/k; config file)' });
    expect(open.problems).toBeUndefined();
  });

  it('works without a config file or a target', () => {
    const view = describeConfig({}, ENV, '/work', undefined, readable);
    expect(view.config_file).toBeNull();
    expect(view.settings.target!.value).toBeNull();
    expect(view.settings.target!.source).toMatch(/^none: give --sandbox/);
  });
});

describe('--sheet', () => {
  const opts = (sheet: string): RawOptions => ({ dryRun: true, sheet }) as RawOptions;
  it('with a workbook among the inputs, it is kept for the workbooks', () => {
    expect(resolveConfig(['a.csv', 'b.XLSX'], opts('Invoices'), ENV, '/work').sheet).toBe('Invoices');
    expect(resolveConfig(['m.xlsm'], opts('S'), ENV, '/work').sheet).toBe('S');
  });
  it('with no workbook to pick it from, it is a usage error naming the inputs, not ignored', () => {
    expect(() => resolveConfig(['batch.csv'], opts('Invoices'), ENV, '/work')).toThrow(
      new UsageError('--sheet "Invoices" picks a sheet of an Excel workbook (.xlsx), and no input is one (batch.csv); give the workbook, or leave --sheet out'),
    );
    expect(() => resolveConfig(['a.csv', 'b.json', 'c.jsonl', 'd.xls'], opts('S'), ENV, '/work')).toThrow(/no input is one \(a\.csv, b\.json, c\.jsonl, …\)/);
  });
});

describe('proxyFromEnv: the proxy the environment names, as curl and npm read it', () => {
  it.each([
    ['none', {}, undefined],
    ['https_proxy alone', { https_proxy: 'http://proxy:3128' }, { httpProxy: '', httpsProxy: 'http://proxy:3128', noProxy: '', httpsFrom: 'https_proxy' }],
    ['upper case', { HTTP_PROXY: 'http://p:8080', NO_PROXY: '.example.org' }, { httpProxy: 'http://p:8080', httpsProxy: '', noProxy: '.example.org', httpFrom: 'HTTP_PROXY' }],
    ['lower case wins over upper', { http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:2' }, { httpProxy: 'http://low:1', httpsProxy: '', noProxy: '', httpFrom: 'http_proxy' }],
    ['no_proxy without a proxy: nothing to bypass', { no_proxy: '*' }, undefined],
    ['blank values are none', { https_proxy: '  ', http_proxy: '' }, undefined],
    ['no scheme: http://, as curl takes it', { https_proxy: 'proxy.example.edu:3128' }, { httpProxy: '', httpsProxy: 'http://proxy.example.edu:3128', noProxy: '', httpsFrom: 'https_proxy' }],
    ['no scheme, with user and password', { https_proxy: 'bob:Pr0xyPassw0rdXYZ@127.0.0.1:1' }, { httpProxy: '', httpsProxy: 'http://bob:Pr0xyPassw0rdXYZ@127.0.0.1:1', noProxy: '', httpsFrom: 'https_proxy' }],
    ['all_proxy serves a scheme without its own, as for curl', { ALL_PROXY: 'http://all:1', http_proxy: 'http://h:2' }, { httpProxy: 'http://h:2', httpsProxy: 'http://all:1', noProxy: '', httpFrom: 'http_proxy', httpsFrom: 'ALL_PROXY' }],
    ['all_proxy alone serves both', { all_proxy: 'proxy:3128' }, { httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3128', noProxy: '', httpFrom: 'all_proxy', httpsFrom: 'all_proxy' }],
    ['an https proxy is kept', { HTTPS_PROXY: 'https://proxy:3129' }, { httpProxy: '', httpsProxy: 'https://proxy:3129', noProxy: '', httpsFrom: 'HTTPS_PROXY' }],
  ] as [string, Record<string, string>, unknown][])('%s', (_name, env, expected) => {
    expect(proxyFromEnv(env)).toEqual(expected);
  });

  it('refuses a proxy that is not http(s), naming the variable, its password masked — kept for a run that would send through it', () => {
    expect(proxyFromEnv({ HTTPS_PROXY: 'socks5://bob:Pr0xyPassw0rdXYZ@proxy:1080' })).toMatchObject({
      httpsProxy: '',
      refusedHttps: 'HTTPS_PROXY="socks5://bob:***@proxy:1080" is a socks5 proxy, and invoice-load talks to http and https proxies only: give http://host:port (or unset HTTPS_PROXY to go direct)',
    });
    expect(proxyFromEnv({ http_proxy: 'http://' })?.refusedHttp).toBe('http_proxy="http://" is not a proxy URL: give http://host:port (or unset http_proxy to go direct)');
    expect(proxyFromEnv({ https_proxy: 'bob:Pr0xyPassw0rdXYZ@[bad' })?.refusedHttps).toMatch(/^https_proxy="bob:\*\*\*@\[bad" is not a proxy URL/);
  });

  it('leaves a socks all_proxy unread (set for other tools, it stopped nothing before all_proxy was read); an http one serves', () => {
    expect(proxyFromEnv({ all_proxy: 'socks5h://127.0.0.1:1080' })).toBeUndefined();
    expect(proxyFromEnv({ ALL_PROXY: 'socks://127.0.0.1:1080', https_proxy: 'http://proxy:3128' })).toMatchObject({ httpsProxy: 'http://proxy:3128', httpProxy: '' });
    expect(proxyFromEnv({ all_proxy: 'proxy:3128' })).toMatchObject({ httpsProxy: 'http://proxy:3128', httpProxy: 'http://proxy:3128' });
  });
});
