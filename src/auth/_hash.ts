import { nodeCrypto } from "../core/node/mod.ts";

/** Random bytes as URL-safe base64 without padding, for secrets and salts. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Random lowercase alphanumerics, for public ids that appear in keys and URLs. */
export function randomId(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/**
 * A salted SHA-256 of a high-entropy secret as `sha256$<salt>$<hash>`. Secrets here are 256-bit
 * random tokens, so a fast hash is enough; the salt keeps equal secrets from sharing a hash.
 */
export function hashSecret(secret: string, salt = randomToken(16)): string {
  return `sha256$${salt}$${digest(salt, secret)}`;
}

/** Compares a secret with a stored `sha256$salt$hash` in constant time. */
export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, salt, expected] = stored.split("$");
  if (scheme !== "sha256" || !salt || !expected) return false;
  return sameText(digest(salt, secret), expected);
}

function digest(salt: string, secret: string): string {
  return nodeCrypto().createHash("sha256").update(salt).update("\0").update(secret).digest(
    "base64url",
  );
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** String equality whose time does not depend on where the strings differ. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
