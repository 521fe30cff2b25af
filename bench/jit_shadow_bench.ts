/**
 * Seeded trials of the JIT's shadow test (`deno task bench:jit-shadow`): how often and how fast
 * a live handler that is ~4% wrong (misses the hazardous-goods class), ~2% wrong (`> 30` for
 * `>= 30` kg) or correct is rolled back, on the shipping fixture of `tests/jit_gate_test.ts`.
 *
 * Each trial streams the fixture's traffic (its own seed) past a live version at Kiln's default
 * shadow rates — 10% of calls while on probation, 1% once the test has accepted the version —
 * and feeds every shadowed call's agreement into `ShadowTest`, the class the request path uses
 * (`JitHooks.servedByCode` adds only the sampling draw done here). The LLM is the fixture's
 * deterministic model, or a noisy one that gives another answer on `NOISE` of calls, with the
 * test's H0 set at that noise as the gate would have measured it.
 *
 * Run: `deno run -A bench/jit_shadow_bench.ts [TRIALS=200] [CALLS=1500] [--json]`.
 */
import { SHADOW_TEST, ShadowTest } from "../src/jit/mod.ts";
import { sameOutput } from "../src/jit/mod.ts";
import { missesHazmat, offByOne, route, shipments } from "../tests/_support/shipping.ts";

const POSITIONAL = Deno.args.filter((a) => !a.startsWith("--"));
const TRIALS = Number(POSITIONAL[0] ?? 200);
const CALLS = Number(POSITIONAL[1] ?? 1_500);
const LONG = 20_000;
const PROBATION_RATE = 0.1;
const ACTIVE_RATE = 0.01;
const NOISE = 0.01;

type Handler = (input: { request: string }) => unknown;
const HANDLERS: [string, Handler][] = [
  ["misses hazmat (~4% wrong)", missesHazmat],
  ["off by one (~2% wrong)", offByOne],
  ["correct", route],
];

/** mulberry32: small, seedable, good enough to draw samples. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One trial: the call index of the rollback (and checks it took), or null. */
function trial(handler: Handler, seed: number, calls: number, noise: number) {
  const random = prng(seed);
  const traffic = shipments(calls, seed);
  const test = new ShadowTest(noise);
  for (const [i, request] of traffic.entries()) {
    const rate = test.proven ? ACTIVE_RATE : PROBATION_RATE;
    if (random() >= rate) continue;
    const truth = route({ request });
    // A noisy LLM gives some other answer on `noise` of calls.
    const llm = random() < noise ? { ...truth, speed: `${truth.speed}-variant` } : truth;
    if (test.push(sameOutput(llm, handler({ request }))) === "rollback") {
      return { call: i + 1, checks: test.snapshot().checks };
    }
  }
  return null;
}

function percentile(xs: number[], p: number): number | string {
  if (!xs.length) return "-";
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

const rows = [];
for (const noise of [0, NOISE]) {
  for (const [label, handler] of HANDLERS) {
    const wrongRate = shipments(CALLS, 1).filter((request) =>
      !sameOutput(route({ request }), handler({ request }))
    ).length / CALLS;
    for (const calls of [CALLS, LONG]) {
      const out = Array.from({ length: TRIALS }, (_, i) => trial(handler, 1_000 + i, calls, noise));
      const hit = out.filter((x) => x !== null) as { call: number; checks: number }[];
      rows.push({
        llm: noise ? `noisy (${noise * 100}%)` : "deterministic",
        handler: label,
        "wrong share": `${(wrongRate * 100).toFixed(1)}%`,
        calls,
        "rolled back": `${hit.length}/${TRIALS} (${(hit.length / TRIALS * 100).toFixed(1)}%)`,
        "calls to rollback p50/p95": `${percentile(hit.map((h) => h.call), 0.5)} / ${
          percentile(hit.map((h) => h.call), 0.95)
        }`,
        "checks to rollback p50/p95/max": `${percentile(hit.map((h) => h.checks), 0.5)} / ${
          percentile(hit.map((h) => h.checks), 0.95)
        } / ${hit.length ? Math.max(...hit.map((h) => h.checks)) : "-"}`,
      });
    }
  }
}
if (Deno.args.includes("--json")) console.log(JSON.stringify(rows));
else {
  console.log(
    `shadow test: SPRT, H0 p0 = max(noise, ${SHADOW_TEST.NOISE_FLOOR}), H1 p0 + ${SHADOW_TEST.DEFECT}, ` +
      `α ${SHADOW_TEST.ALPHA}, β ${SHADOW_TEST.BETA}; ${TRIALS} seeded trials per row; shadow ` +
      `rates ${PROBATION_RATE} on probation, ${ACTIVE_RATE} once proven`,
  );
  console.table(rows);
}
