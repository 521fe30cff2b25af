import { join, resolve } from "node:path";
import { KilnError, levelFromEnv, Logger, VERSION, yamlValueOrThrow } from "../core/mod.ts";
import { AppDefinition, ComponentRegistry } from "../models/mod.ts";
import { readAppSource } from "../registry/mod.ts";
import { type Cassette, type LlmConfig, parseCassette } from "../llm/mod.ts";
import {
  type CaseResult,
  type LoadedTests,
  loadTestFiles,
  runCases,
  schemaChecks,
  type ToolAnswer,
} from "../scaffold/mod.ts";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createKiln, type Kiln } from "../kiln.ts";
import type { Context } from "./_command.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

/** What `--json` prints. */
export interface Report {
  appId: string;
  kiln: string;
  passed: number;
  failed: number;
  ms: number;
  results: CaseResult[];
  error?: { code: string; message: string; details?: unknown };
}

/** How long `kiln app test` keeps trying to start the app's prompt renderer before its cases. */
const WARM_RENDERER_MS = 60_000;

/** The wire model of replayed calls when the app's cassettes name none. */
const OFFLINE_MODEL = "offline";

/** `kiln app test [DIR]`: the app's own tests on a private Kiln, a summary and an exit code. */
export async function appTest({ args: [dirArg], opts, json, io }: Context): Promise<number> {
  const filter = typeof opts.filter === "string" ? opts.filter : undefined;
  const app = await loadApp(resolve(dirArg ?? "."));
  const report = await testApp(app, { filter });
  if (json) io.out(JSON.stringify(report, null, 2));
  else printReport(io, report, app);
  return report.error || report.failed > 0 ? EXIT.FAILED : EXIT.OK;
}

/**
 * Registers the app on a private Kiln (embedded store, temporary data dir, no listener) and runs
 * its schema checks and cases through that Kiln's HTTP handler. LLM calls replay from the app's
 * cassettes unless `llm` says otherwise (the template cassette generator records through it).
 */
export async function testApp(
  app: LoadedApp,
  opts: { filter?: string; llm?: LlmConfig } = {},
): Promise<Report> {
  const started = performance.now();
  const { files, appId, tests, cassettes } = app;
  const keep = (name: string) => opts.filter === undefined || name.includes(opts.filter);
  const report: Report = { appId, kiln: VERSION, passed: 0, failed: 0, ms: 0, results: [] };
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-app-test-" });
  const adminToken = `app-test-${crypto.randomUUID()}`;
  const logger = new Logger(
    { service: "kiln" },
    levelFromEnv(Deno.env.get("KILN_LOG_LEVEL") ?? "error"),
  );
  try {
    const kiln = await createKiln({
      dataDir,
      adminToken,
      logger,
      watch: false,
      gitHooks: false,
      llm: { config: opts.llm ?? replayConfig(cassettes), cassettes },
      containers: app.needsContainers,
      // The QuickJS workers start while the app registers, not on its first wasm case; an app
      // without wasm components does not pay for them.
      warmSandboxes: app.needsWasm,
      optimization: { evaluateEveryMs: 0 },
    });
    const mcp = new McpSession(kiln, appId, adminToken);
    try {
      const fetch = async (req: Request) => await kiln.handler(req);
      const registered = await fetch(
        new Request("http://kiln.test/v1/apps", {
          method: "POST",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ files: Object.fromEntries(files) }),
        }),
      );
      const answer = await registered.json();
      if (!registered.ok || answer.status !== "ACTIVE") {
        report.error = answer.error ?? {
          code: "APP_NOT_ACTIVE",
          message: `the app registered as ${answer.status}`,
          details: answer,
        };
      } else {
        if ([...files.keys()].some((p) => p.startsWith("prompts/"))) {
          await warmRenderer(kiln, appId);
        }
        report.results.push(...schemaChecks(appId, files, keep));
        const callTool = (name: string, args: Record<string, unknown>) => mcp.call(name, args);
        report.results.push(...await runCases({ appId, files, fetch, callTool }, tests, keep));
      }
    } finally {
      await mcp.close();
      await kiln.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  report.passed = report.results.filter((r) => r.ok).length;
  report.failed = report.results.length - report.passed;
  report.ms = Math.round(performance.now() - started);
  if (!report.error && report.results.length === 0) {
    report.error = {
      code: "NO_TESTS",
      message: opts.filter === undefined
        ? "the app has no tests/*.test.yaml cases and no schemas to check"
        : `no case or schema check matches --filter "${opts.filter}"`,
    };
  }
  return report;
}

/**
 * An MCP session on the private Kiln's `/mcp` with the official SDK client, opened on the first
 * mcp case; its HTTP goes to the Kiln's handler in process, as any MCP client's would over a socket.
 */
class McpSession {
  #client: Promise<Client> | null = null;

  constructor(
    private readonly kiln: Kiln,
    private readonly appId: string,
    private readonly token: string,
  ) {}

  async call(name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
    this.#client ??= this.#open();
    const client = await this.#client;
    return await client.callTool({ name, arguments: args }) as ToolAnswer;
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => null);
    await client?.close().catch(() => {});
  }

  async #open(): Promise<Client> {
    const client = new Client({ name: "kiln-app-test", version: VERSION });
    // The admin token is bound to no app: `?app=` selects the one its app tools act on.
    const url = new URL(`http://127.0.0.1/mcp?app=${encodeURIComponent(this.appId)}`);
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: `Bearer ${this.token}` } },
      fetch: async (input, init) => await this.kiln.handler(new Request(input, init)),
    });
    await client.connect(transport);
    return client;
  }
}

/**
 * Starts the app's prompt renderer before the first case. Renderers run at a lower priority than
 * Kiln, so on a busy CI machine their first start can outlast its budget; that is start-up cost
 * of this private Kiln, not a result of the app's first llm case. A renderer that cannot start at
 * all still fails the cases that need it.
 */
async function warmRenderer(kiln: Kiln, appId: string): Promise<void> {
  const until = performance.now() + WARM_RENDERER_MS;
  while (performance.now() < until) {
    try {
      await kiln.templates.render({
        appId,
        parts: [{ source: "ok", vars: 0, what: "kiln app test warm-up" }],
        vars: [{}],
        timeoutMs: 1_000,
        waitMs: 30_000,
      });
      return;
    } catch { /* tried again; the cases report a renderer that never starts */ }
  }
}

/** An app directory as `kiln app test` reads it. */
export interface LoadedApp {
  files: Map<string, string>;
  appId: string;
  needsContainers: boolean;
  needsWasm: boolean;
  tests: LoadedTests[];
  cassettes: Cassette[];
}

/** Reads DIR as `kiln app register` would, plus its tests and cassettes; misuse exits 2. */
export async function loadApp(dir: string): Promise<LoadedApp> {
  try {
    const files = await readAppSource({ directory: dir });
    const def = AppDefinition.safeParse(
      yamlValueOrThrow(files.get("app_definition.yaml") ?? "", "app_definition.yaml"),
    );
    if (!def.success) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `state/app_definition.yaml: ${def.error.issues[0].path.join(".")}: ${
          def.error.issues[0].message
        }`,
      );
    }
    const registry = ComponentRegistry.safeParse(
      yamlValueOrThrow(files.get("component_registry.yaml") ?? "components: []", "registry"),
    );
    const components = registry.success ? registry.data.components : [];
    const needsContainers = components.some((c) =>
      c.runtime === "container" || c.taskDetails?.language === "python"
    );
    return {
      files,
      appId: def.data.appId,
      needsContainers,
      needsWasm: components.some((c) =>
        c.runtime === "wasm" || c.trust !== undefined && c.trust !== "trusted"
      ),
      tests: await loadTestFiles(dir),
      cassettes: await loadCassettes(dir),
    };
  } catch (err) {
    if (err instanceof KilnError) throw new CliError(`${err.code}: ${err.message}`, EXIT.USAGE);
    throw err;
  }
}

/** `DIR/cassettes/*.cassette.json`, the app's LLM recordings (as `kiln dev` replays them). */
async function loadCassettes(dir: string): Promise<Cassette[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, "cassettes"))) {
      if (e.isFile && e.name.endsWith(".cassette.json")) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const out: Cassette[] = [];
  for (const name of names.sort()) {
    const path = `cassettes/${name}`;
    try {
      out.push(parseCassette(JSON.parse(await Deno.readTextFile(join(dir, path)))));
    } catch (err) {
      throw new KilnError("VALIDATION_ERROR", `${path}: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * LLM calls replay from the app's cassettes only, so tests run offline and answer the same every
 * time. The default profile's wire model is the one the recordings were made with.
 */
function replayConfig(cassettes: Cassette[]): LlmConfig {
  const counts = new Map<string, number>();
  for (const e of cassettes.flatMap((c) => c.entries)) {
    counts.set(e.request.model, (counts.get(e.request.model) ?? 0) + 1);
  }
  const model = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? OFFLINE_MODEL;
  return { profiles: { default: { provider: "replay", model } } };
}

function printReport(io: Io, r: Report, { tests, cassettes }: LoadedApp) {
  const cases = tests.reduce((n, t) => n + t.cases.length, 0);
  io.out(
    `kiln app test: ${r.appId} — ${cases} case(s) in ${tests.length} file(s), ` +
      `${cassettes.length} cassette(s), Kiln ${r.kiln}`,
  );
  for (const result of r.results) {
    const where = [result.tier, `${result.ms} ms`].filter(Boolean).join(", ");
    io.out(`  ${result.ok ? "PASS" : "FAIL"}  ${result.file}: ${result.name}  [${where}]`);
    for (const line of result.failures) io.out(`        ${line}`);
    if (!result.ok && result.actual !== undefined) {
      const text = JSON.stringify(result.actual);
      io.out(`        answer: ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`);
    }
  }
  if (r.error) io.err(`kiln: ${r.error.code}: ${r.error.message}`);
  io.out(`${r.passed} passed, ${r.failed} failed (${(r.ms / 1000).toFixed(1)} s)`);
}
