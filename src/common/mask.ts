/**
 * Masking secrets (an API key, a password) in the messages the program shows or keeps. Pure.
 * Only messages: never data the loader reads, compares, sends back or reports as the invoice's.
 *
 * Only secrets that can be told from data are looked for (`maskable`: 8 characters or more, not
 * all digits), and each is replaced wherever it stands — glued to other text too (`apikey%3DKEY`,
 * `\nKEY`, `KEY0`): a server that echoes a key does not put spaces round it. A short key (a
 * sandbox's `ALMA_API_KEY=any`) is not looked for at all, so it never turns `workflow` or a
 * currency into `***`.
 */

/** What a secret is replaced with. */
export const MASK = '***';

/** The shortest secret masked in messages (`maskable`). */
export const MIN_MASKED = 8;

/**
 * Whether a secret can be told from data, and so masked in a message: 8 characters or more and
 * not only digits. A shorter one (a sandbox's `ALMA_API_KEY=any`, `FOLIO_PASSWORD=USD`) or one of
 * digits only is also a word, a currency, a row number or an amount: masking it would mangle what
 * the run says about the invoices, so it is not looked for (README.md: real Alma keys are long).
 */
export function maskable(secret: string | undefined): secret is string {
  return secret !== undefined && secret.length >= MIN_MASKED && !/^[0-9]+$/.test(secret);
}

/** The secrets worth looking for (`maskable`), each once, longest first (so a longer one is masked whole). */
export function maskList(secrets: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const s of secrets) if (maskable(s)) out.add(s);
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret (`maskList`'s, longest first) replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '' && out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/**
 * Whether a value the command line refuses (an option's argument, a target's name) looks like a
 * key pasted in the wrong place, and so is not echoed even when the run does not know it as a
 * secret (README.md, "Messages never show the key"): 16 characters or more, one word with no
 * path separator, letters and digits mixed — as Alma's keys (`l7xx…`), an OAuth client secret
 * or an Alguna key are. A mistyped name (`exsitted`), a number or a path is shown as typed.
 */
export function looksLikeSecret(value: string): boolean {
  return value.length >= 16 && /^[^\s/\\]+$/.test(value) && /[A-Za-z]/.test(value) && /[0-9]/.test(value) && !/\.[A-Za-z]{2,5}$/.test(value);
}

/** A refused value as a usage message quotes it: `"value"`, or `"***"` when it looks like a key (`looksLikeSecret`). */
export function quotedValue(value: string): string {
  return `"${looksLikeSecret(value) ? MASK : value}"`;
}

/**
 * Commander's usage line with every quoted word (`'…'`: an option's argument, an unknown option
 * or command) that looks like a key (`looksLikeSecret`) as `'***'` — "option '--target <name>'
 * argument 'l7xx…' is invalid" echoed a key typed as the target.
 */
export function maskQuotedSecrets(text: string): string {
  return text.replace(/'([^'\n]*)'/g, (whole, inner: string) => {
    // `--name=value`: only the value is looked at, so the option is still named.
    const eq = /^(--?[A-Za-z][A-Za-z0-9-]*=)(.*)$/.exec(inner);
    if (eq !== null) return looksLikeSecret(eq[2]!) ? `'${eq[1]!}${MASK}'` : whole;
    return looksLikeSecret(inner.replace(/^--?/, '')) ? `'${MASK}'` : whole;
  });
}

/**
 * A URL as a message shows it, written well or not: without its query and fragment (`?apikey=…`,
 * the way Alma also takes the key, docs/alma.md) and with its user and password as `***` — a URL
 * refused for not being one was echoed whole, key and all.
 */
export function shownUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut === -1 ? url : `${url.slice(0, cut)}${url[cut]}${MASK}`;
  return base.replace(/^([^/]*\/\/)?[^/@]*@/, (_, scheme: string | undefined) => `${scheme ?? ''}${MASK}@`);
}
