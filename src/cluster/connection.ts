import { Buffer } from "node:buffer";
import type { createClient } from "redis";
import { KilnError, quote } from "../core/mod.ts";

/** The client type both a plain Redis and a Sentinel-managed master give. */
export type ClusterClient = ReturnType<typeof createClient>;

/** Reads raw bytes: bulk strings come back as Buffers. */
export type BinaryClient = {
  hmGet(key: string, fields: string[]): Promise<(Uint8Array | null)[]>;
};

/** The node's Redis connections: commands, and one for the change feed's blocking reads. */
export interface ClusterConnection {
  /** Commands; fails at once while Redis is unreachable (no offline queue). */
  client: ClusterClient;
  /** The command connection, answering bulk strings as bytes (Git objects). */
  binary: BinaryClient;
  /** Blocking `XREAD`s only (a blocked connection serves nobody else). */
  feed: ClusterClient;
  /** Key prefix (`kiln`): every cluster key starts with `<prefix>:cluster:`. */
  prefix: string;
  /** The URL with its password hidden, for messages. */
  where: string;
  close(): Promise<void>;
}

/** How long one cluster command may take before the caller gets UNAVAILABLE. */
export const COMMAND_TIMEOUT_MS = 2_000;

/**
 * Connects to the cluster's Redis: `redis://host:port[/db]` (or `rediss://`). The client
 * library is loaded here, so single-node Kiln never holds it. Reconnects with backoff after the
 * first connection; before it, a Redis that does not answer fails the start with UNAVAILABLE.
 */
export async function connectCluster(
  url: string,
  opts: { prefix?: string } = {},
): Promise<ClusterConnection> {
  const where = redact(url);
  const prefix = opts.prefix ?? "kiln";
  if (!/^rediss?:\/\//.test(url)) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `--cluster takes a redis:// URL, got ${quote(where)}`,
    );
  }
  const redis = await import("redis");
  let connected = false;
  const client: ClusterClient = redis.createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries, cause) => connected ? Math.min(50 * 2 ** retries, 1_000) : cause,
    },
  });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    throw new KilnError("UNAVAILABLE", `cannot connect to Redis at ${where}: ${reason(err)}`, {
      url: where,
    });
  }
  connected = true;
  const feed: ClusterClient = client.duplicate();
  feed.on("error", () => {});
  await feed.connect();
  const binary = client.withTypeMapping({
    [redis.RESP_TYPES.BLOB_STRING]: Buffer,
  }) as unknown as BinaryClient;
  return {
    client,
    binary,
    feed,
    prefix,
    where,
    async close() {
      for (const c of [feed, client]) {
        if (!c.isOpen) continue;
        if (c.isReady) await c.close().catch(() => c.destroy());
        else c.destroy();
      }
    },
  };
}

/**
 * Runs one Redis round trip with a deadline: a Redis that accepts the connection but does not
 * answer (paused, overloaded) gives the caller UNAVAILABLE instead of a hang.
 */
export async function command<T>(
  conn: Pick<ClusterConnection, "where">,
  work: () => Promise<T>,
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    // When the deadline fires late (the event loop was busy), an answer that arrived meanwhile
    // is still waiting to be read: give it one more turn of the loop before giving up.
    timer = setTimeout(() => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), 0);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError("UNAVAILABLE", `Redis at ${conn.where} is unavailable: ${reason(err)}`, {
      url: conn.where,
    });
  } finally {
    clearTimeout(timer);
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reason(err.errors[0]);
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}
