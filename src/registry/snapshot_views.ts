import { KilnError, quote } from "../core/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import type { AppSnapshot } from "./app_snapshot.ts";
import { type ConfigSource, resolveConfig } from "./_config_lookup.ts";
import type { ComponentLookup } from "./types.ts";

/**
 * The read side of contract §4: what the registry answers about an app, each a view of the
 * snapshot it serves. Pure functions of that snapshot, so they read the same on every node.
 */

/** Each component as an app's details list it. */
export function componentSummaries(snapshot: AppSnapshot | null) {
  return [...(snapshot?.components.values() ?? [])].map((c) => ({
    componentId: c.componentId,
    handlerType: c.handlerType,
    runtime: c.runtime,
    trust: c.trust,
    ...(c.routeMatcher ? { routeMatcher: c.routeMatcher } : {}),
    ...(c.description ? { description: c.description } : {}),
  }));
}

/** What an app needs from the sandbox manager (contract §4 getSandboxRequirements). */
export function sandboxRequirements(appId: string, snap: AppSnapshot) {
  return {
    appId,
    pools: snap.definition.sandboxPools?.pools ?? [],
    components: [...snap.components.values()].map((c) => ({
      componentId: c.componentId,
      handlerType: c.handlerType,
      runtime: c.runtime,
      trust: c.trust,
      targetPoolName: c.targetPoolName,
      language: typeof c.taskDetails.language === "string" ? c.taskDetails.language : undefined,
      limits: c.limits ?? {},
    })),
  };
}

/** A component by id or by an ingress route (contract §4 getComponentDefinition). */
export function componentLookup(
  snap: AppSnapshot,
  ref: string | { path: string; method: string },
): ComponentLookup {
  if (typeof ref === "string") {
    const definition = snap.components.get(ref);
    return definition
      ? { found: true, definition, extractedPathParameters: {} }
      : { found: false, extractedPathParameters: {} };
  }
  const hit = snap.routes.match(ref.method, ref.path);
  return hit
    ? {
      found: true,
      definition: hit.component,
      extractedPathParameters: hit.pathParameters,
      routePattern: hit.routePattern,
    }
    : { found: false, extractedPathParameters: {} };
}

/** Component over app over global (contract §4 getAppConfigurationValue). */
export function configurationValue(
  appId: string,
  snap: AppSnapshot,
  global: Record<string, unknown>,
  key: string,
  componentId?: string,
): { found: boolean; value?: unknown; source?: ConfigSource } {
  let component: ComponentDefinition | undefined;
  if (componentId !== undefined) {
    component = snap.components.get(componentId);
    if (!component) {
      throw new KilnError(
        "COMPONENT_NOT_FOUND",
        `app ${quote(appId)} has no component ${quote(componentId)}`,
      );
    }
  }
  return resolveConfig(key, [
    ["component", component?.configurationOverrides],
    ["app", snap.definition.configuration],
    ["global", global],
  ]);
}

/** Who may do what to an app (contract §4 getApplicationPermissions); never includes hashes. */
export function applicationPermissions(appId: string, snap: AppSnapshot) {
  return {
    appId,
    apiKeys: snap.security.apiKeys.map(({ keyHash: _hash, ...rest }) => rest),
    interAppPermissions: snap.security.interAppPermissions,
    userRoles: snap.security.userRoles,
    components: Object.fromEntries(
      [...snap.components.values()].map((c) => [c.componentId, c.permissions]),
    ),
  };
}
