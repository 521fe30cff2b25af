/**
 * Execution-token revocations shared by every node (the auth `TokenRevocations` seam). Checks
 * stay synchronous against a local mirror; a revocation is added to the ZSET
 * `<p>:cluster:revoked` (score: the token's expiry, so the set holds only tokens that could still
 * verify) and published, and every node adds it to its mirror. A node loads the set when it
 * starts. Between the revoke on one node and the message on another lies one pub/sub hop.
 */
import { MemoryRevocations } from "../auth/mod.ts";
import { clusterKey } from "./_redis.ts";
import { type NodeChannelOptions, NodeChannels } from "./_node_channels.ts";

export class SharedRevocations {
  readonly #local = new MemoryRevocations();
  readonly #channels: NodeChannels;
  readonly #key: string;

  constructor(opts: NodeChannelOptions) {
    this.#channels = new NodeChannels(opts, "shared-revocations");
    this.#key = clusterKey(this.#channels.prefix, "revoked");
  }

  /** Loads the live revocations and follows the channel. */
  async load(): Promise<void> {
    await this.#channels.follow(this.#key, "revocation", ({ id, expiresAt }) => {
      this.#local.revoke(String(id), Number(expiresAt));
    });
    const now = Date.now();
    const live = await this.#channels.pub.zRangeByScoreWithScores(this.#key, now, "+inf");
    for (const { value, score } of live) this.#local.revoke(value, score);
  }

  revoke(id: string, expiresAt: number): void {
    this.#local.revoke(id, expiresAt);
    const now = Date.now();
    void Promise.all([
      this.#channels.pub.zAdd(this.#key, { score: expiresAt, value: id }),
      this.#channels.pub.zRemRangeByScore(this.#key, "-inf", now),
      this.#channels.publish(this.#key, { id, expiresAt }),
    ]).catch((err) =>
      this.#channels.log.warn("sharing a token revocation failed", {
        tokenId: id,
        error: String(err),
      })
    );
  }

  isRevoked(id: string): boolean {
    return this.#local.isRevoked(id);
  }
}
