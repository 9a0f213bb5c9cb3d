/**
 * Optional persistence for the CLI's in-process sandbox (`invoice-load --sandbox`), so its
 * invoices survive between runs. Whole-state JSON, written atomically (temp file + rename)
 * after every change: cheap for demo-sized data, and a kill never leaves a torn file.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeFolder, writeFileAtomic } from '../common/fs.js';
import type { PersistedState } from './records.js';
import { UsageError } from '../common/errors.js';
import { pathReason } from '../common/path-reasons.js';

/**
 * A state file that cannot be read back is the user's to move away (`--state`, or the state
 * dir's `sandbox/state.json`): a configuration error, exit 2 (README "Exit codes"), not a bug.
 */
const STATE_FIX = 'move it away or delete it to start the sandbox afresh (it holds only sandbox data)';

/**
 * A state file's text, or undefined when there is none yet. One that cannot be read (a folder
 * given as `--state`, no permission) is a configuration error naming it, as a broken one is.
 */
export function readStateFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the sandbox state file ${path}: ${pathReason(e) ?? (e as Error).message}; ${STATE_FIX}`, { cause: e });
  }
}

/** The saved state, or undefined when the file does not exist. A foreign or broken file throws. */
export function loadState(path: string): PersistedState | undefined {
  const text = readStateFile(path);
  if (text === undefined) return undefined;
  const s = parseStateFile(path, text) as Partial<PersistedState> | null;
  if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.invoices) || typeof s.counter !== 'number') {
    throw notAState(path, 'a sandbox state (version 1)');
  }
  return s as PersistedState;
}

/** A state file's JSON; one that is not JSON is a configuration error naming it (every sandbox's). */
export function parseStateFile(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`the sandbox state file ${path} is not valid JSON (${(e as Error).message}): ${STATE_FIX}`, { cause: e });
  }
}

/** A state file of another sandbox, or of no sandbox: a configuration error naming it. */
export function notAState(path: string, what: string): UsageError {
  return new UsageError(`the sandbox state file ${path} is not ${what}: ${STATE_FIX}`);
}

export function saveState(path: string, state: PersistedState): void {
  saveJson(path, state);
}

/**
 * Every sandbox's state file, written whole and atomically (common/fs.ts) without fsync: a
 * demo's state is not worth a disk flush per request, and a kill still leaves a whole file.
 * It holds invoice data: made for its owner alone (0600, as its folder is 0700); a file already
 * there keeps the mode it has (the rename would otherwise give it the umask's).
 */
export function saveJson(path: string, value: unknown): void {
  // Its folder may be the first of the state dir made: for its owner alone, as the journals' is.
  makeFolder(dirname(path), 0o700);
  let mode = 0o600;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // Not there yet: made 0600.
  }
  writeFileAtomic(path, JSON.stringify(value), { fsync: false, mode });
}
