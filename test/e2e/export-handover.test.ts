/**
 * `export` against a scripted Alma (a loopback server answering as each test says): what is
 * handed over to finance, and what is marked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCli } from '../helpers/cli.js';

let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

type Send = (status: number, body?: unknown) => void;

/** A server answering with `answer`; every request it saw, as `METHOD /path?query`. */
async function scripted(answer: (req: IncomingMessage, url: URL, send: Send) => void): Promise<{ env: Record<string, string>; seen: string[] }> {
  const seen: string[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    req.resume();
    const send: Send = (status, body) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    answer(req, url, send);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'invoice-load-export-handover-'));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { env: { ALMA_API_URL: url, ALMA_API_KEY: 'k', INVOICE_LOAD_STATE_DIR: join(dir, 'state') }, seen };
}

const generalError = { errorsExist: true, errorList: { error: [{ errorCode: '402119', errorMessage: 'General error.' }] } };

describe('export --mark-in-erp', () => {
  it.each([
    ['In Review', 'InReview', 'Alma does not mark an invoice that is not approved yet'],
    ['InApproval', 'InApproval', 'Alma does not mark an invoice that is not approved yet'],
    ['Ready to be Paid', 'Ready to be Paid', "those wait for payment (the UI's Waiting for Payment): they were marked already"],
    ['closed', 'CLOSED', 'those are closed: marked or paid already'],
  ])('with --status %s is a usage error (exit 2): nothing asked of Alma, no file', async (status, code, why) => {
    const api = await scripted((_req, _url, send) => send(400, generalError));
    const out = join(dir!, 'to-finance.csv');
    for (const extra of [[], ['--dry-run']]) {
      const res = await runCli(['export', '--mark-in-erp', '--status', status, ...extra, '--json', '-o', out], { env: api.env });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toBe(
        `invoice-load: --mark-in-erp marks invoices waiting to be sent ("Waiting to be Sent", the UI's Ready to be Paid), not ${code}: ${why}. Leave out --mark-in-erp to export them only\n`,
      );
      expect(res.stdout).toBe('');
    }
    expect(api.seen).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});
