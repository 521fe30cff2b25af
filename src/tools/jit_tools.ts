import { z } from "zod";
import { authorOf } from "../auth/mod.ts";
import { ComponentId } from "../models/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import { APPENDS, appOf, type CoreToolDeps, defineTool, EDITS, READ_ONLY } from "./_common.ts";

/** The JIT loop as the tools reach it. */
const Obj = z.record(z.string(), z.unknown());
const ComponentInput = z.strictObject({ componentId: ComponentId });
const Reason = z.string().max(500).optional();

/**
 * The JIT loop over MCP (contract §9): the same status, manual trigger, promote, rollback,
 * oracle pass and audit log as `/v1/apps/{appId}/jit`, for the caller's own app.
 */
export function jitTools(deps: CoreToolDeps): ToolDefinition[] {
  const jit = () => deps.jit.get();
  return [
    defineTool({
      name: "core.jit.list",
      title: "JIT status of the app's llm components",
      description: "Every llm component (and every one running generated code) with its state, " +
        "versions, recorded samples and shadow agreement.",
      scope: "app",
      permission: "jit:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({}),
      outputSchema: z.object({ components: z.array(Obj) }),
      handler: async (_i, ctx) => ({
        components: await (await jit()).service.list(appOf(ctx)) as unknown as Record<
          string,
          unknown
        >[],
      }),
    }),
    defineTool({
      name: "core.jit.status",
      title: "JIT status of one component",
      description: "State (llm, generating, shadow, active, rolled_back), versions with their " +
        "gate agreement, shadow checks and the last generation with its events and report.",
      scope: "app",
      permission: "jit:read",
      annotations: READ_ONLY,
      inputSchema: ComponentInput,
      outputSchema: Obj,
      handler: async (i, ctx) =>
        await (await jit()).service.status(appOf(ctx), i.componentId) as unknown as Record<
          string,
          unknown
        >,
    }),
    defineTool({
      name: "core.jit.generate",
      title: "Start a JIT generation",
      description: "The manual trigger: asks the coder for a handler and tests from the " +
        "component's prompt and recorded traffic, gates it in the wasm tier and activates it " +
        "only above the agreement threshold. Answers at once; follow it with core.jit.generation.",
      scope: "app",
      permission: "jit:write",
      annotations: APPENDS,
      inputSchema: ComponentInput.extend({ reason: Reason }),
      outputSchema: Obj,
      handler: async (i, ctx) =>
        await (await jit()).service.generate(appOf(ctx), i.componentId, {
          trigger: "manual",
          actor: authorOf(ctx.caller),
          ...(i.reason ? { reason: i.reason } : {}),
        }) as unknown as Record<string, unknown>,
    }),
    defineTool({
      name: "core.jit.generation",
      title: "One JIT generation",
      description: "A generation's status, progress events and gate report.",
      scope: "app",
      permission: "jit:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({ generationId: z.string().min(1).max(64) }),
      outputSchema: Obj,
      handler: async (i, ctx) =>
        await (await jit()).service.generation(appOf(ctx), i.generationId) as unknown as Record<
          string,
          unknown
        >,
    }),
    defineTool({
      name: "core.jit.promote",
      title: "Promote a generated version",
      description: "Switches the component to a version generated earlier (a commit through " +
        "applyDefinitionDiff), whatever its gate said; the operator's call, audited.",
      scope: "app",
      permission: "jit:write",
      annotations: EDITS,
      inputSchema: ComponentInput.extend({ version: z.string().regex(/^v\d+$/) }),
      outputSchema: Obj,
      handler: async (i, ctx) =>
        await (await jit()).service.promote(
          appOf(ctx),
          i.componentId,
          i.version,
          authorOf(ctx.caller),
        ) as unknown as Record<string, unknown>,
    }),
    defineTool({
      name: "core.jit.rollback",
      title: "Roll a component back to the LLM",
      description: "Puts a component running generated code back on its LLM definition (a " +
        "commit), audited with the reason given.",
      scope: "app",
      permission: "jit:write",
      annotations: EDITS,
      inputSchema: ComponentInput.extend({ reason: Reason }),
      outputSchema: Obj,
      handler: async (i, ctx) =>
        await (await jit()).service.rollback(
          appOf(ctx),
          i.componentId,
          i.reason || "rolled back over MCP",
          authorOf(ctx.caller),
        ) as unknown as Record<string, unknown>,
    }),
    defineTool({
      name: "core.optimization.evaluate",
      title: "Run the optimization oracle",
      description: "Evaluates the app's optimization rules now (global < app < component) and " +
        "answers each llm component's decision: TRIGGER_JIT (a generation starts), " +
        "RECOMMEND_JIT or none, with the measured value of every condition.",
      scope: "app",
      permission: "jit:write",
      annotations: APPENDS,
      inputSchema: z.strictObject({}),
      outputSchema: z.object({ decisions: z.array(Obj) }),
      handler: async (_i, ctx) => ({
        decisions: await (await jit()).oracle.evaluate({
          appId: appOf(ctx),
          actor: authorOf(ctx.caller),
        }) as unknown as Record<string, unknown>[],
      }),
    }),
    defineTool({
      name: "core.optimization.audit",
      title: "The JIT audit log",
      description: "Every decision of the oracle, the generator and operators, newest first.",
      scope: "app",
      permission: "jit:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({ limit: z.number().int().min(1).max(1000).default(100) }),
      outputSchema: z.object({ entries: z.array(Obj) }),
      handler: async (i, ctx) => ({
        entries: await (await jit()).service.audit(appOf(ctx), i.limit) as unknown as Record<
          string,
          unknown
        >[],
      }),
    }),
  ];
}
