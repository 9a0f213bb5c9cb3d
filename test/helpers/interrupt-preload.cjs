// Sends SIGINT to the CLI itself right after it renames a file whose path ends with $INT_AT
// (default '.claims': export and payments write their claims, then read again), twice 100 ms
// apart when $INT_TWICE is set — a person pressing Ctrl-C twice at a chosen point of the run.
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const rename = fs.renameSync;
let done = false;
fs.renameSync = function (a, b) {
  const r = rename.call(this, a, b);
  if (!done && String(b).endsWith(process.env.INT_AT || '.claims')) {
    done = true;
    setTimeout(() => {
      process.kill(process.pid, 'SIGINT');
      if (process.env.INT_TWICE) setTimeout(() => process.kill(process.pid, 'SIGINT'), 100);
    }, 100);
  }
  return r;
};
syncBuiltinESMExports();
