/**
 * The Alguna target as the rest of the tool sees it (definition.ts): its profile, its settings
 * from flags and environment, and how it is opened. Key: `ALGUNA_API_KEY`, or
 * `--credentials-file` holding the key (or JSON `{"api_key"}`). URL: `--api-url`, else
 * `ALGUNA_API_URL` (default https://api.alguna.io; `…/beta` if your account uses that prefix,
 * https://alguna.com/docs/api-reference/v2/overview). `ALGUNA_API_VERSION`: the `Alguna-Version`
 * header, default 2026-04-01; empty sends none.
 */
import { unsendableReason } from '../../common/header-value.js';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../../common/errors.js';
import { shellWord } from '../../domain/style.js';
import { ALGUNA_PROFILE } from './profile.js';
import type { TargetDefinition } from '../definition.js';
import { SIBLING_SANDBOX_TAKES } from '../definition.js';
import { apiUrl, closedOnThrow, openedTarget, readCredentialsFile, refuseAlmaFlags, sandboxStatePath, startRunSandbox } from '../settings.js';

export type AlgunaSettings =
  | { kind: 'alguna'; baseUrl?: string | undefined; apiKey: { env: 'ALGUNA_API_KEY' } | { file: string }; apiVersion?: string | undefined }
  | { kind: 'sandbox'; statePath: string; target: 'alguna' };

export const ALGUNA: TargetDefinition<AlgunaSettings> = {
  name: 'alguna',
  label: 'Alguna',
  summary: 'one-off invoices',
  connection: {
    credentials: 'the Alguna API key',
    credentialsEnv: 'ALGUNA_API_KEY',
    env: [
      { setting: 'api_key', env: 'ALGUNA_API_KEY', secret: true, credential: true },
      { setting: 'api_version', env: 'ALGUNA_API_VERSION', unset: 'default' },
    ],
    urlUnset: "default: Alguna's public API",
  },
  example: { what: 'Alguna one-off invoices', file: 'fixtures/alguna-sample.csv' },

  profile: () => ALGUNA_PROFILE,

  settings({ flags, env, cwd, stateDir }) {
    refuseAlmaFlags(flags, 'alguna', 'Alguna');
    if (flags.sandbox) return { kind: 'sandbox', statePath: sandboxStatePath(stateDir, 'alguna'), target: 'alguna' };
    const url = apiUrl(flags, env, 'alguna');
    const file = flags.credentialsFile !== undefined ? resolvePath(cwd, flags.credentialsFile) : undefined;
    if (file === undefined && !env.ALGUNA_API_KEY && !flags.dryRun) {
      throw new UsageError('no Alguna API key: set ALGUNA_API_KEY or pass --credentials-file <path> (never as a flag value)');
    }
    return { kind: 'alguna', baseUrl: url, apiKey: file !== undefined ? { file } : { env: 'ALGUNA_API_KEY' }, apiVersion: env.ALGUNA_API_VERSION };
  },

  async open(settings, run) {
    const { createAlgunaTarget } = await import('./target.js');
    if (settings.kind === 'sandbox') {
      const { startAlgunaSandbox } = await import('../../sandbox/alguna.js');
      const sandbox = await startRunSandbox('alguna', 'Alguna', settings.statePath, startAlgunaSandbox, run);
      return closedOnThrow(sandbox, () => openedTarget(createAlgunaTarget({ ...run.transport, baseUrl: sandbox.url, apiKey: 'sandbox' }), sandbox));
    }
    return openedTarget(createAlgunaTarget({ ...run.transport, baseUrl: settings.baseUrl, apiKey: algunaKey(settings.apiKey, run.env, run.warn), apiVersion: settings.apiVersion }));
  },

  sandboxTakes: [...SIBLING_SANDBOX_TAKES, 'apiKeys'],
  async serveSandbox(o, given) {
    const { startAlgunaSandbox } = await import('../../sandbox/alguna.js');
    const { siblingOptions } = await import('../../sandbox/sibling.js');
    const sandbox = await startAlgunaSandbox({ ...siblingOptions(o), apiKeys: o.apiKeys });
    return {
      url: sandbox.url,
      close: () => sandbox.close(),
      // Started with --api-key-file, it takes that key alone: a load reads it from the same file
      // (a credentials file may hold the bare key, targets/settings.ts).
      hint:
        given?.keyFile !== undefined
          ? `try: ALGUNA_API_URL=${sandbox.url} invoice-load --target alguna --credentials-file ${shellWord(given.keyFile)} fixtures/alguna-sample.csv`
          : `try: ALGUNA_API_URL=${sandbox.url} ALGUNA_API_KEY=any invoice-load --target alguna fixtures/alguna-sample.csv`,
    };
  },
};

export function algunaKey(source: { env: 'ALGUNA_API_KEY' } | { file: string }, env: Record<string, string | undefined>, warn?: (line: string) => void): string {
  if ('file' in source) {
    const c = readCredentialsFile(source.file, [], warn);
    const key = c['api_key'] ?? c['alguna_api_key'];
    if (!key) throw new UsageError(`the credentials file ${source.file} holds no api_key`);
    return sendable(key, `the api_key in ${source.file}`);
  }
  return sendable(env.ALGUNA_API_KEY ?? '', 'ALGUNA_API_KEY');
}

/** A key that no HTTP header can carry is a configuration error (exit 2), never echoed. */
function sendable(key: string, where: string): string {
  const why = unsendableReason(key, where);
  if (why !== undefined) throw new UsageError(`${where} cannot be sent: ${why}`);
  return key;
}
