import { allows } from "../auth/mod.ts";
import { quote } from "../core/mod.ts";
import type { ToolCaller, ToolDefinition } from "./tool.ts";

/** What authorization needs to know of a tool. */
export type ToolGrant = Pick<ToolDefinition, "name" | "aliases" | "scope" | "permission"> & {
  /** App tools (`app.<appId>.<componentId>`) act on the app in their name, not the caller's. */
  appId?: string;
};

/** The verdict: the app the call acts on, or why it may not happen. */
export type Decision = { ok: true; appId?: string } | { ok: false; message: string };

const NO_APP = "the admin token is not bound to an app; select one with ?app=<appId>";

/**
 * The one place that decides whether a caller may call a tool. The app a call acts on always
 * comes from the caller (or, for app tools, the tool's name); `requestedAppId` is only the
 * `appId` argument of registry-read tools, which non-admins may point at their own app only.
 */
export function authorize(
  caller: ToolCaller,
  tool: ToolGrant,
  now: number,
  requestedAppId?: string,
): Decision {
  const deny = (message: string): Decision => ({ ok: false, message });
  if (tool.scope === "admin") {
    return caller.kind === "admin"
      ? { ok: true }
      : deny(`${quote(tool.name)} needs the admin token`);
  }
  const target = tool.appId ??
    (tool.scope === "registry-read" ? requestedAppId ?? ownApp(caller) : caller.appId);
  if (caller.kind === "admin") {
    return target === undefined && tool.scope === "app"
      ? deny(NO_APP)
      : { ok: true, appId: target };
  }
  if (caller.kind === "execution") {
    if (now >= caller.expiresAt) {
      return deny(`the execution token expired at ${new Date(caller.expiresAt).toISOString()}`);
    }
    const names = [tool.name, ...(tool.aliases ?? [])];
    if (!names.some((n) => caller.tools.includes(n))) {
      return deny(
        `the execution token of component ${quote(caller.componentId)} does not grant ${
          quote(tool.name)
        }`,
      );
    }
  }
  if (target !== caller.appId) {
    return deny(`this token belongs to app ${quote(caller.appId)}, not ${quote(target)}`);
  }
  if (caller.kind === "app" && !allows(caller, target, tool.permission)) {
    return deny(`this API key lacks ${quote(tool.permission)}, which ${quote(tool.name)} needs`);
  }
  return { ok: true, appId: target };
}

function ownApp(caller: ToolCaller): string | undefined {
  return caller.kind === "admin" ? undefined : caller.appId;
}
