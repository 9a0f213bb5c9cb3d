/**
 * A target's open starts its embedded sandbox first and makes its client after: when the client
 * cannot be made (here a proxy URL undici refuses, as `https_proxy=proxy.example.edu:3128` was
 * before cli/config.ts proxyFromEnv took it as http://), the sandbox is closed and its state's
 * lock let go — before, the run hung with the sandbox listening and the state locked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetNamed } from '../../src/targets/registry.js';
import type { OpenRun } from '../../src/targets/definition.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(): OpenRun {
  return {
    transport: {
      signal: new AbortController().signal,
      onEvent: () => undefined,
      // Not something the CLI lets through any more: only a way to make the client's making throw.
      proxy: { httpProxy: 'proxy.example.edu:3128', httpsProxy: 'proxy.example.edu:3128', noProxy: '' },
    },
    info: () => undefined,
    warn: () => undefined,
    env: {},
    readKeyFile: () => 'k',
  };
}

describe('a target whose client cannot be made closes the sandbox it started', () => {
  it.each([
    ['alma', 'state.json'],
    ['exsited', 'exsited-state.json'],
    ['alguna', 'alguna-state.json'],
    ['folio', 'folio-state.json'],
  ])('%s: open', async (name, file) => {
    const dir = mkdtempSync(join(tmpdir(), 'open-closes-'));
    dirs.push(dir);
    const statePath = join(dir, 'sandbox', file);
    const def = targetNamed(name);
    const settings = { kind: 'sandbox', statePath, target: name } as never;
    await expect(def.open(settings, run())).rejects.toThrow(/protocol/i);
    expect(existsSync(`${statePath}.lock`)).toBe(false);
  });

  it.each([['alma', 'state.json'], ['folio', 'folio-state.json']])('%s: the online checks', async (name, file) => {
    const dir = mkdtempSync(join(tmpdir(), 'open-closes-'));
    dirs.push(dir);
    const statePath = join(dir, 'sandbox', file);
    const def = targetNamed(name);
    const settings = { kind: 'sandbox', statePath, target: name } as never;
    await expect(def.preflight!(settings, [], { ...run(), rate: 10, pollTimeoutMs: 1000 } as never)).rejects.toThrow(/protocol/i);
    expect(existsSync(`${statePath}.lock`)).toBe(false);
  });
});
