/**
 * The skeleton the Exsited and Alguna sandboxes share (siblings of the Alma one in server.ts):
 * a `node:http` server, the same seeded fault kinds with the same meaning (faults.ts), a
 * per-second threshold, added latency, state kept in a file between runs, and the same admin
 * API under `/_sandbox/` (state, faults, config, reset) that needs no credentials.
 *
 * Order for an API request: route → credentials (the target's own 401) → per-second threshold
 * (429, not applied) → fault decision → apply → fault after → answer. The target's spec says
 * how its routes, errors and state look; this file says what each fault kind does on the wire:
 *  - `error_before`: 500, not applied;             - `drop_before`: socket destroyed, not applied;
 *  - `lost_after`: applied, then socket destroyed; - `error_after`: applied, then 500;
 *  - `timeout`: applied, connection held, then destroyed;
 *  - `throttle`: 429, not applied;                 - `business`: the target's 4xx refusal, not applied.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connections, dispatch, faultAfter, faultBefore, listen } from './http.js';
import { notAState, parseStateFile, readStateFile, saveJson } from './persist.js';
import { UsageError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';
import { FaultEngine, type FaultSubject } from './faults.js';
import { parseFaultConfig } from './config.js';
import { SlidingWindow } from './throttle.js';
import type { FaultConfig, FaultKind, SandboxLogger, SandboxOptions, Step } from './types.js';

export interface SiblingAnswer {
  status: number;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  headers?: Record<string, string> | undefined;
}

export interface SiblingRequest {
  method: string;
  url: URL;
  /** Path below the API prefix, split into decoded segments. */
  segs: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface SiblingRoute {
  step: Step;
  /** What the request is about, for `match` rules and permanent business errors. Never throws. */
  subject(): FaultSubject;
  /** Checks the credentials; an answer refuses the request. Absent: no credentials needed (a token endpoint). */
  auth?: (() => SiblingAnswer | undefined) | undefined;
  /** Applies the request. May wait (an idempotent request in flight). */
  run(): SiblingAnswer | Promise<SiblingAnswer>;
}

/** Common runtime settings; a target adds its own (token lifetime, event delay …). */
export interface SiblingConfig {
  perSecond: number;
  latencyMs: number;
  timeoutHoldMs: number;
}

export const SIBLING_DEFAULTS: SiblingConfig = { perSecond: 1000, latencyMs: 0, timeoutHoldMs: 60_000 };

export interface SiblingSpec<C extends SiblingConfig> {
  name: string;
  /** Path prefix of the API (`''` when paths start at the root). */
  prefix: string;
  route(req: SiblingRequest): SiblingRoute | SiblingAnswer;
  /** The target's 500, 429 and business refusal (with headers such as Alguna's `Transient-Error`). */
  serverError(applied: boolean): SiblingAnswer;
  throttled(): SiblingAnswer;
  business(step: Step): SiblingAnswer;
  notFound(method: string, path: string): SiblingAnswer;
  /** Validates and applies a config patch, returning the new config (throws with a readable message). */
  configure(config: C, patch: Record<string, unknown>): C;
  /** The admin state dump; `extra` holds the request and fault counters the skeleton keeps. */
  state(config: C, extra: SiblingCounters): unknown;
  snapshot(): unknown;
  restore(data: unknown): void;
  reset(): void;
}

/** The counters the skeleton keeps, for the target's state dump (spread as they are). */
export interface SiblingCounters {
  requests: Record<string, number>;
  requestsTotal: number;
  faults: Record<FaultKind, number>;
}

export interface SiblingOptions<Seed = never> extends FaultConfig {
  port?: number | undefined;
  host?: string | undefined;
  statePath?: string | undefined;
  logger?: SandboxLogger | undefined;
  /** Seed object or path of its JSON file; default: the package's `fixtures/<target>-sandbox-seed.json`. */
  seed?: Seed | string | undefined;
  /** The clock the target's rules read (token lifetimes, events, idempotency windows); default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The package's seed file of a sibling sandbox. */
export const defaultSeedPath = (target: string): string => fileURLToPath(new URL(`../../fixtures/${target}-sandbox-seed.json`, import.meta.url));

/** The seed a sandbox starts from: the object given, else the JSON file at the path given or at `defaultPath`. */
export function readSeed<Seed extends object>(seed: Seed | string | undefined, defaultPath: string): Seed {
  if (typeof seed === 'object') return seed;
  const path = seed ?? defaultPath;
  // A seed file is the user's (`sandbox --seed`): missing or not JSON is a configuration error, exit 2.
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the sandbox seed ${path}: ${pathReason(e) ?? (e as Error).message}; give --seed a seed file like ${defaultPath}, or leave --seed out for that one`, { cause: e });
  }
  try {
    return JSON.parse(text) as Seed;
  } catch (e) {
    throw new UsageError(`cannot read the sandbox seed ${path}: it is not valid JSON (${(e as Error).message}); give --seed a seed file like ${defaultPath}, or leave --seed out for that one`, { cause: e });
  }
}

/** The starting config: the target's defaults, each overridden by an option of the same name. */
export function initialConfig<C extends SiblingConfig>(defaults: C, opts: Partial<C>): C {
  return { ...defaults, ...Object.fromEntries(Object.keys(defaults).filter((k) => opts[k as keyof C] !== undefined).map((k) => [k, opts[k as keyof C]])) };
}

/**
 * A config patch applied (`POST /_sandbox/config`): an unknown key is refused, and every key
 * given must be a number of at least its minimum (`perSecond` 1, others 0 unless `minimums`
 * says otherwise); throws naming the first bad field, in the defaults' order.
 */
export function patchConfig<C extends SiblingConfig>(defaults: C, current: C, patch: Record<string, unknown>, minimums: Partial<Record<keyof C, number>> = {}): C {
  const known = new Set(Object.keys(defaults));
  const bad = Object.keys(patch).filter((k) => !known.has(k));
  if (bad.length > 0) throw new Error(`invalid sandbox config: unknown ${bad.join(', ')}`);
  const min: Partial<Record<string, number>> = { perSecond: 1, ...minimums };
  return Object.fromEntries(Object.keys(defaults).map((k) => [k, patchNumber(patch, k, current[k as keyof C] as number, min[k] ?? 0)])) as unknown as C;
}

/** The options of `invoice-load sandbox` a sibling sandbox takes (its seed, threshold and latency when given): targets/definition.ts SIBLING_SANDBOX_TAKES. */
export function siblingOptions(o: SandboxOptions): SiblingOptions & { perSecond?: number; latencyMs?: number } {
  return {
    port: o.port,
    host: o.host,
    statePath: o.statePath,
    ...(typeof o.seed === 'string' ? { seed: o.seed } : {}),
    ...(o.perSecond !== undefined ? { perSecond: o.perSecond } : {}),
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
    faultRate: o.faultRate,
    faultKinds: o.faultKinds,
    randomSeed: o.randomSeed,
  };
}

export interface SiblingHandle<S> {
  url: string;
  port: number;
  close(): Promise<void>;
  state(): S;
  configure(patch: Record<string, unknown>): void;
  setFaults(config: FaultConfig): void;
  reset(): void;
}

const MAX_BODY = 10 * 1024 * 1024;

export async function startSibling<C extends SiblingConfig, S>(
  spec: SiblingSpec<C>,
  initial: C,
  opts: SiblingOptions<unknown>,
): Promise<SiblingHandle<S>> {
  const log = opts.logger ?? ((): void => {});
  let config = initial;
  const faults = new FaultEngine(
    parseFaultConfig(Object.fromEntries((['faultRate', 'faultKinds', 'faultSteps', 'faults', 'randomSeed'] as const).filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]))),
  );
  const window = new SlidingWindow(config.perSecond);
  let requests: Record<string, number> = {};

  // ---- persistence: whole state as JSON, written atomically after every write request ----------
  if (opts.statePath !== undefined) {
    const text = readStateFile(opts.statePath);
    if (text !== undefined) {
      const saved = (parseStateFile(opts.statePath, text) ?? {}) as { version?: number; target?: string; data?: unknown };
      if (saved.version !== 1 || saved.target !== spec.name) throw notAState(opts.statePath, `a ${spec.name} sandbox state (version 1)`);
      spec.restore(saved.data);
    } else spec.reset();
  } else spec.reset();
  const persist = (): void => {
    if (opts.statePath !== undefined) saveJson(opts.statePath, { version: 1, target: spec.name, data: spec.snapshot() });
  };
  persist();

  // ---- connections, so close() ends everything at once (http.ts) -------------------------------
  const conns = new Connections();
  const send = async (res: ServerResponse, a: SiblingAnswer): Promise<void> => {
    await conns.sleep(config.latencyMs);
    if (res.destroyed || res.writableEnded) return;
    const isText = typeof a.body === 'string';
    const payload = a.body === undefined ? '' : isText ? (a.body as string) : JSON.stringify(a.body);
    res.writeHead(a.status, { ...(a.body !== undefined ? { 'Content-Type': isText ? 'text/plain;charset=UTF-8' : 'application/json;charset=UTF-8' } : {}), ...a.headers });
    res.end(payload);
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> => {
    const method = req.method ?? 'GET';
    let segs: string[];
    try {
      segs = url.pathname.slice(spec.prefix.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return send(res, spec.notFound(method, url.pathname));
    }
    const r = spec.route({ method, url, segs, headers: req.headers, body });
    if (!('run' in r)) return send(res, r);
    const countKey = `${method} ${r.step}`;
    requests[countKey] = (requests[countKey] ?? 0) + 1;
    const refused = r.auth?.();
    if (refused !== undefined) return send(res, refused);
    if (!window.tryAcquire(Date.now())) return send(res, spec.throttled());

    const step = r.step === 'other' ? undefined : r.step;
    const kind: FaultKind | undefined = step === undefined ? undefined : faults.decide(step, r.subject());
    if (kind !== undefined && step !== undefined) {
      log(`sandbox ${spec.name}: fault ${kind} on ${method} ${url.pathname} (${step})`);
      const answered = await faultBefore(kind, step, req, conns, config.latencyMs, {
        throttled: () => send(res, spec.throttled()),
        serverError: () => send(res, spec.serverError(false)),
        business: (s) => send(res, spec.business(s)),
      });
      if (answered) return;
    }
    let answer: SiblingAnswer;
    try {
      answer = await r.run();
    } finally {
      if (method !== 'GET') persist();
    }
    if (await faultAfter(kind, req, conns, config, () => send(res, spec.serverError(true)))) return;
    return send(res, answer);
  };

  const state = (): S =>
    spec.state(config, { requests: { ...requests }, requestsTotal: Object.values(requests).reduce((n, v) => n + v, 0), faults: { ...faults.injected } }) as S;
  const configure = (patch: Record<string, unknown>): void => {
    config = spec.configure(config, patch);
    window.limit = config.perSecond;
  };
  const setFaults = (cfg: FaultConfig): void => faults.configure(parseFaultConfig(cfg));
  const reset = (): void => {
    spec.reset();
    persist();
    faults.reset();
    window.reset();
    requests = {};
  };

  const listening = await listen(
    conns,
    { port: opts.port, host: opts.host, name: `sandbox ${spec.name}`, log },
    (req, res) =>
      dispatch<Record<string, unknown>>(req, res, conns, MAX_BODY, { state, setFaults, faults: () => faults.current(), configure, config: () => config, reset }, async (url, body) => {
        if (spec.prefix === '' || url.pathname === spec.prefix || url.pathname.startsWith(`${spec.prefix}/`)) return api(req, res, url, body);
        return send(res, spec.notFound(req.method ?? 'GET', url.pathname));
      }),
    (res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('sandbox internal error');
    },
  );
  return { url: listening.url, port: listening.port, close: listening.close, state, configure, setFaults, reset };
}

/** A non-negative number from a config patch, or the current value; throws naming the field. */
function patchNumber(patch: Record<string, unknown>, key: string, current: number, min = 0): number {
  const v = patch[key];
  if (v === undefined) return current;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`invalid sandbox config: ${key} must be a number of at least ${min}`);
  return v;
}
