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

const none = (): number => 0;

/**
 * The priority function of the work running now, to ask again later: a request that waits
 * keeps its place by what the priority is when it is served, not when it began to wait (the
 * engine's order changes once every invoice has started).
 */
export const currentRank = (): (() => number) => store.getStore() ?? none;
