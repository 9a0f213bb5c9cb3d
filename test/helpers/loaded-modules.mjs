/**
 * Preload (`node --import`) that writes the URL of every ES module and CommonJS entry the process
 * loads, one a line, to the file named by LOADED_MODULES_FILE: which modules a run needs.
 */
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
const file = ${JSON.stringify(process.env.LOADED_MODULES_FILE ?? '')};
export async function load(url, context, next) {
  if (file !== '') appendFileSync(file, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
