import { KilnError, yamlValueOrThrow } from "../core/mod.ts";
import {
  AppDefinition,
  type ComponentDefinition,
  ComponentRegistry,
  OptimizationConfig,
  SecurityConfig,
} from "../models/mod.ts";
import { RouteTable } from "./route_table.ts";

/** An app's parsed definitions at one revision: what the registry serves. Immutable. */
export interface AppSnapshot {
  revision: string;
  definition: AppDefinition;
  components: ReadonlyMap<string, ComponentDefinition>;
  security: SecurityConfig;
  optimization: OptimizationConfig;
  routes: RouteTable;
}

/**
 * Builds a snapshot from the `state/` files of a revision that already passed validation;
 * a file that still fails here means the revision is not servable.
 */
export function buildSnapshot(files: ReadonlyMap<string, string>, revision: string): AppSnapshot {
  const definition = parseFile(files, "app_definition.yaml", AppDefinition, undefined);
  const registry = parseFile(files, "component_registry.yaml", ComponentRegistry, {});
  const security = parseFile(files, "security_config.yaml", SecurityConfig, {});
  const optimization = parseFile(files, "optimization_config.yaml", OptimizationConfig, {});
  const components = new Map(registry.components.map((c) => [c.componentId, c]));
  return {
    revision,
    definition,
    components,
    security,
    optimization,
    routes: new RouteTable(registry.components),
  };
}

function parseFile<T>(
  files: ReadonlyMap<string, string>,
  path: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: unknown[] } };
  },
  fallback: unknown,
): T {
  const text = files.get(path);
  if (text === undefined && fallback === undefined) {
    throw new KilnError("VALIDATION_ERROR", `the app has no state/${path}`);
  }
  const value = text === undefined ? fallback : yamlValueOrThrow(text, `state/${path}`) ?? fallback;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new KilnError("VALIDATION_ERROR", `state/${path} is invalid`, {
      issues: result.error.issues,
    });
  }
  return result.data;
}
