export {
  ERROR_STATUS,
  KilnError,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
  toKilnError,
} from "./errors/mod.ts";
export type { ErrorBody, ErrorCode, KillReason } from "./errors/mod.ts";
export type { JsonArray, JsonObject, JsonPrimitive, JsonValue } from "./json.ts";
export { levelFromEnv, Logger, silentLogger } from "./log.ts";
export type { LogLevel, LogSink } from "./log.ts";
export { systemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export { KeyedMutex } from "./mutex.ts";
export { VERSION } from "./version.ts";
export { Lazy } from "./lazy.ts";
export { limitExceeded, LIMITS } from "./limits.ts";
export type { LimitName } from "./limits.ts";
export {
  assertJsonDepth,
  jsonTextDepth,
  jsonTextShape,
  shapeMessage,
  valueDepth,
} from "./json_depth.ts";
export type { JsonShape } from "./json_depth.ts";
export {
  defaultYamlBudget,
  describeYamlProblem,
  parseYamlDocument,
  parseYamlDocumentAsync,
  parseYamlValue,
  parseYamlValueAsync,
  YAML_OPTIONS,
  yamlDocumentOrThrow,
  yamlDocumentOrThrowAsync,
  yamlValueOrThrow,
  yamlValueOrThrowAsync,
} from "./yaml.ts";
export type { YamlBudget, YamlParse, YamlProblem } from "./yaml.ts";
export { linearRegex, RegexBudgetError, RegexMeter } from "./linear_regex.ts";
export type { LinearRegex, RegexDialect } from "./linear_regex.ts";
