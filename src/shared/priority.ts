/**
 * Which waiting request goes first at the rate limiter, carried from the engine to the limiter
 * through the async context, so the target seam between them does not have to pass it along.
 *
 * The engine runs each invoice with a priority function; the limiter reads it when a request
 * queues. 0 (the default, and outside any invoice) keeps first-come order.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<() => number>();

/** Runs `fn` (and everything it starts) with this priority; higher goes first. */
export const runWithPriority = <T>(priority: () => number, fn: () => T): T => store.run(priority, fn);

/** The priority of the work running now. */
export const currentPriority = (): number => store.getStore()?.() ?? 0;
