/**
 * `--target`, `--action` and where the target is → the target part of the Config. Each target
 * resolves its own settings (`settings` of its definition, src/targets/<name>/index.ts); this file
 * picks the target by name from the registry and checks the action against what it offers, and
 * words what the command line says of the targets (their own options, `--api-url`,
 * `--credentials-file`, the sandbox examples) from their definitions.
 */
import { Option } from 'commander';
import { targetNamed, TARGET_NAMES, TARGETS } from '../targets/registry.js';
import type { RunAction, SettingsInput, TargetDefinition, TargetSettings } from '../targets/definition.js';
import { UsageError } from '../common/errors.js';
import { quotedValue } from '../common/mask.js';

export type { TargetFlags } from '../targets/definition.js';

export interface TargetChoice {
  name: string;
  /** Where the run goes; absent for a dry run with no target settings. */
  target?: TargetSettings | undefined;
  action?: RunAction | undefined;
}

/** `--action` kinds, of every target that has any. */
export const ACTIONS: readonly string[] = [...new Set(TARGETS.flatMap((t) => t.actions ?? []))];

/** `a, b or c` (`a, b, or c` with `comma`). */
function listed(items: readonly string[], comma = false): string {
  if (items.length <= 2) return items.join(' or ');
  return `${items.slice(0, -1).join(', ')}${comma ? ',' : ''} or ${items[items.length - 1]!}`;
}

/** Every target's own options (definition `options`), each once, with the targets that read it. */
export function targetOptions(): { option: Option; owners: TargetDefinition[] }[] {
  const out = new Map<string, { option: Option; owners: TargetDefinition[] }>();
  for (const t of TARGETS) {
    for (const o of t.options ?? []) {
      const seen = out.get(o.flags);
      if (seen !== undefined) seen.owners.push(t);
      else out.set(o.flags, { option: new Option(o.flags, `${t.label}: ${o.description}`), owners: [t] });
    }
  }
  return [...out.values()];
}

const connected = (): TargetDefinition[] => TARGETS.filter((t) => t.connection !== undefined);

/** The targets reached by `--api-url` and `--credentials-file`, named for a help heading: `Exsited, Alguna, FOLIO`. */
export const otherSystems = (): string => connected().map((t) => t.label).join(', ');

/** `--api-url`'s help: the targets reached by it and their variables. */
export const apiUrlHelp = (): string =>
  `${listed(connected().map((t) => t.label))} API base URL (or ${connected().map((t) => `${t.name.toUpperCase()}_API_URL`).join(' / ')})`;

/** `--credentials-file`'s help: what it holds for each target, and the variables read otherwise. */
export const credentialsFileHelp = (): string =>
  `${listed(connected().map((t) => t.connection!.credentials), true)}, from this file (otherwise ${connected().map((t) => t.connection!.credentialsEnv).join(', ')})`;

/** The `--help` examples that load each target's sample into its embedded sandbox. */
export function sandboxExamples(): string {
  const ts = TARGETS.filter((t) => t.example !== undefined);
  if (ts.length === 0) return '';
  return (
    `  Try ${listed(ts.map((t) => t.example!.what))}, each in its embedded sandbox:\n` +
    ts.map((t) => `    $ invoice-load --sandbox --target ${t.name} ${t.example!.file}\n`).join('')
  );
}

/** Today's date where the command runs, `YYYY-MM-DD` (the default effective date of an action). */
export const localToday = (now = new Date()): string =>
  `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;

export function resolveTargetChoice(input: SettingsInput, today: () => string = () => localToday()): TargetChoice {
  const name = input.flags.target ?? input.env.INVOICE_LOAD_TARGET ?? TARGET_NAMES[0]!;
  if (!TARGET_NAMES.includes(name)) throw new UsageError(`--target must be one of ${TARGET_NAMES.join(', ')}, not ${quotedValue(name)}`);
  const action = resolveAction(input.flags, name, today);
  return { name, action, target: targetNamed(name).settings(input) };
}

function resolveAction(flags: SettingsInput['flags'], name: string, today: () => string): RunAction | undefined {
  if (flags.action === undefined) {
    if (flags.effectiveDate !== undefined) throw new UsageError('--effective-date goes with --action cancel|reactivate');
    return undefined;
  }
  if (!ACTIONS.includes(flags.action)) throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}, not ${quotedValue(flags.action)}`);
  // Cancel and reactivate are Exsited's purchase-invoice actions
  // (https://developer.exsited.com/purchase-invoice-post-api-documentation); the others have none.
  if (!(targetNamed(name).actions ?? []).includes(flags.action)) {
    const owner = TARGETS.find((t) => t.actions?.includes(flags.action!) === true)!;
    throw new UsageError(`--action ${flags.action} is an ${owner.label} batch action: use it with --target ${owner.name}`);
  }
  const date = flags.effectiveDate ?? today();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw new UsageError(`--effective-date must be a real date YYYY-MM-DD, not ${quotedValue(date)}`);
  }
  return { kind: flags.action, effectiveDate: date };
}
