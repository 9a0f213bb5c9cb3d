/**
 * What a target folder gives the rest of the tool, in one object (`src/targets/<name>/index.ts`),
 * listed once in `registry.ts`. The dry-run half (name, rules, report keys, payload previews,
 * settings from flags and environment) is plain data and pure functions; the sending half
 * (client, embedded sandbox) is behind `open` and `serveSandbox`, which import it on demand, so a dry
 * run never loads HTTP, the engine or a sandbox.
 */
import type { Invoice, InvoiceOutline } from '../domain/model.js';
import type { Problem } from '../domain/problem.js';
import type { PreflightReport } from '../report/preflight.js';
import type { SandboxOptions } from '../sandbox/types.js';
import type { TransportOptions } from '../transport/http.js';
import type { InvoiceRules } from '../domain/group.js';
import type { Target, TargetEventSink } from './target.js';
import type { PreflightOutcome } from './alma/preflight.js';

/** A batch action instead of a load (`--action cancel|reactivate`, Exsited's). */
export interface RunAction {
  kind: string;
  effectiveDate: string;
}

/** What the CLI needs to know about a target before (or without) talking to it (its `profile.ts`). */
export interface PayloadPreview {
  /** `POST /path`, with `{id}` where the id is only known once the invoice exists. */
  heading: string;
  body: unknown;
}

/** The report's `payload`: the bodies, and what else a target's request carries (Alguna's key). */
export interface ShownPayloads {
  invoice: unknown;
  lines: unknown[];
  [more: string]: unknown;
}

export interface AlertPrediction {
  predict(invoice: Invoice, problems: readonly Problem[]): string[];
  /** Codes `predict` can name: an alert outside them is neither predicted nor missed. */
  codes: readonly string[];
}

export interface TargetProfile {
  name: string;
  label: string;
  /** The invoice rules, plus checks that need the file system (an Exsited attachment must be readable). */
  rules(cwd: string): InvoiceRules;
  /** The keys the report lists under an invoice's `lines`: the target's child items. */
  lineKeys(invoice: InvoiceOutline): string[];
  /** False when those are not the file's lines (Exsited's note): the report then lists none for an invalid invoice. */
  invalidLines?: false;
  /** The bodies in the report's `payload` (`--json --show-payloads`) when nothing is sent. */
  payloads(invoice: Invoice): ShownPayloads;
  /** The requests `--show-payloads` prints, in the order they are sent. */
  preview(invoice: Invoice): PayloadPreview[];
  /**
   * Optional: the alerts the target will raise for the invoice, foreseen from the data and the
   * checks' warnings, and every alert code such a foresight can name; the report says whether
   * the prediction held (Alma: preflight-rules.ts predictedAlerts).
   */
  alertPrediction?: AlertPrediction | undefined;
}


/** The command-line flags that choose and reach a target (`--target`, `--sandbox`, URLs, key files). */
export interface TargetFlags {
  target?: string | undefined;
  action?: string | undefined;
  effectiveDate?: string | undefined;
  apiUrl?: string | undefined;
  credentialsFile?: string | undefined;
  sandbox?: boolean | undefined;
  almaUrl?: string | undefined;
  region?: string | undefined;
  apiKeyFile?: string | undefined;
  online?: boolean | undefined;
  dryRun?: boolean | undefined;
  /** A target's own options (its definition's `options`), under commander's attribute name (`--no-approve` → `approve`). */
  [own: string]: string | boolean | undefined;
}

/**
 * A command-line option only one target reads (FOLIO's `--no-approve`). The CLI adds it to the
 * load and `config` commands; its value reaches the target's `settings` in `flags`, under
 * commander's attribute name.
 */
export interface TargetOption {
  /** As commander takes them: `--no-approve`, `--batch-group <name>`. */
  readonly flags: string;
  /** For `--help`, after the target's label. */
  readonly description: string;
}

/** A setting read from the environment, as `invoice-load config` shows it (a secret as `***`). */
export interface TargetEnvSetting {
  /** The `invoice-load config` row (`tenant`). */
  readonly setting: string;
  readonly env: string;
  readonly secret?: boolean | undefined;
  /** A credential: read from `--credentials-file` instead when one is given. */
  readonly credential?: boolean | undefined;
  /** What applies when it is not set (`FOLIO's default batch group`). */
  readonly unset?: string | undefined;
}

/**
 * How a target other than Alma is reached: `--api-url` (else `<NAME>_API_URL`) and
 * `--credentials-file` (else its environment variables), as `--help` and `invoice-load config`
 * describe them.
 */
export interface TargetConnection {
  /** What the credentials file holds, for `--help` (`FOLIO tenant, username and password`). */
  readonly credentials: string;
  /** The variables otherwise read, short, for `--help` (`FOLIO_TENANT/_USERNAME/_PASSWORD`). */
  readonly credentialsEnv: string;
  /** Every environment variable it reads besides `<NAME>_API_URL`, for `invoice-load config`. */
  readonly env: readonly TargetEnvSetting[];
  /** Where it goes without `--api-url` or `<NAME>_API_URL`, for `invoice-load config` (default: nowhere, it is required). */
  readonly urlUnset?: string | undefined;
}

export interface SettingsInput {
  /** The flags as given (with `sandbox` and `dryRun` as resolved): another target's settings in the config file are not ours to refuse. */
  flags: TargetFlags;
  /** Flags, then environment, then the config file (Alma's settings may come from the file). */
  merged: TargetFlags;
  env: Record<string, string | undefined>;
  cwd: string;
  stateDir: string;
}

/** Where a run goes, as the target resolved it from flags and environment (never a secret, only where to read it). */
export type TargetSettings = { kind: 'sandbox'; statePath: string } | { kind: string };

/** What opening a target needs from the run: transport settings, Ctrl-C, events, the terminal, the environment. */
export interface OpenRun {
  transport: TransportOptions & { signal: AbortSignal; onEvent: TargetEventSink };
  action?: RunAction | undefined;
  /** What the run does with the target: `verify` only reads (its line says so); a load by default. */
  purpose?: 'load' | 'verify' | undefined;
  /** A line for the terminal (which sandbox, where its state is); not shown under --quiet. */
  info(line: string): void;
  /**
   * A warning for the terminal, shown even under --quiet as Alma's key file warning is (a
   * credentials file every user can read): the same sink as cli/load.ts readKeyFile's.
   */
  warn(line: string): void;
  env: Record<string, string | undefined>;
  /** Reads a key file (trimmed); refusals are the CLI's to word. */
  readKeyFile(path: string): string;
}

/** An opened target: the seam, where it is, and how to let it go. */
export interface OpenedTarget {
  target: Target;
  /**
   * Optional: the target's read-only checks of the invoices before the first write (Alma: the
   * same rules as `--dry-run --online`), problems keyed by `keyString(invoice.key)`.
   */
  check?: ((invoices: readonly Invoice[], which: 'default' | 'all') => Promise<PreflightOutcome>) | undefined;
  /** Identity of the place invoices go; the journal is keyed by it. */
  endpoint: string;
  /**
   * Whose account at that place (Alma: the institution of the key, many sharing one hosted
   * address): a short fingerprint of the key (common/fingerprint.ts), recorded in the journal.
   * Absent: the address alone says it.
   */
  account?: string | undefined;
  requestCount(): number;
  close(): Promise<void>;
}

export interface TargetDefinition<S extends TargetSettings = TargetSettings> {
  /** `--target` value, the report's `target`, the first part of the journal's name. */
  readonly name: string;
  /** How messages name it (`Alma`). */
  readonly label: string;
  /** A few words for `--help` (`purchase invoices`). */
  readonly summary?: string | undefined;
  /** `--action` kinds it does besides loading (Exsited: cancel, reactivate). */
  readonly actions?: readonly string[] | undefined;
  /** Options of its own (FOLIO's `--no-approve`), added to the command line by the CLI. */
  readonly options?: readonly TargetOption[] | undefined;
  /** `--api-url` / `--credentials-file` and its environment (every target but Alma, whose settings are the CLI's own). */
  readonly connection?: TargetConnection | undefined;
  /** The `--help` example that loads its sample into its embedded sandbox (`FOLIO invoices`, `fixtures/folio-sample.csv`). */
  readonly example?: { readonly what: string; readonly file: string } | undefined;
  /** The profile of a run: with an action, its one request per invoice. */
  profile(action?: RunAction | undefined): TargetProfile;
  /** Flags and environment → where to go (pure). Undefined: a dry run with nowhere given. */
  settings(input: SettingsInput): S | undefined;
  /** The client, or the embedded sandbox in-process (`kind: 'sandbox'`). */
  open(settings: S, run: OpenRun): Promise<OpenedTarget>;
  /**
   * `--dry-run --online`: read-only look-ups of the valid invoices, as problems per invoice
   * (keyed by `keyString`) and the report's `preflight` object. It throws what a load's checks
   * would stop on (a refused key, a spent daily threshold, an unreachable target: `runStopOf`).
   * Absent: the target refuses `--online`.
   */
  preflight?(
    settings: S,
    invoices: readonly Invoice[],
    run: OpenRun & { rate: number; pollTimeoutMs: number },
  ): Promise<{ problems: Map<string, Problem[]>; report: PreflightReport }>;
  /**
   * `invoice-load sandbox --target <name>`: its embedded sandbox on a port, and a command line that
   * loads into it. `given.keyFile`: the `--api-key-file` the sandbox's keys were read from, as
   * given, for that command line to read the key from too (never the key itself).
   */
  serveSandbox?(opts: SandboxOptions, given?: { keyFile?: string | undefined }): Promise<{ url: string; hint: string; close(): Promise<void> }>;
  /**
   * The options `serveSandbox` honours; absent = all of them (Alma's, which has every one). The
   * command refuses one given that the target's sandbox would ignore (`--daily` for FOLIO).
   */
  sandboxTakes?: readonly (keyof SandboxOptions)[];
}

/** What a sibling sandbox (Exsited, Alguna, FOLIO: sandbox/sibling.ts `siblingOptions`) honours. */
export const SIBLING_SANDBOX_TAKES: readonly (keyof SandboxOptions)[] = ['port', 'host', 'statePath', 'seed', 'perSecond', 'latencyMs', 'faultRate', 'faultKinds', 'randomSeed'];
