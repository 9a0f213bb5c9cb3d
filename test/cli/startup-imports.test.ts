/**
 * What Node loads before a run starts: every module main.js imports statically is compiled
 * before the first line runs, and at 50 requests a second each 20 ms of start-up is a request
 * not sent. zod (profile and config-file validation), undici (the HTTP client) and ora (the
 * spinner) are loaded only by the runs that use them. Walks the built dist/ (`npm run build` first).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ROOT } from '../helpers/cli.js';

/** Static `import … from` / `export … from` / `import '…'` specifiers of a built module (type imports are erased by tsc). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

/** Every package reached from `entry` through static imports: relative modules are followed, packages named. */
function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return packages;
}

describe('start-up: what main.js loads before any run', () => {
  const main = resolve(ROOT, 'dist/cli/main.js');

  it('follows static imports (the walk finds the packages every run needs)', () => {
    expect(existsSync(main), 'npm run build first').toBe(true);
    const reached = packagesReached(main);
    expect(reached).toContain('commander');
    expect(reached).toContain('decimal.js');
  });

  it('neither zod nor undici: a run loads them only when it validates a profile or config file, or sends', () => {
    const reached = packagesReached(main);
    expect([...reached].filter((p) => p === 'zod' || p === 'undici')).toEqual([]);
  });

  it('nor the spinner (ora and its ~20 modules) on the way to the first request: a load imports it only when stderr is a terminal', () => {
    // send.js is what a load imports once the batch is read.
    const reached = packagesReached(resolve(ROOT, 'dist/cli/send.js'));
    expect([...reached].filter((p) => p === 'ora' || p === 'zod')).toEqual([]);
  });
});
