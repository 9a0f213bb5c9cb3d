// Loaded into a CLI child with NODE_OPTIONS=--import: writes the process's peak resident set
// size (kB, from the kernel via process.resourceUsage) to $RSS_PROBE_OUT as it exits.
import { writeFileSync } from 'node:fs';

const out = process.env.RSS_PROBE_OUT;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
