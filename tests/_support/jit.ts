/**
 * The JIT loop's test app: an llm component that formats phone numbers, its traffic recorded
 * through Kiln's real recording provider against a local OpenAI-wire stand-in (so the loop then
 * runs on the replay provider), and a stand-in coder that answers with a handler and tests.
 */
import { type Cassette, parseCassette } from "../../src/llm/mod.ts";
import { json, openAiAnswer, serveWire, type WireServer } from "../../src/llm/_test_support.ts";
import { silentLogger } from "../../src/core/mod.ts";
import type { KilnOptions } from "../../src/kiln.ts";
import { JcoComponentRunner, type TierDriver, WasmTier } from "../../src/sandbox/mod.ts";
import { startKiln, type TestKiln } from "./kiln.ts";

export const APP = "phones";
export const COMPONENT = "format-phone";
export const WIRE_MODEL = "phone-model";

/** The app's files; `rules` and gate knobs go into `optimization_config.yaml`. */
export function phoneAppFiles(
  optimization: string = DEFAULT_OPTIMIZATION,
  json = false,
): Record<string, string> {
  return {
    "app_definition.yaml": `appId: ${APP}\ndisplayName: Phones\nversion: 1.0.0\n`,
    "component_registry.yaml": `components:
  - componentId: ${COMPONENT}
    description: Formats a phone number the way the CRM stores it.
    handlerType: llm
    taskDetails:
      promptTemplate: format_phone
    routeMatcher:
      pathPattern: /phones/format
      methods: [POST]
    limits:
      timeoutMs: 10000
`,
    "prompts/format_phone.yaml": `description: Formats a phone number.
parameters:
  temperature: 0
template: |
  Format this phone number as +1-AAA-BBB-CCCC, or in international form: {{ phone }}
${json ? JSON_OUTPUT : "outputFormat: text\n"}`,
    "optimization_config.yaml": optimization,
  };
}

const JSON_OUTPUT = `outputFormat: json
outputSchema:
  type: object
  additionalProperties: false
  required: [formatted]
  properties:
    formatted: { type: string, pattern: "^\\\\+" }
`;

export const DEFAULT_OPTIMIZATION = `agreementThreshold: 0.8
shadowSampleRate: 1
rollbackWindow: 10
generation:
  minSamples: 30
rules:
  - ruleId: harden-format-phone
    componentId: ${COMPONENT}
    action: TRIGGER_JIT
    conditions:
      - metric: call_count
        operator: ">="
        value: 40
        aggregation: sum
        windowMinutes: 60
      - metric: output_stability
        operator: ">="
        value: 0.95
        windowMinutes: 60
`;

/** How the stand-in model formats a number: US numbers one way, UK numbers another. */
export function modelAnswer(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  if (phone.trim().startsWith("+44")) {
    const d = digits.slice(2);
    return `+44-${d.slice(0, 2)}-${d.slice(2, 6)}-${d.slice(6)}`;
  }
  const d = digits.slice(-10);
  return `+1-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`;
}

/** `n` US numbers in varied notations (deterministic). */
export function usPhones(n: number, seed = 1): string[] {
  const out: string[] = [];
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < n; i++) {
    const a = 200 + (next() % 800), b = 200 + (next() % 800), c = 1000 + (next() % 9000);
    const forms = [`(${a}) ${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `${a}${b}${c}`];
    out.push(forms[i % forms.length]);
  }
  return out;
}

/** UK numbers: the drift the generated US-only code gets wrong. */
export function ukPhones(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `+44 20 ${7000 + i} ${1000 + i * 7}`);
}

/** A stand-in of the component's model on 127.0.0.1, speaking the OpenAI wire format. */
export function serveModel(asJson = false): WireServer {
  return serveWire((req) => {
    const user = String(req.body.messages.at(-1).content);
    const phone = user.split(": ").at(-1)!.trim();
    const answer = asJson ? JSON.stringify({ formatted: modelAnswer(phone) }) : modelAnswer(phone);
    return json(openAiAnswer(answer, { prompt: 30, completion: 8 }));
  });
}

/**
 * Records `phones` through Kiln's recording provider (the real router → LlmRunner → gateway
 * path), returning the cassette the replay provider then answers from.
 */
export async function recordTraffic(phones: string[], asJson = false): Promise<Cassette> {
  const model = serveModel(asJson);
  const recordDir = await Deno.makeTempDir({ prefix: "kiln-jit-rec-" });
  const t = await startKiln({
    tiers: [],
    optimization: { evaluateEveryMs: 0 },
    llm: {
      config: {
        profiles: {
          default: { provider: "openai", baseUrl: `${model.url}/v1`, model: WIRE_MODEL },
        },
        recordDir,
      },
    },
  });
  try {
    await t.kiln.registry.registerApplication({
      files: phoneAppFiles(DEFAULT_OPTIMIZATION, asJson),
    });
    for (const phone of new Set(phones)) {
      const res = await postPhone(t.kiln.handler, phone);
      if (res.status !== 200) throw new Error(`recording ${phone}: ${res.status} ${res.body}`);
    }
    return parseCassette(JSON.parse(await Deno.readTextFile(`${recordDir}/default.cassette.json`)));
  } finally {
    await t.close();
    await model.close();
    await Deno.remove(recordDir, { recursive: true });
  }
}

/** POSTs one number to the app's ingress. */
export async function postPhone(
  handler: (req: Request) => Response | Promise<Response>,
  phone: string,
): Promise<{ status: number; body: string; tier: string | null; provenance: string | null }> {
  const res = await handler(
    new Request(`http://kiln.test/apps/${APP}/phones/format`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone }),
    }),
  );
  return {
    status: res.status,
    body: await res.text(),
    tier: res.headers.get("x-kiln-tier"),
    provenance: res.headers.get("x-kiln-llm-provenance"),
  };
}

/** The coder's answer: a US-only handler (right for the recorded traffic) and its tests. */
export const US_HANDLER = `export function handle(input: { phone: string }): string {
  const d = String(input.phone).replace(/\\D/g, "").slice(-10);
  return \`+1-\${d.slice(0, 3)}-\${d.slice(3, 6)}-\${d.slice(6)}\`;
}
`;
export const US_TESTS = `export const cases = [
  { name: "parentheses", input: { phone: "(415) 555-0100" }, expected: "+1-415-555-0100" },
  { name: "dots", input: { phone: "415.555.0100" }, expected: "+1-415-555-0100" },
  { name: "country code", input: { phone: "+1 415 555 0100" }, expected: "+1-415-555-0100" },
  { name: "bare digits", input: { phone: "4155550100" }, expected: "+1-415-555-0100" },
];
`;

/** A stand-in coder model answering every request with `answers[i]` (the last one repeats). */
export function serveCoder(answers: { handler: string; tests: string }[]): WireServer {
  return serveWire((_req, i) =>
    json(openAiAnswer(JSON.stringify(answers[Math.min(i, answers.length - 1)]), {
      prompt: 4000,
      completion: 600,
    }))
  );
}

/** LLM options replaying `cassette` for the app, with `coder` as the coder profile. */
export function jitLlm(cassette: Cassette, coder: WireServer): NonNullable<KilnOptions["llm"]> {
  return {
    config: {
      profiles: {
        default: { provider: "replay", model: WIRE_MODEL },
        coder: { provider: "openai", baseUrl: `${coder.url}/v1`, model: "coder-model" },
      },
    },
    cassettes: [cassette],
  };
}

/**
 * A Kiln for the JIT loop: replayed traffic, the stand-in coder, the real wasm tier (plus any
 * `tiers` given), no periodic oracle, and `random` deciding samples and shadows.
 */
export async function startJitKiln(
  cassette: Cassette,
  coder: WireServer,
  opts: { random: () => number; tiers?: TierDriver[] },
): Promise<TestKiln> {
  return await startKiln({
    tiers: [
      ...(opts.tiers ?? []),
      new WasmTier({ logger: silentLogger, workers: 2, components: new JcoComponentRunner() }),
    ],
    random: opts.random,
    optimization: { evaluateEveryMs: 0 },
    llm: jitLlm(cassette, coder),
  });
}
