/**
 * The admin panel end to end, in Debian's headless Chromium driven by playwright-core: sign in,
 * register an app, edit a definition with a validation error and fix it, invoke a component,
 * watch a workflow run live, read a metrics chart, trigger a JIT generation and read its gate
 * report, revert a definition, sign out. Skips only when /usr/bin/chromium is missing outside CI.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  browserSkipReason,
  launchBrowser,
  type PageGlobals,
  type PanelBrowser,
  type PanelKiln,
  signIn,
  startPanelKiln,
  waitLoaded,
} from "./_support/admin_browser.ts";
import { PANEL_APP_ID, writePanelApp } from "./_support/admin_app.ts";
import { JIT_APP_ID, JIT_COMPONENT_ID, type JitSetup, prepareJit } from "./_support/admin_jit.ts";

const skip = await browserSkipReason();
if (skip) console.log(`admin_e2e_test: ${skip}`);

/** A second app, uploaded as a tarball. */
function tarballApp(): Record<string, string> {
  return {
    "app_definition.yaml": "appId: tar-app\ndisplayName: From a tarball\nversion: 0.1.0\n",
    "component_registry.yaml": "components: []\n",
  };
}

/** Replaces the editor's text the way a person does: select all, type. */
async function setEditor(page: Page, text: string) {
  const editor = page.getByLabel(/^Content of/);
  await editor.fill(text);
}

/** How a chart caption rounds a number (`round` in web/admin/chart.ts). */
function chartRound(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

interface QueryAnswer {
  series: { labels: Record<string, string>; points: Record<string, number | null>[] }[];
}

/** A GET through the page, with its session cookie: the API as the panel itself sees it. */
function pageGet<T>(page: Page, path: string): Promise<T> {
  return page.evaluate(
    (p) => (globalThis as unknown as PageGlobals).fetch(p).then((r) => r.json()),
    path,
  ) as Promise<T>;
}

/** The page's width against the viewport, and every visible button not wholly inside it. */
function layoutFaults(
  page: Page,
): Promise<{ scrollWidth: number; innerWidth: number; cut: string[] }> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any -- this file is type-checked without the DOM lib
    const g = globalThis as any;
    const innerWidth: number = g.innerWidth;
    const cut: string[] = [];
    for (const b of g.document.querySelectorAll("button")) {
      const r = b.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (closed <details>)
      if (r.left < -0.5 || r.right > innerWidth + 0.5) {
        cut.push(
          `${(b.getAttribute("aria-label") ?? b.textContent).trim()} [${r.left}, ${r.right}]`,
        );
      }
    }
    return { scrollWidth: g.document.documentElement.scrollWidth, innerWidth, cut };
  });
}

/**
 * Checks the metrics page's latency chart against `/v1/metrics/query` for the page's own window
 * with the series merged; answers how many series the API has without grouping.
 */
async function latencyMatchesApi(page: Page, appId: string): Promise<number> {
  const charts = page.locator(`div.charts[data-app="${appId}"][data-component=""]`).first();
  await charts.locator("canvas").first().waitFor(); // the charts of this app, not the last one
  const [from, to, step] = await Promise.all(
    ["data-from", "data-to", "data-step"].map((a) => charts.getAttribute(a)),
  );
  const base =
    `/v1/metrics/query?name=kiln.invocation.duration_ms&appId=${appId}&from=${from}&to=${to}&stepMs=${step}`;
  const merged = await pageGet<QueryAnswer>(page, `${base}&groupBy=`);
  assert.equal(merged.series.length, 1, "groupBy nothing answers one series");
  const split = await pageGet<QueryAnswer>(page, base);
  const invocations = (q: QueryAnswer) =>
    q.series.flatMap((s) => s.points).reduce((n, p) => n + (p.count ?? 0), 0);
  assert.equal(invocations(merged), invocations(split), "the merged series counts them all");
  const latency = charts.locator('figure[aria-label^="Latency percentiles"]');
  const caption = await latency.getAttribute("aria-label") ?? "";
  let shown = 0;
  for (const k of ["p50", "p95", "p99"]) {
    const vals = merged.series[0].points.map((p) => p[k]).filter((v): v is number => v !== null);
    assert.ok(vals.length > 0, `${appId}: ${k} has values`);
    shown += vals.length;
    const avg = vals.reduce((a, b) => a + b, 0) / vals.length;
    assert.ok(
      caption.includes(`${k}: ${chartRound(avg)} ms avg`),
      `${appId}: ${k} avg ${avg} in "${caption}"`,
    );
  }
  assert.equal(Number(await latency.getAttribute("data-points")), shown, caption);
  return split.series.length;
}

Deno.test({
  name: "the admin panel drives Kiln end to end in a real browser",
  ignore: skip !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    let k: PanelKiln | undefined;
    let b: PanelBrowser | undefined;
    let jit: JitSetup | undefined;
    const dir = await writePanelApp();
    try {
      jit = await prepareJit();
      k = await startPanelKiln(jit.options);
      await jit.seed(k.kiln);
      b = await launchBrowser();
      const { page } = b;
      const url = k.url;
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));
      page.on("dialog", (d) => d.accept());
      page.setDefaultTimeout(30_000); // CI runs the suite in parallel on two cores
      // Later steps build on earlier ones: after a failure they are skipped, not timed out.
      let failed = false;
      const step = async (name: string, fn: () => Promise<void>) => {
        if (failed) return;
        if (await t.step(name, fn)) return;
        failed = true;
        const shot = `${Deno.env.get("KILN_E2E_SHOTS") ?? Deno.makeTempDirSync()}/failed.png`;
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
        console.error(`admin_e2e_test: step "${name}" failed; screenshot at ${shot}`);
      };

      await step("sign in", async () => {
        await page.goto(`${url}/admin`);
        await waitLoaded(page, "sign-in");
        await page.getByLabel("Admin token").fill("not-the-token-0123456789");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("alert").filter({ hasText: "UNAUTHORIZED" }).waitFor();
        await signIn(page, url);
        const cookies = await b!.context.cookies();
        const sessions = cookies.filter((c) => c.name === "kiln_admin_session");
        assert.deepEqual(sessions.map((c) => c.path).sort(), ["/admin", "/v1"]);
        for (const session of sessions) {
          assert.ok(session.httpOnly, "the session cookie is HTTP-only");
          assert.equal(session.sameSite, "Strict");
        }
        const seen = await page.evaluate(() => {
          const g = globalThis as unknown as PageGlobals;
          return [g.document.cookie, g.localStorage.length, g.sessionStorage.length];
        });
        assert.deepEqual(seen, ["", 0, 0], "scripts see no cookie, web storage is empty");
      });

      await step("register an app from a directory", async () => {
        await page.getByLabel(/Directory path/).fill(dir);
        await page.getByRole("button", { name: "Register", exact: true }).click();
        await page.getByRole("status").filter({ hasText: `Registered ${PANEL_APP_ID}` }).waitFor();
        const row = page.locator(`tr[data-app="${PANEL_APP_ID}"]`);
        await row.getByText("ACTIVE").waitFor();
        await row.getByRole("button", { name: `Deactivate ${PANEL_APP_ID}` }).click();
        await row.getByText("INACTIVE").waitFor();
        await row.getByRole("button", { name: `Activate ${PANEL_APP_ID}` }).click();
        await row.getByText("ACTIVE", { exact: true }).waitFor();
      });

      await step("keyboard: skip link, navigation and focus", async () => {
        await page.goto(`${url}/admin/apps`);
        await waitLoaded(page, "apps");
        await page.keyboard.press("Tab");
        const first = await page.evaluate(() =>
          (globalThis as unknown as { document: { activeElement: { textContent: string } } })
            .document.activeElement.textContent
        );
        assert.equal(first, "Skip to content");
        await page.keyboard.press("Tab"); // Sign out
        await page.keyboard.press("Tab"); // Apps
        await page.keyboard.press("Tab"); // Invoke
        await page.keyboard.press("Enter");
        await waitLoaded(page, "invoke");
        const focused = await page.evaluate(() =>
          (globalThis as unknown as { document: { activeElement: { id: string } } }).document
            .activeElement.id
        );
        assert.equal(focused, "main", "focus moves to the new page");
        await page.getByRole("link", { name: "Apps", exact: true }).click();
        await waitLoaded(page, "apps");
      });

      await step("register from a tarball and with the bootstrap wizard", async () => {
        const tarDir = await writePanelApp(tarballApp());
        const tgz = `${tarDir}/app.tgz`;
        const tar = await new Deno.Command("tar", { args: ["-C", tarDir, "-czf", tgz, "state"] })
          .output();
        assert.ok(tar.success, "tar");
        await page.getByLabel("Tarball upload").check();
        await page.getByLabel(/^Tarball/).setInputFiles(tgz);
        await page.getByRole("button", { name: "Register", exact: true }).click();
        await page.getByRole("status").filter({ hasText: "Registered tar-app" }).waitFor();
        await page.getByRole("button", { name: "Deregister tar-app" }).click();
        await page.locator('tr[data-app="tar-app"]').waitFor({ state: "detached" });
        await Deno.remove(tarDir, { recursive: true });

        await page.getByLabel("App id").fill("wizard-app");
        await page.getByLabel("Display name").fill("Made by the wizard");
        await page.getByRole("button", { name: "Preview files" }).click();
        await page.getByText("workflows/hello.yaml").waitFor();
        await page.getByRole("button", { name: "Create app" }).click();
        await waitLoaded(page, "app-detail");
        await page.getByRole("heading", { name: "wizard-app" }).waitFor();
        await page.getByText("Made by the wizard").waitFor();
        await page.getByLabel("Key", { exact: true }).fill("greeting");
        await page.getByRole("button", { name: "Look up" }).click();
        assert.match(await page.locator("#config-answer").innerText(), /"hello" from/);

        // Empty states say so.
        await page.goto(`${url}/admin/runs?app=wizard-app&status=failed`);
        await waitLoaded(page, "runs");
        await page.getByText("No runs match.").waitFor();
        await page.goto(`${url}/admin/optimization?app=wizard-app`);
        await waitLoaded(page, "optimization");
        await page.getByText("This app has no LLM or JIT components.").waitFor();
        await page.goto(`${url}/admin/apps/wizard-app`);
        await waitLoaded(page, "app-detail");

        // API keys: created and shown once, then revoked.
        await page.getByRole("tab", { name: "API keys" }).click();
        await waitLoaded(page, "keys");
        await page.getByLabel("Description").fill("e2e key");
        await page.getByRole("button", { name: "Create key" }).click();
        const key = await page.locator("#new-key").inputValue();
        assert.match(key, /^kiln_[a-z0-9]+_/);
        const row = page.getByRole("row").filter({ hasText: "e2e key" });
        await row.getByRole("button", { name: /^Revoke/ }).click();
        await page.getByText("No API keys.").waitFor();
        assert.equal(await page.locator("#new-key").count(), 0, "the key is gone from the page");
        await page.getByRole("link", { name: "Apps", exact: true }).click();
        await waitLoaded(page, "apps");
      });

      let editRevision = "";
      await step("edit a definition: a validation error, then the fix", async () => {
        await page.locator(`tr[data-app="${PANEL_APP_ID}"]`).getByRole("link").click();
        await waitLoaded(page, "app-detail");
        await page.getByRole("tab", { name: "Definitions" }).click();
        await waitLoaded(page, "definitions");
        await page.getByRole("button", { name: "app_definition.yaml" }).click();
        await waitLoaded(page, "file");
        await page.locator(".code-view .hljs-attr").first().waitFor(); // highlighted
        await page.getByRole("button", { name: "Edit" }).click();
        const original = await page.getByLabel(/^Content of/).inputValue();
        await setEditor(page, original.replace("version: 1.0.0", "version: [1, 0"));
        await page.getByRole("button", { name: "Validate & commit" }).click();
        const alert = page.getByRole("alert").filter({ hasText: "Not committed" });
        await alert.waitFor();
        const text = await alert.innerText();
        assert.match(text, /VALIDATION_ERROR|PATCH_INVALID/, text);
        await setEditor(page, original.replace("greeting: hello", "greeting: howdy"));
        // Meanwhile someone else commits another line: a conflict, shown plainly, then the
        // same change goes on top of their revision.
        const theirs = await k!.kiln.state.getDefinitionFileContent(
          PANEL_APP_ID,
          "app_definition.yaml",
        );
        await k!.kiln.state.setDefinitionFileContent(
          PANEL_APP_ID,
          "app_definition.yaml",
          (theirs.content ?? "").replace("version: 1.0.0", "version: 1.0.1"),
          theirs.revision!,
          { commitMessage: "Bump the version", author: "Someone <someone@kiln.local>" },
        );
        await page.getByRole("button", { name: "Validate & commit" }).click();
        const conflict = page.getByRole("alert").filter({ hasText: "Conflict" });
        await conflict.waitFor();
        assert.match(await conflict.innerText(), /CONFLICT/);
        await page.getByRole("button", { name: /Apply my change on top/ }).click();
        const ok = page.getByRole("status").filter({ hasText: "Committed" });
        await ok.waitFor();
        editRevision = (await ok.locator("code").innerText()).trim();
        await page.locator(".code-view").getByText("howdy").waitFor();
        await page.locator(".code-view").getByText("1.0.1").waitFor(); // theirs is kept
      });

      await step("invoke a component through the ingress and as an MCP tool", async () => {
        await page.locator(".page-head").getByRole("link", { name: "Invoke" }).click();
        await waitLoaded(page, "invoke");
        await page.getByLabel("Component").selectOption("hello");
        await page.getByLabel(/^Path under/).fill("/hello/ada");
        await page.getByRole("button", { name: "Run", exact: true }).click();
        await page.locator("#invoke-outcome").waitFor();
        assert.equal(await page.locator("#invoke-tier").innerText(), "isolate");
        assert.notEqual(await page.locator("#invoke-tier-reason").innerText(), "—");
        await page.getByLabel("Answer body").getByText("howdy, ada").waitFor();
        await page.getByRole("radio", { name: /MCP tool/ }).check();
        await page.getByRole("button", { name: "Run", exact: true }).click();
        await page.getByText("isError").waitFor();
      });

      await step("watch a workflow run live", async () => {
        await page.getByRole("link", { name: "Runs", exact: true }).first().click();
        await waitLoaded(page, "runs");
        await page.getByLabel("App", { exact: true }).selectOption(PANEL_APP_ID);
        await page.getByRole("heading", { name: "Start a run" }).waitFor();
        await page.getByLabel(/^Input/).fill('{"who": "grace"}');
        await page.getByRole("button", { name: "Start run" }).click();
        await waitLoaded(page, "run");
        await page.locator("#live-state").getByText(/live/).waitFor();
        await page.locator(".page-head .badge").getByText("running").waitFor();
        await page.locator(".page-head .badge").getByText("succeeded").waitFor({ timeout: 30_000 });
        await page.locator('li.step[data-step="pause"]').getByText("succeeded").waitFor();
        const answer = page.locator('li.step[data-step="answer"]');
        await answer.getByText(/Input mapping of answer/).click();
        await answer.getByText("trigger.body.who").waitFor();
        await answer.getByText(/Output of answer/).click();
        await answer.getByText('"grace"').first().waitFor();
        assert.match(await page.locator("#live-state").innerText(), /stream ended · \d+ events/);
      });

      await step("read a metrics chart with data", async () => {
        await page.getByRole("link", { name: "Metrics", exact: true }).click();
        await waitLoaded(page, "metrics");
        await page.locator("#app-picker").selectOption(JIT_APP_ID);
        const chart = page.locator('figure[aria-label^="Invocations per minute"]');
        await chart.locator("canvas").first().waitFor();
        const points = Number(await chart.getAttribute("data-points"));
        assert.ok(points > 0, `the invocations chart has points (${points})`);
        const label = await chart.getAttribute("aria-label") ?? "";
        assert.match(label, new RegExp(`${JIT_COMPONENT_ID}: 60 total`), label);
        const latency = page.locator('figure[aria-label^="Latency percentiles"]');
        assert.ok(Number(await latency.getAttribute("data-points")) > 0, "latency has points");
        const tokens = page.locator('figure[aria-label^="LLM tokens"]');
        assert.ok(Number(await tokens.getAttribute("data-points")) > 0, "tokens have points");

        // The latency chart is the app's whole latency: the query API's answer for the same
        // window with the series merged (groupBy nothing), not one of its label sets. The panel
        // app has several (an ingress call, a failed MCP call, a workflow run's steps).
        await latencyMatchesApi(page, JIT_APP_ID);
        await page.locator("#app-picker").selectOption(PANEL_APP_ID);
        const sets = await latencyMatchesApi(page, PANEL_APP_ID);
        assert.ok(sets > 1, `the panel app has several latency series (${sets})`);
        await page.locator("#app-picker").selectOption(JIT_APP_ID);
        // Narrowed to a component, the page asks the API for that component only.
        await page.getByLabel("Component").selectOption(JIT_COMPONENT_ID);
        await page.locator(
          `div.charts[data-component="${JIT_COMPONENT_ID}"] figure[aria-label^="Invocations per minute. all: 60 total"]`,
        ).waitFor();
      });

      await step("trigger a JIT generation and read its gate report", async () => {
        await page.getByRole("link", { name: "Optimization", exact: true }).click();
        await waitLoaded(page, "optimization");
        await page.locator("#app-picker").selectOption(JIT_APP_ID);
        const card = page.locator(`section.candidate[data-component="${JIT_COMPONENT_ID}"]`);
        await card.waitFor();
        await card.getByRole("button", { name: "Generate JIT" }).click();
        const report = card.locator("section.gate-report");
        await report.waitFor({ timeout: 60_000 });
        const text = await report.innerText();
        assert.match(text, /Gate report v1/);
        assert.match(text, /activate/);
        assert.match(text, /Gate slice\s+\d+\/\d+\s+100\.0%/);
        assert.match(text, /Generated tests\s+4\/4/);
        const phases = await card.locator("ol.progress li").allInnerTexts();
        assert.ok(phases.some((p) => p.startsWith("gate")), phases.join(" | "));
        await card.getByText(/serves jit · active v1/).waitFor(); // the component switched
        // Roll back to the LLM, then promote v1 again.
        await card.getByRole("button", { name: "Roll back" }).click();
        await card.getByText(/serves llm/).waitFor();
        await card.locator(".badge").getByText("rolled_back").first().waitFor();
        await card.getByLabel("Version").selectOption("v1");
        await card.getByRole("button", { name: "Promote" }).click();
        await card.getByText(/serves jit · active v1/).waitFor();
      });

      await step("revert the definition edit", async () => {
        await page.goto(`${url}/admin/apps/${PANEL_APP_ID}?tab=history`);
        await waitLoaded(page, "history");
        assert.ok(editRevision.length >= 7, "the edit's revision was shown");
        await page.locator(`tr[data-revision^="${editRevision}"]`).first().getByRole("button", {
          name: /^Revert/,
        }).click();
        await page.getByRole("status").filter({ hasText: "Reverted" }).waitFor();
        const file = await k!.kiln.state.getDefinitionFileContent(
          PANEL_APP_ID,
          "app_definition.yaml",
        );
        assert.match(file.content ?? "", /greeting: hello/);
      });

      await step("every page fits a phone (390×844) and a laptop (1366×768)", async () => {
        // A key, so the keys table has a row with a button.
        await page.goto(`${url}/admin/apps/${PANEL_APP_ID}?tab=keys`);
        await waitLoaded(page, "keys");
        await page.getByLabel("Description").fill("a key with a long description that must wrap");
        await page.getByRole("button", { name: "Create key" }).click();
        await page.locator("#new-key").waitFor();
        const pages: [string, string][] = [
          ["/apps", "apps"],
          [`/apps/${PANEL_APP_ID}`, "app-detail"],
          [`/apps/${PANEL_APP_ID}?tab=definitions`, "definitions"],
          [`/apps/${PANEL_APP_ID}?tab=history`, "history"],
          [`/apps/${PANEL_APP_ID}?tab=keys`, "keys"],
          [`/invoke?app=${PANEL_APP_ID}`, "invoke"],
          [`/runs?app=${PANEL_APP_ID}`, "runs"],
          [`/metrics?app=${JIT_APP_ID}`, "metrics"],
          [`/optimization?app=${JIT_APP_ID}`, "optimization"],
          ["/sandboxes", "sandboxes"],
          ["/cluster", "cluster"],
          ["/mcp", "mcp"],
        ];
        const faults: string[] = [];
        for (const size of [{ width: 390, height: 844 }, { width: 1366, height: 768 }]) {
          await page.setViewportSize(size);
          for (const [path, mark] of pages) {
            await page.goto(`${url}/admin${path}`);
            await waitLoaded(page, mark);
            const f = await layoutFaults(page);
            if (f.scrollWidth > f.innerWidth) {
              faults.push(`${size.width}px ${path}: page is ${f.scrollWidth}px wide`);
            }
            for (const c of f.cut) faults.push(`${size.width}px ${path}: button ${c} is cut off`);
          }
        }
        assert.deepEqual(faults, []);
      });

      await step("sign out", async () => {
        await page.getByRole("button", { name: "Sign out" }).click();
        await waitLoaded(page, "sign-in");
        const status = await page.evaluate(() =>
          (globalThis as unknown as PageGlobals).fetch("/v1/apps").then((r) => r.status)
        );
        assert.equal(status, 401, "the old cookie no longer works");
      });
      assert.ok(!failed, "every step passed");
      assert.deepEqual(pageErrors, [], "no script errors");
    } finally {
      await b?.close();
      await k?.close();
      await jit?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
