// Sends SIGINT to the CLI itself right after it renames a file whose path ends with $INT_AT
// (default '.claims': export and payments write their claims, then read again), twice 100 ms
// apart when $INT_TWICE is set — a person pressing Ctrl-C twice at a chosen point of the run.
// With $INT_NOW set, the one SIGINT is sent at once, inside the rename: it lands while the run
// is writing that file, whatever the machine's speed.
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const rename = fs.renameSync;
let done = false;
fs.renameSync = function (a, b) {
  const r = rename.call(this, a, b);
  if (!done && String(b).endsWith(process.env.INT_AT || '.claims')) {
    done = true;
    if (process.env.INT_NOW) {
      process.kill(process.pid, 'SIGINT');
      return r;
    }
    setTimeout(() => {
      process.kill(process.pid, 'SIGINT');
      if (process.env.INT_TWICE) setTimeout(() => process.kill(process.pid, 'SIGINT'), 100);
    }, 100);
  }
  return r;
};
syncBuiltinESMExports();
