/**
 * `writeJson` hands a document out in pieces (and lets the native serialiser write plain parts);
 * the text must be exactly `stringifyJson`'s, whatever the value and the indentation.
 */
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { JsonNumber, stringifyJson, writeJson } from '../../src/common/json.js';
import { readBatch } from '../../src/cli/batch.js';
import { buildReport } from '../../src/report/report.js';

const written = (value: unknown, indent: number): string => {
  const parts: string[] = [];
  writeJson(value, indent, (t) => parts.push(t));
  return parts.join('');
};

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.integer().map((n) => new Decimal(n).div(100)),
  fc.stringMatching(/^-?\d{1,20}(\.\d{1,4})?$/).map((t) => new JsonNumber(t)),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('node'), { maxKeys: 4 })),
})).node;

describe('writeJson', () => {
  it('writes exactly what stringifyJson writes', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2, 4), (v, indent) => {
        expect(written(v, indent)).toBe(stringifyJson(v, indent));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a report-shaped document exactly, in pieces', () => {
    const invoices = Array.from({ length: 3000 }, (_, i) => ({
      vendor: 'V\u2028"x"',
      number: `N-${i}`,
      status: i % 7 === 0 ? 'invalid' : 'planned',
      id: undefined,
      alerts: [],
      lines: [{ number: '1' }, { number: '2', id: i % 3 === 0 ? undefined : String(i) }],
      total: i % 5 === 0 ? new Decimal(i).div(3).toDecimalPlaces(2) : '12.50',
      issues: i % 11 === 0 ? [{ file: 'a.csv', row: i, code: 'x', message: 'a\nb', severity: 'error' }] : [],
      rows: [{ file: 'a.csv', row: i + 2 }],
    }));
    const doc = { target: 'alma', dry_run: true, summary: { invoices: 3000 }, issues: [], invoices };
    const parts: string[] = [];
    writeJson(doc, 2, (t) => parts.push(t));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(stringifyJson(doc, 2));
  });

  // Batches are sized by the text of the last one (to stay below V8's large-object size): a mix of
  // tiny and huge elements moves the size both ways and must not change a byte.
  it('writes elements of very different sizes exactly, plain or not', () => {
    const sizes = [1, 3, 200_000, 5, 40_000, 2, 2, 90_000, 7, 1, 1, 300, 120_000, 4];
    const invoices = Array.from({ length: 2000 }, (_, i) => ({
      number: `N-${i}`,
      note: 'x'.repeat(sizes[i % sizes.length]! * (i % 3 === 0 ? 1 : 0) + (i % 17)),
      rows: Array.from({ length: (i % 13) + 1 }, (_, r) => ({ file: 'a.csv', row: r })),
    }));
    const doc = { target: 'alma', invoices };
    for (const plain of [true, false]) {
      const parts: string[] = [];
      writeJson(doc, 2, (t) => parts.push(t), { plain });
      expect(parts.join('')).toBe(JSON.stringify(doc, null, 2));
    }
  });

  it('with plain: true writes the same text for values that are plain', () => {
    const plainLeaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const plainValue = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, plainLeaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(plainValue, fc.constantFrom(0, 2), (v, indent) => {
        const parts: string[] = [];
        writeJson(v, indent, (t) => parts.push(t), { plain: true });
        expect(parts.join('')).toBe(stringifyJson(v, indent));
      }),
      { numRuns: 300 },
    );
  });

  // The CLI writes reports with plain: true; the promise holds only while reports carry no
  // Decimal, JsonNumber or other value with toJSON. This catches one slipping in.
  it('a real report document is plain data (what plain: true relies on)', async () => {
    const plan = await readBatch(['fixtures/sample-batch.csv', 'fixtures/defects.csv'], { encoding: 'utf-8', stdin: process.stdin });
    const report = buildReport({ target: 'alma', dryRun: true, plan, requests: 0 });
    const odd: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'bigint' || v instanceof Decimal || v instanceof JsonNumber) odd.push(path);
      else if (typeof v === 'object' && v !== null) {
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function') odd.push(path);
        for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
      }
    };
    walk(report, '$');
    expect(odd).toEqual([]);
    expect(report.invoices.length).toBeGreaterThan(5);
    const parts: string[] = [];
    writeJson(report, 2, (t) => parts.push(t), { plain: true });
    expect(parts.join('')).toBe(stringifyJson(report, 2));
  });
});
