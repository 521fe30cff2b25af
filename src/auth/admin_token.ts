import type { StoreDriver } from "../state/mod.ts";
import { hashSecret, randomToken, sameText, verifySecret } from "./_hash.ts";

const SCOPE = "kiln:auth";
const KEY = "adminTokenHash";

/** The outcome of start-up: `generated` holds a new token to print once, and only then. */
export interface AdminTokenSetup {
  verifier: AdminTokenVerifier;
  generated?: string;
}

/**
 * Checks bearer tokens against the stored admin token hash. The token once verified is kept and
 * later ones are compared with it in constant time, so the admin's calls (every `/mcp` call of an
 * admin client) do not hash the token again; anything else is still checked against the hash.
 */
export class AdminTokenVerifier {
  #verified: string | undefined;

  constructor(private readonly hash: string) {}

  verify(token: string): boolean {
    if (this.#verified !== undefined && sameText(this.#verified, token)) return true;
    if (!verifySecret(token, this.hash)) return false;
    this.#verified = token;
    return true;
  }
}

/**
 * Settles the admin token at start-up: `KILN_ADMIN_TOKEN` wins when set (its hash replaces the
 * stored one); otherwise the stored hash is kept; on a first start a token is generated, and
 * only its hash is stored.
 */
export async function setupAdminToken(
  store: StoreDriver,
  fromEnv: string | undefined,
): Promise<AdminTokenSetup> {
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < 16) {
      throw new Error("KILN_ADMIN_TOKEN must be at least 16 characters");
    }
    const hash = hashSecret(fromEnv);
    await store.set(SCOPE, KEY, hash);
    return { verifier: new AdminTokenVerifier(hash) };
  }
  const stored = await store.get(SCOPE, KEY);
  if (stored.found && typeof stored.value === "string") {
    return { verifier: new AdminTokenVerifier(stored.value) };
  }
  const generated = `kiln_admin_${randomToken(32)}`;
  const hash = hashSecret(generated);
  await store.set(SCOPE, KEY, hash);
  return { verifier: new AdminTokenVerifier(hash), generated };
}
