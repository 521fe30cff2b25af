import assert from "node:assert/strict";
import { failed, ok } from "./_support/tools.ts";
import type { ToolCaller } from "../src/mcp/mod.ts";
import { startIngress } from "./_support/ingress.ts";
import { minimalApp } from "./_support/kiln.ts";

const component = (id: string, fields: string) =>
  `  - componentId: ${id}
    handlerType: jit
    taskDetails: { script: code/${id}.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /${id}, methods: [GET, POST] }
${fields}`;

const APP = {
  "component_registry.yaml": `components:
${component("version", "    trust: trusted\n")}
${component("untrusted", "    trust: untrusted\n")}
${component("slow", "    trust: trusted\n    limits: { timeoutMs: 1 }\n")}
${component("huge", "    trust: trusted\n")}
${component("broken", "    trust: trusted\n")}
${component("badhttp", "    trust: trusted\n    expectedResultFormat: httpResponse\n")}
${
    component("keyed", "    trust: trusted\n").replace(
      "methods: [GET, POST] }",
      "methods: [GET], auth: apiKey }",
    )
  }
${component("add", "    trust: trusted\n")}
${component("count", "    trust: trusted\n")}
${component("chain", "    trust: trusted\n    permissions: [app.calc.add]\n")}
  - componentId: classify
    handlerType: llm
    taskDetails: { promptTemplate: classify }
    routeMatcher: { pathPattern: /classify, methods: [POST] }
`,
  "prompts/classify.yaml": "template: Classify {{ text }}\n",
  "code/version.ts": 'export const run = () => ({ version: "one" });\n',
  "code/untrusted.ts": "export const run = () => 1;\n",
  "code/slow.ts": "export const run = () => new Promise(() => {});\n",
  "code/huge.ts": 'export const run = () => "x".repeat(5 << 20);\n',
  "code/broken.ts": 'import pad from "npm:left-pad";\nexport const run = () => pad;\n',
  "code/badhttp.ts": 'export const run = () => ({ statusCode: "teapot" });\n',
  "code/keyed.ts": "export const run = (_r: unknown, c: { userInfo?: unknown }) => c.userInfo;\n",
  "code/add.ts": "export const run = (r: { input: { a: number; b: number } }) =>\n" +
    "  r.input.a < 0 ? Promise.reject(Object.assign(new Error('negative'), { code: 'BAD_REQUEST' }))\n" +
    "  : ({ sum: r.input.a + r.input.b });\n",
  "code/count.ts": "export const run = (r: { input: object }) => Object.keys(r.input).length;\n",
  "code/chain.ts": 'import { mcp } from "kiln:sdk";\n' +
    'export const run = () => mcp.call("app.calc.add", { a: 1, b: 2 });\n',
};

async function json(res: Response) {
  return JSON.parse(await res.text());
}

Deno.test("the tier decision is enforced, explained and never lowered", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("calc", APP) });
    const untrusted = await k.fetch("/apps/calc/untrusted");
    assert.equal(untrusted.status, 503);
    const body = await json(untrusted);
    assert.equal(body.error.code, "TIER_UNAVAILABLE");
    assert.match(body.error.message, /container \(trust untrusted\).*not configured/);
    assert.equal(k.tiers.isolate.jobs.length + k.tiers.wasm.jobs.length, 0, "ran nowhere weaker");

    await k.tiers.isolate.close();
    const moved = await k.fetch("/apps/calc/version");
    assert.equal(moved.status, 200);
    assert.equal(moved.headers.get("x-kiln-tier"), "wasm");
    assert.equal(
      moved.headers.get("x-kiln-tier-reason"),
      "auto: trust trusted -> isolate unavailable (the isolate tier is closed) -> wasm",
    );
    await k.tiers.wasm.close();
    const none = await k.fetch("/apps/calc/version");
    assert.equal(none.status, 503);
    assert.match((await json(none)).error.message, /the wasm tier is closed/);

    const llm = await k.fetch("/apps/calc/classify", { method: "POST", body: '{"text":"hi"}' });
    assert.equal(llm.status, 503, "llm components reach the LLM runner, which has no model here");
    assert.match((await json(llm)).error.message, /no model profile "small"/);
  } finally {
    await k.close();
  }
});

Deno.test("kills, build failures and bad results map to 504, 500 and 502", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("calc", APP) });
    const slow = await k.fetch("/apps/calc/slow");
    assert.equal(slow.status, 504);
    const timeout = await json(slow);
    assert.equal(timeout.error.code, "EXECUTION_TIMEOUT");
    assert.equal(timeout.error.details.reason, "timeout");
    assert.equal(slow.headers.get("x-kiln-tier"), "isolate");

    const huge = await k.fetch("/apps/calc/huge");
    assert.equal(huge.status, 500);
    const killed = await json(huge);
    assert.deepEqual([killed.error.code, killed.error.details.reason], [
      "SANDBOX_KILLED",
      "output",
    ]);

    const broken = await k.fetch("/apps/calc/broken");
    assert.equal(broken.status, 500);
    const build = await json(broken);
    assert.equal(build.error.code, "COMPONENT_BUILD_FAILED");
    assert.match(
      build.error.message,
      /code\/broken.ts:1:\d+: import "npm:left-pad" is not allowed/,
    );

    const bad = await k.fetch("/apps/calc/badhttp");
    assert.equal(bad.status, 502);
    assert.match((await json(bad)).error.message, /invalid httpResponse: statusCode/);

    const outcomes = Object.fromEntries(k.router.stats().map((s) => [s.componentId, s.outcome]));
    assert.deepEqual(outcomes, {
      slow: "timeout",
      huge: "killed",
      broken: "build_failed",
      badhttp: "bad_result",
    });
  } finally {
    await k.close();
  }
});

Deno.test("a new revision's code answers the very next request, without a restart", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("calc", APP) });
    assert.deepEqual(await json(await k.fetch("/apps/calc/version")), { version: "one" });
    await k.t.kiln.state.setDefinitionFileContent(
      "calc",
      "code/version.ts",
      'export const run = () => ({ version: "two" });\n',
      undefined,
      { commitMessage: "v2" },
    );
    assert.deepEqual(await json(await k.fetch("/apps/calc/version")), { version: "two" });
    const builds = k.bundler.stats().builds;
    await k.t.kiln.state.setDefinitionFileContent("calc", "notes.md", "hi\n", undefined, {
      commitMessage: "unrelated",
    });
    assert.deepEqual(await json(await k.fetch("/apps/calc/version")), { version: "two" });
    assert.equal(k.bundler.stats().builds, builds, "an untouched script is not rebuilt");
  } finally {
    await k.close();
  }
});

Deno.test("a registered app's code is built before its first request, which reuses the build", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("calc", APP) });
    const deadline = Date.now() + 20_000;
    // Eight scripts build with no request made (`broken` does not build, `untrusted` has no tier).
    while (k.bundler.stats().builds < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = k.bundler.stats();
    assert.equal(before.builds, 8, "built before any request");
    assert.equal(k.tiers.isolate.jobs.length, 0, "nothing ran");
    assert.deepEqual(await json(await k.fetch("/apps/calc/version")), { version: "one" });
    const after = k.bundler.stats();
    assert.equal(after.builds, before.builds, "the first request did not build again");
    assert.equal(after.revisionHits, before.revisionHits + 1);
  } finally {
    await k.close();
  }
});

Deno.test("apiKey routes need a key of this app with invoke, and tell the component which", async () => {
  const k = await startIngress();
  try {
    const registry = k.t.kiln.registry;
    await registry.registerApplication({ files: minimalApp("calc", APP) });
    await registry.registerApplication({ files: minimalApp("other") });
    const invoke = await registry.createApiKey("calc", { permissions: ["invoke"] });
    const readOnly = await registry.createApiKey("calc", { permissions: ["app:read"] });
    const foreign = await registry.createApiKey("other", { permissions: ["*"] });
    const get = (token?: string) =>
      k.fetch("/apps/calc/keyed", token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, "UNAUTHORIZED"],
      ["kiln_not_a_key", 401, "UNAUTHORIZED"],
      [foreign.apiKey, 403, "FORBIDDEN"],
      [readOnly.apiKey, 403, "FORBIDDEN"],
    ];
    for (const [token, status, code] of cases) {
      const res = await get(token);
      assert.equal(res.status, status, token);
      assert.equal((await json(res)).error.code, code);
      if (status === 401) assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    const res = await get(invoke.apiKey);
    assert.equal(res.status, 200);
    assert.deepEqual(await json(res), { keyId: invoke.keyId });
  } finally {
    await k.close();
  }
});

Deno.test("app.<appId>.<componentId> tools invoke through the router", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("calc", APP) });
    const tools = k.t.kiln.tools;
    const key: ToolCaller = {
      kind: "app",
      appId: "calc",
      keyId: "k1",
      permissions: ["invoke"],
    };
    assert.deepEqual(ok(await tools.call("app.calc.add", { a: 2, b: 3 }, key)), { sum: 5 });
    const job = k.tiers.isolate.jobs.at(-1)!;
    assert.equal(job.request.requestData.source, "internal");
    assert.deepEqual(job.request.context.userInfo, { callerKind: "app", keyId: "k1" });
    const err = failed(await tools.call("app.calc.add", { a: -1, b: 0 }, key), "BAD_REQUEST");
    assert.equal(err.message, "negative");
    assert.deepEqual(ok(await tools.call("app.calc.count", { x: 1, y: 2 }, key)), { result: 2 });
    failed(await tools.call("app.calc.untrusted", {}, key), "TIER_UNAVAILABLE");
    failed(
      await tools.call("app.calc.add", { a: 1, b: 1 }, { ...key, permissions: ["app:read"] }),
      "FORBIDDEN",
    );

    const chained = await k.fetch("/apps/calc/chain");
    assert.deepEqual(await json(chained), { sum: 3 }, "a component may call another it is granted");
    const internal = k.router.stats().find((s) => s.componentId === "add" && s.outcome === "ok")!;
    assert.equal(internal.count, 2);
  } finally {
    await k.close();
  }
});
