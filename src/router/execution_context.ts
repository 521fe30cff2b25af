import { type ExecutionTokens, MAX_EXECUTION_TTL_SECONDS } from "../auth/mod.ts";
import type { ComponentDefinition, ExecutionContext } from "../models/mod.ts";
import type { AppSnapshot } from "../registry/mod.ts";
import { DEFAULT_LIMITS, type ExecutionLimits } from "../sandbox/mod.ts";

/** What one execution's context is made from. */
export interface ContextInput {
  appId: string;
  snapshot: AppSnapshot;
  component: ComponentDefinition;
  tokens: Pick<ExecutionTokens, "mint">;
  /** Milliseconds since the epoch, from the router's clock. */
  now: number;
  mcpEndpoint: string;
  userInfo?: Record<string, unknown>;
  /**
   * The guest reaches Kiln only through this process (an in-process tier): its token is a
   * local one, which costs no signature and no other node accepts.
   */
  localToken?: boolean;
}

/** The limits a component declares, over the tier defaults. */
export function limitsOf(component: ComponentDefinition): ExecutionLimits {
  return {
    timeoutMs: component.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    memoryMb: component.limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    maxOutputBytes: DEFAULT_LIMITS.maxOutputBytes,
  };
}

/**
 * The `context` of one execution (contract §5), with a freshly minted execution token that allows
 * exactly the component's `permissions` and outlives the deadline only by a margin, so a leaked
 * token is worth little.
 */
export function executionContext(input: ContextInput): {
  context: ExecutionContext;
  limits: ExecutionLimits;
  token: string;
} {
  const { appId, snapshot, component } = input;
  const limits = limitsOf(component);
  const ttlSeconds = Math.min(
    MAX_EXECUTION_TTL_SECONDS,
    Math.ceil(limits.timeoutMs / 1000) + 30,
  );
  const { token } = input.tokens.mint({
    appId,
    componentId: component.componentId,
    tools: component.permissions,
    ttlSeconds,
    ...(input.localToken ? { local: true } : {}),
  });
  const definition = snapshot.definition;
  const context: ExecutionContext = {
    appId,
    componentId: component.componentId,
    mcp_endpoint: input.mcpEndpoint,
    mcp_token: token,
    deadline: isoTime(input.now + limits.timeoutMs),
    ...(input.userInfo ? { userInfo: input.userInfo } : {}),
    configuration: { ...definition.configuration, ...component.configurationOverrides },
    applicationInfo: {
      appId,
      displayName: definition.displayName,
      version: definition.version,
      revision: snapshot.revision,
    },
  };
  return { context, limits, token };
}

let minuteAt = NaN;
let minutePrefix = "";

/**
 * `at` (ms since the epoch) as `toISOString()` writes it, about ten times cheaper: the
 * `YYYY-MM-DDTHH:MM:` part is formatted once a minute, the seconds and milliseconds added to it.
 */
export function isoTime(at: number): string {
  if (!(at >= 0 && at < MAX_FOUR_DIGIT_YEAR) || at % 1 !== 0) return new Date(at).toISOString();
  const minute = at - (at % 60_000);
  if (minute !== minuteAt) {
    minutePrefix = new Date(minute).toISOString().slice(0, 17);
    minuteAt = minute;
  }
  const ms = at - minute;
  const s = (ms / 1000) | 0;
  const frac = ms - s * 1000;
  return `${minutePrefix}${s < 10 ? "0" : ""}${s}.${
    frac < 10 ? "00" : frac < 100 ? "0" : ""
  }${frac}Z`;
}

/** 10000-01-01T00:00:00Z: from there on `toISOString()` writes a six-digit year. */
const MAX_FOUR_DIGIT_YEAR = 253_402_300_800_000;
