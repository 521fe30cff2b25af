/**
 * Attacks on a real `kiln serve` (its own process, on a socket), with a bystander: a second app
 * whose trivial component a probe calls back to back while the attack runs. A tenant-isolation
 * test performs one attack through a public surface and asserts three things: the attacker got a
 * structured error naming the right budget or reason, the bystander's p99 stayed under budget
 * with no failures, and the attacker's app serves again afterwards.
 */
import assert from "node:assert/strict";
import { type ServerProcess, spawnServer } from "./process.ts";

export const ATTACK_TOKEN = "attack-admin-token-0123456789abcdef";

/** The bystander's p99 while an attack runs must stay under this (ms). */
export const BYSTANDER_P99_MS = 250;

/** A running `kiln serve` to attack. */
export interface AttackKiln {
  url: string;
  server: ServerProcess;
  dataDir: string;
  /** Calls the HTTP API as the admin (JSON in, JSON out). */
  api(
    method: string,
    path: string,
    body?: unknown,
    // deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
  ): Promise<{ status: number; json: any; headers: Headers }>;
  /** Registers an app from state files; throws unless it answers 201. */
  register(files: Record<string, string>): Promise<void>;
  /** A plain fetch against the server. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts `kiln serve` on a fresh data dir, with the bystander app registered and warm. */
export async function startAttackKiln(
  opts: { args?: string[]; env?: Record<string, string> } = {},
): Promise<AttackKiln> {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-attack-" });
  const server = await spawnServer(
    ["--port", "0", "--data-dir", dataDir, "--no-example", ...(opts.args ?? [])],
    { env: { KILN_ADMIN_TOKEN: ATTACK_TOKEN, KILN_LOG_LEVEL: "error", ...opts.env } },
  );
  const url = server.url;
  const kiln: AttackKiln = {
    url,
    server,
    dataDir,
    async api(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ATTACK_TOKEN}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: res.status, json, headers: res.headers };
    },
    async register(files) {
      const res = await kiln.api("POST", "/v1/apps", { files });
      assert.equal(res.status, 201, `register: ${JSON.stringify(res.json)}`);
    },
    fetch: (path, init) => fetch(`${url}${path}`, init),
    async stop() {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
  try {
    await kiln.register(bystanderApp());
    for (let i = 0; i < 5; i++) await expectOk(await kiln.fetch(BYSTANDER_PATH));
  } catch (err) {
    await kiln.stop();
    throw err;
  }
  return kiln;
}

export const BYSTANDER_PATH = "/apps/bystander/ping";

/** The bystander: one trivial isolate-tier component. */
export function bystanderApp(): Record<string, string> {
  return {
    "app_definition.yaml": "appId: bystander\ndisplayName: bystander\nversion: 1.0.0\n",
    "component_registry.yaml": `components:
  - componentId: ping
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/ping.ts, function: ping, language: typescript }
    routeMatcher: { pathPattern: /ping, methods: [GET] }
`,
    "code/ping.ts": "export function ping() { return { pong: true }; }\n",
  };
}

async function expectOk(res: Response): Promise<void> {
  const body = await res.text();
  assert.equal(res.status, 200, `bystander: ${res.status} ${body}`);
}

/** What the bystander saw while the probe ran. */
export interface ProbeResult {
  count: number;
  failures: string[];
  p50: number;
  p99: number;
  max: number;
}

/** Calls `path` back to back until stopped; answers the latency figures. */
export function probe(
  url: string,
  path = BYSTANDER_PATH,
): { readonly count: number; stop(): Promise<ProbeResult> } {
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status !== 200) failures.push(`${res.status} ${body.slice(0, 200)}`);
      } catch (err) {
        failures.push(String(err));
      }
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    get count() {
      return latencies.length;
    },
    async stop() {
      running = false;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      return {
        count: sorted.length,
        failures,
        p50: at(0.5) ?? NaN,
        p99: at(0.99) ?? NaN,
        max: sorted.at(-1) ?? NaN,
      };
    },
  };
}

/**
 * Runs `attack` while the bystander is probed; asserts the bystander was served without failures
 * and under the p99 budget, and answers what the attack returned with the probe's figures.
 */
export async function underAttack<T>(
  kiln: AttackKiln,
  attack: () => Promise<T>,
  opts: { minProbes?: number } = {},
): Promise<{ result: T; bystander: ProbeResult }> {
  const p = probe(kiln.url);
  let result: T;
  try {
    result = await attack();
  } finally {
    // A tail, so an attack that returns early but leaves work behind still shows up, and a quick
    // attack still has enough probes to judge by.
    const until = Date.now() + 5_000;
    await new Promise((r) => setTimeout(r, 300));
    while (p.count < (opts.minProbes ?? 5) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const bystander = await p.stop();
  assert.deepEqual(bystander.failures, [], "the bystander failed during the attack");
  assert.ok(
    bystander.count >= (opts.minProbes ?? 5),
    `the probe ran only ${bystander.count} times`,
  );
  assert.ok(
    bystander.p99 < BYSTANDER_P99_MS,
    `the bystander's p99 was ${bystander.p99.toFixed(1)} ms (max ${
      bystander.max.toFixed(1)
    } ms, ${bystander.count} calls) during the attack; the budget is ${BYSTANDER_P99_MS} ms`,
  );
  return { result: result!, bystander };
}

/** Asserts an error envelope with `code` (and `details` fields when given). */
export function assertError(
  res: { status: number; json: unknown },
  status: number,
  code: string,
  details: Record<string, unknown> = {},
): void {
  const json = res.json as { error?: { code?: string; details?: Record<string, unknown> } };
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(json?.error?.code, code, JSON.stringify(res.json));
  for (const [k, v] of Object.entries(details)) {
    assert.deepEqual(json.error?.details?.[k], v, `details.${k}: ${JSON.stringify(res.json)}`);
  }
}

/** fetch + JSON, for ingress calls in attacks. */
export async function fetchJson(
  kiln: AttackKiln,
  path: string,
  init?: RequestInit,
  // deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
): Promise<{ status: number; json: any; ms: number }> {
  const started = performance.now();
  const res = await kiln.fetch(path, init);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, json, ms: performance.now() - started };
}
