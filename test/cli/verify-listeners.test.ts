/**
 * `invoice-load verify` listens for Ctrl-C, SIGTERM and SIGHUP from before it opens the target
 * (src/cli/verify.ts): a target that cannot be opened — its key file missing, say — ends the
 * command, and its listeners go with it, as they do when the run ends any other way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { terminalOf } from '../../src/cli/terminal.js';
import { runVerify } from '../../src/cli/verify.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'verify-listeners-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const counts = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

describe('verify\'s signal listeners', () => {
  it('are removed when the target cannot be opened (a key file that is not there)', async () => {
    const batch = join(dir, 'b.csv');
    writeFileSync(batch, 'vendor,invoice_number,invoice_date,total_amount,currency,line_number,price,fund_code,po_line\nGOBI,G-1,2025-04-02,10.00,USD,1,10.00,HIST,POL-1\n');
    const cfg = resolveConfig([batch], { almaUrl: 'http://127.0.0.1:9', apiKeyFile: join(dir, 'no-such-key') }, { HOME: dir, INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, dir);
    const term = terminalOf({}, true, { isTTY: false, columns: undefined }, { isTTY: false, columns: undefined });
    const before = counts();
    await expect(runVerify(cfg, term)).rejects.toThrow(/no-such-key/);
    expect(counts()).toEqual(before);
  });
});
