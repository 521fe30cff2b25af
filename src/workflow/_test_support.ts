/**
 * TEST ONLY — an engine on an in-memory embedded store, workflows from YAML strings, a fake
 * clock, and components and tools backed by real in-process functions the test supplies.
 */
import FakeTimers from "@sinonjs/fake-timers";
import { type JsonValue, KilnError, silentLogger } from "../core/mod.ts";
import { EmbeddedStore, type StoreDriver } from "../state/mod.ts";
import { WorkflowEngine } from "./engine.ts";
import { loadWorkflow } from "./loader.ts";
import type { ComponentCall, McpCall, RunEventBus, RunLeases, WorkflowSource } from "./seams.ts";
import type { Timers } from "./_timers.ts";
import type { RunLimits } from "./_frame.ts";
import type { RunRecord } from "./types.ts";

export type Fn = (input: JsonValue, call: ComponentCall) => JsonValue | Promise<JsonValue>;
export type ToolFn = (
  args: Record<string, JsonValue>,
  call: McpCall,
) => JsonValue | Promise<JsonValue>;

/** A test engine and its knobs. */
export interface TestEngine {
  engine: WorkflowEngine;
  store: StoreDriver;
  clock: ReturnType<typeof FakeTimers.createClock>;
  timers: Timers;
  /** Calls per component/tool name. */
  calls: Map<string, number>;
  /** Starts `workflowId` with `input` as `trigger.body`; runs fake time until it ends. */
  runToEnd(workflowId: string, input?: JsonValue, maxMs?: number): Promise<RunRecord>;
  /** A second engine on the same store and workflows, as after a restart. */
  restart(): TestEngine;
  close(): Promise<void>;
}

/**
 * Builds a test engine over `workflows` (`id → YAML`), `components` and `tools`; `shared` passes
 * a store (closed by its owner), clock and call counts in, as a restart does.
 */
export function testEngine(
  workflows: Record<string, string>,
  components: Record<string, Fn> = {},
  tools: Record<string, ToolFn> = {},
  shared: {
    store?: StoreDriver;
    clock?: TestEngine["clock"];
    calls?: Map<string, number>;
    limits?: Partial<RunLimits>;
    leases?: RunLeases;
    events?: RunEventBus;
  } = {},
): TestEngine {
  const owned = shared.store === undefined;
  const store = shared.store ?? EmbeddedStore.open(":memory:");
  const clock = shared.clock ?? FakeTimers.createClock(1_000_000);
  const calls = shared.calls ?? new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const timers: Timers = {
    now: () => clock.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (h) => clock.clearTimeout(h as never),
    random: () => 0.5,
  };
  const source: WorkflowSource = {
    app: () => ({ revision: "r1", configuration: { queue: "general" } }),
    workflow: (_appId, id) => {
      const text = workflows[id];
      if (text === undefined) throw new KilnError("NOT_FOUND", `no workflow "${id}"`);
      return Promise.resolve(loadWorkflow(`workflows/${id}.yaml`, text));
    },
  };
  const engine = new WorkflowEngine({
    store,
    source,
    logger: silentLogger,
    timers,
    ...(shared.limits ? { limits: shared.limits } : {}),
    ...(shared.leases ? { leases: shared.leases } : {}),
    ...(shared.events ? { events: shared.events } : {}),
    components: {
      invoke: async (call) => {
        const name = String(
          call.target.componentId ?? call.target.function ?? call.target.promptTemplate,
        );
        const fn = components[name];
        if (!fn) throw new KilnError("COMPONENT_NOT_FOUND", `no component "${name}"`);
        count(name);
        return await fn(call.input, call);
      },
    },
    mcp: {
      call: async (call) => {
        const name = call.server ? `${call.server}/${call.tool}` : call.tool;
        const fn = tools[name];
        if (!fn) throw new KilnError("NOT_FOUND", `no tool "${name}"`);
        count(name);
        return await fn(call.args, call);
      },
    },
  });
  const self: TestEngine = {
    engine,
    store,
    clock,
    timers,
    calls,
    async runToEnd(workflowId, input = {}, maxMs = 600_000) {
      const started = await engine.start("app", workflowId, { source: "api", body: input });
      const deadline = clock.now + maxMs;
      for (;;) {
        const run = await engine.get("app", started.runId);
        if (run.status !== "running") return run;
        if (clock.now >= deadline) throw new Error(`run did not end: ${JSON.stringify(run)}`);
        await clock.tickAsync(100);
      }
    },
    restart: () => testEngine(workflows, components, tools, { ...shared, store, clock, calls }),
    async close() {
      await engine.close();
      if (owned) await store.close();
    },
  };
  return self;
}

/** Resolves after `n` microtask turns, letting background runs progress without time passing. */
export async function settle(n = 50): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}
