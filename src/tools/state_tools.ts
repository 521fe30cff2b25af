import { z } from "zod";
import type { ToolDefinition } from "../mcp/mod.ts";
import {
  appOf,
  authorFor,
  type CoreToolDeps,
  defineTool,
  EDITS,
  OVERWRITES,
  READ_ONLY,
  Revision,
  StatePath,
  WriteMeta,
  WriteOutput,
} from "./_common.ts";

const RevisionRef = z.string().min(1).max(200).describe("a commit id or ref; default: the head");

/** Definition-state tools (contract §3, §6): read, diff, write, delete and list the app's files. */
export function stateTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.state.getDefinitionFileContent",
      aliases: ["core.state.getFileContent"],
      title: "Read a definition file",
      description: "Reads a file of the app's definitions (a path under state/), at the head or " +
        "at a given revision. Use the returned revision as expectedBaseRevision when you change " +
        "the file.",
      scope: "app",
      permission: "definitions:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({ filePath: StatePath, revision: RevisionRef.optional() }),
      outputSchema: z.object({
        found: z.boolean(),
        content: z.string().optional(),
        revision: z.string().nullable().describe("the commit read; null for an empty repository"),
      }),
      handler: (input, ctx) =>
        deps.state.getDefinitionFileContent(appOf(ctx), input.filePath, input.revision),
    }),
    defineTool({
      name: "core.state.applyDefinitionDiff",
      aliases: ["core.state.applyStateDiff"],
      title: "Change a definition file with a unified diff",
      description: "The primary way to change definitions: applies a unified diff to one file, " +
        "which must apply to expectedBaseRevision (the head). A stale base fails with CONFLICT, " +
        "a diff that does not apply with PATCH_CONFLICT, an invalid result with " +
        "VALIDATION_ERROR; nothing is ever overwritten silently.",
      scope: "app",
      permission: "definitions:write",
      annotations: EDITS,
      inputSchema: z.strictObject({
        filePath: StatePath,
        diffContent: z.string().min(1).describe("a unified diff of this one file"),
        expectedBaseRevision: Revision,
        ...WriteMeta,
      }),
      outputSchema: WriteOutput,
      handler: (input, ctx) =>
        deps.state.applyDefinitionDiff(
          appOf(ctx),
          input.filePath,
          input.diffContent,
          input.expectedBaseRevision,
          { commitMessage: input.commitMessage, author: authorFor(ctx, input.author) },
        ),
    }),
    defineTool({
      name: "core.state.setDefinitionFileContent",
      title: "Write a definition file",
      description: "Creates or replaces a file of the app's definitions in one validated commit. " +
        "Give expectedBaseRevision to fail with CONFLICT instead of overwriting a newer head.",
      scope: "app",
      permission: "definitions:write",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({
        filePath: StatePath,
        content: z.string(),
        expectedBaseRevision: Revision.optional(),
        ...WriteMeta,
      }),
      outputSchema: WriteOutput,
      handler: (input, ctx) =>
        deps.state.setDefinitionFileContent(
          appOf(ctx),
          input.filePath,
          input.content,
          input.expectedBaseRevision,
          { commitMessage: input.commitMessage, author: authorFor(ctx, input.author) },
        ),
    }),
    defineTool({
      name: "core.state.deleteDefinitionFile",
      title: "Delete a definition file",
      description: "Deletes a file of the app's definitions in one validated commit " +
        "(FILE_NOT_FOUND when it does not exist).",
      scope: "app",
      permission: "definitions:write",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({
        filePath: StatePath,
        expectedBaseRevision: Revision.optional(),
        ...WriteMeta,
      }),
      outputSchema: WriteOutput,
      handler: (input, ctx) =>
        deps.state.deleteDefinitionFile(appOf(ctx), input.filePath, input.expectedBaseRevision, {
          commitMessage: input.commitMessage,
          author: authorFor(ctx, input.author),
        }),
    }),
    defineTool({
      name: "core.state.listDefinitionDirectory",
      title: "List a definition directory",
      description: "Lists files and folders under a directory of the app's definitions " +
        '("" is state/ itself), optionally recursively and at a given revision.',
      scope: "app",
      permission: "definitions:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({
        directoryPath: z.string().max(512).default("").describe('"" for state/ itself'),
        recursive: z.boolean().default(false),
        revision: RevisionRef.optional(),
      }),
      outputSchema: z.object({
        entries: z.array(z.object({ path: z.string(), type: z.enum(["file", "directory"]) })),
        revision: z.string().nullable(),
      }),
      handler: (input, ctx) =>
        deps.state.listDefinitionDirectory(
          appOf(ctx),
          input.directoryPath,
          input.recursive,
          input.revision,
        ),
    }),
  ];
}
