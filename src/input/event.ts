import type { Problem } from '../domain/problem.js';
import type { SourceRecord } from './record.js';

/** What the input layer streams out: records and problems, in file order. */
export type InputEvent = { kind: 'record'; record: SourceRecord } | { kind: 'problem'; problem: Problem };
