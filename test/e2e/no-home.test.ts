/**
 * No home folder (review: cron user, item 2): HOME unset and a uid with no passwd entry (a
 * container's arbitrary uid). A dry run keeps no state and goes on; a load stops with exit 2 and
 * a plain line, never "internal error". Needs root to take on such a uid (setpriv).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';

const SAMPLE = join(ROOT, 'fixtures/sample-batch.csv');
const asNobody = (args: string[]) =>
  spawnSync('setpriv', ['--reuid', '54321', '--regid', '54321', '--clear-groups', process.execPath, BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' }, cwd: '/', encoding: 'utf8' });

// That uid must be able to read the checkout: a clone in a folder only root may enter (mktemp -d,
// 0700) cannot be run by it, which says nothing about the home folder.
const readable = (): boolean =>
  spawnSync('setpriv', ['--reuid', '54321', '--regid', '54321', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)}); require('fs').accessSync(${JSON.stringify(SAMPLE)})`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: '/' }).status === 0;

describe.runIf(process.getuid?.() === 0 && readable())('no HOME and no passwd entry', () => {
  it('--dry-run: the checks run, exit 0', () => {
    const res = asNobody(['--dry-run', SAMPLE]);
    expect(res.stderr).not.toContain('internal error');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('Dry run: nothing was sent.');
  });

  it('a load: exit 2, "no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR", nothing else', () => {
    const res = asNobody(['--sandbox', SAMPLE]);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toContain('no home folder: set --state-dir or INVOICE_LOAD_STATE_DIR');
    expect(res.stderr).not.toContain('internal error');
  });

  it('~ in a path option (--report=~/r.json): exit 2 naming the option, no folder named ~ (src/cli/home.ts expandPathOptions)', () => {
    const res = asNobody(['--dry-run', '--report=~/r.json', SAMPLE]);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toContain('--report ~/r.json: no home folder for ~');
    expect(res.stderr).not.toContain('internal error');
  });
});
