/** Kiln's core data model: zod schemas are the source of every type and generated JSON Schema. */
export { AppId, ComponentId, Configuration, SchemaRef } from "./_common.ts";
export { AppDefinition, AppStatus, StateStoreConfig } from "./app_definition.ts";
export { AppDetails, AppSource, AppStatusInfo, DefinitionIssue } from "./app_info.ts";
export {
  ComponentDefinition,
  ComponentRegistry,
  HandlerType,
  HttpMethod,
  JitTaskDetails,
  LlmTaskDetails,
  RouteMatcher,
  Runtime,
  Trust,
  WorkflowTaskDetails,
} from "./component.ts";
export { SandboxPool, SandboxPoolConfig, VolumeMount } from "./sandbox_pool.ts";
export { ApiKeyEntry, AppPermission, InterAppPermission, SecurityConfig } from "./security.ts";
export { APP_PERMISSIONS, isAppPermission } from "./app_permissions.ts";
export {
  GenerationConfig,
  GlobalOptimizationRule,
  OptimizationCondition,
  OptimizationConfig,
  OptimizationMetric,
  OptimizationRule,
  RedactionRule,
  SamplingConfig,
} from "./optimization.ts";
export {
  RetryPolicy,
  TransitionList,
  TransitionRouting,
  WorkflowDefinition,
  WorkflowStep,
} from "./workflow.ts";
export { LlmParameters, PromptTemplate } from "./prompt.ts";
export {
  ErrorData,
  ExecuteRequest,
  ExecuteResponse,
  ExecutionContext,
  HttpDetails,
  HttpResponseData,
  McpCallMetric,
  RequestData,
} from "./execute.ts";
export { ErrorEnvelope } from "./error.ts";
