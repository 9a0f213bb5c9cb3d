/**
 * What happens in the transport (requests, retries, pacing, the API's daily budget) that the
 * terminal may want to show. Targets pass these up unchanged; the engine wraps them.
 */
export type TargetEvent =
  /** One attempt's end; `unsent`: it never reached the server (refused, no such host), so it is no request the API saw. */
  | { type: 'request'; method: string; path: string; status: number; ms: number; attempt: number; unsent?: true }
  /**
   * `trouble`: the attempt got no answer in time (`timeout`), did not reach the API
   * (`unreachable`), or got a gateway's 502–504 (`gateway`); absent for a throttle or another
   * answer. `of`: how many attempts the request has in all (absent past them, while an API that
   * answered before is waited for).
   */
  | { type: 'retry'; method: string; path: string; attempt: number; delayMs: number; reason: string; trouble?: 'timeout' | 'unreachable' | 'gateway'; of?: number }
  | { type: 'throttle'; rate: number; reason: string }
  | { type: 'remaining'; remaining: number }
  /**
   * A target that answered before is out of reach, and requests wait for it to come back for up
   * to `patienceMs` (`down`, once per outage); or it answers again after `forMs` (`up`).
   */
  | { type: 'outage'; state: 'down'; code: string; patienceMs: number }
  | { type: 'outage'; state: 'up'; forMs: number };

export interface TargetEventSink {
  (event: TargetEvent): void;
}
