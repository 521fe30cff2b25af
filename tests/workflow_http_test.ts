import assert from "node:assert/strict";
import { startKiln, type TestKiln } from "./_support/kiln.ts";
import { pollRun, workflowApp } from "./_support/workflow.ts";

const COUNTER = `workflowId: counter
startAt: bump
steps:
  bump:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'visits'" }
    safeToRepeat: false
    transitions: [{ nextStep: pause }]
  pause: { type: control, target: { subtype: wait, durationMs: 300 }, transitions: [{ nextStep: answer }] }
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { visits: steps.bump.output.value, who: trigger.body.who }
    end: true
`;

async function withApp(
  fn: (t: TestKiln) => Promise<void>,
  files = workflowApp("wf", { counter: COUNTER }),
) {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", { files });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    await fn(t);
  } finally {
    await t.close();
  }
}

Deno.test("POST …/workflows/{id}/runs starts a run; GET answers it with its step trace", async () => {
  await withApp(async (t) => {
    const start = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {
      input: { who: "ada" },
    });
    assert.equal(start.status, 202, JSON.stringify(start.json));
    assert.equal(start.json.status, "running");
    assert.equal(start.headers.get("location"), `/v1/apps/wf/runs/${start.json.runId}`);
    const run = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/wf/runs/${start.json.runId}`)).json
    );
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.result, { resultType: "generic", data: { visits: 1, who: "ada" } });
    assert.deepEqual(run.trace.map((e: { stepId: string }) => e.stepId), [
      "bump",
      "pause",
      "answer",
    ]);
    const list = await t.call("GET", "/v1/apps/wf/runs?status=succeeded");
    assert.deepEqual(list.json.runs.map((r: { runId: string }) => r.runId), [run.runId]);
    assert.equal(list.json.runs[0].trace, undefined, "listings leave the trace out");
    const missing = await t.call("GET", "/v1/apps/wf/runs/nope");
    assert.equal(missing.status, 404);
    const unknown = await t.call("POST", "/v1/apps/wf/workflows/ghost/runs", {});
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error.message, /no workflow "ghost"/);
  });
});

Deno.test("the Idempotency-Key header answers the run it started instead of a second run", async () => {
  await withApp(async (t) => {
    const send = () =>
      t.raw(
        new Request("http://kiln.test/v1/apps/wf/workflows/counter/runs", {
          method: "POST",
          headers: {
            authorization: "Bearer test-admin-token-0123456789abcdef",
            "content-type": "application/json",
            "idempotency-key": "order-17",
          },
          body: JSON.stringify({ input: { who: "bo" } }),
        }),
      ).then((r) => r.json());
    const [a, b] = [await send(), await send()];
    assert.equal(a.runId, b.runId);
    await pollRun(async () => (await t.call("GET", `/v1/apps/wf/runs/${a.runId}`)).json);
    assert.equal((await t.call("GET", "/v1/apps/wf/runtime/visits")).json.value, 1);
  });
});

Deno.test("GET …/runs/{id}/events streams each step, then the end of the run", async () => {
  await withApp(async (t) => {
    const start = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {
      input: { who: "cy" },
    });
    const res = await t.raw(
      new Request(`http://kiln.test/v1/apps/wf/runs/${start.json.runId}/events`, {
        headers: { authorization: "Bearer test-admin-token-0123456789abcdef" },
      }),
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => {
      const data = JSON.parse(m[2]);
      return `${m[1]}:${data.stepId ?? ""}:${data.status}`;
    });
    assert.deepEqual(events, [
      "step:bump:succeeded",
      "step:pause:succeeded",
      "step:answer:succeeded",
      "run::succeeded",
    ]);
  });
});

Deno.test("POST …/runs/{id}/cancel cancels a running run; app keys need invoke", async () => {
  await withApp(async (t) => {
    const start = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {});
    const cancel = await t.call("POST", `/v1/apps/wf/runs/${start.json.runId}/cancel`);
    assert.equal(cancel.status, 200);
    assert.equal(cancel.json.status, "cancelled");
    const key = await t.call("POST", "/v1/apps/wf/keys", { permissions: ["app:read"] });
    assert.equal(key.status, 201, JSON.stringify(key.json));
    const denied = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {}, key.json.apiKey);
    assert.equal(denied.status, 403);
    const read = await t.call(
      "GET",
      `/v1/apps/wf/runs/${start.json.runId}`,
      undefined,
      key.json.apiKey,
    );
    assert.equal(read.status, 200);
  });
});

const TRIAGE = `workflowId: triage
startAt: score
steps:
  score:
    type: jit
    target: { language: typescript, script: code/score.ts, function: score }
    inputMapping: { seats: trigger.body.seats }
    transitions: [{ nextStep: route }]
  route:
    type: control
    target: { subtype: choice }
    transitions:
      - { condition: "steps.score.output.urgent", nextStep: refuse }
      - { nextStep: accept }
  accept:
    type: control
    target: { subtype: formatResponse, resultType: httpResponse }
    inputMapping: { statusCode: "201", body: "{'priority': steps.score.output.priority}" }
    end: true
  refuse: { type: control, target: { subtype: fail, code: TOO_URGENT, message: call us } }
`;

const COMPONENTS = `components:
  - componentId: score
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/score.ts, function: score, language: typescript }
  - componentId: triage
    handlerType: workflow
    taskDetails: { workflowId: triage }
    routeMatcher: { pathPattern: /triage, methods: [POST] }
`;

const SCORE = `export function score(req: { input: { seats: number } }) {
  const seats = req.input.seats;
  return { priority: seats > 10 ? "P1" : "P3", urgent: seats > 100 };
}
`;

Deno.test("a handlerType: workflow component answers over HTTP, its jit step on the isolate tier", async () => {
  const files = workflowApp("wf", { triage: TRIAGE }, {
    components: COMPONENTS,
    code: { "code/score.ts": SCORE },
  });
  await withApp(async (t) => {
    const post = (seats: number) =>
      t.raw(
        new Request("http://kiln.test/apps/wf/triage", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ seats }),
        }),
      );
    const ok = await post(12);
    assert.equal(ok.status, 201, await ok.clone().text());
    assert.deepEqual(await ok.json(), { priority: "P1" });
    const refused = await post(500);
    assert.equal(refused.status, 500);
    const body = await refused.json();
    assert.equal(body.error.code, "TOO_URGENT");
    assert.equal(body.error.details.stepId, "refuse");
    const runs = await t.kiln.workflows.list("wf");
    assert.equal(runs.length, 2);
    const run = await t.kiln.workflows.get("wf", runs[0].runId);
    assert.deepEqual(run.outputs.score, { priority: "P1", urgent: true });
  }, files);
});

Deno.test("the run routes are in /openapi.json", async () => {
  const t = await startKiln();
  try {
    const doc = await t.call("GET", "/openapi.json", undefined, null);
    assert.equal(doc.status, 200);
    for (
      const path of [
        "/v1/apps/{appId}/workflows/{workflowId}/runs",
        "/v1/apps/{appId}/runs",
        "/v1/apps/{appId}/runs/{runId}",
        "/v1/apps/{appId}/runs/{runId}/events",
        "/v1/apps/{appId}/runs/{runId}/cancel",
      ]
    ) assert.ok(doc.json.paths[path], path);
  } finally {
    await t.close();
  }
});

Deno.test("registering an app refuses a workflow that fails the static checks, naming the field", async () => {
  const t = await startKiln();
  try {
    const bad = COUNTER.replace("nextStep: answer", "nextStep: nowhere");
    const reg = await t.call("POST", "/v1/apps", { files: workflowApp("wf", { counter: bad }) });
    assert.equal(reg.status, 400, JSON.stringify(reg.json));
    const issues = reg.json.error.details.issues as {
      path: string;
      field?: string;
      message: string;
    }[];
    assert.ok(
      issues.some((i) =>
        i.path === "workflows/counter.yaml" && i.field === "steps.pause.transitions[0].nextStep" &&
        /unknown step "nowhere"/.test(i.message)
      ),
      JSON.stringify(issues),
    );
    assert.equal((await t.call("GET", "/v1/apps/wf")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("a run keeps the workflow revision it started with when the app changes mid-run", async () => {
  await withApp(async (t) => {
    const start = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {
      input: { who: "v1" },
    });
    const changed = await t.call("PUT", "/v1/apps/wf/definitions/file", {
      path: "workflows/counter.yaml",
      content: COUNTER.replace("who: trigger.body.who", "who: \"'changed'\""),
      commitMessage: "change the answer",
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    const old = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/wf/runs/${start.json.runId}`)).json
    );
    assert.equal(old.result.data.who, "v1");
    assert.notEqual(old.revision, changed.json.resultingRevision);
    const next = await t.call("POST", "/v1/apps/wf/workflows/counter/runs", {
      input: { who: "v2" },
    });
    const fresh = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/wf/runs/${next.json.runId}`)).json
    );
    assert.equal(fresh.result.data.who, "changed");
  });
});

const GREET = (routed: boolean) =>
  `workflowId: greet
startAt: read
steps:
  read:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { name: trigger.body.customer.name }
    transitions:
      onSuccess: hello
${
    routed
      ? "      onFailure: [{ condition: \"step.output.error.code == 'VALIDATION_ERROR'\", nextStep: stranger }]\n"
      : ""
  }  hello:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { greeting: "'hello ' + steps.read.output.data.name" }
    end: true
  stranger:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { greeting: "'hello stranger'" }
    end: true
`;

Deno.test("an expression the request does not fit is a routable step failure, else a 400", async () => {
  const components = `components:
  - componentId: greet
    handlerType: workflow
    taskDetails: { workflowId: greet }
    routeMatcher: { pathPattern: /greet, methods: [POST] }
  - componentId: strict
    handlerType: workflow
    taskDetails: { workflowId: strict }
    routeMatcher: { pathPattern: /strict, methods: [POST] }
`;
  const files = workflowApp("wf", {
    greet: GREET(true),
    strict: GREET(false).replace("workflowId: greet", "workflowId: strict").split("  stranger:")[0],
  }, { components });
  await withApp(async (t) => {
    const post = async (path: string, body: unknown) => {
      const res = await t.raw(
        new Request(`http://kiln.test/apps/wf/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
      return { status: res.status, json: await res.json() };
    };
    const named = await post("greet", { customer: { name: "ada" } });
    assert.deepEqual(named.json, { greeting: "hello ada" });
    const routed = await post("greet", {});
    assert.ok(routed.status < 300, `${routed.status} ${JSON.stringify(routed.json)}`);
    assert.deepEqual(routed.json, { greeting: "hello stranger" }, "onFailure routed it");
    const refused = await post("strict", { customer: {} });
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, "VALIDATION_ERROR");
    assert.match(refused.json.error.message, /the request does not fit expression/);
  }, files);
});
