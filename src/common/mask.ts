/**
 * Masking secrets (an API key, a password) in the messages the program shows or keeps. Pure.
 * Only messages: never data the loader reads, compares, sends back or reports as the invoice's.
 *
 * A secret is masked where it stands as a token: not inside a longer run of letters and digits.
 * So `apikey=KEY`, `KEY.`, `key KEY`, `E01-KEY` and `KEY_2` are masked, and a short key
 * (`ALMA_API_KEY=k`, a sandbox's) never turns `workflow` into `wor***flow`. `-` and `_` count as
 * separators, not as part of a word: a gateway that writes `X-KEY` must not show the key, and a
 * short key standing between dashes is masked there too. At an end of the secret that is not a
 * letter or digit (a password ending in `!`) any neighbour will do.
 */

/** What a secret is replaced with. */
export const MASK = '***';

const KEY_CHAR = /[A-Za-z0-9]/;

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

/** `text` with every secret that stands as a token replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === '' || !out.includes(s)) continue;
    const startsKey = KEY_CHAR.test(s[0]!);
    const endsKey = KEY_CHAR.test(s[s.length - 1]!);
    let built = '';
    let from = 0;
    for (let at = out.indexOf(s); at !== -1; at = out.indexOf(s, at + 1)) {
      if (at < from) continue;
      const before = at > 0 ? out[at - 1]! : '';
      const after = out[at + s.length] ?? '';
      if (startsKey && before !== '' && KEY_CHAR.test(before)) continue;
      if (endsKey && after !== '' && KEY_CHAR.test(after)) continue;
      built += out.slice(from, at) + MASK;
      from = at + s.length;
    }
    out = from === 0 ? out : built + out.slice(from);
  }
  return out;
}
