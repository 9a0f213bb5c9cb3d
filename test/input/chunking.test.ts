/**
 * The same bytes, cut anywhere, must give the same records and problems: this catches
 * multi-byte characters, CRLF pairs, quotes and JSON tokens split across chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Encoding } from '../../src/input/read.js';
import { fixtureBytes, read, utf8 } from './helpers.js';

const FIXTURES: [string, Encoding][] = [
  ['bom.csv', 'utf-8'],
  ['crlf.csv', 'utf-8'],
  ['quoted.csv', 'utf-8'],
  ['semicolon.csv', 'utf-8'],
  ['windows-1252.csv', 'utf-8'],
  ['windows-1252.csv', 'windows-1252'],
  ['utf16le-bom.txt', 'utf-8'],
  ['flat.json', 'utf-8'],
  ['nested-alma.json', 'utf-8'],
  ['bad-line.jsonl', 'utf-8'],
  ['header-only.csv', 'utf-8'],
  ['bom-only.csv', 'utf-8'],
];

const INLINE: [string, string][] = [
  ['crlf-quoted.csv', 'a,b\r\n"x\r\n","€ 1,5"\r\n\r\n"😀",""""\r\n3,"oops'],
  ['cr.csv', 'a;b\r1;2\r\r3;"x\ry"\r'],
  ['errors.csv', 'a,b\n1,x"y\n2,3\n,,\n4,5,6\n'],
  ['tokens.json', '[ {"n": 15334101100001021, "s": "a\\"b\\\\", "t": true, "u": null, "v": -0.5e-3},\r\n\t{"w": "é😀"} , {"x": [1]}]'],
  ['broken.json', '[{"a":1},\n{"a":tru}]'],
  ['unclosed.json', '[{"a":"x\\"'],
  ['lines.jsonl', '{"a":"é"}\r\n\r\n{"a":\n{"a":"😀"}'],
];

async function snapshot(name: string, bytes: Uint8Array, encoding: Encoding, cuts: number[] = []): Promise<string> {
  const r = await read(name, bytes, { encoding, cuts });
  return JSON.stringify(r.events);
}

describe('chunking does not change the result', () => {
  for (const [name, encoding] of FIXTURES) {
    it(`${name} (${encoding}) cut at every position`, async () => {
      const bytes = await fixtureBytes(name);
      const whole = await snapshot(name, bytes, encoding);
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(await snapshot(name, bytes, encoding, [cut]), `cut at byte ${cut}`).toBe(whole);
      }
    });
  }

  for (const [name, text] of INLINE) {
    it(`${name} cut at every position, and in random pieces`, async () => {
      const bytes = utf8(text);
      const whole = await snapshot(name, bytes, 'utf-8');
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(await snapshot(name, bytes, 'utf-8', [cut]), `cut at byte ${cut}`).toBe(whole);
      }
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
          expect(await snapshot(name, bytes, 'utf-8', cuts.sort((a, b) => a - b))).toBe(whole);
        }),
        { numRuns: 60, seed: 20240601 },
      );
    });
  }

  it('the inline cases really exercise records and problems', async () => {
    // Guards the test above against comparing two empty results.
    const r = await read('crlf-quoted.csv', INLINE[0]![1]);
    expect(r.records.map((x) => [x.source.row, x.fields])).toEqual([
      [2, { a: 'x\n', b: '€ 1,5' }],
      [5, { a: '😀', b: '"' }],
    ]);
    // `3,"oops` ends the file inside a quoted value, with no line break after it: cut short.
    expect(r.problems.map((p) => `${p.code}@${p.row}`)).toEqual(['cut_short@6']);
    const cr = await read('cr.csv', INLINE[1]![1]);
    expect(cr.records.map((x) => [x.source.row, x.fields])).toEqual([
      [2, { a: '1', b: '2' }],
      [4, { a: '3', b: 'x\ry' }],
    ]);
  });
});
