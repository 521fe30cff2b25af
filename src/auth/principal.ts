import { KilnError, quote } from "../core/mod.ts";
import type { AdminTokenVerifier } from "./admin_token.ts";
import {
  EXECUTION_TOKEN_PREFIX,
  type ExecutionTokenPayload,
  type ExecutionTokens,
} from "./execution_token.ts";

/**
 * Who is calling: the operator, one app through one of its API keys, or one execution of one
 * component through its short-lived execution token (which grants MCP tools only).
 */
export type Principal =
  | { kind: "admin" }
  | { kind: "app"; appId: string; keyId: string; permissions: readonly string[] }
  | {
    kind: "execution";
    appId: string;
    componentId: string;
    tools: readonly string[];
    expiresAt: number;
  };

/** What `validateApiKey` answers (contract §4). */
export interface ApiKeyValidation {
  isValid: boolean;
  appId?: string;
  keyId?: string;
  permissions?: string[];
}

/** Turns bearer tokens into principals; one place decides who a token is. */
export class Authenticator {
  constructor(
    private readonly admin: AdminTokenVerifier,
    private readonly validateApiKey: (apiKey: string) => ApiKeyValidation,
    private readonly executionTokens?: ExecutionTokens,
  ) {}

  /** The principal behind an `Authorization` header; UNAUTHORIZED when missing or invalid. */
  authenticate(header: string | null | undefined): Principal {
    const token = bearerToken(header);
    if (!token) throw new KilnError("UNAUTHORIZED", "missing bearer token");
    if (this.admin.verify(token)) return { kind: "admin" };
    if (token.startsWith(EXECUTION_TOKEN_PREFIX)) return this.#execution(token);
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

  #execution(token: string): Principal {
    const seen = this.executionTokens?.inspect(token);
    if (!seen) throw new KilnError("UNAUTHORIZED", "invalid execution token");
    if (seen.expired) throw new KilnError("UNAUTHORIZED", "execution token expired");
    if (seen.revoked) {
      throw new KilnError("UNAUTHORIZED", "execution token revoked: its execution has ended");
    }
    if (!seen.payload) throw new KilnError("UNAUTHORIZED", "invalid execution token");
    return executionPrincipal(seen.payload);
  }
}

/** Who a verified execution token's claims make its bearer: what it calls tools as. */
export function executionPrincipal(
  claims: ExecutionTokenPayload,
): Extract<Principal, { kind: "execution" }> {
  return {
    kind: "execution",
    appId: claims.a,
    componentId: claims.c,
    tools: claims.t,
    expiresAt: claims.e,
  };
}

/** Extracts the token of `Authorization: Bearer <token>`. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/**
 * Whether a principal holds `permission` on `appId`. Execution tokens hold no such permissions:
 * they grant named MCP tools, which the tool registry checks.
 */
export function allows(principal: Principal, appId: string, permission: string): boolean {
  if (principal.kind === "admin") return true;
  if (principal.kind === "execution" || principal.appId !== appId) return false;
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

/** The commit author for writes a principal makes without naming one, so history shows who. */
export function authorOf(principal: Principal): string {
  switch (principal.kind) {
    case "admin":
      return "Kiln admin <admin@kiln.local>";
    case "app":
      return `API key ${principal.keyId} <${principal.keyId}@kiln.local>`;
    case "execution":
      return `${principal.componentId} <${principal.componentId}.${principal.appId}@kiln.local>`;
  }
}
