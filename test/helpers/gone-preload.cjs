// Deletes the input file whose path ends with $GONE_AT just before its second open: the first
// is the check of every input when the run begins (input/read.ts holdInputs), the second its
// turn to be read — a file deleted by another job in between. $GONE_OPEN, when given, is the
// open before which it is deleted instead (3: after its turn, before the rejects file reads it again).
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const open = fs.promises.open;
let opens = 0;
fs.promises.open = function (path, ...rest) {
  if (process.env.GONE_AT && String(path).endsWith(process.env.GONE_AT) && ++opens === Number(process.env.GONE_OPEN ?? 2)) fs.unlinkSync(path);
  return open.call(this, path, ...rest);
};
syncBuiltinESMExports();
