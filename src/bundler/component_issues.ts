import { KilnError, yamlValueOrThrowAsync } from "../core/mod.ts";
import { ComponentRegistry, type DefinitionIssue } from "../models/mod.ts";
import { handlerWorldProblems } from "../sandbox/mod.ts";
import { componentBytes } from "./_wasm_text.ts";

/**
 * The problems of an app's WebAssembly components, checked before a registration, update or
 * push is committed (handed to the registry by `kiln.ts`): each `language: wasm` script must hold
 * a component implementing the `kiln:handler` world with its `function` as the entry. A file
 * that does not parse is left to the commit's own validation, which reports it.
 */
export async function wasmComponentIssues(
  files: ReadonlyMap<string, string>,
): Promise<DefinitionIssue[]> {
  const text = files.get("component_registry.yaml");
  if (text === undefined) return [];
  let registry: ComponentRegistry;
  try {
    registry = ComponentRegistry.parse(
      await yamlValueOrThrowAsync(text, "state/component_registry.yaml"),
    );
  } catch {
    return [];
  }
  const issues: DefinitionIssue[] = [];
  const checked = new Map<string, string[]>();
  for (const [i, c] of registry.components.entries()) {
    const task = c.taskDetails as { script?: unknown; function?: unknown; language?: unknown };
    if (c.handlerType !== "jit" || task.language !== "wasm") continue;
    const script = String(task.script);
    const entry = String(task.function);
    const key = `${script}\0${entry}`;
    let problems = checked.get(key);
    if (!problems) {
      problems = await scriptProblems(files, script, entry);
      checked.set(key, problems);
    }
    for (const message of problems) {
      issues.push({
        path: "component_registry.yaml",
        field: `components.${i}.taskDetails.script`,
        message: `${c.componentId}: ${script}: ${message}`,
      });
    }
  }
  return issues;
}

async function scriptProblems(
  files: ReadonlyMap<string, string>,
  script: string,
  entry: string,
): Promise<string[]> {
  const source = files.get(script);
  if (source === undefined) return ["the script does not exist"];
  let bytes: Uint8Array;
  try {
    bytes = await componentBytes(
      script,
      source,
      (path) => Promise.resolve(files.get(path) ?? null),
    );
  } catch (err) {
    if (err instanceof KilnError) return [err.message];
    throw err;
  }
  return await handlerWorldProblems(bytes, entry);
}
