/**
 * The subset of CQL the FOLIO sandbox answers: a conjunction (`and`) of `field==value`,
 * `field==(v1 or v2 …)` and `field<>value` terms, values quoted (`"…"`, backslash escapes) or
 * bare. Enough for what the loader sends (docs/folio.md "Look-ups"); anything else is refused
 * with 400, as FOLIO refuses a query it cannot parse — never silently answered with everything.
 */

export interface CqlTerm {
  field: string;
  op: '==' | '<>';
  values: string[];
}

export class CqlError extends Error {}

export function parseCql(text: string): CqlTerm[] {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const word = (): string => {
    ws();
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(pos));
    if (m === null) throw new CqlError(`CQL: expected a name at ${pos}`);
    pos += m[0].length;
    return m[0];
  };
  const value = (): string => {
    ws();
    if (text[pos] === '"') {
      pos++;
      let out = '';
      while (pos < text.length && text[pos] !== '"') {
        if (text[pos] === '\\') pos++;
        out += text[pos] ?? '';
        pos++;
      }
      if (text[pos] !== '"') throw new CqlError('CQL: unterminated string');
      pos++;
      return out;
    }
    const m = /^[^\s()"]+/.exec(text.slice(pos));
    if (m === null) throw new CqlError(`CQL: expected a value at ${pos}`);
    pos += m[0].length;
    return m[0];
  };
  const terms: CqlTerm[] = [];
  for (;;) {
    const field = word();
    ws();
    const op = text.startsWith('==', pos) ? '==' : text.startsWith('<>', pos) ? '<>' : undefined;
    if (op === undefined) throw new CqlError(`CQL: expected == or <> after ${field}`);
    pos += 2;
    ws();
    const values: string[] = [];
    if (text[pos] === '(') {
      pos++;
      values.push(value());
      for (;;) {
        ws();
        if (text[pos] === ')') {
          pos++;
          break;
        }
        if (word().toLowerCase() !== 'or') throw new CqlError('CQL: only "or" is supported inside parentheses');
        values.push(value());
      }
    } else values.push(value());
    terms.push({ field, op, values });
    ws();
    if (pos >= text.length) return terms;
    if (word().toLowerCase() !== 'and') throw new CqlError('CQL: only "and" joins terms here');
  }
}

/** Whether a record matches every term (`==` exact, as the loader's values are quoted and escaped). */
export function matches(record: Record<string, unknown>, terms: readonly CqlTerm[]): boolean {
  return terms.every((t) => {
    const v = record[t.field];
    const text = v === undefined || v === null ? undefined : String(v);
    const hit = text !== undefined && t.values.includes(text);
    return t.op === '==' ? hit : !hit;
  });
}
