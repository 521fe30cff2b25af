/**
 * The cluster's Redis connections. Every command has a deadline and nothing queues while the
 * connection is down, so a node whose Redis is unreachable (or paused) fails fast with
 * UNAVAILABLE instead of hanging; pub/sub needs its own connection (`subscriber()`).
 */
import type { createClient } from "redis";
import { KilnError } from "../core/mod.ts";

/** A connected node-redis client. */
export type RedisClient = ReturnType<typeof createClient>;

/** How long one cluster command may take before it counts as a failure. */
export const COMMAND_TIMEOUT_MS = 3_000;

/**
 * Rejects when `work` has not settled within the command deadline. node-redis's own timeout
 * (set too) stops counting once a command is written, and a paused Redis never answers.
 */
export async function deadline<T>(work: Promise<T>, ms = COMMAND_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Key names of one cluster: everything under `<prefix>:cluster:`. */
export function clusterKey(prefix: string, ...parts: string[]): string {
  return [prefix, "cluster", ...parts].join(":");
}

/** Connects to the cluster's Redis; fails with UNAVAILABLE when it does not answer. */
export async function connectRedis(url: string): Promise<RedisClient> {
  const redis = await import("redis");
  let connected = false;
  const client = redis.createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries, cause) => connected ? Math.min(50 * 2 ** retries, 1_000) : cause,
    },
  });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    throw unavailable(err);
  }
  connected = true;
  return client.withCommandOptions({ timeout: COMMAND_TIMEOUT_MS }) as unknown as RedisClient;
}

/** Closes a client whether or not its connection is up. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close().catch(() => client.destroy());
  else client.destroy();
}

/** A Redis failure as the error callers answer 503 with. */
export function unavailable(err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  const message = err instanceof Error ? err.message || err.constructor.name : String(err);
  return new KilnError("UNAVAILABLE", `the cluster's Redis is unavailable: ${message}`, {}, {
    cause: err,
  });
}
