import { createHash } from "node:crypto";
import type { ComponentDefinition } from "../models/mod.ts";
import type { ExecutionCode } from "../sandbox/mod.ts";
import BUNDLE from "./_container_task.bundle.js" with { type: "text" };

/** MCP tools the sandboxed LLM runner needs besides the component's own permissions. */
export const LLM_TASK_TOOLS = ["core.llm.generate", "core.state.getDefinitionFileContent"];

/**
 * The LLM runner as sandbox code for `component` (see container_task.ts): the embedded bundle with
 * the component declared in front of it, an `esm` module whose `handler` a tier calls like any JIT
 * component's. Its hash names the component definition too, so warm sandboxes key it correctly.
 */
export function llmTaskCode(component: ComponentDefinition): ExecutionCode {
  const source = `const __kilnLlmComponent = ${JSON.stringify(component)};\n${BUNDLE}`;
  const hash = createHash("sha256").update(source).digest("hex");
  return { kind: "javascript", format: "esm", source, entry: "handler", hash };
}
