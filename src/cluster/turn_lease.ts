/**
 * A lease on one cluster-wide duty (the optimization oracle's evaluation): the node holding
 * `<p>:cluster:<name>:lease` does it; it keeps the lease by asking again within the TTL, and
 * another node takes over once a holder stops asking (it died, or lost Redis).
 */
import { clusterKey, deadline, type RedisClient } from "./_redis.ts";

/** KEYS[1]: lease; ARGV: nodeId, ttl ms. 1 when this node holds it (kept or taken), else 0. */
const TURN = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Answers whether `nodeId` holds the duty now; false when Redis does not answer. */
export function turnLease(opts: {
  client: RedisClient;
  nodeId: string;
  name: string;
  ttlMs: number;
  prefix?: string;
}): () => Promise<boolean> {
  const key = clusterKey(opts.prefix ?? "kiln", opts.name, "lease");
  return async () => {
    try {
      const held = await deadline(opts.client.eval(TURN, {
        keys: [key],
        arguments: [opts.nodeId, String(opts.ttlMs)],
      }));
      return held === 1;
    } catch {
      return false;
    }
  };
}
