/**
 * Execution-token revocations shared by every node (the auth `TokenRevocations` seam). Checks
 * stay synchronous against a local mirror; a revocation is added to the ZSET
 * `<p>:cluster:revoked` (score: the token's expiry, so the set holds only tokens that could still
 * verify) and published, and every node adds it to its mirror. A node loads the set when it
 * starts. Between the revoke on one node and the message on another lies one pub/sub hop.
 */
import type { Logger } from "../core/mod.ts";
import { MemoryRevocations } from "../auth/mod.ts";
import { clusterKey, type RedisClient } from "./_redis.ts";

export class SharedRevocations {
  readonly #local = new MemoryRevocations();
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #nodeId: string;
  readonly #key: string;
  readonly #log: Logger;

  constructor(opts: {
    publisher: RedisClient;
    subscriber: RedisClient;
    nodeId: string;
    prefix?: string;
    logger: Logger;
  }) {
    this.#pub = opts.publisher;
    this.#sub = opts.subscriber;
    this.#nodeId = opts.nodeId;
    this.#key = clusterKey(opts.prefix ?? "kiln", "revoked");
    this.#log = opts.logger.with({ component: "shared-revocations" });
  }

  /** Loads the live revocations and follows the channel. */
  async load(): Promise<void> {
    await this.#sub.subscribe(this.#key, (raw) => {
      try {
        const { node, id, expiresAt } = JSON.parse(raw);
        if (node !== this.#nodeId) this.#local.revoke(String(id), Number(expiresAt));
      } catch {
        this.#log.warn("a revocation on the channel is not JSON");
      }
    });
    const now = Date.now();
    const live = await this.#pub.zRangeByScoreWithScores(this.#key, now, "+inf");
    for (const { value, score } of live) this.#local.revoke(value, score);
  }

  revoke(id: string, expiresAt: number): void {
    this.#local.revoke(id, expiresAt);
    const now = Date.now();
    void Promise.all([
      this.#pub.zAdd(this.#key, { score: expiresAt, value: id }),
      this.#pub.zRemRangeByScore(this.#key, "-inf", now),
      this.#pub.publish(this.#key, JSON.stringify({ node: this.#nodeId, id, expiresAt })),
    ]).catch((err) =>
      this.#log.warn("sharing a token revocation failed", { tokenId: id, error: String(err) })
    );
  }

  isRevoked(id: string): boolean {
    return this.#local.isRevoked(id);
  }
}
