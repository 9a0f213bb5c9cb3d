/**
 * The bare-parse yardstick: the same file through csv-parse's stream API with default options
 * (arrays, no column mapping), records counted and dropped. Nothing else: no decoding checks,
 * no provenance, no grouping. Run as its own process, so its time includes Node's start-up
 * like the dry run's does.
 *
 *   node bench/parse-only.mjs file.csv
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/parse-only.mjs file.csv\n');
  process.exit(2);
}
let records = 0;
const parser = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 }).pipe(parse());
for await (const _record of parser) records++;
process.stdout.write(`${records}\n`);
