/**
 * A credentials file every user can read is said under --quiet too, for every target that reads
 * one, as Alma's key file is (README "The key itself is refused"): a warning is not progress.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('--quiet keeps the warning about a credentials file anyone can read', () => {
  it.each([
    ['folio', 'fixtures/folio-sample.csv', 'tenant=diku\nusername=a\npassword=b\n'],
    ['exsited', 'fixtures/exsited-sample.csv', 'client_id=a\nclient_secret=b\n'],
    ['alguna', 'fixtures/alguna-sample.csv', 'api_key=abc\n'],
  ])('%s', async (target, file, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'invoice-load-quiet-cred-'));
    dirs.push(dir);
    const cred = join(dir, 'cred');
    writeFileSync(cred, content);
    chmodSync(cred, 0o644);
    const port = await closedPort();
    const res = await runCli(['--quiet', '--target', target, '--api-url', `http://127.0.0.1:${port}`, '--credentials-file', cred, '--max-retries', '0', file], {
      env: { INVOICE_LOAD_STATE_DIR: join(dir, 'state') },
    });
    expect(res.stderr).toContain(`invoice-load: warning: the credentials file ${cred} can be read by every user of this machine (mode 644); make it yours alone: chmod 600 ${cred}\n`);
  });
});
