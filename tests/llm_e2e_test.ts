/**
 * The LLM gateway end to end through Kiln's public faces: app ingress for the support-desk
 * `classify-ticket` component (replayed from the example's cassette, and live against a local
 * OpenAI-wire stand-in), and `core.llm.generate` over `/mcp` with the official SDK client.
 */
import assert from "node:assert/strict";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import {
  EXAMPLE_TICKETS,
  offlineLlmConfig,
  supportDeskCassettes,
} from "../examples/support_desk_cassettes.ts";
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { startIngress } from "./_support/ingress.ts";
import { startMcpKiln } from "./_support/mcp.ts";
import { connectV1 } from "./_support/mcp_clients.ts";

const OFFLINE = { config: offlineLlmConfig, cassettes: supportDeskCassettes };

async function classify(k: Awaited<ReturnType<typeof startIngress>>, ticket: unknown) {
  const res = await k.fetch("/apps/support-desk/tickets/classify", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ticket),
  });
  return {
    status: res.status,
    provenance: res.headers.get("x-kiln-llm-provenance"),
    body: await res.json(),
  };
}

Deno.test("classify-ticket answers the example tickets offline from the cassette", async () => {
  const k = await startIngress({ llm: OFFLINE });
  try {
    await k.t.kiln.registry.registerApplication({ files: supportDeskFiles });
    for (const { ticket, classification } of EXAMPLE_TICKETS) {
      const { status, body, provenance } = await classify(k, ticket);
      assert.equal(
        status,
        200,
        `${JSON.stringify(body)} (prompt changed? rerun scripts/gen_example_cassette.ts)`,
      );
      assert.deepEqual(body, classification);
      assert.equal(provenance, "recording", "a replayed answer is labelled over HTTP");
    }
    const [usage] = k.t.kiln.llm.meter.snapshot();
    assert.equal(usage.appId, "support-desk");
    assert.equal(usage.provenance, "recording", "replays are metered as recordings");
    assert.equal(usage.calls, EXAMPLE_TICKETS.length);

    const unknown = await classify(k, { subject: "Printer on fire", description: "Help" });
    assert.equal(unknown.status, 503);
    assert.equal(unknown.body.error.code, "LLM_RECORDING_MISSING");
    const noSubject = await classify(k, { description: "no subject" });
    // The component's inputSchema refuses it before the prompt is rendered or a model called.
    assert.equal(noSubject.status, 400);
    assert.equal(noSubject.body.error.code, "VALIDATION_ERROR");
    assert.match(noSubject.body.error.message, /\/subject must have required property 'subject'/);
  } finally {
    await k.close();
  }
});

Deno.test("classify-ticket repairs a bad live answer once, then rejects a second", async () => {
  const good = JSON.stringify(EXAMPLE_TICKETS[0].classification);
  let script = ['{"category":"money"}', good];
  const server = serveWire((_r, i) => json(openAiAnswer(script[i % 2])));
  const k = await startIngress({
    llm: {
      config: {
        profiles: { default: { provider: "openai", baseUrl: `${server.url}/v1`, model: "m" } },
      },
    },
  });
  try {
    await k.t.kiln.registry.registerApplication({ files: supportDeskFiles });
    const ticket = { subject: "Invoice wrong", description: "The total is off by 10 EUR." };
    const repaired = await classify(k, ticket);
    assert.equal(repaired.status, 200, JSON.stringify(repaired.body));
    assert.deepEqual(repaired.body, EXAMPLE_TICKETS[0].classification);
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0].body.response_format.type, "json_schema");
    assert.match(server.seen[0].body.messages.at(-1).content, /Subject: Invoice wrong\n/);
    assert.equal(server.seen[0].body.temperature, 0, "the prompt's parameters are sent");

    script = ['{"category":"money"}', "still not it"];
    const failed = await classify(k, { ...ticket, subject: "Another" });
    assert.equal(failed.status, 502);
    assert.equal(failed.body.error.code, "LLM_OUTPUT_INVALID");
    assert.match(failed.body.error.message, /"still not it"/);
    assert.equal(k.t.kiln.llm.meter.snapshot()[0].provenance, "live");
  } finally {
    await k.close();
    await server.close();
  }
});

Deno.test("core.llm.generate over /mcp answers through the gateway and labels provenance", async () => {
  const server = serveWire(() =>
    json(openAiAnswer('{"n": 42}', { prompt: 1000, completion: 100 }))
  );
  const k = await startMcpKiln({
    llm: {
      config: {
        profiles: {
          default: { provider: "openai", baseUrl: `${server.url}/v1`, model: "m-live" },
          canned: { provider: "replay", model: "support-desk-demo" },
        },
        prices: { "m-live": { inputPerMTok: 2, outputPerMTok: 8 } },
      },
      cassettes: supportDeskCassettes,
    },
  });
  try {
    await k.kiln.registry.registerApplication({ files: supportDeskFiles });
    const { client } = await connectV1(new URL(`${k.mcpUrl}?app=support-desk`));
    const result = await client.callTool({
      name: "core.llm.generate",
      arguments: {
        prompt: "Give me a number",
        parameters: { temperature: 0.5 },
        outputSchema: { type: "object", required: ["n"], properties: { n: { type: "integer" } } },
      },
    });
    assert.ok(!result.isError, JSON.stringify(result.content));
    assert.deepEqual(result.structuredContent, {
      completion: { n: 42 },
      usage: { promptTokens: 1000, completionTokens: 100, costUsd: 0.0028 },
      model: "gpt-test",
      profile: "default",
      provenance: { kind: "live", provider: "openai" },
    });
    assert.equal(server.seen[0].body.temperature, 0.5);

    const missing = await client.callTool({
      name: "core.llm.generate",
      arguments: { model: "canned", prompt: "not recorded" },
    });
    assert.equal(missing.isError, true);
    assert.match(JSON.stringify(missing.content), /LLM_RECORDING_MISSING/);
    await client.close();
  } finally {
    await k.close();
    await server.close();
  }
});
