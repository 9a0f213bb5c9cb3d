/**
 * Flags and environment → one resolved, validated Config (pure: argv and env come in as
 * arguments, and so does the parsed config file). Precedence: flags, then environment, then the
 * config file, then defaults.
 */
import { rmSync, statSync } from 'node:fs';
import { reserveNames } from '../common/fs.js';
import { basename, extname, join, resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import { oneLine } from '../common/shown.js';
import { quotedValue } from '../common/mask.js';
import { isWorkbook, type Encoding } from '../input/read.js';
import type { ProxySettings } from '../transport/http.js';
import { applyConfigFile, type ConfigFile } from './config-file.js';
import { expandHome, homeFolder, NO_HOME, passwdHome } from './home.js';
import { resolveTargetChoice } from './target-options.js';
import type { RunAction, TargetSettings } from '../targets/definition.js';
import { ALMA_REGIONS as REGIONS, type AlmaRegion as Region } from '../targets/alma/regions.js';

export { REGIONS };

/** Options exactly as commander hands them over (strings unless a parser ran). */
export interface RawOptions {
  dryRun?: boolean;
  /** `--online`: with --dry-run, also check against the target's read-only API (src/cli/preflight.ts). */
  online?: boolean;
  json?: boolean;
  report?: string;
  reportCsv?: string;
  reportHtml?: string;
  /** `--config <path>`; read by the CLI layer, which hands the parsed file to resolveConfig. */
  config?: string;
  almaUrl?: string;
  region?: string;
  apiKeyFile?: string;
  /** `--target <name>` and the other targets' options (target-options.ts). */
  target?: string;
  action?: string;
  effectiveDate?: string;
  apiUrl?: string;
  credentialsFile?: string;
  sandbox?: boolean;
  stateDir?: string;
  rate?: string;
  concurrency?: string;
  skipInvalid?: boolean;
  encoding?: string;
  /** `--mapping <file>`: a vendor layout's profile (src/input/mapping/profile.ts). */
  mapping?: string;
  /** `--sheet <name>`: the sheet of an .xlsx input. */
  sheet?: string;
  /** `--rejects <path>`: the rows of invalid and failed invoices, to correct and load again. */
  rejects?: string;
  showPayloads?: boolean;
  timeout?: string;
  maxRetries?: string;
  pollTimeout?: string;
  /** `--settle <s>`: a fixed settle window instead of the measured one (src/engine/settle.ts). */
  settle?: string;
  /** `--check default|all|none`: which of the target's read-only checks a load runs before sending. */
  check?: string;
  /** `--no-canary` sets false: the first invoice written is not read back (engine/canary.ts). */
  canary?: boolean;
  /** `--max-errors <n>`: business refusals with one code in a row before no new invoice is started (0: no limit). */
  maxErrors?: string;
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  fsync?: boolean;
  /** A target's own options (its definition's `options`, e.g. `--no-approve` → `approve`), as commander names them. */
  [own: string]: string | boolean | undefined;
}

export interface Config {
  /** The institution's outbound HTTP proxy, from the environment (`proxyFromEnv`). */
  proxy?: ProxySettings | undefined;
  files: string[];
  dryRun: boolean;
  /** Dry run with read-only look-ups against the target (`--dry-run --online`). */
  online?: boolean | undefined;
  json: boolean;
  reportPath?: string | undefined;
  reportCsvPath?: string | undefined;
  reportHtmlPath?: string | undefined;
  showPayloads: boolean;
  skipInvalid: boolean;
  encoding: Encoding;
  /** The mapping profile's path, read by the CLI before the input files (`--mapping`). */
  mappingPath?: string | undefined;
  /** `--sheet`: the sheet of an .xlsx input (default: the profile's, else the first). */
  sheet?: string | undefined;
  /** `--rejects`: where the rows of invalid and failed invoices go (report/rejects.ts). */
  rejectsPath?: string | undefined;
  /** The output paths named for the run inside a folder given as the output (outputPath): claimed when written, never replaced (outputClaim). */
  inFolder?: readonly string[] | undefined;
  /** `--target`: the registry's name (src/targets/registry.ts); Alma unless said otherwise. */
  targetName: string;
  /** Where the run goes, as the target resolved it (its definition's `settings`); absent only for a dry run with nowhere given. */
  target?: TargetSettings | undefined;
  /** `--action cancel|reactivate` (Exsited batch actions). */
  action?: RunAction | undefined;
  /** Where journals live; '' only for a dry run without `--online` with no home folder (stateDirOf): it keeps no state. */
  stateDir: string;
  rate: number;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  pollTimeoutMs: number;
  /** A fixed settle window (ms), or undefined: measured on the run's first created invoice. */
  settleMs?: number | undefined;
  /** The read-only checks a load runs before the first write: within the default budget, all, or none. */
  check: 'default' | 'all' | 'none';
  /** Read the first invoice written back and compare it with what was sent (`--no-canary`: false). */
  canary: boolean;
  /** `--max-errors`: refusals with the same code in a row that stop new invoices; 0 = no limit. */
  maxErrors: number;
  verbose: boolean;
  quiet: boolean;
  fsync: boolean;
  /** When the run began (the CLI's clock): the report's `started`. */
  startedAt?: Date | undefined;
  /**
   * Milliseconds since the run began, on the monotonic clock (common/time.ts monotonicSince): the
   * report's `duration_s`, right when the wall clock is set during the run. Absent: the two wall times'.
   */
  sinceStart?: (() => number) | undefined;
}

/**
 * Default requests per second: Ex Libris' threshold page is quoted at 10/s for sandbox keys and
 * 50/s for production (docs/alma.md#requests-hosts-keys-and-thresholds, unverified); 10 is safe for
 * both.
 */
export const DEFAULT_RATE = 10;
/**
 * Upper bound of the invoices in flight. The loader keeps about rate × (latency + 150 ms) × 2
 * of them (engine/inflight.ts); 64 in flight still send 85 requests/s at 600 ms a round trip,
 * well above 50/s. Fewer are used when fewer do.
 */
export const DEFAULT_CONCURRENCY = 64;
/** `--max-errors`: ten identical refusals in a row are a pattern, not bad luck (a batch of 150 refused for one cause used to send all 150). */
export const DEFAULT_MAX_ERRORS = 10;
const ENCODINGS: readonly Encoding[] = ['utf-8', 'windows-1252', 'latin1', 'utf-16le'];

type NumberRule = 'above zero' | 'at least 0' | 'whole, at least 1' | 'whole, at least 0';

function checkOption(value: string | undefined): Config['check'] {
  if (value === undefined) return 'default';
  if (value === 'default' || value === 'all' || value === 'none') return value;
  throw new UsageError(`--check must be default, all or none, not ${quotedValue(value)}`);
}

const RULE_WORDS: Record<NumberRule, string> = {
  'above zero': 'a number above zero',
  'at least 0': 'a number, 0 or more',
  'whole, at least 0': 'a whole number, 0 or more',
  'whole, at least 1': 'a whole number, 1 or more',
};

function numberOption(name: string, value: string | undefined, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    (rule === 'above zero' ? n > 0 : rule === 'at least 0' ? n >= 0 : Number.isInteger(n) && n >= (rule === 'whole, at least 1' ? 1 : 0));
  if (!ok) throw new UsageError(`${name} must be ${RULE_WORDS[rule]}, not ${quotedValue(value)}`);
  return n;
}

/**
 * XDG state dir (https://specifications.freedesktop.org/basedir-spec/): journals are state, not
 * cache. Undefined with no XDG_STATE_HOME and no home folder (home.ts homeFolder).
 */
export function defaultStateDir(env: Record<string, string | undefined>, home: () => string | undefined = () => homeFolder(env)): string | undefined {
  if (env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/')) return join(env.XDG_STATE_HOME, 'invoice-load');
  const h = home();
  return h === undefined ? undefined : join(h, '.local', 'state', 'invoice-load');
}

/**
 * The state dir: `--state-dir` (or the config file's `state_dir`), else INVOICE_LOAD_STATE_DIR
 * (when not empty), else the default; a leading `~` is the home folder in each (home.ts). With no home folder and
 * none given: a UsageError — except for a dry run without `--online`, which keeps and reads no
 * state (it gets '', never used).
 */
function stateDirOf(o: RawOptions, env: Record<string, string | undefined>, cwd: string, passwd: () => string | undefined): string {
  const home = (): string | undefined => homeFolder(env, passwd);
  if (o.stateDir !== undefined) return resolve(cwd, expandHome(o.stateDir, '--state-dir', home, 'folder'));
  // Empty is unset, as usual for an environment variable (`INVOICE_LOAD_STATE_DIR= invoice-load …`,
  // a template that left it blank): the default, not the working directory.
  if (env.INVOICE_LOAD_STATE_DIR !== undefined && env.INVOICE_LOAD_STATE_DIR !== '') return resolve(cwd, expandHome(env.INVOICE_LOAD_STATE_DIR, 'INVOICE_LOAD_STATE_DIR', home, 'folder'));
  const dir = defaultStateDir(env, home);
  if (dir !== undefined) return resolve(cwd, dir);
  if (o.dryRun === true && o.online !== true) return '';
  throw new UsageError(NO_HOME);
}

export function resolveConfig(files: string[], flags: RawOptions, env: Record<string, string | undefined>, cwd: string, file?: ConfigFile, now: Date = new Date(), passwd: () => string | undefined = passwdHome): Config {
  // Flags, then environment, then the config file (its values fill only what both left open), then defaults.
  const o = applyConfigFile(flags, env, file, passwd).options;
  if (files.length === 0) throw new UsageError('no input files: give one or more CSV, Excel (.xlsx), JSON or JSON Lines files (or - for standard input)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  const encoding = (o.encoding ?? 'utf-8').toLowerCase().replace(/^utf8$/, 'utf-8').replace(/^cp1252$/, 'windows-1252') as Encoding;
  if (!ENCODINGS.includes(encoding)) throw new UsageError(`--encoding must be one of ${ENCODINGS.join(', ')}, not ${quotedValue(o.encoding ?? '')}`);
  if (o.region !== undefined && !REGIONS.includes(o.region as Region)) {
    throw new UsageError(`--region must be one of ${REGIONS.join(', ')}, not ${quotedValue(o.region)}`);
  }
  if (o.quiet && o.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
  // A sheet given on the command line with no workbook to pick it from would be ignored
  // silently: the person meant another file. (A config file's sheet serves its workbooks only.)
  if (flags.sheet !== undefined && !files.some(isWorkbook)) {
    const named = files.length <= 3 ? files.map(oneLine).join(', ') : `${files.slice(0, 3).map(oneLine).join(', ')}, …`;
    throw new UsageError(`--sheet ${JSON.stringify(flags.sheet)} picks a sheet of an Excel workbook (.xlsx), and no input is one (${named}); give the workbook, or leave --sheet out`);
  }
  if (o.online && !o.dryRun) {
    throw new UsageError('--online checks a batch against Alma without loading it: use it with --dry-run (a load makes its own look-ups)');
  }
  const stateDir = stateDirOf(o, env, cwd, passwd);
  // Each target resolves its own settings; another target's options never change how an Alma command is read.
  const choice = resolveTargetChoice({ flags: { ...flags, sandbox: o.sandbox, dryRun: o.dryRun }, merged: o, env, cwd, stateDir });
  return { ...baseConfig(files, o, cwd, stateDir, encoding, now), proxy: proxyFromEnv(env), targetName: choice.name, target: choice.target, action: choice.action };
}

/**
 * The proxy the environment names, as curl reads it: `https_proxy` for https requests,
 * `http_proxy` for http ones only (an https API goes direct when only `http_proxy` is set:
 * https://everything.curl.dev/usingcurl/proxies/env.html), `all_proxy` for either when its own
 * is not set, `no_proxy` for hosts reached
 * directly; lower case first, then upper case. Each URL with the variable it came from, for the
 * words that name it. Undefined without a proxy: requests go straight to the API.
 */
export function proxyFromEnv(env: Record<string, string | undefined>): ProxySettings | undefined {
  // all_proxy serves a scheme that has no variable of its own, as for curl ("ALL_PROXY … used if
  // no protocol specific proxy is set", https://everything.curl.dev/usingcurl/proxies/env.html) —
  // an http(s) one only: a socks all_proxy is commonly set for other tools, and before it was
  // read at all it stopped nothing, so one of another kind is left unread (README says so).
  const allVar = proxyVariable(env, 'all_proxy');
  const all = allVar.value !== '' && proxyRefusal(allVar) === undefined ? allVar : { ...allVar, value: '' };
  const own = (v: { name: string; value: string }): { name: string; value: string } => (v.value === '' && all.value !== '' ? all : v);
  const http = own(proxyVariable(env, 'http_proxy'));
  const https = own(proxyVariable(env, 'https_proxy'));
  // A variable named for its scheme that is not an http(s) proxy is refused — but only by a run
  // that would send through it (transport/http.ts proxyDispatcher): an offline dry run, the
  // embedded sandbox on loopback and `invoice-load config` do not need it.
  const refusedHttp = proxyRefusal(http);
  const refusedHttps = proxyRefusal(https);
  const httpProxy = refusedHttp === undefined ? proxyUrl(http) : '';
  const httpsProxy = refusedHttps === undefined ? proxyUrl(https) : '';
  if (httpProxy === '' && httpsProxy === '' && refusedHttp === undefined && refusedHttps === undefined) return undefined;
  return {
    httpProxy,
    httpsProxy,
    noProxy: proxyVariable(env, 'no_proxy').value,
    ...(httpProxy !== '' ? { httpFrom: http.name } : {}),
    ...(httpsProxy !== '' ? { httpsFrom: https.name } : {}),
    ...(refusedHttp !== undefined ? { refusedHttp } : {}),
    ...(refusedHttps !== undefined ? { refusedHttps } : {}),
  };
}

/** A scheme, as a URL begins with one (`http://`, `socks5h://`). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * A proxy variable's value as the URL the agent is given. One without a scheme
 * (`proxy.example.edu:3128`, `user:pass@proxy:3128`) is an http proxy, as curl takes it ("No
 * protocol specified or http:// it is treated as an HTTP proxy", https://curl.se/docs/manpage.html#-x;
 * https://everything.curl.dev/usingcurl/proxies/env.html) — undici refused it as an internal error,
 * and the URL parser read `user:` of the second form as its scheme, so its password was shown in
 * clear. Anything but an http or https proxy (curl's socks5://, a URL that does not parse) is a
 * usage error naming the variable, its value with any password as `***`.
 */
function proxyUrl(v: { name: string; value: string }): string {
  if (v.value === '') return '';
  return SCHEME.test(v.value) ? v.value : `http://${v.value}`;
}

/** Why a proxy variable's value cannot be used (proxyUrl), or undefined when it can or is empty. */
function proxyRefusal(v: { name: string; value: string }): string | undefined {
  if (v.value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(proxyUrl(v));
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return undefined;
  const why = url === undefined || url.hostname === '' ? 'is not a proxy URL' : `is a ${url.protocol.slice(0, -1)} proxy, and invoice-load talks to http and https proxies only`;
  return `${v.name}="${shownProxy(v.value)}" ${why}: give http://host:port (or unset ${v.name} to go direct)`;
}

/**
 * A proxy variable's value as messages and `invoice-load config` show it, its password as `***`
 * whether it parses or not: what stands between the first `:` after the scheme and the last `@`.
 */
export function shownProxy(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const colon = value.indexOf(':', SCHEME.exec(value)?.[0].length ?? 0);
  return colon >= 0 && colon < at ? `${value.slice(0, colon + 1)}***${value.slice(at)}` : value;
}

/** One of the proxy variables: the lower-case name when it is set, else the upper-case one; its value trimmed. */
export function proxyVariable(env: Record<string, string | undefined>, lower: string): { name: string; value: string } {
  const name = env[lower] !== undefined ? lower : lower.toUpperCase();
  return { name, value: (env[name] ?? '').trim() };
}

/** The ending of the file each output writes when it is given a folder. */
const FOLDER_FILE_ENDING: Record<string, string> = { '--report': '.json', '--report-csv': '.csv', '--report-html': '.html', '--rejects': '-rejects.csv' };

/**
 * An output's path, relative to `cwd`. A folder — one that exists, or a path ending in `/` —
 * gets a file named for the run inside it: `invoice-load-<first input's name>-<UTC
 * YYYYMMDDTHHMMSSZ>.json` (README "The report"). A path ending in `/` whose folder does not
 * exist is refused before anything is read or sent, rather than written as a file of that name.
 */
export function outputPath(flag: string, given: string, cwd: string, files: readonly string[], now: Date): string {
  const path = resolve(cwd, given);
  const slash = given.endsWith('/');
  let folder = false;
  try {
    folder = statSync(path).isDirectory();
  } catch (err) {
    // Any other error is the output check's to say (outputs.ts checkOutputPaths).
    if (slash && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`${flag} ${given}: the folder ${path} does not exist (a path ending in / names a folder); create it, or name a file; nothing was sent`);
    }
  }
  if (!folder) {
    if (slash) throw new UsageError(`${flag} ${given}: ${path} is not a folder (a path ending in / names a folder); nothing was sent`);
    return path;
  }
  const first = files[0];
  const stem = first === undefined ? '' : first === '-' ? 'stdin-' : `${basename(first, extname(first))}-`;
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return join(path, `invoice-load-${stem}${stamp}${FOLDER_FILE_ENDING[flag] ?? ''}`);
}

/**
 * How an output file is written (common/fs.ts writeOutputFile's `claim`): a name outputPath chose
 * inside a folder is claimed — two runs started in the same second on inputs of one name (a
 * folder per vendor, each with its invoices.csv) chose the same one, and the second replaced the
 * first's file — taking `-2`, `-3`, … before the ending when it is taken. A file the user named
 * is replaced, as before (undefined).
 */
export function outputClaim(cfg: Pick<Config, 'inFolder'>, path: string): ((n: number) => string) | undefined {
  if (cfg.inFolder?.includes(path) !== true) return undefined;
  const ending = Object.values(FOLDER_FILE_ENDING)
    .filter((e) => path.endsWith(e))
    .sort((a, b) => b.length - a.length)[0] ?? '';
  const stem = path.slice(0, path.length - ending.length);
  return (n) => (n <= 1 ? path : `${stem}-${n}${ending}`);
}

type RunOutputs = Pick<Config, 'inFolder' | 'reportPath' | 'reportCsvPath' | 'reportHtmlPath' | 'rejectsPath'>;
const RUN_OUTPUTS = ['reportPath', 'reportCsvPath', 'reportHtmlPath', 'rejectsPath'] as const;

/**
 * A run's outputs named inside folders take one suffix together (README "Options": `--report`):
 * claimed one at a time, the report could take `-2` (its name was another run's) and the rejects
 * not, and paired by name they crossed with the other run's. With two or more of them, every
 * name is claimed at once for the first suffix free for all (common/fs.ts reserveNames); the
 * Config returned names them as its output paths, files of the run's own that its writes
 * replace. `release` removes those left empty (a write that failed). Unchanged with fewer than
 * two, or when the names cannot be claimed: each write then claims its own, or says why not.
 */
export function claimRunOutputs<C extends RunOutputs>(cfg: C, reserve: (groups: readonly ((n: number) => string)[]) => string[] = reserveNames): { cfg: C; release(): void } {
  const keys = RUN_OUTPUTS.filter((k) => cfg[k] !== undefined && cfg.inFolder?.includes(cfg[k]!) === true);
  const unchanged = { cfg, release: () => undefined };
  if (keys.length < 2) return unchanged;
  let names: string[];
  try {
    names = reserve(keys.map((k) => outputClaim(cfg, cfg[k]!)!));
  } catch {
    return unchanged;
  }
  const claimed = { ...cfg, inFolder: cfg.inFolder!.filter((p) => !keys.some((k) => cfg[k] === p)) };
  keys.forEach((k, i) => (claimed[k] = names[i]));
  return {
    cfg: claimed,
    release: () => {
      for (const name of names) {
        try {
          if (statSync(name).size === 0) rmSync(name, { force: true });
        } catch {
          // Gone already: nothing to release.
        }
      }
    },
  };
}

/** Everything of the Config that does not depend on the target. */
function baseConfig(files: string[], o: RawOptions, cwd: string, stateDir: string, encoding: Encoding, now: Date): Omit<Config, 'targetName'> {
  const inFolder: string[] = [];
  const output = (flag: string, given: string | undefined): string | undefined => {
    if (given === undefined) return undefined;
    const path = outputPath(flag, given, cwd, files, now);
    // A path outputPath named inside a folder is never the one given.
    if (path !== resolve(cwd, given)) inFolder.push(path);
    return path;
  };
  const [reportPath, reportCsvPath, reportHtmlPath, rejectsPath] = [
    output('--report', o.report),
    output('--report-csv', o.reportCsv),
    output('--report-html', o.reportHtml),
    output('--rejects', o.rejects),
  ];
  return {
    inFolder,
    files,
    dryRun: o.dryRun ?? false,
    online: o.online ?? false,
    json: o.json ?? false,
    reportPath,
    reportCsvPath,
    reportHtmlPath,
    showPayloads: o.showPayloads ?? false,
    skipInvalid: o.skipInvalid ?? false,
    encoding,
    mappingPath: o.mapping !== undefined ? resolve(cwd, o.mapping) : undefined,
    sheet: o.sheet,
    rejectsPath,
    stateDir,
    rate: numberOption('--rate', o.rate, DEFAULT_RATE, 'above zero'),
    concurrency: numberOption('--concurrency', o.concurrency, DEFAULT_CONCURRENCY, 'whole, at least 1'),
    timeoutMs: numberOption('--timeout', o.timeout, 30, 'above zero') * 1000,
    maxRetries: numberOption('--max-retries', o.maxRetries, 4, 'whole, at least 0'),
    pollTimeoutMs: numberOption('--poll-timeout', o.pollTimeout, 60, 'above zero') * 1000,
    settleMs: o.settle !== undefined ? numberOption('--settle', o.settle, 0, 'at least 0') * 1000 : undefined,
    check: checkOption(o.check),
    canary: o.canary !== false,
    maxErrors: numberOption('--max-errors', o.maxErrors, DEFAULT_MAX_ERRORS, 'whole, at least 0'),
    verbose: o.verbose ?? false,
    quiet: o.quiet ?? false,
    fsync: o.fsync ?? true,
  };
}
