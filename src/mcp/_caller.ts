import type { Principal } from "../auth/mod.ts";
import { KilnError, quote } from "../core/mod.ts";
import type { ToolCaller } from "./tool.ts";

/**
 * The tool caller behind an authenticated `/mcp` request. Only the admin may pick an app, with
 * `?app=<appId>`; app keys and execution tokens act on the app their token is bound to.
 */
export function toolCaller(principal: Principal, selectedApp: string | null): ToolCaller {
  if (principal.kind === "admin") {
    return selectedApp ? { kind: "admin", appId: selectedApp } : { kind: "admin" };
  }
  if (selectedApp !== null) {
    throw new KilnError(
      "FORBIDDEN",
      `only the admin token may select an app; this token is bound to ${quote(principal.appId)}`,
    );
  }
  return principal;
}

/**
 * A stable name for who a caller is, so a session opened by one token refuses every other.
 * Expiry is left out: a refreshed execution token for the same grant is the same caller.
 */
export function callerIdentity(caller: ToolCaller): string {
  switch (caller.kind) {
    case "admin":
      return `admin:${caller.appId ?? ""}`;
    case "app":
      return `app:${caller.appId}:${caller.keyId}`;
    case "execution":
      return `execution:${caller.appId}:${caller.componentId}:${
        [...caller.tools].sort().join(",")
      }`;
  }
}
