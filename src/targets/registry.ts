/**
 * Every target the tool can load into. A target is its folder (`src/targets/<name>/`, with its
 * `index.ts` exporting a `TargetDefinition`) and its sandbox (`src/sandbox/<name>/`); adding one
 * is one line here. The first is the default (`--target` unset).
 */
import type { TargetDefinition } from './definition.js';
import { ALMA } from './alma/index.js';
import { EXSITED } from './exsited/index.js';
import { ALGUNA } from './alguna/index.js';
import { FOLIO } from './folio/index.js';

export const TARGETS: readonly TargetDefinition[] = [ALMA, EXSITED, ALGUNA, FOLIO];

/** `--target` values, the default first. */
export const TARGET_NAMES: readonly string[] = TARGETS.map((t) => t.name);

export const DEFAULT_TARGET = TARGETS[0]!.name;

/** The definition of `name` (checked by the caller against TARGET_NAMES). */
export function targetNamed(name: string | undefined): TargetDefinition {
  const found = TARGETS.find((t) => t.name === (name ?? DEFAULT_TARGET));
  if (found === undefined) throw new Error(`internal: no target named ${name}`);
  return found;
}

/** `a, b or c`, each name with its summary or `(default)`, for `--help`. */
export function describeTargets(withSummary: boolean): string {
  const names = TARGETS.map((t, i) => (i === 0 ? `${t.name} (default)` : withSummary && t.summary !== undefined ? `${t.name} (${t.summary})` : t.name));
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
}
