// Preloaded into the CLI (NODE_OPTIONS=--require) to kill it at a chosen point, as a power cut
// or an OOM kill would: SIGKILL right after the $KILL_N-th (default 1st) fs.writeSync whose data
// contains $KILL_PAT (a journal entry), or right after a rename onto a path ending in
// $KILL_RENAME (writeFileAtomic putting a file in place). Deterministic: no timers.
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const pat = process.env.KILL_PAT;
const n = Number(process.env.KILL_N || 1);
const ren = process.env.KILL_RENAME;
let seen = 0;
const writeSync = fs.writeSync;
fs.writeSync = function (fd, buf, ...rest) {
  const r = writeSync.call(this, fd, buf, ...rest);
  if (pat) {
    const s = typeof buf === 'string' ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
    if (s.includes(pat) && ++seen === n) process.kill(process.pid, 'SIGKILL');
  }
  return r;
};
const renameSync = fs.renameSync;
fs.renameSync = function (a, b) {
  const r = renameSync.call(this, a, b);
  if (ren && String(b).endsWith(ren)) process.kill(process.pid, 'SIGKILL');
  return r;
};
syncBuiltinESMExports();
