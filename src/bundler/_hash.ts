import { nodeCrypto } from "../core/node/mod.ts";

/** Hex SHA-256 of text or bytes: the content identity bundles are cached and tiers keep code by. */
export function sha256(data: string | Uint8Array): string {
  return nodeCrypto().createHash("sha256").update(data).digest("hex");
}
