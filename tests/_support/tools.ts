/**
 * Fixtures for the tool-registry tests: a real Kiln with two apps (`shop`, `bank`), callers of
 * every kind, and readers for tool results.
 */
import assert from "node:assert/strict";
import type { Logger } from "../../src/core/mod.ts";
import {
  type ToolCaller,
  type ToolCallResult,
  toolError,
  type ToolErrorContent,
  type ToolRegistry,
} from "../../src/mcp/mod.ts";
import { minimalApp, startKiln, type TestKiln } from "./kiln.ts";

/** A component registry for `shop`: an inline-schema component and one with tool permissions. */
export const SHOP_COMPONENTS = `components:
  - componentId: getUser
    handlerType: jit
    runtime: isolate
    trust: trusted
    description: Reads one user
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    routeMatcher: { pathPattern: /api/users/:id, methods: [GET] }
    configurationOverrides: { greeting: hi }
    inputSchema: { type: object, properties: { id: { type: string } }, required: [id] }
    outputSchema: { type: object, properties: { name: { type: string } } }
    permissions: [core.state.getRuntimeValue, core.framework.getConfigValue]
  - componentId: createUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: createUser, language: typescript }
    routeMatcher: { pathPattern: /api/users, methods: [POST] }
    inputSchema: schemas/user.schema.json
`;

export interface ToolFixture {
  t: TestKiln;
  tools: ToolRegistry;
  /** The admin bound to `shop`. */
  admin: ToolCaller;
  /** An app key of `app` (default `shop`) holding `permissions` (default all). */
  key(permissions?: string[], app?: string): ToolCaller;
  /** An execution caller of `shop`'s getUser allowed `tools`, expiring in `ttlSeconds`. */
  exec(tools: string[], ttlSeconds?: number): ToolCaller;
}

/** Runs `fn` against a fresh Kiln holding `shop` and `bank`; a custom `logger` sees tool logs. */
export async function withTools(
  fn: (f: ToolFixture) => void | Promise<void>,
  opts: { logger?: Logger } = {},
): Promise<void> {
  const t = await startKiln(opts.logger ? { logger: opts.logger } : {});
  try {
    const shop = minimalApp("shop", {
      "component_registry.yaml": SHOP_COMPONENTS,
      "schemas/user.schema.json":
        '{"type": "object", "properties": {"name": {"type": "string"}}}\n',
    });
    await t.kiln.registry.registerApplication({ files: shop });
    await t.kiln.registry.registerApplication({ files: minimalApp("bank") });
    const tools = t.kiln.tools;
    await fn({
      t,
      tools,
      admin: { kind: "admin", appId: "shop" },
      key: (permissions = ["*"], app = "shop") => ({
        kind: "app",
        appId: app,
        keyId: "testkey00000",
        permissions,
      }),
      exec: (list, ttlSeconds = 300) => {
        const { token } = t.kiln.executionTokens.mint({
          appId: "shop",
          componentId: "getUser",
          tools: list,
          ttlSeconds,
        });
        const p = t.kiln.executionTokens.verify(token)!;
        return { kind: "execution", appId: p.a, componentId: p.c, tools: p.t, expiresAt: p.e };
      },
    });
  } finally {
    await t.close();
  }
}

/** The structured content of a successful result; fails the test on an error result. */
// deno-lint-ignore no-explicit-any -- tests index freely into tool answers
export function ok(result: ToolCallResult): any {
  assert.ok(!result.isError, `expected success, got ${result.content[0]?.text}`);
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  return result.structuredContent;
}

/** The error of an `isError` result; fails the test on a success, or on another code. */
export function failed(result: ToolCallResult, code?: string): ToolErrorContent {
  const error = toolError(result);
  assert.ok(error, `expected an error, got ${result.content[0]?.text}`);
  assert.equal(result.structuredContent, undefined, "errors carry no structuredContent");
  if (code) assert.equal(error.code, code, error.message);
  return error;
}
