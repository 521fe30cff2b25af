/**
 * The runtime-state seam: a small key/value contract with TTL that the embedded store and Redis
 * both implement, so registry records and app runtime values move to Redis for cluster mode
 * without their callers changing. Every driver passes `store_common_case.ts`.
 */

import type { JsonValue } from "../core/mod.ts";

/** The answer of a read: `value` is present only when `found`. */
export interface StoreEntry {
  found: boolean;
  value?: JsonValue;
}

/** A lease a fenced write checks: the raw key and the value its holder wrote there. */
export interface StoreFence {
  key: string;
  holder: string;
}

/**
 * A durable, scoped key/value store. A scope is a namespace (`app:<appId>` for runtime values,
 * `kiln:*` for Kiln's own records); keys in different scopes never meet. Expiry is decided by the
 * driver's injected clock, so tests move time with fake timers.
 */
export interface StoreDriver {
  readonly kind: "embedded" | "redis";
  get(scope: string, key: string): Promise<StoreEntry>;
  /** Stores `value`; `ttlSeconds` (> 0) makes it expire, absent means keep forever. */
  set(scope: string, key: string, value: JsonValue, ttlSeconds?: number): Promise<void>;
  /**
   * Stores `value` only when the key holds no live value, atomically (across nodes on Redis):
   * answers `{found: false}` when it stored it, else the value already there, unchanged.
   */
  setIfAbsent(
    scope: string,
    key: string,
    value: JsonValue,
    ttlSeconds?: number,
  ): Promise<StoreEntry>;
  /**
   * Stores `value` only while the raw key `fence.key` holds `fence.holder`, checked in the same
   * atomic step as the write; false (nothing written) otherwise. Only the Redis driver has it:
   * the fence is a run lease kept in the same Redis.
   */
  setFenced?(
    scope: string,
    key: string,
    value: JsonValue,
    ttlSeconds: number | undefined,
    fence: StoreFence,
  ): Promise<boolean>;
  /** Removes a key; true when it existed. */
  delete(scope: string, key: string): Promise<boolean>;
  /**
   * Atomically adds `by` to a numeric value (a missing key counts as 0) and returns the result.
   * A non-numeric value is a VALIDATION_ERROR. An existing TTL is kept; `ttlSeconds` sets one.
   */
  increment(scope: string, key: string, by: number, ttlSeconds?: number): Promise<number>;
  /** Live entries of a scope whose key starts with `prefix`, sorted by key. */
  list(scope: string, prefix?: string): Promise<{ key: string; value: JsonValue }[]>;
  /** Removes every key of a scope; returns how many. */
  deleteScope(scope: string): Promise<number>;
  close(): Promise<void>;
}
