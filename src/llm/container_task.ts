/**
 * The LLM runner as a sandbox program: the same `LlmRunner`, bundled into one script
 * (`deno task workers`) that Kiln hands to a sandbox tier as an ordinary `esm` component when an
 * llm component must not run on the host (`runtime: container`, `trust: untrusted`). Inside,
 * definition files come through `core.state.getDefinitionFileContent` and the model call through
 * `core.llm.generate`, both over the sandbox's MCP channel with the execution's token.
 */
import { log, mcp } from "kiln:sdk";
import type { ComponentDefinition, ExecutionContext, RequestData } from "../models/mod.ts";
import { localRenderer } from "../template/mod.ts";
import { LlmRunner } from "./llm_runner.ts";

// Inside the container the sandbox already bounds time and memory, so templates render here.
const runner = new LlmRunner({
  renderer: localRenderer,
  state: {
    getDefinitionFileContent: async (_appId: string, filePath: string, revision?: string) => {
      const file = await mcp.call("core.state.getDefinitionFileContent", { filePath, revision });
      return file;
    },
  } as ConstructorParameters<typeof LlmRunner>[0]["state"],
});

/** The component this program runs; Kiln declares it in front of the bundle (`llmTaskCode`). */
declare const __kilnLlmComponent: ComponentDefinition;

/** The JIT entry point the sandbox calls. */
export function handler(requestData: RequestData, context: ExecutionContext): Promise<unknown> {
  return runLlmTask(__kilnLlmComponent, requestData, context);
}

/** Runs one llm execution of `component`; an application failure is thrown with its code. */
export async function runLlmTask(
  component: ComponentDefinition,
  requestData: RequestData,
  context: ExecutionContext,
): Promise<unknown> {
  const host = {
    callTool: (tool: string, params: unknown) => mcp.call(tool, params),
    log: (level: "debug" | "info" | "warn" | "error", message: string, fields?: object) =>
      log[level](message, fields as Record<string, unknown>),
  };
  const result = await runner.run(component, requestData, context, host);
  if (result.resultType === "error") {
    const { code, message } = result.data as { code: string; message: string };
    throw Object.assign(new Error(message), { code });
  }
  return result.data;
}
