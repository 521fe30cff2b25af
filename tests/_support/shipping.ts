/**
 * A shipping-style JIT fixture written outside the JIT's own fixtures: an llm component routing
 * free-text shipment requests to `{carrier, speed}` by weight thresholds, urgency words and a
 * rare hazardous-goods class (4% of traffic). The stand-in model answers at the OpenAI wire;
 * candidates are real functions whose source is what the stand-in coder returns, and whose
 * tests are their own answers on a few inputs — tests their buggy authors would have written.
 */
import { json, openAiAnswer, serveWire, type WireServer } from "../../src/llm/_test_support.ts";

export const SHIP_APP = "shipping";
export const SHIP_COMPONENT = "route-shipment";

export interface Route {
  carrier: "hazmat-freight" | "freight" | "air" | "post" | "ground";
  speed: "standard" | "express";
}
type Handler = (input: { request: string }) => Route | Promise<Route>;

/** What the model answers: the reference every candidate is compared with. */
export function route(input: { request: string }): Route {
  const text = String(input.request).toLowerCase();
  const m = /(\d+(?:\.\d+)?)\s*kg/.exec(text);
  const kg = m ? Number(m[1]) : 0;
  const urgent = /\b(urgent|asap|rush)\b/.test(text);
  if (/lithium|aerosol|flammable/.test(text)) {
    return { carrier: "hazmat-freight", speed: "standard" };
  }
  if (kg >= 30) return { carrier: "freight", speed: urgent ? "express" : "standard" };
  if (urgent) return { carrier: "air", speed: "express" };
  if (kg < 2) return { carrier: "post", speed: "standard" };
  return { carrier: "ground", speed: "standard" };
}

/** Wrong on the rare class: hazardous goods go by weight like anything else (~4% wrong). */
export function missesHazmat(input: { request: string }): Route {
  const text = String(input.request).toLowerCase();
  const m = /(\d+(?:\.\d+)?)\s*kg/.exec(text);
  const kg = m ? Number(m[1]) : 0;
  const urgent = /\b(urgent|asap|rush)\b/.test(text);
  if (kg >= 30) return { carrier: "freight", speed: urgent ? "express" : "standard" };
  if (urgent) return { carrier: "air", speed: "express" };
  if (kg < 2) return { carrier: "post", speed: "standard" };
  return { carrier: "ground", speed: "standard" };
}

/** Off by one: `> 30` where the model uses `>= 30` kg (~2% wrong). */
export function offByOne(input: { request: string }): Route {
  const text = String(input.request).toLowerCase();
  const m = /(\d+(?:\.\d+)?)\s*kg/.exec(text);
  const kg = m ? Number(m[1]) : 0;
  const urgent = /\b(urgent|asap|rush)\b/.test(text);
  if (/lithium|aerosol|flammable/.test(text)) {
    return { carrier: "hazmat-freight", speed: "standard" };
  }
  if (kg > 30) return { carrier: "freight", speed: urgent ? "express" : "standard" };
  if (urgent) return { carrier: "air", speed: "express" };
  if (kg < 2) return { carrier: "post", speed: "standard" };
  return { carrier: "ground", speed: "standard" };
}

/** Throws on one input shape: weights with a decimal point (~10% of traffic). */
export function throwsOnDecimals(input: { request: string }): Route {
  const text = String(input.request).toLowerCase();
  if (/\d\.\d/.test(text)) throw new Error("decimal weights are not supported");
  const m = /(\d+)\s*kg/.exec(text);
  const kg = m ? Number(m[1]) : 0;
  const urgent = /\b(urgent|asap|rush)\b/.test(text);
  if (/lithium|aerosol|flammable/.test(text)) {
    return { carrier: "hazmat-freight", speed: "standard" };
  }
  if (kg >= 30) return { carrier: "freight", speed: urgent ? "express" : "standard" };
  if (urgent) return { carrier: "air", speed: "express" };
  if (kg < 2) return { carrier: "post", speed: "standard" };
  return { carrier: "ground", speed: "standard" };
}

/**
 * Right on every recorded call, but asks a tool (which the llm component is allowed) for
 * requests marked "audit" — which recorded traffic never holds, so the gate never saw it.
 */
export async function callsToolWhenServing(input: { request: string }): Promise<Route> {
  const text = String(input.request).toLowerCase();
  if (text.includes("audit")) {
    const k = (globalThis as unknown as {
      __kiln: { mcp: { call(tool: string, params: unknown): Promise<unknown> } };
    }).__kiln;
    await k.mcp.call("core.metrics.record", { name: "audited", value: 1 });
  }
  const m = /(\d+(?:\.\d+)?)\s*kg/.exec(text);
  const kg = m ? Number(m[1]) : 0;
  const urgent = /\b(urgent|asap|rush)\b/.test(text);
  if (/lithium|aerosol|flammable/.test(text)) {
    return { carrier: "hazmat-freight", speed: "standard" };
  }
  if (kg >= 30) return { carrier: "freight", speed: urgent ? "express" : "standard" };
  if (urgent) return { carrier: "air", speed: "express" };
  if (kg < 2) return { carrier: "post", speed: "standard" };
  return { carrier: "ground", speed: "standard" };
}

const TEST_INPUTS = [
  "3 kg books",
  "45 kg engine parts, urgent",
  "0.5 kg letters",
  "5 kg shoes asap",
];

/** The coder's answer for `fn`: its source as `handle`, and tests it passes on its own. */
export async function candidate(fn: Handler): Promise<{ handler: string; tests: string }> {
  const cases = [];
  for (const [i, request] of TEST_INPUTS.entries()) {
    // Its author would not have written a test it fails.
    const expected = await Promise.resolve().then(() => fn({ request })).catch(() => undefined);
    if (expected) cases.push({ name: `case ${i + 1}`, input: { request }, expected });
  }
  return {
    handler: `export const handle = ${fn.toString()};\n`,
    tests: `export const cases = ${JSON.stringify(cases)};\n`,
  };
}

const GOODS = ["books", "shoes", "engine parts", "coffee beans", "glassware", "toys", "tiles"];
const HAZARDS = ["lithium batteries", "aerosol paint", "flammable solvent"];
const URGENT = ["urgent", "asap", "rush"];

/**
 * `n` shipment requests, seeded: every 25th hazardous (4%), every 50th exactly 30 kg (2%, the
 * only ones: drawn weights skip 30),
 * every 10th a light parcel with a decimal weight, a quarter urgent, and every fifth call repeating the call before
 * it (so the model's own consistency can be measured). `hazmatEvery` makes drift traffic.
 */
export function shipments(n: number, seed = 1, hazmatEvery = 25): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4 && i % hazmatEvery !== hazmatEvery - 1) {
      out.push(out[i - 1]);
      continue;
    }
    const hazardous = i % hazmatEvery === 12 % hazmatEvery;
    const kg = i % 50 === 20
      ? "30"
      : i % 10 === 3
      ? (0.2 + next() * 4).toFixed(1)
      : String(1 + Math.floor(next() * 59)).replace(/^30$/, "59");
    const goods = hazardous ? pick(HAZARDS) : pick(GOODS);
    const urgent = next() < 0.25 ? `, ${pick(URGENT)}` : "";
    out.push(`${kg} kg ${goods}${urgent} #${seed}-${i}`);
  }
  return out;
}

/** The app: one llm component with a JSON output schema, allowed one tool. */
export function shippingAppFiles(optimization = ""): Record<string, string> {
  return {
    "app_definition.yaml": `appId: ${SHIP_APP}\ndisplayName: Shipping\nversion: 1.0.0\n`,
    "component_registry.yaml": `components:
  - componentId: ${SHIP_COMPONENT}
    description: Routes a free-text shipment request to a carrier and speed.
    handlerType: llm
    taskDetails:
      promptTemplate: route_shipment
    permissions: [core.metrics.record]
    routeMatcher:
      pathPattern: /route
      methods: [POST]
    limits:
      timeoutMs: 10000
`,
    "prompts/route_shipment.yaml": `description: Routes a shipment.
parameters:
  temperature: 0
template: |
  Route this shipment (hazardous goods by hazmat freight; 30 kg or more by freight; urgent by air;
  under 2 kg by post; else ground). Request: {{ request }}
outputFormat: json
outputSchema:
  type: object
  additionalProperties: false
  required: [carrier, speed]
  properties:
    carrier: { enum: [hazmat-freight, freight, air, post, ground] }
    speed: { enum: [standard, express] }
`,
    "optimization_config.yaml": optimization,
  };
}

/** The stand-in model at the OpenAI wire, answering as `route` does. */
export function serveShippingModel(): WireServer {
  return serveWire((req) => {
    const user = String(req.body.messages.at(-1).content);
    const request = user.split("Request: ").at(-1)!.trim();
    return json(openAiAnswer(JSON.stringify(route({ request })), { prompt: 60, completion: 12 }));
  });
}

/** POSTs one request to the app's ingress. */
export async function postShipment(
  handler: (req: Request) => Response | Promise<Response>,
  request: string,
): Promise<{ status: number; body: string; tier: string | null; provenance: string | null }> {
  const res = await handler(
    new Request(`http://kiln.test/apps/${SHIP_APP}/route`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ request }),
    }),
  );
  return {
    status: res.status,
    body: await res.text(),
    tier: res.headers.get("x-kiln-tier"),
    provenance: res.headers.get("x-kiln-llm-provenance"),
  };
}
