/**
 * The current run's secrets, as its MESSAGES mask them (README.md, "Messages never show the key"):
 * set by the command line (cli/secrets.ts) for the current target only, and only those that can
 * be told from data (mask.ts `maskable`). `maskMessage` is applied where free text is shown or
 * kept as words — an error's message, an alert's description, a difference's display — never to
 * the values the loader looks up, compares or sends back, nor to the invoice's own fields.
 */
import { maskList, maskSecrets } from './mask.js';

let known: string[] = [];

/** The secrets to mask from now on (replacing those set before). */
export function setShownSecrets(secrets: Iterable<string | undefined>): void {
  known = maskList(secrets);
}

/** Adds secrets read later (an API key file's content). */
export function addShownSecrets(...secrets: (string | undefined)[]): void {
  known = maskList([...known, ...secrets]);
}

/** A message with the run's secrets masked (common/mask.ts). */
export function maskMessage(text: string): string {
  return known.length === 0 ? text : maskSecrets(text, known);
}

