import { z } from "zod";
import type { ToolDefinition } from "../tool.ts";
import { type CoreToolDeps, defineTool, EDITS, notAvailable } from "./_common.ts";

/**
 * `core.linux.executeCommand` (SPEC §6): an allowlisted binary, by its exact full path, run
 * without a shell inside the app's own container sandbox as a low-privilege user.
 */
export function linuxTools(_deps: CoreToolDeps): ToolDefinition[] {
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
      handler: () => Promise.reject(notAvailable("the container sandbox (core.linux)", 5)),
    }),
  ];
}
