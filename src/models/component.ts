import { z } from "zod";
import { ComponentId, Configuration, SchemaRef } from "./_common.ts";

export const HandlerType = z.enum(["llm", "jit", "workflow"]);
export const Runtime = z.enum(["auto", "isolate", "wasm", "container"]);
export const Trust = z.enum(["trusted", "low", "untrusted"]);
export const HttpMethod = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

/** `taskDetails` of a `jit` component: a script (relative to `state/`) and its entry function. */
export const JitTaskDetails = z.object({
  script: z.string().min(1),
  function: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/),
  language: z.enum(["typescript", "javascript", "python", "wasm"]),
}).loose();

/** `taskDetails` of an `llm` component: the prompt template (a name under `state/prompts/`). */
export const LlmTaskDetails = z.object({ promptTemplate: z.string().min(1) }).loose();

/** `taskDetails` of a `workflow` component: the workflow it runs. */
export const WorkflowTaskDetails = z.object({ workflowId: z.string().min(1) }).loose();

const TASK_DETAILS = { jit: JitTaskDetails, llm: LlmTaskDetails, workflow: WorkflowTaskDetails };

/** Matches ingress requests to a component, with Hono-style patterns like `/api/users/:id`. */
export const RouteMatcher = z.object({
  pathPattern: z.string().regex(/^\/[A-Za-z0-9_\-./:*{}]*$/, "pathPattern must start with '/'"),
  methods: z.array(HttpMethod).min(1).default(["GET"]),
  auth: z.enum(["public", "apiKey"]).default("public")
    .describe("`apiKey`: callers need `Authorization: Bearer <app key>` with `invoke`"),
});

/** One entry of `state/component_registry.yaml` (contract §2 ComponentDefinition). */
export const ComponentDefinition = z.object({
  componentId: ComponentId,
  description: z.string().max(4000).optional(),
  handlerType: HandlerType,
  targetPoolName: z.string().optional(),
  taskDetails: z.record(z.string(), z.unknown()),
  expectedResultFormat: z.enum(["generic", "httpResponse", "error"]).default("generic"),
  routeMatcher: RouteMatcher.optional(),
  configurationOverrides: Configuration.default({}),
  runtime: Runtime.default("auto"),
  trust: Trust.default("low"),
  limits: z.object({
    timeoutMs: z.number().int().min(1).max(900_000).optional(),
    memoryMb: z.number().int().min(1).max(65_536).optional(),
  }).optional(),
  permissions: z.array(z.string().min(1)).default([]),
  inputSchema: SchemaRef.optional(),
  outputSchema: SchemaRef.optional(),
}).superRefine((c, ctx) => {
  const parsed = TASK_DETAILS[c.handlerType].safeParse(c.taskDetails);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({
      code: "custom",
      message: `${c.handlerType} taskDetails: ${issue.message}`,
      path: ["taskDetails", ...issue.path],
    });
  }
});
export type ComponentDefinition = z.infer<typeof ComponentDefinition>;

/** `state/component_registry.yaml`: component ids and routes are unique within an app. */
export const ComponentRegistry = z.object({
  components: z.array(ComponentDefinition).default([]),
}).superRefine((r, ctx) => {
  const ids = new Set<string>();
  const routes = new Set<string>();
  r.components.forEach((c, i) => {
    if (ids.has(c.componentId)) {
      ctx.addIssue({
        code: "custom",
        message: `duplicate componentId "${c.componentId}"`,
        path: ["components", i, "componentId"],
      });
    }
    ids.add(c.componentId);
    for (const m of c.routeMatcher?.methods ?? []) {
      const key = `${m} ${c.routeMatcher!.pathPattern}`;
      if (routes.has(key)) {
        ctx.addIssue({
          code: "custom",
          message: `route "${key}" is declared twice`,
          path: ["components", i, "routeMatcher"],
        });
      }
      routes.add(key);
    }
  });
});
export type ComponentRegistry = z.infer<typeof ComponentRegistry>;
