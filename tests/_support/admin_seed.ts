/** Fills a panel Kiln with apps, a finished run and a generation, for screenshots and the bench. */
import type { Kiln } from "../../src/kiln.ts";
import { PANEL_APP_FILES, PANEL_APP_ID } from "./admin_app.ts";

const AUTHOR = "Kiln <kiln@localhost>";

/** Registers the demo app and `extra` small apps (`bulk-001`…), each with one component. */
export async function seedApps(kiln: Kiln, extra = 0): Promise<void> {
  await kiln.registry.registerApplication({ files: PANEL_APP_FILES }, AUTHOR);
  for (let i = 1; i <= extra; i++) {
    const appId = `bulk-${String(i).padStart(3, "0")}`;
    await kiln.registry.registerApplication({
      files: {
        "app_definition.yaml": `appId: ${appId}\ndisplayName: Bulk app ${i}\nversion: 1.0.${i}\n`,
        "component_registry.yaml": `components:
  - componentId: ping
    handlerType: jit
    taskDetails: { script: code/ping.ts, function: ping, language: typescript }
    routeMatcher: { pathPattern: /ping, methods: [GET] }
`,
        "code/ping.ts": "export function ping() { return { pong: true }; }\n",
      },
    }, AUTHOR);
  }
}

/** Runs the demo app's slow workflow to the end; answers its run id. */
export async function finishedRun(kiln: Kiln): Promise<string> {
  const run = await kiln.workflows.start(PANEL_APP_ID, "slow", {
    source: "api",
    body: { who: "grace" },
  });
  for (let i = 0; i < 400; i++) {
    const now = await kiln.workflows.get(PANEL_APP_ID, run.runId);
    if (now.status !== "running") break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return run.runId;
}
