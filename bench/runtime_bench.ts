/**
 * Runtime state get/set on both store drivers (target: embedded get ≤ 100 µs).
 * The Redis cases run when Redis answers at KILN_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { EmbeddedStore } from "../src/state/embedded_store.ts";
import { RedisStore } from "../src/state/redis_store.ts";
import { RuntimeState } from "../src/state/runtime_state.ts";

const dir = await Deno.makeTempDir({ prefix: "kiln-bench-runtime-" });
const embedded = new RuntimeState(EmbeddedStore.open(`${dir}/kiln.db`));
const value = { user: "ada", cart: [1, 2, 3], total: 42.5 };
await embedded.setRuntimeValue("bench", "hot", value);

Deno.bench("runtime get (embedded)", { group: "get", baseline: true }, async () => {
  await embedded.getRuntimeValue("bench", "hot");
});
Deno.bench("runtime set (embedded)", { group: "set", baseline: true }, async () => {
  await embedded.setRuntimeValue("bench", "hot", value);
});

const url = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
let redis: RuntimeState | undefined;
try {
  redis = new RuntimeState(
    await RedisStore.connect(url, { prefix: `bench-${crypto.randomUUID()}` }),
  );
  await redis.setRuntimeValue("bench", "hot", value);
} catch {
  console.error(`Redis not reachable at ${url}: Redis runtime benches skipped`);
}
if (redis) {
  const r = redis;
  Deno.bench("runtime get (redis, loopback)", { group: "get" }, async () => {
    await r.getRuntimeValue("bench", "hot");
  });
  Deno.bench("runtime set (redis, loopback)", { group: "set" }, async () => {
    await r.setRuntimeValue("bench", "hot", value);
  });
}

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
