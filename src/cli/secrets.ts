/**
 * The one place the command line masks the secrets it knows — the Alma key from ALMA_API_KEY or
 * its file, the other targets' keys and passwords from the environment — in everything it writes:
 * standard output and standard error (commander's own messages included), and the files the user
 * named (reports, rejects: common/fs.ts `writeOutputFile`). A key typed where a path or an option
 * belongs (`--report $ALMA_API_KEY/`) is echoed by the message about it; this masks it there.
 * The answers of the API are masked before that, by the transport (transport/http.ts).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { setOutputFileFilter } from '../common/fs.js';
import { maskList, maskSecrets } from '../common/mask.js';
import { TARGETS } from '../targets/registry.js';

/** Every environment variable holding a secret: Alma's key and each target's (`secret: true`). */
export function secretVariables(): string[] {
  return ['ALMA_API_KEY', ...TARGETS.flatMap((t) => (t.connection?.env ?? []).filter((s) => s.secret === true).map((s) => s.env))];
}

/** The secrets in `env`, as read (a key file's trailing newline aside: the value sent is trimmed). */
export function secretsFromEnv(env: Record<string, string | undefined>): string[] {
  return secretVariables().flatMap((name) => {
    const v = env[name];
    return v === undefined ? [] : [v, v.trim()];
  });
}

/**
 * Each secret as it may be written: as is, and as a JSON string holds it (the `--json` report; a
 * password with a quote or a backslash is escaped there).
 */
function spellings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return json === secret ? [secret] : [secret, json];
}

let known: string[] = [];

/** Adds secrets to mask from now on (an API key file's content, once read). */
export function rememberSecrets(...secrets: (string | undefined)[]): void {
  known = maskList([...known, ...secrets.flatMap((s) => (s === undefined || s.trim() === '' ? [] : spellings(s)))]);
}

/** `text` with every secret known so far masked (common/mask.ts: where it stands as a token). */
export function maskShown(text: string): string {
  return known.length === 0 ? text : maskSecrets(text, known);
}

const MASKED = Symbol.for('invoice-load.masked-stream');

/** `stream.write` through `maskShown`: strings and UTF-8 bytes alike. Once per stream. */
function maskStream(stream: NodeJS.WriteStream): void {
  const s = stream as NodeJS.WriteStream & { [MASKED]?: true };
  if (s[MASKED] === true) return;
  s[MASKED] = true;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => write(maskChunk(chunk), ...rest)) as typeof stream.write;
}

function maskChunk(chunk: unknown): unknown {
  if (known.length === 0) return chunk;
  if (typeof chunk === 'string') return maskShown(chunk);
  if (chunk instanceof Uint8Array) {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    const masked = maskShown(text);
    return masked === text ? chunk : Buffer.from(masked, 'utf8');
  }
  return chunk;
}

/** The paths given to `--api-key-file` on the command line (before `--`). */
export function keyFilesIn(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--api-key-file' && i + 1 < args.length) out.push(args[++i]!);
    else if (a.startsWith('--api-key-file=')) out.push(a.slice('--api-key-file='.length));
  }
  return out;
}

/**
 * A key file's content, for masking only, before the run reads it for its own use (cli/load.ts
 * `readKeyFile`): a message about the command line (`--report <the key>/`) comes before that.
 * Only a small regular file; anything unreadable is the run's to report, later, in its words.
 */
function peekKeyFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 64 * 1024) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * From here on, this process writes none of the secrets in `env`, in the `--api-key-file` files
 * of `args`, or remembered later: not on its standard output or error, not in the files the user
 * named.
 */
export function maskSecretsInOutput(env: Record<string, string | undefined>, args: readonly string[] = []): void {
  known = [];
  rememberSecrets(...secretsFromEnv(env), ...keyFilesIn(args).flatMap((p) => {
    const text = peekKeyFile(p);
    return text === undefined ? [] : [text, text.trim()];
  }));
  maskStream(process.stdout);
  maskStream(process.stderr);
  setOutputFileFilter(maskShown);
}
