/**
 * Opens the target of a run, whichever it is, through its definition (src/targets/registry.ts):
 * the client with its credentials, or its embedded sandbox in-process (`--sandbox`), whose state
 * lives beside the journals so a re-run sees what an earlier run made. The engine, the journal
 * and the report are the same for every target; only this differs.
 */
import type { Config } from './config.js';
import type { OpenedTarget, OpenRun, TargetDefinition } from '../targets/definition.js';
import type { TargetEventSink } from '../targets/target.js';
import { warnLine } from './terminal.js';

export interface OpenedRun extends OpenedTarget {
  /** First part of the journal's file name: the target, and the action when there is one. */
  journalName: string;
  /** An action's opposite (reactivate for cancel): its journal of the same batch is void once this one runs. */
  opposite?: string | undefined;
}

export async function openTarget(
  definition: TargetDefinition,
  cfg: Config,
  io: {
    signal: AbortSignal;
    halt?: AbortSignal | undefined;
    stop?: AbortSignal | undefined;
    onEvent: TargetEventSink;
    info: (line: string) => void;
    env: Record<string, string | undefined>;
    readKeyFile: OpenRun['readKeyFile'];
    purpose?: OpenRun['purpose'];
  },
): Promise<OpenedRun> {
  if (cfg.target === undefined) throw new Error('internal: no target settings for a load');
  const opened = await definition.open(cfg.target, {
    transport: { rate: cfg.rate, timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, signal: io.signal, halt: io.halt, stop: io.stop, onEvent: io.onEvent, proxy: cfg.proxy },
    action: cfg.action,
    purpose: io.purpose,
    info: io.info,
    // The same sink as Alma's key file warning (load.ts readKeyFile), --quiet or not.
    warn: warnLine,
    env: io.env,
    readKeyFile: io.readKeyFile,
  });
  const name = definition.name;
  const action = cfg.action?.kind;
  const others = (definition.actions ?? []).filter((a) => a !== action);
  return {
    ...opened,
    journalName: action === undefined ? name : `${name}-${action}`,
    opposite: action === undefined || others.length === 0 ? undefined : `${name}-${others[0]}`,
  };
}
