/**
 * The proxy variables as people set them (README "A proxy"): without a scheme, as curl takes them;
 * anything but an http(s) proxy refused with a usage error; the password never shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invoice-load-proxy-env-'));
  dirs.push(dir);
  return join(dir, 'state');
}

describe('proxy variables without a scheme', () => {
  it('https_proxy=host:port with --sandbox loads (the sandbox is loopback, never proxied) instead of hanging', async () => {
    const res = await runCli(['--sandbox', '--quiet', 'fixtures/sample-batch.csv'], { env: { https_proxy: 'proxy.example.edu:3128', INVOICE_LOAD_STATE_DIR: stateDir() } });
    expect(res.signal).toBeNull();
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.code).toBe(0);
  });

  it('https_proxy=host:port to Alma is not an internal error: the proxy is taken as http://', async () => {
    const res = await runCli(['--dry-run', '--online', '--alma-url', 'https://alma.test', '--timeout', '1', '--max-retries', '0', 'fixtures/sample-batch.csv'], {
      env: { https_proxy: '127.0.0.1:1', ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir() },
    });
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.stderr).toContain('the proxy http://127.0.0.1:1 (from https_proxy');
  });

  it('a socks proxy is a usage error naming the variable, its password masked, exit 2 — for a run that would send through it only', async () => {
    const env = { ALL_PROXY: undefined, HTTPS_PROXY: 'socks5://bob:Pr0xyPassw0rdXYZ@proxy:1080', INVOICE_LOAD_STATE_DIR: stateDir() };
    const res = await runCli(['--alma-url', 'https://alma.invalid', 'fixtures/sample-batch.csv'], { env: { ...env, ALMA_API_KEY: 'e2e-test-key' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('HTTPS_PROXY="socks5://bob:***@proxy:1080" is a socks5 proxy');
    expect(res.stderr + res.stdout).not.toContain('Pr0xyPassw0rdXYZ');
    // The embedded sandbox on loopback, an offline dry run and `config` never use it: they run.
    const sandbox = await runCli(['--sandbox', 'fixtures/sample-batch.csv'], { env });
    expect(sandbox.code).toBe(0);
    const dry = await runCli(['--dry-run', 'fixtures/sample-batch.csv'], { env });
    expect(dry.code).toBe(0);
    const config = await runCli(['config', '--sandbox'], { env });
    expect(config.code).toBe(0);
    expect(config.stdout).toMatch(/^proxy +https: refused — HTTPS_PROXY="socks5:\/\/bob:\*\*\*@proxy:1080" is a socks5 proxy/m);
    expect(config.stdout + config.stderr).not.toContain('Pr0xyPassw0rdXYZ');
  });

  it('a socks all_proxy (set for other tools) is left unread: the dry run and a load run as without it', async () => {
    const env = { all_proxy: 'socks5h://127.0.0.1:1080', INVOICE_LOAD_STATE_DIR: stateDir() };
    expect((await runCli(['--dry-run', 'fixtures/sample-batch.csv'], { env })).code).toBe(0);
    expect((await runCli(['--sandbox', 'fixtures/sample-batch.csv'], { env })).code).toBe(0);
  });

  it('invoice-load config shows the password of user:password@host:port as ***', async () => {
    const res = await runCli(['config', '--sandbox'], { env: { https_proxy: 'bob:Pr0xyPassw0rdXYZ@127.0.0.1:1', INVOICE_LOAD_STATE_DIR: stateDir() } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^proxy +https: http:\/\/bob:\*\*\*@127\.0\.0\.1:1\//m);
    expect(res.stdout + res.stderr).not.toContain('Pr0xyPassw0rdXYZ');
  });
});

describe('which variable serves an https API, and the words that name it', () => {
  it('http_proxy alone: an https Alma is reached directly, as curl does; HTTPS_PROXY: named as set', async () => {
    const port = await closedPort();
    const args = ['--alma-url', 'https://alma.invalid', '--max-retries', '0', '--timeout', '1', 'fixtures/sample-batch.csv'];
    const direct = await runCli(args, { env: { http_proxy: `http://127.0.0.1:${port}`, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir() } });
    expect(direct.code).toBe(4);
    expect(direct.stderr).toMatch(/cannot reach Alma: (ENOTFOUND|EAI_AGAIN)/);
    expect(direct.stderr).not.toContain('the proxy');
    const proxied = await runCli(args, { env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir() } });
    expect(proxied.code).toBe(4);
    expect(proxied.stderr).toContain(`the proxy http://127.0.0.1:${port} (from HTTPS_PROXY) refused the connection`);
    expect(proxied.stderr).toContain(`is running and that HTTPS_PROXY names it right`);
  });

  it('ALL_PROXY serves an https Alma when https_proxy is not set, as for curl, and is named', async () => {
    const port = await closedPort();
    const res = await runCli(['--alma-url', 'https://alma.invalid', '--max-retries', '0', '--timeout', '1', 'fixtures/sample-batch.csv'], {
      env: { ALL_PROXY: `127.0.0.1:${port}`, ALMA_API_KEY: 'e2e-test-key', INVOICE_LOAD_STATE_DIR: stateDir() },
    });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain(`the proxy http://127.0.0.1:${port} (from ALL_PROXY) refused the connection`);
  });
});
