import { z } from "zod";
import { authorOf } from "../auth/mod.ts";
import { AppDetails, AppId, type AppSource, AppStatusInfo } from "../models/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import {
  APPENDS,
  appOf,
  type CoreToolDeps,
  defineTool,
  exactlyOne,
  OVERWRITES,
  READ_ONLY,
} from "./_common.ts";

const AppIdInput = z.strictObject({ appId: AppId });

/** AppSource as one object (directory or files): a tool input has no top-level `anyOf`. */
const RegisterInput = z.strictObject({
  directory: z.string().min(1).optional().describe("a UHLP app directory on the Kiln host"),
  files: z.record(z.string(), z.string()).optional().describe(
    "state-relative path → file content",
  ),
}).superRefine(exactlyOne(["directory", "files"]));

/** Registry tools (contract §4, §6): apps as MCP clients see them. */
export function registryTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.framework.registerApplication",
      title: "Register an application",
      description: "Registers an app from a UHLP directory on the Kiln host or from its state " +
        "files (state-relative path → content), committing them to a new repository. Admin only.",
      scope: "admin",
      permission: "admin",
      annotations: APPENDS,
      inputSchema: RegisterInput,
      outputSchema: AppDetails,
      handler: (input, ctx) => {
        const source: AppSource = input.directory !== undefined
          ? { directory: input.directory }
          : { files: input.files! };
        return deps.registry.registerApplication(source, authorOf(ctx.caller));
      },
    }),
    defineTool({
      name: "core.framework.getApplicationDetails",
      title: "Application details",
      description: "An app's status, version, configuration, sandbox pools and components. " +
        "App tokens may only name their own app.",
      scope: "registry-read",
      permission: "app:read",
      annotations: READ_ONLY,
      inputSchema: AppIdInput,
      outputSchema: AppDetails,
      handler: (_input, ctx) => Promise.resolve(deps.registry.getApplicationDetails(appOf(ctx))),
    }),
    defineTool({
      name: "core.framework.getApplicationStatus",
      title: "Application status",
      description: "An app's status (ACTIVE, INITIALIZING, INACTIVE, DEGRADED, ERROR), the " +
        "revision it serves and, when its head is invalid, why. App tokens may only name their " +
        "own app.",
      scope: "registry-read",
      permission: "app:read",
      annotations: READ_ONLY,
      inputSchema: AppIdInput,
      outputSchema: AppStatusInfo,
      handler: (_input, ctx) => Promise.resolve(deps.registry.getApplicationStatus(appOf(ctx))),
    }),
    defineTool({
      name: "core.framework.listActiveApplications",
      title: "List active applications",
      description: "Apps that serve traffic (ACTIVE or DEGRADED). App tokens see only their own.",
      scope: "registry-read",
      permission: "app:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({}),
      outputSchema: z.object({ apps: z.array(AppStatusInfo) }),
      handler: (_input, ctx) => {
        const own = ctx.caller.kind === "admin" ? undefined : ctx.caller.appId;
        const apps = deps.registry.listActiveApplications()
          .filter((a) => own === undefined || a.appId === own);
        return Promise.resolve({ apps });
      },
    }),
    defineTool({
      name: "core.framework.deregisterApplication",
      title: "Deregister an application",
      description: "Removes an app from the registry; deleteState also deletes its repository " +
        "and runtime values, which cannot be undone. Admin only.",
      scope: "admin",
      permission: "admin",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({ appId: AppId, deleteState: z.boolean().default(false) }),
      outputSchema: z.object({ deregistered: z.literal(true) }),
      handler: (input) => deps.registry.deregisterApplication(input.appId, input.deleteState),
    }),
  ];
}
