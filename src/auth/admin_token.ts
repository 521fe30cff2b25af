import { loadNodeBuiltins } from "../core/node/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import { hashSecret, randomToken, sameText, verifySecret } from "./_hash.ts";

const SCOPE = "kiln:auth";
const KEY = "adminTokenHash";

/**
 * The outcome of start-up: `generated` holds a new token to print once, and only then; `persist`,
 * when present, stores the hash of the token Kiln was given, which needs the Node built-ins that
 * `kiln serve` loads after it listens (ADR 0032).
 */
export interface AdminTokenSetup {
  verifier: AdminTokenVerifier;
  generated?: string;
  persist?: () => Promise<void>;
}

/**
 * Checks bearer tokens against the stored admin token hash. The token once verified is kept and
 * later ones are compared with it in constant time, so the admin's calls (every `/mcp` call of an
 * admin client) do not hash the token again; anything else is still checked against the hash.
 */
export class AdminTokenVerifier {
  #verified: string | undefined;
  /** Empty for a verifier made by `of`, which knows the token itself. */
  readonly #hash: string;

  constructor(hash: string) {
    this.#hash = hash;
  }

  /** A verifier for a token Kiln holds in full (`KILN_ADMIN_TOKEN`): only that token passes. */
  static of(token: string): AdminTokenVerifier {
    const verifier = new AdminTokenVerifier("");
    verifier.#verified = token;
    return verifier;
  }

  verify(token: string): boolean {
    if (this.#verified !== undefined && sameText(this.#verified, token)) return true;
    if (!this.#hash || !verifySecret(token, this.#hash)) return false;
    this.#verified = token;
    return true;
  }
}

/**
 * Settles the admin token at start-up: `KILN_ADMIN_TOKEN` wins when set (its hash replaces the
 * stored one once `persist` runs); otherwise the stored hash is kept; on a first start a token is generated, and
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
    return {
      verifier: AdminTokenVerifier.of(fromEnv),
      persist: async () => {
        await store.set(SCOPE, KEY, hashSecret(fromEnv));
      },
    };
  }
  const stored = await store.get(SCOPE, KEY);
  if (stored.found && typeof stored.value === "string") {
    return { verifier: new AdminTokenVerifier(stored.value) };
  }
  // A first start: the token is printed only once its hash is stored.
  await loadNodeBuiltins();
  const generated = `kiln_admin_${randomToken(32)}`;
  const hash = hashSecret(generated);
  await store.set(SCOPE, KEY, hash);
  return { verifier: new AdminTokenVerifier(hash), generated };
}
