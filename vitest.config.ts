import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './test/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn the built CLI and a sandbox server; give them room on 2-core CI machines.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
    env: { NO_COLOR: '1' },
    reporters: ['default', new SummaryReporter()],
  },
});
