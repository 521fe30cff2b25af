import assert from "node:assert/strict";
import { dockerTests, jsJob, pyJob, RecordingHost, withTier } from "./_support/containers.ts";
import { minimalApp, startKiln } from "./_support/kiln.ts";

const { ignore } = await dockerTests();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, fn, sanitizeOps: false, sanitizeResources: false });

const PY_COMPONENT = `from kiln import mcp, log, McpError

def handle_request(request_data, context):
    got = mcp.call("core.state.getRuntimeValue", {"key": "stock"})
    try:
        mcp.call("core.state.setRuntimeValue", {"key": "stock", "value": 0})
        denied = None
    except McpError as e:
        denied = e.code
    log.info("served", {"app": context["appId"]})
    print("from print")
    return {"statusCode": 200, "headers": {"content-type": "text/plain"},
            "body": "stock=%s denied=%s input=%s" % (got["value"], denied, request_data["input"]),
            "bodyEncoding": "utf8"}
`;
const JS_COMPONENT = `const got = await mcp.call("core.state.getRuntimeValue", { key: "stock" });
  let denied = null;
  try { await mcp.call("core.state.setRuntimeValue", { key: "stock", value: 0 }); }
  catch (e) { denied = e.code; }
  log.info("served", { app: context.appId });
  return { statusCode: 200, headers: { "content-type": "text/plain" },
           body: "stock=" + got.value + " denied=" + denied + " input=" + requestData.input,
           bodyEncoding: "utf8" };`;

test("a Python and a Deno component are served through the tier with MCP calls and logs", async () => {
  await withTier({}, async (tier) => {
    for (const kind of ["python", "deno"]) {
      const host = new RecordingHost();
      const job = kind === "python"
        ? pyJob(PY_COMPONENT, { host, input: "py" })
        : jsJob(JS_COMPONENT, { host });
      if (kind === "deno") job.request.requestData.input = "js";
      const res = await tier.execute(job);
      assert.equal(res.resultType, "generic", JSON.stringify(res.data));
      assert.deepEqual(
        (res.data as { body: string }).body,
        `stock=5 denied=FORBIDDEN input=${kind === "python" ? "py" : "js"}`,
      );
      assert.deepEqual(host.calls.map((c) => c.tool), [
        "core.state.getRuntimeValue",
        "core.state.setRuntimeValue",
      ]);
      assert.ok(host.logs.some((l) => l.message === "served" && l.source === "sdk"), kind);
      if (kind === "python") {
        assert.ok(host.logs.some((l) => l.message === "from print" && l.source === "console"));
      }
    }
    const broken = await tier.execute(
      pyJob(`def handle_request(r, c):\n    raise KeyError("sku")\n`),
    );
    assert.equal(broken.resultType, "error");
    assert.equal((broken.data as { code: string }).code, "APPLICATION_ERROR");
    assert.match((broken.data as { message: string }).message, /KeyError/);
    const coded = await tier.execute(pyJob(
      `class OutOfStock(Exception):\n    code = "OUT_OF_STOCK"\ndef handle_request(r, c):\n    raise OutOfStock("none left")\n`,
    ));
    assert.deepEqual(coded.data, { code: "OUT_OF_STOCK", message: "OutOfStock: none left" });
  });
});

test("in a real Kiln, container tool calls go through /mcp with the execution token", async () => {
  const k = await startKiln({ containers: true });
  try {
    const tier = k.kiln.containerTier;
    assert.ok(tier, "Docker is reachable, so Kiln started the container tier");
    await k.kiln.registry.registerApplication({
      files: minimalApp("shop", {
        "app_definition.yaml": `appId: shop\ndisplayName: Shop\nversion: 1.0.0\n` +
          `configuration:\n  linux:\n    allowedCommands: [/bin/echo]\n`,
      }),
    });
    const admin = { kind: "admin" as const, appId: "shop" };
    const set = await k.kiln.tools.call(
      "core.state.setRuntimeValue",
      { key: "stock", value: 7 },
      admin,
    );
    assert.ok(!set.isError, JSON.stringify(set.content));
    const { token } = k.kiln.executionTokens.mint({
      appId: "shop",
      componentId: "getUser",
      tools: ["core.state.getRuntimeValue"],
      ttlSeconds: 60,
    });
    for (const kind of ["python", "deno"]) {
      const job = kind === "python"
        ? pyJob(PY_COMPONENT, { appId: "shop", input: kind })
        : jsJob(JS_COMPONENT, { appId: "shop" });
      job.request.context.mcp_token = token;
      job.request.requestData.input = kind;
      const res = await tier.execute(job);
      assert.equal((res.data as { body: string }).body, `stock=7 denied=FORBIDDEN input=${kind}`);
    }
    const forged = jsJob(`return await mcp.call("core.state.getRuntimeValue", { key: "stock" });`, {
      appId: "shop",
    });
    forged.request.context.mcp_token = "kiln_exec_forged";
    const res = await tier.execute(forged);
    assert.equal(res.resultType, "error");
    assert.equal((res.data as { code: string }).code, "UNAUTHORIZED");

    const ran = await k.kiln.tools.call(
      "core.linux.executeCommand",
      { command: "/bin/echo", arguments: ["from", "mcp"] },
      admin,
    );
    assert.deepEqual(ran.structuredContent, { exitCode: 0, stdout: "from mcp\n", stderr: "" });
    const refused = await k.kiln.tools.call(
      "core.linux.executeCommand",
      { command: "/bin/cat", arguments: ["/etc/passwd"] },
      admin,
    );
    assert.equal(refused.isError, true);
    assert.match(JSON.stringify(refused.content), /FORBIDDEN/);
  } finally {
    await k.close();
  }
});
