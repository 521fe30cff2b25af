/**
 * The cluster's Redis round trips: the connection factory and deadline are the state layer's
 * (one for the store and every cluster connection); here they become UNAVAILABLE errors and
 * cluster key names. Pub/sub and blocking reads need their own connection (`duplicate()`).
 */
import { KilnError } from "../core/mod.ts";
import {
  closeRedis,
  connectRedis,
  REDIS_COMMAND_TIMEOUT_MS,
  type RedisClient,
  redisFailure,
  withDeadline,
} from "../state/mod.ts";

export { closeRedis, connectRedis, type RedisClient };

/** How long one cluster command may take before it counts as a failure. */
export const COMMAND_TIMEOUT_MS = REDIS_COMMAND_TIMEOUT_MS;

/** Rejects when `work` has not settled within the command deadline. */
export function deadline<T>(work: Promise<T>, ms = COMMAND_TIMEOUT_MS): Promise<T> {
  return withDeadline(work, ms);
}

/**
 * One Redis round trip with the deadline; any failure but a KilnError becomes UNAVAILABLE, so a
 * Redis that accepts the connection but does not answer gives the caller 503, not a hang.
 */
export async function command<T>(
  work: () => Promise<T>,
  ms = COMMAND_TIMEOUT_MS,
): Promise<T> {
  try {
    return await withDeadline(work(), ms);
  } catch (err) {
    throw unavailable(err);
  }
}

/** Key names of one cluster: everything under `<prefix>:cluster:`. */
export function clusterKey(prefix: string, ...parts: string[]): string {
  return [prefix, "cluster", ...parts].join(":");
}

/** A Redis failure as the error callers answer 503 with. */
export function unavailable(err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  return new KilnError(
    "UNAVAILABLE",
    `the cluster's Redis is unavailable: ${redisFailure(err)}`,
    {},
    {
      cause: err,
    },
  );
}
