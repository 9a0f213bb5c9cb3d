// Loaded into a CLI child with NODE_OPTIONS=--import: appends a line to $REQUEST_LOG for every
// request the child's HTTP client creates (undici's diagnostics channel, so retries count), and
// a `stop` line when the child writes its "nothing more will be sent" stop to stderr: the order of
// the two, in one process, says whether anything went out after the stop.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const out = process.env.REQUEST_LOG;
if (out) {
  subscribe('undici:request:create', ({ request }) => appendFileSync(out, `request ${request.method} ${request.path}\n`));
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    if (String(chunk).includes('nothing more will be sent')) appendFileSync(out, 'stop\n');
    return write(chunk, ...rest);
  };
}
