import assert from "node:assert/strict";
import { silentLogger } from "../core/mod.ts";
import { createMcpEndpoint } from "./endpoint.ts";
import type { ToolCatalog } from "./tool.ts";

/**
 * Results Kiln's registry never produces, which the SDK projects and re-validates (wrapping a
 * non-object `structuredContent`, stripping unknown members, dropping `__proto__`, refusing a
 * malformed result). Each call runs the catalog exactly once.
 */
const ODD: Record<string, unknown> = {
  array: { content: [{ type: "text", text: "[1]" }], structuredContent: [1] },
  annotated: { content: [{ type: "text", text: "a", annotations: { priority: 1 }, extra: 1 }] },
  image: { content: [{ type: "image", data: "AAAA", mimeType: "image/png" }] },
  proto: {
    content: [{ text: "p", type: "text" }],
    structuredContent: JSON.parse('{"__proto__":{"a":1},"b":2}'),
  },
  contentless: { structuredContent: { a: 1 } },
  member: { content: [], _meta: { x: 1 } },
  malformed: { content: "not an array" },
  reordered: {
    isError: false,
    structuredContent: { a: 1 },
    content: [{ text: "t", type: "text" }],
  },
};

function oddCatalog(calls: string[]): ToolCatalog {
  return {
    list: () => [],
    call: (name) => {
      calls.push(name);
      return Promise.resolve(ODD[name] as never);
    },
    onListChanged: () => () => {},
  };
}

Deno.test("the stateless shortcut hands results it cannot vouch for to the SDK, without running them again", async () => {
  const calls: string[] = [];
  const endpoint = (statelessShortcut: boolean) =>
    createMcpEndpoint({
      catalog: oddCatalog(calls),
      authenticate: () => ({ kind: "admin" }),
      logger: silentLogger,
      version: "test",
      statelessShortcut,
    });
  const short = endpoint(true);
  const sdk = endpoint(false);
  try {
    for (const name of Object.keys(ODD)) {
      const request = () =>
        new Request("http://127.0.0.1/mcp", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: "Bearer x",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name } }),
        });
      calls.length = 0;
      const a = await short.handle(request());
      assert.deepEqual(calls, [name], `${name}: run once`);
      const b = await sdk.handle(request());
      assert.equal(a.status, b.status, name);
      assert.deepEqual([...a.headers], [...b.headers], name);
      assert.equal(await a.text(), await b.text(), name);
    }
  } finally {
    await short.close();
    await sdk.close();
  }
});
