import { KilnError, quote } from "../../core/mod.ts";
import type { PoolSpec } from "./container_pool.ts";

const MB = 1 << 20;

/** Pool defaults: small, locked-down containers recycled often. */
export const POOL_DEFAULTS: Omit<PoolSpec, "appId" | "poolName" | "image"> = {
  minInstances: 0,
  maxInstances: 4,
  memoryBytes: 256 * MB,
  nanoCpus: 1e9,
  pidsLimit: 64,
  tmpfsBytes: 64 * MB,
  egress: false,
  volumes: [],
  maxExecutions: 500,
  maxAgeMs: 30 * 60_000,
  idleTimeoutMs: 5 * 60_000,
  queueTimeoutMs: 5_000,
  maxQueue: 64,
};

/** Parses `256m`, `1g`, `512k` or a byte count. */
export function parseMemory(value: number | string): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)([kmg]?)$/i.exec(value);
  if (!m) throw new KilnError("VALIDATION_ERROR", `not a memory size: ${quote(value)}`);
  const unit = { "": 1, k: 1 << 10, m: MB, g: 1 << 30 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * unit;
}
