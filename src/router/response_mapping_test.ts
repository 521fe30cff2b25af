import assert from "node:assert/strict";
import { KilnError, sandboxKilled, SandboxTimeoutError } from "../core/mod.ts";
import { ComponentDefinition, type ExecuteResponse } from "../models/mod.ts";
import { errorToHttp, resultToHttp, resultToToolOutput } from "./response_mapping.ts";

const generic = ComponentDefinition.parse({
  componentId: "c",
  handlerType: "jit",
  taskDetails: { script: "code/c.ts", function: "run", language: "typescript" },
});
const http = { ...generic, expectedResultFormat: "httpResponse" as const };

function result(resultType: ExecuteResponse["resultType"], data: unknown): ExecuteResponse {
  return { requestId: "r", resultType, data, metrics: { execution_time_ms: 1, mcp_calls: [] } };
}

function fails(fn: () => unknown, code: string): KilnError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("resultToHttp() answers generic results as 200 JSON", async () => {
  for (const data of [{ a: 1 }, [1, 2], "text", 0, null, undefined]) {
    const res = resultToHttp(result("generic", data), generic);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(await res.json(), data === undefined ? null : data);
  }
});

Deno.test("resultToHttp() proxies httpResponse results, decoding base64 bodies", async () => {
  const bytes = new Uint8Array([0, 1, 254, 255]);
  const res = resultToHttp(
    result("httpResponse", {
      statusCode: 202,
      headers: { "Content-Type": "application/x-thing", "X-A": "1", "Content-Length": "99" },
      body: btoa(String.fromCharCode(...bytes)),
      bodyEncoding: "base64",
    }),
    generic,
  );
  assert.equal(res.status, 202);
  assert.equal(res.headers.get("x-a"), "1");
  assert.equal(res.headers.get("content-length"), null, "framing headers are Kiln's");
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);

  const declared = resultToHttp(result("generic", { statusCode: 204, body: "ignored" }), http);
  assert.equal(declared.status, 204, "expectedResultFormat httpResponse reads generic data");
  assert.equal(await declared.text(), "");
});

Deno.test("resultToHttp() answers 502 for httpResponse data it cannot proxy", () => {
  const cases: unknown[] = [
    { statusCode: "200" },
    { statusCode: 700 },
    { statusCode: 101 },
    { statusCode: 200, headers: { "bad header": "x" } },
    { statusCode: 200, body: "%%%", bodyEncoding: "base64" },
    "not an object",
  ];
  for (const data of cases) {
    const err = fails(() => resultToHttp(result("generic", data), http), "BAD_GATEWAY");
    assert.match(err.message, /component "c" answered (an invalid|an unusable) httpResponse/);
  }
  fails(() => resultToHttp(result("workflowStep", {}), generic), "BAD_GATEWAY");
});

Deno.test("resultToHttp() maps error results by code: Kiln codes keep their status, others 500", async () => {
  const cases: [unknown, number][] = [
    [{ code: "NOT_FOUND", message: "gone" }, 404],
    [{ code: "VALIDATION_ERROR", message: "bad", details: { field: "x" } }, 400],
    [{ code: "APPLICATION_ERROR", message: "boom" }, 500],
    [{ code: "OUT_OF_STOCK", message: "none left" }, 500],
  ];
  for (const [data, status] of cases) {
    const res = resultToHttp(result("error", data), generic);
    assert.equal(res.status, status);
    assert.deepEqual(await res.json(), { error: data });
  }
  fails(() => resultToHttp(result("error", { message: "no code" }), generic), "BAD_GATEWAY");
});

Deno.test("errorToHttp() gives sandbox failures their status and keeps the kill reason", async () => {
  const cases: [KilnError, number][] = [
    [new SandboxTimeoutError("too slow"), 504],
    [sandboxKilled("memory", "heap exhausted"), 500],
    [new KilnError("OVERLOADED", "queue full"), 429],
    [new KilnError("TIER_UNAVAILABLE", "no container"), 503],
    [new KilnError("UNAUTHORIZED", "key needed"), 401],
  ];
  for (const [err, status] of cases) {
    const res = errorToHttp(err);
    assert.equal(res.status, status);
    assert.deepEqual(await res.json(), err.toJSON());
  }
  assert.equal(errorToHttp(sandboxKilled("stack", "deep")).status, 500);
  const killed = await errorToHttp(sandboxKilled("memory", "heap")).json();
  assert.equal(killed.error.details.reason, "memory");
  assert.equal(errorToHttp(new KilnError("OVERLOADED", "x")).headers.get("retry-after"), "1");
  const held = new KilnError("OVERLOADED", "x", { retryAfterMs: 2_400 });
  assert.equal(errorToHttp(held).headers.get("retry-after"), "3", "from the error's own wait");
  assert.match(
    errorToHttp(new KilnError("UNAUTHORIZED", "x")).headers.get("www-authenticate")!,
    /^Bearer/,
  );
});

Deno.test("resultToToolOutput() answers objects as they are and wraps everything else", () => {
  assert.deepEqual(resultToToolOutput(result("generic", { a: 1 }), generic), { a: 1 });
  assert.deepEqual(resultToToolOutput(result("generic", [1]), generic), { result: [1] });
  assert.deepEqual(resultToToolOutput(result("generic", undefined), generic), { result: null });
  assert.deepEqual(
    resultToToolOutput(result("generic", { statusCode: 200, body: "hi" }), http),
    { statusCode: 200, headers: {}, body: "hi", bodyEncoding: "utf8" },
  );
  const known = fails(
    () => resultToToolOutput(result("error", { code: "CONFLICT", message: "taken" }), generic),
    "CONFLICT",
  );
  assert.equal(known.message, "taken");
  // An app's own code reaches the caller (a workflow's onFailure, an MCP client) as it was.
  const custom = fails(
    () => resultToToolOutput(result("error", { code: "OUT_OF_STOCK", message: "none" }), generic),
    "OUT_OF_STOCK",
  );
  assert.equal(custom.message, "none");
  assert.equal(custom.status, 500);
});

Deno.test("resultToHttp() keeps a component's own code and bounds its message and details", async () => {
  const long = "x".repeat(10_000);
  const res = resultToHttp(
    result("error", { code: "NO_REVIEWS", message: long, details: { big: long.repeat(4) } }),
    generic,
  );
  assert.equal(res.status, 500);
  const { error } = await res.json();
  assert.equal(error.code, "NO_REVIEWS");
  assert.equal(error.message.length, 2_049, "cut to component.error.message plus a marker");
  assert.equal(error.details, undefined, "details over component.error.details are dropped");
  const odd = await resultToHttp(
    result("error", { code: "not a code <script>", message: "m" }),
    generic,
  ).json();
  assert.equal(odd.error.code, "APPLICATION_ERROR");
});
