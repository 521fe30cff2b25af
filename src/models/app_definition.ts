import { z } from "zod";
import { AppId, Configuration } from "./_common.ts";
import { SandboxPoolConfig } from "./sandbox_pool.ts";

/** Where an app's runtime values live; `embedded` unless the operator configured Redis. */
export const StateStoreConfig = z.object({
  driver: z.enum(["default", "embedded", "redis"]).default("default"),
}).loose();

/** `state/app_definition.yaml` (contract §2). */
export const AppDefinition = z.object({
  appId: AppId,
  displayName: z.string().min(1).max(200),
  version: z.string().min(1).max(64),
  description: z.string().max(4000).optional(),
  sandboxPools: SandboxPoolConfig.optional(),
  stateStoreConfig: StateStoreConfig.optional(),
  configuration: Configuration.default({}),
  optimizationConfig: z.record(z.string(), z.unknown()).optional(),
  isolateReuse: z.enum(["component", "app"]).default("component").describe(
    "Who may reuse a warm isolate worker (and so its globals and module state). `component` " +
      "(default): only the component that first ran on it; no component can see or tamper " +
      "with another's requests. `app`: any component of this app, saving the cold start when " +
      "components alternate, at the price of one shared realm: a component can replace a " +
      "built-in or leave work behind that sees every other component's requests and tokens.",
  ),
});
export type AppDefinition = z.infer<typeof AppDefinition>;

/** The lifecycle states of a registered app. */
export const AppStatus = z.enum(["ACTIVE", "INITIALIZING", "INACTIVE", "DEGRADED", "ERROR"]);
export type AppStatus = z.infer<typeof AppStatus>;
