/**
 * The Alma target as the rest of the tool sees it (definition.ts): its profile, its settings
 * from flags, environment and the config file (`--sandbox`, `--alma-url` / `ALMA_API_URL`,
 * `--region`, `ALMA_API_KEY` / `--api-key-file`), and how it is opened. The default target.
 */
import { credentialFingerprint } from '../../common/fingerprint.js';
import { unsendableReason } from '../../common/header-value.js';
import { join, resolve as resolvePath } from 'node:path';
import { UsageError } from '../../common/errors.js';
import { shownUrl } from '../../common/mask.js';
import { shellWord } from '../../domain/style.js';
import { ALMA_PROFILE } from './profile.js';
import type { OpenedTarget, OpenRun, TargetDefinition } from '../definition.js';
import type { TargetEventSink } from '../target.js';
import { closedOnThrow, envValue, openedTarget, sandboxLine, startHeldSandbox } from '../settings.js';
import type { AlmaRegion } from './regions.js';

export type AlmaSettings =
  | { kind: 'sandbox'; statePath: string }
  | { kind: 'alma'; baseUrl?: string | undefined; region?: AlmaRegion | undefined; apiKeySource: { env: string } | { file: string } };

export const ALMA: TargetDefinition<AlmaSettings> = {
  name: 'alma',
  label: 'Alma',

  profile: () => ALMA_PROFILE,

  settings({ merged: o, env, cwd, stateDir }) {
    // An empty ALMA_API_URL is unset, as the other targets' <NAME>_API_URL (settings.ts envValue).
    const almaUrl = o.almaUrl ?? envValue(env, 'ALMA_API_URL');
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
        throw new UsageError(`--alma-url / ALMA_API_URL is not a URL: "${shownUrl(almaUrl)}"`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--alma-url must be http(s), not ${url.protocol}`);
    }
    let target: AlmaSettings | undefined;
    if (o.sandbox) {
      target = { kind: 'sandbox', statePath: join(stateDir, 'sandbox', 'state.json') };
    } else if (almaUrl !== undefined || o.region !== undefined) {
      const apiKeySource = o.apiKeyFile !== undefined ? { file: resolvePath(cwd, o.apiKeyFile) } : { env: 'ALMA_API_KEY' };
      // Trimmed as a key file's is (cli/load.ts readKeyFile): `export ALMA_API_KEY="$(cat key)"`
      // keeps none of the file's line break, but a key pasted with one, or a space, was refused
      // in words about a key file.
      const envKey = envApiKey(env);
      if ('env' in apiKeySource && envKey === '' && (!o.dryRun || o.online)) {
        throw new UsageError('no API key: set ALMA_API_KEY or pass --api-key-file <path> (the key is never accepted as a flag value)');
      }
      const why = 'env' in apiKeySource && envKey !== '' ? unsendableReason(envKey, 'ALMA_API_KEY') : undefined;
      if (why !== undefined && (!o.dryRun || o.online)) throw new UsageError(`ALMA_API_KEY cannot be sent to Alma: ${why}`);
      target = {
        kind: 'alma',
        baseUrl: o.region !== undefined && o.almaUrl === undefined ? undefined : almaUrl,
        region: o.region as AlmaRegion | undefined,
        apiKeySource,
      };
    } else if (!o.dryRun) {
      throw new UsageError(
        'no target: pass --sandbox to load into the embedded sandbox, or --region / --alma-url (or ALMA_API_URL, or region/alma_url in invoice-load.config.json) with ALMA_API_KEY to load into Alma; --dry-run only checks the files',
      );
    }
    if (o.online && target === undefined) {
      throw new UsageError('--online needs somewhere to look: --sandbox, or --region / --alma-url (or ALMA_API_URL) with ALMA_API_KEY');
    }
    return target;
  },

  async open(settings, run) {
    const { createAlmaTarget } = await import('./target.js');
    const where = await almaPlace(settings, run, run.purpose ?? 'load');
    return closedOnThrow(where, () => {
      const alma = createAlmaTarget({ ...run.transport, ...where.client });
      // The in-process sandbox listens on a new port each run; its identity is its state file.
      return {
        ...openedTarget(alma, { endpoint: settings.kind === 'sandbox' ? `sandbox:${settings.statePath}` : alma.endpoint, close: where.close }),
        account: credentialFingerprint(where.client.apiKey),
        // The same rules as `--dry-run --online`, through the load's own client and pace.
        check: async (invoices: Parameters<NonNullable<OpenedTarget['check']>>[0], which: Parameters<NonNullable<OpenedTarget['check']>>[1]) => {
          const { runPreflight } = await import('./preflight.js');
          return runPreflight(invoices, { http: alma.http, rate: run.transport.rate ?? 10, pollTimeoutMs: 60_000, checks: which, lookupInvoices: false });
        },
      };
    });
  },

  // `--dry-run --online`: the load's checks, all of them, plus the invoice look-ups, through a
  // client paced as a load's (its look-ups count against --rate) into the same place a load goes
  // (the sandbox's state, so it sees what earlier runs created).
  async preflight(settings, invoices, run) {
    const [{ runPreflight }, { createAlmaHttpClient }, { limiterFor }] = await Promise.all([
      import('./preflight.js'),
      import('./client.js'),
      import('../../transport/http.js'),
    ]);
    const place = await almaPlace(settings, run, 'check');
    // The budget left after the preflight's own requests: the smallest value any answer carried.
    let remaining: number | undefined;
    const onEvent: TargetEventSink = (event) => {
      if (event.type === 'remaining') remaining = remaining === undefined ? event.remaining : Math.min(remaining, event.remaining);
      run.transport.onEvent(event);
    };
    let http: ReturnType<typeof createAlmaHttpClient> | undefined;
    try {
      // Made inside the try: a client that cannot be made (a proxy undici refuses) still closes the sandbox.
      http = createAlmaHttpClient({ ...run.transport, ...place.client, limiter: limiterFor({ rate: run.rate, onEvent }), onEvent });
      if (invoices.length > 0) run.info(`checking ${invoices.length} invoice${invoices.length === 1 ? '' : 's'} (read-only) against ${place.where}`);
      return await runPreflight(invoices, { http, rate: run.rate, pollTimeoutMs: run.pollTimeoutMs, remaining: () => remaining });
    } finally {
      await http?.close().catch(() => undefined);
      await place.close();
    }
  },

  async serveSandbox(o, given) {
    const { startSandbox } = await import('../../sandbox/server.js');
    const sandbox = await startSandbox(o);
    // Started with --api-key-file, it takes that key alone: the try-line reads it from the same file.
    const key = given?.keyFile !== undefined ? `invoice-load --api-key-file ${shellWord(given.keyFile)}` : 'ALMA_API_KEY=any invoice-load';
    return { url: sandbox.url, close: () => sandbox.close(), hint: `try: ALMA_API_URL=${sandbox.url} ${key} fixtures/sample-batch.csv` };
  },
};

/**
 * Where Alma is, for a load or the online checks: the embedded sandbox started in-process (its
 * state beside the journals, so a re-run sees what an earlier run created), or the URL or region
 * with the key read from its file or the environment.
 */
export async function almaPlace(
  settings: AlmaSettings,
  run: Pick<OpenRun, 'info' | 'env' | 'readKeyFile'>,
  purpose: 'load' | 'verify' | 'check',
): Promise<{ client: { baseUrl?: string; region?: string; apiKey: string }; where: string; close(): Promise<void> }> {
  if (settings.kind === 'sandbox') {
    const { startSandbox } = await import('../../sandbox/server.js');
    const sandbox = await startHeldSandbox(settings.statePath, () => startSandbox({ port: 0, statePath: settings.statePath, latencyMs: 0 }));
    // A check's caller says what it does itself (preflight, export, payments).
    return closedOnThrow(sandbox, () => {
      if (purpose !== 'check') run.info(sandboxLine('the embedded sandbox', settings.statePath, purpose));
      return { client: { baseUrl: sandbox.url, apiKey: 'sandbox' }, where: `the embedded sandbox (state in ${settings.statePath})`, close: () => sandbox.close() };
    });
  }
  const apiKey = 'file' in settings.apiKeySource ? run.readKeyFile(settings.apiKeySource.file) : envApiKey(run.env);
  return {
    client: { ...(settings.baseUrl !== undefined ? { baseUrl: settings.baseUrl } : {}), ...(settings.region !== undefined ? { region: settings.region } : {}), apiKey },
    where: 'Alma',
    close: async () => undefined,
  };
}

/** `ALMA_API_KEY` trimmed of the spaces and line breaks around it, as a key file's content is; '' when unset. */
export function envApiKey(env: Record<string, string | undefined>): string {
  return (env.ALMA_API_KEY ?? '').trim();
}
