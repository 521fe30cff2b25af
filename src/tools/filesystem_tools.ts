import { Buffer } from "node:buffer";
import { z } from "zod";
import { KilnError, quote } from "../core/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import { appOf, type CoreToolDeps, defineTool, OVERWRITES, READ_ONLY } from "./_common.ts";

const VolumePath = z.string().min(1).max(4096).describe(
  "a path relative to the app's volume root; no '..', no leading '/'",
);
const Encoding = z.enum(["utf8", "base64"]).default("utf8").describe(
  "utf8 for text, base64 for bytes",
);

/**
 * `core.filesystem.*` (contract §6): files in the app's own volume, the one its containers mount.
 */
export function filesystemTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.filesystem.readFile",
      title: "Read a file of the app's volume",
      description: "Reads a file inside the app's own sandbox volume (at most 4 MiB).",
      scope: "app",
      permission: "filesystem:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({ path: VolumePath, encoding: Encoding }),
      outputSchema: z.object({
        content: z.string(),
        encoding: z.enum(["utf8", "base64"]),
        bytes: z.number().int().min(0),
      }),
      handler: async ({ path, encoding }, ctx) => {
        const data = await deps.state.volumes.readFile(appOf(ctx), path);
        return { content: decode(data, encoding, path), encoding, bytes: data.length };
      },
    }),
    defineTool({
      name: "core.filesystem.writeFile",
      title: "Write a file of the app's volume",
      description:
        "Creates or replaces a file inside the app's own sandbox volume (at most 4 MiB), making parent folders.",
      scope: "app",
      permission: "filesystem:write",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({ path: VolumePath, content: z.string(), encoding: Encoding }),
      outputSchema: z.object({ written: z.literal(true), bytes: z.number().int().min(0) }),
      handler: async ({ path, content, encoding }, ctx) => {
        const data = encoding === "base64"
          ? new Uint8Array(Buffer.from(content, "base64"))
          : new TextEncoder().encode(content);
        await deps.state.volumes.writeFile(appOf(ctx), path, data);
        return { written: true as const, bytes: data.length };
      },
    }),
  ];
}

function decode(data: Uint8Array, encoding: "utf8" | "base64", path: string): string {
  if (encoding === "base64") return Buffer.from(data).toString("base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    throw new KilnError(
      "VALIDATION_ERROR",
      `${quote(path)} is not UTF-8 text; read it with encoding "base64"`,
    );
  }
}
