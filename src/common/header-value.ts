/**
 * Whether a secret can travel in an HTTP header at all. A field value is sent as Latin-1 bytes
 * and cannot hold CR, LF, NUL or other control characters (RFC 9110 §5.5); undici refuses such a
 * value on every request (`UND_ERR_INVALID_ARG`), so a key like that would fail every invoice
 * with nothing sent. Checked once, before anything starts. The message never shows the value.
 */
export function unsendableReason(value: string, holder = 'a key file'): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const at = `character ${i + 1} of ${value.length}`;
    if (c === 10 || c === 13) return `it holds a line break (${at}); ${holder} must hold the key alone on one line`;
    if (c < 32 || c === 127) return `it holds a control character, U+${c.toString(16).toUpperCase().padStart(4, '0')} (${at})`;
    if (c > 255) return `it holds a character outside Latin-1 (${at}), which an HTTP header cannot carry; keys are plain ASCII`;
  }
  return undefined;
}
