import assert from "node:assert/strict";
import { startKiln, type TestKiln } from "../../tests/_support/kiln.ts";
import {
  APP,
  COMPONENT,
  DEFAULT_OPTIMIZATION,
  modelAnswer,
  phoneAppFiles,
  postPhone,
  serveModel,
  WIRE_MODEL,
} from "../../tests/_support/jit.ts";
import type { WireServer } from "../llm/_test_support.ts";
import { codeHandler } from "../bundler/mod.ts";
import { silentLogger } from "../core/mod.ts";
import { llmHandler } from "../llm/mod.ts";
import { Router } from "../router/mod.ts";
import { generatedCode } from "./generated_handler.ts";

// Generated code as activation commits it: `handlerType: jit` carrying the llm definition it
// replaced. This version throws on dotted numbers.
const REGISTRY = `components:
  - componentId: ${COMPONENT}
    handlerType: jit
    taskDetails:
      script: jit/${COMPONENT}/v1/entry.ts
      function: run
      language: typescript
      jitVersion: v1
      generatedFrom:
        handlerType: llm
        taskDetails: { promptTemplate: format_phone }
        runtime: auto
    routeMatcher: { pathPattern: /phones/format, methods: [POST] }
  - componentId: hand-written
    handlerType: jit
    taskDetails: { script: code/hand.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /hand, methods: [POST] }
`;
const ENTRY = `import { payload, type RequestData } from "kiln:sdk";
export function run(requestData: RequestData): string {
  const input = payload(requestData) as { phone: string };
  if (input.phone.includes(".")) throw new Error("dots are not supported");
  const d = String(input.phone).replace(/\\D/g, "").slice(-10);
  return \`+1-\${d.slice(0, 3)}-\${d.slice(3, 6)}-\${d.slice(6)}\`;
}
`;

interface Setup {
  t: TestKiln;
  model: WireServer;
  router: Router;
}

/**
 * The phones app with its component switched to generated code, served by a router whose `jit`
 * kind is `generatedCode` over the real code kind (isolate tier) and the real llm kind (the
 * gateway against a stand-in model on 127.0.0.1), with the Kiln's own JIT hooks.
 */
async function withGenerated(random: number, fn: (s: Setup) => Promise<void>): Promise<void> {
  const model = serveModel();
  const t = await startKiln({
    random: () => random,
    optimization: { evaluateEveryMs: 0 },
    llm: {
      config: {
        profiles: {
          default: { provider: "openai", baseUrl: `${model.url}/v1`, model: WIRE_MODEL },
        },
      },
    },
  });
  try {
    const files = {
      ...phoneAppFiles(DEFAULT_OPTIMIZATION),
      "component_registry.yaml": REGISTRY,
      [`jit/${COMPONENT}/v1/entry.ts`]: ENTRY,
      "code/hand.ts": "export function run() { return { by: 'hand' }; }\n",
    };
    await t.kiln.registry.registerApplication({ files });
    const { registry, tools, executionTokens, sandbox, bundler, llmRunner, jitService } = t.kiln;
    const code = codeHandler({ bundler, sandbox });
    const llm = llmHandler({ runner: llmRunner, sandbox });
    const router = new Router({
      registry,
      handlers: { jit: generatedCode({ code, llm, hooks: jitService.hooks }) },
      tools,
      executionTokens,
      logger: silentLogger,
    });
    await fn({ t, model, router });
  } finally {
    await t.close();
    await model.close();
  }
}

const handle = (router: Router) => (req: Request) => router.handle(req);

Deno.test("generatedCode() serves generated code from its tier and shadows it with the LLM after", async () => {
  await withGenerated(0, async ({ t, model, router }) => {
    const r = await postPhone(handle(router), "(415) 555-0100");
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body), "+1-415-555-0100");
    assert.equal(r.tier, "wasm", "the code kind's tier decision reaches the headers");
    await t.kiln.jitService.idle();
    assert.equal(model.seen.length, 1, "the shadow check asked the LLM once");
    const shadow = await t.kiln.jitService.hooks.shadow(APP, COMPONENT);
    assert.equal(shadow?.checks, 1);
    assert.equal(shadow?.agreements, 1);
    assert.equal(await t.kiln.jitService.hooks.fallbacks(APP, COMPONENT), 0);
  });
});

Deno.test("generatedCode() falls back to the LLM when generated code fails, clearing the tier", async () => {
  await withGenerated(0.99, async ({ t, model, router }) => {
    const r = await postPhone(handle(router), "415.555.0100");
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body), modelAnswer("415.555.0100"), "the LLM answered instead");
    assert.equal(r.tier, null, "the answer did not come from the code's tier");
    assert.equal(model.seen.length, 1);
    await t.kiln.jitService.idle();
    assert.equal(await t.kiln.jitService.hooks.fallbacks(APP, COMPONENT), 1);
    assert.equal(
      await t.kiln.jitService.hooks.shadow(APP, COMPONENT),
      undefined,
      "no shadow check",
    );
  });
});

Deno.test("generatedCode() runs hand-written code as the code kind does, without the JIT loop", async () => {
  await withGenerated(0, async ({ t, model, router }) => {
    const res = await router.handle(
      new Request(`http://kiln.test/apps/${APP}/hand`, { method: "POST", body: "{}" }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { by: "hand" });
    assert.equal(res.headers.get("x-kiln-tier"), "wasm");
    await t.kiln.jitService.idle();
    assert.equal(model.seen.length, 0, "no shadow, no fallback");
    assert.equal(await t.kiln.jitService.hooks.shadow(APP, "hand-written"), undefined);
  });
});
