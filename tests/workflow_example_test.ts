import assert from "node:assert/strict";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import {
  EXAMPLE_TICKETS,
  offlineLlmConfig,
  supportDeskCassettes,
} from "../examples/support_desk_cassettes.ts";
import { startKiln } from "./_support/kiln.ts";

Deno.test("the example triage workflow runs over HTTP: mcp count, jit score, and a fallback when no LLM is configured", async () => {
  const t = await startKiln({ firstStartApp: supportDeskFiles });
  const post = (path: string) =>
    t.raw(
      new Request(`http://kiln.test/apps/support-desk${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          subject: "Cannot log in",
          description: "Our whole team is locked out, urgent",
          customerTier: "enterprise",
          affectedUsers: 40,
        }),
      }),
    );
  try {
    // A cold isolate host plus the first bundle can outlast the score step's 2 s on a busy
    // machine: warm the component through its own route first.
    const warm = await post("/tickets/priority");
    assert.equal(warm.status, 200, await warm.clone().text());
    await warm.body?.cancel();
    const res = await post("/tickets/triage");
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    // With no LLM configured, classify fails and onFailureDefault routes the ticket to review
    // with its rule-based score.
    assert.equal(body.queue, "review");
    assert.equal(body.category, "unclassified");
    assert.equal(body.priority, "P1");
    assert.equal(body.escalated, true);
    const counted = await t.call("GET", "/v1/apps/support-desk/runtime/ticketsTriaged");
    assert.equal(counted.json.value, 1);
    const [summary] = (await t.call("GET", "/v1/apps/support-desk/runs")).json.runs;
    const run = (await t.call("GET", `/v1/apps/support-desk/runs/${summary.runId}`)).json;
    assert.deepEqual(
      run.trace.map((e: { stepId: string; status: string }) => `${e.stepId}:${e.status}`),
      ["count:succeeded", "score:succeeded", "classify:failed", "scoredOnly:succeeded"],
    );
  } finally {
    await t.close();
  }
});

Deno.test("the example triage workflow classifies a ticket through the LLM runner (offline cassette)", async () => {
  const t = await startKiln({
    firstStartApp: supportDeskFiles,
    llm: { config: offlineLlmConfig, cassettes: supportDeskCassettes },
  });
  const { ticket, classification } = EXAMPLE_TICKETS[0];
  const post = (path: string) =>
    t.raw(
      new Request(`http://kiln.test/apps/support-desk${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(ticket),
      }),
    );
  try {
    const warm = await post("/tickets/priority");
    assert.equal(warm.status, 200, await warm.clone().text());
    await warm.body?.cancel();
    const res = await post("/tickets/triage");
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    const [summary0] = (await t.call("GET", "/v1/apps/support-desk/runs")).json.runs;
    const run0 = (await t.call("GET", `/v1/apps/support-desk/runs/${summary0.runId}`)).json;
    assert.equal(body.category, classification.category, JSON.stringify(run0.trace));
    assert.equal(body.urgency, classification.urgency);
    const [summary] = (await t.call("GET", "/v1/apps/support-desk/runs")).json.runs;
    const run = (await t.call("GET", `/v1/apps/support-desk/runs/${summary.runId}`)).json;
    const steps = run.trace.map((e: { stepId: string; status: string }) =>
      `${e.stepId}:${e.status}`
    );
    assert.ok(steps.includes("classify:succeeded"), JSON.stringify(run.trace));
  } finally {
    await t.close();
  }
});
