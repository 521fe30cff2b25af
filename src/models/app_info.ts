import { z } from "zod";
import { AppStatus } from "./app_definition.ts";
import { HandlerType, RouteMatcher, Runtime, Trust } from "./component.ts";

/** One problem found while validating a revision of an app's definitions. */
export const DefinitionIssue = z.object({
  path: z.string(),
  field: z.string().optional(),
  message: z.string(),
  /** The budget (`LIMITS` name) the file crossed, when that is the problem. */
  limit: z.string().optional(),
});
export type DefinitionIssue = z.infer<typeof DefinitionIssue>;

/** `getApplicationStatus` (contract §4): the HTTP API and the MCP registry tools answer this. */
export const AppStatusInfo = z.object({
  appId: z.string(),
  status: AppStatus,
  revision: z.string().nullable(),
  reason: z.string().optional(),
  invalidRevision: z.object({ revision: z.string(), issues: z.array(DefinitionIssue) }).optional(),
});
export type AppStatusInfo = z.infer<typeof AppStatusInfo>;

/** `getApplicationDetails` (contract §4): status plus what the served revision defines. */
export const AppDetails = AppStatusInfo.extend({
  displayName: z.string(),
  version: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  repository: z.string(),
  configuration: z.record(z.string(), z.unknown()),
  sandboxPools: z.array(z.record(z.string(), z.unknown())),
  components: z.array(z.object({
    componentId: z.string(),
    handlerType: HandlerType,
    runtime: Runtime,
    trust: Trust,
    routeMatcher: RouteMatcher.optional(),
    description: z.string().optional(),
  })),
});
export type AppDetails = z.infer<typeof AppDetails>;

/** Where `registerApplication` takes an app from: a UHLP directory on the host, or its files. */
export const AppSource = z.union([
  z.strictObject({
    directory: z.string().min(1).describe("a UHLP app directory on the Kiln host"),
  }),
  z.strictObject({
    files: z.record(z.string(), z.string()).describe("state-relative path → file content"),
  }),
]);
export type AppSource = z.infer<typeof AppSource>;
