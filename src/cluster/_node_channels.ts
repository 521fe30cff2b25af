/**
 * The pub/sub side every cluster-wide signal shares: messages go out stamped with this node's id,
 * and a follower hears other nodes' messages parsed (its own echoes dropped unless asked for).
 * A message that is not JSON is logged and skipped, never thrown into Redis' client.
 */
import type { Logger } from "../core/mod.ts";
import type { RedisClient } from "./_redis.ts";

export interface NodeChannelOptions {
  publisher: RedisClient;
  /** A connection of its own (`duplicate()`): a subscribed connection runs no other commands. */
  subscriber: RedisClient;
  nodeId: string;
  prefix?: string;
  logger: Logger;
}

export type NodeMessage = Record<string, unknown>;

export class NodeChannels {
  readonly pub: RedisClient;
  readonly prefix: string;
  readonly log: Logger;
  readonly #sub: RedisClient;
  readonly #nodeId: string;

  constructor(opts: NodeChannelOptions, component: string) {
    this.pub = opts.publisher;
    this.#sub = opts.subscriber;
    this.#nodeId = opts.nodeId;
    this.prefix = opts.prefix ?? "kiln";
    this.log = opts.logger.with({ component });
  }

  publish(channel: string, message: NodeMessage): Promise<number> {
    return this.pub.publish(channel, JSON.stringify({ ...message, node: this.#nodeId }));
  }

  /** Hears `what` messages on `channel` from other nodes (and this one's with `own`). */
  follow(
    channel: string,
    what: string,
    onMessage: (message: NodeMessage) => void,
    own = false,
  ): Promise<void> {
    return this.#sub.subscribe(channel, (raw) => {
      let message: NodeMessage;
      try {
        message = JSON.parse(raw);
      } catch {
        return this.log.warn(`a ${what} on the channel is not JSON`);
      }
      if (own || message?.node !== this.#nodeId) onMessage(message);
    });
  }

  unfollow(channel: string): Promise<void> {
    return this.#sub.unsubscribe(channel);
  }
}
