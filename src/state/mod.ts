/** The state manager (SPEC §3): Git-backed definitions and runtime values on a store driver. */
export { StateManager } from "./state_manager.ts";
export type { CommitListener } from "./state_manager.ts";
export type {
  Author,
  CommitInfo,
  DefinitionIssue,
  DefinitionStore,
  DirectoryEntry,
  FileContent,
  WriteOptions,
  WriteResult,
} from "./definitions.ts";
export { GitDefinitionStore } from "./git_definition_store.ts";
export { validateDefinitionFile, validateDefinitionSet } from "./validate_definition.ts";
export type { ValidateOptions } from "./validate_definition.ts";
export type { DefinitionChecker, DefinitionCheckers } from "./definition_checkers.ts";
export { normalizeDefinitionPath } from "./definition_path.ts";
export type { StoreDriver, StoreEntry } from "./store.ts";
export { EmbeddedStore } from "./embedded_store.ts";
export { RedisStore } from "./redis_store.ts";
export { RuntimeState } from "./runtime_state.ts";
export { AppVolumes, MAX_VOLUME_FILE_BYTES, volumeSegments } from "./app_volumes.ts";
