/**
 * The home folder, and `~` at the start of a path given for the state dir or a file (README
 * "Options"). A shell expands `~` before the program sees it, crontab(5) does not, and neither
 * does a shell after `=` (`--report=~/r.json`): the program expands it itself, the same for
 * `--state-dir`, `INVOICE_LOAD_STATE_DIR`, the config file and every path option
 * (`expandPathOptions`), so a cron job and a hand run find the same journals, lock and files.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../common/errors.js';

/** The user's home in the password database (os.userInfo, getpwuid_r(3)); none for a uid it has no entry for. */
export function passwdHome(): string | undefined {
  try {
    const home = userInfo().homedir;
    return home === '' ? undefined : home;
  } catch {
    return undefined; // uv_os_get_passwd: ENOENT for a uid with no entry (a container's arbitrary uid)
  }
}

/**
 * HOME when it is set and not empty (an empty HOME names no folder: a default state dir under it
 * was relative to wherever the job started), else the password database's, else undefined.
 */
export function homeFolder(env: Record<string, string | undefined>, passwd: () => string | undefined = passwdHome): string | undefined {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : passwd();
}

/** What a path names, for the words of expandHome's error: the state dir a folder, an output that takes a folder either, the rest a file. */
export type PathNames = 'file' | 'folder' | 'file or folder';

/** By commander's attribute name (PATH_OPTIONS, `stateDir`) or the config file's setting: what each names, when not a file. */
const NAMES: Record<string, PathNames> = {
  stateDir: 'folder',
  state_dir: 'folder',
  report: 'file or folder',
  reportCsv: 'file or folder',
  reportHtml: 'file or folder',
  rejects: 'file or folder',
  report_csv: 'file or folder',
  report_html: 'file or folder',
  // export's -o takes a folder (config.ts outputPath); mapping init's names a file.
  output: 'file or folder',
};

/** What the option or setting `name` names (PathNames). */
export function pathNames(name: string): PathNames {
  return NAMES[name] ?? 'file';
}

/**
 * `~` alone or `~/…` at the start of `path` is the home folder; any other path as it is. `given`
 * names where the path came from, `names` what it names (a file, a folder), for the error: it
 * said "give the folder without ~" of a file (`--mapping ~/m.json`) too.
 */
export function expandHome(path: string, given: string, home: () => string | undefined, names: PathNames = 'file'): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  const h = home();
  if (h === undefined) throw new UsageError(`${given} ${path}: no home folder for ~ (HOME is not set and this user has none); give the ${names} without ~`);
  return join(h, path.slice(1));
}

/**
 * The options, by commander's attribute name, that name a file or folder on the command line:
 * the load's and every command's (`-o` of `export` and `mapping init`, `sandbox`'s seed, state and
 * key files). `--state-dir` is expanded where it is resolved with INVOICE_LOAD_STATE_DIR (config.ts).
 */
export const PATH_OPTIONS: readonly string[] = [
  'mapping',
  'report',
  'reportCsv',
  'reportHtml',
  'rejects',
  'apiKeyFile',
  'credentialsFile',
  'readOnlyKeyFile',
  'config',
  'output',
  'seed',
  'state',
];

/**
 * The path options of a command with a leading `~` expanded (expandHome): the one place a path
 * given on the command line is expanded. `flags` names each option's flag for the error
 * (`--report`); other options and values that are not strings are as given.
 */
export function expandPathOptions<T extends Record<string, unknown>>(opts: T, flags: Record<string, string>, home: () => string | undefined): T {
  const out: Record<string, unknown> = { ...opts };
  for (const name of PATH_OPTIONS) {
    const v = out[name];
    if (typeof v === 'string') out[name] = expandHome(v, flags[name] ?? name, home, pathNames(name));
  }
  return out as T;
}

/** Said when no state dir is given and there is no home folder to put the default one in. */
export const NO_HOME = 'no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR (HOME is not set and this user has none; the state dir defaults to ~/.local/state/invoice-load)';
