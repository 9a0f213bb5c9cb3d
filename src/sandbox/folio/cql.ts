/**
 * The subset of CQL the FOLIO sandbox answers: a conjunction (`and`) of clauses, each
 * `field==value`, `field<>value`, or a parenthesised disjunction of those (`(f=="a" or f=="b")`),
 * values quoted (`"…"`, backslash escapes) or bare. Enough for what the loader sends
 * (docs/folio.md "Look-ups"); anything else is refused with 400, as FOLIO refuses a query it
 * cannot parse — never silently answered with everything. `field==("a" or "b")` is not CQL (a
 * relation takes one search term: CQL 1.2's grammar) and is refused too. A query may end in
 * `sortBy index[/sort.ascending|/sort.descending] …` (CQL 1.2's sort specification, as RMB reads
 * it), and `cql.allRecords=1` matches every record.
 */

export interface CqlTerm {
  field: string;
  op: '==' | '<>';
  value: string;
}

/** A clause of the conjunction: one term, or any of several (a parenthesised `or`), or every record. */
export type CqlClause = CqlTerm | { any: CqlTerm[] } | { all: true };

/** One key of a `sortBy`: the index, and whether descending. */
export interface CqlSortKey {
  field: string;
  descending: boolean;
}

export interface CqlQuery {
  clauses: CqlClause[];
  sortBy: CqlSortKey[];
}

export class CqlError extends Error {}

export function parseCql(text: string): CqlQuery {
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
    const all = /^cql\.allRecords\s*=\s*1(?![^\s()])/.exec(text.slice(pos));
    if (all !== null) {
      pos += all[0].length;
      return { all: true };
    }
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
  const sortKeys = (): CqlSortKey[] => {
    const keys: CqlSortKey[] = [];
    for (;;) {
      ws();
      if (pos >= text.length) break;
      const field = word();
      let descending = false;
      while (text[pos] === '/') {
        pos++;
        const modifier = word().toLowerCase();
        if (modifier === 'sort.descending') descending = true;
        else if (modifier !== 'sort.ascending') throw new CqlError(`CQL: the sandbox does not know the sort modifier ${modifier}`);
      }
      keys.push({ field, descending });
    }
    if (keys.length === 0) throw new CqlError('CQL: sortBy names no index');
    return keys;
  };
  const clauses: CqlClause[] = [];
  for (;;) {
    clauses.push(clause());
    ws();
    if (pos >= text.length) return { clauses, sortBy: [] };
    const joiner = word().toLowerCase();
    if (joiner === 'sortby') return { clauses, sortBy: sortKeys() };
    if (joiner !== 'and') throw new CqlError('CQL: only "and" joins clauses here');
  }
}

/** The records in the order of the `sortBy` keys (as text; ties keep their order), or as they are without one. */
export function sortRecords<R extends Record<string, unknown>>(records: readonly R[], keys: readonly CqlSortKey[]): R[] {
  const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  return [...records].sort((a, b) => {
    for (const k of keys) {
      const x = text(a[k.field]);
      const y = text(b[k.field]);
      if (x !== y) return (x < y ? -1 : 1) * (k.descending ? -1 : 1);
    }
    return 0;
  });
}

/** Whether a record matches every clause (`==` exact, as the loader's values are quoted and escaped). */
export function matches(record: Record<string, unknown>, clauses: readonly CqlClause[]): boolean {
  const one = (t: CqlTerm): boolean => {
    const v = record[t.field];
    const hit = v !== undefined && v !== null && String(v) === t.value;
    return t.op === '==' ? hit : !hit;
  };
  return clauses.every((c) => ('all' in c ? true : 'any' in c ? c.any.some(one) : one(c)));
}
