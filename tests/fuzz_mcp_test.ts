/**
 * Fuzzes `/mcp` with raw JSON-RPC, as any client could send it: real methods with arguments
 * shaped by each tool's input schema and then mutated, broken envelopes (ids of every type,
 * wrong versions, batches, missing fields, deep params, not JSON at all). Every answer must be
 * a client error or a result — no HTTP 5xx and no JSON-RPC internal error (-32603) — within the
 * budget, while a bystander app keeps its latency.
 */
import { ATTACK_TOKEN, startAttackKiln, underAttack } from "./_support/attack.ts";
import {
  type CaseResult,
  deepValue,
  fromSchema,
  fuzzFor,
  fuzzSeed,
  noServerError,
  randomJson,
  randomString,
  type Rng,
  timedFetch,
} from "./_support/fuzz.ts";

const METHODS = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "tools/call",
  "tools/call",
  "resources/list",
  "prompts/list",
  "logging/setLevel",
  "completion/complete",
  "notifications/initialized",
  "notifications/cancelled",
];

interface Tool {
  name: string;
  inputSchema: unknown;
}

function message(rng: Rng, tools: Tool[]): unknown {
  const method = rng.chance(0.05) ? randomString(rng) : rng.pick(METHODS);
  let params: unknown = {};
  if (method === "tools/call") {
    const tool = rng.chance(0.05) ? { name: randomString(rng), inputSchema: {} } : rng.pick(tools);
    const args = fromSchema(rng, tool.inputSchema, tool.inputSchema) as Record<string, unknown>;
    // Keep the fuzz on its own app: the admin may name any app in arguments.
    if (args && typeof args === "object" && "appId" in args && rng.chance(0.95)) {
      args.appId = "fuzz";
    }
    params = { name: tool.name, arguments: args };
  } else if (method === "initialize") {
    params = {
      protocolVersion: rng.pick(["2025-11-25", "2025-06-18", "1999-01-01", randomString(rng)]),
      capabilities: rng.chance(0.8) ? {} : randomJson(rng),
      clientInfo: { name: "fuzz", version: "0" },
    };
  } else if (method === "tools/list") {
    params = rng.chance(0.5) ? {} : { cursor: randomJson(rng) };
  } else if (method === "logging/setLevel") {
    params = { level: rng.chance(0.5) ? "info" : randomJson(rng) };
  } else if (rng.chance(0.3)) params = randomJson(rng);
  if (rng.chance(0.03)) params = deepValue(rng.int(500, 4_000), true);
  const msg: Record<string, unknown> = {
    jsonrpc: rng.chance(0.95) ? "2.0" : randomJson(rng),
    method,
    params,
  };
  if (!method.startsWith("notifications/") || rng.chance(0.1)) {
    msg.id = rng.chance(0.8) ? rng.int(1, 1e6) : randomJson(rng);
  }
  if (rng.chance(0.05)) delete msg.method;
  return msg;
}

function acceptable(r: CaseResult): boolean {
  if (!noServerError(r)) return false;
  return !/"code":\s*-32603/.test(r.body);
}

Deno.test("fuzz: /mcp JSON-RPC never answers a server or internal error, nor slowly", async () => {
  const kiln = await startAttackKiln();
  try {
    await kiln.register({
      "app_definition.yaml": "appId: fuzz\ndisplayName: fuzz\nversion: 1.0.0\n",
      "component_registry.yaml": `components:
  - componentId: echo
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/echo.ts, function: echo, language: typescript }
    routeMatcher: { pathPattern: /echo, methods: [POST] }
    permissions: [core.state.getRuntimeValue]
`,
      "code/echo.ts": "export function echo(req: unknown) { return { ok: true, req }; }\n",
    });
    const url = `${kiln.url}/mcp?app=fuzz`;
    const headers = {
      authorization: `Bearer ${ATTACK_TOKEN}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    const listed = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    const tools: Tool[] = await parseRpc(listed).then((m) => m.result.tools);
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1602), ms: 8_000, minCases: 200, budgetMs: 2_000 },
        (rng) => {
          const r = rng.next();
          const body = r < 0.05
            ? randomString(rng)
            : r < 0.07
            ? `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"core.state.setRuntimeValue","arguments":{"key":"k","value":${
              "[".repeat(50_000)
            }${"]".repeat(50_000)}}}}`
            : r < 0.12
            ? JSON.stringify(Array.from({ length: rng.int(0, 5) }, () => message(rng, tools)))
            : JSON.stringify(message(rng, tools));
          return timedFetch(body.slice(0, 80), url, { method: "POST", headers, body });
        },
        acceptable,
      ));
    console.log(
      `fuzz /mcp: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
  } finally {
    await kiln.stop();
  }
});

// deno-lint-ignore no-explicit-any -- JSON-RPC answers are untyped here
async function parseRpc(res: Response): Promise<any> {
  const text = await res.text();
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const data = text.split("\n").find((l) => l.startsWith("data:"));
    return JSON.parse(data!.slice(5));
  }
  return JSON.parse(text);
}
