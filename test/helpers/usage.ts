/** The message of the UsageError `f` throws (exit 2's one line); any other outcome fails the test. */
import { UsageError } from '../../src/common/errors.js';

export function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}
