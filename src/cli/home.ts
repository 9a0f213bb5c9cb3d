/**
 * The home folder, and `~` at the start of a folder given for the state dir (README "Options":
 * `--state-dir`). A shell expands `~` before the program sees it, crontab(5) does not: the
 * program expands it itself, the same for `--state-dir`, `INVOICE_LOAD_STATE_DIR` and the
 * config file, so a cron job and a hand run find the same journals and lock.
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

/** `~` alone or `~/…` at the start of `path` is the home folder; any other path as it is. `given` names where the path came from, for the error. */
export function expandHome(path: string, given: string, home: () => string | undefined): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  const h = home();
  if (h === undefined) throw new UsageError(`${given} ${path}: no home folder for ~ (HOME is not set and this user has none); give the folder without ~`);
  return join(h, path.slice(1));
}

/** Said when no state dir is given and there is no home folder to put the default one in. */
export const NO_HOME = 'no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR (HOME is not set and this user has none; the state dir defaults to ~/.local/state/invoice-load)';
