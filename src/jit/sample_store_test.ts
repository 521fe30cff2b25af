import assert from "node:assert/strict";
import { SamplingConfig } from "../models/mod.ts";
import { EmbeddedStore } from "../state/mod.ts";
import { SampleStore } from "./sample_store.ts";

const PAIR = { latencyMs: 1, costUsd: 0, promptTokens: 1, completionTokens: 1 } as const;

async function withStore(fn: (samples: SampleStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = EmbeddedStore.open(`${dir}/kiln.db`);
  try {
    await fn(new SampleStore(store));
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SampleStore.record() skips a pair over the size caps before redacting it", async () => {
  await withStore(async (samples) => {
    const config = SamplingConfig.parse({
      // A pattern that cannot be compiled would throw if redaction ran at all.
      redact: [{ pattern: "(a)\\1" }],
    });
    const big = { notes: "-eyJ".repeat(20_000) };
    const started = performance.now();
    const kept = await samples.record("a", "c", {
      ...PAIR,
      input: big,
      output: "x",
      provenance: "live",
    }, config);
    assert.equal(kept, false);
    assert.ok(performance.now() - started < 200);
    assert.equal(await samples.count("a", "c"), 0);
  });
});

Deno.test("SampleStore.record() never stores a pair it could not redact within budget", async () => {
  await withStore(async (samples) => {
    const config = SamplingConfig.parse({
      maxInputBytes: 1 << 20,
      redact: [{ pattern: "(.*a){40}b", replacement: "x" }],
    });
    const input = { text: "a".repeat(200_000) };
    assert.equal(
      await samples.record("a", "c", { ...PAIR, input, output: "x", provenance: "live" }, config),
      false,
    );
    const small = { text: "token Bearer abcdefghijklmnop" };
    assert.equal(
      await samples.record(
        "a",
        "c",
        { ...PAIR, input: small, output: "x", provenance: "live" },
        config,
      ),
      true,
    );
    const [stored] = await samples.list("a", "c");
    assert.deepEqual(stored.input, { text: "token [redacted]" });
  });
});
