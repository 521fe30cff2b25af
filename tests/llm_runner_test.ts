/**
 * LlmRunner through the router on a real Kiln: prompt formats, revisions, the app-tool path
 * and the component's deadline, against a local OpenAI-wire stand-in.
 */
import assert from "node:assert/strict";
import { fakeTimers, json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { startIngress } from "./_support/ingress.ts";

const APP = {
  "app_definition.yaml": "appId: notes\ndisplayName: Notes\nversion: 1.0.0\n" +
    "configuration:\n  tone: terse\n",
  "component_registry.yaml": `components:
  - componentId: tags
    handlerType: llm
    taskDetails: { promptTemplate: tags }
    routeMatcher: { pathPattern: /tags, methods: [POST] }
    limits: { timeoutMs: 5000 }
  - componentId: echo
    handlerType: llm
    taskDetails: { promptTemplate: prompts/echo.yaml }
    routeMatcher: { pathPattern: /echo, methods: [POST] }
`,
  "prompts/tags.yaml": `system: "Be {{ context.configuration.tone }}."
template: "Tag this note: {{ note }}"
outputFormat: yaml
outputSchema: { type: object, required: [tags], properties: { tags: { type: array } } }
`,
  "prompts/echo.yaml": 'template: "Say {{ input.word }}"\nparameters: { max_tokens: 5 }\n',
};

async function setup(answer: (i: number) => Response | Promise<Response>, timers?: unknown) {
  const server = serveWire((_r, i) => answer(i));
  const k = await startIngress({
    llm: {
      config: {
        profiles: { default: { provider: "openai", baseUrl: `${server.url}/v1`, model: "m" } },
      },
      ...(timers ? { timers: timers as never } : {}),
    },
  });
  await k.t.kiln.registry.registerApplication({ files: APP });
  const post = async (path: string, body: unknown) => {
    const res = await k.fetch(`/apps/notes${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    server,
    k,
    post,
    close: async () => {
      await k.close();
      await server.close();
    },
  };
}

Deno.test("LlmRunner parses a yaml answer and checks it against the prompt's schema", async () => {
  const s = await setup(() => json(openAiAnswer("```yaml\ntags: [work, urgent]\n```")));
  try {
    const ok = await s.post("/tags", { note: "Ship it by Friday" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { tags: ["work", "urgent"] });
    const sent = s.server.seen[0].body;
    assert.equal(sent.response_format, undefined, "yaml is asked for in words, not JSON mode");
    assert.match(sent.messages[0].content, /^Be terse\.\n\nAnswer with a YAML document only/);
    assert.equal(sent.messages[1].content, "Tag this note: Ship it by Friday");
  } finally {
    await s.close();
  }
});

Deno.test("LlmRunner answers a yaml answer that breaks the schema as LLM_OUTPUT_INVALID", async () => {
  const s = await setup(() => json(openAiAnswer("tags: none")));
  try {
    const bad = await s.post("/tags", { note: "x" });
    assert.equal(bad.status, 502);
    assert.equal(bad.body.error.code, "LLM_OUTPUT_INVALID");
    assert.match(bad.body.error.message, /"tags: none".*\/tags must be array/);
  } finally {
    await s.close();
  }
});

Deno.test("LlmRunner uses the prompt of the revision the app serves", async () => {
  const s = await setup(() => json(openAiAnswer("hello")));
  try {
    assert.deepEqual((await s.post("/echo", { word: "hi" })).body, "hello");
    assert.equal(s.server.seen[0].body.messages[0].content, "Say hi");
    assert.equal(s.server.seen[0].body.max_tokens, 5);
    await s.k.t.kiln.state.setDefinitionFileContent(
      "notes",
      "prompts/echo.yaml",
      'template: "Now say {{ input.word | upper }}"\n',
      undefined,
      { commitMessage: "louder" },
    );
    await s.k.t.kiln.registry.sync("notes");
    await s.post("/echo", { word: "hi" });
    assert.equal(s.server.seen[1].body.messages[0].content, "Now say HI");
  } finally {
    await s.close();
  }
});

Deno.test("an llm component runs as an app.<appId>.<componentId> tool from its input", async () => {
  const s = await setup(() => json(openAiAnswer("pong")));
  try {
    const out = await s.k.router.invoke("notes", "echo", { word: "ping" }, { kind: "admin" });
    assert.deepEqual(out, { result: "pong" });
    assert.equal(s.server.seen[0].body.messages[0].content, "Say ping");
  } finally {
    await s.close();
  }
});

Deno.test("LlmRunner ends a call that outlives the component's deadline", async () => {
  const { clock, timers } = fakeTimers(Date.now());
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const s = await setup(async () => {
    await held;
    return json(openAiAnswer("tags: []"));
  }, timers);
  try {
    const pending = s.post("/tags", { note: "slow" });
    // On a loaded machine the router's own deadline may end the call before it reaches the wire.
    await Promise.race([s.server.received(1), pending]);
    // The deadline is on the router's wall clock, set some time after the fake clock started
    // (seconds on a loaded machine): move the fake clock until the call ends, a bounded number
    // of steps, rather than by a fixed amount.
    let settled = false;
    void pending.finally(() => settled = true);
    for (let step = 0; !settled && step < 600; step++) await clock.tickAsync(1_000);
    const late = await pending;
    assert.equal(late.status, 504);
    assert.equal(late.body.error.code, "EXECUTION_TIMEOUT");
  } finally {
    release();
    await s.close();
  }
});
