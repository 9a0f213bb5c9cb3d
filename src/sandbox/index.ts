/** The embedded Alma-compatible sandbox (see `server.ts`). */
export { startSandbox } from './server.js';
export { DEFAULT_SEED_PATH, loadSeed, type SandboxSeed } from './seed.js';
export { DEFAULT_CONFIG } from './config.js';
export {
  FAULT_KINDS,
  FAULT_STEPS,
  type FaultConfig,
  type FaultKind,
  type FaultRule,
  type FaultStep,
  type SandboxConfig,
  type SandboxHandle,
  type SandboxLogger,
  type SandboxOptions,
  type SandboxStateDump,
  type StateInvoice,
  type StateLine,
} from './types.js';
/** The Exsited and Alguna emulations (issue #6), siblings of the Alma sandbox. */
export { startExsitedSandbox, type ExsitedSandbox, type ExsitedSandboxOptions, type ExsitedSandboxState } from './exsited.js';
export { startAlgunaSandbox, type AlgunaSandbox, type AlgunaSandboxOptions, type AlgunaSandboxState } from './alguna.js';
