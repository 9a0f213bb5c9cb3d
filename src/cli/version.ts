import { readFileSync } from 'node:fs';

/** The tool's version, from package.json (shown by --version and written in every report). */
export const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
