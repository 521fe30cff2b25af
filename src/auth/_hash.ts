import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Random bytes as URL-safe base64, for secrets and salts. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
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
  const digest = createHash("sha256").update(salt).update("\0").update(secret).digest("base64url");
  return `sha256$${salt}$${digest}`;
}

/** Compares a secret with a stored `sha256$salt$hash` in constant time. */
export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, salt, digest] = stored.split("$");
  if (scheme !== "sha256" || !salt || !digest) return false;
  const expected = Buffer.from(digest, "base64url");
  const actual = createHash("sha256").update(salt).update("\0").update(secret).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** String equality whose time does not depend on where the strings differ. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
