import { createHash } from "node:crypto";
import type { ComponentDefinition } from "../models/mod.ts";
import type { ExecutionCode } from "../sandbox/mod.ts";

/** MCP tools the sandboxed LLM runner needs besides the component's own permissions. */
export const LLM_TASK_TOOLS = ["core.llm.generate", "core.state.getDefinitionFileContent"];

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/**
 * The bundle and its hash, loaded with the first sandboxed llm component rather than with Kiln;
 * the specifier stays literal so `deno compile` embeds it.
 */
let bundle: Promise<{ text: string; hash: string }> | undefined;
const built = new Map<string, ExecutionCode>();

/**
 * The LLM runner as sandbox code for `component` (see container_task.ts): the embedded bundle with
 * the component declared in front of it, an `esm` module whose `handler` a tier calls like any JIT
 * component's. Its hash names the component definition too, so warm sandboxes key it correctly.
 * Built once per definition: the bundle is ~800 KB, too much to copy and hash per request.
 */
export async function llmTaskCode(component: ComponentDefinition): Promise<ExecutionCode> {
  const declared = JSON.stringify(component);
  let code = built.get(declared);
  if (!code) {
    bundle ??= import("../generated/llm_container_task.bundle.js", { with: { type: "text" } })
      .then((m) => ({ text: m.default, hash: sha256(m.default) }));
    const { text, hash: bundleHash } = await bundle;
    const source = `const __kilnLlmComponent = ${declared};\n${text}`;
    const hash = sha256(`${bundleHash}\0${declared}`);
    code = { kind: "javascript", format: "esm", source, entry: "handler", hash };
    if (built.size >= 256) built.delete(built.keys().next().value!);
    built.set(declared, code);
  }
  return code;
}
