export { Registry } from "./registry.ts";
export { readAppSource } from "./app_source.ts";
export type { AppSource } from "./app_source.ts";
export type { AppSnapshot, ComponentContract, ComponentSchema } from "./app_snapshot.ts";
export type { RouteMatch } from "./route_table.ts";
export { watchRepos } from "./repo_watcher.ts";
export { LocalPushGate, publishingPushGate } from "./push_gate.ts";
export { componentRegistryIssues } from "./registry_checks.ts";
export type { RegistryPeers } from "./peers.ts";
