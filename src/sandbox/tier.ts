import type { ExecuteRequest, ExecuteResponse } from "../models/mod.ts";
import type {
  ComponentHostDetails,
  IsolateHostDetails,
  PoolDetails,
  TierDetails,
} from "./overview.ts";

/** The three places Kiln can run a component (contract §5), weakest isolation first. */
export type TierName = "isolate" | "wasm" | "container";

/** Isolation strength, for the router's "never lower isolation" rule. */
export const TIER_STRENGTH: Record<TierName, number> = { isolate: 1, wasm: 2, container: 3 };

/**
 * Code ready to run, produced by the code bundler: JavaScript bundled with the sandbox SDK
 * resolved (`esm` for isolates, `iife` defining `globalThis.__kilnModule` for QuickJS), or the
 * bytes of a WebAssembly component. `hash` identifies the content, so tiers can keep warm copies
 * by it.
 */
export type ExecutionCode =
  | { kind: "javascript"; format: "esm" | "iife"; source: string; entry: string; hash: string }
  | { kind: "wasm-component"; bytes: Uint8Array; entry: string; hash: string }
  | { kind: "python"; source: string; entry: string; hash: string };

/** What a tier enforces on one execution. */
export interface ExecutionLimits {
  /** Wall-clock deadline; past it the sandbox is terminated (EXECUTION_TIMEOUT). */
  timeoutMs: number;
  /**
   * Memory ceiling — heap, array buffers and WebAssembly memories alike; past it the sandbox is
   * killed (SANDBOX_KILLED, reason `memory`).
   */
  memoryMb: number;
  /** Largest serialized result or log volume accepted (SANDBOX_KILLED, reason `output`). */
  maxOutputBytes: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  timeoutMs: 10_000,
  memoryMb: 128,
  maxOutputBytes: 4 << 20,
};

/**
 * MCP calls one execution may have in flight, in every tier; past it a call is answered
 * OVERLOADED. Counted on Kiln's side of the guest's channel, never only where the guest runs.
 */
export const MAX_CALLS_IN_FLIGHT = 32;
export const TOO_MANY_CALLS = `more than ${MAX_CALLS_IN_FLIGHT} MCP calls are in flight`;

/**
 * What one guest log line costs an execution's output budget beyond its text: Kiln handles and
 * keeps a record for it, so empty lines are not free.
 */
export const LOG_LINE_BYTES = 256;

/** Log levels the sandbox SDK's `log` and captured console output use. */
export type GuestLogLevel = "debug" | "info" | "warn" | "error";

/**
 * The host side of one execution, already bound to its execution token: the only way guest code
 * reaches Kiln. In-process tiers forward the SDK's `mcp.call` and `log` here; the container tier
 * calls `/mcp` over its socket with the same token instead.
 */
export interface ExecutionHost {
  /** Runs an MCP tool as this execution; resolves to `structuredContent`, throws KilnError. */
  callTool(tool: string, params: unknown): Promise<unknown>;
  /** One guest log line (`source` tells SDK `log` from captured console output). */
  log(
    level: GuestLogLevel,
    message: string,
    fields?: Record<string, unknown>,
    source?: "sdk" | "console",
  ): void;
  /**
   * Counts a tool call the guest made without going through `callTool` (a container reaching
   * Kiln's real `/mcp`), so `metrics.mcp_calls` and LLM provenance see it too.
   */
  recordCall?(tool: string, durationMs: number, result?: unknown): void;
  /**
   * Hears that such a call failed, with the error the guest was given, so a guest that lets it
   * escape is blamed for it rather than its caller.
   */
  toolFailed?(tool: string, error: { code: string; message: string }): void;
  /**
   * Runs `fn` in the execution's trace context (its sandbox span active, under OTel), for a call
   * that reaches Kiln another way than `callTool` (a container's request to `/mcp`).
   */
  inContext?<T>(fn: () => T): T;
}

/** One execution handed to a tier. */
export interface ExecutionJob {
  request: ExecuteRequest;
  code: ExecutionCode;
  limits: ExecutionLimits;
  host: ExecutionHost;
  /** Aborts the execution (the caller went away); the tier kills the sandbox as on a timeout. */
  signal?: AbortSignal;
  /**
   * The app's `isolateReuse`: `app` lets a tier that keeps warm sandboxes reuse one across the
   * app's components; absent or `component`, a warm sandbox serves one component only.
   */
  isolateReuse?: "component" | "app";
}

/** Counters a tier exposes for the metric collector and the bench. */
export interface TierStats {
  /** Sandboxes alive now (workers, QuickJS runtimes, containers). */
  live: number;
  /** Executions running now. */
  busy: number;
  /** Executions waiting for a free sandbox. */
  queued: number;
  /** Sandboxes killed since start, by reason. */
  kills: Record<string, number>;
}

/**
 * A tier driver: runs the `/execute` contract (§5) in its kind of sandbox. Application errors
 * come back as `resultType: "error"` responses; the driver throws only for what the caller must
 * see as a failure of the execution itself: SandboxTimeoutError, SANDBOX_KILLED with a reason,
 * OVERLOADED (its queue is full or the wait timed out), TIER_UNAVAILABLE.
 */
export interface TierDriver {
  readonly name: TierName;
  /** Which `ExecutionCode` kinds (and JavaScript format) this tier runs. */
  readonly accepts: { javascript?: "esm" | "iife"; wasmComponent?: boolean; python?: boolean };
  /**
   * What survives between executions: `component` — a warm sandbox keeps a component's module
   * state and globals for that component's next request, and never serves another component
   * unless the app opted into sharing (`ExecutionJob.isolateReuse`; isolates); `none` — every
   * execution starts fresh. Nothing ever crosses from one app to another.
   */
  readonly reuse: "component" | "none";
  /** Null when usable, else why not (e.g. "docker is not reachable"). */
  unavailableReason(): string | null;
  execute(job: ExecutionJob): Promise<ExecuteResponse>;
  /**
   * App `appId` will run here soon (registered, or serving a new revision) with `memoryMb` per
   * execution: have its sandbox ready to serve. Resolves once it is, or once that failed (the
   * app's first execution then reports why); never rejects.
   */
  prepare?(appId: string, memoryMb: number): Promise<void>;
  stats(): TierStats;
  /** Its sandboxes as the admin panel shows them (pools, host processes); absent, nothing. */
  details?(): TierDetails;
  /** Stops every sandbox; later executions fail with TIER_UNAVAILABLE. */
  close(): Promise<void>;
}

/** What the admin panel's sandbox page shows (`GET /v1/sandboxes`). */
export interface SandboxOverview {
  tiers: {
    tier: TierName;
    available: boolean;
    reason?: string;
    stats?: TierStats;
  }[];
  pools: PoolDetails[];
  /** The isolate tier's host process per app. */
  isolateHosts: IsolateHostDetails[];
  /** The wasm tier's component host process per app. */
  componentHosts: ComponentHostDetails[];
}
