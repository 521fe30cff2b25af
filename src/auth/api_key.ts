import { hashSecret, randomId, randomToken, verifySecret } from "./_hash.ts";

/**
 * App API keys look like `kiln_<keyId>_<secret>`: the 12-char public `keyId` finds the stored
 * hash without scanning every app, and only the salted hash of the secret is ever stored.
 */
const KEY_PATTERN = /^kiln_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly minted key: `apiKey` is shown once; `keyHash` is what gets stored. */
export interface MintedApiKey {
  keyId: string;
  apiKey: string;
  keyHash: string;
}

/** Mints a new app API key. */
export function mintApiKey(): MintedApiKey {
  const keyId = randomId(12);
  const secret = randomToken(32);
  return { keyId, apiKey: `kiln_${keyId}_${secret}`, keyHash: hashSecret(secret) };
}

/** Splits a presented key into its public id and secret; null when it is not an app key. */
export function parseApiKey(apiKey: string): { keyId: string; secret: string } | null {
  const m = KEY_PATTERN.exec(apiKey);
  return m ? { keyId: m[1], secret: m[2] } : null;
}

/** Checks a presented key's secret against a stored hash. */
export function apiKeyMatches(secret: string, keyHash: string): boolean {
  return verifySecret(secret, keyHash);
}
