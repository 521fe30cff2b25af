import assert from "node:assert/strict";
import type { MetricLabels, MetricSink } from "../metrics/mod.ts";
import { LlmGateway } from "./gateway.ts";
import { json, openAiAnswer, serveWire } from "./_test_support.ts";

class Sink implements MetricSink {
  readonly points: [string, number, MetricLabels][] = [];
  add(name: string, value: number, labels: MetricLabels) {
    this.points.push([name, value, labels]);
  }
  gauge() {}
  observe(name: string, value: number, labels: MetricLabels) {
    this.points.push([name, value, labels]);
  }
}

Deno.test("the LLM gateway pushes calls, tokens, cost and latency per app, component and model", async () => {
  const server = serveWire(() => json(openAiAnswer("hi", { prompt: 100, completion: 10 })));
  const sink = new Sink();
  try {
    const gw = new LlmGateway({
      config: {
        profiles: {
          default: {
            provider: "openai",
            baseUrl: `${server.url}/v1`,
            apiKeyEnv: "K",
            model: "gpt-small",
          },
        },
        prices: { "gpt-small": { inputPerMTok: 1, outputPerMTok: 2 } },
      },
      secret: () => "sk",
      metrics: sink,
    });
    await gw.generate({
      appId: "shop",
      componentId: "classify",
      messages: [{ role: "user", content: "x" }],
    });
    const base = { appId: "shop", componentId: "classify", model: "gpt-small" };
    const byName = (n: string) => sink.points.filter(([name]) => name === n);
    assert.deepEqual(byName("kiln.llm.calls"), [["kiln.llm.calls", 1, {
      ...base,
      provenance: "live",
    }]]);
    assert.deepEqual(byName("kiln.llm.tokens"), [
      ["kiln.llm.tokens", 100, { ...base, kind: "prompt" }],
      ["kiln.llm.tokens", 10, { ...base, kind: "completion" }],
    ]);
    assert.deepEqual(byName("kiln.llm.cost_usd"), [["kiln.llm.cost_usd", 0.00012, base]]);
    const [[, ms, labels]] = byName("kiln.llm.duration_ms");
    assert.ok(ms > 0);
    assert.deepEqual(labels, base);
  } finally {
    await server.close();
  }
});
