/**
 * `invoice-load config`: the settings a load would run with, and where each came from (flag,
 * environment, config file, default) — the first thing to look at when a cron job loads into
 * the wrong place. The API key is never shown: `***` and where it would be read from.
 */
import { NO_HOME } from './home.js';
import { accessSync, constants, statSync } from 'node:fs';
import { secretFileExposure } from '../common/fs.js';
import { resolve as resolvePath } from 'node:path';
import { Command, Option } from 'commander';
import { proxyVariable, resolveConfig, shownProxy, DEFAULT_CONCURRENCY, DEFAULT_RATE, REGIONS, type Config, type RawOptions } from './config.js';
import { applyConfigFile, describeSource, readConfigFile, CONFIG_FILE_NAME, type ConfigFile, type Source } from './config-file.js';
import { almaBaseUrl } from '../targets/alma/regions.js';
import { noProxyAll } from '../common/proxy.js';
import type { AlmaSettings } from '../targets/alma/index.js';
import type { TargetDefinition } from '../targets/definition.js';
import { targetNamed } from '../targets/registry.js';
import { targetOptions } from './target-options.js';
import { stringifyJson } from '../common/json.js';
import type { Style } from '../report/human.js';
import { columnWidths, padToWidth, wrapLine } from '../report/fit.js';
import type { Terminal } from './terminal.js';

export interface SettingView {
  value: string | number | null;
  source: string;
}

export interface ConfigView {
  /** Absolute path of the config file in use, or null. */
  config_file: string | null;
  settings: Record<string, SettingView>;
  /** What would stop a load with these settings (not in `--json`'s document: the exit code says it). */
  problems?: string[];
}

/** Whether a key file can be read; `readable by others` when every user of the machine can (mode o+r). */
export type KeyFileProbe = (path: string) => 'readable' | 'readable by others' | 'missing' | 'unreadable';

/**
 * Pure: the resolved settings and their sources. `probe` says whether a key file can be read
 * (the file's content is never read here).
 */
export function describeConfig(
  flags: RawOptions,
  env: Record<string, string | undefined>,
  cwd: string,
  file: ConfigFile | undefined,
  probe: KeyFileProbe,
): ConfigView {
  const { options, sources } = applyConfigFile(flags, env, file);
  // A dry run needs no target and no key, so resolveConfig reports a half-configured setup instead of refusing it.
  const cfg = resolveConfig(['-'], { ...flags, dryRun: true }, env, cwd, file);
  const src = (s: Source): string => describeSource(s);
  const settings: Record<string, SettingView> = {};
  const problems: string[] = [];
  // Alma's settings in detail; another target's come from its own flags and environment.
  const t = cfg.targetName === 'alma' ? (cfg.target as AlmaSettings | undefined) : undefined;
  settings.target = {
    value: t === undefined ? null : t.kind === 'sandbox' ? 'embedded sandbox' : 'alma',
    source: t === undefined ? 'none: give --sandbox, or --region / --alma-url (or "region" / "alma_url" in the config file)' : src(sources.target),
  };
  const keyFromEnv = (): SettingView => {
    const set = env.ALMA_API_KEY !== undefined && env.ALMA_API_KEY.trim() !== '';
    return { value: set ? '***' : null, source: `ALMA_API_KEY (${set ? 'set' : 'not set'})` };
  };
  // The same keys for every target, so scripts reading --json need no special cases.
  settings.alma_url = { value: null, source: 'not used' };
  settings.region = { value: null, source: 'not used' };
  if (cfg.targetName !== 'alma') {
    // Exsited and Alguna have their own settings (--api-url, --credentials-file); the config file holds Alma's.
    settings.target = { value: cfg.targetName + (cfg.target?.kind === 'sandbox' ? ' (embedded sandbox)' : ''), source: 'flag --target' };
    settings.api_key = { value: null, source: `not used by ${cfg.targetName}: --credentials-file or its environment variables` };
    Object.assign(settings, targetSettings(targetNamed(cfg.targetName), flags, env, cwd, cfg.target?.kind === 'sandbox', probe));
  } else if (t?.kind === 'alma') {
    const url = almaBaseUrl({ baseUrl: t.baseUrl, region: t.region });
    settings.alma_url = { value: url, source: t.baseUrl !== undefined ? src(sources.target) : `region ${t.region} (${src(sources.target)})` };
    if (t.region !== undefined) settings.region = { value: t.region, source: src(sources.target) };
    if ('env' in t.apiKeySource) {
      settings.api_key = keyFromEnv();
    } else {
      const file = t.apiKeySource.file;
      const state = probe(file);
      const readable = state === 'readable' || state === 'readable by others';
      const fix = state === 'readable by others' ? `: chmod 600 ${file}` : '';
      settings.api_key = { value: readable ? '***' : null, source: `file ${file} (${state}${fix}; ${src(sources.api_key_file)})` };
      if (!readable) problems.push(`the API key file ${file} is ${state === 'missing' ? 'missing' : 'not readable'}: a load with these settings would stop (exit 2)`);
    }
  } else if (t?.kind === 'sandbox') {
    settings.target!.source += ` (state in ${t.statePath})`;
    settings.api_key = { value: null, source: 'not needed (sandbox)' };
  } else {
    settings.api_key = keyFromEnv();
  }
  const stateSource =
    sources.state_dir.kind === 'default' && env.XDG_STATE_HOME?.startsWith('/') ? 'default (XDG_STATE_HOME)' : src(sources.state_dir);
  // '': no home folder and no state dir given (config.ts stateDirOf); a load says so and stops.
  settings.state_dir = cfg.stateDir === '' ? { value: null, source: NO_HOME } : { value: cfg.stateDir, source: stateSource };
  settings.proxy = proxyView(cfg.proxy, env);
  settings.rate = { value: cfg.rate, source: src(sources.rate) };
  settings.concurrency = { value: cfg.concurrency, source: src(sources.concurrency) };
  settings.timeout = { value: cfg.timeoutMs / 1000, source: src(sources.timeout) };
  settings.max_retries = { value: cfg.maxRetries, source: src(sources.max_retries) };
  settings.poll_timeout = { value: cfg.pollTimeoutMs / 1000, source: src(sources.poll_timeout) };
  settings.mapping = { value: options.mapping !== undefined ? resolvePath(cwd, options.mapping) : null, source: options.mapping !== undefined ? src(sources.mapping) : 'none (canonical columns)' };
  settings.report = { value: cfg.reportPath ?? null, source: cfg.reportPath ? src(sources.report) : 'not written' };
  settings.report_csv = { value: cfg.reportCsvPath ?? null, source: cfg.reportCsvPath ? src(sources.report_csv) : 'not written' };
  settings.report_html = { value: cfg.reportHtmlPath ?? null, source: cfg.reportHtmlPath ? src(sources.report_html) : 'not written' };
  return { config_file: file?.path ?? null, settings, ...(problems.length > 0 ? { problems } : {}) };
}

/** The proxy row: the URL in use (its password as ***) and the variable it came from. */
function proxyView(proxy: Config['proxy'], env: Record<string, string | undefined>): SettingView {
  if (proxy === undefined) {
    // A socks all_proxy, set for other tools, is left unread (config.ts proxyFromEnv): said so, not "none set".
    const all = proxyVariable(env, 'all_proxy');
    if (all.value !== '') return { value: null, source: `none (no https_proxy or http_proxy; ${all.name}="${shownProxy(all.value)}" is not an http(s) proxy: left unread)` };
    return { value: null, source: 'none (no https_proxy, http_proxy or all_proxy in the environment)' };
  }
  const shown = (u: string): string => {
    try {
      const url = new URL(u);
      if (url.password !== '') url.password = '***';
      return url.href;
    } catch {
      return u.replace(/:[^:@/]*@/, ':***@');
    }
  };
  const from = (name: string): string => proxyVariable(env, name).name;
  if (noProxyAll(proxy)) return { value: null, source: `no proxy (env ${from('no_proxy')}=*: every host reached directly)` };
  // An https API (Alma's) goes direct without https_proxy, as for curl (config.ts proxyFromEnv).
  // A variable that cannot be used is said as a run sending through it would refuse it (config.ts proxyRefusal).
  const parts = [
    proxy.refusedHttps !== undefined ? `https: refused — ${proxy.refusedHttps}` : proxy.httpsProxy !== '' ? `https: ${shown(proxy.httpsProxy)}` : 'https: direct (no https_proxy)',
    proxy.refusedHttp !== undefined ? `http: refused — ${proxy.refusedHttp}` : proxy.httpProxy !== '' ? `http: ${shown(proxy.httpProxy)}` : '',
  ].filter((x) => x !== '');
  // Each variable once: all_proxy may serve both.
  const names = [
    ...new Set([proxy.httpsProxy !== '' ? (proxy.httpsFrom ?? from('https_proxy')) : '', proxy.httpProxy !== '' ? (proxy.httpFrom ?? from('http_proxy')) : '', proxy.noProxy !== '' ? from('no_proxy') : '']),
  ].filter((x) => x !== '');
  return { value: parts.join(', ') + (proxy.noProxy !== '' ? `; not for ${proxy.noProxy}` : ''), source: `env ${names.join(', ')} (loopback never proxied)` };
}

/**
 * A target's own rows (its definition's `connection` and `options`): where its URL, credentials
 * and other settings come from. A secret shows as `***`; a credentials file is probed, not read.
 */
function targetSettings(
  def: TargetDefinition,
  flags: RawOptions,
  env: Record<string, string | undefined>,
  cwd: string,
  sandbox: boolean,
  probe: KeyFileProbe,
): Record<string, SettingView> {
  const rows: Record<string, SettingView> = {};
  const c = def.connection;
  if (c !== undefined) {
    const urlEnv = `${def.name.toUpperCase()}_API_URL`;
    rows.api_url = sandbox
      ? { value: null, source: 'not needed (sandbox)' }
      : flags.apiUrl !== undefined
        ? { value: flags.apiUrl, source: 'flag --api-url' }
        : env[urlEnv]
          ? { value: env[urlEnv]!, source: `env ${urlEnv}` }
          : { value: null, source: c.urlUnset ?? `not set (--api-url or ${urlEnv})` };
    const file = flags.credentialsFile !== undefined ? resolvePath(cwd, flags.credentialsFile) : undefined;
    if (file !== undefined) rows.credentials_file = { value: file, source: `flag --credentials-file (${probe(file)})` };
    for (const e of c.env) {
      const set = env[e.env] !== undefined && env[e.env] !== '';
      rows[e.setting] =
        e.credential && sandbox
          ? { value: null, source: 'not needed (sandbox)' }
          : e.credential && file !== undefined
            ? { value: null, source: 'the credentials file' }
            : set
              ? { value: e.secret ? '***' : env[e.env]!, source: `env ${e.env}` }
              : { value: null, source: e.unset !== undefined ? `${e.unset} (${e.env} not set)` : `${e.env} (not set)` };
    }
  }
  for (const o of def.options ?? []) {
    const option = new Option(o.flags);
    const name = option.attributeName();
    const given = option.negate ? flags[name] === false : flags[name] !== undefined;
    const value = option.negate ? String(flags[name] !== false) : (flags[name] ?? null);
    rows[name] = { value: typeof value === 'boolean' ? String(value) : value, source: given ? `flag ${option.long ?? o.flags}` : 'default' };
  }
  return rows;
}

const UNITS: Record<string, string> = { rate: ' requests/s', timeout: ' s', poll_timeout: ' s' };

/**
 * The settings as a table. `width` (stdout is a terminal): a "from" too long for the window
 * goes on under itself, broken between words, as `--help` does with its descriptions; the
 * header line is broken between words too.
 */
export function renderConfigTable(view: ConfigView, style: Style, cwd: string, width?: number): string {
  const rows: [string, string, string][] = [['setting', 'value', 'from']];
  for (const [name, s] of Object.entries(view.settings)) {
    rows.push([name, s.value === null ? '-' : `${s.value}${UNITS[name] ?? ''}`, s.source]);
  }
  const [w0 = 0, w1 = 0] = columnWidths(rows);
  const indent = w0 + 2 + w1 + 2;
  // Under 12 characters a column of words is no easier to read than the terminal's own wrap.
  const room = width !== undefined && width - indent >= 12 ? width - indent : undefined;
  const lines = rows.flatMap(([a, b, c], i) => {
    const parts = room !== undefined ? wrapLine(c, room) : [c];
    const out = parts.map((p, j) => (j === 0 ? `${padToWidth(a, w0)}  ${padToWidth(b, w1)}  ${p}` : `${' '.repeat(indent)}${p}`).trimEnd());
    return i === 0 ? out.map((l) => style.dim(l)) : out;
  });
  const head = view.config_file
    ? `config file: ${view.config_file}`
    : `config file: none (no ${CONFIG_FILE_NAME} in ${cwd}; --config <path> names one)`;
  const headLines = width !== undefined ? wrapLine(head, width) : [head];
  return `${headLines.map((l) => style.bold(l)).join('\n')}\n\n${lines.join('\n')}\n`;
}

const probeFile: KeyFileProbe = (path) => {
  try {
    accessSync(path, constants.R_OK);
    return secretFileExposure('the API key file', path, statSync(path).mode) !== undefined ? 'readable by others' : 'readable';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
};

export function runConfigCommand(flags: RawOptions, term: Terminal, cwd: string = process.cwd()): number {
  const file = readConfigFile(flags.config, cwd);
  const { problems, ...view } = describeConfig(flags, process.env, cwd, file, probeFile);
  process.stdout.write(flags.json ? stringifyJson(view, 2) + '\n' : renderConfigTable(view, term.outStyle, cwd, term.outColumns));
  // Shown, and not passed: a cron job's setup check (`invoice-load config && …`) must fail here.
  for (const p of problems ?? []) process.stderr.write(term.errStyle.red(`invoice-load: ${p}`) + '\n');
  return problems === undefined ? 0 : 2;
}

/** The settings flags of the load command, repeated so `invoice-load config --region eu` shows their effect. */
export function addConfigCommand(program: Command, onConfig: (opts: RawOptions) => Promise<number> | number): Command {
  const cmd = program
    .command('config')
    .description('show the settings a load would use and where each comes from (flag, environment, config file, default); the key is never shown')
    .option('--config <path>', `config file (default: ./${CONFIG_FILE_NAME} when present)`)
    .option('--json', 'print the settings as JSON')
    .option('--sandbox', 'as the load command')
    .option('--alma-url <url>', 'as the load command')
    .option('--region <region>', `as the load command (${REGIONS.join(', ')})`)
    .option('--api-key-file <path>', 'as the load command')
    .option('--state-dir <dir>', 'as the load command')
    .option('--rate <n>', `as the load command (default ${DEFAULT_RATE})`)
    .option('--concurrency <n>', `as the load command (default ${DEFAULT_CONCURRENCY})`)
    .option('--timeout <seconds>', 'as the load command')
    .option('--max-retries <n>', 'as the load command')
    .option('--poll-timeout <seconds>', 'as the load command')
    .option('--mapping <file>', 'as the load command')
    .option('--target <name>', 'as the load command')
    .option('--api-url <url>', 'as the load command')
    .option('--credentials-file <path>', 'as the load command')
    .option('--report <path>', 'as the load command')
    .option('--report-csv <path>', 'as the load command')
    .option('--report-html <path>', 'as the load command');
  for (const { option } of targetOptions()) cmd.addOption(new Option(option.flags, 'as the load command'));
  cmd.addHelpText(
    'after',
    `
Examples:
  $ invoice-load config                    # what a load here would use
  $ invoice-load config --json             # the same, for scripts
  $ invoice-load config --config /etc/invoice-load/config.json --region na
  $ invoice-load config --target exsited   # where an Exsited load goes, how
`,
  );
  cmd.action(async (_opts: RawOptions, c: Command) => {
    // Options given before `config` belong to the main program; both count, the nearer one wins
    // (optsWithGlobals alone lets the program's defaults, such as `--no-approve`'s true, win).
    const given = Object.fromEntries(Object.entries(c.opts()).filter(([k]) => c.getOptionValueSource(k) === 'cli'));
    const all = { ...c.optsWithGlobals<RawOptions & { encoding?: string; color?: boolean; fsync?: boolean }>(), ...given };
    const { encoding: _e, color: _c, fsync: _f, ...flags } = all;
    process.exitCode = await onConfig(flags);
  });
  return cmd;
}
