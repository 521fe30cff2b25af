import assert from "node:assert/strict";
import { minimalApp, startKiln, type TestKiln } from "../../tests/_support/kiln.ts";
import { phoneAppFiles } from "../../tests/_support/jit.ts";
import { codeHandler } from "../bundler/mod.ts";
import { KilnError, Logger, silentLogger } from "../core/mod.ts";
import type { ToolCaller } from "../mcp/mod.ts";
import type { ComponentDefinition, ExecuteResponse } from "../models/mod.ts";
import type { HandlerKinds, Invocation } from "./handler_kind.ts";
import { Router } from "./router.ts";

const ADMIN: ToolCaller = { kind: "admin" };

/** A Kiln with a `shop` app (jit components) and a `phones` app (an llm component). */
async function withApps(fn: (t: TestKiln) => Promise<void>): Promise<void> {
  const t = await startKiln({ optimization: { evaluateEveryMs: 0 } });
  try {
    await t.kiln.registry.registerApplication({ files: minimalApp("shop") });
    await t.kiln.registry.registerApplication({ files: phoneAppFiles() });
    await fn(t);
  } finally {
    await t.close();
  }
}

function routerOf(t: TestKiln, handlers: HandlerKinds, logger: Logger = silentLogger): Router {
  const { registry, tools, executionTokens } = t.kiln;
  return new Router({ registry, handlers, tools, executionTokens, logger });
}

const postPhone = (router: Router) =>
  router.handle(
    new Request("http://kiln.test/apps/phones/phones/format", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: "4155550100" }),
    }),
  );

Deno.test("Router answers UNAVAILABLE naming the handler type no kind runs", async () => {
  await withApps(async (t) => {
    const router = routerOf(t, {
      jit: codeHandler({ bundler: t.kiln.bundler, sandbox: t.kiln.sandbox }),
    });
    const res = await postPhone(router);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("x-kiln-tier"), null, "nothing ran, so no tier is reported");
    const { error } = await res.json();
    assert.equal(error.code, "UNAVAILABLE");
    assert.match(error.message, /"format-phone" is a llm component, and this node runs no llm/);
    assert.deepEqual(error.details, { componentId: "format-phone", handlerType: "llm" });

    const err = await router.invoke("phones", "format-phone", { phone: "1" }, ADMIN).then(
      () => assert.fail("expected UNAVAILABLE"),
      (e) => e,
    );
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "UNAVAILABLE");
    assert.equal(err.status, 503);
    const [stat] = router.stats().filter((s) => s.componentId === "format-phone");
    assert.equal(stat.outcome, "unavailable");
    assert.equal(stat.count, 2);

    // The kind that is there still runs its components.
    const ok = await router.handle(new Request("http://kiln.test/apps/shop/api/users/7"));
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(ok.headers.get("x-kiln-tier"), "isolate");
  });
});

Deno.test("Router hands a kind its invocation: decide() sets the tier headers, bind() a token", async () => {
  await withApps(async (t) => {
    const seen: { token?: string; valid?: boolean; tools?: string[]; inv?: Invocation } = {};
    const router = routerOf(t, {
      llm: {
        run(component, inv) {
          seen.inv = inv;
          inv.decide({ tier: "wasm", reason: "test kind: \u00e9 wasm", accepts: {} });
          using bound = inv.bind({ ...component, permissions: ["core.state.getRuntimeValue"] });
          seen.token = bound.token;
          const claims = t.kiln.executionTokens.verify(bound.token);
          seen.valid = claims !== null;
          seen.tools = claims?.t;
          return Promise.resolve({
            requestId: inv.requestId,
            resultType: "generic",
            data: { answered: bound.context.componentId },
            metrics: { execution_time_ms: 1, mcp_calls: [] },
          });
        },
      },
    });
    const res = await postPhone(router);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { answered: "format-phone" });
    assert.equal(res.headers.get("x-kiln-tier"), "wasm");
    assert.equal(res.headers.get("x-kiln-tier-reason"), "test kind: ? wasm");
    assert.equal(seen.inv?.appId, "phones");
    assert.equal(seen.inv?.snapshot.definition.appId, "phones");
    assert.equal(seen.inv?.requestData.httpDetails?.method, "POST");
    assert.equal(seen.valid, true, "the token is live while the execution runs");
    assert.match(
      seen.token!,
      /^kiln_exec_l\./,
      "an in-process tier's execution gets a local token",
    );
    assert.deepEqual(seen.tools, ["core.state.getRuntimeValue"], "the kind widened permissions");
    assert.equal(t.kiln.executionTokens.verify(seen.token!), null, "revoked once it ends");
    const [stat] = router.stats().filter((s) => s.componentId === "format-phone");
    assert.equal(stat.tier, "wasm");
    assert.equal(stat.outcome, "ok");
  });
});

Deno.test("Router's own headers override a proxied answer's and ride on error answers", async () => {
  await withApps(async (t) => {
    const answers: ExecuteResponse["data"][] = [];
    const router = routerOf(t, {
      llm: {
        run(_component, inv) {
          inv.decide({ tier: "wasm", reason: "test kind", accepts: {} });
          const data = answers.shift();
          return Promise.resolve({
            requestId: inv.requestId,
            resultType: data && typeof data === "object" && "statusCode" in data
              ? "httpResponse"
              : "error",
            data,
            metrics: { execution_time_ms: 1, mcp_calls: [] },
          });
        },
      },
    });
    const call = (method: string) =>
      router.handle(
        new Request("http://kiln.test/apps/phones/phones/format", {
          method,
          headers: { "x-request-id": "rid-1" },
          ...(method === "POST" ? { body: "{}" } : {}),
        }),
      );
    answers.push({
      statusCode: 201,
      headers: { "x-kiln-tier": "forged", "x-request-id": "forged", "x-own": "kept" },
      body: "made",
    });
    const proxied = await call("POST");
    assert.equal(proxied.status, 201);
    assert.equal(await proxied.text(), "made");
    assert.equal(proxied.headers.get("x-kiln-tier"), "wasm", "a component cannot pose as a tier");
    assert.equal(proxied.headers.get("x-request-id"), "rid-1");
    assert.equal(proxied.headers.get("x-own"), "kept");

    answers.push({ code: "NOT_FOUND", message: "no such phone" });
    const failed = await call("POST");
    assert.equal(failed.status, 404);
    assert.equal(failed.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(failed.headers.get("x-kiln-tier"), "wasm");
    assert.equal(failed.headers.get("x-kiln-tier-reason"), "test kind");
    assert.equal(failed.headers.get("x-request-id"), "rid-1");

    const refused = await call("DELETE");
    assert.equal(refused.status, 405);
    assert.ok(refused.headers.get("allow"), "405 names the allowed methods");
    assert.equal(refused.headers.get("x-request-id"), "rid-1");
    assert.equal(refused.headers.get("x-kiln-tier"), null, "nothing ran");
  });
});

Deno.test("Router gives a signed token to executions outside the in-process tiers", async () => {
  await withApps(async (t) => {
    const tokens: string[] = [];
    const router = routerOf(t, {
      llm: {
        run(component, inv) {
          for (const tier of [undefined, "container"] as const) {
            inv.decide(tier && { tier, reason: "test", accepts: {} });
            using bound = inv.bind(component);
            assert.ok(t.kiln.executionTokens.verify(bound.token));
            tokens.push(bound.token);
          }
          return Promise.resolve({
            requestId: inv.requestId,
            resultType: "generic",
            data: {},
            metrics: { execution_time_ms: 1, mcp_calls: [] },
          });
        },
      },
    });
    assert.equal((await postPhone(router)).status, 200);
    assert.equal(tokens.length, 2);
    for (const token of tokens) {
      assert.match(token, /^kiln_exec_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, "signed");
      assert.equal(t.kiln.executionTokens.inspect(token)?.revoked, true, "revoked at the end");
    }
  });
});

Deno.test("Router answers an unexpected failure of a kind as INTERNAL and logs its stack", async () => {
  await withApps(async (t) => {
    const records: Record<string, unknown>[] = [];
    const logger = new Logger({}, "info", (r) => records.push(r));
    const router = routerOf(t, {
      llm: { run: () => Promise.reject(new TypeError("kind bug")) },
    }, logger);
    const res = await postPhone(router);
    assert.equal(res.status, 500);
    const { error } = await res.json();
    assert.deepEqual([error.code, error.message], ["INTERNAL", "internal error"]);
    const failed = records.filter((r) => r.msg === "invocation failed unexpectedly");
    assert.equal(failed.length, 1);
    assert.equal(failed[0].error, "TypeError: kind bug");
    assert.match(String(failed[0].stack), /kind bug/);
    assert.equal(failed[0].componentId, "format-phone");
  });
});

Deno.test("Router blames a component, not its caller, for a tool error it lets escape", async () => {
  await withApps(async (t) => {
    const records: Record<string, unknown>[] = [];
    const logger = new Logger({}, "info", (r) => records.push(r));
    // A kind that runs the way a guest does: one tool call through its bound host, and the
    // error that call threw handed back as the component's answer (`prefix` as runners do).
    const guest = (args: unknown, prefix = "", handled = false) => ({
      async run(component: ComponentDefinition, inv: Invocation): Promise<ExecuteResponse> {
        inv.decide({ tier: "wasm", reason: "test kind", accepts: {} });
        using bound = inv.bind({ ...component, permissions: ["core.state.setRuntimeValue"] });
        try {
          await bound.host.callTool("core.state.setRuntimeValue", args);
          return {
            requestId: inv.requestId,
            resultType: "generic" as const,
            data: { ok: 1 },
            metrics: { execution_time_ms: 1, mcp_calls: [] },
          };
        } catch (err) {
          const e = err as KilnError;
          const data = handled
            ? { code: e.code, message: "the caller's phone is wrong" }
            : { code: e.code, message: `${prefix}${e.message}` };
          return {
            requestId: inv.requestId,
            resultType: "error" as const,
            data,
            metrics: { execution_time_ms: 1, mcp_calls: [] },
          };
        }
      },
    });
    const getUser = (router: Router) =>
      router.handle(new Request("http://kiln.test/apps/shop/api/users/7"));
    for (const prefix of ["", "McpError: "]) {
      const res = await getUser(routerOf(t, { jit: guest({ key: "k" }, prefix) }, logger));
      assert.equal(res.status, 502);
      const { error } = await res.json();
      assert.equal(error.code, "COMPONENT_FAULT");
      assert.equal(error.details.reason, "toolCall");
      assert.equal(error.details.tool, "core.state.setRuntimeValue");
      assert.equal(error.details.error.code, "VALIDATION_ERROR");
      assert.equal(error.details.componentId, "getUser");
    }
    const logged = records.filter((r) => r.msg === "component fault");
    assert.equal(logged.length, 2);
    assert.equal(logged[0].componentId, "getUser");
    // A component that answers a caller error of its own keeps its code and status.
    const own = await getUser(routerOf(t, { jit: guest({ key: "k" }, "", true) }));
    assert.equal(own.status, 400);
    assert.equal((await own.json()).error.message, "the caller's phone is wrong");
    // A call that works leaves nothing to blame.
    const fine = await getUser(routerOf(t, { jit: guest({ key: "k", value: 1 }) }));
    assert.equal(fine.status, 200);
    await fine.body?.cancel();
    // Kiln's own runners (llm) pass a tool's error on on purpose: it keeps its code.
    const runner = await postPhone(routerOf(t, { llm: guest({ key: "k" }) }));
    assert.equal(runner.status, 400);
    assert.equal((await runner.json()).error.code, "VALIDATION_ERROR");
  });
});
