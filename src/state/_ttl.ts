import { KilnError, quote } from "../core/mod.ts";

/** A TTL in whole milliseconds; both store drivers refuse the same bad TTLs the same way. */
export function ttlMillis(ttlSeconds: number): number {
  if (!(typeof ttlSeconds === "number" && Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `ttlSeconds must be a positive number, got ${quote(ttlSeconds)}`,
    );
  }
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}
