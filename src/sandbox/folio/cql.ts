/**
 * The subset of CQL the FOLIO sandbox answers: a conjunction (`and`) of clauses, each
 * `field==value`, `field<>value`, or a parenthesised disjunction of those (`(f=="a" or f=="b")`),
 * values quoted (`"…"`, backslash escapes) or bare. Enough for what the loader sends
 * (docs/folio.md "Look-ups"); anything else is refused with 400, as FOLIO refuses a query it
 * cannot parse — never silently answered with everything. `field==("a" or "b")` is not CQL (a
 * relation takes one search term: CQL 1.2's grammar) and is refused too.
 */

export interface CqlTerm {
  field: string;
  op: '==' | '<>';
  value: string;
}

/** A clause of the conjunction: one term, or any of several (a parenthesised `or`). */
export type CqlClause = CqlTerm | { any: CqlTerm[] };

export class CqlError extends Error {}

export function parseCql(text: string): CqlClause[] {
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
    if (text[pos] === '(') throw new CqlError(`CQL: a relation takes one search term, not a parenthesised list, at ${pos}`);
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
  const term = (): CqlTerm => {
    const field = word();
    ws();
    const op = text.startsWith('==', pos) ? '==' : text.startsWith('<>', pos) ? '<>' : undefined;
    if (op === undefined) throw new CqlError(`CQL: expected == or <> after ${field}`);
    pos += 2;
    return { field, op, value: value() };
  };
  const clause = (): CqlClause => {
    ws();
    if (text[pos] !== '(') return term();
    pos++;
    const any = [term()];
    for (;;) {
      ws();
      if (text[pos] === ')') {
        pos++;
        return { any };
      }
      if (word().toLowerCase() !== 'or') throw new CqlError('CQL: only "or" is supported inside parentheses');
      any.push(term());
    }
  };
  const clauses: CqlClause[] = [];
  for (;;) {
    clauses.push(clause());
    ws();
    if (pos >= text.length) return clauses;
    if (word().toLowerCase() !== 'and') throw new CqlError('CQL: only "and" joins clauses here');
  }
}

/** Whether a record matches every clause (`==` exact, as the loader's values are quoted and escaped). */
export function matches(record: Record<string, unknown>, clauses: readonly CqlClause[]): boolean {
  const one = (t: CqlTerm): boolean => {
    const v = record[t.field];
    const hit = v !== undefined && v !== null && String(v) === t.value;
    return t.op === '==' ? hit : !hit;
  };
  return clauses.every((c) => ('any' in c ? c.any.some(one) : one(c)));
}
