/**
 * What happens in the transport (requests, retries, pacing, the API's daily budget) that the
 * terminal may want to show. Targets pass these up unchanged; the engine wraps them.
 */
export type TargetEvent =
  | { type: 'request'; method: string; path: string; status: number; ms: number; attempt: number }
  | { type: 'retry'; method: string; path: string; attempt: number; delayMs: number; reason: string }
  | { type: 'throttle'; rate: number; reason: string }
  | { type: 'remaining'; remaining: number };

export interface TargetEventSink {
  (event: TargetEvent): void;
}
