// npm's `prepare`: builds dist/ with TypeScript when it is installed (`npm ci`, `npm install` in
// this folder). `npm install -g .` on a fresh clone installs only the runtime dependencies, so
// TypeScript (a devDependency) is absent there: then an already built dist/ is used as it is,
// and without one the message says what to run instead of `sh: tsc: not found`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc !== undefined) {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (existsSync(join(root, 'dist', 'cli', 'bin.js'))) {
  console.error('invoice-load: TypeScript is not installed here; using the dist/ already built');
  process.exit(0);
}
console.error(
  'invoice-load: dist/ is not built and TypeScript (a devDependency) is not installed here.\n' +
    'Run `npm ci` in this folder first (it installs TypeScript and builds dist/), then `npm install -g .` again.',
);
process.exit(1);
