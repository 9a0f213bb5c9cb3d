/**
 * The API key never leaks: through every scenario a run can go through (happy path, faults and
 * retries, a rejected invoice, a kill and resume, an interrupt, a refused key), with --verbose,
 * --json and --report, given through ALMA_API_KEY and through --api-key-file, a recognisable key
 * appears in no stdout or stderr, no journal, lock or report file, and no sandbox state file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { spawnCli, type CliResult } from '../helpers/cli.js';
import { generateBatch } from './generate.js';
import { recordFigures, waitForRequests } from './harness.js';

const SECRET = 'SECRET-KEY-9f8e7d6c5b4a';
// A key half-masked or cut is still a leak: look for its distinctive parts too.
const NEEDLES = [SECRET, '9f8e7d6c5b4a', 'SECRET-KEY', encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64')];

let sandbox: SandboxHandle;
let refusing: SandboxHandle;
let dir: string;
let keyDir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-secrets-'));
  // The key file itself holds the key, so it lives outside the folder that is searched.
  keyDir = mkdtempSync(join(tmpdir(), 'invoice-load-key-'));
  writeFileSync(join(keyDir, 'alma.key'), SECRET + '\n', { mode: 0o600 });
  sandbox = await startSandbox({ port: 0, perSecond: 1000, processDelayMs: 40, apiKeys: [SECRET], statePath: join(dir, 'sandbox-state.json'), timeoutHoldMs: 1500 });
  refusing = await startSandbox({ port: 0, perSecond: 1000, apiKeys: ['the-right-key'], statePath: join(dir, 'refusing-state.json') });
});
afterAll(async () => {
  await sandbox?.close();
  await refusing?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(keyDir, { recursive: true, force: true });
});

/** Every file under `root`, names included, as text. */
function everyFile(root: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...everyFile(p));
    else out.push({ path: p, text: readFileSync(p).toString('latin1') });
  }
  return out;
}

describe('the API key appears nowhere', () => {
  for (const via of ['env', 'file'] as const) {
    it(`given through ${via === 'env' ? 'ALMA_API_KEY' : '--api-key-file'}`, async () => {
      const outputs: { what: string; res: CliResult }[] = [];
      const stateDir = join(dir, `state-${via}`);
      const reports = join(dir, `reports-${via}`);
      mkdirSync(reports, { recursive: true });
      const env = (url: string) => ({
        ALMA_API_URL: url,
        INVOICE_LOAD_STATE_DIR: stateDir,
        ALMA_API_KEY: via === 'env' ? SECRET : undefined,
      });
      const keyArgs = via === 'file' ? ['--api-key-file', join(keyDir, 'alma.key')] : [];
      let batchNo = 0;
      const newBatch = (invoices: number) => {
        const b = generateBatch({ seed: 500 + batchNo, invoices, prefix: `${via.toUpperCase()}${batchNo}` });
        const file = join(dir, `${via}-${batchNo++}.csv`);
        writeFileSync(file, b.csv);
        return { file, batch: b };
      };
      const args = (file: string, name: string, extra: string[] = []) => [
        file, ...keyArgs, '--rate', '200', '--timeout', '1', '--poll-timeout', '3', '--report', join(reports, `${name}.json`), ...extra,
      ];
      const run = async (what: string, a: string[], url = sandbox.url) => {
        const res = await spawnCli(a, { env: env(url), timeoutMs: 60_000 }).done;
        outputs.push({ what, res });
        return res;
      };

      // Happy path, verbose and JSON.
      const happy = newBatch(3);
      expect((await run('happy --verbose', args(happy.file, 'happy', ['--verbose']))).code).toBe(0);
      expect((await run('happy again --json', args(happy.file, 'happy-again', ['--json']))).code).toBe(0);

      // Faults on the wire: retries and reconciles are printed with their request paths under --verbose.
      sandbox.setFaults({ faultRate: 0.25, faultKinds: ['error_before', 'drop_before', 'lost_after', 'error_after', 'timeout', 'throttle'], randomSeed: 11 });
      const faulty = newBatch(4);
      let res = await run('faults --verbose', args(faulty.file, 'faults', ['--verbose']));
      for (let i = 0; i < 5 && res.code === 4; i++) res = await run('faults re-run --verbose', args(faulty.file, `faults-${i}`, ['--verbose']));
      expect(res.code, res.stderr).toBe(0);
      sandbox.setFaults({});
      expect(Object.values(sandbox.state().counters.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

      // An invoice Alma rejects, with its error message in the output.
      const rejected = newBatch(2);
      sandbox.setFaults({ faults: [{ step: 'create', kind: 'business', match: rejected.batch.keys[0]!.number, times: 100 }] });
      expect((await run('rejected --verbose --json', args(rejected.file, 'rejected', ['--verbose', '--json']))).code).toBe(4);
      sandbox.setFaults({});

      // Killed mid-run (the lock file stays behind), then resumed.
      const killed = newBatch(4);
      sandbox.configure({ latencyMs: 30 });
      const victim = spawnCli(args(killed.file, 'killed', ['--verbose']), { env: env(sandbox.url) });
      await waitForRequests(sandbox, sandbox.state().counters.requestsTotal, 4, () => false);
      victim.child.kill('SIGKILL');
      outputs.push({ what: 'killed', res: await victim.done });
      const locks = everyFile(stateDir).filter((f) => f.path.endsWith('.lock'));
      expect(locks.length, 'the killed run left its lock').toBe(1);
      expect(NEEDLES.filter((n) => locks[0]!.text.includes(n))).toEqual([]);
      expect((await run('resumed --verbose', args(killed.file, 'resumed', ['--verbose']))).code).toBe(0);

      // Interrupted with Ctrl-C, then finished.
      const interrupted = newBatch(4);
      sandbox.configure({ latencyMs: 200 });
      const child = spawnCli(args(interrupted.file, 'interrupted', ['--verbose', '--json']), { env: env(sandbox.url) });
      await waitForRequests(sandbox, sandbox.state().counters.requestsTotal, 3, () => false);
      child.child.kill('SIGINT');
      const int = await child.done;
      outputs.push({ what: 'interrupted', res: int });
      expect(int.code).toBe(130);
      sandbox.configure({ latencyMs: 0 });
      expect((await run('after interrupt', args(interrupted.file, 'after-interrupt'))).code).toBe(0);

      // The key refused (401, Alma's XML): the message names the refusal, never the key.
      const refused = await run('refused --verbose --json', args(newBatch(2).file, 'refused', ['--verbose', '--json']), refusing.url);
      expect(refused.code).toBe(5);

      for (const { what, res } of outputs) {
        for (const n of NEEDLES) {
          expect(res.stdout.includes(n), `${what}: stdout holds ${n}`).toBe(false);
          expect(res.stderr.includes(n), `${what}: stderr holds ${n}`).toBe(false);
        }
      }
      // Journals, locks, reports and the sandboxes' state files: every file under the test folder.
      const files = everyFile(dir);
      expect(files.some((f) => f.path.endsWith('.jsonl'))).toBe(true);
      expect(files.filter((f) => f.path.startsWith(reports)).length).toBeGreaterThanOrEqual(8);
      expect(files.some((f) => f.path.endsWith('sandbox-state.json'))).toBe(true);
      for (const f of files) {
        for (const n of NEEDLES) expect(f.text.includes(n) || f.path.includes(n), `${f.path} holds ${n}`).toBe(false);
      }
      recordFigures('secrets', { [`runs_${via}`]: outputs.length, [`files_searched_${via}`]: files.length });
    }, 90_000);
  }
});
