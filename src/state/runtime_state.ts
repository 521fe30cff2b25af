import {
  type JsonValue,
  KilnError,
  limitExceeded,
  LIMITS,
  quote,
  valueDepth,
} from "../core/mod.ts";
import type { StoreDriver } from "./store.ts";

/** The longest runtime key, in UTF-16 code units (the HTTP route allows the same). */
export const MAX_KEY_LENGTH = 512;
/** Ten years: longer TTLs are almost certainly a unit mistake (ms for seconds). */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;
/** The default cap on one serialized value. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Tuning for {@link RuntimeState}. */
export interface RuntimeStateOptions {
  /** The largest serialized (UTF-8 JSON) value accepted; default 1 MiB. */
  maxValueBytes?: number;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const encoder = new TextEncoder();

/**
 * Contract §3 runtime state: JSON values per app, with TTL and atomic increments. Every key lives
 * in its app's scope (`app:<appId>`), so one app can never read or clear another's values, and
 * every input is checked here once, whichever driver sits below.
 */
export class RuntimeState {
  readonly #store: StoreDriver;
  readonly #maxValueBytes: number;

  constructor(store: StoreDriver, opts: RuntimeStateOptions = {}) {
    this.#store = store;
    this.#maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  }

  /** Stores a JSON value; `ttlSeconds` makes it expire, absent keeps it until deleted. */
  async setRuntimeValue(
    appId: string,
    key: string,
    value: JsonValue,
    ttlSeconds?: number,
  ): Promise<void> {
    const scope = scopeOf(appId);
    checkKey(key);
    checkTtl(ttlSeconds);
    this.#checkValue(key, value);
    await this.#store.set(scope, key, value, ttlSeconds);
  }

  /** Reads a value; `value` is present only when `found`. */
  async getRuntimeValue(
    appId: string,
    key: string,
  ): Promise<{ found: boolean; value?: JsonValue }> {
    const scope = scopeOf(appId);
    checkKey(key);
    return await this.#store.get(scope, key);
  }

  /** Removes a value; `deleted` says whether it existed. */
  async deleteRuntimeValue(appId: string, key: string): Promise<{ deleted: boolean }> {
    const scope = scopeOf(appId);
    checkKey(key);
    return { deleted: await this.#store.delete(scope, key) };
  }

  /** Atomically adds `by` (default 1) to a numeric value, a missing one counting as 0. */
  async incrementRuntimeValue(
    appId: string,
    key: string,
    by = 1,
    ttlSeconds?: number,
  ): Promise<{ value: number }> {
    const scope = scopeOf(appId);
    checkKey(key);
    if (typeof by !== "number" || !Number.isFinite(by)) {
      throw new KilnError("VALIDATION_ERROR", `by must be a finite number, got ${quote(by)}`);
    }
    checkTtl(ttlSeconds);
    return { value: await this.#store.increment(scope, key, by, ttlSeconds) };
  }

  /** The app's live keys starting with `prefix`, sorted. */
  async listRuntimeKeys(appId: string, prefix = ""): Promise<string[]> {
    const scope = scopeOf(appId);
    if (typeof prefix !== "string" || prefix.length > MAX_KEY_LENGTH) {
      throw new KilnError("VALIDATION_ERROR", `invalid key prefix ${quote(prefix)}`);
    }
    return (await this.#store.list(scope, prefix)).map((entry) => entry.key);
  }

  /** Removes every runtime value of an app (on deregistration); `deleted` counts them. */
  async deleteAllRuntimeValues(appId: string): Promise<{ deleted: number }> {
    return { deleted: await this.#store.deleteScope(scopeOf(appId)) };
  }

  #checkValue(key: string, value: unknown): void {
    // Measured without recursion first, so the walks below (and the store's JSON.stringify)
    // never meet a value deeper than the budget.
    const max = LIMITS["json.depth"];
    if (valueDepth(value, max) > max) {
      throw limitExceeded(
        "json.depth",
        `the value of ${quote(key)} nests deeper than ${max} levels`,
        {
          key,
          max,
        },
      );
    }
    checkJson(value, "$", new Set(), 0);
    const text = JSON.stringify(value);
    if (text.length * 3 <= this.#maxValueBytes) return;
    const bytes = encoder.encode(text).length;
    if (bytes > this.#maxValueBytes) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `the value of ${quote(key)} is ${bytes} bytes as JSON; the limit is ${this.#maxValueBytes}`,
        { bytes, maxValueBytes: this.#maxValueBytes },
      );
    }
  }
}

function scopeOf(appId: string): string {
  if (typeof appId !== "string" || appId.length === 0 || CONTROL.test(appId)) {
    throw new KilnError("VALIDATION_ERROR", `invalid app id ${quote(appId)}`);
  }
  return `app:${appId}`;
}

function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `a runtime key must be 1 to ${MAX_KEY_LENGTH} characters, got ${quote(key)}`,
    );
  }
  if (CONTROL.test(key) || !key.isWellFormed()) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `a runtime key must not hold control characters or lone surrogates, got ${quote(key)}`,
    );
  }
}

function checkTtl(ttlSeconds: number | undefined): void {
  if (ttlSeconds === undefined) return;
  if (
    typeof ttlSeconds !== "number" || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0 ||
    ttlSeconds > MAX_TTL_SECONDS
  ) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `ttlSeconds must be a positive number of at most ${MAX_TTL_SECONDS}, got ${
        quote(ttlSeconds)
      }`,
    );
  }
}

function checkJson(value: unknown, path: string, parents: Set<object>, depth: number): void {
  const fail = (why: string) => {
    throw new KilnError("VALIDATION_ERROR", `the value is not JSON: ${path} ${why}`, { path });
  };
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) fail(`is ${value}`);
      return;
    case "object":
      break;
    case "undefined":
      return fail("is undefined");
    default:
      return fail(`is a ${typeof value}`);
  }
  if (value === null) return;
  if (parents.has(value)) fail("refers back to itself");
  parents.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}[${i}]`, parents, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(`is a ${value.constructor?.name ?? "non-plain object"}, not a plain object`);
    }
    for (const [k, v] of Object.entries(value)) {
      const step = /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
      checkJson(v, path + step, parents, depth + 1);
    }
  }
  parents.delete(value);
}
