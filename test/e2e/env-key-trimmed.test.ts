/**
 * ALMA_API_KEY is trimmed as a key file's content is (README "Precedence"): a key pasted with its
 * line break loads; one with a line break inside is refused in words about the variable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from '../helpers/sandbox.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('ALMA_API_KEY with spaces or a line break around it', () => {
  it('loads with the key trimmed', async () => {
    w = await world();
    const res = await w.load(['fixtures/sample-batch.csv'], { key: '  e2e-test-key\n' });
    expect(res.stderr).not.toMatch(/cannot be sent/);
    expect(res.code, res.stderr).toBe(0);
  });

  it('a line break inside the key is refused in words about the variable, not a key file', async () => {
    w = await world();
    const res = await w.load(['fixtures/sample-batch.csv'], { key: 'e2e-test\nkey' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('invoice-load: ALMA_API_KEY cannot be sent to Alma: it holds a line break (character 9 of 12); ALMA_API_KEY must hold the key alone on one line');
  });
});
