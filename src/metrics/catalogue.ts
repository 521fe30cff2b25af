import type { MetricInfo, MetricKind } from "./types.ts";

/**
 * The fixed metric names Kiln itself records, with their kinds and what they mean. Apps add
 * their own under `app.` through `core.metrics.record`; nothing else may invent a name, so the
 * catalogue (and Prometheus' HELP lines) stay truthful.
 */
export const METRIC_CATALOGUE: readonly MetricInfo[] = [
  m(
    "kiln.invocations",
    "sum",
    "Component invocations {appId, componentId, handlerType, tier, outcome}",
  ),
  m(
    "kiln.invocation.duration_ms",
    "histogram",
    "Invocation latency in ms, routing to response {appId, componentId, handlerType, tier, outcome}",
  ),
  m("kiln.mcp.calls", "sum", "MCP tool calls {appId, tool, outcome}"),
  m("kiln.mcp.call.duration_ms", "histogram", "MCP tool call latency in ms {appId, tool}"),
  m("kiln.llm.calls", "sum", "LLM gateway calls {appId, componentId, model, provenance}"),
  m("kiln.llm.tokens", "sum", "LLM tokens {appId, componentId, model, kind: prompt|completion}"),
  m(
    "kiln.llm.cost_usd",
    "sum",
    "LLM cost in USD at list price, replayed calls included {appId, componentId, model}",
  ),
  m("kiln.llm.duration_ms", "histogram", "LLM call latency in ms {appId, componentId, model}"),
  m("kiln.sandbox.executions", "sum", "Sandbox executions {appId, tier, poolName, outcome}"),
  m(
    "kiln.sandbox.execution.duration_ms",
    "histogram",
    "Sandbox execution latency in ms {appId, tier, poolName}",
  ),
  m("kiln.sandbox.instances", "gauge", "Sandboxes alive {tier, poolName}"),
  m("kiln.jit.served", "sum", "Invocations by what served them {appId, componentId, servedBy}"),
  m(
    "kiln.jit.shadow.checks",
    "sum",
    "Shadow comparisons of JIT code with the LLM {appId, componentId, outcome: agree|disagree}",
  ),
  m(
    "kiln.metrics.dropped",
    "sum",
    "Points or stored rows the collector dropped to stay bounded {kind: series|rows|name|kind|value}",
  ),
];

/** Custom metrics: `app.` followed by dotted lowercase words. */
export const APP_METRIC = /^app\.[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/** The longest custom metric name. */
export const MAX_APP_METRIC_NAME = 120;

const FIXED = new Map(METRIC_CATALOGUE.map((info) => [info.name, info]));

/** The catalogue entry of a fixed name, if it is one. */
export function fixedMetric(name: string): MetricInfo | undefined {
  return FIXED.get(name);
}

/** Whether `name` is a valid custom (`app.*`) metric name. */
export function isAppMetric(name: string): boolean {
  return name.length <= MAX_APP_METRIC_NAME && APP_METRIC.test(name);
}

function m(name: string, kind: MetricKind, description: string): MetricInfo {
  return { name, kind, description };
}
