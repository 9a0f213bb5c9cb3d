/**
 * `--target`, `--action` and where the target is → the target part of the Config. Each target
 * resolves its own settings (`settings` of its definition, src/targets/<name>/index.ts); this file
 * picks the target by name from the registry and checks the action against what it offers.
 */
import { targetNamed, TARGET_NAMES, TARGETS } from '../targets/registry.js';
import type { RunAction, SettingsInput, TargetSettings } from '../targets/definition.js';
import { UsageError } from '../shared/errors.js';

export type { TargetFlags } from '../targets/definition.js';

export interface TargetChoice {
  name: string;
  /** Where the run goes; absent for a dry run with no target settings. */
  target?: TargetSettings | undefined;
  action?: RunAction | undefined;
}

/** `--action` kinds, of every target that has any. */
export const ACTIONS: readonly string[] = [...new Set(TARGETS.flatMap((t) => t.actions ?? []))];

/** Today's date where the command runs, `YYYY-MM-DD` (the default effective date of an action). */
export const localToday = (now = new Date()): string =>
  `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;

export function resolveTargetChoice(input: SettingsInput, today: () => string = () => localToday()): TargetChoice {
  const name = input.flags.target ?? input.env.INVOICE_LOAD_TARGET ?? TARGET_NAMES[0]!;
  if (!TARGET_NAMES.includes(name)) throw new UsageError(`--target must be one of ${TARGET_NAMES.join(', ')}, not "${name}"`);
  const action = resolveAction(input.flags, name, today);
  return { name, action, target: targetNamed(name).settings(input) };
}

function resolveAction(flags: SettingsInput['flags'], name: string, today: () => string): RunAction | undefined {
  if (flags.action === undefined) {
    if (flags.effectiveDate !== undefined) throw new UsageError('--effective-date goes with --action cancel|reactivate');
    return undefined;
  }
  if (!ACTIONS.includes(flags.action)) throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}, not "${flags.action}"`);
  // Cancel and reactivate are Exsited's purchase-invoice actions
  // (https://developer.exsited.com/purchase-invoice-post-api-documentation); the others have none.
  if (!(targetNamed(name).actions ?? []).includes(flags.action)) {
    const owner = TARGETS.find((t) => t.actions?.includes(flags.action!) === true)!;
    throw new UsageError(`--action ${flags.action} is an ${owner.label} batch action: use it with --target ${owner.name}`);
  }
  const date = flags.effectiveDate ?? today();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw new UsageError(`--effective-date must be a real date YYYY-MM-DD, not "${date}"`);
  }
  return { kind: flags.action, effectiveDate: date };
}
