import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
/** A moment as a person reads it in a report or a message: `2026-12-06 21:00 UTC` (to the minute). */
export function utcMinute(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The local zone's offset at `d`: `UTC`, `UTC+01:00`, `UTC-05:00`. */
export function zoneOf(d: Date): string {
  const off = -d.getTimezoneOffset();
  if (off === 0) return 'UTC';
  return `UTC${off > 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
}

/**
 * ISO 8601 local time with its offset, to the second: `2026-12-06T19:47:52+01:00`, or `…Z` in
 * UTC (https://www.rfc-editor.org/rfc/rfc3339#section-5.6). A log line's stamp: days apart, and zones.
 */
export function localIso(d: Date): string {
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}${zone}`;
}

/** A local minute for a person: `19:05 UTC+01:00` today (as of `now`), `2026-12-07 00:05 UTC+01:00` on another day. */
export function localMinute(d: Date, now: Date = new Date()): string {
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  const day = sameDay ? '' : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} `;
  return `${day}${pad2(d.getHours())}:${pad2(d.getMinutes())} ${zoneOf(d)}`;
}

/** A wait in words: whole minutes (rounded up) below two hours, hours and minutes below two days, then days and hours. */
export function waitWords(ms: number): string {
  const min = Math.max(1, Math.ceil(ms / 60_000));
  if (min < 120) return `${min} min`;
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (min < 48 * 60) return `${unit(Math.floor(min / 60), 'hour')}${min % 60 === 0 ? '' : ` ${min % 60} min`}`;
  let days = Math.floor(min / 1440);
  let hours = Math.ceil((min % 1440) / 60);
  if (hours === 24) [days, hours] = [days + 1, 0];
  return `${unit(days, 'day')}${hours === 0 ? '' : ` ${unit(hours, 'hour')}`}`;
}

/**
 * A wait as a person reads it in a message: whole seconds (rounded up) up to 90 s — `60 s` —
 * and above that as `waitWords` says the longer ones, `2 min`, `2 hours 30 min`: `7200 s` is
 * read by no one.
 */
export function waitText(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s <= 90 ? `${s} s` : waitWords(ms);
}

/**
 * A sleep a stop cuts short (`stop`, and `cut` when given): it ends at once once either is
 * aborted, never with an error. Ended by an abort, it still lets the event loop turn once
 * (setImmediate) before it resolves: a loop on it that misses the stop then waits on the loop's
 * I/O and timers instead of running on promises alone, so a second Ctrl-C or SIGTERM is still
 * handled (README: a second Ctrl-C stops the run at once).
 */
export async function stoppableSleep(ms: number, stop: AbortSignal, cut?: AbortSignal): Promise<void> {
  const signal = cut === undefined ? stop : AbortSignal.any([stop, cut]);
  await delay(ms, undefined, { signal }).catch(() => undefined);
  if (signal.aborted) await immediate();
}

/**
 * Milliseconds since this call, on the monotonic clock (performance.now): a run's duration, which
 * the wall clock would give wrong — negative, or an hour long — when the clock is set between the
 * run's start and its end (the report's `duration_s`).
 */
export function monotonicSince(now: () => number = () => performance.now()): () => number {
  const t0 = now();
  return () => now() - t0;
}
