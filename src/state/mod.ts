/** The state manager (contract §3): Git-backed definitions and runtime values on a store driver. */
export { StateManager } from "./state_manager.ts";
export type { DefinitionIssue, DefinitionStore, WriteOptions, WriteResult } from "./definitions.ts";
export { GitDefinitionStore } from "./git_definition_store.ts";
export { normalizeDefinitionPath } from "./definition_path.ts";
export type { StoreDriver, StoreFence } from "./store.ts";
export { EmbeddedStore } from "./embedded_store.ts";
export { RedisStore } from "./redis_store.ts";
export { RuntimeState } from "./runtime_state.ts";
export { AppVolumes } from "./app_volumes.ts";
export { SERVED_REF, ZERO_OID } from "./push_gate.ts";
export type { PushDecision, PushedObjects, PushGate, RefUpdate } from "./push_gate.ts";
export type { Adopted, LocalRepo, RefPublisher } from "./ref_publisher.ts";
export type { GitObjectType } from "./_object_reader.ts";
export { decodeText } from "./_object_codec.ts";
export {
  closeRedis,
  connectRedis,
  redactRedisUrl,
  REDIS_COMMAND_TIMEOUT_MS,
  type RedisClient,
  redisFailure,
  withDeadline,
} from "./redis_connect.ts";
