/** Helpers for the workflow integration tests: an app with workflows, and polling a run. */

/** The files of an app whose `state/workflows/` holds `workflows` (id → YAML). */
export function workflowApp(
  appId: string,
  workflows: Record<string, string>,
  opts: {
    configuration?: Record<string, unknown>;
    components?: string;
    code?: Record<string, string>;
  } = {},
): Record<string, string> {
  const files: Record<string, string> = {
    "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n` +
      `configuration: ${JSON.stringify(opts.configuration ?? { queue: "general" })}\n`,
    "component_registry.yaml": opts.components ?? "components: []\n",
    ...opts.code,
  };
  for (const [id, yaml] of Object.entries(workflows)) files[`workflows/${id}.yaml`] = yaml;
  return files;
}

/**
 * A workflow that stands for a payment: `charge` and `receipt` each increment a runtime value and
 * must happen exactly once, with a `settle` wait between them so a test can kill the node there.
 * `tail` holds the steps after `receipt`, starting with the one named `next`.
 */
export function billingWorkflow(settleMs: number, next: string, tail: string): string {
  return `workflowId: billing
startAt: charge
steps:
  charge:
    type: mcp
    description: Stands for a payment; must happen exactly once.
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'charged'" }
    safeToRepeat: false
    transitions: [{ nextStep: settle }]
  settle:
    type: control
    target: { subtype: wait, durationMs: ${settleMs} }
    transitions: [{ nextStep: receipt }]
  receipt:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'receipts'" }
    safeToRepeat: false
    transitions: [{ nextStep: ${next} }]
${tail}`;
}

// deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
type Json = any;

/** Polls `get` (every 20 ms, real time) until the run is no longer running or `until` holds. */
export async function pollRun(
  get: () => Promise<Json>,
  until: (run: Json) => boolean = (run) => run.status !== "running",
  timeoutMs = 30_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await get();
    if (until(run)) return run;
    if (Date.now() > deadline) throw new Error(`run not there in time: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
