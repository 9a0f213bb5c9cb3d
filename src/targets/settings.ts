/**
 * Helpers every target's `settings` and `open` share: the URL check, the Alma flags another
 * target refuses, the sandbox's state file, the credentials file, and the opened target. Credentials come from the
 * environment or a file, never a flag value, and are never printed.
 */
import { makeFolder, readSecretFile, secretFileExposure } from '../common/fs.js';
import { shownUrl } from '../common/mask.js';
import { dirname, join, resolve } from 'node:path';
import { acquireLock } from '../engine/lock.js';
import { UsageError } from '../common/errors.js';
import type { OpenedTarget, OpenRun, TargetFlags } from './definition.js';
import type { Target } from './target.js';

/** An API URL: http(s), no credentials, query or fragment (those would end up in logs). */
export function checkUrl(url: string, name: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`the ${name} API URL is not a URL: "${shownUrl(url)}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`the ${name} API URL must be http(s), not ${u.protocol}`);
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') {
    throw new UsageError(`the ${name} API URL must not carry credentials, a query or a fragment; credentials go in the environment or --credentials-file`);
  }
}

/**
 * A target other than Alma refuses Alma's flags and `--online` (only flags: an Alma URL or key in
 * the environment or the config file belongs to Alma runs), and `--sandbox` with a URL or file.
 */
export function refuseAlmaFlags(flags: TargetFlags, name: string, label: string): void {
  for (const [given, flag] of [
    [flags.almaUrl, '--alma-url'],
    [flags.region, '--region'],
    [flags.apiKeyFile, '--api-key-file'],
  ] as const) {
    if (given !== undefined) throw new UsageError(`${flag} is for Alma; with --target ${name} use --api-url and --credentials-file (or the ${name.toUpperCase()}_* variables)`);
  }
  if (flags.online) throw new UsageError(`--online checks a batch against Alma; it is not available for ${label}`);
  if (flags.sandbox && (flags.apiUrl !== undefined || flags.credentialsFile !== undefined)) {
    throw new UsageError('--sandbox loads into the embedded sandbox; leave out --api-url and --credentials-file');
  }
}

/** The embedded sandbox's state file of a target other than Alma, beside Alma's. */
export const sandboxStatePath = (stateDir: string, name: string): string => join(stateDir, 'sandbox', `${name}-state.json`);

/**
 * An environment variable's value, undefined when it is unset or empty: `ALMA_API_URL=` (a
 * crontab line that blanks it, a service file with `Environment=ALMA_API_URL=`) names no target,
 * as an empty `INVOICE_LOAD_STATE_DIR` names no folder (README "Options").
 */
export function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `--api-url`, else the target's `<NAME>_API_URL` (an empty one counts as unset). */
export function apiUrl(flags: TargetFlags, env: Record<string, string | undefined>, name: string): string | undefined {
  const url = flags.apiUrl ?? envValue(env, `${name.toUpperCase()}_API_URL`);
  if (url !== undefined) checkUrl(url, name);
  return url;
}

const CREDENTIAL_NAMES = new Set(['client_id', 'client_secret', 'redirect_uri', 'api_key', 'exsited_client_id', 'exsited_client_secret', 'exsited_redirect_uri', 'alguna_api_key']);

/**
 * Reads a credentials file: JSON, or `KEY=value` lines (comments with #) of the known names and
 * the target's own `names`. Never echoes its content.
 */
export function readCredentialsFile(path: string, names: readonly string[] = [], warn?: (line: string) => void): Record<string, string> {
  const { text, mode } = readSecretFile(path, 'the credentials file');
  // As Alma's key file (cli/load.ts readKeyFile): a secret every user can read is said, never shown.
  const exposed = secretFileExposure('the credentials file', path, mode);
  if (exposed !== undefined) warn?.(exposed);
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
    if (m !== null && name !== undefined && (CREDENTIAL_NAMES.has(name) || names.includes(name)) && !line.trimStart().startsWith('#')) {
      out[name] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  if (Object.keys(out).length === 0) out['api_key'] = t; // a bare key (Alguna)
  return out;
}

/**
 * The run's first line about its in-process sandbox, in the words of what the run does with it:
 * `verify` only reads, and "loading into" read as if it wrote.
 */
export const sandboxLine = (sandbox: string, statePath: string, purpose: OpenRun['purpose']): string =>
  purpose === 'verify' ? `verifying against ${sandbox} (read-only; state in ${statePath})` : `loading into ${sandbox} (state in ${statePath})`;

/** A target's embedded sandbox started in-process for a run: its URL, the journal's identity for it, and its closing. */
/** The sandbox state files this process holds, and how many of its places use each (a load's checks and its writes). */
const heldStates = new Map<string, { users: number; release: () => void }>();

/**
 * Holds the sandbox state file at `statePath` for one embedded sandbox of this run: a lock beside
 * it (`<state>.lock`, engine/lock.ts — the journals' lock), so a second run on the same state dir
 * stops with exit 2 naming the holder. Each embedded sandbox reads the whole state file when it
 * starts and writes it back whole: of two at once, the later write lost the other run's
 * invoices, and that run's journal then said they were loaded. Held again by the same process
 * (its checks beside its load), it is counted; the returned release lets go once all have.
 */
export function holdSandboxState(statePath: string, who?: string): () => void {
  const key = resolve(statePath);
  let held = heldStates.get(key);
  if (held === undefined) {
    makeFolder(dirname(key), 0o700);
    held = { users: 0, release: acquireLock(`${key}.lock`, undefined, `the sandbox state ${statePath}`, undefined, who) };
    heldStates.set(key, held);
  }
  held.users++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.users === 0) {
      heldStates.delete(key);
      held.release();
    }
  };
}

/**
 * Starts an embedded sandbox while holding its state (holdSandboxState); closing it lets go.
 * `who`: what holds it, for the refusal another run gets (engine/lock.ts `LockInfo.who`).
 */
export async function startHeldSandbox<S extends { close(): Promise<void> }>(statePath: string, start: () => Promise<S>, who?: string): Promise<S> {
  const release = holdSandboxState(statePath, who);
  let sandbox: S;
  try {
    sandbox = await start();
  } catch (err) {
    release();
    throw err;
  }
  const close = sandbox.close.bind(sandbox);
  return Object.assign(sandbox, {
    close: async () => {
      try {
        await close();
      } finally {
        release();
      }
    },
  });
}

export async function startRunSandbox(
  name: string,
  label: string,
  statePath: string,
  start: (opts: { port: number; statePath: string }) => Promise<{ url: string; close(): Promise<void> }>,
  run: Pick<OpenRun, 'info' | 'purpose'>,
): Promise<{ url: string; endpoint: string; close(): Promise<void> }> {
  const sandbox = await startHeldSandbox(statePath, () => start({ port: 0, statePath }));
  return closedOnThrow(sandbox, () => {
    run.info(sandboxLine(`the embedded ${label} sandbox`, statePath, run.purpose));
    // A new port each run: the sandbox's identity is its state file.
    return { url: sandbox.url, endpoint: `sandbox-${name}:${statePath}`, close: () => sandbox.close() };
  });
}

/**
 * `make()`'s result; when it throws, `started` (an embedded sandbox) is closed before the error
 * goes on. A target's open starts its sandbox first and makes its client after: a client that
 * could not be made (a proxy URL undici refuses) left the sandbox listening and its state locked,
 * and the run hung instead of stopping on the error.
 */
export async function closedOnThrow<T>(started: { close(): Promise<void> }, make: () => T | Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    await started.close().catch(() => undefined);
    throw err;
  }
}

/** The opened target of a run: `endpoint` (a sandbox's) over the target's own; closing closes the sandbox after it. */
export function openedTarget(
  target: Target & { requestCount(): number; close(): Promise<void> },
  sandbox?: { endpoint: string; close(): Promise<void> } | undefined,
): OpenedTarget {
  return {
    target,
    endpoint: sandbox?.endpoint ?? target.endpoint,
    requestCount: () => target.requestCount(),
    close: async () => {
      await target.close();
      await sandbox?.close();
    },
  };
}
