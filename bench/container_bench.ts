/**
 * Container tier (targets: warm p50 ≤ 10 ms, ≥ 50× faster than a container per request).
 * Side by side, on the same runner image and the same /execute request: a warm pool (allocate,
 * POST /execute over the Unix socket, release) against `docker run` per request (create and start
 * a container, wait for its runner, execute, remove it).
 *
 *   deno run -A bench/container_bench.ts [warm-iterations] [cold-iterations]   (table with p50)
 *   deno bench -A bench/container_bench.ts                                    (Deno.bench)
 * Needs Docker and the runner images (`kiln sandbox build-images`); skips without Docker.
 */
import { silentLogger } from "../src/core/mod.ts";
import { ContainerTier, DockerodeApi } from "../src/sandbox/container/mod.ts";
import { imageIsCurrent } from "../src/sandbox/container/images.ts";
import { DENO_RUNNER_IMAGE } from "../src/sandbox/container/images.ts";
import { DEFAULT_LIMITS, type ExecutionJob } from "../src/sandbox/mod.ts";
import { executeRequest, guestCode, RecordingHost } from "../src/sandbox/tier_common_case.ts";

const docker = new DockerodeApi();
const reachable = await docker.ping().then(() => true, () => false);
const ready = reachable && await imageIsCurrent(docker, DENO_RUNNER_IMAGE);
if (!ready) {
  console.error("container bench skipped: Docker or the runner image is missing");
}

const code = guestCode(`return { echo: requestData.input, app: context.appId };`, "esm");
const SOURCE = code.kind === "javascript" ? code.source : "";
const job = (appId: string): ExecutionJob => ({
  request: executeRequest(appId, { n: 1 }),
  code,
  limits: { ...DEFAULT_LIMITS, timeoutMs: 10_000, memoryMb: 128 },
  host: new RecordingHost(),
});

function tierWith(poolDefaults: ConstructorParameters<typeof ContainerTier>[0]["poolDefaults"]) {
  return new ContainerTier({
    docker,
    logger: silentLogger,
    socketRoot: Deno.makeTempDirSync({ prefix: "kcb-" }),
    maintenanceIntervalMs: 0,
    poolDefaults,
  });
}

/** Warm: a pool kept at four containers; each request takes whichever is free. */
const WARM = { minInstances: 4, maxInstances: 4, maxExecutions: 1_000_000 };
/** Cold: every request gets a new container, removed after the request (`docker run --rm`). */
const COLD = { minInstances: 0, maxInstances: 1, maxExecutions: 1 };

async function warmUp(tier: ContainerTier, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tier.execute(job("bench"));
}

async function sample(tier: ContainerTier, n: number, paceMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await tier.execute(job("bench"));
    times.push(performance.now() - t);
    if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
  }
  return times.sort((a, b) => a - b);
}

/** The pace of the main warm sample: one request every PACE_MS (a steady, not saturated, load). */
const PACE_MS = Number(Deno.env.get("KILN_BENCH_PACE_MS") ?? 50);

/** Inside the runner: its own execution time (hand-over to the spare guest, run, answer). */
async function runnerSide(tier: ContainerTier, n: number, paceMs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const lease = await tier.allocate("bench", "kiln-deno");
    const { request } = job("bench");
    const answer = await lease.sandbox.post(
      "/execute",
      { ...request, code: { language: "javascript", source: SOURCE, entry: "handler" } },
      AbortSignal.timeout(10_000),
      { token: "-", host: new RecordingHost() },
    );
    tier.release(lease);
    times.push((answer.body.metrics as { execution_time_ms: number }).execution_time_ms);
    await new Promise((r) => setTimeout(r, paceMs));
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

if (ready && import.meta.main) {
  const warmN = Number(Deno.args[0] ?? 300);
  const coldN = Number(Deno.args[1] ?? 15);
  const warm = tierWith(WARM);
  const cold = tierWith(COLD);
  try {
    await warmUp(warm, 40);
    await warmUp(cold, 1);
    const w = await sample(warm, warmN, PACE_MS);
    const saturated = await sample(warm, warmN);
    const inside = await runnerSide(warm, Math.min(warmN, 100), PACE_MS);
    const c = await sample(cold, coldN);
    const row = (name: string, s: number[]) =>
      `${name.padEnd(34)} ${String(s.length).padStart(5)} ${pct(s, 50).toFixed(2).padStart(9)} ` +
      `${pct(s, 95).toFixed(2).padStart(9)} ${pct(s, 99).toFixed(2).padStart(9)}`;
    console.log(
      `${"case".padEnd(34)} ${"n".padStart(5)} ${"p50 ms".padStart(9)} ` +
        `${"p95 ms".padStart(9)} ${"p99 ms".padStart(9)}`,
    );
    console.log(row(`warm pool, ${1000 / PACE_MS} req/s`, w));
    console.log(row("warm pool, back-to-back", saturated));
    console.log(row("  of which inside the runner", inside));
    console.log(row("docker run per request", c));
    const speedup = pct(c, 50) / pct(w, 50);
    console.log(
      `speed-up at p50: ${speedup.toFixed(1)}x (target >= 50x); warm p50 target <= 10 ms`,
    );
    // The machine's load says how much of the spread is other work competing for the CPU.
    console.log(`load average after the run: ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    await warm.close();
    await cold.close();
  }
} else if (ready) {
  const warm = tierWith(WARM);
  const cold = tierWith(COLD);
  await warmUp(warm, 20);
  Deno.bench(
    "container: warm pool allocate + /execute",
    { group: "container", baseline: true },
    async () => {
      await warm.execute(job("bench"));
    },
  );
  Deno.bench(
    "container: docker run per request",
    { group: "container", n: 10, warmup: 1 },
    async () => {
      await cold.execute(job("bench"));
    },
  );
  globalThis.addEventListener("unload", () => {
    // Containers are labelled; the next Kiln's orphan sweep removes them if this exit is abrupt.
    warm.close();
    cold.close();
  });
}
