/**
 * Real Alma answers (docs/alma.md#sources, samples 01–08: public test fixtures of other Alma
 * clients and Ex Libris' own samples), read from the reference folder kept beside a checkout
 * of this repository when there is one. A clone without it skips the tests that need them
 * (`it.skipIf(!hasSample(name))`) instead of failing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../../shared/reference/alma/samples/', import.meta.url));

export const samplePath = (name: string): string => DIR + name;
export const hasSample = (name: string): boolean => existsSync(samplePath(name));
