/**
 * The embedded Alma-compatible sandbox: a `node:http` server for `/almaws/v1/...` (see
 * `routes.ts`) plus a test/admin API under `/_sandbox/` that needs no key and is not Alma.
 *
 * Order of checks for an API request: auth (401 XML) → daily threshold → per-second threshold
 * (429, not applied) → pending processing settles → fault decision → apply → fault after → answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson, stringifyJson, type JsonValue } from '../common/json.js';
import {
  AlmaError,
  DAILY_THRESHOLD,
  errorBody4xx,
  errorBody5xx,
  INTERNAL_ERROR,
  PER_SECOND_THRESHOLD,
  TrackingIds,
  UNAUTHORIZED_XML,
  type RenderContext,
} from './alma-shapes.js';
import { stateInvoice } from './admin.js';
import { Connections, dispatch, faultAfter, faultBefore, listen } from './http.js';
import { Catalog } from './catalog.js';
import { applyConfigPatch, DEFAULT_CONFIG, DEFAULT_RANDOM_SEED, parseConfigPatch, parseFaultConfig } from './config.js';
import { BUSINESS_ERRORS, FaultEngine, mulberry32 } from './faults.js';
import { loadState, saveState } from './persist.js';
import { routeFor, type ApiAnswer, type RouteDeps } from './routes.js';
import { loadSeed } from './seed.js';
import { Store } from './store.js';
import { DailyBudget, SlidingWindow } from './throttle.js';
import type { FaultConfig, FaultKind, SandboxConfig, SandboxHandle, SandboxOptions, SandboxStateDump } from './types.js';

// Re-exported so callers can take the server's types from the module they start it from.
export type { FaultConfig, FaultKind, FaultRule, SandboxConfig, SandboxHandle, SandboxOptions, SandboxStateDump } from './types.js';

const API_PREFIX = '/almaws/v1';
// Room for an 8 MiB attachment, base64 in JSON (a third larger).
const MAX_BODY = 16 * 1024 * 1024;
const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG) as (keyof SandboxConfig)[];

interface Stats {
  requests: Record<string, number>;
  requestsTotal: number;
  throttled: { total: number; perSecond: number; daily: number; injected: number };
  unauthorized: number;
  notJsonAccept: number;
  notJsonContentType: number;
}

const newStats = (): Stats => ({
  requests: {},
  requestsTotal: 0,
  throttled: { total: 0, perSecond: 0, daily: 0, injected: 0 },
  unauthorized: 0,
  notJsonAccept: 0,
  notJsonContentType: 0,
});

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? ((): void => {});
  const picked = Object.fromEntries(CONFIG_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
  let config = applyConfigPatch(DEFAULT_CONFIG, parseConfigPatch(picked));
  const faultConfig = parseFaultConfig(
    Object.fromEntries(
      (['faultRate', 'faultKinds', 'faultSteps', 'faults', 'randomSeed'] as const).filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]),
    ),
  );
  const apiKeys = opts.apiKeys ? new Set(opts.apiKeys) : undefined;
  const readOnlyKeys = new Set(opts.readOnlyKeys ?? []);
  const acquisitionsOnlyKeys = new Set(opts.acquisitionsOnlyKeys ?? []);
  const host = opts.host ?? '127.0.0.1';

  const cat = new Catalog(loadSeed(opts.seed));
  const store = new Store(cat);
  const saved = opts.statePath !== undefined ? loadState(opts.statePath) : undefined;
  if (saved) store.restore(saved);
  else store.reset(now());
  const persist = (): void => {
    if (store.dirty && opts.statePath !== undefined) saveState(opts.statePath, store.snapshot());
    store.dirty = false;
  };
  persist();

  const faults = new FaultEngine(faultConfig);
  const window = new SlidingWindow(config.perSecond);
  const daily = new DailyBudget(config.daily);
  // A separate PRNG stream, so tracking ids never shift the fault draws.
  const tracking = new TrackingIds(mulberry32((faultConfig.randomSeed ?? DEFAULT_RANDOM_SEED) ^ 0x5eed));
  let stats = newStats();
  const ctx: RenderContext = { cat, base: '' };
  const deps: RouteDeps = {
    store,
    cat,
    ctx,
    now,
    processDelayMs: () => config.processDelayMs,
    allowDuplicates: () => config.allowDuplicates,
    handleInvoicePayment: () => config.handleInvoicePayment,
    attachmentMaxBytes: () => config.attachmentMaxBytes,
    indexLagMs: () => config.indexLagMs,
    vendorInvoicesActiveOnly: () => config.vendorInvoicesActiveOnly,
    tamper: () => config,
  };

  // ---- connection bookkeeping, so close() ends everything at once (http.ts) ----------------
  const conns = new Connections();

  // ---- answers ------------------------------------------------------------------------------
  const baseHeaders = (): Record<string, string> => ({
    // "the number of requests left until midnight" on every answer (BLOG-REMAIN,
    // docs/alma.md#requests-hosts-keys-and-thresholds).
    'X-Exl-Api-Remaining': String(daily.remaining(now())),
  });
  const write = async (res: ServerResponse, status: number, text: string, type: string, extra: Record<string, string> = {}): Promise<void> => {
    await conns.sleep(config.latencyMs);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'Content-Type': type, ...baseHeaders(), ...extra });
    res.end(text);
  };
  const json = (res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): Promise<void> =>
    write(res, status, stringifyJson(body), 'application/json;charset=UTF-8', extra);
  const error4xx = (res: ServerResponse, status: number, code: string, message: string): Promise<void> =>
    json(res, status, errorBody4xx(code, message, tracking.next(now())));
  const error500 = (res: ServerResponse): Promise<void> =>
    json(res, 500, errorBody5xx(INTERNAL_ERROR.code, INTERNAL_ERROR.message, tracking.next(now())));
  const tooMany = (res: ServerResponse, which: 'perSecond' | 'daily' | 'injected'): Promise<void> => {
    stats.throttled.total++;
    stats.throttled[which]++;
    const e = which === 'daily' ? DAILY_THRESHOLD : PER_SECOND_THRESHOLD;
    // Alma documents no Retry-After (docs/alma.md#requests-hosts-keys-and-thresholds); it is only
    // sent when the option asks for it.
    const extra: Record<string, string> = config.retryAfter
      ? { 'Retry-After': String(which === 'daily' ? daily.secondsToReset(now()) : 1) }
      : {};
    return json(res, 429, errorBody4xx(e.code, e.message, tracking.next(now())), extra);
  };
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const m = /^apikey\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const key = m?.[1] ?? url.searchParams.get('apikey') ?? '';
    if (readOnlyKeys.has(key)) return (req.method ?? 'GET') === 'GET';
    if (acquisitionsOnlyKeys.has(key)) return url.pathname.startsWith(`${API_PREFIX}/acq/`);
    return apiKeys === undefined || apiKeys.has(key);
  };

  // ---- the Alma API ---------------------------------------------------------------------------
  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, raw: string): Promise<void> => {
    const method = req.method ?? 'GET';
    let segs: string[];
    try {
      segs = url.pathname.slice(API_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return error4xx(res, 400, '402119', 'General error: malformed URL.');
    }
    const route = routeFor(method, segs, url.searchParams, deps);
    const countKey = `${method} ${route.step}`;
    stats.requests[countKey] = (stats.requests[countKey] ?? 0) + 1;
    stats.requestsTotal++;
    if (!/json/i.test(req.headers.accept ?? '') && url.searchParams.get('format') !== 'json') stats.notJsonAccept++;
    if (method === 'POST' && !/json/i.test(req.headers['content-type'] ?? '')) stats.notJsonContentType++;

    if (!authorized(req, url)) {
      stats.unauthorized++;
      return write(res, 401, UNAUTHORIZED_XML, 'application/xml;charset=UTF-8');
    }
    const t = now();
    if (daily.exhausted(t)) return tooMany(res, 'daily');
    // Over the per-second threshold the request is NOT applied (429, sample 06, docs/alma.md#what-the-samples-show).
    if (!window.tryAcquire(t)) return tooMany(res, 'perSecond');
    daily.use(t);
    store.settleDue(t);
    persist();

    let body: JsonValue | undefined;
    if (raw.trim() !== '') {
      try {
        body = parseJson(raw);
      } catch (e) {
        return error4xx(res, 400, '402119', `General error: the payload is not valid JSON: ${(e as Error).message}`);
      }
    }

    const step = route.step === 'other' ? undefined : route.step;
    const kind: FaultKind | undefined = step === undefined ? undefined : faults.decide(step, route.subject(body));
    if (kind !== undefined && step !== undefined) {
      log(`sandbox: fault ${kind} on ${method} ${url.pathname} (${step})`);
      const answered = await faultBefore(kind, step, req, conns, config.latencyMs, {
        throttled: () => tooMany(res, 'injected'),
        serverError: () => error500(res),
        business: (s) => error4xx(res, 400, BUSINESS_ERRORS[s].code, BUSINESS_ERRORS[s].message),
      });
      if (answered) return;
    }

    let answer: ApiAnswer;
    try {
      answer = route.run(body);
    } catch (e) {
      if (!(e instanceof AlmaError)) throw e;
      answer = { status: e.status, body: errorBody4xx(e.code, e.message, tracking.next(now())) };
    } finally {
      persist();
    }

    if (await faultAfter(kind, req, conns, config, () => error500(res))) return;
    return json(res, answer.status, answer.body);
  };

  // ---- the admin/test API -----------------------------------------------------------------
  const state = (): SandboxStateDump => {
    store.settleDue(now());
    persist();
    return {
      invoices: store.all().map(stateInvoice),
      counters: {
        ...structuredClone(store.counters),
        requests: { ...stats.requests },
        requestsTotal: stats.requestsTotal,
        throttled: { ...stats.throttled },
        unauthorized: stats.unauthorized,
        faults: { ...faults.injected },
        notJsonAccept: stats.notJsonAccept,
        notJsonContentType: stats.notJsonContentType,
      },
      config: { ...config },
      faults: faults.current(),
      dailyRemaining: daily.remaining(now()),
    };
  };
  const configure = (patch: Partial<SandboxConfig>): void => {
    config = applyConfigPatch(config, parseConfigPatch(patch));
    window.limit = config.perSecond;
    daily.limit = config.daily;
  };
  const setFaults = (cfg: FaultConfig): void => faults.configure(parseFaultConfig(cfg));
  const reset = (): void => {
    store.reset(now());
    persist();
    faults.reset();
    window.reset();
    daily.reset();
    stats = newStats();
  };

  // ---- the server -----------------------------------------------------------------------------
  const listening = await listen(
    conns,
    { port: opts.port, host, name: 'sandbox', log },
    (req, res) =>
      dispatch(req, res, conns, MAX_BODY, { state, setFaults, faults: () => faults.current(), configure, config: () => config, reset }, async (url, body) => {
        if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) return api(req, res, url, body.toString('utf8'));
        return error4xx(res, 404, 'NOT_FOUND', `No such resource: ${req.method ?? 'GET'} ${url.pathname}`);
      }),
    (res) => {
      res.writeHead(500, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(stringifyJson(errorBody5xx(INTERNAL_ERROR.code, INTERNAL_ERROR.message, tracking.next(now()))));
    },
  );
  ctx.base = `${listening.url}${API_PREFIX}`;
  return { url: listening.url, port: listening.port, close: listening.close, state, configure, setFaults, reset };
}
