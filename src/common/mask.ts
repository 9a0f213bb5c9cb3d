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
