/**
 * Kiln's one error type and its codes. A door of its own (besides `core/mod.ts`) so programs
 * bundled apart from Kiln — the template renderer's worker — take errors without the rest of core.
 */
export {
  ComponentError,
  ERROR_STATUS,
  KilnError,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
  toKilnError,
} from "./errors.ts";
export type { ErrorCode, KillReason } from "./errors.ts";
