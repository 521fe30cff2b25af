import assert from "node:assert/strict";
import { join } from "node:path";
import { minimalApp } from "../../tests/_support/kiln.ts";
import { ExecutionTokens } from "../auth/mod.ts";
import { buildSnapshot } from "../registry/app_snapshot.ts";
import { EmbeddedStore } from "../state/mod.ts";
import { executionContext, isoTime } from "./execution_context.ts";

async function withTokens(fn: (tokens: ExecutionTokens) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "kiln-ctx-" });
  const store = EmbeddedStore.open(join(dir, "kiln.db"));
  try {
    await fn(await ExecutionTokens.open(store, { now: () => NOW }));
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const NOW = Date.parse("2026-01-02T03:04:05.000Z");
const snapshot = buildSnapshot(new Map(Object.entries(minimalApp("shop"))), "a".repeat(40));

Deno.test("executionContext() merges configuration and binds a token to the component", async () => {
  await withTokens((tokens) => {
    const component = {
      ...snapshot.components.get("getUser")!,
      permissions: ["core.state.getRuntimeValue"],
    };
    const { context, limits, token } = executionContext({
      appId: "shop",
      snapshot,
      component,
      tokens,
      now: NOW,
      mcpEndpoint: "http://kiln.test/mcp",
      userInfo: { keyId: "k1" },
    });
    assert.deepEqual(context, {
      appId: "shop",
      componentId: "getUser",
      mcp_endpoint: "http://kiln.test/mcp",
      mcp_token: token,
      deadline: "2026-01-02T03:04:15.000Z",
      userInfo: { keyId: "k1" },
      configuration: { greeting: "hi", llm: { model: "small" } },
      applicationInfo: {
        appId: "shop",
        displayName: "shop app",
        version: "1.0.0",
        revision: "a".repeat(40),
      },
    });
    assert.deepEqual(limits, { timeoutMs: 10_000, memoryMb: 128, maxOutputBytes: 4 << 20 });
    const claims = tokens.verify(token)!;
    assert.deepEqual([claims.a, claims.c, claims.t], ["shop", "getUser", [
      "core.state.getRuntimeValue",
    ]]);
    assert.equal(claims.e, NOW + 40_000, "deadline (10 s) plus 30 s");
  });
});

Deno.test("executionContext() takes declared limits and keeps the token alive 30 s past the deadline", async () => {
  await withTokens((tokens) => {
    const component = {
      ...snapshot.components.get("createUser")!,
      limits: { timeoutMs: 900_000, memoryMb: 64 },
    };
    const { limits, token, context } = executionContext({
      appId: "shop",
      snapshot,
      component,
      tokens,
      now: NOW,
      mcpEndpoint: "x",
    });
    assert.deepEqual([limits.timeoutMs, limits.memoryMb], [900_000, 64]);
    assert.equal(tokens.verify(token)!.e, NOW + 930_000);
    assert.equal(context.userInfo, undefined);
    assert.deepEqual(context.configuration, { greeting: "hello", llm: { model: "small" } });
  });
});

Deno.test("isoTime() writes what toISOString() writes, across minute and range boundaries", () => {
  const edges = [
    0,
    1,
    999,
    1_000,
    59_999,
    60_000,
    86_399_999,
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
  ];
  const far = [253_402_300_799_999, 253_402_300_800_000, -1, -60_001, 1.5];
  const random = Array.from(
    { length: 2_000 },
    () => Math.floor(Math.random() * 253_402_300_800_000),
  );
  // Same-minute runs reuse the formatted prefix: consecutive values exercise that path.
  const runs = Array.from({ length: 2_000 }, (_, i) => Date.UTC(2026, 0, 1) + i * 7);
  for (const at of [...edges, ...far, ...random, ...runs]) {
    assert.equal(isoTime(at), new Date(at).toISOString(), String(at));
  }
});
