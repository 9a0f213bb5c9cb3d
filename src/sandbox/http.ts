/**
 * The server skeleton every sandbox plugs into (Alma's in server.ts, the others through
 * sibling.ts): listening on loopback, reading a body with a size cap, the connection bookkeeping
 * that lets close() end everything at once, the waits a fault needs (latency, a dropped or held
 * connection), and the one way a fault decision turns into an answer. The APIs themselves
 * (routes, shapes, state) are the target's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin, type AdminOps } from './admin.js';
import type { FaultKind, FaultStep, SandboxLogger } from './types.js';

/** Paths under this prefix are the admin/test API (admin.ts), never the emulated one. */
export const ADMIN_PREFIX = '/_sandbox/';

/** Sockets and timers of one server, so a fault can hold a connection and close() still ends at once. */
export class Connections {
  readonly #sockets = new Set<Socket>();
  readonly #waits = new Map<NodeJS.Timeout, () => void>();
  #closing = false;

  get closing(): boolean {
    return this.#closing;
  }

  track(s: Socket): void {
    this.#sockets.add(s);
    s.on('close', () => this.#sockets.delete(s));
  }

  /** Waits `ms` (latency); ends at once when the server closes. */
  sleep(ms: number): Promise<void> {
    return ms <= 0 || this.#closing
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => {
            this.#waits.delete(t);
            resolve();
          }, ms);
          this.#waits.set(t, resolve);
        });
  }

  /** `drop_before` / `lost_after`: the connection ends without an answer. */
  drop(req: IncomingMessage): void {
    req.socket.destroy();
  }

  /** `timeout` fault: never answer; destroy the connection after `ms` (or at close()). */
  hold(req: IncomingMessage, ms: number): void {
    const sock = req.socket;
    const t = setTimeout(() => {
      this.#waits.delete(t);
      sock.destroy();
    }, ms);
    this.#waits.set(t, () => sock.destroy());
    sock.once('close', () => {
      clearTimeout(t);
      this.#waits.delete(t);
    });
  }

  /** Releases every wait and destroys every socket; true the first time. */
  closeAll(): boolean {
    if (this.#closing) return false;
    this.#closing = true;
    for (const [t, release] of this.#waits) {
      clearTimeout(t);
      release();
    }
    this.#waits.clear();
    return true;
  }

  destroySockets(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

/** The whole body, or undefined when it is larger than `max` bytes (the request is then dropped). */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * One request: the body read whole (too large: the connection is dropped), `/_sandbox/` to the
 * admin API (admin.ts), anything else to the target's `api`.
 */
export async function dispatch<P>(
  req: IncomingMessage,
  res: ServerResponse,
  conns: Connections,
  maxBody: number,
  admin: AdminOps<P>,
  api: (url: URL, body: Buffer) => Promise<void>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const body = await readBody(req, maxBody);
  if (body === undefined) return conns.drop(req);
  if (url.pathname.startsWith(ADMIN_PREFIX)) return handleAdmin(req.method ?? 'GET', url.pathname.slice(ADMIN_PREFIX.length), body.toString('utf8'), res, admin);
  return api(url, body);
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens (port 0: any free port) with `handle` for every request; a handler that throws is
 * logged and answered by `internalError`. The URL names a loopback host even when listening on all.
 */
export async function listen(
  conns: Connections,
  opts: { port?: number | undefined; host?: string | undefined; name: string; log: SandboxLogger },
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  internalError: (res: ServerResponse) => void,
): Promise<Listening> {
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log(`${opts.name}: internal error: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent && !res.destroyed) internalError(res);
    });
  });
  server.on('connection', (s) => conns.track(s));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  opts.log(`${opts.name}: listening on ${url}`);
  const close = async (): Promise<void> => {
    if (!conns.closeAll()) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    conns.destroySockets();
    await closed;
  };
  return { url, port, close };
}

/** How a target's sandbox answers the faults decided before a request is applied. */
export interface FaultAnswers {
  throttled(): Promise<void>;
  serverError(): Promise<void>;
  business(step: FaultStep): Promise<void>;
}

/**
 * The part of a fault that happens before the request is applied: an answer (429, 500, the
 * target's refusal) or a dropped connection, and true; false when the request goes on.
 */
export async function faultBefore(kind: FaultKind | undefined, step: FaultStep, req: IncomingMessage, conns: Connections, latencyMs: number, answers: FaultAnswers): Promise<boolean> {
  if (kind === 'throttle') await answers.throttled();
  else if (kind === 'error_before') await answers.serverError();
  else if (kind === 'business') await answers.business(step);
  else if (kind === 'drop_before') {
    await conns.sleep(latencyMs);
    conns.drop(req);
  } else return false;
  return true;
}

/**
 * The part that happens after it was applied: the answer lost (connection dropped), replaced by
 * a 500, or never sent (held); true when the fault took the answer's place.
 */
export async function faultAfter(kind: FaultKind | undefined, req: IncomingMessage, conns: Connections, config: { latencyMs: number; timeoutHoldMs: number }, serverError: () => Promise<void>): Promise<boolean> {
  if (kind === 'lost_after') {
    await conns.sleep(config.latencyMs);
    conns.drop(req);
  } else if (kind === 'error_after') await serverError();
  else if (kind === 'timeout') conns.hold(req, config.timeoutHoldMs);
  else return false;
  return true;
}
