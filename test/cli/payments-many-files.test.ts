/**
 * `payments` reads a folder of hundreds of files under a low open-file limit (`ulimit -n`, 1,024
 * under cron and systemd) as a load does: each file opened in its turn and closed once read
 * (README "Exit codes (for cron)"). The built reader (dist/, as the e2e tests spawn it) in a
 * child process, since the limit is the process's own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';

const FILES = 300;
// Enough for Node to start and load the reader, and far fewer than the files.
const LIMIT = 128;

const dir = mkdtempSync(join(tmpdir(), 'il-pay-many-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`readPayments: ${FILES} files under ulimit -n ${LIMIT}`, () => {
  it('reads every file, one open at a time', async () => {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const f = join(dir, `p${String(i).padStart(3, '0')}.csv`);
      writeFileSync(f, `vendor,invoice_number,payment_status,voucher_number,voucher_date,voucher_amount,voucher_currency\nGOBI,M-${i},paid,V-${i},2025-03-04,45.00,USD\n`);
      files.push(f);
    }
    const reader = pathToFileURL(join(ROOT, 'dist/cli/payments.js')).href;
    const script = `const { readPayments } = await import(${JSON.stringify(reader)});
      try {
        const r = await readPayments({ files: process.argv.slice(1), encoding: 'utf-8' });
        process.stdout.write(JSON.stringify({ entries: r.entries.length, issues: r.issues.map((p) => p.code) }));
      } catch (err) {
        process.stdout.write(JSON.stringify({ error: String(err.message) }));
      }`;
    const child = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "$@"`, 'sh', process.execPath, '--input-type=module', '-e', script, ...files], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ entries: FILES, issues: [] });
  });
});
