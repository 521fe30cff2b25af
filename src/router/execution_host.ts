import { executionPrincipal, type ExecutionTokens } from "../auth/mod.ts";
import { componentError, KilnError, type Logger } from "../core/mod.ts";
import { type DeltaListener, type ToolCatalog, toolError } from "../mcp/mod.ts";
import type { ExecutionHost, GuestLogLevel } from "../sandbox/mod.ts";

/** What the host of in-process executions reaches Kiln through. */
export interface ExecutionHostDeps {
  tools: ToolCatalog;
  executionTokens: Pick<ExecutionTokens, "verify">;
  logger: Logger;
}

/** Who the execution is, for its log lines and tool calls. */
export interface ExecutionMeta {
  requestId: string;
  appId: string;
  componentId: string;
  token: string;
  signal?: AbortSignal;
  /** Where a tool that streams (core.llm.generate) passes its pieces, when the caller streams. */
  onDelta?: DeltaListener;
  /** Hears each tool call the guest made that failed, so an unhandled one is blamed right. */
  onToolError?: (tool: string, error: { code: string; message: string }) => void;
}

const LEVELS = new Set<GuestLogLevel>(["debug", "info", "warn", "error"]);
const MAX_MESSAGE = 8 * 1024;
const MAX_FIELDS_JSON = 16 * 1024;

/**
 * The host side of one in-process execution. Tool calls go through the same tool registry and
 * authorization as `/mcp`, as the execution token's principal, and the token is checked on every
 * call, so an execution that outlives its token loses its tools. Guest log lines are capped and
 * their fields nested, so guest code cannot pose as Kiln in the logs.
 */
export function executionHost(deps: ExecutionHostDeps, meta: ExecutionMeta): ExecutionHost {
  return new InProcessHost(deps, meta);
}

/**
 * One object with its methods on the prototype, not closures: a host lives as long as its
 * execution, most of it waiting, and what lives that long is what the young generation's
 * collections copy.
 */
class InProcessHost implements ExecutionHost {
  /** Made at the first log line: most executions log nothing. */
  #logger: Logger | undefined;

  constructor(readonly deps: ExecutionHostDeps, readonly meta: ExecutionMeta) {}

  async callTool(tool: string, params: unknown): Promise<unknown> {
    const { deps, meta } = this;
    const claims = deps.executionTokens.verify(meta.token);
    if (!claims) {
      throw new KilnError("UNAUTHORIZED", "the execution token has expired or is invalid");
    }
    const result = await deps.tools.call(tool, params, executionPrincipal(claims), {
      requestId: meta.requestId,
      ...(meta.signal ? { signal: meta.signal } : {}),
      ...(meta.onDelta ? { onDelta: meta.onDelta } : {}),
    });
    const error = toolError(result);
    if (error) {
      meta.onToolError?.(tool, error);
      throw componentError(error.code, error.message, error.details);
    }
    return result.structuredContent ?? {};
  }

  toolFailed(tool: string, error: { code: string; message: string }): void {
    this.meta.onToolError?.(tool, error);
  }

  log(
    level: GuestLogLevel,
    message: string,
    fields?: Record<string, unknown>,
    source?: "sdk" | "console",
  ): void {
    const { meta } = this;
    this.#logger ??= this.deps.logger.with({
      requestId: meta.requestId,
      appId: meta.appId,
      componentId: meta.componentId,
    });
    const text = String(message);
    this.#logger[LEVELS.has(level) ? level : "info"](
      text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text,
      {
        source: source ?? "sdk",
        ...(fields === undefined ? {} : { fields: safeFields(fields) }),
      },
    );
  }
}

function safeFields(fields: unknown): unknown {
  try {
    const text = JSON.stringify(fields);
    if (text === undefined) return null;
    return text.length > MAX_FIELDS_JSON
      ? { truncated: true, bytes: text.length }
      : JSON.parse(text);
  } catch {
    return { unserializable: true };
  }
}
