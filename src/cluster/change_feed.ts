import type { Logger } from "../core/mod.ts";
import { command } from "./_redis.ts";
import type { ClusterConnection } from "./connection.ts";
import type { ClusterKeys } from "./keys.ts";

/** One change every node applies: an app's head moved, its record changed, or it went. */
export interface ClusterEvent {
  appId: string;
  kind: "head" | "record" | "deregister";
  /** The node that made the change (its own events it has applied already). */
  node: string;
  revision?: string;
  deleteState?: boolean;
}

/** What a node does with the feed: apply one event, or reload everything after a gap. */
export interface FeedHandlers {
  apply(event: ClusterEvent): Promise<void>;
  resync(): Promise<void>;
}

/** Approximate length the stream is trimmed to; a node further behind does a full resync. */
const MAX_LEN = "10000";
const BLOCK_MS = 1_000;
const COUNT = 500;
const RETRY_MS = 250;

/**
 * The change feed: one Redis stream every node reads whole with `XREAD BLOCK` from the last id
 * it applied (not a consumer group: every node needs every event). After a Redis outage, or
 * when the stream was trimmed past that id, the node resyncs from the records instead.
 */
export class ChangeFeed {
  #last = "0-0";
  #running: Promise<void> | null = null;
  #closed = false;
  #healthy = true;

  constructor(
    readonly conn: ClusterConnection,
    readonly keys: ClusterKeys,
    readonly nodeId: string,
    readonly log: Logger,
  ) {}

  /** Whether the last read reached Redis. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Remembers the stream's end: events after it are applied once `run` starts. */
  async mark(): Promise<void> {
    const last = await command(() =>
      this.conn.client.xRevRange(this.keys.events, "+", "-", { COUNT: 1 })
    );
    this.#last = last?.[0]?.id ?? "0-0";
  }

  async append(event: Omit<ClusterEvent, "node">): Promise<void> {
    const fields: Record<string, string> = {
      appId: event.appId,
      kind: event.kind,
      node: this.nodeId,
    };
    if (event.revision) fields.revision = event.revision;
    if (event.deleteState) fields.deleteState = "1";
    await command(() =>
      this.conn.client.xAdd(this.keys.events, "*", fields, {
        TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: Number(MAX_LEN) },
      })
    );
  }

  /** Starts applying events in order; runs until `close`. */
  run(handlers: FeedHandlers): void {
    this.#running ??= this.#loop(handlers);
  }

  async close(): Promise<void> {
    this.#closed = true;
    // A blocked XREAD ends with its connection.
    if (this.conn.feed.isOpen) this.conn.feed.destroy();
    await this.#running;
  }

  async #loop(handlers: FeedHandlers): Promise<void> {
    let resync = false;
    while (!this.#closed) {
      try {
        if (resync) {
          await this.mark();
          await handlers.resync();
          resync = false;
        }
        const first = this.#last;
        const reply = await this.conn.feed.xRead(
          { key: this.keys.events, id: this.#last },
          { BLOCK: BLOCK_MS, COUNT },
        );
        this.#healthy = true;
        const messages = reply?.[0]?.messages ?? [];
        if (messages.length === COUNT && (await this.#trimmedPast(first))) {
          resync = true;
          continue;
        }
        for (const { id, message } of messages) {
          this.#last = id;
          if (message.node === this.nodeId) continue;
          const since = performance.now();
          this.log.debug("applying a cluster change", { appId: message.appId, kind: message.kind });
          await handlers.apply({
            appId: message.appId,
            kind: message.kind as ClusterEvent["kind"],
            node: message.node,
            revision: message.revision || undefined,
            deleteState: message.deleteState === "1",
          }).then(
            () =>
              this.log.debug("applied a cluster change", {
                appId: message.appId,
                kind: message.kind,
                durationMs: Math.round(performance.now() - since),
              }),
            (err) =>
              this.log.warn("applying a cluster change failed", {
                appId: message.appId,
                kind: message.kind,
                error: String(err),
              }),
          );
        }
      } catch (err) {
        if (this.#closed) break;
        if (this.#healthy) this.log.warn("the change feed lost Redis", { error: String(err) });
        this.#healthy = false;
        resync = true;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        if (!this.conn.feed.isOpen) await this.conn.feed.connect().catch(() => {});
      }
    }
  }

  /** Whether the stream no longer holds the event after `id` (it was trimmed past it). */
  async #trimmedPast(id: string): Promise<boolean> {
    const oldest = await command(() =>
      this.conn.client.xRange(this.keys.events, "-", "+", { COUNT: 1 })
    );
    return !!oldest?.length && compareIds(oldest[0].id, id) > 0 && id !== "0-0";
  }
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am === bm ? Number(as - bs) : Number(am - bm);
}
