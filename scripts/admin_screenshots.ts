/**
 * `deno run -A scripts/admin_screenshots.ts`: a screenshot of each admin panel page, taken in
 * headless Chromium at 1366×768 against a Kiln filled with demo data (an app, a finished
 * workflow run, recorded LLM traffic and a JIT generation), into `docs/screenshots/`.
 */
import type { Page } from "playwright-core";
import type { Kiln } from "../src/kiln.ts";
import {
  launchBrowser,
  signIn,
  startPanelKiln,
  waitLoaded,
} from "../tests/_support/admin_browser.ts";
import { PANEL_APP_ID } from "../tests/_support/admin_app.ts";
import { finishedRun, seedApps } from "../tests/_support/admin_seed.ts";
import { JIT_APP_ID, JIT_COMPONENT_ID, prepareJit } from "../tests/_support/admin_jit.ts";

const OUT = new URL("../docs/screenshots/", import.meta.url);

/** An app with a container component, invoked once, so its pool has a container. */
async function boxedApp(kiln: Kiln): Promise<void> {
  if (!kiln.containerTier) return;
  await kiln.registry.registerApplication({
    files: {
      "app_definition.yaml": "appId: boxed\ndisplayName: Boxed\nversion: 1.0.0\n",
      "component_registry.yaml": `components:
  - componentId: shell
    handlerType: jit
    runtime: container
    taskDetails: { script: code/shell.js, function: shell, language: javascript }
    routeMatcher: { pathPattern: /shell, methods: [GET] }
`,
      "code/shell.js": "export function shell() { return { boxed: true }; }\n",
    },
  }, "Kiln <kiln@localhost>");
  const res = await kiln.handler(new Request("http://kiln.test/apps/boxed/shell"));
  console.log(`container component: ${res.status} ${await res.text()}`);
}

const jit = await prepareJit();
// The container tier too, when Docker answers, so the sandbox page shows a pool.
const k = await startPanelKiln({ ...jit.options, containers: true });
const b = await launchBrowser();
try {
  await jit.seed(k.kiln);
  await seedApps(k.kiln, 5);
  const runId = await finishedRun(k.kiln);
  await boxedApp(k.kiln);
  await k.kiln.jitService.generate(JIT_APP_ID, JIT_COMPONENT_ID, {
    trigger: "manual",
    actor: "screenshots",
  });
  await k.kiln.jitService.idle();
  await Deno.mkdir(OUT, { recursive: true });
  const { page } = b;
  const shot = async (name: string) => {
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0)
    );
    await page.waitForTimeout(150); // let charts and fonts settle
    await page.screenshot({ path: new URL(`${name}.png`, OUT).pathname });
    console.log(`docs/screenshots/${name}.png`);
  };
  const visit = async (
    path: string,
    mark: string,
    name: string,
    then?: (p: Page) => Promise<void>,
  ) => {
    await page.goto(`${k.url}/admin${path}`);
    await waitLoaded(page, mark);
    if (then) await then(page);
    await shot(name);
  };

  await page.goto(`${k.url}/admin`);
  await waitLoaded(page, "sign-in");
  await shot("sign-in");
  await signIn(page, k.url);
  await visit("/apps", "apps", "apps");
  await visit(`/apps/${PANEL_APP_ID}`, "app-detail", "app-detail");
  await visit(
    `/apps/${PANEL_APP_ID}?tab=definitions&file=component_registry.yaml`,
    "file",
    "definitions",
  );
  await visit(`/apps/${JIT_APP_ID}?tab=history`, "history", "history", async (p) => {
    await p.locator("tr[data-revision] button", { hasText: "Diff" }).first().click();
    await p.locator("pre.diff").waitFor();
  });
  await visit(`/apps/${PANEL_APP_ID}?tab=keys`, "keys", "keys", async (p) => {
    await p.getByLabel("Description").fill("CI deploy key");
    await p.getByRole("button", { name: "Create key" }).click();
    await p.getByText("shown only once").waitFor();
  });
  await visit(`/invoke?app=${PANEL_APP_ID}&component=hello`, "invoke", "invoke", async (p) => {
    await p.getByLabel(/^Path under/).fill("/hello/ada");
    await p.getByRole("button", { name: "Run", exact: true }).click();
    await p.locator("#invoke-outcome").waitFor();
  });
  await visit(`/runs?app=${PANEL_APP_ID}`, "runs", "runs");
  await visit(`/runs/${PANEL_APP_ID}/${runId}`, "run", "run-detail");
  await visit(`/metrics?app=${JIT_APP_ID}`, "metrics", "metrics", async (p) => {
    await p.locator("figure canvas").first().waitFor();
  });
  await visit(`/optimization?app=${JIT_APP_ID}`, "optimization", "optimization", async (p) => {
    await p.locator("section.gate-report").waitFor();
  });
  await visit("/sandboxes", "sandboxes", "sandboxes");
  await visit("/mcp?tool=core.state.getDefinitionFileContent", "mcp", "mcp", async (p) => {
    await p.locator("#tool-app").selectOption(PANEL_APP_ID);
    await p.getByLabel("Arguments (JSON)").fill('{"filePath": "app_definition.yaml"}');
    await p.getByRole("button", { name: "Call tool" }).click();
    await p.getByText("Answer").first().waitFor();
  });
} finally {
  await b.close();
  await k.close();
  await jit.close();
}
