import { KilnError, quote } from "../core/mod.ts";
import { type ComponentDefinition, HttpMethod } from "../models/mod.ts";
import type { AppSnapshot, Registry, RouteMatch } from "../registry/mod.ts";

/** The snapshot of an app that serves traffic (ACTIVE, or DEGRADED on its last good revision). */
export function servingSnapshot(registry: Registry, appId: string): AppSnapshot {
  const { status, reason } = registry.getApplicationStatus(appId);
  if (status !== "ACTIVE" && status !== "DEGRADED") {
    throw new KilnError(
      "UNAVAILABLE",
      `app ${quote(appId)} is ${status}${reason ? ` (${reason})` : ""} and serves no traffic`,
      { status },
    );
  }
  return registry.snapshot(appId);
}

/**
 * The route a request hits in one snapshot, so the component and its code come from the same
 * revision. HEAD falls back to GET (`head` says to drop the body); a path served only for other
 * methods is METHOD_NOT_ALLOWED with `details.allowed`, for the `Allow` header.
 */
export function matchRoute(
  appId: string,
  snapshot: AppSnapshot,
  method: string,
  path: string,
): RouteMatch & { head: boolean } {
  const direct = snapshot.routes.match(method, path);
  if (direct) return { ...direct, head: false };
  const get = method === "HEAD" ? snapshot.routes.match("GET", path) : null;
  if (get) return { ...get, head: true };
  const allowed = HttpMethod.options.filter((m) => snapshot.routes.match(m, path));
  if (allowed.length > 0) {
    throw new KilnError(
      "METHOD_NOT_ALLOWED",
      `${quote(path)} of app ${quote(appId)} answers ${allowed.join(", ")}, not ${quote(method)}`,
      { allowed },
    );
  }
  throw new KilnError(
    "COMPONENT_NOT_FOUND",
    `no component of app ${quote(appId)} serves ${quote(method)} ${quote(path)}`,
  );
}

/** A component by id, for app tool calls. */
export function componentById(
  appId: string,
  snapshot: AppSnapshot,
  componentId: string,
): ComponentDefinition {
  const component = snapshot.components.get(componentId);
  if (!component) {
    throw new KilnError(
      "COMPONENT_NOT_FOUND",
      `app ${quote(appId)} has no component ${quote(componentId)}`,
    );
  }
  return component;
}
