/**
 * `--target exsited|alguna` (issue #6) → the target part of the Config. Alma stays the default
 * and keeps its own options in config.ts; this file only resolves the other targets, so their
 * options never change how an Alma command is read.
 *
 * Credentials come from the environment or a file, never a flag value, and are never printed:
 * - Exsited: `EXSITED_CLIENT_ID` and `EXSITED_CLIENT_SECRET` (and `EXSITED_REDIRECT_URI`, which the
 *   SDKs send with every grant, https://developer.exsited.com/exsited-api-authentication), or
 *   `--credentials-file` holding JSON `{"client_id", "client_secret", "redirect_uri"?}` or the same
 *   `KEY=value` lines;
 * - Alguna: `ALGUNA_API_KEY`, or `--credentials-file` holding the key (or JSON `{"api_key"}`).
 * URLs: `--api-url`, else `EXSITED_API_URL` (every customer has its own instance,
 * https://developer.exsited.com/exsited-api-introduction) or `ALGUNA_API_URL` (default
 * https://api.alguna.io; `…/beta` if your account uses that prefix,
 * https://alguna.com/docs/api-reference/v2/overview). API versions: `EXSITED_API_VERSION`
 * (default v3), `ALGUNA_API_VERSION` (the `Alguna-Version` header, default 2026-04-01; empty
 * sends none).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isTargetName, TARGET_NAMES, type TargetName } from '../domain/targets/index.js';
import { UsageError } from '../shared/errors.js';
import type { ExsitedCredentials } from '../targets/exsited/client.js';

export const ACTIONS = ['cancel', 'reactivate'] as const;
export type ActionKind = (typeof ACTIONS)[number];

export interface TargetFlags {
  target?: string | undefined;
  action?: string | undefined;
  effectiveDate?: string | undefined;
  apiUrl?: string | undefined;
  credentialsFile?: string | undefined;
  sandbox?: boolean | undefined;
  almaUrl?: string | undefined;
  region?: string | undefined;
  apiKeyFile?: string | undefined;
  online?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export type OtherTargetConfig =
  | { kind: 'exsited'; baseUrl: string; credentials: { env: true } | { file: string }; apiVersion?: string | undefined }
  | { kind: 'alguna'; baseUrl?: string | undefined; apiKey: { env: 'ALGUNA_API_KEY' } | { file: string }; apiVersion?: string | undefined }
  | { kind: 'sandbox'; statePath: string; target: 'exsited' | 'alguna' };

export interface TargetChoice {
  name: TargetName;
  /** Set for Exsited and Alguna (Alma's is resolved in config.ts); absent for a dry run with no target settings. */
  target?: OtherTargetConfig | undefined;
  action?: { kind: ActionKind; effectiveDate: string } | undefined;
}

/** Today's date where the command runs, `YYYY-MM-DD` (the default effective date of an action). */
export const localToday = (now = new Date()): string =>
  `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;

export function resolveTargetChoice(
  flags: TargetFlags,
  env: Record<string, string | undefined>,
  cwd: string,
  stateDir: string,
  today: () => string = () => localToday(),
): TargetChoice {
  const name = flags.target ?? env.INVOICE_LOAD_TARGET ?? 'alma';
  if (!isTargetName(name)) throw new UsageError(`--target must be one of ${TARGET_NAMES.join(', ')}, not "${name}"`);
  const action = resolveAction(flags, name, today);
  if (name === 'alma') return { name };
  const label = name === 'exsited' ? 'Exsited' : 'Alguna';
  // Only flags are refused: an Alma URL or key in the environment or the config file belongs to Alma runs.
  for (const [given, flag] of [
    [flags.almaUrl, '--alma-url'],
    [flags.region, '--region'],
    [flags.apiKeyFile, '--api-key-file'],
  ] as const) {
    if (given !== undefined) throw new UsageError(`${flag} is for Alma; with --target ${name} use --api-url and --credentials-file (or the ${name.toUpperCase()}_* variables)`);
  }
  if (flags.online) throw new UsageError(`--online checks a batch against Alma; it is not available for ${label}`);
  if (flags.sandbox) {
    if (flags.apiUrl !== undefined || flags.credentialsFile !== undefined) {
      throw new UsageError('--sandbox loads into the embedded sandbox; leave out --api-url and --credentials-file');
    }
    return { name, action, target: { kind: 'sandbox', statePath: join(stateDir, 'sandbox', `${name}-state.json`), target: name } };
  }
  const envUrl = name === 'exsited' ? env.EXSITED_API_URL : env.ALGUNA_API_URL;
  const url = flags.apiUrl ?? (envUrl !== undefined && envUrl !== '' ? envUrl : undefined);
  if (url !== undefined) checkUrl(url, name);
  const file = flags.credentialsFile !== undefined ? resolve(cwd, flags.credentialsFile) : undefined;
  if (name === 'exsited') {
    if (url === undefined) {
      if (flags.dryRun) return { name, action };
      throw new UsageError('no Exsited instance: pass --api-url or set EXSITED_API_URL (each Exsited customer has its own), or --sandbox to try the embedded one');
    }
    if (file === undefined && (!env.EXSITED_CLIENT_ID || !env.EXSITED_CLIENT_SECRET) && !flags.dryRun) {
      throw new UsageError('no Exsited credentials: set EXSITED_CLIENT_ID and EXSITED_CLIENT_SECRET, or pass --credentials-file <path> (never as flag values)');
    }
    return { name, action, target: { kind: 'exsited', baseUrl: url, credentials: file !== undefined ? { file } : { env: true }, apiVersion: env.EXSITED_API_VERSION || undefined } };
  }
  if (file === undefined && !env.ALGUNA_API_KEY && !flags.dryRun) {
    throw new UsageError('no Alguna API key: set ALGUNA_API_KEY or pass --credentials-file <path> (never as a flag value)');
  }
  return {
    name,
    action,
    target: { kind: 'alguna', baseUrl: url, apiKey: file !== undefined ? { file } : { env: 'ALGUNA_API_KEY' }, apiVersion: env.ALGUNA_API_VERSION },
  };
}

function resolveAction(flags: TargetFlags, name: TargetName, today: () => string): TargetChoice['action'] {
  if (flags.action === undefined) {
    if (flags.effectiveDate !== undefined) throw new UsageError('--effective-date goes with --action cancel|reactivate');
    return undefined;
  }
  if (!(ACTIONS as readonly string[]).includes(flags.action)) throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}, not "${flags.action}"`);
  // "Cancel"/"Reactivate Purchase Invoice"
  // (https://developer.exsited.com/purchase-invoice-post-api-documentation): cancel and reactivate
  // are Exsited's purchase-invoice actions; the others have none here.
  if (name !== 'exsited') throw new UsageError(`--action ${flags.action} is an Exsited batch action: use it with --target exsited`);
  const date = flags.effectiveDate ?? today();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw new UsageError(`--effective-date must be a real date YYYY-MM-DD, not "${date}"`);
  }
  return { kind: flags.action as ActionKind, effectiveDate: date };
}

function checkUrl(url: string, name: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`the ${name} API URL is not a URL: "${url}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`the ${name} API URL must be http(s), not ${u.protocol}`);
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') {
    throw new UsageError(`the ${name} API URL must not carry credentials, a query or a fragment; credentials go in the environment or --credentials-file`);
  }
}

const CREDENTIAL_NAMES = new Set(['client_id', 'client_secret', 'redirect_uri', 'api_key', 'exsited_client_id', 'exsited_client_secret', 'exsited_redirect_uri', 'alguna_api_key']);

/** Reads a credentials file: JSON, or `KEY=value` lines (comments with #). Never echoes its content. */
function readCredentialsFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the credentials file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const t = text.trim();
  if (t === '') throw new UsageError(`the credentials file ${path} is empty`);
  if (t.startsWith('{')) {
    try {
      const obj = JSON.parse(t) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(obj).filter(([, v]) => typeof v === 'string').map(([k, v]) => [k.toLowerCase(), v as string]));
    } catch {
      throw new UsageError(`the credentials file ${path} starts with "{" but is not valid JSON`);
    }
  }
  const out: Record<string, string> = {};
  for (const line of t.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    const name = m?.[1]?.toLowerCase();
    // Only known names: a bare key may itself contain "=" (base64 padding).
    if (m !== null && name !== undefined && CREDENTIAL_NAMES.has(name) && !line.trimStart().startsWith('#')) {
      out[name] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  if (Object.keys(out).length === 0) out['api_key'] = t; // a bare key (Alguna)
  return out;
}

export function exsitedCredentials(source: { env: true } | { file: string }, env: Record<string, string | undefined>): ExsitedCredentials {
  if ('file' in source) {
    const c = readCredentialsFile(source.file);
    const id = c['client_id'] ?? c['exsited_client_id'];
    const secret = c['client_secret'] ?? c['exsited_client_secret'];
    if (!id || !secret) throw new UsageError(`the credentials file ${source.file} needs client_id and client_secret`);
    return { clientId: id, clientSecret: secret, redirectUri: c['redirect_uri'] ?? c['exsited_redirect_uri'] };
  }
  return { clientId: env.EXSITED_CLIENT_ID ?? '', clientSecret: env.EXSITED_CLIENT_SECRET ?? '', redirectUri: env.EXSITED_REDIRECT_URI || undefined };
}

export function algunaKey(source: { env: 'ALGUNA_API_KEY' } | { file: string }, env: Record<string, string | undefined>): string {
  if ('file' in source) {
    const c = readCredentialsFile(source.file);
    const key = c['api_key'] ?? c['alguna_api_key'];
    if (!key) throw new UsageError(`the credentials file ${source.file} holds no api_key`);
    return key;
  }
  return env.ALGUNA_API_KEY ?? '';
}
