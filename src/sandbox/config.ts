/**
 * Defaults and validation of the sandbox's runtime settings and fault configuration; shared by
 * `startSandbox` options and the admin API, so both accept exactly the same shapes.
 */
import { z } from 'zod';
import { FAULT_KINDS, FAULT_STEPS, type FaultConfig, type SandboxConfig } from './types.js';

export const DEFAULT_CONFIG: SandboxConfig = {
  // 25/s is Alma's per-second threshold in Ex Libris' 2016 governance slides
  // (docs/alma.md#requests-hosts-keys-and-thresholds).
  perSecond: 25,
  // "Default large": the smallest real plans are 1000 × named users per day (KB-SANDBOX,
  // docs/alma.md#requests-hosts-keys-and-thresholds).
  daily: 1_000_000,
  latencyMs: 0,
  processDelayMs: 150,
  allowDuplicates: false,
  indexLagMs: 0,
  retryAfter: false,
  timeoutHoldMs: 60_000,
  // Alma's setting decides whether a marked invoice waits for payment or is closed (BLOG-ERP in
  // docs/alma.md); waiting is the sandbox's default, so a payments file can follow an export.
  handleInvoicePayment: true,
  attachmentMaxBytes: 8 * 1024 * 1024,
  // The vendor's invoice listing holds every invoice of the vendor, unless a test asks otherwise (types.ts).
  vendorInvoicesActiveOnly: false,
  // Everything stored as sent, unless a test asks otherwise (tamper.ts).
  dropFields: [],
  alterFields: [],
};

export const DEFAULT_RANDOM_SEED = 42;

const count = z.number().int().min(0);

export const configPatchSchema = z.strictObject({
  perSecond: z.number().int().min(1).optional(),
  daily: count.optional(),
  latencyMs: z.number().min(0).optional(),
  processDelayMs: z.number().min(0).optional(),
  allowDuplicates: z.boolean().optional(),
  indexLagMs: z.number().min(0).optional(),
  retryAfter: z.boolean().optional(),
  timeoutHoldMs: z.number().min(0).optional(),
  handleInvoicePayment: z.boolean().optional(),
  attachmentMaxBytes: z.number().int().min(0).optional(),
  vendorInvoicesActiveOnly: z.boolean().optional(),
  dropFields: z.array(z.string().min(1)).optional(),
  alterFields: z.array(z.string().min(1)).optional(),
});

export const faultRuleSchema = z.strictObject({
  step: z.enum(FAULT_STEPS),
  kind: z.enum(FAULT_KINDS),
  times: count.optional(),
  match: z.string().optional(),
  after: count.optional(),
});

export const faultConfigSchema = z.strictObject({
  faultRate: z.number().min(0).max(1).optional(),
  faultKinds: z.array(z.enum(FAULT_KINDS)).optional(),
  faultSteps: z.array(z.enum(FAULT_STEPS)).optional(),
  faults: z.array(faultRuleSchema).optional(),
  randomSeed: z.number().int().optional(),
});

/** Validates a runtime patch; throws a readable Error naming the bad field. */
export function parseConfigPatch(patch: unknown): Partial<SandboxConfig> {
  const r = configPatchSchema.safeParse(patch);
  if (!r.success) throw new Error(`invalid sandbox config: ${z.prettifyError(r.error)}`);
  return stripUndefined(r.data);
}

export function parseFaultConfig(config: unknown): FaultConfig {
  const r = faultConfigSchema.safeParse(config);
  if (!r.success) throw new Error(`invalid fault config: ${z.prettifyError(r.error)}`);
  return r.data;
}

export function applyConfigPatch(config: SandboxConfig, patch: Partial<SandboxConfig>): SandboxConfig {
  return { ...config, ...stripUndefined(patch) };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
