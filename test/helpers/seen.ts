/**
 * Everything a run printed or wrote under its folder (its state dir, reports, rejects): where a
 * secret must not be (README "Messages never show the key"). `keep` leaves files out (the key file itself).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function printedAndWritten(dir: string, res: { stdout: string; stderr: string }, keep: (path: string) => boolean = () => true): string[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile() && keep(p))
    .map((p) => readFileSync(p, 'utf8'));
  return [res.stdout, res.stderr, ...files];
}
