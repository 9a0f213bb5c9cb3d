/**
 * The config file: `invoice-load.config.json` in the working directory, or `--config <path>`.
 * It holds defaults that are tedious to repeat on every run (which Alma, how fast, where state
 * and reports go). Precedence (clig.dev): flags, then environment, then this file, then the
 * built-in defaults.
 *
 * Reading the file is I/O (`readConfigFile`); parsing and layering are pure, so the whole
 * resolution can be tested with tables.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { UsageError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';
import { expandHome, homeFolder, passwdHome, pathNames } from './home.js';
import type { RawOptions } from './config.js';

export const CONFIG_FILE_NAME = 'invoice-load.config.json';

const REGION_VALUES = ['na', 'eu', 'ap', 'aps', 'ca', 'cn'] as const;

/**
 * The schema of the file's settings, built on first use: zod is loaded only by a run that has a
 * config file (most runs have none, and loading zod is a good part of Node's start-up). Its
 * CommonJS build is loaded synchronously, so parsing stays a plain function.
 */
function buildSettingsSchema(z: typeof Zod) {
  const path = (what: string) =>
    z.string({ error: `must be a string: ${what}` }).trim().min(1, { error: `must not be empty: ${what}` });
  const positive = (what: string) =>
    z.number({ error: `must be a number: ${what}` }).positive({ error: `must be above zero: ${what}` });
  const whole = (what: string, min: number) =>
    z.number({ error: `must be a number: ${what}` }).int({ error: `must be a whole number: ${what}` }).min(min, { error: `must be at least ${min}: ${what}` });

  return z
    .strictObject({
      alma_url: z
        .string({ error: 'must be a string: the API base URL, e.g. "https://api-eu.hosted.exlibrisgroup.com"' })
        .refine(
          (s) => {
            try {
              const u = new URL(s);
              return u.protocol === 'https:' || u.protocol === 'http:';
            } catch {
              return false;
            }
          },
          { error: 'must be an http(s) URL, e.g. "https://api-eu.hosted.exlibrisgroup.com"' },
        )
        .refine(
          (s) => {
            try {
              const u = new URL(s);
              return u.username === '' && u.password === '' && u.search === '' && u.hash === '';
            } catch {
              return true; // reported by the check above
            }
          },
          // `?apikey=…` would put the key in the file after all
          { error: 'must not carry credentials, a query or a fragment: the key goes in "api_key_file" or ALMA_API_KEY' },
        ),
      region: z.enum(REGION_VALUES, { error: `must be one of ${REGION_VALUES.join(', ')}` }),
      api_key_file: path('the file that holds the API key'),
      state_dir: path('the folder for journals'),
      rate: positive('most requests per second'),
      concurrency: whole('invoices in flight at once', 1),
      timeout: positive('seconds to wait for one answer'),
      max_retries: whole('retries of one safe request', 0),
      poll_timeout: positive('seconds to wait for Alma to finish processing'),
      mapping: path('the column-mapping profile'),
      report: path('where to write the JSON report'),
      report_csv: path('where to write the CSV report'),
      report_html: path('where to write the HTML report'),
    })
    .partial()
    .refine((s) => !(s.alma_url !== undefined && s.region !== undefined), {
      error: 'give either "alma_url" or "region", not both',
    });
}
let settingsSchemaMemo: ReturnType<typeof buildSettingsSchema> | undefined;
const settingsSchema = (): ReturnType<typeof buildSettingsSchema> =>
  (settingsSchemaMemo ??= buildSettingsSchema(createRequire(import.meta.url)('zod') as typeof Zod));

export type FileSettings = Zod.infer<ReturnType<typeof buildSettingsSchema>>;
export type SettingName = keyof FileSettings;
export const SETTING_NAMES: readonly SettingName[] = [
  'alma_url',
  'region',
  'api_key_file',
  'state_dir',
  'rate',
  'concurrency',
  'timeout',
  'max_retries',
  'poll_timeout',
  'mapping',
  'report',
  'report_csv',
  'report_html',
];

export interface ConfigFile {
  /** Absolute path: named in messages, and relative paths inside the file are relative to its folder. */
  path: string;
  settings: FileSettings;
}

const normalise = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Keys that would hold the key itself. Refused by name, with the reason, before anything else. */
const SECRET_KEYS = new Set(['apikey', 'almaapikey', 'almakey', 'key', 'apitoken', 'token', 'secret', 'password']);

const SECRET_REFUSAL =
  'the API key is not accepted in the config file: config files get committed to version control, copied between ' +
  'machines and attached to bug reports, and are often readable by everyone on the machine, so a key in one leaks. ' +
  'Put the key alone in a file only you can read (chmod 600) and name that file with "api_key_file", or set ALMA_API_KEY';

/** `$.rate`, `$["odd key"]`, `$` — the path people can find in their file. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return (
    '$' +
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`))
      .join('')
  );
}

/** Where in the text a JSON.parse error points, as line and column (Node 20 says only "position N"). */
function syntaxLocation(text: string, message: string): string {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return `line ${lc[1]}, column ${lc[2]}`;
  const pos = /position (\d+)/.exec(message);
  if (!pos) return '';
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * Validates the text of a config file. Every problem is reported at once, each with its JSON
 * path; the key itself is refused by name and never echoed. Throws UsageError (exit 2).
 */
export function parseConfigFile(text: string, filePath: string): ConfigFile {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const msg = (err as Error).message;
    const at = syntaxLocation(text, msg);
    throw new UsageError(`config file ${filePath} is not valid JSON${at ? ` (${at})` : ''}: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`config file ${filePath}: $: must be a JSON object of settings, e.g. {"region": "eu"}`);
  }
  const problems: string[] = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (SECRET_KEYS.has(normalise(k))) problems.push(`${jsonPath([k])}: ${SECRET_REFUSAL}`);
    else rest[k] = v;
  }
  const parsed = settingsSchema().safeParse(rest);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const near = SETTING_NAMES.find((n) => normalise(n) === normalise(key));
          problems.push(
            `${jsonPath([...issue.path, key])}: unknown setting` + (near ? ` (did you mean "${near}"?)` : ` (known: ${SETTING_NAMES.join(', ')})`),
          );
        }
      } else {
        problems.push(`${jsonPath(issue.path)}: ${issue.message}`);
      }
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new UsageError(`config file ${filePath} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`);
  }
  return { path: filePath, settings: parsed.data };
}

/**
 * The I/O half: `--config <path>` must exist; the default file in the working directory is
 * used when present and silently skipped when not.
 */
export function readConfigFile(explicit: string | undefined, cwd: string): ConfigFile | undefined {
  const filePath = resolve(cwd, explicit ?? CONFIG_FILE_NAME);
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit === undefined && code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read config file ${filePath}: ${pathReason(err) ?? code ?? 'error'}`);
  }
  return parseConfigFile(text, filePath);
}

/** Where a value came from, as `invoice-load config` shows it. */
export type Source = { kind: 'flag'; name: string } | { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'default' };

export const describeSource = (s: Source): string =>
  s.kind === 'flag' ? `flag ${s.name}` : s.kind === 'env' ? `env ${s.name}` : s.kind === 'file' ? 'config file' : 'default';

/** The options after layering: RawOptions plus settings owned by other features (`--mapping`). */
export type LayeredOptions = RawOptions & { mapping?: string | undefined };

export interface Layered {
  options: LayeredOptions;
  /** For every setting the file can hold, plus `target` (sandbox / alma_url / region) and `api_key`. */
  sources: Record<SettingName | 'target' | 'api_key', Source>;
}

/** RawOptions field and flag of each file setting, and the environment variable that outranks the file. */
const BINDINGS: Record<SettingName, { option: keyof LayeredOptions; flag: string; env?: string; isPath?: boolean }> = {
  alma_url: { option: 'almaUrl', flag: '--alma-url', env: 'ALMA_API_URL' },
  region: { option: 'region', flag: '--region' },
  api_key_file: { option: 'apiKeyFile', flag: '--api-key-file', env: 'ALMA_API_KEY', isPath: true },
  state_dir: { option: 'stateDir', flag: '--state-dir', env: 'INVOICE_LOAD_STATE_DIR', isPath: true },
  rate: { option: 'rate', flag: '--rate' },
  concurrency: { option: 'concurrency', flag: '--concurrency' },
  timeout: { option: 'timeout', flag: '--timeout' },
  max_retries: { option: 'maxRetries', flag: '--max-retries' },
  poll_timeout: { option: 'pollTimeout', flag: '--poll-timeout' },
  mapping: { option: 'mapping', flag: '--mapping', isPath: true },
  report: { option: 'report', flag: '--report', isPath: true },
  report_csv: { option: 'reportCsv', flag: '--report-csv', isPath: true },
  report_html: { option: 'reportHtml', flag: '--report-html', isPath: true },
};

/** Variables that count only when not empty: an empty one is unset (README "Options": `INVOICE_LOAD_STATE_DIR`, `ALMA_API_URL`). */
const EMPTY_IS_UNSET: readonly string[] = ['ALMA_API_KEY', 'INVOICE_LOAD_STATE_DIR', 'ALMA_API_URL'];

/**
 * As resolveConfig reads them: the key, the state dir and the URL only when not empty
 * (targets/settings.ts envValue); the key only when not blank, as the load trims it
 * (targets/alma/index.ts envApiKey) — `ALMA_API_KEY=$'\n'` had set aside the file's api_key_file,
 * then counted as no key.
 */
const setEnv = (env: Record<string, string | undefined>, name: string | undefined): boolean =>
  name !== undefined && env[name] !== undefined && (!EMPTY_IS_UNSET.includes(name) || (name === 'ALMA_API_KEY' ? env[name]!.trim() : env[name]) !== '');

/**
 * A path in the file is relative to the file's folder (as in tsconfig.json), and `~/` is the home
 * folder (home.ts: HOME, else the password database's) — with none, a UsageError, not a folder
 * named `~` beside the file.
 */
function filePath(value: string, file: ConfigFile, home: () => string | undefined, name: string): string {
  const expanded = expandHome(value, `${file.path}: ${name}`, home, pathNames(name));
  return isAbsolute(expanded) ? expanded : resolve(dirname(file.path), expanded);
}

/**
 * Fills the options a flag left open, and no environment variable set, from the config file.
 * Pure. The target is one choice taken whole from the highest layer that makes it — `--sandbox`,
 * `--alma-url`/`--region`, then `ALMA_API_URL`, then the file's `alma_url`/`region` — so a region
 * in the file never collides with a URL on the command line.
 */
export function applyConfigFile(raw: RawOptions, env: Record<string, string | undefined>, file: ConfigFile | undefined, passwd: () => string | undefined = passwdHome): Layered {
  const options: LayeredOptions = { ...raw };
  const sources = {} as Layered['sources'];
  const s = file?.settings ?? {};
  const fromFile: Source = { kind: 'file', path: file?.path ?? '' };

  for (const name of SETTING_NAMES) {
    const b = BINDINGS[name];
    if (name === 'alma_url' || name === 'region') continue; // the target is decided as a whole below
    if (options[b.option] !== undefined) sources[name] = { kind: 'flag', name: b.flag };
    // A trial in the sandbox must not overwrite the real run's reports: the file's report paths
    // apply to real loads only (give them on the command line to keep a sandbox run's reports).
    else if (raw.sandbox === true && (name === 'report' || name === 'report_csv' || name === 'report_html')) sources[name] = { kind: 'default' };
    else if (setEnv(env, b.env) && name !== 'api_key_file') sources[name] = { kind: 'env', name: b.env! };
    else if (s[name] !== undefined && !(name === 'api_key_file' && setEnv(env, 'ALMA_API_KEY'))) {
      // ALMA_API_KEY outranks the file's api_key_file: the environment is the higher layer.
      const v = s[name];
      (options as Record<string, unknown>)[b.option] = BINDINGS[name].isPath ? filePath(String(v), file!, () => homeFolder(env, passwd), name) : String(v);
      sources[name] = fromFile;
    } else sources[name] = { kind: 'default' };
  }

  if (raw.sandbox) {
    sources.target = { kind: 'flag', name: '--sandbox' };
  } else if (raw.almaUrl !== undefined || raw.region !== undefined) {
    sources.target = { kind: 'flag', name: raw.almaUrl !== undefined ? '--alma-url' : '--region' };
  } else if (setEnv(env, 'ALMA_API_URL')) {
    sources.target = { kind: 'env', name: 'ALMA_API_URL' };
  } else if (s.alma_url !== undefined || s.region !== undefined) {
    if (s.alma_url !== undefined) options.almaUrl = s.alma_url;
    if (s.region !== undefined) options.region = s.region;
    sources.target = fromFile;
  } else {
    sources.target = { kind: 'default' };
  }
  sources.alma_url =
    raw.almaUrl !== undefined ? { kind: 'flag', name: '--alma-url' } : setEnv(env, 'ALMA_API_URL') ? { kind: 'env', name: 'ALMA_API_URL' } : options.almaUrl !== undefined ? fromFile : { kind: 'default' };
  sources.region = raw.region !== undefined ? { kind: 'flag', name: '--region' } : options.region !== undefined ? fromFile : { kind: 'default' };

  sources.api_key = raw.sandbox
    ? { kind: 'default' }
    : options.apiKeyFile !== undefined
      ? sources.api_key_file
      : { kind: 'env', name: 'ALMA_API_KEY' };
  return { options, sources };
}
