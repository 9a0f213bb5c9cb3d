/**
 * The warning for a run cut short and never finished (engine/unfinished.ts): which run, which
 * file, which invoices, and what to do — on stderr at the start of a load, and in the report's
 * `issues` under the code `earlier_run_unfinished` (README "The report").
 */
import { basename } from 'node:path';
import { namedList } from '../domain/cells.js';
import { problem, type Problem } from '../domain/problem.js';
import { oneLine } from '../common/shown.js';
import type { RunFile } from '../engine/journal.js';
import type { UnfinishedRun } from '../engine/unfinished.js';

export const EARLIER_RUN_UNFINISHED = 'earlier_run_unfinished';

/** The most invoices one warning names; the rest are counted. */
const NAMED = 5;

const fileText = (f: RunFile): string => (f.name === '-' ? 'standard input' : f.path !== undefined && f.path !== f.name ? `${oneLine(f.name)} (${oneLine(f.path)})` : oneLine(f.name));

/**
 * The warning about one journal's run: `journal` its path, `label` the target's name for people,
 * `current` the absolute paths of this run's input files — one of them the earlier run's file
 * means that file was replaced since (this run is another batch), so its earlier content is what
 * finishes the invoices.
 */
export function unfinishedWarning(journal: string, run: UnfinishedRun, label: string, current: readonly string[]): Problem {
  const n = run.keys.length;
  const names = namedList(run.keys.map((k) => `${oneLine(k.vendor)} ${oneLine(k.number)}`), NAMED);
  const files = run.files ?? [];
  const from = files.length === 0 ? '' : `, ${files.length === 1 ? 'file' : 'files'} ${files.map(fileText).join(', ')}`;
  const replaced = files.filter((f) => f.path !== undefined && current.includes(f.path));
  let todo: string;
  if (files.length === 0) todo = `Its journal does not name its file: run the file of that batch again to finish ${n === 1 ? 'it' : 'them'}`;
  else if (replaced.length > 0) todo = `${replaced.length === 1 ? 'The file' : 'The files'} ${replaced.map((f) => oneLine(f.name)).join(', ')} ${replaced.length === 1 ? 'has' : 'have'} been replaced since (this run's content is another batch): run the file as it was then again to finish ${n === 1 ? 'it' : 'them'}`;
  else todo = `Run ${files.length === 1 ? 'that file' : 'those files, in one command,'} again to finish ${n === 1 ? 'it' : 'them'}`;
  const message =
    `an earlier run (started ${run.ran.replace(/\.\d+Z$/, 'Z')}${from}) left ${n.toLocaleString('en-US')} invoice${n === 1 ? '' : 's'} in ${label} created but not finished — ` +
    `lines or processing missing: ${names}. ${todo} (journal ${journal}).`;
  return problem({ file: files[0]?.name ?? basename(journal) }, EARLIER_RUN_UNFINISHED, message, { severity: 'warning' });
}
