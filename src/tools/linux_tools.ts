import { z } from "zod";
import type { ToolDefinition } from "../mcp/mod.ts";
import { appOf, type CoreToolDeps, defineTool, EDITS, notAvailable } from "./_common.ts";

/** The app configuration key listing the exact full paths executeCommand may run. */
export const LINUX_ALLOWLIST_KEY = "linux.allowedCommands";

/**
 * `core.linux.executeCommand` (contract §6): an allowlisted binary, by its exact full path, run
 * without a shell inside the app's own container sandbox as a low-privilege user.
 */
export function linuxTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.linux.executeCommand",
      title: "Run a command in the app's container",
      description: "Runs a program given by its exact full path (it must be on the app's " +
        "allowlist) with arguments and no shell, inside the app's container sandbox as a " +
        "low-privilege user, with a timeout and capped output.",
      scope: "app",
      permission: "linux:execute",
      annotations: EDITS,
      inputSchema: z.strictObject({
        command: z.string().regex(/^\/[^\0]*$/, "an absolute path").max(4096),
        arguments: z.array(z.string().max(64 * 1024)).max(1024).default([]),
        stdin: z.string().optional(),
        timeoutSeconds: z.number().positive().max(900).optional(),
      }),
      outputSchema: z.object({
        exitCode: z.number().int(),
        stdout: z.string(),
        stderr: z.string(),
      }),
      handler: (input, ctx) => {
        if (!deps.linux) {
          return Promise.reject(notAvailable(
            "core.linux",
            "the container tier is not running (Docker unreachable or containers disabled)",
          ));
        }
        const appId = appOf(ctx);
        const listed = deps.registry.getAppConfigurationValue(appId, LINUX_ALLOWLIST_KEY);
        const allowlist = listed.found && Array.isArray(listed.value)
          ? listed.value.filter((v): v is string => typeof v === "string")
          : [];
        return deps.linux.executeCommand(appId, input, allowlist, ctx.signal);
      },
    }),
  ];
}
