/**
 * Drives the admin panel in Debian's headless Chromium through playwright-core: a Kiln on a
 * real loopback socket (the panel needs real cookies and SSE), a fresh browser profile, and a
 * signed-in page. Shared by the e2e test, `scripts/admin_screenshots.ts` and the bench.
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createKiln, type Kiln, type KilnOptions } from "../../src/kiln.ts";
import { silentLogger } from "../../src/core/log.ts";
import { listen, type Listening } from "../../src/http/mod.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const PANEL_TOKEN = "admin-e2e-token-0123456789abcdef";

/** Why the browser tests cannot run here, or null. In CI they must run: absence is a failure. */
export async function browserSkipReason(): Promise<string | null> {
  const present = await Deno.stat(CHROMIUM).then(() => true, () => false);
  if (present) return null;
  if (Deno.env.get("CI")) {
    throw new Error(
      `${CHROMIUM} is missing, and CI must run the admin e2e test (apt-get install chromium)`,
    );
  }
  return `${CHROMIUM} is missing (apt-get install chromium); skipping the admin browser test`;
}

export interface PanelKiln {
  kiln: Kiln;
  server: Listening;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A Kiln on a temp data dir served on 127.0.0.1:<free port>. */
export async function startPanelKiln(opts: Partial<KilnOptions> = {}): Promise<PanelKiln> {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-admin-" });
  const kiln = await createKiln({
    adminToken: PANEL_TOKEN,
    logger: silentLogger,
    watch: false,
    ...opts,
    dataDir,
  });
  const server = listen(kiln.handler, { port: 0, hostname: "127.0.0.1" });
  return {
    kiln,
    server,
    url: server.url,
    dataDir,
    async close() {
      await server.shutdown();
      await kiln.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

export interface PanelBrowser {
  context: BrowserContext;
  page: Page;
  profile: string;
  close(): Promise<void>;
}

/** The flags Kiln's browser tests run Chromium with (headless, no network side traffic). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium with a fresh user-data-dir, at a 1366×768 laptop viewport. */
export async function launchBrowser(): Promise<PanelBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "kiln-chromium-" });
  // playwright takes the profile directory here rather than as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1366, height: 768 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    profile,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Waits until the panel marks `page` as rendered with its data. */
export async function waitLoaded(page: Page, name: string, timeout = 30_000): Promise<void> {
  // A function, not a string: the panel's CSP forbids eval, and functions are sent over CDP.
  await page.waitForFunction(
    (n) => (globalThis as unknown as PageGlobals).document.body.dataset.loaded === n,
    name,
    { timeout },
  );
}

/** The few page globals tests read (this file is type-checked without the DOM lib). */
export interface PageGlobals {
  document: { cookie: string; body: { dataset: Record<string, string | undefined> } };
  localStorage: { length: number };
  sessionStorage: { length: number };
  fetch: typeof fetch;
  performance: {
    getEntriesByName(name: string): { startTime: number }[];
    getEntriesByType(type: string): { startTime: number; name: string }[];
  };
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, url: string, token = PANEL_TOKEN): Promise<void> {
  await page.goto(`${url}/admin`);
  await waitLoaded(page, "sign-in");
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitLoaded(page, "apps");
}
