import { KilnError, quote, yamlValueOrThrow } from "../core/mod.ts";
import {
  AppDefinition,
  type ComponentDefinition,
  ComponentRegistry,
  OptimizationConfig,
  SecurityConfig,
} from "../models/mod.ts";
import {
  bundleSchema,
  type JsonSchema,
  type SchemaValidator,
  validatorFor,
} from "../schema/mod.ts";
import { RouteTable } from "./route_table.ts";

/** One of a component's schemas, bundled into one document and compiled. */
export interface ComponentSchema {
  /** Self-contained: every file it names is copied into its `$defs`. */
  schema: JsonSchema;
  /** Compiled at first use; the revision's commit checks already compiled it once. */
  readonly validator: SchemaValidator;
}

/** What a component promises: its input and output schemas, when it declares them. */
export interface ComponentContract {
  input?: ComponentSchema;
  output?: ComponentSchema;
}

/** An app's parsed definitions at one revision: what the registry serves. Immutable. */
export interface AppSnapshot {
  revision: string;
  definition: AppDefinition;
  components: ReadonlyMap<string, ComponentDefinition>;
  security: SecurityConfig;
  optimization: OptimizationConfig;
  routes: RouteTable;
  /** Each component's declared schemas, by componentId (absent: it declares none). */
  contracts: ReadonlyMap<string, ComponentContract>;
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
    contracts: contractsOf(definition.appId, revision, files, registry.components),
  };
}

function contractsOf(
  appId: string,
  revision: string,
  files: ReadonlyMap<string, string>,
  components: readonly ComponentDefinition[],
): Map<string, ComponentContract> {
  const parsed = new Map<string, unknown>();
  const read = (path: string): unknown => {
    if (!parsed.has(path)) {
      const text = files.get(path);
      parsed.set(
        path,
        text === undefined
          ? undefined
          : path.endsWith(".json")
          ? JSON.parse(text)
          : yamlValueOrThrow(text, `state/${path}`),
      );
    }
    return parsed.get(path);
  };
  const compiled = (
    c: ComponentDefinition,
    field: "inputSchema" | "outputSchema",
  ): ComponentSchema | undefined => {
    const ref = c[field];
    if (ref === undefined) return undefined;
    try {
      const schema = bundleSchema(ref, read);
      // Compiling takes milliseconds per schema: done at first use, not for every component of
      // every app when Kiln starts or a revision lands (commit checks already compiled it).
      let validator: SchemaValidator | undefined;
      return {
        schema,
        get validator() {
          return validator ??= validatorFor(appId, revision, schema);
        },
      };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new KilnError(
        "VALIDATION_ERROR",
        `component ${quote(c.componentId)} has an unusable ${field}: ${why}`,
        { componentId: c.componentId, field },
      );
    }
  };
  const out = new Map<string, ComponentContract>();
  for (const c of components) {
    const input = compiled(c, "inputSchema"), output = compiled(c, "outputSchema");
    if (input || output) {
      out.set(c.componentId, { ...(input ? { input } : {}), ...(output ? { output } : {}) });
    }
  }
  return out;
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
