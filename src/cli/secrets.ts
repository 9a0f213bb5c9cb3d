/**
 * The secrets of the current run's target that its messages must never show: the Alma key
 * (ALMA_API_KEY, the --api-key-file content, or that of the config file's `api_key_file`), FOLIO_PASSWORD for FOLIO, the Exsited
 * and Alguna secrets for theirs (and a --credentials-file's secret values). Only those that can be
 * told from data (common/mask.ts `maskable`: 8 characters or more, not only digits).
 *
 * Used for MESSAGES only — the command line's own errors and commander's, the API's free text the
 * summary, reports and journal show as words (an error's message, an alert's description) — never
 * for the values the loader looks up, compares or sends back, nor the invoice's own fields.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { expandHome, homeFolder } from './home.js';
import { CONFIG_FILE_NAME } from './config-file.js';
import { setShownSecrets } from '../common/shown-secrets.js';
import { TARGETS } from '../targets/registry.js';

/** The name of the target a command line is for: `--target`, else INVOICE_LOAD_TARGET, else Alma. */
export function targetOf(args: readonly string[], env: Record<string, string | undefined>): string {
  // The last one, as commander takes it (`$IL --target alma` with IL="invoice-load --target folio").
  return flagValues(args, '--target').at(-1) ?? env.INVOICE_LOAD_TARGET ?? TARGETS[0]!.name;
}

/** The environment variables holding the secrets of target `name` (Alma: ALMA_API_KEY). */
export function secretVariables(name: string): string[] {
  const t = TARGETS.find((d) => d.name === name);
  if (t === undefined) return [];
  if (t === TARGETS[0]) return ['ALMA_API_KEY'];
  return (t.connection?.env ?? []).filter((s) => s.secret === true).map((s) => s.env);
}

/** The values of option `flag` on the command line (before `--`), both spellings. */
export function flagValues(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === flag && i + 1 < args.length) out.push(args[++i]!);
    else if (a.startsWith(`${flag}=`)) out.push(a.slice(flag.length + 1));
  }
  return out;
}

/** A small regular file's text, for masking only; anything unreadable is the run's to report later. */
function peek(path: string): string | undefined {
  try {
    // Looked at before it is opened: opening a named pipe would wait for its writer, or take the
    // one-shot text the run itself must read (the key file is read again by the run, load.ts).
    const st = statSync(path);
    if (!st.isFile() || st.size > 64 * 1024) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const SECRET_NAME = /secret|password|api_?key/i;

/** The secret values of a credentials file (JSON or `NAME=value` lines, as targets/settings.ts reads it). */
export function credentialSecrets(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  if (t.startsWith('{')) {
    try {
      const obj = JSON.parse(t) as Record<string, unknown>;
      return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'string' && SECRET_NAME.test(k) ? [v, v.trim()] : []));
    } catch {
      return [];
    }
  }
  const out: string[] = [];
  for (const line of t.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m !== null && SECRET_NAME.test(m[1]!)) out.push(m[2]!.replace(/^(['"])(.*)\1$/, '$2'));
  }
  return out.length === 0 ? [t] : out; // a bare key (Alguna)
}

/**
 * The key file the config file names (`api_key_file`, relative to the config file's folder, as
 * config-file.ts reads it): `--config <path>`, else ./invoice-load.config.json. Read here only to
 * mask its content; a config file that is not there or not valid is the run's to report.
 */
export function configKeyFile(args: readonly string[], cwd: string, home: () => string | undefined = () => undefined): string | undefined {
  const path = resolve(cwd, givenPath(flagValues(args, '--config').at(-1) ?? CONFIG_FILE_NAME, home));
  try {
    // As config-file.ts reads it: a byte-order mark first is no error, `~/` is the home folder.
    const settings = JSON.parse((peek(path) ?? '').replace(/^\uFEFF/, '')) as unknown;
    const given = settings !== null && typeof settings === 'object' ? (settings as Record<string, unknown>)['api_key_file'] : undefined;
    const file = typeof given === 'string' ? given.trim() : '';
    if (file === '') return undefined;
    // home.ts expandHome, as config-file.ts `filePath` expands it (no home: the run says so later).
    const expanded = expandHome(file, 'api_key_file', home);
    return isAbsolute(expanded) ? expanded : resolve(dirname(path), expanded);
  } catch {
    return undefined;
  }
}

/** A path option's value as the run reads it, `~` expanded (home.ts, main.ts); as given when there is no home (the run says so). */
function givenPath(path: string, home: () => string | undefined): string {
  try {
    return expandHome(path, '', home);
  } catch {
    return path;
  }
}

/** From here on, the messages of this run mask the current target's secrets (common/shown-secrets.ts `maskMessage`). */
export function knowSecrets(env: Record<string, string | undefined>, args: readonly string[], cwd: string = process.cwd()): void {
  const named = targetOf(args, env);
  // A target name that is none (`--target <the key>`, a key pasted in the wrong place): the run
  // stops on it, and its message must not show the key whichever target it was meant for.
  const known = TARGETS.some((t) => t.name === named);
  const alma = !known || named === TARGETS[0]!.name;
  const other = !known || named !== TARGETS[0]!.name;
  const fromEnv = (known ? [named] : TARGETS.map((t) => t.name))
    .flatMap(secretVariables)
    .flatMap((v) => (env[v] === undefined ? [] : [env[v], env[v]!.trim()]));
  // The config file's api_key_file too: a key the run may read later, masked from the start.
  const home = (): string | undefined => homeFolder(env);
  const flagFiles = (flag: string): string[] => flagValues(args, flag).map((p) => resolve(cwd, givenPath(p, home)));
  const keyFiles = alma ? [...flagFiles('--api-key-file'), configKeyFile(args, cwd, home)].flatMap((p) => (p === undefined ? [] : [peek(p)?.trim()])) : [];
  const credentials = other ? flagFiles('--credentials-file').flatMap((p) => credentialSecrets(peek(p) ?? '')) : [];
  setShownSecrets([...fromEnv, ...keyFiles, ...credentials]);
}

/**
 * `--api-key` in any spelling (`--api-key <key>`, `--api-key=<key>`, `--apikey`), before `--`:
 * the key is never a flag value (a command line is seen by `ps` and kept in shell history). Said
 * as such, without the value, instead of commander's "unknown option '--api-key=…'" that echoed it.
 */
export function apiKeyFlag(args: readonly string[]): string | undefined {
  for (const a of args) {
    if (a === '--') return undefined;
    const m = /^(--api[-_]?key)(?:=|$)/i.exec(a);
    if (m !== null) return m[1];
  }
  return undefined;
}
