/** TEST ONLY — the CI Redis for the cluster's unit tests, and a fresh key prefix per test. */
import { closeRedis, connectRedis, type RedisClient } from "./_redis.ts";

export const REDIS_URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";

/** Whether the test Redis answers (for `requireService`). */
export async function probeRedis(): Promise<boolean> {
  await closeRedis(await connectRedis(REDIS_URL));
  return true;
}

/** Runs `fn` with fresh connections on a prefix of its own, then removes that prefix's keys. */
export async function withRedis(
  fn: (open: () => Promise<RedisClient>, prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = `kiln-test-${crypto.randomUUID().slice(0, 8)}`;
  const clients: RedisClient[] = [];
  const open = async () => {
    const client = await connectRedis(REDIS_URL);
    clients.push(client);
    return client;
  };
  try {
    await fn(open, prefix);
  } finally {
    const admin = await open();
    for await (const keys of admin.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
      if (keys.length > 0) await admin.unlink(keys);
    }
    for (const client of clients) await closeRedis(client);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
