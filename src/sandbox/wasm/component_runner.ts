import type { ExecuteResponse } from "../../models/mod.ts";
import type { ExecutionJob } from "../tier.ts";
import type { ComponentHostDetails } from "../overview.ts";

/**
 * Runs `wasm-component` jobs (WASI components through jco) for the wasm tier. The tier owns the
 * QuickJS side and hands component jobs here, so components stay optional: without a runner the
 * tier answers TIER_UNAVAILABLE for them instead of failing to start.
 */
export interface ComponentRunner {
  run(job: ExecutionJob): Promise<ExecuteResponse>;
  close(): Promise<void>;
  /** Each app's host process, for `GET /v1/sandboxes`. */
  hostDetails?(): ComponentHostDetails[];
}
