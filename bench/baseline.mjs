/**
 * The sequential baseline: how library scripts load invoices today. One request at a time, a
 * 100 ms pause after each (MIT's alma-sapinvoices sleeps 0.1 s per call), the same three steps
 * (create the invoice, add each line, op=process_invoice) with the same bodies the loader sends
 * (built by its payload functions), plain undici requests, no look-ups, no polling, no journal.
 *
 *   node bench/baseline.mjs <alma base url> <batch.csv>     → prints {"seconds", "requests", "failed"}
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { readBatch } from '../dist/cli/batch.js';
import { validInvoices } from '../dist/plan/plan.js';
import { invoicePayload, linePayload } from '../dist/targets/alma/payload.js';
import { stringifyJson } from '../dist/common/json.js';

const [base, file] = process.argv.slice(2);
if (!base || !file) {
  process.stderr.write('usage: node bench/baseline.mjs <alma base url> <batch.csv>\n');
  process.exit(2);
}
const plan = await readBatch([file], { encoding: 'utf-8', stdin: process.stdin });
const headers = { authorization: 'apikey bench', accept: 'application/json', 'content-type': 'application/json' };
let requests = 0;
let failed = 0;

async function post(path, body) {
  requests++;
  const res = await request(`${base}/almaws/v1${path}`, { method: 'POST', headers, body: stringifyJson(body) });
  const text = await res.body.text();
  await sleep(100);
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const t0 = performance.now();
for (const inv of validInvoices(plan)) {
  try {
    const created = await post('/acq/invoices', invoicePayload(inv));
    const id = String(created.id);
    for (const line of inv.lines) await post(`/acq/invoices/${id}/lines`, linePayload(line));
    await post(`/acq/invoices/${id}?op=process_invoice`, {});
  } catch (err) {
    failed++;
    process.stderr.write(`baseline: ${inv.key.number}: ${err.message}\n`);
  }
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ seconds, requests, failed }) + '\n');
