/**
 * Pub/sub that makes per-process signals cluster-wide: workflow step events (an SSE subscriber on
 * any node sees a run driven on another) and execution-token revocations (a token revoked on one
 * node is refused on every node). Events reach local listeners directly and other nodes through
 * one Redis channel per run; a node ignores its own echoes. Pub/sub is best effort: while Redis
 * is down a remote subscriber misses events (the run record stays the truth).
 */
import { clusterKey } from "./_redis.ts";
import { type NodeChannelOptions, NodeChannels, type NodeMessage } from "./_node_channels.ts";

/** A workflow step event as the engine emits it (JSON with its run id). */
export interface SharedEvent {
  runId: string;
}

type Listener<E> = (event: E) => void;

/** The engine's `RunEventBus` across a cluster. */
export class SharedRunEvents<E extends SharedEvent = SharedEvent> {
  readonly #listeners = new Map<string, Set<Listener<E>>>();
  readonly #channels: NodeChannels;

  constructor(opts: NodeChannelOptions) {
    this.#channels = new NodeChannels(opts, "shared-events");
  }

  emit(event: E): void {
    this.#deliver(event);
    this.#channels.publish(this.#channel(event.runId), { event }).catch((err) =>
      this.#channels.log.debug("publishing a run event failed", {
        runId: event.runId,
        error: String(err),
      })
    );
  }

  subscribe(runId: string, listener: Listener<E>): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      this.#listeners.set(runId, set = new Set());
      this.#channels.follow(this.#channel(runId), "run event", (m) => this.#remote(m)).catch((
        err,
      ) =>
        this.#channels.log.warn("subscribing to run events failed", { runId, error: String(err) })
      );
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.#listeners.get(runId) !== set) return;
      this.#listeners.delete(runId);
      this.#channels.unfollow(this.#channel(runId)).catch(() => {});
    };
  }

  /** Asks every node to cancel run `runId`; the one driving it does. */
  async requestCancel(runId: string): Promise<void> {
    await this.#channels.publish(this.#cancels(), { runId });
  }

  /** Follows cancel requests of every node, this one's included. */
  onCancelRequest(handler: (runId: string) => void): void {
    this.#channels.follow(this.#cancels(), "cancel request", ({ runId }) => {
      if (typeof runId === "string") handler(runId);
    }, true).catch((err) =>
      this.#channels.log.warn("subscribing to cancel requests failed", { error: String(err) })
    );
  }

  #cancels(): string {
    return clusterKey(this.#channels.prefix, "runs", "cancels");
  }

  #remote({ event }: NodeMessage): void {
    if (typeof (event as E | undefined)?.runId === "string") this.#deliver(event as E);
  }

  #deliver(event: E): void {
    for (const listener of this.#listeners.get(event.runId) ?? []) {
      try {
        listener(event);
      } catch (err) {
        this.#channels.log.warn("run event listener failed", {
          runId: event.runId,
          error: String(err),
        });
      }
    }
  }

  #channel(runId: string): string {
    return clusterKey(this.#channels.prefix, `{run:${runId}}`, "events");
  }
}
