/**
 * An app author's day with Kiln, through the public surfaces only: an app deployed by stock
 * `git push` with its schemas as files (`schemas/*.schema.json`, one `$ref`ing another), called
 * over HTTP and as MCP tools with the official SDK client, with valid and invalid input, and a
 * coded error (`NO_REVIEWS`) followed through a workflow's `onFailure`.
 */
import assert from "node:assert/strict";
import { git } from "./_support/git.ts";
import { ADMIN_TOKEN } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import { connectV1 } from "./_support/mcp_clients.ts";

const COMMON = {
  $defs: { Priority: { type: "string", enum: ["low", "high"] } },
};
const TICKET = {
  type: "object",
  properties: {
    subject: { type: "string", minLength: 1 },
    priority: { $ref: "common.schema.json#/$defs/Priority" },
  },
  required: ["subject", "priority"],
  additionalProperties: false,
};
const SCORE = {
  type: "object",
  properties: { score: { type: "integer" } },
  required: ["score"],
};

const COMPONENTS = `components:
  - componentId: priority
    description: Scores a ticket by its priority.
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/tickets.ts, function: priority, language: typescript }
    routeMatcher: { pathPattern: /tickets/priority, methods: [POST] }
    inputSchema: schemas/ticket.schema.json
    outputSchema: schemas/score.schema.json
  - componentId: lying
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/tickets.ts, function: lying, language: typescript }
    routeMatcher: { pathPattern: /tickets/lying, methods: [POST] }
    outputSchema: schemas/score.schema.json
  - componentId: careless
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/tickets.ts, function: careless, language: typescript }
    routeMatcher: { pathPattern: /tickets/careless, methods: [POST] }
    permissions: [core.state.setRuntimeValue]
  - componentId: reviews
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/tickets.ts, function: reviews, language: typescript }
    routeMatcher: { pathPattern: /reviews, methods: [GET] }
  - componentId: summary
    handlerType: workflow
    taskDetails: { workflowId: summary }
    routeMatcher: { pathPattern: /summary, methods: [POST] }
`;

const CODE = `import { mcp } from "kiln:sdk";
export function priority(req: { httpDetails?: { body: string }; input?: { priority: string } }) {
  const input = req.input ?? JSON.parse(req.httpDetails!.body);
  return { score: input.priority === "high" ? 2 : 1 };
}
export function lying() {
  return { score: "very high" };
}
export async function careless() {
  // The author forgot the value: the tool refuses the arguments, and nothing catches that.
  await mcp.call("core.state.setRuntimeValue", { key: "seen" });
  return { ok: true };
}
export function reviews() {
  throw Object.assign(new Error("no reviews for this product yet"), { code: "NO_REVIEWS" });
}
`;

const SUMMARY = `workflowId: summary
startAt: fetch
steps:
  fetch:
    type: jit
    target: { componentId: reviews }
    transitions:
      onSuccess: answer
      onFailure:
        - condition: "step.output.error.code == 'NO_REVIEWS'"
          nextStep: noReviews
      onFailureDefault: broken
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { summary: "'reviewed'" }
    end: true
  noReviews:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { summary: "'no reviews yet'", why: steps.fetch.output.error.message }
    end: true
  broken: { type: control, target: { subtype: fail, code: UNEXPECTED } }
`;

const FIRST_COMPONENT = COMPONENTS.split("\n  - ").slice(0, 2).join("\n  - ");
const RANK = `workflowId: rank
startAt: score
steps:
  score:
    type: jit
    target: { componentId: priority }
    inputMapping: { subject: trigger.body.subject, priority: trigger.body.priority }
    end: true
`;

const APP_DEFINITION = "appId: desk\ndisplayName: Desk\nversion: 1.0.0\n";

Deno.test("an app author deploys by git push and finds schemas and error codes kept end to end", async () => {
  const k = await startMcpKiln({ kiln: { watch: false } });
  const work = await Deno.makeTempDir({ prefix: "kiln-author-" });
  try {
    // Deploy: register an empty app, then push the real one with stock git.
    const reg = await adminApi(k.url, "POST", "/v1/apps", {
      files: { "app_definition.yaml": APP_DEFINITION },
    });
    const dir = `${work}/desk`;
    await git(["clone", "-q", reg.repository, dir]);
    const files: Record<string, string> = {
      "component_registry.yaml": COMPONENTS,
      "code/tickets.ts": CODE,
      "workflows/summary.yaml": SUMMARY,
      "workflows/rank.yaml": RANK,
      "schemas/common.schema.json": JSON.stringify(COMMON, null, 2),
      "schemas/ticket.schema.json": JSON.stringify(TICKET, null, 2),
      "schemas/score.schema.json": JSON.stringify(SCORE, null, 2),
    };
    await Deno.mkdir(`${dir}/state/code`, { recursive: true });
    await Deno.mkdir(`${dir}/state/workflows`, { recursive: true });
    await Deno.mkdir(`${dir}/state/schemas`, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/state/${path}`, text);
    }
    await git(["add", "-A"], dir);
    await git(["commit", "-qm", "The desk app"], dir);
    await git(["push", "-q", "origin", "HEAD:main"], dir);
    const pushed = (await git(["rev-parse", "HEAD"], dir)).trim();
    const synced = await adminApi(k.url, "POST", "/v1/apps/desk/sync");
    assert.equal(synced.status, "ACTIVE", JSON.stringify(synced));
    assert.equal(synced.revision, pushed);

    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${k.url}/apps/desk${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };

    // HTTP, valid input: the schema from the file (and the file it $refs) admits it.
    const ok = await post("/tickets/priority", { subject: "printer", priority: "high" });
    assert.deepEqual(ok, { status: 200, json: { score: 2 } });

    // HTTP, invalid input: 400 before any code runs, each failing JSON pointer named.
    const bad = await post("/tickets/priority", { bogus: true, priority: "urgent" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, "VALIDATION_ERROR");
    const pointers = bad.json.error.details.issues.map((i: { pointer: string }) => i.pointer);
    assert.deepEqual(pointers.sort(), ["/bogus", "/priority", "/subject"]);
    assert.match(bad.json.error.message, /\/bogus must NOT have additional properties/);

    // A component that breaks its own outputSchema is its fault: 502, not the caller's.
    const lying = await post("/tickets/lying", {});
    assert.equal(lying.status, 502, JSON.stringify(lying.json));
    assert.equal(lying.json.error.code, "COMPONENT_FAULT");
    assert.equal(lying.json.error.details.reason, "outputSchema");
    assert.equal(lying.json.error.details.componentId, "lying");
    assert.deepEqual(lying.json.error.details.issues.map((i: { pointer: string }) => i.pointer), [
      "/score",
    ]);

    // A component whose own mcp.call has wrong arguments is at fault too (never a 400).
    const careless = await post("/tickets/careless", {});
    assert.equal(careless.status, 502, JSON.stringify(careless.json));
    assert.equal(careless.json.error.code, "COMPONENT_FAULT");
    assert.equal(careless.json.error.details.reason, "toolCall");
    assert.equal(careless.json.error.details.tool, "core.state.setRuntimeValue");
    assert.equal(careless.json.error.details.error.code, "VALIDATION_ERROR");

    // A coded error keeps its code and message over HTTP.
    const reviews = await fetch(`${k.url}/apps/desk/reviews`);
    assert.equal(reviews.status, 500);
    const reviewsBody = await reviews.json();
    assert.equal(reviewsBody.error.code, "NO_REVIEWS");
    assert.equal(reviewsBody.error.message, "no reviews for this product yet");

    // ...and through a workflow, where onFailure routes on it.
    const summary = await post("/summary", {});
    assert.equal(summary.status, 200, JSON.stringify(summary.json));
    assert.deepEqual(summary.json, {
      summary: "no reviews yet",
      why: "no reviews for this product yet",
    });

    // A workflow step's mapped input is checked against the component's schema as well.
    const run = async (input: unknown) => {
      const started = await adminApi(k.url, "POST", "/v1/apps/desk/workflows/rank/runs", {
        input,
      });
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        const got = await adminApi(k.url, "GET", `/v1/apps/desk/runs/${started.runId}`);
        if (got.status !== "running") return got;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("the run did not end");
    };
    const ranked = await run({ subject: "printer", priority: "low" });
    assert.equal(ranked.status, "succeeded", JSON.stringify(ranked.error));
    const refusedStep = await run({ subject: "printer", priority: "urgent" });
    assert.equal(refusedStep.status, "failed");
    assert.equal(refusedStep.error.code, "VALIDATION_ERROR", JSON.stringify(refusedStep.error));
    assert.match(
      refusedStep.error.message,
      /\/priority must be equal to one of the allowed values/,
    );

    // MCP with the official SDK client: the tools carry the real, bundled schemas.
    const { client } = await connectV1(k.mcpUrl, ADMIN_TOKEN);
    try {
      const { tools } = await client.listTools();
      const tool = tools.find((t) => t.name === "app.desk.priority")!;
      assert.equal(tool.description, "Scores a ticket by its priority.");
      assert.deepEqual(tool.inputSchema.required, ["subject", "priority"]);
      assert.equal(tool.inputSchema.additionalProperties, false);
      const priority = (tool.inputSchema.properties as Record<string, { $ref: string }>).priority;
      const defs = tool.inputSchema.$defs as Record<string, unknown>;
      assert.equal(priority.$ref, "#/$defs/schemas_common.schema.json/$defs/Priority");
      assert.deepEqual(
        (defs["schemas_common.schema.json"] as typeof COMMON).$defs.Priority,
        COMMON.$defs.Priority,
      );
      assert.deepEqual(tool.outputSchema, SCORE);
      assert.equal(tool.annotations?.readOnlyHint, true, "it calls no tool: it only reads");
      assert.equal(tool.annotations?.destructiveHint, false);
      const careless = tools.find((t) => t.name === "app.desk.careless")!;
      assert.equal(careless.annotations?.readOnlyHint, false, "it may write runtime state");
      assert.equal(careless.annotations?.destructiveHint, true);
      const wf = tools.find((t) => t.name === "app.desk.summary")!;
      assert.equal(wf.annotations?.readOnlyHint, false);

      const good = await client.callTool({
        name: "app.desk.priority",
        arguments: { subject: "printer", priority: "low" },
      });
      assert.equal(good.isError, undefined, JSON.stringify(good));
      assert.deepEqual(good.structuredContent, { score: 1 });

      const wrong = await client.callTool({
        name: "app.desk.priority",
        arguments: { subject: "", priority: "low" },
      });
      assert.equal(wrong.isError, true);
      const wrongError = errorOf(wrong);
      assert.equal(wrongError.code, "VALIDATION_ERROR");
      assert.deepEqual(wrongError.details.issues.map((i: { pointer: string }) => i.pointer), [
        "/subject",
      ]);

      const coded = await client.callTool({ name: "app.desk.reviews", arguments: {} });
      assert.equal(coded.isError, true);
      assert.deepEqual(
        { code: errorOf(coded).code, message: errorOf(coded).message },
        { code: "NO_REVIEWS", message: "no reviews for this product yet" },
      );
    } finally {
      await client.close();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
    await k.close();
  }
});

Deno.test("a push whose schema $ref does not resolve is not served, and says which ref", async () => {
  const k = await startMcpKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-author-" });
  try {
    const reg = await adminApi(k.url, "POST", "/v1/apps", {
      files: { "app_definition.yaml": APP_DEFINITION },
    });
    const dir = `${work}/desk`;
    await git(["clone", "-q", reg.repository, dir]);
    await Deno.mkdir(`${dir}/state/schemas`, { recursive: true });
    await Deno.mkdir(`${dir}/state/code`, { recursive: true });
    await Deno.writeTextFile(`${dir}/state/component_registry.yaml`, FIRST_COMPONENT);
    await Deno.writeTextFile(`${dir}/state/code/tickets.ts`, CODE);
    await Deno.writeTextFile(`${dir}/state/schemas/score.schema.json`, JSON.stringify(SCORE));
    // ticket.schema.json names common.schema.json, which the author forgot to add.
    await Deno.writeTextFile(`${dir}/state/schemas/ticket.schema.json`, JSON.stringify(TICKET));
    await git(["add", "-A"], dir);
    await git(["commit", "-qm", "Forgot a schema"], dir);
    const why =
      /\$ref "common\.schema\.json#\/\$defs\/Priority" in "schemas\/ticket\.schema\.json" names "schemas\/common\.schema\.json", which is not a file in state\//;
    const refused = await git(["push", "-q", "origin", "HEAD:main"], dir).then(
      () => null,
      (err: Error) => err.message,
    );
    const status = await adminApi(k.url, "POST", "/v1/apps/desk/sync");
    assert.equal(status.revision, reg.revision, "the last valid revision keeps serving");
    if (refused !== null) {
      // A pre-receive hook refused the push: its reasons say which ref.
      assert.match(refused, why);
    } else {
      assert.equal(status.status, "DEGRADED");
      const issues = status.invalidRevision.issues;
      assert.ok(
        issues.some((i: { path: string; field?: string; message: string }) =>
          i.path === "component_registry.yaml" && i.field === "components.0.inputSchema" &&
          why.test(i.message)
        ),
        JSON.stringify(issues),
      );
    }
    // The API refuses the same tree on registration, naming the same ref.
    const again = await fetch(`${k.url}/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        files: {
          "app_definition.yaml": APP_DEFINITION.replace("desk", "desk2"),
          "component_registry.yaml": FIRST_COMPONENT,
          "code/tickets.ts": CODE,
          "schemas/score.schema.json": JSON.stringify(SCORE),
          "schemas/ticket.schema.json": JSON.stringify(TICKET),
        },
      }),
    });
    assert.equal(again.status, 400);
    const body = await again.json();
    assert.equal(body.error.code, "VALIDATION_ERROR");
    assert.match(body.error.message, why);
    assert.equal(
      await fetch(`${k.url}/v1/apps/desk2`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then(async (r) => (await r.body?.cancel(), r.status)),
      404,
      "nothing left behind",
    );
    const res = await fetch(`${k.url}/apps/desk/tickets/priority`, {
      method: "POST",
      body: JSON.stringify({ subject: "x", priority: "low" }),
    });
    assert.equal(res.status, 404, "the component the broken push adds is not served");
    await res.body?.cancel();
  } finally {
    await Deno.remove(work, { recursive: true });
    await k.close();
  }
});

// deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
function errorOf(result: any): any {
  const text = result.content.find((c: { type: string }) => c.type === "text").text;
  return JSON.parse(text).error;
}
