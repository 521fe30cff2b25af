import assert from "node:assert/strict";
import { skeleton } from "./mcp.ts";

Deno.test("skeleton() fills a tool's required arguments with typed placeholders", () => {
  assert.deepEqual(
    skeleton({
      type: "object",
      required: ["filePath", "limit", "recursive", "kind", "tags"],
      properties: {
        filePath: { type: "string" },
        limit: { type: "integer" },
        recursive: { type: "boolean" },
        kind: { enum: ["a", "b"] },
        tags: { type: "array" },
        optional: { type: "string" },
      },
    }),
    { filePath: "", limit: 0, recursive: false, kind: "a", tags: [] },
  );
  assert.deepEqual(skeleton({ type: "object" }), {});
});
