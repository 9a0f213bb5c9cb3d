/**
 * The FOLIO target as the rest of the tool sees it (definition.ts): its profile, its settings
 * from flags and environment, how it is opened, its embedded sandbox, and its online preflight.
 * Connection: `--api-url` or `FOLIO_API_URL` (the tenant's gateway, Okapi or Kong),
 * `FOLIO_TENANT`, `FOLIO_USERNAME` and `FOLIO_PASSWORD`, or `--credentials-file` holding JSON
 * `{"tenant", "username", "password"}` (or the same `KEY=value` lines); never a flag value, never
 * printed. `FOLIO_BATCH_GROUP`: a batch group's name or id (default: FOLIO's own default group).
 * `--no-approve` leaves the invoices Open (docs/folio.md).
 */
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../../common/errors.js';
import type { OpenedTarget, TargetDefinition } from '../definition.js';
import { SIBLING_SANDBOX_TAKES } from '../definition.js';
import { apiUrl, closedOnThrow, openedTarget, readCredentialsFile, refuseAlmaFlags, sandboxStatePath, startRunSandbox } from '../settings.js';
import type { FolioCredentials } from './client.js';
import type { FolioTarget } from './target.js';
import { FOLIO_PROFILE } from './profile.js';

export type FolioSettings =
  | { kind: 'folio'; baseUrl: string; credentials: { env: true } | { file: string }; approve: boolean; batchGroup?: string | undefined }
  | { kind: 'sandbox'; statePath: string; target: 'folio'; approve: boolean };

/** Credentials the embedded sandbox accepts (it accepts any; these only fill the request). */
const SANDBOX_CREDENTIALS: FolioCredentials = { tenant: 'diku', username: 'invoice-load-sandbox', password: 'sandbox' };

export const FOLIO: TargetDefinition<FolioSettings> = {
  name: 'folio',
  label: 'FOLIO',
  summary: 'invoices, created and approved',
  options: [{ flags: '--no-approve', description: 'create the invoices and their lines and leave them Open instead of approving them' }],
  connection: {
    credentials: 'FOLIO tenant, username and password',
    credentialsEnv: 'FOLIO_TENANT/_USERNAME/_PASSWORD',
    env: [
      { setting: 'tenant', env: 'FOLIO_TENANT', credential: true },
      { setting: 'username', env: 'FOLIO_USERNAME', credential: true },
      { setting: 'password', env: 'FOLIO_PASSWORD', secret: true, credential: true },
      { setting: 'batch_group', env: 'FOLIO_BATCH_GROUP', unset: "FOLIO's default batch group" },
    ],
  },
  example: { what: 'FOLIO invoices', file: 'fixtures/folio-sample.csv' },

  profile: () => FOLIO_PROFILE,

  settings({ flags, env, cwd, stateDir }) {
    // `--online` is FOLIO's too (preflight.ts): only Alma's own flags are refused.
    refuseAlmaFlags({ ...flags, online: false }, 'folio', 'FOLIO');
    const approve = flags.approve !== false;
    if (flags.sandbox) return { kind: 'sandbox', statePath: sandboxStatePath(stateDir, 'folio'), target: 'folio', approve };
    const needed = !flags.dryRun || flags.online === true;
    const url = apiUrl(flags, env, 'folio');
    if (url === undefined) {
      if (!needed) return undefined;
      throw new UsageError('no FOLIO gateway: pass --api-url or set FOLIO_API_URL (your tenant\'s Okapi or gateway URL), or --sandbox to try the embedded one');
    }
    const file = flags.credentialsFile !== undefined ? resolvePath(cwd, flags.credentialsFile) : undefined;
    if (file === undefined && (!env.FOLIO_TENANT || !env.FOLIO_USERNAME || !env.FOLIO_PASSWORD) && needed) {
      throw new UsageError('no FOLIO credentials: set FOLIO_TENANT, FOLIO_USERNAME and FOLIO_PASSWORD, or pass --credentials-file <path> with {"tenant", "username", "password"} (never as flag values)');
    }
    return { kind: 'folio', baseUrl: url, credentials: file !== undefined ? { file } : { env: true }, approve, batchGroup: env.FOLIO_BATCH_GROUP || undefined };
  },

  async open(settings, run) {
    const { createFolioTarget } = await import('./target.js');
    const approve = settings.approve;
    // The journal is keyed by the endpoint: a run that leaves invoices Open keeps its own, so a
    // later approving run of the same batch is not told "already loaded" by it.
    const mode = (o: OpenedTarget): OpenedTarget => (approve ? o : { ...o, endpoint: `${o.endpoint}#no-approve` });
    if (settings.kind === 'sandbox') {
      const { startFolioSandbox } = await import('../../sandbox/folio/server.js');
      const sandbox = await startRunSandbox('folio', 'FOLIO', settings.statePath, startFolioSandbox, run);
      return closedOnThrow(sandbox, () => mode(openedTarget(createFolioTarget({ ...run.transport, baseUrl: sandbox.url, credentials: SANDBOX_CREDENTIALS, approve }), sandbox)));
    }
    const credentials = folioCredentials(settings.credentials, run.env, run.warn);
    return mode(openedTarget(createFolioTarget({ ...run.transport, baseUrl: settings.baseUrl, credentials, approve, batchGroup: settings.batchGroup })));
  },

  async preflight(settings, invoices, run) {
    const { runFolioPreflight } = await import('./preflight.js');
    const opened = await FOLIO.open(settings, { ...run, info: () => undefined });
    try {
      return await runFolioPreflight(invoices, opened.target as FolioTarget, { rate: run.rate, approve: settings.approve });
    } finally {
      await opened.close();
    }
  },

  sandboxTakes: [...SIBLING_SANDBOX_TAKES],
  async serveSandbox(o) {
    const { startFolioSandbox } = await import('../../sandbox/folio/server.js');
    const { siblingOptions } = await import('../../sandbox/sibling.js');
    const sandbox = await startFolioSandbox(siblingOptions(o));
    return {
      url: sandbox.url,
      close: () => sandbox.close(),
      hint: `try: FOLIO_API_URL=${sandbox.url} FOLIO_TENANT=diku FOLIO_USERNAME=any FOLIO_PASSWORD=any invoice-load --target folio fixtures/folio-sample.csv`,
    };
  },
};

export function folioCredentials(source: { env: true } | { file: string }, env: Record<string, string | undefined>, warn?: (line: string) => void): FolioCredentials {
  if ('file' in source) {
    const c = readCredentialsFile(source.file, ['tenant', 'username', 'password', 'folio_tenant', 'folio_username', 'folio_password'], warn);
    const tenant = c['tenant'] ?? c['folio_tenant'];
    const username = c['username'] ?? c['folio_username'];
    const password = c['password'] ?? c['folio_password'];
    if (!tenant || !username || !password) throw new UsageError(`the credentials file ${source.file} needs tenant, username and password`);
    return { tenant, username, password };
  }
  return { tenant: env.FOLIO_TENANT ?? '', username: env.FOLIO_USERNAME ?? '', password: env.FOLIO_PASSWORD ?? '' };
}
