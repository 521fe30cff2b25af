import { KilnError, quote } from "../core/mod.ts";
import type { AdminTokenVerifier } from "./admin_token.ts";

/** Who is calling: the operator, or one app through one of its API keys. */
export type Principal =
  | { kind: "admin" }
  | { kind: "app"; appId: string; keyId: string; permissions: readonly string[] };

/** What `validateApiKey` answers (SPEC §4). */
export interface ApiKeyValidation {
  isValid: boolean;
  appId?: string;
  keyId?: string;
  permissions?: string[];
}

/**
 * Permission names an app key may hold. `*` grants all of them; `definitions:*` grants every
 * `definitions:` permission.
 */
export const APP_PERMISSIONS = [
  "app:read",
  "definitions:read",
  "definitions:write",
  "runtime:read",
  "runtime:write",
  "invoke",
] as const;

/** Turns bearer tokens into principals; one place decides who a token is. */
export class Authenticator {
  constructor(
    private readonly admin: AdminTokenVerifier,
    private readonly validateApiKey: (apiKey: string) => ApiKeyValidation,
  ) {}

  /** The principal behind an `Authorization` header; UNAUTHORIZED when missing or invalid. */
  authenticate(header: string | null | undefined): Principal {
    const token = bearerToken(header);
    if (!token) throw new KilnError("UNAUTHORIZED", "missing bearer token");
    if (this.admin.verify(token)) return { kind: "admin" };
    const key = this.validateApiKey(token);
    if (key.isValid && key.appId && key.keyId) {
      return {
        kind: "app",
        appId: key.appId,
        keyId: key.keyId,
        permissions: key.permissions ?? [],
      };
    }
    throw new KilnError("UNAUTHORIZED", "invalid or revoked bearer token");
  }
}

/** Extracts the token of `Authorization: Bearer <token>`. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/** Whether a principal holds `permission` on `appId`. */
export function allows(principal: Principal, appId: string, permission: string): boolean {
  if (principal.kind === "admin") return true;
  if (principal.appId !== appId) return false;
  const family = permission.split(":")[0];
  return principal.permissions.some((p) => p === "*" || p === permission || p === `${family}:*`);
}

/** Throws FORBIDDEN unless the principal holds `permission` on `appId`. */
export function requirePermission(principal: Principal, appId: string, permission: string): void {
  if (!allows(principal, appId, permission)) {
    throw new KilnError(
      "FORBIDDEN",
      `this token may not ${quote(permission)} on app ${quote(appId)}`,
    );
  }
}

/** Throws FORBIDDEN unless the principal is the admin. */
export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") {
    throw new KilnError("FORBIDDEN", "this operation needs the admin token");
  }
}
