/**
 * The one way Kiln opens a Redis connection (the store and every cluster connection): a plain
 * `redis://` / `rediss://` server, or a master found through Sentinel
 * (`redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTERNAME[/DB]`). Nothing queues while the
 * connection is down and every round trip gets a deadline, so an unreachable or paused Redis
 * fails fast instead of hanging.
 */
import type { createClient } from "redis";
import { KilnError, quote } from "../core/mod.ts";

/**
 * A connected client. A Sentinel-managed master has the same command surface (commands, `multi`,
 * `eval`, pub/sub, `scanIterator`, `duplicate`, `withTypeMapping`), so callers see one type.
 */
export type RedisClient = ReturnType<typeof createClient>;

/** How long one Redis round trip may take before it counts as a failure. */
export const REDIS_COMMAND_TIMEOUT_MS = 3_000;

/** How long opening a connection (through Sentinel: discovering the master too) may take. */
const CONNECT_TIMEOUT_MS = 5_000;

/** What a Redis URL names: one server, or a master to find through sentinels. */
export type RedisTarget =
  | { kind: "server"; url: string }
  | {
    kind: "sentinel";
    sentinels: { host: string; port: number }[];
    master: string;
    database?: number;
    username?: string;
    password?: string;
  };

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/@]+)\/([^/]+)(?:\/(\d{1,5}))?\/?$/;

/** Parses a store or cluster URL; VALIDATION_ERROR names the offending (redacted) value. */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) return { kind: "server", url };
  const m = SENTINEL_URL.exec(url);
  if (!m) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `expected redis://HOST:PORT[/DB] or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER[/DB], got ${
        quote(redactRedisUrl(url))
      }`,
    );
  }
  const [, auth, hosts, master, db] = m;
  const sentinels = hosts.split(",").map((hostPort) => {
    const hp = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort);
    const port = hp ? Number(hp[2]) : NaN;
    if (!hp || port < 1 || port > 65_535) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `a sentinel address is HOST:PORT, got ${quote(hostPort)} in ${quote(redactRedisUrl(url))}`,
      );
    }
    return { host: hp[1].replace(/^\[|\]$/g, ""), port };
  });
  const [user, pass] = auth === undefined ? [] : auth.split(":", 2).map(decodeURIComponent);
  return {
    kind: "sentinel",
    sentinels,
    master: decodeURIComponent(master),
    ...(db === undefined ? {} : { database: Number(db) }),
    ...(user ? { username: user } : {}),
    ...(pass === undefined ? {} : { password: pass }),
  };
}

/**
 * Connects; UNAVAILABLE when Redis (or every sentinel) does not answer, VALIDATION_ERROR for a
 * malformed URL. After the first connection it reconnects with backoff (through Sentinel: to
 * whichever master the sentinels name).
 */
export async function connectRedis(url: string): Promise<RedisClient> {
  const target = parseRedisUrl(url);
  const redis = await import("redis");
  let connected = false;
  const socket = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    reconnectStrategy: (retries: number, cause: Error) =>
      connected ? Math.min(50 * 2 ** retries, 1_000) : cause,
  };
  let client: RedisClient;
  try {
    client = target.kind === "server"
      ? redis.createClient({ url, disableOfflineQueue: true, socket })
      : redis.createSentinel({
        name: target.master,
        sentinelRootNodes: target.sentinels,
        nodeClientOptions: {
          disableOfflineQueue: true,
          socket: { connectTimeout: CONNECT_TIMEOUT_MS },
          ...(target.database === undefined ? {} : { database: target.database }),
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: target.password }),
        },
        sentinelClientOptions: { socket: { connectTimeout: CONNECT_TIMEOUT_MS } },
      }) as unknown as RedisClient;
  } catch (err) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `invalid Redis URL ${quote(redactRedisUrl(url))}: ${redisFailure(err)}`,
    );
  }
  client.on("error", () => {});
  try {
    await withDeadline(client.connect(), CONNECT_TIMEOUT_MS);
  } catch (err) {
    await Promise.resolve(client.destroy()).catch(() => {});
    throw new KilnError(
      "UNAVAILABLE",
      `cannot connect to Redis at ${redactRedisUrl(url)}: ${redisFailure(err)}`,
      { url: redactRedisUrl(url) },
      { cause: err },
    );
  }
  connected = true;
  return client;
}

/** Closes a client whether or not its connection is up. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close().catch(() => client.destroy());
  else await Promise.resolve(client.destroy()).catch(() => {});
}

/**
 * Rejects when `work` has not settled within `ms`: node-redis's own timeout stops counting once
 * a command is written, and a paused Redis never answers. A deadline that fires late (the event
 * loop was busy) gives an answer already waiting one more turn of the loop before giving up.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms = REDIS_COMMAND_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), 0);
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)([^@/]*)@/i, (_, scheme: string, auth: string) => {
    const at = auth.indexOf(":");
    return `${scheme}${at < 0 ? "***" : `${auth.slice(0, at)}:***`}@`;
  });
}

/** A Redis failure's message (the first of an aggregate). */
export function redisFailure(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return redisFailure(err.errors[0]);
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}
