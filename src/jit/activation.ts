import { createPatch } from "diff";
import { type Document, isMap, isSeq, type YAMLMap } from "yaml";
import { KilnError, quote, yamlDocumentOrThrowAsync } from "../core/mod.ts";
import { ComponentDefinition } from "../models/mod.ts";
import type { StateManager } from "../state/mod.ts";

export const REGISTRY_FILE = "component_registry.yaml";
export const JIT_AUTHOR = { name: "Kiln JIT", email: "jit@kiln.local" };

/** What a generated component keeps of the llm definition it replaced (for fallback, rollback). */
export interface GeneratedFrom {
  handlerType: "llm";
  taskDetails: Record<string, unknown>;
  runtime: ComponentDefinition["runtime"];
}

/** `taskDetails` of a component Kiln switched to generated code. */
export interface GeneratedTask {
  script: string;
  function: "run";
  language: "typescript";
  jitVersion: string;
  generatedFrom: GeneratedFrom;
}

/** The generated task of a component, when it is one. */
export function generatedTask(c: ComponentDefinition): GeneratedTask | undefined {
  const t = c.taskDetails as Partial<GeneratedTask>;
  return c.handlerType === "jit" && t.jitVersion && t.generatedFrom?.handlerType === "llm"
    ? t as GeneratedTask
    : undefined;
}

/**
 * Switches an llm component to a generated version (contract §9: `handlerType: jit`, `taskDetails`,
 * `targetPoolName` left as it was) with one `applyDefinitionDiff` against the revision the
 * decision was made on — so a concurrent edit makes it a conflict, never an overwrite. The llm
 * definition travels inside `taskDetails.generatedFrom`, so fallback and rollback need nothing
 * else.
 */
export async function switchToGenerated(
  state: StateManager,
  appId: string,
  componentId: string,
  version: string,
  dir: string,
  baseRevision: string,
  message: string,
): Promise<string> {
  return await editComponent(state, appId, componentId, baseRevision, message, (node, c, doc) => {
    const from: GeneratedFrom = generatedTask(c)?.generatedFrom ?? {
      handlerType: "llm",
      taskDetails: c.taskDetails,
      runtime: c.runtime,
    };
    if (c.handlerType !== "llm" && !generatedTask(c)) {
      throw new KilnError(
        "JIT_NOT_READY",
        `component ${quote(componentId)} is a ${c.handlerType} component, not an llm one`,
      );
    }
    const task: GeneratedTask = {
      script: `${dir}/entry.ts`,
      function: "run",
      language: "typescript",
      jitVersion: version,
      generatedFrom: from,
    };
    node.set("handlerType", "jit");
    node.set("taskDetails", doc.createNode(task));
    // Generated code is untrusted small code: the wasm tier, unless trust asks for more.
    if (c.trust !== "untrusted") node.set("runtime", "wasm");
  });
}

/** Puts a generated component back on its LLM definition (rollback). */
export async function switchToLlm(
  state: StateManager,
  appId: string,
  componentId: string,
  baseRevision: string,
  message: string,
): Promise<string> {
  return await editComponent(state, appId, componentId, baseRevision, message, (node, c, doc) => {
    const task = generatedTask(c);
    if (!task) {
      throw new KilnError(
        "JIT_NOT_READY",
        `component ${quote(componentId)} is not running generated code`,
      );
    }
    node.set("handlerType", "llm");
    node.set("taskDetails", doc.createNode(task.generatedFrom.taskDetails));
    if (task.generatedFrom.runtime === "auto") node.delete("runtime");
    else node.set("runtime", task.generatedFrom.runtime);
  });
}

async function editComponent(
  state: StateManager,
  appId: string,
  componentId: string,
  baseRevision: string,
  message: string,
  edit: (node: YAMLMap, current: ComponentDefinition, doc: Document) => void,
): Promise<string> {
  const file = await state.getDefinitionFileContent(appId, REGISTRY_FILE, baseRevision);
  if (!file.found) throw new KilnError("FILE_NOT_FOUND", `${REGISTRY_FILE} is missing`);
  const doc = await yamlDocumentOrThrowAsync(file.content!, REGISTRY_FILE);
  const list = doc.get("components");
  const node = isSeq(list)
    ? list.items.find((n) => isMap(n) && n.get("componentId") === componentId)
    : undefined;
  if (!node || !isMap(node)) {
    throw new KilnError("COMPONENT_NOT_FOUND", `no component ${quote(componentId)} in ${appId}`);
  }
  edit(node as YAMLMap, ComponentDefinition.parse((node as YAMLMap).toJSON()), doc);
  const next = doc.toString({ lineWidth: 100 });
  const patch = createPatch(REGISTRY_FILE, file.content!, next);
  const result = await state.applyDefinitionDiff(appId, REGISTRY_FILE, patch, baseRevision, {
    commitMessage: message,
    author: JIT_AUTHOR,
  });
  return result.resultingRevision;
}
