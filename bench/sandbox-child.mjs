/**
 * One benchmark sandbox in its own process (bench/cell.mjs forks it), so that its event loop —
 * which stamps every arrival for the per-second threshold and sleeps each answer's latency —
 * does not share a thread with the benchmark's bookkeeping or another cell, and the loader is
 * measured against a sandbox that keeps time as well as the machine allows.
 *
 * argv[2]: the sandbox options as JSON. Sends {url} once listening; answers 'counters' with
 * {counters}; 'close' closes it and exits.
 */
import { startSandbox } from '../dist/sandbox/index.js';

const sandbox = await startSandbox(JSON.parse(process.argv[2]));
process.send({ url: sandbox.url });
process.on('message', async (m) => {
  if (m === 'counters') process.send({ counters: sandbox.state().counters });
  if (m === 'close') {
    await sandbox.close();
    process.disconnect();
  }
});
