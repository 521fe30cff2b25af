import { LIMITS } from "../core/mod.ts";
import { ComponentRegistry } from "../models/mod.ts";
import type { DefinitionIssue } from "../state/mod.ts";
import { RouteTable } from "./route_table.ts";

/**
 * What building an app's route table needs, checked when `component_registry.yaml` is written
 * (the state layer runs it, `kiln.ts` hands it in): a pattern over `route.params`, or one the
 * matcher cannot compile, is refused naming its component, not found later when the app loads.
 */
export function componentRegistryIssues(
  path: string,
  value: Record<string, unknown>,
): DefinitionIssue[] {
  const parsed = ComponentRegistry.safeParse(value);
  if (!parsed.success) return [];
  const components = parsed.data.components;
  const max = LIMITS["route.params"];
  const issues: DefinitionIssue[] = [];
  components.forEach((c, i) => {
    const pattern = c.routeMatcher?.pathPattern;
    if (pattern === undefined) return;
    const params = pattern.split("/").filter((s) => s.startsWith(":")).length;
    if (params > max) {
      issues.push({
        path,
        field: `components.${i}.routeMatcher.pathPattern`,
        message: `expected at most ${max} :params; found ${params}`,
        limit: "route.params",
      });
    }
  });
  if (issues.length > 0) return issues;
  try {
    new RouteTable(components);
    return [];
  } catch (err) {
    // Name the component whose pattern the matcher refuses alone, when one does.
    for (const [i, c] of components.entries()) {
      try {
        new RouteTable([c]);
      } catch (own) {
        return [{
          path,
          field: `components.${i}.routeMatcher.pathPattern`,
          message: `the route matcher cannot compile ${
            JSON.stringify(c.routeMatcher?.pathPattern)
          }: ${(own as Error).message}`,
        }];
      }
    }
    return [{ path, message: `the routes cannot be compiled together: ${(err as Error).message}` }];
  }
}
