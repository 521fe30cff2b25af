import { KilnError, quote, yamlValueOrThrow } from "../core/mod.ts";
import { type ComponentDefinition, ComponentRegistry, PromptTemplate } from "../models/mod.ts";
import { bundleSchema, schemaIssues, validatorFor } from "../schema/mod.ts";
import { differences } from "./_match.ts";
import type { LoadedTests, TestCase } from "./test_file.ts";

/** The outcome of one case or schema check. */
export interface CaseResult {
  /** Where it is defined, relative to the app directory. */
  file: string;
  name: string;
  kind: "case" | "schema";
  ok: boolean;
  ms: number;
  component?: string;
  status?: number;
  tier?: string;
  /** What differed from the expectation, one line each (JSON pointers into the answer). */
  failures: string[];
  /** The answer's body, on failure. */
  actual?: unknown;
}

/** The app as registered on the Kiln the cases run on: its files and its HTTP surface. */
export interface AppUnderTest {
  appId: string;
  /** Its `state/` files (path → content). */
  files: Map<string, string>;
  /** Sends a request to the Kiln serving the app (its public HTTP handler). */
  fetch(req: Request): Promise<Response>;
  /** Calls a tool on the Kiln's `/mcp` (an MCP client session). */
  callTool(name: string, args: Record<string, unknown>): Promise<ToolAnswer>;
}

/** What an MCP `tools/call` answers. */
export interface ToolAnswer {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown;
}

/** Runs each case through the app's HTTP ingress, one after another, in file order. */
export async function runCases(
  app: AppUnderTest,
  tests: LoadedTests[],
  keep: (name: string) => boolean,
): Promise<CaseResult[]> {
  const components = new Map(componentsOf(app.files).map((c) => [c.componentId, c]));
  const out: CaseResult[] = [];
  for (const { file, cases } of tests) {
    for (const c of cases) {
      if (!keep(`${file}: ${c.name}`)) continue;
      out.push(await runCase(app, components, file, c));
    }
  }
  return out;
}

function componentsOf(files: Map<string, string>): ComponentDefinition[] {
  const text = files.get("component_registry.yaml");
  if (text === undefined) return [];
  return ComponentRegistry.parse(yamlValueOrThrow(text, "component_registry.yaml")).components;
}

async function runCase(
  app: AppUnderTest,
  components: Map<string, ComponentDefinition>,
  file: string,
  c: TestCase,
): Promise<CaseResult> {
  const started = performance.now();
  const result: CaseResult = {
    file,
    name: c.name,
    kind: "case",
    ok: false,
    ms: 0,
    component: c.component,
    failures: [],
  };
  try {
    const component = components.get(c.component);
    if (!component) {
      throw new KilnError("NOT_FOUND", `the app has no component ${quote(c.component)}`);
    }
    if ((c.via ?? (component.routeMatcher ? "http" : "mcp")) === "mcp") {
      const body = await callTool(app, c);
      result.failures = check(c, undefined, undefined, body);
      if (result.failures.length > 0) result.actual = body;
      result.ok = result.failures.length === 0;
      result.ms = Math.round(performance.now() - started);
      return result;
    }
    const res = await app.fetch(buildRequest(app.appId, component, c));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* not JSON: compared as text */ }
    result.status = res.status;
    result.tier = res.headers.get("x-kiln-tier") ?? undefined;
    result.failures = check(c, res.status, result.tier, body);
    if (result.failures.length > 0) result.actual = body;
  } catch (err) {
    result.failures = [err instanceof KilnError ? err.message : String(err)];
  }
  result.ok = result.failures.length === 0;
  result.ms = Math.round(performance.now() - started);
  return result;
}

/** The tool's structured result, or the `{error}` of an `isError` answer. */
async function callTool(app: AppUnderTest, c: TestCase): Promise<unknown> {
  const input = c.input ?? {};
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new KilnError("VALIDATION_ERROR", "the input of an mcp case must be a mapping");
  }
  const answer = await app.callTool(
    `app.${app.appId}.${c.component}`,
    input as Record<string, unknown>,
  );
  if (!answer.isError) return answer.structuredContent;
  const text = (answer.content as { text?: string }[] | undefined)?.[0]?.text ?? "";
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: "TOOL_ERROR", message: text } };
  }
}

function buildRequest(appId: string, component: ComponentDefinition, c: TestCase) {
  const route = component.routeMatcher;
  if (!route) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `component ${quote(c.component)} has no routeMatcher; cases call components over HTTP`,
    );
  }
  const path = route.pathPattern.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = c.params?.[name];
    if (value === undefined) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `the route ${quote(route.pathPattern)} needs params.${name}`,
      );
    }
    return encodeURIComponent(String(value));
  });
  const method = c.method ?? route.methods[0];
  const url = new URL(`http://kiln.test/apps/${appId}${path}`);
  for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, v);
  const headers = new Headers(c.headers);
  let body: string | undefined;
  if (c.input !== undefined && (method === "GET" || method === "DELETE")) {
    if (typeof c.input !== "object" || c.input === null || Array.isArray(c.input)) {
      throw new KilnError("VALIDATION_ERROR", `the input of a ${method} case must be a mapping`);
    }
    for (const [k, v] of Object.entries(c.input)) url.searchParams.set(k, String(v));
  } else if (c.input !== undefined) {
    body = JSON.stringify(c.input);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return new Request(url, { method, headers, body });
}

/** Over MCP there is no status and no tier header (`status` undefined): expecting them fails. */
function check(
  c: TestCase,
  status: number | undefined,
  tier: string | undefined,
  body: unknown,
): string[] {
  const e = c.expect;
  const failures: string[] = [];
  if (status === undefined) {
    if (e.status !== undefined || e.tier !== undefined) {
      failures.push("expect.status and expect.tier are known over http only (this case is mcp)");
    }
    const code = (body as { error?: { code?: unknown } })?.error?.code;
    if (e.error === undefined && code !== undefined) {
      failures.push(`error: expected none, got ${code}`);
    }
  }
  const wantStatus = e.status ?? (e.error ? undefined : 200);
  if (status !== undefined && wantStatus !== undefined && status !== wantStatus) {
    failures.push(`status: expected ${wantStatus}, got ${status}`);
  }
  if (e.error !== undefined) {
    const code = (body as { error?: { code?: unknown } })?.error?.code;
    if (code !== e.error) failures.push(`error: expected ${e.error}, got ${code ?? "no error"}`);
  }
  if (status !== undefined && e.tier !== undefined && tier !== e.tier) {
    failures.push(`tier: expected ${e.tier}, got ${tier ?? "none"}`);
  }
  if (e.body !== undefined) failures.push(...differences(e.body, body, true));
  if (e.equals !== undefined) failures.push(...differences(e.equals, body, false));
  return failures;
}

/**
 * Checks every example the app carries against its schema: `examples` of each
 * `schemas/*.schema.json` (which must also compile, with its `$ref`s resolved), and the `output`
 * of each prompt's few-shot `examples` against the prompt's `outputSchema`.
 */
export function schemaChecks(
  appId: string,
  files: Map<string, string>,
  keep: (name: string) => boolean,
): CaseResult[] {
  const parsed = new Map<string, unknown>();
  const read = (path: string) => {
    if (!parsed.has(path)) {
      const text = files.get(path);
      parsed.set(path, text === undefined ? undefined : JSON.parse(text));
    }
    return parsed.get(path);
  };
  const out: CaseResult[] = [];
  const run = (
    file: string,
    name: string,
    schema: string | Record<string, unknown>,
    values: unknown[],
  ) => {
    if (!keep(`${file}: ${name}`)) return;
    const started = performance.now();
    const failures: string[] = [];
    try {
      const raw = typeof schema === "string" ? read(schema.split("#")[0]) : schema;
      failures.push(...schemaIssues(raw).map((i) => `${i.pointer || "(schema)"}: ${i.message}`));
      if (failures.length === 0) {
        const validator = validatorFor(appId, "app-test", bundleSchema(schema, read));
        values.forEach((value, i) => {
          const r = validator.validate(value);
          if (!r.ok) {
            failures.push(
              ...r.issues.map((issue) =>
                `example ${i + 1}: ${issue.pointer || "(root)"}: ${issue.message}`
              ),
            );
          }
        });
      }
    } catch (err) {
      failures.push((err as Error).message);
    }
    out.push({
      file,
      name,
      kind: "schema",
      ok: failures.length === 0,
      ms: Math.round(performance.now() - started),
      failures,
    });
  };
  for (const path of [...files.keys()].sort()) {
    if (/^schemas\/.+\.schema\.json$/.test(path)) {
      let examples: unknown[] = [];
      try {
        const value = read(path) as { examples?: unknown };
        if (Array.isArray(value?.examples)) examples = value.examples;
      } catch { /* reported by run() */ }
      run(`state/${path}`, `schema compiles; ${examples.length} example(s) match`, path, examples);
    } else if (/^prompts\/[^/]+\.yaml$/.test(path)) {
      const prompt = PromptTemplate.safeParse(yamlValueOrThrow(files.get(path)!, path));
      if (!prompt.success || !prompt.data.outputSchema || prompt.data.examples.length === 0) {
        continue;
      }
      run(
        `state/${path}`,
        `${prompt.data.examples.length} example output(s) match the outputSchema`,
        prompt.data.outputSchema as string | Record<string, unknown>,
        prompt.data.examples.map((e) => e.output),
      );
    }
  }
  return out;
}
