export {
  ERROR_STATUS,
  KilnError,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
  toKilnError,
} from "./errors/mod.ts";
export type { ErrorCode, KillReason } from "./errors/mod.ts";
export type { JsonValue } from "./json.ts";
export { levelFromEnv, Logger, silentLogger } from "./log.ts";
export { systemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export { KeyedMutex } from "./mutex.ts";
export { concatBytes } from "./bytes.ts";
export { Slicer } from "./slicer.ts";
export { removeTree } from "./remove_tree.ts";
export { VERSION } from "./version.ts";
export { kilnChildCommand } from "./child_command.ts";
export { priorityLowerer, SANDBOX_NICE } from "./sandbox_priority.ts";
export type { ChildCommand } from "./child_command.ts";
export { Lazy } from "./lazy.ts";
export { OnDemand } from "./on_demand.ts";
export { limitExceeded, LIMITS } from "./limits.ts";
export { componentError } from "./component_error.ts";
export { assertJsonDepth, jsonTextShape, shapeMessage, valueDepth } from "./json_depth.ts";
export { SERVE_PROCESS } from "./serve_process.ts";
export {
  describeYamlProblem,
  isYamlSeq,
  loadYaml,
  parseYamlValue,
  parseYamlValueAsync,
  yamlDocumentOrThrowAsync,
  yamlValueOrThrow,
  yamlValueOrThrowAsync,
} from "./yaml.ts";
export type { YamlProblem } from "./yaml.ts";
export { linearRegex, loadLinearRegex, RegexBudgetError, RegexMeter } from "./linear_regex.ts";
export type { LinearRegex } from "./linear_regex.ts";
export {
  activeSpan,
  failSpanWith,
  injectTraceHeaders,
  inSpan,
  isTracing,
  otelMeter,
  SpanKind,
  traceparentOf,
  withActiveSpan,
} from "./trace.ts";
export type { Span } from "./trace.ts";
