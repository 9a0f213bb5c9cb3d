/**
 * Keys, paths and pipes a user can hand the CLI: each is a one-line usage error (exit 2) before
 * anything is sent, naming what is wrong, never "internal error", never echoing a key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleSubset, world, type World } from '../helpers/sandbox.js';

let w: World;
let file: string;
beforeAll(async () => {
  w = await world();
  mkdirSync(w.dir, { recursive: true });
  file = sampleSubset(w.dir, ['GOBI']);
});
afterAll(async () => w?.close());

const requests = (): number => w.sandbox.state().counters.requestsTotal;

describe('a key that can never be sent is a configuration error (item 8)', () => {
  const SECRET = 'SECRET-9f8e7d6c';
  it.each([
    ['a line break', `${SECRET}\r\nX-Injected: 1`, /line break/],
    ['a character outside Latin-1', `${SECRET}€`, /outside Latin-1/],
    ['a control character', `${SECRET}\u0007`, /control character, U\+0007/],
  ])('ALMA_API_KEY with %s: exit 2, nothing sent, the key not echoed', async (_name, key, why) => {
    const before = requests();
    const r = await w.load([file], { key });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^invoice-load: ALMA_API_KEY cannot be sent to Alma: /m);
    expect(r.stderr).toMatch(why);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(requests()).toBe(before);
  });

  it('a key file with two lines: exit 2 naming the file, nothing sent', async () => {
    const keyFile = join(w.dir, 'two-lines.key');
    writeFileSync(keyFile, `${SECRET}\nsecond-line\n`);
    const before = requests();
    const r = await w.load([file, '--api-key-file', keyFile], { env: { ALMA_API_KEY: undefined } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the API key in ${keyFile} cannot be sent to Alma: it holds a line break`);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(requests()).toBe(before);
  });
});
