/**
 * LLM gateway overhead per call (target: p50 ≤ 1 ms on top of the provider's own
 * latency). One local stand-in provider on 127.0.0.1 speaking the OpenAI wire format; four
 * callers: `fetch` straight to it (the baseline), `LlmGateway.generate` for text, the gateway
 * with a JSON Schema checked by ajv, and `core.llm.generate` through the tool registry
 * (authorization, zod validation, output check, logging) as an execution of an app.
 *
 * `deno task bench` runs the Deno.bench cases; `deno run -A bench/llm_bench.ts [calls]` prints
 * p50 and p99 for each caller and the p50 overhead over the baseline.
 */
import { silentLogger } from "../src/core/mod.ts";
import { LlmGateway } from "../src/llm/mod.ts";
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { minimalApp, startKiln } from "../tests/_support/kiln.ts";

const ANSWER = openAiAnswer('{"category":"billing","confidence":0.9}');
const server = serveWire(() => json(ANSWER));
const baseUrl = `${server.url}/v1`;
const SCHEMA = {
  type: "object",
  properties: { category: { type: "string" }, confidence: { type: "number" } },
  required: ["category", "confidence"],
};
const messages = [
  { role: "system" as const, content: "You classify support tickets." },
  { role: "user" as const, content: "Subject: Charged twice\nDescription: please refund" },
];
const config = {
  profiles: { default: { provider: "openai" as const, baseUrl, model: "bench-model" } },
  prices: { "bench-model": { inputPerMTok: 1, outputPerMTok: 2 } },
};
const gateway = new LlmGateway({ config, logger: silentLogger });

const t = await startKiln({ llm: { config } });
await t.kiln.registry.registerApplication({ files: minimalApp("bench") });
const { token } = t.kiln.executionTokens.mint({
  appId: "bench",
  componentId: "getUser",
  tools: ["core.llm.generate"],
  ttlSeconds: 3600,
});
const claims = t.kiln.executionTokens.verify(token)!;
const caller = {
  kind: "execution" as const,
  appId: claims.a,
  componentId: claims.c,
  tools: claims.t,
  expiresAt: claims.e,
};
// minimalApp's configuration picks profile "small"; bench asks for "default" explicitly.
const toolArgs = { model: "default", messages, outputSchema: SCHEMA };

const callers: Record<string, () => Promise<unknown>> = {
  "fetch to the provider directly (baseline)": async () => {
    const res = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "bench-model", messages }),
    });
    await res.json();
  },
  "LlmGateway.generate, text": () => gateway.generate({ appId: "bench", messages }),
  "LlmGateway.generate, JSON Schema checked": () =>
    gateway.generate({ appId: "bench", messages, outputSchema: SCHEMA }),
  "core.llm.generate via the tool registry": async () => {
    const r = await t.kiln.tools.call("core.llm.generate", toolArgs, caller);
    if (r.isError) throw new Error(r.content[0].text);
  },
};

async function close(): Promise<void> {
  await t.close();
  await server.close();
}

if (import.meta.main) {
  const calls = Number(Deno.args[0] ?? 3000);
  const entries = Object.entries(callers);
  for (let i = 0; i < 500; i++) for (const [, call] of entries) await call();
  // Round-robin, so machine noise and drift fall on every caller alike.
  const latencies: Record<string, number[]> = Object.fromEntries(entries.map(([n]) => [n, []]));
  for (let i = 0; i < calls; i++) {
    for (const [name, call] of entries) {
      const t0 = performance.now();
      await call();
      latencies[name].push(performance.now() - t0);
    }
  }
  const p50s: Record<string, number> = {};
  for (const [name, list] of Object.entries(latencies)) {
    list.sort((a, b) => a - b);
    const at = (q: number) => list[Math.min(list.length - 1, Math.floor(q * calls))];
    p50s[name] = at(0.5);
    console.log(`${name}: p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms`);
  }
  const [baseline, ...rest] = Object.keys(p50s);
  for (const name of rest) {
    console.log(`overhead p50, ${name}: ${(p50s[name] - p50s[baseline]).toFixed(3)} ms`);
  }
  await close();
} else {
  for (const [name, call] of Object.entries(callers)) {
    Deno.bench(`llm: ${name}`, { group: "llm", baseline: name.includes("baseline") }, async () => {
      await call();
    });
  }
  globalThis.addEventListener("unload", () => {
    close().catch(() => {});
  });
}
