/**
 * What the engine tells the outside world while it runs. The terminal output, the cron-log
 * lines and the tests subscribe to these; the engine itself never prints.
 */
import type { InvoiceKey } from '../domain/model.js';
import type { TargetEvent } from '../targets/target.js';
import type { InvoiceResult } from './result.js';
import type { Step } from './journal.js';

export type EngineEvent =
  | { type: 'start'; invoices: number; alreadyDone: number; resumed: boolean }
  | { type: 'step'; key: InvoiceKey; step: Step; detail?: string }
  | { type: 'reconcile'; key: InvoiceKey; step: Step; reason: string }
  /** The settle window was measured on a new invoice (engine/settle.ts); `lagMs` undefined: never seen within the ceiling. */
  | { type: 'settle'; key: InvoiceKey; lagMs: number | undefined; windowMs: number; probes: number }
  | { type: 'invoice'; result: InvoiceResult; done: number; total: number }
  | { type: 'stopping'; reason: StopReason; message: string }
  /** The canary's read-back was compared with what was sent (engine/canary.ts). */
  | { type: 'canary'; key: InvoiceKey; id: string; passed: boolean; differences: number }
  | { type: 'target'; event: TargetEvent };

/**
 * Why a run stopped early: Ctrl-C, the daily threshold, a refused key, the canary's read-back
 * differed, `--max-errors` refusals in a row, or a target that cannot be reached at all.
 */
export type StopReason = 'interrupted' | 'daily_limit' | 'auth' | 'canary' | 'max_errors' | 'unreachable';

export type EngineEventSink = (event: EngineEvent) => void;
