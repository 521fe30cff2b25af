/**
 * An execution's host as the manager hands it to a tier: the tool calls the guest makes are
 * counted per tool (what fills `metrics.mcp_calls`, and whether an LLM answer was a recording),
 * and run, like its log lines, in the execution's span when OTel is on. One object with its
 * methods on the prototype: the host lives as long as its execution, and most executions call no
 * tool, so it holds no closures and the tally is made at the first call.
 */
import { type Span, withActiveSpan } from "../core/mod.ts";
import type { ExecutionHost, GuestLogLevel } from "./tier.ts";

export interface CallTally {
  count: number;
  total_duration_ms: number;
  /** A `core.llm.generate` answer came from a cassette: the response must say so. */
  recording?: boolean;
}

function isRecording(result: unknown): boolean {
  const provenance = (result as { provenance?: { kind?: unknown } } | null)?.provenance;
  return provenance?.kind === "recording";
}

export class TalliedHost implements ExecutionHost {
  /** Calls per tool; undefined until the first. */
  tally: Map<string, CallTally> | undefined;

  constructor(readonly inner: ExecutionHost, readonly span: Span | undefined) {}

  async callTool(tool: string, params: unknown): Promise<unknown> {
    const started = performance.now();
    let result: unknown;
    try {
      result = await withActiveSpan(this.span, () => this.inner.callTool(tool, params));
      return result;
    } finally {
      this.recordCall(tool, performance.now() - started, result);
    }
  }

  log(
    level: GuestLogLevel,
    message: string,
    fields?: Record<string, unknown>,
    source?: "sdk" | "console",
  ): void {
    if (!this.span) return this.inner.log(level, message, fields, source);
    withActiveSpan(this.span, () => this.inner.log(level, message, fields, source));
  }

  recordCall(tool: string, durationMs: number, result?: unknown): void {
    this.tally ??= new Map();
    const entry = this.tally.get(tool) ?? { count: 0, total_duration_ms: 0 };
    entry.count++;
    entry.total_duration_ms += durationMs;
    if (isRecording(result)) entry.recording = true;
    this.tally.set(tool, entry);
  }

  toolFailed(tool: string, error: { code: string; message: string }): void {
    this.inner.toolFailed?.(tool, error);
  }

  inContext<T>(fn: () => T): T {
    return withActiveSpan(this.span, fn);
  }
}
