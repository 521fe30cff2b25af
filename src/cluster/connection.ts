import { Buffer } from "node:buffer";
import { redactRedisUrl } from "../state/mod.ts";
import { closeRedis, command, connectRedis, type RedisClient } from "./_redis.ts";

/** The client type both a plain Redis and a Sentinel-managed master give. */
export type ClusterClient = RedisClient;

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

/**
 * Connects to the cluster's Redis (`redis://host:port[/db]`, `rediss://`, or
 * `redis+sentinel://host:port[,host:port…]/master[/db]`) through the one factory. Before the first
 * connection a Redis that does not answer fails the start with UNAVAILABLE; after it the
 * connections reconnect with backoff.
 */
export async function connectCluster(
  url: string,
  opts: { prefix?: string } = {},
): Promise<ClusterConnection> {
  const where = redactRedisUrl(url);
  const prefix = opts.prefix ?? "kiln";
  const client = await connectRedis(url);
  const feed: ClusterClient = client.duplicate();
  feed.on("error", () => {});
  try {
    await command(() => feed.connect());
  } catch (err) {
    await closeRedis(client);
    throw err;
  }
  const { RESP_TYPES } = await import("redis");
  const binary = client.withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  }) as unknown as BinaryClient;
  return {
    client,
    binary,
    feed,
    prefix,
    where,
    async close() {
      await closeRedis(feed);
      await closeRedis(client);
    },
  };
}
