/** `invoice-load sandbox`: the embedded Alma-compatible server on a port, until Ctrl-C. */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { SandboxOptions } from '../sandbox/types.js';
import type { FaultKind, FaultStep } from '../sandbox/faults.js';
import { UsageError } from '../common/errors.js';
import type { Terminal } from './terminal.js';
import { targetNamed } from '../targets/registry.js';
import { startHeldSandbox } from '../targets/settings.js';

/** What holds a state file while this command serves it, in another run's refusal (engine/lock.ts `LockInfo.who`). */
const SERVER = 'an invoice-load sandbox server';

type Opts = Record<string, string | boolean | undefined>;

const num = (opts: Opts, name: string, flag: string): number | undefined => {
  const v = opts[name];
  if (v === undefined || typeof v === 'boolean') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number of at least 0, not "${v}"`);
  return n;
};

const fieldList = (v: string): string[] =>
  v
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');

/** A TCP port: Node refuses anything else with a RangeError that read as a bug (exit 1). */
function port(opts: Opts): number | undefined {
  const v = opts.port;
  if (v === undefined || typeof v === 'boolean') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (0 picks a free one), not "${v}"`);
  return n;
}

export function sandboxOptions(opts: Opts): SandboxOptions {
  const o: SandboxOptions = { port: port(opts) ?? 8080, host: typeof opts.host === 'string' ? opts.host : '127.0.0.1' };
  if (typeof opts.seed === 'string') o.seed = opts.seed;
  if (typeof opts.state === 'string') o.statePath = opts.state;
  const set = <K extends keyof SandboxOptions>(k: K, v: SandboxOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('perSecond', num(opts, 'perSecond', '--per-second'));
  set('daily', num(opts, 'daily', '--daily'));
  set('latencyMs', num(opts, 'latency', '--latency'));
  set('processDelayMs', num(opts, 'processDelay', '--process-delay'));
  set('indexLagMs', num(opts, 'indexLag', '--index-lag'));
  set('faultRate', num(opts, 'faultRate', '--fault-rate'));
  set('randomSeed', num(opts, 'randomSeed', '--random-seed'));
  set('attachmentMaxBytes', num(opts, 'attachmentMaxBytes', '--attachment-max-bytes'));
  if (opts.allowDuplicates === true) o.allowDuplicates = true;
  // Alma's handle_invoice_payment: a marked invoice waits for payment (default) or is closed.
  if (opts.handleInvoicePayment === false) o.handleInvoicePayment = false;
  // Fields stored differently from what was sent, to see the loader's canary stop a run.
  if (typeof opts.dropField === 'string') o.dropFields = fieldList(opts.dropField);
  if (typeof opts.alterField === 'string') o.alterFields = fieldList(opts.alterField);
  if (typeof opts.faultKinds === 'string') o.faultKinds = opts.faultKinds.split(',').map((k) => k.trim()) as FaultKind[];
  if (typeof opts.faultSteps === 'string') o.faultSteps = opts.faultSteps.split(',').map((k) => k.trim()) as FaultStep[];
  if (typeof opts.apiKeyFile === 'string') o.apiKeys = [keyIn(opts.apiKeyFile, '--api-key-file')];
  if (typeof opts.readOnlyKeyFile === 'string') o.readOnlyKeys = [keyIn(opts.readOnlyKeyFile, '--read-only-key-file')];
  return o;
}

/** The flag that sets each option, for the message refusing it. */
const FLAG_OF: Partial<Record<keyof SandboxOptions, string>> = {
  daily: '--daily',
  processDelayMs: '--process-delay',
  indexLagMs: '--index-lag',
  attachmentMaxBytes: '--attachment-max-bytes',
  allowDuplicates: '--allow-duplicates',
  handleInvoicePayment: '--no-handle-invoice-payment',
  dropFields: '--drop-field',
  alterFields: '--alter-field',
  faultSteps: '--fault-steps',
  apiKeys: '--api-key-file',
  readOnlyKeys: '--read-only-key-file',
};

function keyIn(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new UsageError(`cannot read ${flag} ${path}`);
  }
}

export async function runSandboxCommand(opts: Opts, term: Terminal): Promise<number> {
  // `--target`: the target's own emulation (its definition's serveSandbox); Alma's by default.
  const definition = targetNamed(typeof opts.target === 'string' ? opts.target : undefined);
  if (definition.serveSandbox === undefined) throw new UsageError(`${definition.label} has no embedded sandbox`);
  const options = sandboxOptions(opts);
  // An option the target's sandbox would ignore is refused, not silently dropped.
  const takes = definition.sandboxTakes;
  const ignored = takes === undefined ? [] : (Object.keys(options) as (keyof SandboxOptions)[]).filter((k) => !takes.includes(k)).map((k) => FLAG_OF[k] ?? k);
  if (ignored.length > 0) throw new UsageError(`${ignored.join(', ')}: not taken by the ${definition.label} sandbox; only the Alma sandbox (the default) has every option`);
  let sandbox: Awaited<ReturnType<NonNullable<typeof definition.serveSandbox>>>;
  const keyFile = typeof opts.apiKeyFile === 'string' ? opts.apiKeyFile : undefined;
  const serveSandbox = definition.serveSandbox.bind(definition);
  const serve = () => serveSandbox(options, { keyFile });
  try {
    // A state file is held as a run's embedded sandbox holds it (targets/settings.ts
    // startHeldSandbox, README "The embedded sandbox"): each reads the whole state when it starts
    // and writes it back whole, so two servers, or a server and a `--sandbox` run, on one state
    // file lost each other's invoices. Held by another, this one stops (exit 2) naming it.
    sandbox = options.statePath === undefined ? await serve() : await startHeldSandbox(options.statePath, serve, SERVER);
  } catch (err) {
    // A port taken or not ours to take is the command line's to change, not a bug (exit 2).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${String(opts.port)} is in use (another sandbox, or another program): choose another with --port, or --port 0 for any free one`);
    if (code === 'EACCES') throw new UsageError(`port ${String(opts.port)} may not be used by this user (ports below 1024 need privileges): choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on that address: it is not one of this machine's (--host)`);
    throw err;
  }
  process.stdout.write(`invoice-load ${definition.name === 'alma' ? '' : definition.name + ' '}sandbox listening on ${sandbox.url}\n`);
  process.stderr.write(term.errStyle.dim(sandbox.hint + '\n'));
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandbox.close();
  return 0;
}
