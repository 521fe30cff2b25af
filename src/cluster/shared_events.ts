/**
 * Pub/sub that makes per-process signals cluster-wide: workflow step events (an SSE subscriber on
 * any node sees a run driven on another) and execution-token revocations (a token revoked on one
 * node is refused on every node). Events reach local listeners directly and other nodes through
 * one Redis channel per run; a node ignores its own echoes. Pub/sub is best effort: while Redis
 * is down a remote subscriber misses events (the run record stays the truth).
 */
import type { Logger } from "../core/mod.ts";
import { clusterKey, type RedisClient } from "./_redis.ts";

/** A workflow step event as the engine emits it (JSON with its run id). */
export interface SharedEvent {
  runId: string;
}

type Listener<E> = (event: E) => void;

/** The engine's `RunEventBus` across a cluster. */
export class SharedRunEvents<E extends SharedEvent = SharedEvent> {
  readonly #listeners = new Map<string, Set<Listener<E>>>();
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #nodeId: string;
  readonly #prefix: string;
  readonly #log: Logger;

  constructor(opts: {
    publisher: RedisClient;
    /** A connection of its own (`duplicate()`): a subscribed connection runs no other commands. */
    subscriber: RedisClient;
    nodeId: string;
    prefix?: string;
    logger: Logger;
  }) {
    this.#pub = opts.publisher;
    this.#sub = opts.subscriber;
    this.#nodeId = opts.nodeId;
    this.#prefix = opts.prefix ?? "kiln";
    this.#log = opts.logger.with({ component: "shared-events" });
  }

  emit(event: E): void {
    this.#deliver(event);
    const message = JSON.stringify({ node: this.#nodeId, event });
    this.#pub.publish(this.#channel(event.runId), message).catch((err) =>
      this.#log.debug("publishing a run event failed", { runId: event.runId, error: String(err) })
    );
  }

  subscribe(runId: string, listener: Listener<E>): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      this.#listeners.set(runId, set = new Set());
      this.#sub.subscribe(this.#channel(runId), (raw) => this.#remote(raw)).catch((err) =>
        this.#log.warn("subscribing to run events failed", { runId, error: String(err) })
      );
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.#listeners.get(runId) !== set) return;
      this.#listeners.delete(runId);
      this.#sub.unsubscribe(this.#channel(runId)).catch(() => {});
    };
  }

  /** Asks every node to cancel run `runId`; the one driving it does. */
  async requestCancel(runId: string): Promise<void> {
    await this.#pub.publish(this.#cancels(), JSON.stringify({ node: this.#nodeId, runId }));
  }

  /** Follows cancel requests of other nodes. */
  onCancelRequest(handler: (runId: string) => void): void {
    this.#sub.subscribe(this.#cancels(), (raw) => {
      try {
        const { runId } = JSON.parse(raw) as { runId?: unknown };
        if (typeof runId === "string") handler(runId);
      } catch {
        this.#log.warn("a cancel request on the channel is not JSON");
      }
    }).catch((err) =>
      this.#log.warn("subscribing to cancel requests failed", { error: String(err) })
    );
  }

  #cancels(): string {
    return clusterKey(this.#prefix, "runs", "cancels");
  }

  #remote(raw: string): void {
    try {
      const { node, event } = JSON.parse(raw) as { node: string; event: E };
      if (node !== this.#nodeId && typeof event?.runId === "string") this.#deliver(event);
    } catch {
      this.#log.warn("a run event on the channel is not JSON");
    }
  }

  #deliver(event: E): void {
    for (const listener of this.#listeners.get(event.runId) ?? []) {
      try {
        listener(event);
      } catch (err) {
        this.#log.warn("run event listener failed", { runId: event.runId, error: String(err) });
      }
    }
  }

  #channel(runId: string): string {
    return clusterKey(this.#prefix, `{run:${runId}}`, "events");
  }
}
