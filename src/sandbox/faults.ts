/**
 * Seeded fault decisions (pure: no I/O, no clock). What each kind does on the wire lives in
 * `server.ts`:
 *  - `error_before`: 500, change not applied;      - `drop_before`: socket destroyed, not applied;
 *  - `lost_after`: applied, then socket destroyed; - `error_after`: applied, then 500;
 *  - `timeout`: applied, connection held, then destroyed;
 *  - `throttle`: 429 PER_SECOND_THRESHOLD, not applied;
 *  - `business`: 400 with a code fitting the step, not applied, and on a write step it keeps
 *    failing for that invoice (a business error is permanent).
 * Same `randomSeed` + same request sequence → same faults.
 */
import { DEFAULT_RANDOM_SEED } from './config.js';
import {
  FAULT_KINDS,
  WRITE_STEPS,
  type FaultConfig,
  type FaultKind,
  type FaultRule,
  type FaultStep,
} from './types.js';

export type { FaultConfig, FaultKind, FaultRule, FaultStep } from './types.js';

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for reproducible fault draws. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a request is about, for `match` and for making business errors permanent. */
export interface FaultSubject {
  /** The invoice number the request is about, when known. */
  invoiceNumber?: string | undefined;
  /** Identity of the invoice for permanence: `vendor|number` on create, the invoice id after. */
  invoiceKey?: string | undefined;
}

/**
 * The 400 a `business` fault answers with: a code that fits the step (OAS codes,
 * docs/alma.md#errors-error-codes-and-alerts).
 */
export const BUSINESS_ERRORS: Record<FaultStep, { code: string; message: string }> = {
  create: { code: '60237', message: 'Invoice vendor account not valid.' },
  line: { code: '60254', message: 'Fund code not valid.' },
  process: { code: '60260', message: 'Failed to start invoice process and workflow.' },
  lookup: { code: '401873', message: 'Request failed: search could not be performed.' },
  poll: { code: '402459', message: 'Error while trying to retrieve invoice.' },
  read: { code: '402119', message: 'General error.' },
  attachment: { code: '60322', message: 'Attachment content could not be processed.' },
  erp: { code: '60267', message: 'Failed to process invoice in ERP.' },
};

/** `business` fits every write step; on reads it is only used when a targeted rule asks for it. */
const fitsRandomly = (kind: FaultKind, step: FaultStep): boolean => kind !== 'business' || WRITE_STEPS.has(step);

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultEngine {
  private config: FaultConfig = {};
  private rules: RuleState[] = [];
  private rng: () => number = mulberry32(DEFAULT_RANDOM_SEED);
  private readonly permanent = new Set<string>();
  injected: Record<FaultKind, number> = emptyCounts();

  constructor(config: FaultConfig = {}) {
    this.configure(config);
  }

  /** Replaces the configuration: rule progress, permanent business errors and the PRNG start over. */
  configure(config: FaultConfig): void {
    this.config = { ...config, faults: config.faults?.map((r) => ({ ...r })) };
    this.rules = (config.faults ?? []).map((rule) => ({ rule, seen: 0, fired: 0 }));
    this.rng = mulberry32(config.randomSeed ?? DEFAULT_RANDOM_SEED);
    this.permanent.clear();
  }

  current(): FaultConfig {
    return { ...this.config, faults: this.config.faults?.map((r) => ({ ...r })) };
  }

  /** Back to the configured start (used by the admin reset); counters too. */
  reset(): void {
    this.configure(this.config);
    this.injected = emptyCounts();
  }

  /** Decides the fault for one request of `step`, or undefined. Counts what it injects. */
  decide(step: FaultStep, subject: FaultSubject): FaultKind | undefined {
    const key = subject.invoiceKey !== undefined ? `${step}|${subject.invoiceKey}` : undefined;
    let kind: FaultKind | undefined;
    if (key !== undefined && this.permanent.has(key)) kind = 'business';
    if (kind === undefined) kind = this.fromRules(step, subject);
    if (kind === undefined) kind = this.fromRandom(step);
    if (kind === undefined) return undefined;
    if (kind === 'business' && key !== undefined && WRITE_STEPS.has(step)) this.permanent.add(key);
    this.injected[kind]++;
    return kind;
  }

  private fromRules(step: FaultStep, subject: FaultSubject): FaultKind | undefined {
    let chosen: FaultKind | undefined;
    for (const s of this.rules) {
      if (s.rule.step !== step) continue;
      if (s.rule.match !== undefined && s.rule.match !== subject.invoiceNumber) continue;
      s.seen++;
      if (chosen !== undefined) continue;
      if (s.seen > (s.rule.after ?? 0) && s.fired < (s.rule.times ?? 1)) {
        s.fired++;
        chosen = s.rule.kind;
      }
    }
    return chosen;
  }

  private fromRandom(step: FaultStep): FaultKind | undefined {
    const rate = this.config.faultRate ?? 0;
    if (rate <= 0) return undefined;
    if (this.config.faultSteps !== undefined && !this.config.faultSteps.includes(step)) return undefined;
    // Always one draw per eligible request, so the sequence depends only on the request sequence.
    if (this.rng() >= rate) return undefined;
    const kinds = (this.config.faultKinds ?? [...FAULT_KINDS]).filter((k) => fitsRandomly(k, step));
    if (kinds.length === 0) return undefined;
    return kinds[Math.floor(this.rng() * kinds.length)];
  }
}

function emptyCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}
