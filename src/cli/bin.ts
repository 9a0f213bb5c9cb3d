import { main } from './main.js';

// process.exitCode, not process.exit(): exit() can cut off output still being written to a pipe.
process.exitCode = await main(process.argv);
