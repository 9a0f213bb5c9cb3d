/**
 * Opens the Exsited or Alguna target of a run (Alma's stays in load.ts): the client with its
 * credentials, or the embedded sandbox in-process (`--sandbox --target exsited|alguna`), whose
 * state lives beside the journals so a re-run sees what an earlier run made. The engine, the
 * journal and the report are the same for every target; only this differs.
 */
import { unlinkSync } from 'node:fs';
import type { Config } from './config.js';
import { algunaKey, exsitedCredentials, type ActionKind } from './target-options.js';
import { startExsitedSandbox } from '../sandbox/exsited.js';
import { startAlgunaSandbox } from '../sandbox/alguna.js';
import { createExsitedTarget } from '../targets/exsited/target.js';
import { createAlgunaTarget } from '../targets/alguna/target.js';
import type { Target, TargetEventSink } from '../targets/target.js';
import { acquireLock } from '../engine/lock.js';

export interface OpenedTarget {
  target: Target;
  /** Identity of the place invoices go; the journal is keyed by it. */
  endpoint: string;
  /** First part of the journal's file name: the target, and the action when there is one. */
  journalName: string;
  /** An action's opposite (reactivate for cancel): its journal of the same batch is void once this one runs. */
  opposite?: string | undefined;
  requestCount(): number;
  close(): Promise<void>;
}

/** Credentials the embedded sandbox accepts (it accepts any; these only fill the request). */
const SANDBOX_CLIENT = { clientId: 'invoice-load-sandbox', clientSecret: 'sandbox-secret' };

export async function openOtherTarget(
  cfg: Config,
  io: { signal: AbortSignal; onEvent: TargetEventSink; info: (line: string) => void; env: Record<string, string | undefined> },
): Promise<OpenedTarget> {
  const t = cfg.other;
  if (t === undefined) throw new Error('internal: no target settings for a load');
  const common = { rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal: io.signal, onEvent: io.onEvent };
  const closers: (() => Promise<void>)[] = [];
  let endpoint: string | undefined;
  const name = t.kind === 'sandbox' ? t.target : t.kind;

  let target: (Target & { requestCount(): number; close(): Promise<void> }) | undefined;
  if (name === 'exsited') {
    let baseUrl: string;
    let credentials;
    let apiVersion: string | undefined;
    if (t.kind === 'sandbox') {
      const sandbox = await startExsitedSandbox({ port: 0, statePath: t.statePath });
      closers.push(() => sandbox.close());
      baseUrl = sandbox.url;
      credentials = SANDBOX_CLIENT;
      // A new port each run: the sandbox's identity is its state file.
      endpoint = `sandbox-exsited:${t.statePath}`;
      io.info(`loading into the embedded Exsited sandbox (state in ${t.statePath})`);
    } else if (t.kind === 'exsited') {
      baseUrl = t.baseUrl;
      credentials = exsitedCredentials(t.credentials, io.env);
      apiVersion = t.apiVersion;
    } else throw new Error('internal: target settings do not match --target');
    target = createExsitedTarget({ ...common, baseUrl, credentials, apiVersion, action: cfg.action });
  } else {
    let baseUrl: string | undefined;
    let apiKey: string;
    let apiVersion: string | undefined;
    if (t.kind === 'sandbox') {
      const sandbox = await startAlgunaSandbox({ port: 0, statePath: t.statePath });
      closers.push(() => sandbox.close());
      baseUrl = sandbox.url;
      apiKey = 'sandbox';
      endpoint = `sandbox-alguna:${t.statePath}`;
      io.info(`loading into the embedded Alguna sandbox (state in ${t.statePath})`);
    } else if (t.kind === 'alguna') {
      baseUrl = t.baseUrl;
      apiKey = algunaKey(t.apiKey, io.env);
      apiVersion = t.apiVersion;
    } else throw new Error('internal: target settings do not match --target');
    target = createAlgunaTarget({ ...common, baseUrl, apiKey, apiVersion });
  }
  const opened = target;
  const action: ActionKind | undefined = cfg.action?.kind;
  return {
    target: opened,
    endpoint: endpoint ?? opened.endpoint,
    journalName: action === undefined ? name : `${name}-${action}`,
    opposite: action === undefined ? undefined : `${name}-${action === 'cancel' ? 'reactivate' : 'cancel'}`,
    requestCount: () => opened.requestCount(),
    close: async () => {
      await opened.close();
      for (const c of closers.reverse()) await c();
    },
  };
}

/**
 * An action's journal says "done" for every invoice it finished; once the opposite action has
 * run on the same batch, that is no longer true (a cancelled invoice was reactivated), so the
 * opposite journal is removed — under its lock, so a run using it is never pulled from under.
 * Then cancel, reactivate, cancel on one batch each do their work.
 */
export function voidJournal(path: string): void {
  const release = acquireLock(path + '.lock');
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    release();
  }
}
