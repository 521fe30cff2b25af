import assert from "node:assert/strict";
import { Authenticator, setupAdminToken } from "../src/auth/mod.ts";
import { CodeBundler, codeHandler } from "../src/bundler/mod.ts";
import { silentLogger } from "../src/core/mod.ts";
import { createHttpHandler } from "../src/http/mod.ts";
import { Router } from "../src/router/mod.ts";
import { SandboxManager } from "../src/sandbox/mod.ts";
import { dockerTests } from "./_support/containers.ts";
import { ADMIN_TOKEN, minimalApp, startKiln } from "./_support/kiln.ts";

const { ignore } = await dockerTests();

const APP = {
  "component_registry.yaml": `components:
  - componentId: pyStock
    handlerType: jit
    runtime: container
    taskDetails: { script: code/stock.py, function: handle_request, language: python }
    expectedResultFormat: httpResponse
    routeMatcher: { pathPattern: /py/stock/:sku, methods: [GET] }
    permissions: [core.state.getRuntimeValue]
  - componentId: jsStock
    handlerType: jit
    trust: untrusted
    taskDetails: { script: code/stock.ts, function: stock, language: typescript }
    routeMatcher: { pathPattern: /js/stock/:sku, methods: [GET] }
    permissions: [core.state.getRuntimeValue]
`,
  "code/stock.py": `from kiln import mcp, log

def handle_request(request_data, context):
    sku = request_data["httpDetails"]["pathParameters"]["sku"]
    got = mcp.call("core.state.getRuntimeValue", {"key": "stock:" + sku})
    log.info("stock looked up", {"sku": sku})
    return {"statusCode": 200, "headers": {"content-type": "application/json", "x-runner": "python"},
            "body": '{"sku": "%s", "stock": %s}' % (sku, got.get("value")), "bodyEncoding": "utf8"}
`,
  "code/stock.ts": `import { mcp } from "kiln:sdk";
export async function stock(req: { httpDetails: { pathParameters: { sku: string } } }) {
  const sku = req.httpDetails.pathParameters.sku;
  const got = await mcp.call("core.state.getRuntimeValue", { key: "stock:" + sku }) as
    { value?: number };
  return { sku, stock: got.value ?? null, runner: typeof Deno === "object" ? "deno" : "other" };
}
`,
};

Deno.test({
  name: "a Python and a Deno component are served over HTTP from containers",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await startKiln({ containers: true });
    const { registry, state, tools, executionTokens, mcp } = t.kiln;
    const tier = t.kiln.containerTier!;
    const sandbox = new SandboxManager([tier], silentLogger);
    const router = new Router({
      registry,
      handlers: { jit: codeHandler({ bundler: new CodeBundler(state), sandbox }) },
      tools,
      executionTokens,
      logger: silentLogger,
    });
    const admin = await setupAdminToken(t.kiln.store, ADMIN_TOKEN);
    const auth = new Authenticator(
      admin.verifier,
      (key) => registry.validateApiKey(key),
      executionTokens,
    );
    const app = {
      fetch: createHttpHandler({
        registry,
        state,
        auth,
        logger: silentLogger,
        version: "test",
        executionTokens,
        mcp,
        router,
      }),
    };
    try {
      await registry.registerApplication({ files: minimalApp("shop", APP) });
      const set = await tools.call("core.state.setRuntimeValue", { key: "stock:ab1", value: 9 }, {
        kind: "admin",
        appId: "shop",
      });
      assert.ok(!set.isError);

      const py = await app.fetch(new Request("http://kiln.test/apps/shop/py/stock/ab1"));
      assert.equal(py.status, 200, await py.clone().text());
      assert.equal(py.headers.get("x-kiln-tier"), "container");
      assert.equal(py.headers.get("x-runner"), "python");
      assert.deepEqual(await py.json(), { sku: "ab1", stock: 9 });

      const js = await app.fetch(new Request("http://kiln.test/apps/shop/js/stock/ab1"));
      assert.equal(js.status, 200, await js.clone().text());
      assert.equal(js.headers.get("x-kiln-tier"), "container");
      assert.match(js.headers.get("x-kiln-tier-reason") ?? "", /untrusted/);
      assert.deepEqual(await js.json(), { sku: "ab1", stock: 9, runner: "deno" });
    } finally {
      await sandbox.close();
      await t.close();
    }
  },
});
