/**
 * Flags and environment → one resolved, validated Config (pure: argv and env come in as
 * arguments). Precedence: flags, then environment, then defaults.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../shared/errors.js';
import type { Encoding } from '../input/read.js';

export const REGIONS = ['na', 'eu', 'ap', 'aps', 'ca', 'cn'] as const;
export type Region = (typeof REGIONS)[number];

/** Options exactly as commander hands them over (strings unless a parser ran). */
export interface RawOptions {
  dryRun?: boolean;
  json?: boolean;
  report?: string;
  almaUrl?: string;
  region?: string;
  apiKeyFile?: string;
  sandbox?: boolean;
  stateDir?: string;
  rate?: string;
  concurrency?: string;
  skipInvalid?: boolean;
  encoding?: string;
  showPayloads?: boolean;
  timeout?: string;
  maxRetries?: string;
  pollTimeout?: string;
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  fsync?: boolean;
}

export type TargetConfig =
  | { kind: 'sandbox'; statePath: string }
  | { kind: 'alma'; baseUrl?: string | undefined; region?: Region | undefined; apiKeySource: { env: string } | { file: string } };

export interface Config {
  files: string[];
  dryRun: boolean;
  json: boolean;
  reportPath?: string | undefined;
  showPayloads: boolean;
  skipInvalid: boolean;
  encoding: Encoding;
  /** Absent only for a dry run without any target settings. */
  target?: TargetConfig | undefined;
  stateDir: string;
  rate: number;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  pollTimeoutMs: number;
  verbose: boolean;
  quiet: boolean;
  fsync: boolean;
}

/**
 * Default requests per second: Ex Libris' threshold page is quoted at 10/s for sandbox keys and
 * 50/s for production (reference/alma-api.md §2.3, unverified); 10 is safe for both.
 */
export const DEFAULT_RATE = 10;
export const DEFAULT_CONCURRENCY = 6;
const ENCODINGS: readonly Encoding[] = ['utf-8', 'windows-1252', 'latin1', 'utf-16le'];

type NumberRule = 'above zero' | 'whole, at least 1' | 'whole, at least 0';

function numberOption(name: string, value: string | undefined, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    (rule === 'above zero' ? n > 0 : Number.isInteger(n) && n >= (rule === 'whole, at least 1' ? 1 : 0));
  if (!ok) throw new UsageError(`${name} must be a number (${rule}), not "${value}"`);
  return n;
}

/** XDG state dir (https://specifications.freedesktop.org/basedir-spec/): journals are state, not cache. */
export function defaultStateDir(env: Record<string, string | undefined>): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'invoice-load');
}

export function resolveConfig(files: string[], o: RawOptions, env: Record<string, string | undefined>, cwd: string): Config {
  if (files.length === 0) throw new UsageError('no input files: give one or more CSV, JSON or JSON Lines files (or - for standard input)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  const encoding = (o.encoding ?? 'utf-8').toLowerCase().replace(/^utf8$/, 'utf-8').replace(/^cp1252$/, 'windows-1252') as Encoding;
  if (!ENCODINGS.includes(encoding)) throw new UsageError(`--encoding must be one of ${ENCODINGS.join(', ')}, not "${o.encoding}"`);
  if (o.region !== undefined && !REGIONS.includes(o.region as Region)) {
    throw new UsageError(`--region must be one of ${REGIONS.join(', ')}, not "${o.region}"`);
  }
  if (o.quiet && o.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
  const stateDir = resolve(cwd, o.stateDir ?? env.INVOICE_LOAD_STATE_DIR ?? defaultStateDir(env));
  const almaUrl = o.almaUrl ?? env.ALMA_API_URL;
  if (o.sandbox && (o.almaUrl !== undefined || o.region !== undefined)) {
    throw new UsageError('--sandbox loads into the embedded sandbox; leave out --alma-url and --region');
  }
  if (almaUrl !== undefined && o.region !== undefined && o.almaUrl !== undefined) {
    throw new UsageError('give either --alma-url or --region, not both');
  }
  if (almaUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(almaUrl);
    } catch {
      throw new UsageError(`--alma-url / ALMA_API_URL is not a URL: "${almaUrl}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--alma-url must be http(s), not ${url.protocol}`);
  }
  let target: TargetConfig | undefined;
  if (o.sandbox) {
    target = { kind: 'sandbox', statePath: join(stateDir, 'sandbox', 'state.json') };
  } else if (almaUrl !== undefined || o.region !== undefined) {
    const apiKeySource = o.apiKeyFile !== undefined ? { file: resolve(cwd, o.apiKeyFile) } : { env: 'ALMA_API_KEY' };
    if ('env' in apiKeySource && !env.ALMA_API_KEY && !o.dryRun) {
      throw new UsageError('no API key: set ALMA_API_KEY or pass --api-key-file <path> (the key is never accepted as a flag value)');
    }
    target = {
      kind: 'alma',
      baseUrl: o.region !== undefined && o.almaUrl === undefined ? undefined : almaUrl,
      region: o.region as Region | undefined,
      apiKeySource,
    };
  } else if (!o.dryRun) {
    throw new UsageError(
      'no target: pass --sandbox to load into the embedded sandbox, or --region / --alma-url (or ALMA_API_URL) with ALMA_API_KEY to load into Alma; --dry-run only checks the files',
    );
  }
  return {
    files,
    dryRun: o.dryRun ?? false,
    json: o.json ?? false,
    reportPath: o.report !== undefined ? resolve(cwd, o.report) : undefined,
    showPayloads: o.showPayloads ?? false,
    skipInvalid: o.skipInvalid ?? false,
    encoding,
    target,
    stateDir,
    rate: numberOption('--rate', o.rate, DEFAULT_RATE, 'above zero'),
    concurrency: numberOption('--concurrency', o.concurrency, DEFAULT_CONCURRENCY, 'whole, at least 1'),
    timeoutMs: numberOption('--timeout', o.timeout, 30, 'above zero') * 1000,
    maxRetries: numberOption('--max-retries', o.maxRetries, 4, 'whole, at least 0'),
    pollTimeoutMs: numberOption('--poll-timeout', o.pollTimeout, 60, 'above zero') * 1000,
    verbose: o.verbose ?? false,
    quiet: o.quiet ?? false,
    fsync: o.fsync ?? true,
  };
}
