/**
 * The Exsited target as the rest of the tool sees it (definition.ts): its profile, its settings
 * from flags and environment, and how it is opened. Credentials: `EXSITED_CLIENT_ID` and
 * `EXSITED_CLIENT_SECRET` (and `EXSITED_REDIRECT_URI`, which the SDKs send with every grant,
 * https://developer.exsited.com/exsited-api-authentication), or `--credentials-file` holding JSON
 * `{"client_id", "client_secret", "redirect_uri"?}` or the same `KEY=value` lines. URL:
 * `--api-url`, else `EXSITED_API_URL` (every customer has its own instance,
 * https://developer.exsited.com/exsited-api-introduction). `EXSITED_API_VERSION` (default v3).
 */
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../../common/errors.js';
import { EXSITED_PROFILE } from './profile.js';
import { checkExsitedInvoice } from './rules.js';
import { withAttachments } from '../attachments.js';
import type { RunAction, TargetDefinition, TargetProfile } from '../definition.js';
import { SIBLING_SANDBOX_TAKES } from '../definition.js';
import { apiUrl, closedOnThrow, openedTarget, readCredentialsFile, refuseAlmaFlags, sandboxStatePath, startRunSandbox } from '../settings.js';
import type { ExsitedCredentials } from './client.js';
import type { ExsitedAction } from './target.js';
import { DEFAULT_EXSITED_PATHS, DEFAULT_EXSITED_VERSION } from './paths.js';

export type ExsitedSettings =
  | { kind: 'exsited'; baseUrl: string; credentials: { env: true } | { file: string }; apiVersion?: string | undefined }
  | { kind: 'sandbox'; statePath: string; target: 'exsited' };

/** Credentials the embedded sandbox accepts (it accepts any; these only fill the request). */
const SANDBOX_CLIENT = { clientId: 'invoice-load-sandbox', clientSecret: 'sandbox-secret' };

export const EXSITED: TargetDefinition<ExsitedSettings> = {
  name: 'exsited',
  label: 'Exsited',
  summary: 'purchase invoices',
  actions: ['cancel', 'reactivate'],
  connection: {
    credentials: 'Exsited client id and secret',
    credentialsEnv: 'EXSITED_CLIENT_ID/_SECRET',
    env: [
      { setting: 'client_id', env: 'EXSITED_CLIENT_ID', credential: true },
      { setting: 'client_secret', env: 'EXSITED_CLIENT_SECRET', secret: true, credential: true },
      { setting: 'redirect_uri', env: 'EXSITED_REDIRECT_URI', unset: 'none sent', credential: true },
      { setting: 'api_version', env: 'EXSITED_API_VERSION', unset: 'default (v3)' },
    ],
  },
  example: { what: 'Exsited purchase invoices', file: 'fixtures/exsited-sample.csv' },

  /**
   * A batch action (cancel/reactivate) touches no child item, so its report lists none, and its
   * one request per invoice is what `--show-payloads` shows.
   */
  profile(action): TargetProfile {
    const profile = EXSITED_PROFILE;
    if (action === undefined) return profile;
    const body = { 'purchase-invoice': { effective_date: action.effectiveDate } };
    const path = DEFAULT_EXSITED_PATHS[action.kind as 'cancel' | 'reactivate'].replace('{v}', DEFAULT_EXSITED_VERSION);
    return {
      ...profile,
      // A cancel or a reactivate creates no purchase invoice: invoices loaded on one purchase
      // order (by a loader before purchase_order_reused, or by hand) can still be cancelled.
      rules: (cwd) => withAttachments(checkExsitedInvoice, 1, 'an Exsited note')(cwd),
      lineKeys: () => [],
      payloads: () => ({ invoice: body, lines: [] }),
      preview: () => [{ heading: `POST ${path}`, body }],
    };
  },

  settings({ flags, env, cwd, stateDir }) {
    refuseAlmaFlags(flags, 'exsited', 'Exsited');
    if (flags.sandbox) return { kind: 'sandbox', statePath: sandboxStatePath(stateDir, 'exsited'), target: 'exsited' };
    const url = apiUrl(flags, env, 'exsited');
    if (url === undefined) {
      if (flags.dryRun) return undefined;
      throw new UsageError('no Exsited instance: pass --api-url or set EXSITED_API_URL (each Exsited customer has its own), or --sandbox to try the embedded one');
    }
    if (flags.credentialsFile === undefined && (!env.EXSITED_CLIENT_ID || !env.EXSITED_CLIENT_SECRET) && !flags.dryRun) {
      throw new UsageError('no Exsited credentials: set EXSITED_CLIENT_ID and EXSITED_CLIENT_SECRET, or pass --credentials-file <path> (never as flag values)');
    }
    const file = flags.credentialsFile !== undefined ? resolvePath(cwd, flags.credentialsFile) : undefined;
    return { kind: 'exsited', baseUrl: url, credentials: file !== undefined ? { file } : { env: true }, apiVersion: env.EXSITED_API_VERSION || undefined };
  },

  async open(settings, run) {
    const { createExsitedTarget } = await import('./target.js');
    const action = exsitedAction(run.action);
    if (settings.kind === 'sandbox') {
      const { startExsitedSandbox } = await import('../../sandbox/exsited.js');
      const sandbox = await startRunSandbox('exsited', 'Exsited', settings.statePath, startExsitedSandbox, run);
      return closedOnThrow(sandbox, () => openedTarget(createExsitedTarget({ ...run.transport, baseUrl: sandbox.url, credentials: SANDBOX_CLIENT, action }), sandbox));
    }
    const credentials = exsitedCredentials(settings.credentials, run.env, run.warn);
    return openedTarget(createExsitedTarget({ ...run.transport, baseUrl: settings.baseUrl, credentials, apiVersion: settings.apiVersion, action }));
  },

  sandboxTakes: [...SIBLING_SANDBOX_TAKES],
  async serveSandbox(o) {
    const { startExsitedSandbox } = await import('../../sandbox/exsited.js');
    const { siblingOptions } = await import('../../sandbox/sibling.js');
    const sandbox = await startExsitedSandbox(siblingOptions(o));
    return {
      url: sandbox.url,
      close: () => sandbox.close(),
      hint: `try: EXSITED_API_URL=${sandbox.url} EXSITED_CLIENT_ID=any EXSITED_CLIENT_SECRET=any invoice-load --target exsited fixtures/exsited-sample.csv`,
    };
  },
};

const exsitedAction = (action: RunAction | undefined): { kind: ExsitedAction; effectiveDate: string } | undefined =>
  action === undefined ? undefined : { kind: action.kind as ExsitedAction, effectiveDate: action.effectiveDate };

export function exsitedCredentials(source: { env: true } | { file: string }, env: Record<string, string | undefined>, warn?: (line: string) => void): ExsitedCredentials {
  if ('file' in source) {
    const c = readCredentialsFile(source.file, [], warn);
    const id = c['client_id'] ?? c['exsited_client_id'];
    const secret = c['client_secret'] ?? c['exsited_client_secret'];
    if (!id || !secret) throw new UsageError(`the credentials file ${source.file} needs client_id and client_secret`);
    return { clientId: id, clientSecret: secret, redirectUri: c['redirect_uri'] ?? c['exsited_redirect_uri'] };
  }
  return { clientId: env.EXSITED_CLIENT_ID ?? '', clientSecret: env.EXSITED_CLIENT_SECRET ?? '', redirectUri: env.EXSITED_REDIRECT_URI || undefined };
}
