/**
 * Attacks from inside the isolate tier on a real `kiln serve`, each with a bystander app probed
 * while it runs: a stdout flood, memory held off the V8 heap, one component tampering with the
 * realm of another, and a callback left behind to act during a later execution. Each attack gets
 * a structured error (or nothing at all), the bystander keeps its latency, the attacker's app
 * serves again afterwards, and nothing crosses between executions.
 */
import assert from "node:assert/strict";
import {
  assertError,
  type AttackKiln,
  fetchJson,
  startAttackKiln,
  underAttack,
} from "./_support/attack.ts";

const component = (id: string, extra = "") =>
  `  - componentId: ${id}
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/${id}.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /${id}, methods: [POST] }
${extra}`;

/** `import()` with a computed specifier: the bundler refuses `node:` imports it can see. */
const NODE = `const node = (name: string) => import(["node", name].join(":"));`;
/**
 * Every component answers `{mode: "warm"}` at once: the first request of a component bundles it
 * on Kiln's main thread, which is not what these tests measure.
 */
const WARM = `type Req = { httpDetails: { body: string } };
const modeOf = (req: Req) => (JSON.parse(req.httpDetails.body || "{}") as { mode?: string }).mode;`;

const REGISTRY: Record<string, string> = {
  flood: component("flood", "    limits: { timeoutMs: 30000 }\n"),
  hoard: component("hoard", "    limits: { timeoutMs: 30000, memoryMb: 128 }\n"),
  tamper: component("tamper"),
  vault: component("vault", "    permissions: [core.state.setRuntimeValue]\n"),
  later: component("later", "    permissions: [core.state.setRuntimeValue]\n"),
  plain: component("plain"),
};

const CODE: Record<string, string> = {
  "code/flood.ts": `${NODE}
${WARM}
export async function run(req: Req) {
  if (modeOf(req) === "warm") return { warm: true };
  const p = (await node("process")).default;
  const chunk = "x".repeat(1 << 20);
  for (let i = 0; i < 150; i++) p.stdout.write(chunk);
  return { wrote: 150 };
}
`,
  "code/hoard.ts": `${WARM}
const keep: Uint8Array[] = [];
export function run(req: Req) {
  if (modeOf(req) === "warm") return { warm: true };
  for (let i = 0; i < 64; i++) keep.push(new Uint8Array(8 << 20).fill(1));
  return { heldMb: keep.length * 8 };
}
`,
  "code/tamper.ts": `${WARM}
export function run(req: Req) {
  if (modeOf(req) === "warm") return { warm: true };
  const g = globalThis as { stolen?: string[] };
  if (!g.stolen) {
    const parse = JSON.parse;
    g.stolen = [];
    JSON.parse = (text: string, reviver?: (k: string, v: unknown) => unknown) => {
      g.stolen!.push(String(text).slice(0, 2000));
      return parse(text, reviver);
    };
  }
  return { tampered: true, native: String(JSON.parse).includes("[native code]"), stolen: g.stolen };
}
`,
  "code/vault.ts": `import { mcp } from "kiln:sdk";
export async function run(req: { httpDetails: { body: string } }) {
  const { secret, mode } = JSON.parse(req.httpDetails.body);
  if (mode === "warm") return { warm: true };
  await mcp.call("core.state.setRuntimeValue", { key: "vault", value: secret });
  const g = globalThis as { stolen?: string[] };
  return { stored: true, native: String(JSON.parse).includes("[native code]"), stolen: g.stolen ?? null };
}
`,
  "code/later.ts": `import { mcp } from "kiln:sdk";
export async function run(req: { httpDetails: { body: string } }) {
  const { mode } = JSON.parse(req.httpDetails.body);
  if (mode === "warm") return { warm: true };
  if (mode === "arm") {
    AbortSignal.timeout(300).addEventListener("abort", () => {
      mcp.call("core.state.setRuntimeValue", { key: "hijack", value: "pwned" }).then(
        () => { (globalThis as { hijack?: string }).hijack = "written"; },
        (e: Error) => { (globalThis as { hijack?: string }).hijack = "refused: " + e.message; },
      );
    });
    return { armed: true };
  }
  await new Promise((r) => setTimeout(r, 800));
  await mcp.call("core.state.setRuntimeValue", { key: "own", value: "mine" });
  return { waited: true };
}
`,
  "code/plain.ts": `export function run() { return { ok: true }; }\n`,
};

function post(kiln: AttackKiln, path: string, body: unknown = {}) {
  return fetchJson(kiln, `/apps/attacker/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The attacker's app with components `ids` (and `plain`), each warmed once. */
function attacker(ids: string[]): Record<string, string> {
  const all = [...ids, "plain"];
  return {
    "app_definition.yaml": "appId: attacker\ndisplayName: attacker\nversion: 1.0.0\n",
    "component_registry.yaml": `components:\n${all.map((id) => REGISTRY[id]).join("")}`,
    ...Object.fromEntries(all.map((id) => [`code/${id}.ts`, CODE[`code/${id}.ts`]])),
  };
}

async function withAttacker(
  ids: string[],
  fn: (kiln: AttackKiln) => Promise<void>,
): Promise<void> {
  const kiln = await startAttackKiln();
  try {
    await kiln.register(attacker(ids));
    for (const id of [...ids, "plain"]) {
      const warm = await post(kiln, id, { mode: "warm" });
      assert.equal(warm.status, 200, `${id}: ${JSON.stringify(warm.json)}`);
    }
    await fn(kiln);
    const back = await post(kiln, "plain");
    assert.equal(back.status, 200, `the attacker's app recovers: ${JSON.stringify(back.json)}`);
  } finally {
    await kiln.stop();
  }
}

const runtimeValue = async (kiln: AttackKiln, key: string) =>
  (await kiln.api("GET", `/v1/apps/attacker/runtime/${key}`)).json;

Deno.test("isolate: a stdout flood is killed for output and never stalls Kiln", async () => {
  await withAttacker(["flood"], async (kiln) => {
    const { result } = await underAttack(kiln, () => post(kiln, "flood"));
    assertError(
      { status: result.status, json: result.json },
      500,
      "SANDBOX_KILLED",
      { reason: "output" },
    );
    assert.ok(result.ms < 5_000, `the flood took ${result.ms.toFixed(0)} ms to stop`);
  });
});

Deno.test("isolate: array buffers past memoryMb are killed for memory", async () => {
  await withAttacker(["hoard"], async (kiln) => {
    const { result } = await underAttack(kiln, () => post(kiln, "hoard"));
    assertError(
      { status: result.status, json: result.json },
      500,
      "SANDBOX_KILLED",
      { reason: "memory" },
    );
    assert.match(result.json.error.message, /"attacker\/hoard" exceeded its 128 MB memory limit/);
  });
});

Deno.test("isolate: a component that replaces JSON.parse never sees a sibling's request", async () => {
  await withAttacker(["tamper", "vault"], async (kiln) => {
    const { result } = await underAttack(kiln, async () => {
      assert.equal((await post(kiln, "tamper")).status, 200);
      return await post(kiln, "vault", { secret: "s3cr3t-body" });
    });
    assert.equal(result.status, 200, JSON.stringify(result.json));
    assert.deepEqual(result.json, { stored: true, native: true, stolen: null });
    assert.deepEqual(await runtimeValue(kiln, "vault"), { found: true, value: "s3cr3t-body" });
    // The tamperer's realm still has its hook, and it saw nothing of the vault's request.
    const again = await post(kiln, "tamper");
    assert.equal(again.status, 200);
    assert.equal(again.json.native, false, "the tamperer's own warm realm keeps its hook");
    assert.ok(!JSON.stringify(again.json).includes("s3cr3t"), JSON.stringify(again.json));
    assert.ok(!JSON.stringify(again.json).includes("kiln_exec_"), "a sibling's token leaked");
  });
});

Deno.test("isolate: a leftover AbortSignal.timeout callback cannot call a tool as a later execution", async () => {
  await withAttacker(["later"], async (kiln) => {
    const { result } = await underAttack(kiln, async () => {
      const armed = await post(kiln, "later", { mode: "arm" });
      assert.deepEqual(armed.json, { armed: true });
      return await post(kiln, "later", { mode: "wait" });
    });
    assert.equal(result.status, 200, JSON.stringify(result.json));
    assert.deepEqual(result.json, { waited: true });
    assert.deepEqual(await runtimeValue(kiln, "own"), { found: true, value: "mine" });
    assert.deepEqual(await runtimeValue(kiln, "hijack"), { found: false });
  });
});
