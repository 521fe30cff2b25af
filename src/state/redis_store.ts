import { type Clock, type JsonValue, KilnError, quote, systemClock } from "../core/mod.ts";
import type { StoreDriver, StoreEntry, StoreFence } from "./store.ts";
import { ttlMillis } from "./_ttl.ts";
import {
  closeRedis,
  connectRedis,
  redactRedisUrl,
  type RedisClient as Client,
  redisFailure as reason,
  withDeadline,
} from "./redis_connect.ts";

/**
 * The Redis client library, loaded by the first `connect`: a node on the embedded store never
 * holds it (it is tens of MB resident). The specifier stays literal so `deno compile` embeds it.
 */
let redis: typeof import("redis") | undefined;

/** A Redis error reply; false before any connection (no reply can exist yet). */
function isErrorReply(err: unknown): err is Error {
  return redis !== undefined && err instanceof redis.ErrorReply;
}

/** Shortest `%.Ng` form that reads back as the same double, so JSON numbers keep full precision. */
const LUA_FMT = `
local function fmt(n)
  for _, p in ipairs({15, 16, 17}) do
    local s = string.format('%.' .. p .. 'g', n)
    if tonumber(s) == n then return s end
  end
end
`;

/** KEYS[1]; ARGV: by, now, ttl ms ("" = keep). Returns {"ok", text} | {"not_number", head} | {"overflow"}. */
const INCREMENT = `${LUA_FMT}
local by, now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local raw = redis.call('GET', KEYS[1])
local current, e, live = 0, nil, false
if raw then
  local es, v = string.match(raw, '^{"e":([^,]*),"v":(.*)}$')
  e = tonumber(es)
  if es and (e == nil or e > now) then
    live = true
    current = tonumber(v)
    if current == nil then return {'not_number', string.sub(v, 1, 200)} end
  end
end
local n = current + by
if n ~= n or n == math.huge or n == -math.huge then return {'overflow'} end
local text = fmt(n)
if ttl then
  redis.call('SET', KEYS[1], '{"e":' .. fmt(now + ttl) .. ',"v":' .. text .. '}', 'PX', ttl)
elseif live and e then
  redis.call('SET', KEYS[1], '{"e":' .. fmt(e) .. ',"v":' .. text .. '}', 'KEEPTTL')
else
  redis.call('SET', KEYS[1], '{"e":null,"v":' .. text .. '}')
end
return {'ok', text}
`;

/** KEYS: keys to unlink; ARGV[1]: now. Returns how many of them were live. */
const DELETE_LIVE = `
local now, live = tonumber(ARGV[1]), 0
for _, k in ipairs(KEYS) do
  local head = redis.call('GETRANGE', k, 0, 63)
  if head ~= '' then
    local e = tonumber(string.match(head, '^{"e":([^,]*),'))
    if e == nil or e > now then live = live + 1 end
    redis.call('UNLINK', k)
  end
end
return live
`;

/** KEYS[1]; ARGV: wrapped value, now, ttl ms ("" = none). Returns the live raw value, or false. */
const SET_IF_ABSENT = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local e = tonumber(string.match(raw, '^{"e":([^,]*),'))
  if e == nil or e > tonumber(ARGV[2]) then return raw end
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return false
`;

/**
 * KEYS[1]: the value, KEYS[2]: the fence (a lease); ARGV: wrapped value, ttl ms ("" = none),
 * holder. Writes only while the fence holds the holder; returns 1 written, 0 refused.
 */
const SET_FENCED = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
`;

const SCRIPTS = {
  increment: INCREMENT,
  deleteLive: DELETE_LIVE,
  setIfAbsent: SET_IF_ABSENT,
  setFenced: SET_FENCED,
};
type ScriptName = keyof typeof SCRIPTS;

/**
 * The cluster-mode driver: runtime state in Redis so many Kiln nodes share it. Each value carries
 * its logical expiry (`{"e": ms | null, "v": value}`) decided by the injected clock, plus a native
 * `PX` so Redis frees the memory; increments run as one Lua script, atomic across nodes. Keys are
 * `<prefix>:{<scope>}:<key>` with `%`, `:`, braces and glob characters escaped, so scopes cannot
 * collide and a scope stays in one cluster slot.
 */
export class RedisStore implements StoreDriver {
  readonly kind = "redis" as const;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #where: string;
  readonly #shas: Record<ScriptName, string>;

  private constructor(
    client: Client,
    opts: { clock: Clock; prefix: string; where: string; shas: Record<ScriptName, string> },
  ) {
    this.#client = client;
    this.#clock = opts.clock;
    this.#prefix = opts.prefix;
    this.#where = opts.where;
    this.#shas = opts.shas;
  }

  /**
   * Connects to `url` (`redis://`, `rediss://` or `redis+sentinel://…/MASTER[/DB]`), failing fast
   * with UNAVAILABLE when Redis does not answer.
   */
  static async connect(
    url: string,
    opts: { clock?: Clock; prefix?: string } = {},
  ): Promise<RedisStore> {
    const where = redactRedisUrl(url);
    const prefix = opts.prefix ?? "kiln";
    if (prefix === "" || /[{}]/.test(prefix)) {
      throw new KilnError("VALIDATION_ERROR", `invalid Redis key prefix ${quote(prefix)}`);
    }
    redis ??= await import("redis");
    const client = await connectRedis(url);
    const shas = {} as Record<ScriptName, string>;
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) shas[name] = await sha1(SCRIPTS[name]);
    return new RedisStore(client, { clock: opts.clock ?? systemClock, prefix, where, shas });
  }

  get(scope: string, key: string): Promise<StoreEntry> {
    return this.#guard(async () => {
      const raw = await this.#client.get(this.#key(scope, key));
      if (raw === null) return { found: false };
      const { e, v } = JSON.parse(raw) as Wrapped;
      return e !== null && e <= this.#clock.now() ? { found: false } : { found: true, value: v };
    });
  }

  set(scope: string, key: string, value: JsonValue, ttlSeconds?: number): Promise<void> {
    return this.#guard(async () => {
      const ttl = ttlSeconds === undefined ? undefined : ttlMillis(ttlSeconds);
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new KilnError("VALIDATION_ERROR", `the value of ${quote(key)} is not JSON`);
      }
      const e = ttl === undefined ? null : this.#clock.now() + ttl;
      const wrapped = `{"e":${JSON.stringify(e)},"v":${text}}`;
      await this.#client.set(
        this.#key(scope, key),
        wrapped,
        ttl === undefined ? undefined : { expiration: { type: "PX", value: ttl } },
      );
    });
  }

  setFenced(
    scope: string,
    key: string,
    value: JsonValue,
    ttlSeconds: number | undefined,
    fence: StoreFence,
  ): Promise<boolean> {
    return this.#guard(async () => {
      const ttl = ttlSeconds === undefined ? undefined : ttlMillis(ttlSeconds);
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new KilnError("VALIDATION_ERROR", `the value of ${quote(key)} is not JSON`);
      }
      const e = ttl === undefined ? null : this.#clock.now() + ttl;
      const written = await this.#script("setFenced", [this.#key(scope, key), fence.key], [
        `{"e":${JSON.stringify(e)},"v":${text}}`,
        ttl === undefined ? "" : String(ttl),
        fence.holder,
      ]);
      return written === 1;
    });
  }

  setIfAbsent(
    scope: string,
    key: string,
    value: JsonValue,
    ttlSeconds?: number,
  ): Promise<StoreEntry> {
    return this.#guard(async () => {
      const ttl = ttlSeconds === undefined ? undefined : ttlMillis(ttlSeconds);
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new KilnError("VALIDATION_ERROR", `the value of ${quote(key)} is not JSON`);
      }
      const now = this.#clock.now();
      const e = ttl === undefined ? null : now + ttl;
      const raw = await this.#script("setIfAbsent", [this.#key(scope, key)], [
        `{"e":${JSON.stringify(e)},"v":${text}}`,
        String(now),
        ttl === undefined ? "" : String(ttl),
      ]);
      if (typeof raw !== "string") return { found: false };
      return { found: true, value: (JSON.parse(raw) as Wrapped).v };
    });
  }

  delete(scope: string, key: string): Promise<boolean> {
    return this.#guard(async () => {
      const live = await this.#script("deleteLive", [this.#key(scope, key)], [this.#now()]);
      return live === 1;
    });
  }

  increment(scope: string, key: string, by: number, ttlSeconds?: number): Promise<number> {
    return this.#guard(async () => {
      if (!Number.isFinite(by)) {
        throw new KilnError("VALIDATION_ERROR", `by must be a finite number, got ${quote(by)}`);
      }
      const ttl = ttlSeconds === undefined ? "" : String(ttlMillis(ttlSeconds));
      const [status, detail] = await this.#script("increment", [this.#key(scope, key)], [
        String(by),
        this.#now(),
        ttl,
      ]) as [string, string?];
      if (status === "ok") return Number(detail);
      if (status === "not_number") {
        throw new KilnError(
          "VALIDATION_ERROR",
          `cannot increment ${quote(key)}: its value ${quote(detail)} is not a number`,
        );
      }
      throw new KilnError("VALIDATION_ERROR", `incrementing ${quote(key)} by ${by} overflows`);
    });
  }

  list(scope: string, prefix = ""): Promise<{ key: string; value: JsonValue }[]> {
    return this.#guard(async () => {
      const base = this.#key(scope, "");
      const now = this.#clock.now();
      const out: { key: string; value: JsonValue }[] = [];
      for await (const keys of this.#scan(`${base}${escapeKey(prefix)}`)) {
        if (keys.length === 0) continue;
        const raws = await this.#client.mGet(keys);
        raws.forEach((raw, i) => {
          if (raw === null) return;
          const { e, v } = JSON.parse(raw) as Wrapped;
          if (e === null || e > now) {
            out.push({ key: unescapeKey(keys[i].slice(base.length)), value: v });
          }
        });
      }
      return out.sort((a, b) => compareCodePoints(a.key, b.key));
    });
  }

  deleteScope(scope: string): Promise<number> {
    return this.#guard(async () => {
      let live = 0;
      for await (const keys of this.#scan(this.#key(scope, ""))) {
        if (keys.length > 0) {
          live += await this.#script("deleteLive", keys, [this.#now()]) as number;
        }
      }
      return live;
    });
  }

  close(): Promise<void> {
    return closeRedis(this.#client);
  }

  #key(scope: string, key: string): string {
    return `${this.#prefix}:{${escapeKey(scope)}}:${escapeKey(key)}`;
  }

  #now(): string {
    return String(this.#clock.now());
  }

  #scan(keyPrefix: string): AsyncIterable<string[]> {
    return this.#client.scanIterator({ MATCH: `${escapeGlob(keyPrefix)}*`, COUNT: 500 });
  }

  async #script(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalSha(this.#shas[name], { keys, arguments: args });
    } catch (err) {
      if (!(isErrorReply(err) && err.message.startsWith("NOSCRIPT"))) throw err;
      return await this.#client.eval(SCRIPTS[name], { keys, arguments: args });
    }
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(work());
    } catch (err) {
      if (err instanceof KilnError) throw err;
      if (err instanceof SyntaxError) {
        throw new KilnError("INTERNAL", `Redis at ${this.#where} holds a value Kiln did not write`);
      }
      if (isErrorReply(err)) {
        throw new KilnError(
          "INTERNAL",
          `Redis at ${this.#where} refused a command: ${err.message}`,
          {
            url: this.#where,
          },
          { cause: err },
        );
      }
      throw new KilnError("UNAVAILABLE", `Redis at ${this.#where} is unavailable: ${reason(err)}`, {
        url: this.#where,
      }, { cause: err });
    }
  }
}

interface Wrapped {
  e: number | null;
  v: JsonValue;
}

function escapeKey(text: string): string {
  return text.replace(/[%:{}*?[\]\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function unescapeKey(text: string): string {
  return text.replace(
    /%([0-9A-F]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/** Orders keys by code point (as SQLite orders UTF-8), not by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
