import { KilnError, yamlValueOrThrowAsync } from "../core/mod.ts";
import { AppDefinition } from "../models/mod.ts";
import type { DefinitionIssue } from "../state/mod.ts";

/**
 * What a registration or update checks of its source before anything is committed: the app id
 * it declares, and what the engines handed in say of its images and WebAssembly components.
 */

/** The app definition a source declares; VALIDATION_ERROR with each issue otherwise. */
export async function definitionOf(text: string): Promise<AppDefinition> {
  const value = await yamlValueOrThrowAsync(text, "state/app_definition.yaml");
  const result = AppDefinition.safeParse(value);
  if (!result.success) {
    throw new KilnError("VALIDATION_ERROR", "state/app_definition.yaml is invalid", {
      issues: result.error.issues.map((i) => ({
        path: "app_definition.yaml",
        field: i.path.join("."),
        message: i.message,
      })),
    });
  }
  return result.data;
}

/**
 * Refuses a source whose pools name images Docker lacks, or whose wasm components do not
 * implement the handler world (VALIDATION_ERROR naming the first, with every issue).
 */
export async function refuseSource(
  definition: AppDefinition,
  files: ReadonlyMap<string, string>,
  imageIssues: ((definition: AppDefinition) => Promise<DefinitionIssue[]>) | undefined,
  componentIssues: ((files: ReadonlyMap<string, string>) => Promise<DefinitionIssue[]>) | undefined,
): Promise<void> {
  if (imageIssues) refuse("app_definition.yaml", await imageIssues(definition));
  refuse("component_registry.yaml", await componentIssues?.(files) ?? []);
}

function refuse(file: string, issues: DefinitionIssue[]): void {
  if (issues.length === 0) return;
  throw new KilnError(
    "VALIDATION_ERROR",
    `"${file}" is invalid at ${issues[0].field}: ${issues[0].message}`,
    { issues },
  );
}

/** The first issue in one line (`path: message (budget)`), and how many more there are. */
export function issueSummary(issues: DefinitionIssue[]): string {
  const [first] = issues;
  const where = first.path ? `${first.path}: ` : "";
  const budget = first.limit ? ` (${first.limit})` : "";
  const more = issues.length > 1 ? `; ${issues.length - 1} more` : "";
  return `${where}${first.message}${budget}`.slice(0, 300) + more;
}
