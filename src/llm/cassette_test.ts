import assert from "node:assert/strict";
import { canonicalJson, parseCassette, requestKey } from "./cassette.ts";
import type { ProviderRequest } from "./types.ts";

const REQ: ProviderRequest = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  parameters: { temperature: 0, max_tokens: 10 },
  format: { type: "text" },
};

Deno.test("requestKey() ignores key order but not model, messages, parameters or format", async () => {
  const key = await requestKey(REQ);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(await requestKey({ ...REQ, parameters: { max_tokens: 10, temperature: 0 } }), key);
  assert.equal(
    await requestKey({ ...REQ, parameters: { ...REQ.parameters, top_p: undefined } }),
    key,
  );
  for (
    const other of [
      { ...REQ, model: "n" },
      { ...REQ, messages: [{ role: "user" as const, content: "hi " }] },
      { ...REQ, parameters: { temperature: 0.1, max_tokens: 10 } },
      { ...REQ, format: { type: "json" as const } },
    ]
  ) assert.notEqual(await requestKey(other), key);
  assert.equal(
    canonicalJson({ b: [1, { d: 1, c: 2 }], a: null }),
    '{"a":null,"b":[1,{"c":2,"d":1}]}',
  );
});

Deno.test("parseCassette() accepts only files labelled as recordings", () => {
  const base = {
    kind: "kiln.llm.cassette",
    version: 1,
    recorded: true,
    name: "x",
    provenance: { source: "openai m", recordedAt: "2026-12-03T00:00:00Z" },
    entries: [],
  };
  assert.equal(parseCassette(base).name, "x");
  assert.throws(() => parseCassette({ ...base, recorded: false }), /recorded/);
  assert.throws(() => parseCassette({ ...base, provenance: undefined }), /provenance/);
});
