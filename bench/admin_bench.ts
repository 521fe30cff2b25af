/**
 * The admin panel's first render, measured in the browser: with 100 apps registered
 * (plus the demo app, recorded LLM traffic and a JIT generation), each page is loaded fresh in
 * headless Chromium and timed from navigation start to its `kiln:loaded:<page>` performance
 * mark — set once the page's DOM holds its data. Per page, one load with the browser's HTTP cache
 * off (cold: the shell, the 180 KiB bundle and the data all fetched, the bundle compiled), then
 * `RUNS` warm loads (the immutable, content-hashed bundle from the cache, the shell and the data
 * fetched anew): their median and worst. Target: < 300 ms.
 *
 * Run: `deno run -A bench/admin_bench.ts [RUNS=7]`
 */
import type { Page } from "playwright-core";
import {
  browserSkipReason,
  launchBrowser,
  type PageGlobals,
  signIn,
  startPanelKiln,
  waitLoaded,
} from "../tests/_support/admin_browser.ts";
import { PANEL_APP_ID } from "../tests/_support/admin_app.ts";
import { finishedRun, seedApps } from "../tests/_support/admin_seed.ts";
import { JIT_APP_ID, JIT_COMPONENT_ID, prepareJit } from "../tests/_support/admin_jit.ts";

const TARGET_MS = 300;
const APPS = 100;

/** Loads `path` and answers ms from navigation start to the page's data-loaded mark. */
async function firstRender(page: Page, url: string, mark: string): Promise<number> {
  await page.goto(url);
  await waitLoaded(page, mark);
  return await page.evaluate(
    (m) => (globalThis as unknown as PageGlobals).performance.getEntriesByName(m)[0].startTime,
    `kiln:loaded:${mark}`,
  );
}

async function main() {
  const skip = await browserSkipReason();
  if (skip) {
    console.log(`admin_bench: ${skip}`);
    return;
  }
  const runs = Number(Deno.args[0] ?? 7);
  const jit = await prepareJit();
  const k = await startPanelKiln(jit.options);
  const b = await launchBrowser();
  try {
    await jit.seed(k.kiln);
    await seedApps(k.kiln, APPS);
    const runId = await finishedRun(k.kiln);
    await k.kiln.jitService.generate(JIT_APP_ID, JIT_COMPONENT_ID, {
      trigger: "manual",
      actor: "bench",
    });
    await k.kiln.jitService.idle();
    const total = k.kiln.registry.listApplications().length;
    await signIn(b.page, k.url);
    const pages: [string, string, string][] = [
      ["apps", "/apps", "apps"],
      ["app detail", `/apps/${PANEL_APP_ID}`, "app-detail"],
      [
        "definitions (file)",
        `/apps/${PANEL_APP_ID}?tab=definitions&file=component_registry.yaml`,
        "file",
      ],
      ["history", `/apps/${JIT_APP_ID}?tab=history`, "history"],
      ["api keys", `/apps/${PANEL_APP_ID}?tab=keys`, "keys"],
      ["invoke", `/invoke?app=${PANEL_APP_ID}&component=hello`, "invoke"],
      ["runs", `/runs?app=${PANEL_APP_ID}`, "runs"],
      ["run detail", `/runs/${PANEL_APP_ID}/${runId}`, "run"],
      ["metrics", `/metrics?app=${JIT_APP_ID}`, "metrics"],
      ["optimization", `/optimization?app=${JIT_APP_ID}`, "optimization"],
      ["sandboxes", "/sandboxes", "sandboxes"],
      ["mcp tools", "/mcp", "mcp"],
    ];
    console.log(`admin panel first render, ${total} apps registered, ${runs} warm loads per page`);
    console.log(`page                 cold ms   warm median ms   warm max ms   < ${TARGET_MS} ms`);
    let worst = 0;
    for (const [label, path, mark] of pages) {
      const cold = await coldLoad(b.page, k.url, path, mark);
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) {
        warm.push(await firstRender(b.page, `${k.url}/admin${path}`, mark));
      }
      warm.sort((x, y) => x - y);
      const median = warm[Math.floor(warm.length / 2)];
      const max = warm.at(-1)!;
      worst = Math.max(worst, median);
      console.log(
        `${label.padEnd(20)} ${cold.toFixed(0).padStart(7)}   ${median.toFixed(0).padStart(14)}   ${
          max.toFixed(0).padStart(11)
        }   ${median < TARGET_MS ? "yes" : "NO"}`,
      );
    }
    console.log(`worst warm median: ${worst.toFixed(0)} ms (target < ${TARGET_MS} ms)`);
  } finally {
    await b.close();
    await k.close();
    await jit.close();
  }
}

/** One load of the same tab with the browser's HTTP cache turned off (cold). */
async function coldLoad(page: Page, url: string, path: string, mark: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  try {
    return await firstRender(page, `${url}/admin${path}`, mark);
  } finally {
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
    await cdp.detach();
  }
}

if (import.meta.main) await main();
